//! A mark in the object store around the parse of a message the receiving service stored (SES on
//! AWS), so a parse that ends the process is still an outcome. The Lambda functions are built
//! with panic = "abort" (cargo-lambda's default, kept for package size: docs/email.md, "Parser
//! panics"), where `catch_unwind` around the parse cannot help; a hostile message could also run
//! the function out of memory or time inside the parser.
//!
//! The mark at [`mark_key`] holds one of three words. Before parsing, [`begin`] writes `started`
//! (or `started again` when it finds `started`); after the parse, [`finish`] writes `finished`.
//! The parser is blamed (`rejected` / `parser-failed`, raw kept, held for staff) only when an
//! attempt finds `started again`: two attempts in a row entered the parser and neither recorded
//! a return. One unanswered `started` is not enough, because a parse that returned but whose
//! `finished` write failed leaves exactly that; the next attempt parses once more instead, and
//! a message that parses records `finished` then. `finished` is kept for good: the parse is
//! deterministic, so once any attempt returned from it, later attempts parse without marks and
//! the message can never be blamed. A `finished` write that fails is logged, not an error: the
//! parse returned and this attempt goes on to its outcome.

use crate::object_store::{ObjectStore, ObjectStoreError};

/// Where the marks are kept: under `mail/`, which intake-email may write (its attachments are
/// there too); the bucket's lifecycle rule removes them after a week, long after Lambda's last
/// retry of an event (six hours).
pub const PARSE_MARK_PREFIX: &str = "mail/parsing/";

/// One attempt entered the parser and no return was recorded (also what earlier releases wrote).
const STARTED: &[u8] = b"started";
/// Two attempts in a row entered the parser and no return was recorded: the next attempt blames
/// the parser. An aborting message thus ends two attempts and the third records it, which is
/// why intake-email's `MaximumRetryAttempts` is 2 (three attempts; infra/template.yaml).
const STARTED_AGAIN: &[u8] = b"started again";
/// A parse of these bytes returned.
const FINISHED: &[u8] = b"finished";

/// The mark's key for the raw message at `raw_key`.
#[must_use]
pub fn mark_key(raw_key: &str) -> String {
    format!("{PARSE_MARK_PREFIX}{raw_key}")
}

/// What [`begin`] found and did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Begun {
    /// Two earlier attempts entered the parser and neither returned: record `parser-failed`
    /// and do not parse.
    EndedInsideTheParser,
    /// The mark now says this attempt is parsing: parse, then call [`finish`].
    Marked,
    /// An earlier parse of the message returned: parse without marks.
    ParsedBefore,
}

/// Reads the mark of the message at `raw_key` and, unless the parser is to be blamed or an
/// earlier parse returned, records that this attempt enters the parser.
///
/// # Errors
/// When the mark cannot be read or written (the message is not parsed; the caller fails the
/// attempt and Lambda retries it).
pub async fn begin(objects: &dyn ObjectStore, raw_key: &str) -> Result<Begun, ObjectStoreError> {
    let next = match objects.get(&mark_key(raw_key)).await {
        Ok(mark) if mark == FINISHED => return Ok(Begun::ParsedBefore),
        Ok(mark) if mark == STARTED_AGAIN => return Ok(Begun::EndedInsideTheParser),
        Ok(mark) if mark == STARTED => {
            // Either the last attempt ended inside the parser or its `finished` write failed:
            // parse once more before blaming the parser.
            tracing::warn!("an earlier attempt entered the mail parser and recorded no return; parsing again");
            STARTED_AGAIN
        }
        // No mark, or one this code did not write: no evidence either way.
        Ok(_) | Err(ObjectStoreError::NotFound) => STARTED,
        Err(other) => return Err(other),
    };
    objects.put(&mark_key(raw_key), "text/plain", next.to_vec()).await?;
    Ok(Begun::Marked)
}

/// Records that the parse of the message at `raw_key` returned. A failed write is logged and
/// otherwise ignored: the worst it leaves is one unanswered `started`, which makes a retry
/// parse again rather than blame the parser.
pub async fn finish(objects: &dyn ObjectStore, raw_key: &str) {
    if let Err(error) = objects.put(&mark_key(raw_key), "text/plain", FINISHED.to_vec()).await {
        tracing::warn!(error = %error, "the parse returned but its finished mark could not be written");
    }
}
