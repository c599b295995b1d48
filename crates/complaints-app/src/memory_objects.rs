//! The in-memory [`ObjectStore`] (feature `testing`) every test double of S3 uses: raw mail and
//! social deliveries, attachments, exports. It can be told to be unavailable. Not for production.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;

use crate::object_store::{ObjectStore, ObjectStoreError};

/// Objects in a map; [`MemoryObjectStore::set_down`] makes every call fail as unavailable.
#[derive(Debug, Default)]
pub struct MemoryObjectStore {
    objects: Mutex<BTreeMap<String, Vec<u8>>>,
    down: AtomicBool,
}

impl MemoryObjectStore {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes every later call fail with [`ObjectStoreError::Unavailable`] (`true`) or work again.
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    /// The keys under `prefix` (`""`: every key), in order.
    #[must_use]
    pub fn keys(&self, prefix: &str) -> Vec<String> {
        self.objects().keys().filter(|key| key.starts_with(prefix)).cloned().collect()
    }

    /// The bytes at `key`.
    #[must_use]
    pub fn bytes(&self, key: &str) -> Option<Vec<u8>> {
        self.objects().get(key).cloned()
    }

    fn objects(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Vec<u8>>> {
        self.objects.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn check_up(&self) -> Result<(), ObjectStoreError> {
        if self.down.load(Ordering::SeqCst) { Err(ObjectStoreError::Unavailable(Box::new(Down))) } else { Ok(()) }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the object store is down (test double)")]
struct Down;

#[async_trait]
impl ObjectStore for MemoryObjectStore {
    async fn put(&self, key: &str, _content_type: &str, bytes: Vec<u8>) -> Result<(), ObjectStoreError> {
        self.check_up()?;
        self.objects().insert(key.to_owned(), bytes);
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>, ObjectStoreError> {
        self.check_up()?;
        self.bytes(key).ok_or(ObjectStoreError::NotFound)
    }
}
