//! An in-memory [`ObjectStore`] for tests, which can be told to fail.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;

use crate::object_store::{ObjectStore, ObjectStoreError};

/// Objects in a map; `fail` makes every call fail as unavailable.
#[derive(Debug, Default)]
pub struct MemoryObjectStore {
    objects: Mutex<BTreeMap<String, Vec<u8>>>,
    fail: AtomicBool,
}

impl MemoryObjectStore {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes every later call fail (`true`) or work again (`false`).
    pub fn set_failing(&self, fail: bool) {
        self.fail.store(fail, Ordering::SeqCst);
    }

    /// The keys stored, in order.
    #[must_use]
    pub fn keys(&self) -> Vec<String> {
        self.objects.lock().unwrap_or_else(std::sync::PoisonError::into_inner).keys().cloned().collect()
    }

    /// The bytes at `key`.
    #[must_use]
    pub fn bytes(&self, key: &str) -> Option<Vec<u8>> {
        self.objects.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(key).cloned()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the object store is down (test double)")]
struct Down;

#[async_trait]
impl ObjectStore for MemoryObjectStore {
    async fn put(&self, key: &str, _content_type: &str, bytes: Vec<u8>) -> Result<(), ObjectStoreError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(ObjectStoreError::Unavailable(Box::new(Down)));
        }
        self.objects.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(key.to_owned(), bytes);
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>, ObjectStoreError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(ObjectStoreError::Unavailable(Box::new(Down)));
        }
        self.bytes(key).ok_or(ObjectStoreError::NotFound)
    }
}
