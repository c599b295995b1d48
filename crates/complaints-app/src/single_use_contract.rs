//! The [`SingleUseTokens`] contract (feature `contract-tests`): every adapter (memory, SQLite,
//! DynamoDB) runs [`run_all`] from its own tests, so a sign-in form is single-use on all of them.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::single_use::{SingleUseTokens, used_key};

fn at(minute: i64) -> DateTime<Utc> {
    "2026-12-01T09:00:00Z".parse::<DateTime<Utc>>().unwrap_or_default() + Duration::minutes(minute)
}

/// Runs every contract test against `store` (keys are unique per call, so a shared table is fine).
///
/// # Panics
/// When the store breaks the contract.
pub async fn run_all(store: Arc<dyn SingleUseTokens>) {
    let run = uuid::Uuid::new_v4().simple().to_string();
    a_value_is_accepted_once_only(store.as_ref(), &run).await;
    purposes_are_kept_apart(store.as_ref(), &run).await;
    a_mark_that_has_run_out_no_longer_refuses(store.as_ref(), &run).await;
    of_concurrent_uses_exactly_one_wins(Arc::clone(&store), &run).await;
}

async fn a_value_is_accepted_once_only(store: &dyn SingleUseTokens, run: &str) {
    let key = used_key("sign-in", &format!("{run}-form"));
    assert!(store.use_once(&key, at(0), at(65)).await.expect("marked"), "the first use is accepted");
    assert!(!store.use_once(&key, at(1), at(66)).await.expect("read"), "the same value again is refused");
    assert!(!store.use_once(&key, at(64), at(129)).await.expect("read"), "still refused within its time");
    let other = used_key("sign-in", &format!("{run}-another-form"));
    assert!(store.use_once(&other, at(2), at(67)).await.expect("marked"), "another value is its own");
}

async fn purposes_are_kept_apart(store: &dyn SingleUseTokens, run: &str) {
    let value = format!("{run}-shared");
    assert!(store.use_once(&used_key("sign-in", &value), at(0), at(65)).await.expect("marked"));
    assert!(
        store.use_once(&used_key("hosted", &value), at(0), at(10)).await.expect("marked"),
        "the same value for another purpose is not used yet"
    );
    assert_ne!(used_key("sign-in", &value), value, "the store is given a hash, not the value");
}

async fn a_mark_that_has_run_out_no_longer_refuses(store: &dyn SingleUseTokens, run: &str) {
    let key = used_key("sign-in", &format!("{run}-old"));
    assert!(store.use_once(&key, at(0), at(65)).await.expect("marked"));
    // By then the value itself has expired and its checker refuses it; the mark may be forgotten.
    assert!(store.use_once(&key, at(65), at(130)).await.expect("marked again"), "a run-out mark is forgotten");
    assert!(!store.use_once(&key, at(66), at(131)).await.expect("read"), "and the new mark holds");
}

async fn of_concurrent_uses_exactly_one_wins(store: Arc<dyn SingleUseTokens>, run: &str) {
    let key = used_key("sign-in", &format!("{run}-raced"));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (store, key) = (Arc::clone(&store), key.clone());
            tokio::spawn(async move { store.use_once(&key, at(1), at(66)).await })
        })
        .collect();
    let mut accepted = 0;
    for task in tasks {
        if task.await.expect("joined").expect("answered") {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 1, "one of eight simultaneous posts of one form is accepted");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing_sessions::MemorySessionStore;

    #[tokio::test]
    async fn the_memory_store_keeps_the_single_use_contract() {
        run_all(Arc::new(MemorySessionStore::default())).await;
    }
}
