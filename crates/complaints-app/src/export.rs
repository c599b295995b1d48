//! The quarterly and annual export (mchp-rules §7): read the period's cases month by month,
//! feed them once each to the streaming writer, and store the files under
//! `exports/<reporting year>/<quarter>/`.
//!
//! Reads: for each month of the period, the cases received in it, the cases with a stage ended
//! (or a not-a-complaint decision) in it and the cases escalated in it, each read in pages of
//! [`EXPORT_PAGE_SIZE`] rows ([`PeriodPages::period_page`], keyset pages on every store), so one
//! page is held at a time however busy the month. A case can come back from several of those
//! reads; it is fed exactly once, decided from the case alone (no set of seen references is kept):
//! - received in the period → fed by the received read of its receipt month;
//! - else with an ending in the period → by the closed index's row of its first ending;
//! - else escalated in the period (received before it, still open at its end) → by the
//!   escalated read of its escalation month.

use std::io::Write;

use complaints_core::indicators::{ExportCase, Period, PopulationBase, month_of};
use complaints_core::learning::LearningAction;
use complaints_reports::{
    ExportOptions, ExportWriter, Finished, INDICATORS_JSON, QuarterTotals, ReportError, export_prefix,
};

use crate::escalations::escalated_on;
use crate::export_pages::{PageCursor, PeriodIndex, PeriodPages};
use crate::object_store::{ObjectStore, ObjectStoreError};
use crate::object_upload::FileUpload;
use crate::ports::{CaseStore, StoreError};

