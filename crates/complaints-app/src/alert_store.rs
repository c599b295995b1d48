//! The port the breach scan writes through: alert markers, the alerts' timeline entries and the
//! digest lines that carry them, all in one transaction per batch (architecture §4: "each breach
//! alert at most once per (case, clock, level, deadline version)"); the digest drafts turned into
//! pending mail once per recipient per run, each in one transaction with the draft's removal; the
//! alert index (the date the scan next needs each open case); and the calendar version the open
//! cases were last recomputed with (R13).

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use complaints_core::reference::CaseRef;
use complaints_core::timeline::TimelineEvent;

use crate::outbound::NewMessage;
use crate::ports::{StoreError, StoredCase};

/// The most alerts one batch may carry. On DynamoDB a batch is one `TransactWriteItems` of at
/// most 100 actions: two per alert (marker, timeline entry) plus one per recipient's digest draft,
/// so 30 alerts leave room for 40 recipients.
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

/// A recipient's digest of one run, while the run is adding lines to it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DraftKey {
    /// The run: its scheduled time and a per-invocation id, so overlapping runs never share a draft.
    pub run: String,
    /// The staff address the digest goes to.
    pub recipient: String,
}

/// Lines a batch adds to one recipient's draft (opaque to the store: the scan's serialised alerts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftLines {
    pub key: DraftKey,
    pub lines: Vec<String>,
}

/// Alerts and the digest lines that carry them, written all or nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertBatch {
    /// When the run was scheduled: the drafts' `updated` time.
    pub at: DateTime<Utc>,
    pub alerts: Vec<AlertEntry>,
    /// Lines appended to each recipient's draft (created when missing).
    pub drafts: Vec<DraftLines>,
}

impl AlertBatch {
    /// How many store actions the batch takes (two per alert, one per draft).
    #[must_use]
    pub fn actions(&self) -> usize {
        self.alerts.len() * 2 + self.drafts.len()
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

/// A digest draft as stored: every line the run's batches added, and its version (one more per
/// batch that added lines), so sending it can make sure no line arrived meanwhile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestDraft {
    pub key: DraftKey,
    pub lines: Vec<String>,
    pub version: u64,
    /// The `at` of the last batch that added lines.
    pub updated: DateTime<Utc>,
}

/// How sending a draft ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestSent {
    /// The digest is pending mail and the draft is gone, together.
    Sent,
    /// Nothing was written: the draft gained lines or was sent by another run meanwhile.
    Changed,
}

/// Where alert markers, digests and the alert index are written. Every case store implements it;
/// the same contract suite runs against each.
#[async_trait]
pub trait AlertStore: Send + Sync {
    /// Places every marker of `batch` (each must be new), appends each alert's timeline entry to
    /// its case and appends the lines to the recipients' drafts, in one transaction.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] on backend failure (nothing written); a batch over
    /// [`MAX_BATCH_ACTIONS`] is refused the same way.
    async fn commit_alerts(&self, batch: AlertBatch) -> Result<AlertCommit, StoreError>;

    /// Every digest draft not yet sent (of this run, and of runs that stopped before sending).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn digest_drafts(&self) -> Result<Vec<DigestDraft>, StoreError>;

    /// Writes `message` as pending mail and removes the draft, in one transaction, when the draft
    /// is still at `draft.version`; otherwise writes nothing.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn send_digest(&self, draft: &DigestDraft, message: NewMessage) -> Result<DigestSent, StoreError>;

    /// The open cases whose alert index date is on or before `horizon`. A case's alert index date
    /// is its next due date after every write of the case, and what the scan set with
    /// [`AlertStore::set_alert_date`] since; closed cases and cases the scan has nothing more for
    /// are not in the index.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn alert_due_by(&self, horizon: NaiveDate) -> Result<Vec<StoredCase>, StoreError>;

    /// Sets the alert index date of a case still at `version` (`None` takes it out of the index
    /// until its next write); a case written since is left alone (its write reset the date).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn set_alert_date(
        &self,
        reference: &CaseRef,
        version: u64,
        date: Option<NaiveDate>,
    ) -> Result<(), StoreError>;

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
