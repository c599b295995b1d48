//! The session store contract suite against the SQLite store.

use std::sync::Arc;

use complaints_store_sqlite::SqliteCaseStore;

#[tokio::test]
async fn the_sqlite_session_store_keeps_the_contract() {
    complaints_app::session_contract::run_all(Arc::new(SqliteCaseStore::in_memory().expect("in-memory store"))).await;
}

#[tokio::test]
async fn sessions_survive_reopening_the_database() {
    use chrono::Timelike as _;
    use complaints_app::sessions::{SessionRecord, SessionStore, session_id_hash};
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("complaints.sqlite3");
    // Whole microseconds: the store keeps times to the microsecond.
    let at = chrono::Utc::now().with_nanosecond(0).expect("a valid time");
    let session = SessionRecord {
        id_sha256: session_id_hash("kept"),
        user: complaints_app::staff::StaffUser {
            id: "ahmed".into(),
            name: "Ahmed".into(),
            role: complaints_core::roles::Role::Manager,
            email: None,
        },
        csrf: "token".into(),
        created_at: at,
        last_seen_at: at,
        expires_at: at + chrono::Duration::hours(1),
    };
    SqliteCaseStore::open(&path).expect("open").create_session(&session).await.expect("created");
    let reopened = SqliteCaseStore::open(&path).expect("reopen");
    assert_eq!(reopened.session(&session.id_sha256).await.expect("read"), Some(session));
}
