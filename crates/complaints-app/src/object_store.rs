//! The object store port: raw inbound mail, attachments and exports. STABLE signatures.

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
}
