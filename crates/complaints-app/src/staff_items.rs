//! The port for things kept for staff that belong to no case (issue 15: social deliveries that
//! were quarantined, public mentions kept for triage, deliveries for an account that is not ours,
//! attachments that could not be fetched). Each is a small record pointing at what was kept in
//! the object store; the staff workspace lists the open ones (`/staff/flagged`) and marks them
//! seen. Records hold no complaint text or names: a kind, a source, a log-safe reason and a key.
//!
//! Every case store implements it (memory, SQLite, DynamoDB); the same contract suite
//! (`staff_items_contract`) runs against each.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ports::StoreError;

/// The most items one listing returns.
pub const MAX_STAFF_ITEMS_PAGE: usize = 500;

/// What kind of item it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StaffItemKind {
    /// A genuine delivery (or part of one) we could not read, or one for an account that is not
    /// ours: kept as received for someone to look at.
    Quarantine,
    /// A public comment or mention: staff decide whether to invite the person to message
    /// privately (R50: never discussed in public).
    Triage,
    /// An attachment that could not be fetched after its retries (the case says which).
    AttachmentFailed,
}

impl StaffItemKind {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Quarantine => "quarantine",
            Self::Triage => "triage",
            Self::AttachmentFailed => "attachment-failed",
        }
    }

    /// The kind named by [`Self::as_str`].
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Quarantine, Self::Triage, Self::AttachmentFailed].into_iter().find(|kind| kind.as_str() == text)
    }
}

/// One item for staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffItem {
    /// Unique and stable: a repeat of the same record is not written twice.
    pub id: String,
    pub kind: StaffItemKind,
    /// Where it came from, log-safe (`meta`, `x`, `messenger`…).
    pub source: String,
    /// Why it is here, log-safe (no names, no text).
    pub reason: String,
    /// What was kept, in the object store (the raw delivery).
    pub object_key: String,
    /// The case it concerns, when there is one (a failed attachment).
    pub case_ref: Option<String>,
    pub received_at: DateTime<Utc>,
    /// When a member of staff marked it dealt with; `None` while open.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Who did (their user id).
    pub resolved_by: Option<String>,
}

/// How writing an item ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemWrite {
    Written,
    /// An item with this id exists: nothing changed.
    AlreadyThere,
}

/// Where items for staff are kept.
#[async_trait]
pub trait StaffItemStore: Send + Sync {
    /// Writes `item` unless one with its id exists.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] on backend failure.
    async fn record_staff_item(&self, item: &StaffItem) -> Result<ItemWrite, StoreError>;

    /// The open items, newest first, at most `limit` (capped at [`MAX_STAFF_ITEMS_PAGE`]).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] on backend failure.
    async fn open_staff_items(&self, limit: usize) -> Result<Vec<StaffItem>, StoreError>;

    /// Marks an item dealt with. `Ok(false)` when there is no open item with that id.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] on backend failure.
    async fn resolve_staff_item(&self, id: &str, by: &str, at: DateTime<Utc>) -> Result<bool, StoreError>;

    /// The item with `id`, open or dealt with (the workspace names its case in the audit entry
    /// when it is marked dealt with). The default looks through the open items only; every store
    /// reads the one item by its key instead.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] on backend failure.
    async fn staff_item(&self, id: &str) -> Result<Option<StaffItem>, StoreError> {
        Ok(self.open_staff_items(MAX_STAFF_ITEMS_PAGE).await?.into_iter().find(|item| item.id == id))
    }
}
