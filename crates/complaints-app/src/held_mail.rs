//! Mail kept for staff without a case: what email intake took in as a `robot` (auto-replies,
//! lists, no-reply senders, our own domain), `rejected` (too large, unreadable, empty, refused by
//! the intake rules) or as a `bounce` that names no message of ours. Each gets one small record
//! (no message text: the sender, subject, reason and where the raw message is), listed newest
//! first for the staff workspace's flagged page, so a real complaint that looked like a robot is
//! never lost unseen. A record lasts as long as its raw message: it expires when the raw-mail
//! bucket's lifecycle rule deletes the message (`RawMailRetentionDays`), or never where raw mail
//! is kept for good (the local data folder).

use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ports::StoreError;

/// Subjects are kept to this many characters (a header can be any length).
pub const MAX_HELD_SUBJECT_CHARS: usize = 200;

/// One message kept for staff without a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldMail {
    /// Stable for a message: from its raw key ([`held_mail_id`]), so a retry records it once.
    pub id: String,
    pub received_at: DateTime<Utc>,
    /// The intake outcome: `robot`, `rejected` or `bounce`.
    pub outcome: String,
    /// The outcome's reason (`auto-submitted`, `too-large`, `bounce`…).
    pub reason: String,
    /// Where the raw message is kept.
    pub raw_key: String,
    /// The sender's Message-ID, without angle brackets.
    pub message_id: Option<String>,
    /// The From address, when the message had one.
    pub from: Option<String>,
    pub subject: String,
    /// When the raw message is deleted, and this record with it; `None`: kept.
    pub expires_at: Option<DateTime<Utc>>,
}

/// The id of the record for the raw message at `raw_key`.
#[must_use]
pub fn held_mail_id(raw_key: &str) -> String {
    hex::encode(&Sha256::digest(raw_key.as_bytes())[..16])
}

/// Where mail kept for staff without a case is recorded.
#[async_trait]
pub trait HeldMailStore: Send + Sync {
    /// Records `mail` once: a record with the same id already there is left as it is.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn hold_mail(&self, mail: &HeldMail) -> Result<(), StoreError>;

    /// Records not expired at `now`, newest first, at most `limit`.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn held_mail(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<HeldMail>, StoreError>;
}

/// [`HeldMailStore`] in memory (tests, benchmarks).
#[derive(Debug, Default)]
pub struct MemoryHeldMail {
    records: Mutex<Vec<HeldMail>>,
}

impl MemoryHeldMail {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl HeldMailStore for MemoryHeldMail {
    async fn hold_mail(&self, mail: &HeldMail) -> Result<(), StoreError> {
        let mut records = self.records.lock().map_err(|_| StoreError::Unavailable("lock poisoned".into()))?;
        if !records.iter().any(|r| r.id == mail.id) {
            records.push(mail.clone());
        }
        Ok(())
    }

    async fn held_mail(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<HeldMail>, StoreError> {
        let records = self.records.lock().map_err(|_| StoreError::Unavailable("lock poisoned".into()))?;
        Ok(newest_unexpired(records.iter().cloned(), now, limit))
    }
}

/// The records not expired at `now`, newest first (then by id), at most `limit`.
#[must_use]
pub fn newest_unexpired(
    records: impl IntoIterator<Item = HeldMail>,
    now: DateTime<Utc>,
    limit: usize,
) -> Vec<HeldMail> {
    let mut list: Vec<HeldMail> = records.into_iter().filter(|r| r.expires_at.is_none_or(|at| at > now)).collect();
    list.sort_by(|a, b| b.received_at.cmp(&a.received_at).then_with(|| a.id.cmp(&b.id)));
    list.truncate(limit);
    list
}
