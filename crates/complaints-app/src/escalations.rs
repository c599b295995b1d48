//! The third read of the export (mchp-rules §7, K2 of the escalated bucket): the cases whose stage
//! 2 was reached from stage 1 in a period. A case received before the period, escalated in it and
//! still open at its end is neither received nor closed in the period, so the received and closed
//! indexes alone miss it; every store indexes the escalation date for this query.

use async_trait::async_trait;
use chrono::NaiveDate;
use complaints_core::case::{Case, ReportingBucket};

use crate::ports::{StoreError, StoredCase};

/// The date K2 counts an escalated case's stage 2 by: the customer's request, or the
/// organisation's decision to move it (`StageReport::received_on` of its escalated report).
/// `None` for a case that never went from stage 1 to stage 2.
#[must_use]
pub fn escalated_on(case: &Case) -> Option<NaiveDate> {
    case.stage_reports()
        .iter()
        .find(|report| report.bucket == ReportingBucket::Escalated && !report.reopened)
        .and_then(|report| report.received_on)
}

/// Where the export finds the cases escalated in a period. Every case store implements it; the
/// export store contract suite checks each.
#[async_trait]
pub trait EscalatedCases: Send + Sync {
    /// Cases whose [`escalated_on`] date is in `from..=to` (both included).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn escalated_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<StoredCase>, StoreError>;
}
