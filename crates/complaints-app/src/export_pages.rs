//! Paged reads of the export's three period indexes (issue 16 §3: flat memory however many cases
//! a month holds). Each page holds at most `limit` rows in index order (date, then reference); a
//! cursor taken from one page continues with the next, so the export holds one page at a time.

use async_trait::async_trait;
use chrono::NaiveDate;

use crate::ports::{StoreError, StoredCase};

/// Which period index a page reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodIndex {
    /// Cases by the date they were received.
    Received,
    /// Cases by the date a stage ended or the not-a-complaint decision: one row per distinct
    /// (date, case), so a case closed on two dates has two rows.
    Closed,
    /// Cases by [`crate::escalations::escalated_on`].
    Escalated,
}

/// Where the next page starts. Opaque: only the store that made it reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageCursor(String);

impl PageCursor {
    /// A cursor in a store's own encoding.
    #[must_use]
    pub fn new(token: String) -> Self {
        Self(token)
    }

    /// The store's encoding.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One row of a page: the indexed date and the case.
#[derive(Debug, Clone)]
pub struct PagedCase {
    pub on: NaiveDate,
    pub stored: StoredCase,
}

/// A page of rows and, when more may follow, where the next page starts.
#[derive(Debug, Clone)]
pub struct CasePage {
    pub cases: Vec<PagedCase>,
    pub next: Option<PageCursor>,
}

/// Paged reads of the period indexes. Every case store implements it; the export store contract
/// suite checks each.
#[async_trait]
pub trait PeriodPages: Send + Sync {
    /// At most `limit` rows (at least one when `limit` is 0) of `index` dated in `from..=to`
    /// (both included), after `after`, ordered by date then reference.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`]; a cursor the store cannot read is [`StoreError::Unavailable`].
    async fn period_page(
        &self,
        index: PeriodIndex,
        from: NaiveDate,
        to: NaiveDate,
        after: Option<&PageCursor>,
        limit: usize,
    ) -> Result<CasePage, StoreError>;
}
