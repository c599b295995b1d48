//! The port the breach scan writes through: alert markers, the alerts' timeline entries and the
//! digests that carry them, all in one transaction (architecture §4: "each breach alert at most
//! once per (case, clock, level, deadline version)"), and the calendar version the open cases were
//! last recomputed with (R13).

use async_trait::async_trait;
use complaints_core::reference::CaseRef;
use complaints_core::timeline::TimelineEvent;

use crate::outbound::NewMessage;
use crate::ports::StoreError;

/// The most alerts one batch may carry. On DynamoDB a batch is one `TransactWriteItems` of at
/// most 100 actions: two per alert (marker, timeline entry) plus one per digest, so 30 alerts
/// leave room for 40 digests.
pub const MAX_ALERTS_PER_BATCH: usize = 30;

/// The most actions one batch may hold in all (DynamoDB's transaction limit).
pub const MAX_BATCH_ACTIONS: usize = 100;

/// One alert of a batch: its once-only marker and the timeline entry on its case.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertEntry {
    /// [`complaints_core::alerts::Alert::marker`]: the (case, stage, clock, level, deadline version) key.
    pub marker: String,
    pub reference: CaseRef,
    pub event: TimelineEvent,
}

/// Alerts and the digests that carry them, written all or nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertBatch {
    pub alerts: Vec<AlertEntry>,
    /// Staff digests (`case_ref: None`, `recipient_key: None`), written as pending mail.
    pub digests: Vec<NewMessage>,
}

impl AlertBatch {
    /// How many store actions the batch takes (two per alert, one per digest).
    #[must_use]
    pub fn actions(&self) -> usize {
        self.alerts.len() * 2 + self.digests.len()
    }
}

/// How a batch ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertCommit {
    /// Everything was written.
    Written,
    /// Nothing was written: these markers were placed already (by an overlapping or an earlier
    /// run). The caller drops those alerts and composes the rest again.
    AlreadyPlaced { markers: Vec<String> },
}

/// Where alert markers and digests are written. Every case store implements it; the same
/// contract suite runs against each.
#[async_trait]
pub trait AlertStore: Send + Sync {
    /// Places every marker of `batch` (each must be new), appends each alert's timeline entry to
    /// its case and writes the digests as pending mail, in one transaction.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] on backend failure (nothing written); a batch over
    /// [`MAX_BATCH_ACTIONS`] is refused the same way.
    async fn commit_alerts(&self, batch: AlertBatch) -> Result<AlertCommit, StoreError>;

    /// True when the open cases were recomputed with this calendar version already (R13).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn calendar_applied(&self, version: &str) -> Result<bool, StoreError>;

    /// Records that every open case was recomputed with this calendar version.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn mark_calendar_applied(&self, version: &str) -> Result<(), StoreError>;
}
