//! The [`SessionStore`] contract (feature `contract-tests`): every adapter (memory, SQLite,
//! DynamoDB) runs [`run_all`] from its own tests, so they behave alike.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use complaints_core::roles::Role;

use crate::ports::StoreError;
use crate::sessions::{LockoutPolicy, SessionPolicy, SessionRecord, SessionStore, account_key, session_id_hash};
use crate::staff::StaffUser;

fn at(minute: i64) -> DateTime<Utc> {
    "2026-12-01T09:00:00Z".parse::<DateTime<Utc>>().unwrap_or_default() + Duration::minutes(minute)
}

fn session(id: &str, created: DateTime<Utc>) -> SessionRecord {
    SessionRecord {
        id_sha256: session_id_hash(id),
        user: StaffUser { id: "ahmed".into(), name: "Ahmed Fictional".into(), role: Role::Handler, email: None },
        csrf: format!("csrf-{id}"),
        created_at: created,
        last_seen_at: created,
        expires_at: created + SessionPolicy::default().absolute,
    }
}

/// Runs every contract test against `store` (ids are unique per call, so a shared table is fine).
///
/// # Panics
/// When the store breaks the contract.
pub async fn run_all(store: Arc<dyn SessionStore>) {
    let run = uuid::Uuid::new_v4().simple().to_string();
    a_created_session_reads_back_whole(store.as_ref(), &run).await;
    touching_moves_last_seen_and_deleting_ends_the_session(store.as_ref(), &run).await;
    a_session_id_is_never_stored_twice(store.as_ref(), &run).await;
    failures_are_counted_per_account_and_lock_at_the_limit(store.as_ref(), &run).await;
    concurrent_failures_are_all_counted(Arc::clone(&store), &run).await;
    sessions_are_found_by_their_user_until_deleted(store.as_ref(), &run).await;
}

async fn a_created_session_reads_back_whole(store: &dyn SessionStore, run: &str) {
    let one = session(&format!("{run}-one"), at(0));
    store.create_session(&one).await.expect("created");
    assert_eq!(store.session(&one.id_sha256).await.expect("read"), Some(one.clone()));
    assert_eq!(store.session(&session_id_hash(&format!("{run}-other"))).await.expect("read"), None);
    assert_eq!(store.session(&format!("{run}-one")).await.expect("read"), None, "found by hash, not by the id");
}

async fn touching_moves_last_seen_and_deleting_ends_the_session(store: &dyn SessionStore, run: &str) {
    let two = session(&format!("{run}-two"), at(0));
    store.create_session(&two).await.expect("created");
    store.touch_session(&two.id_sha256, at(20)).await.expect("touched");
    let read = store.session(&two.id_sha256).await.expect("read").expect("still there");
    assert_eq!(read.last_seen_at, at(20));
    assert_eq!((read.created_at, read.expires_at), (two.created_at, two.expires_at), "only last_seen moves");
    store.delete_session(&two.id_sha256).await.expect("deleted");
    assert_eq!(store.session(&two.id_sha256).await.expect("read"), None);
    store.touch_session(&two.id_sha256, at(21)).await.expect("touching a deleted session is harmless");
    assert_eq!(store.session(&two.id_sha256).await.expect("read"), None, "touch does not bring it back");
    store.delete_session(&two.id_sha256).await.expect("deleting twice is harmless");
}

async fn a_session_id_is_never_stored_twice(store: &dyn SessionStore, run: &str) {
    let three = session(&format!("{run}-three"), at(0));
    store.create_session(&three).await.expect("created");
    let mut again = three.clone();
    again.user.role = Role::Admin;
    assert!(matches!(store.create_session(&again).await, Err(StoreError::AlreadyExists { .. })));
    let read = store.session(&three.id_sha256).await.expect("read").expect("there");
    assert_eq!(read.user.role, Role::Handler, "the first session is untouched");
}

