//! A mark in the object store around the parse of a message the receiving service stored (SES on
//! AWS), so a parse that ends the process is still an outcome. The Lambda functions are built
//! with panic = "abort" (cargo-lambda's default, kept for package size: docs/email.md, "Parser
//! panics"), where `catch_unwind` around the parse cannot help; a hostile message could also run
//! the function out of memory or time inside the parser. Before parsing, intake writes
//! `started` at [`mark_key`]; after it, `finished`. An attempt that finds `started` knows the
//! last one ended inside the parser, and records the message `rejected` with the reason
//! `parser-failed` (raw kept, held for staff) instead of parsing it again, so Lambda's retry
//! ends the loop rather than sending the event to the dead-letter queue.

use crate::object_store::{ObjectStore, ObjectStoreError};

/// Where the marks are kept: under `mail/`, which intake-email may write (its attachments are
/// there too); the bucket's lifecycle rule removes them after a week, long after Lambda's last
/// retry of an event (six hours).
pub const PARSE_MARK_PREFIX: &str = "mail/parsing/";

const STARTED: &[u8] = b"started";
const FINISHED: &[u8] = b"finished";

/// The mark's key for the raw message at `raw_key`.
#[must_use]
pub fn mark_key(raw_key: &str) -> String {
    format!("{PARSE_MARK_PREFIX}{raw_key}")
}

/// True when an earlier attempt started parsing the message at `raw_key` and never finished.
///
/// # Errors
/// When the store cannot be read (the caller retries later).
pub async fn ended_inside_the_parser(objects: &dyn ObjectStore, raw_key: &str) -> Result<bool, ObjectStoreError> {
    match objects.get(&mark_key(raw_key)).await {
        Ok(mark) => Ok(mark == STARTED),
        Err(ObjectStoreError::NotFound) => Ok(false),
        Err(other) => Err(other),
    }
}

/// Records that parsing the message at `raw_key` starts now.
///
/// # Errors
/// When the mark cannot be written (the message is not parsed; the caller retries later).
pub async fn mark_started(objects: &dyn ObjectStore, raw_key: &str) -> Result<(), ObjectStoreError> {
    objects.put(&mark_key(raw_key), "text/plain", STARTED.to_vec()).await
}

/// Records that parsing the message at `raw_key` returned.
///
/// # Errors
/// When the mark cannot be written (the caller retries; the retry parses again).
pub async fn mark_finished(objects: &dyn ObjectStore, raw_key: &str) -> Result<(), ObjectStoreError> {
    objects.put(&mark_key(raw_key), "text/plain", FINISHED.to_vec()).await
}
