//! An in-memory [`ObjectStore`] (feature `testing`) for tests of raw-delivery keeping. Not for
//! production use.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::object_store::{ObjectStore, ObjectStoreError};

/// Objects in a map; can be told to be unavailable.
#[derive(Debug, Default)]
pub struct MemoryObjectStore {
    objects: Mutex<BTreeMap<String, Vec<u8>>>,
    down: Mutex<bool>,
}

impl MemoryObjectStore {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes every later call fail with [`ObjectStoreError::Unavailable`] (`true`) or work.
    pub fn set_down(&self, down: bool) {
        *self.down.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = down;
    }

    /// Keys under `prefix`, in order.
    #[must_use]
    pub fn keys(&self, prefix: &str) -> Vec<String> {
        self.objects
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .keys()
            .filter(|key| key.starts_with(prefix))
            .cloned()
            .collect()
    }

    fn is_down(&self) -> bool {
        *self.down.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the test object store is down")]
struct Down;

#[async_trait]
impl ObjectStore for MemoryObjectStore {
    async fn put(&self, key: &str, _content_type: &str, bytes: Vec<u8>) -> Result<(), ObjectStoreError> {
        if self.is_down() {
            return Err(ObjectStoreError::Unavailable(Box::new(Down)));
        }
        self.objects.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(key.to_owned(), bytes);
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>, ObjectStoreError> {
        if self.is_down() {
            return Err(ObjectStoreError::Unavailable(Box::new(Down)));
        }
        self.objects
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(key)
            .cloned()
            .ok_or(ObjectStoreError::NotFound)
    }
}
