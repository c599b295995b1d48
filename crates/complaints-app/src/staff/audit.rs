//! The audit trail of who read or changed what (R57). Changes are also on the case timeline, with
//! the actor and the moment; reads are not (a read must not change the case's version, or merely
//! opening a case would make a colleague's edit conflict), so every read and every change is
//! written here too, through the [`AuditLog`] port.

use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use complaints_core::case::ContactKey;
use complaints_core::reference::CaseRef;
use complaints_core::roles::{Permission, Role};
use serde::{Deserialize, Serialize};

use crate::ports::StoreError;

/// Whether an entry records a read or a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    Read,
    Change,
    /// Refused by the role matrix: attempts are recorded too.
    Refused,
}

/// One audit entry: no names, addresses or complaint text, only ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    /// Staff id of the actor.
    pub actor: String,
    pub role: Role,
    pub access: Access,
    /// What was done, by permission.
    pub permission: Permission,
    /// The action's name for changes (`respond`, `close`…), else the permission's.
    pub action: String,
    /// The case read or changed, when there is one.
    pub reference: Option<CaseRef>,
    /// The contact whose data was exported (subject access), as its keyed hash.
    pub contact: Option<ContactKey>,
}

/// Where audit entries go.
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Records one entry.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the entry could not be written; the caller refuses the
    /// read rather than let it go unrecorded.
    async fn record(&self, entry: AuditEntry) -> Result<(), StoreError>;

    /// The entries about case `reference`, oldest first (the staff workspace shows who viewed a
    /// case on its timeline). A log that cannot be read back (a log stream) answers none.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn entries_for(&self, reference: &CaseRef) -> Result<Vec<AuditEntry>, StoreError> {
        let _ = reference;
        Ok(Vec::new())
    }
}

/// An audit log that writes each entry as a structured log line (target `audit`), which the
/// platform's log retention keeps (CloudWatch Logs on AWS). Entries hold ids only, so the log
/// stays free of personal data.
#[derive(Debug, Clone, Copy, Default)]
pub struct TracingAuditLog;

#[async_trait]
impl AuditLog for TracingAuditLog {
    async fn record(&self, entry: AuditEntry) -> Result<(), StoreError> {
        tracing::info!(
            target: "audit",
            at = %entry.at.to_rfc3339(),
            actor = %entry.actor,
            role = entry.role.as_str(),
            access = ?entry.access,
            permission = entry.permission.as_str(),
            action = %entry.action,
            case_ref = entry.reference.as_ref().map(ToString::to_string).unwrap_or_default(),
            contact = entry.contact.as_ref().map(|key| key.0.as_str()).unwrap_or_default(),
            "audit"
        );
        Ok(())
    }
}

/// An audit log kept in memory, for tests and for reading back what was recorded.
#[derive(Debug, Default)]
pub struct MemoryAuditLog(Mutex<Vec<AuditEntry>>);

impl MemoryAuditLog {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Every entry so far, oldest first.
    #[must_use]
    pub fn entries(&self) -> Vec<AuditEntry> {
        self.0.lock().map(|entries| entries.clone()).unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }
}

#[async_trait]
impl AuditLog for MemoryAuditLog {
    async fn record(&self, entry: AuditEntry) -> Result<(), StoreError> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(entry);
        Ok(())
    }

    async fn entries_for(&self, reference: &CaseRef) -> Result<Vec<AuditEntry>, StoreError> {
        Ok(self.entries().into_iter().filter(|entry| entry.reference.as_ref() == Some(reference)).collect())
    }
}
