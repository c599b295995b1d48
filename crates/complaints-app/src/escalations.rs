//! The date the export's third read (mchp-rules §7, K2 of the escalated bucket) indexes a case by:
//! the day its stage 2 was reached from stage 1. A case received before the period, escalated in
//! it and still open at its end is neither received nor closed in the period, so the received and
//! closed indexes alone miss it; every store indexes this date, and the export reads it in pages
//! ([`crate::export_pages::PeriodIndex::Escalated`]).

use chrono::NaiveDate;
use complaints_core::case::{Case, ReportingBucket};

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
