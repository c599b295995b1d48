//! Storing a large object from a local file without holding it in memory (issue 16 §3: the
//! export's `cases.csv` grows with the period's cases, so on AWS it is written to a temporary file
//! and streamed up from there, never built in memory).

use std::path::Path;

use async_trait::async_trait;

use crate::object_store::ObjectStoreError;

/// Stores the contents of a local file as an object, reading it a part at a time.
#[async_trait]
pub trait FileUpload: Send + Sync {
    /// Stores the file at `path` under `key`, replacing any object there. Memory held is bounded
    /// by the store's part size, not by the file's length. A failed upload leaves nothing behind
    /// (no object, no unfinished parts to pay for).
    ///
    /// # Errors
    /// [`ObjectStoreError::Unavailable`], also when the file cannot be read.
    async fn put_file(&self, key: &str, content_type: &str, path: &Path) -> Result<(), ObjectStoreError>;
}
