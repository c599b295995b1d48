//! The object store port: raw inbound mail, attachments and exports. STABLE signatures.

use std::path::Path;

use async_trait::async_trait;

/// What an object store operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ObjectStoreError {
    #[error("no such object")]
    NotFound,
    #[error("object store unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Keeps blobs by key (e.g. `raw-mail/2026/11/25/<id>.eml`, `exports/2026-Q3/report.html`).
#[async_trait]
pub trait ObjectStore: Send + Sync {
    /// Stores `bytes` at `key`, replacing any object there.
    ///
    /// # Errors
    /// [`ObjectStoreError::Unavailable`].
    async fn put(&self, key: &str, content_type: &str, bytes: Vec<u8>) -> Result<(), ObjectStoreError>;

    /// Reads the object at `key`.
    ///
    /// # Errors
    /// [`ObjectStoreError::NotFound`]; [`ObjectStoreError::Unavailable`].
    async fn get(&self, key: &str) -> Result<Vec<u8>, ObjectStoreError>;

    /// Stores the contents of the local file at `path` at `key` (an attachment decoded to a
    /// temporary file before the parse). This default reads the file whole and calls
    /// [`ObjectStore::put`]; a store that can stream a file (S3) does, so a large attachment is
    /// never held in memory.
    ///
    /// # Errors
    /// [`ObjectStoreError::Unavailable`], also when the file cannot be read.
    async fn put_from_file(&self, key: &str, content_type: &str, path: &Path) -> Result<(), ObjectStoreError> {
        let bytes = tokio::fs::read(path).await.map_err(|error| ObjectStoreError::Unavailable(Box::new(error)))?;
        self.put(key, content_type, bytes).await
    }
}
