//! The single-use contract suite (sign-in forms accepted once) against the SQLite store, and the
//! mark holding across two handles on one file, as two `complaints serve` processes would share it.

use std::sync::Arc;

use chrono::{Duration, Utc};
use complaints_app::single_use::{SingleUseTokens, used_key};
use complaints_store_sqlite::SqliteCaseStore;

#[tokio::test]
async fn the_sqlite_store_keeps_the_single_use_contract() {
    complaints_app::single_use_contract::run_all(Arc::new(SqliteCaseStore::in_memory().expect("in-memory store")))
        .await;
}

#[tokio::test]
async fn a_form_used_through_one_handle_is_refused_through_another() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("complaints.sqlite3");
    let (one, two) = (SqliteCaseStore::open(&path).expect("open"), SqliteCaseStore::open(&path).expect("open again"));
    let (now, key) = (Utc::now(), used_key("sign-in", "a nonce"));
    assert!(one.use_once(&key, now, now + Duration::hours(1)).await.expect("marked"));
    assert!(!two.use_once(&key, now, now + Duration::hours(1)).await.expect("read"), "the other handle sees it");
}