async fn sessions_are_found_by_their_user_until_deleted(store: &dyn SessionStore, run: &str) {
    let of_user = |id: &str, user: &str, created| {
        let mut record = session(id, created);
        record.user.id = user.to_owned();
        record
    };
    let (fiona, mairi) = (format!("{run}-fiona"), format!("{run}-mairi"));
    let first = of_user(&format!("{run}-f1"), &fiona, at(0));
    let second = of_user(&format!("{run}-f2"), &fiona, at(5));
    let hers = of_user(&format!("{run}-m1"), &mairi, at(1));
    for record in [&first, &second, &hers] {
        store.create_session(record).await.expect("created");
    }
    let ids = |found: Vec<SessionRecord>| {
        let mut ids: Vec<String> = found.into_iter().map(|s| s.id_sha256).collect();
        ids.sort();
        ids
    };
    let mut both = vec![first.id_sha256.clone(), second.id_sha256.clone()];
    both.sort();
    assert_eq!(ids(store.sessions_of_user(&fiona).await.expect("listed")), both, "both of hers, no one else's");
    assert_eq!(ids(store.sessions_of_user(&mairi).await.expect("listed")), vec![hers.id_sha256.clone()]);
    assert!(store.sessions_of_user(&format!("{run}-nobody")).await.expect("listed").is_empty());
    store.touch_session(&second.id_sha256, at(9)).await.expect("touched");
    store.delete_session(&first.id_sha256).await.expect("deleted");
    let left = store.sessions_of_user(&fiona).await.expect("listed");
    assert_eq!(left.len(), 1, "a deleted session is no longer listed");
    assert_eq!(left[0].last_seen_at, at(9), "listed as stored now, not as created");
    assert_eq!(left[0].user, second.user);
    store.delete_session(&second.id_sha256).await.expect("deleted");
    assert!(store.sessions_of_user(&fiona).await.expect("listed").is_empty());
    assert_eq!(store.sessions_of_user(&mairi).await.expect("listed").len(), 1, "hers are untouched");
}

async fn failures_are_counted_per_account_and_lock_at_the_limit(store: &dyn SessionStore, run: &str) {
    let policy = LockoutPolicy::default();
    let ahmed = account_key(&format!("{run}-ahmed"));
    let mairi = account_key(&format!("{run}-mairi"));
    assert_eq!(store.sign_in_failures(&ahmed).await.expect("read"), None);
    for n in 1..=4 {
        let counted = store.record_sign_in_failure(&ahmed, at(n), &policy).await.expect("counted");
        assert_eq!((counted.count, counted.locked_until), (u32::try_from(n).unwrap_or(0), None));
    }
    store.record_sign_in_failure(&mairi, at(4), &policy).await.expect("counted");
    let fifth = store.record_sign_in_failure(&ahmed, at(5), &policy).await.expect("counted");
    assert_eq!(fifth.locked_until, Some(at(5) + policy.lock_for));
    assert_eq!(store.sign_in_failures(&ahmed).await.expect("read"), Some(fifth));
    assert_eq!(store.sign_in_failures(&mairi).await.expect("read").map(|f| f.count), Some(1), "counted apart");
    // After the window and the lock a failure starts afresh.
    let later = store.record_sign_in_failure(&ahmed, at(60), &policy).await.expect("counted");
    assert_eq!((later.count, later.window_started, later.locked_until), (1, at(60), None));
    store.record_sign_in_failure(&mairi, at(60), &policy).await.expect("counted");
    store.clear_sign_in_failures(&ahmed).await.expect("cleared");
    assert_eq!(store.sign_in_failures(&ahmed).await.expect("read"), None);
    assert!(store.sign_in_failures(&mairi).await.expect("read").is_some(), "only that account is cleared");
}

async fn concurrent_failures_are_all_counted(store: Arc<dyn SessionStore>, run: &str) {
    let policy = LockoutPolicy { max_failures: 100, ..LockoutPolicy::default() };
    let account = account_key(&format!("{run}-racer"));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = Arc::clone(&store);
            let account = account.clone();
            tokio::spawn(async move { store.record_sign_in_failure(&account, at(1), &policy).await })
        })
        .collect();
    for task in tasks {
        task.await.expect("joined").expect("counted");
    }
    assert_eq!(store.sign_in_failures(&account).await.expect("read").map(|f| f.count), Some(8));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing_sessions::MemorySessionStore;

    #[tokio::test]
    async fn the_memory_session_store_keeps_the_contract() {
        run_all(Arc::new(MemorySessionStore::default())).await;
    }
}
