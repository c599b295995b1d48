//! One-off backfill of the `ESCALATED` items (issue 16): the export finds a case escalated in a
//! period by its `ESCALATED#<yyyy-mm>` item, which the store writes with every create and update
//! since that item was introduced. A case escalated before then and not changed since has none,
//! so an export would miss it when it was received before the period, escalated in it and still
//! open at its end. This walk adds the missing items.
//!
//! It reads the `RECEIVED#<yyyy-mm>` partitions of the period index month by month, in pages
//! (Query, never a Scan), and for each escalated case puts its `ESCALATED` item on condition that
//! none is there: **idempotent** (a second run adds nothing, and an item a live update wrote is
//! left alone; the item is a function of the case, so both would be the same). It is
//! **resumable**: after each month it records the month in a progress item
//! (`BACKFILL#escalated` / `PROGRESS`), and a later run over the same range starts after it.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use chrono::{Datelike, NaiveDate};
use complaints_app::export_pages::{PageCursor, PeriodIndex, PeriodPages};
use complaints_app::ports::StoreError;

use crate::error::unavailable;
use crate::escalations::escalation_item;
use crate::keys::{self, Item, PK, SK, s};
use crate::{Cost, DynamoDbCaseStore};

/// Cases read per Query page of the walk.
const BACKFILL_PAGE: usize = 100;

/// The progress item's partition and sort key.
const PROGRESS_PK: &str = "BACKFILL#escalated";
const PROGRESS_SK: &str = "PROGRESS";
/// The first month of the range the recorded progress belongs to, and the last month finished.
const ATTR_SINCE: &str = "since";
const ATTR_DONE_THROUGH: &str = "done_through";

/// What one month of the walk did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthDone {
    /// The first day of the month.
    pub month: NaiveDate,
    /// Cases received in the month.
    pub cases_read: u64,
    /// Of those, cases that went from stage 1 to stage 2.
    pub escalated: u64,
    /// `ESCALATED` items written by this run (the others were there already).
    pub added: u64,
}

/// What a run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BackfillSummary {
    /// Months walked by this run.
    pub months_walked: u32,
    /// Months left out because an earlier run over the same range finished them.
    pub months_already_done: u32,
    pub cases_read: u64,
    pub escalated: u64,
    pub added: u64,
}

/// Where a run reports its progress (a terminal, or nothing).
pub trait BackfillProgress: Send {
    /// A page of cases was read in `month` (`cases_so_far` in the month).
    fn page(&mut self, _month: NaiveDate, _cases_so_far: u64) {}
    /// A month is finished.
    fn month(&mut self, _done: &MonthDone) {}
}

/// Reports nothing.
#[derive(Debug, Default)]
pub struct Quiet;
impl BackfillProgress for Quiet {}

fn first_of_month(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

fn month_label(month: NaiveDate) -> String {
    format!("{:04}-{:02}", month.year(), month.month())
}

fn month_end(first: NaiveDate) -> NaiveDate {
    first.checked_add_months(chrono::Months::new(1)).and_then(|next| next.pred_opt()).unwrap_or(first)
}

fn progress_key() -> Item {
    let mut key = Item::new();
    key.insert(PK.to_owned(), s(PROGRESS_PK));
    key.insert(SK.to_owned(), s(PROGRESS_SK));
    key
}

impl DynamoDbCaseStore {
    /// The last month an earlier run finished, if it walked from `since` (a run from another
    /// first month is a different range: its progress is not used).
    async fn backfill_done_through(&self, since: NaiveDate) -> Result<Option<String>, StoreError> {
        let mut op = Cost::default();
        let Some(item) = self.get_item(progress_key(), &mut op).await? else { return Ok(None) };
        if keys::get_s(&item, ATTR_SINCE)? != month_label(since) {
            return Ok(None);
        }
        Ok(Some(keys::get_s(&item, ATTR_DONE_THROUGH)?.to_owned()))
    }

    async fn record_backfill_progress(&self, since: NaiveDate, done: NaiveDate) -> Result<(), StoreError> {
        let mut item = progress_key();
        item.insert(ATTR_SINCE.to_owned(), s(month_label(since)));
        item.insert(ATTR_DONE_THROUGH.to_owned(), s(month_label(done)));
        self.client.put_item().table_name(&self.table).set_item(Some(item)).send().await.map_err(unavailable)?;
        Ok(())
    }

    /// Puts `item` unless an item with its key is there; true when written.
    pub(crate) async fn put_if_absent(&self, item: Item) -> Result<bool, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(context))
                if matches!(context.err(), PutItemError::ConditionalCheckFailedException(_)) =>
            {
                Ok(false)
            }
            Err(other) => Err(unavailable(other)),
        }
    }

    /// Adds the missing `ESCALATED` items of the cases received from the month of `since` to the
    /// month of `until` (both included), month by month, reporting to `progress`. Months an
    /// earlier run from the same `since` finished are left out unless `restart`.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`]: the months finished so far are recorded, so the same command
    /// run again carries on from the month that failed.
    pub async fn backfill_escalations(
        &self,
        since: NaiveDate,
        until: NaiveDate,
        restart: bool,
        progress: &mut dyn BackfillProgress,
    ) -> Result<BackfillSummary, StoreError> {
        let since = first_of_month(since);
        let done_through = if restart { None } else { self.backfill_done_through(since).await? };
        let mut summary = BackfillSummary::default();
        for month in keys::months_between(since, until) {
            if done_through.as_deref().is_some_and(|done| month_label(month).as_str() <= done) {
                summary.months_already_done += 1;
                continue;
            }
            let mut done = MonthDone { month, cases_read: 0, escalated: 0, added: 0 };
            let mut after: Option<PageCursor> = None;
            loop {
                let page = self
                    .period_page(PeriodIndex::Received, month, month_end(month), after.as_ref(), BACKFILL_PAGE)
                    .await?;
                for row in &page.cases {
                    done.cases_read += 1;
                    if let Some(item) = escalation_item(&row.stored.case) {
                        done.escalated += 1;
                        if self.put_if_absent(item).await? {
                            done.added += 1;
                        }
                    }
                }
                progress.page(month, done.cases_read);
                match page.next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
            self.record_backfill_progress(since, month).await?;
            progress.month(&done);
            summary.months_walked += 1;
            summary.cases_read += done.cases_read;
            summary.escalated += done.escalated;
            summary.added += done.added;
        }
        Ok(summary)
    }
}