/// What the export reads: a case store that also reads its period indexes (received, closed,
/// escalated) in pages (every real store is both).
pub trait ExportSource: CaseStore + PeriodPages {}
impl<T: CaseStore + PeriodPages> ExportSource for T {}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("could not read the cases")]
    Store(#[from] StoreError),
    #[error("could not write the export")]
    Report(#[from] ReportError),
    #[error("could not store the export files")]
    Objects(#[from] ObjectStoreError),
}

/// The last day of the month starting on `first`.
fn month_end(first: chrono::NaiveDate) -> chrono::NaiveDate {
    first.checked_add_months(chrono::Months::new(1)).and_then(|next| next.pred_opt()).unwrap_or(first)
}

/// The date of the first ending of `case` in `period` (a stage ended, or the not-a-complaint
/// decision): the closed index's row of that date feeds a case not received in the period.
fn first_ending_in(case: &ExportCase, period: Period) -> Option<chrono::NaiveDate> {
    case.reports
        .iter()
        .filter_map(|r| r.ended_on)
        .chain(case.not_a_complaint_on)
        .filter(|on| period.contains(*on))
        .min()
}

/// Rows per page of the period reads: the export holds one page of cases at a time, so its
/// memory does not grow with the busiest month (issue 16 §3).
pub const EXPORT_PAGE_SIZE: usize = 500;

/// Feeds every case of `period` to `feed`, once each, reading month by month in pages of
/// [`EXPORT_PAGE_SIZE`]. Returns the number of store queries (pages) made.
///
/// # Errors
/// [`ExportError::Store`]; whatever `feed` returns.
pub async fn feed_period<F>(store: &dyn ExportSource, period: Period, feed: F) -> Result<u32, ExportError>
where
    F: FnMut(&ExportCase) -> Result<(), ExportError>,
{
    feed_period_paged(store, period, EXPORT_PAGE_SIZE, feed).await
}

/// [`feed_period`] with pages of `page_size` rows.
///
/// # Errors
/// [`ExportError::Store`]; whatever `feed` returns.
pub async fn feed_period_paged<F>(
    store: &dyn ExportSource,
    period: Period,
    page_size: usize,
    mut feed: F,
) -> Result<u32, ExportError>
where
    F: FnMut(&ExportCase) -> Result<(), ExportError>,
{
    let mut queries = 0;
    for month in period.months() {
        let end = month_end(month);
        for index in [PeriodIndex::Received, PeriodIndex::Closed, PeriodIndex::Escalated] {
            let mut after: Option<PageCursor> = None;
            // The previous row: a store may list one (date, case) twice in a row; it is fed once.
            let mut previous: Option<(chrono::NaiveDate, String)> = None;
            loop {
                let page = store.period_page(index, month, end, after.as_ref(), page_size).await?;
                queries += 1;
                for row in page.cases {
                    let key = (row.on, row.stored.case.reference().to_string());
                    if previous.as_ref() == Some(&key) {
                        continue;
                    }
                    previous = Some(key);
                    let case = ExportCase::from_case(&row.stored.case);
                    let received_in_period = period.contains(row.stored.case.received_on());
                    let feeds = match index {
                        PeriodIndex::Received => true,
                        // Fed at the row of its first ending in the period.
                        PeriodIndex::Closed => !received_in_period && first_ending_in(&case, period) == Some(row.on),
                        PeriodIndex::Escalated => {
                            !received_in_period
                                && first_ending_in(&case, period).is_none()
                                && escalated_on(&row.stored.case).is_some_and(|on| month_of(on) == month)
                        }
                    };
                    if feeds {
                        feed(&case)?;
                    }
                }
                match page.next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
        }
    }
    Ok(queries)
}

/// Reads the period's cases and writes the export, `cases.csv` to `cases_out`.
///
/// # Errors
/// [`ExportError`].
pub async fn export_period<W: Write>(
    store: &dyn ExportSource,
    period: Period,
    cases_out: W,
    learning: &[LearningAction],
    history: Vec<QuarterTotals>,
    options: &ExportOptions,
) -> Result<(Finished, W), ExportError> {
    let population: Option<PopulationBase> = options.population.clone();
    let mut writer = ExportWriter::new(period, population, cases_out)?;
    feed_period(store, period, |case| writer.add(case).map_err(ExportError::from)).await?;
    Ok(writer.finish(learning, history, options)?)
}

/// The periods whose `indicators.json` the trend chart of `period` uses: the three quarters
/// before a quarter, or the four quarters of a year (oldest first).
#[must_use]
pub fn history_periods(period: Period) -> Vec<Period> {
    match period.quarter {
        Some(_) => {
            let mut periods = Vec::new();
            let mut at = period;
            for _ in 0..3 {
                at = at.previous_quarter();
                periods.push(at);
            }
            periods.reverse();
            periods
        }
        None => (1..=4).filter_map(|q| Period::quarter(period.year, q)).collect(),
    }
}

/// The trend chart's earlier quarters, from their stored `indicators.json`; a quarter never
/// exported is left out.
///
/// # Errors
/// [`ExportError::Objects`] when the object store fails; [`ExportError::Report`] when a stored
/// file is not an indicators file.
pub async fn read_history(objects: &dyn ObjectStore, period: Period) -> Result<Vec<QuarterTotals>, ExportError> {
    let mut history = Vec::new();
    for earlier in history_periods(period) {
        let key = format!("{}{INDICATORS_JSON}", export_prefix(earlier));
        match objects.get(&key).await {
            Ok(bytes) => history.push(QuarterTotals::from_indicators_json(&bytes)?),
            Err(ObjectStoreError::NotFound) => {}
            Err(err) => return Err(err.into()),
        }
    }
    Ok(history)
}

/// Stores the files of a finished export under its prefix (the same keys and bytes on a re-run).
/// Returns the keys written.
///
/// # Errors
/// [`ExportError::Objects`].
pub async fn publish(
    objects: &dyn ObjectStore,
    period: Period,
    finished: &Finished,
    cases_csv: Vec<u8>,
) -> Result<Vec<String>, ExportError> {
    let key = format!("{}{}", export_prefix(period), complaints_reports::CASES_CSV);
    objects.put(&key, CASES_CSV_TYPE, cases_csv).await?;
    let mut keys = vec![key];
    keys.extend(publish_small_files(objects, period, finished).await?);
    Ok(keys)
}

/// The content type `cases.csv` is stored with.
const CASES_CSV_TYPE: &str = "text/csv; charset=utf-8";

/// [`publish`] with `cases.csv` streamed from the local file at `cases_csv` (on AWS: a file in
/// /tmp), a part at a time, so the export's memory does not grow with the period's cases.
///
/// # Errors
/// [`ExportError::Objects`].
pub async fn publish_streamed(
    objects: &dyn ObjectStore,
    uploads: &dyn FileUpload,
    period: Period,
    finished: &Finished,
    cases_csv: &std::path::Path,
) -> Result<Vec<String>, ExportError> {
    let key = format!("{}{}", export_prefix(period), complaints_reports::CASES_CSV);
    uploads.put_file(&key, CASES_CSV_TYPE, cases_csv).await?;
    let mut keys = vec![key];
    keys.extend(publish_small_files(objects, period, finished).await?);
    Ok(keys)
}

/// indicators.json, indicators.csv, report.html and manifest.json (each a few kilobytes).
async fn publish_small_files(
    objects: &dyn ObjectStore,
    period: Period,
    finished: &Finished,
) -> Result<Vec<String>, ExportError> {
    let prefix = export_prefix(period);
    let mut keys = Vec::new();
    for (name, content_type, bytes) in &finished.files {
        let key = format!("{prefix}{name}");
        objects.put(&key, content_type, bytes.clone()).await?;
        keys.push(key);
    }
    Ok(keys)
}

/// The headline figures, as a fixed-width table for a terminal or an email.
#[must_use]
pub fn headline_table(finished: &Finished) -> String {
    let figures = &finished.indicators;
    let mut text = format!("Complaints {} ({} to {})\n", figures.period, figures.from, figures.to);
    text.push_str(&format!(
        "{:<16} {:>9} {:>7} {:>9} {:>8} {:>9} {:>9}\n",
        "bucket", "received", "closed", "in time", "in time%", "avg days", "upheld%"
    ));
    let number = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.1}"));
    for bucket in figures.buckets.iter().chain([&figures.total]) {
        text.push_str(&format!(
            "{:<16} {:>9} {:>7} {:>9} {:>8} {:>9} {:>9}\n",
            bucket.name,
            bucket.k2_received,
            bucket.closed,
            bucket.k3_within_timescale.n,
            number(bucket.k3_within_timescale.percent),
            number(bucket.k4_average_working_days),
            number(bucket.upheld_any.percent),
        ));
    }
    if figures.total.k3_timeliness_not_recorded > 0 {
        text.push_str(&format!(
            "in time%: of the closures with a recorded timing; {} closure(s) without one are left out\n",
            figures.total.k3_timeliness_not_recorded
        ));
    }
    text.push_str(&format!(
        "not a complaint: {}; learning actions completed: {}\n",
        figures.not_a_complaint,
        figures.learning.len()
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quarter_trends_over_the_three_before_it_and_a_year_over_its_four() {
        let names = |p: &str| -> Vec<String> {
            history_periods(Period::parse(p).expect("period")).iter().map(ToString::to_string).collect()
        };
        assert_eq!(names("2026-27-Q2"), ["2025-26-Q3", "2025-26-Q4", "2026-27-Q1"]);
        assert_eq!(names("2026-27"), ["2026-27-Q1", "2026-27-Q2", "2026-27-Q3", "2026-27-Q4"]);
    }
}
