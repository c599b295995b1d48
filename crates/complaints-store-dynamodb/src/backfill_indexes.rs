//! One-off backfill of the indexes written with a case (issue 12, [`crate::indexes`]) for cases
//! written before they existed: name items (needs the search key), the SPSO referral item, and
//! the register items of flags already on timelines.
//!
//! Like [`crate::backfill`] it reads the `RECEIVED#<yyyy-mm>` partitions of the period index
//! month by month in Query pages (never a Scan); for each case it reads the case's timeline (one
//! Query of its partition) for flags, and puts each missing item on condition that none is there:
//! **idempotent** (a flag staff have dealt with since is left alone) and **resumable** (the last
//! month finished is recorded in `BACKFILL#indexes` / `PROGRESS`; a later run over the same range
//! starts after it).
//!
//! The name items it puts are those this version writes (`name_items`:
//! folded prefixes). A record of progress made by a version that wrote other name items (whole
//! tokens with their accents, no `names` attribute) counts for nothing, so the same command walks
//! every month again after an upgrade. The older items stay: they are never looked up, or mean
//! what the new ones mean (see [`crate::indexes`]).

use chrono::NaiveDate;
use complaints_app::export_pages::{PageCursor, PeriodIndex, PeriodPages};
use complaints_app::ports::{CaseStore, StoreError};

use crate::backfill::{BackfillProgress, MonthDone};
use crate::indexes::{flag_items, referral_item};
use crate::keys::{self, Item, PK, SK, s};
use crate::{Cost, DynamoDbCaseStore};

/// Cases read per Query page of the walk.
const BACKFILL_PAGE: usize = 100;
const PROGRESS_PK: &str = "BACKFILL#indexes";
const PROGRESS_SK: &str = "PROGRESS";
const ATTR_SINCE: &str = "since";
const ATTR_DONE_THROUGH: &str = "done_through";
/// Which name items the recorded progress put: a run by an earlier version must be done again.
const ATTR_NAMES: &str = "names";
const NAMES_VERSION: &str = "folded-prefixes";

/// What a run added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IndexBackfillSummary {
    pub months_walked: u32,
    pub months_already_done: u32,
    pub cases_read: u64,
    pub name_items: u64,
    pub referral_items: u64,
    pub flag_items: u64,
}

fn month_label(month: NaiveDate) -> String {
    month.format("%Y-%m").to_string()
}

fn progress_key() -> Item {
    Item::from([(PK.to_owned(), s(PROGRESS_PK)), (SK.to_owned(), s(PROGRESS_SK))])
}

impl DynamoDbCaseStore {
    /// Adds the missing index items of the cases received from the month of `since` to the month
    /// of `until` (both included), reporting to `progress`. Months an earlier run from the same
    /// `since` finished are left out unless `restart`. Without a search key
    /// ([`DynamoDbCaseStore::with_search_key`]) no name items are added.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`]: the months finished so far are recorded, so the same command
    /// run again carries on from the month that failed.
    pub async fn backfill_indexes(
        &self,
        since: NaiveDate,
        until: NaiveDate,
        restart: bool,
        progress: &mut dyn BackfillProgress,
    ) -> Result<IndexBackfillSummary, StoreError> {
        let since = keys::months_between(since, since).first().copied().unwrap_or(since);
        let mut op = Cost::default();
        let done_through = match self.get_item(progress_key(), &mut op).await? {
            Some(item)
                if !restart
                    && keys::get_s(&item, ATTR_SINCE)? == month_label(since)
                    && keys::get_s(&item, ATTR_NAMES).is_ok_and(|names| names == NAMES_VERSION) =>
            {
                Some(keys::get_s(&item, ATTR_DONE_THROUGH)?.to_owned())
            }
            _ => None,
        };
        let mut summary = IndexBackfillSummary::default();
        for month in keys::months_between(since, until) {
            if done_through.as_deref().is_some_and(|done| month_label(month).as_str() <= done) {
                summary.months_already_done += 1;
                continue;
            }
            let mut done = MonthDone { month, cases_read: 0, escalated: 0, added: 0 };
            let last = month.checked_add_months(chrono::Months::new(1)).and_then(|d| d.pred_opt()).unwrap_or(month);
            let mut after: Option<PageCursor> = None;
            loop {
                let page = self.period_page(PeriodIndex::Received, month, last, after.as_ref(), BACKFILL_PAGE).await?;
                for row in &page.cases {
                    let case = &row.stored.case;
                    done.cases_read += 1;
                    for item in self.name_items(case) {
                        if self.put_if_absent(item).await? {
                            summary.name_items += 1;
                            done.added += 1;
                        }
                    }
                    if let Some(item) = referral_item(case)
                        && self.put_if_absent(item).await?
                    {
                        summary.referral_items += 1;
                        done.added += 1;
                    }
                    let timeline = self.timeline(case.reference()).await?;
                    for item in flag_items(case.reference(), &timeline)? {
                        if self.put_if_absent(item).await? {
                            summary.flag_items += 1;
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
            let mut item = progress_key();
            item.insert(ATTR_SINCE.to_owned(), s(month_label(since)));
            item.insert(ATTR_DONE_THROUGH.to_owned(), s(month_label(month)));
            item.insert(ATTR_NAMES.to_owned(), s(NAMES_VERSION));
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .send()
                .await
                .map_err(crate::error::unavailable)?;
            progress.month(&done);
            summary.months_walked += 1;
            summary.cases_read += done.cases_read;
        }
        Ok(summary)
    }
}
