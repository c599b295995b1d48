//! [`PeriodPages`] on the in-memory case store: every row of the index in range, sorted, cut
//! after the cursor (`<date>#<reference>`). A double: it holds every case anyway.

use async_trait::async_trait;
use chrono::NaiveDate;

use super::MemoryCaseStore;
use crate::escalations::escalated_on;
use crate::export_pages::{CasePage, PageCursor, PagedCase, PeriodIndex, PeriodPages};
use crate::ports::StoreError;

#[async_trait]
impl PeriodPages for MemoryCaseStore {
    async fn period_page(
        &self,
        index: PeriodIndex,
        from: NaiveDate,
        to: NaiveDate,
        after: Option<&PageCursor>,
        limit: usize,
    ) -> Result<CasePage, StoreError> {
        let mut rows: Vec<(String, PagedCase)> = Vec::new();
        for stored in self.all_cases() {
            let mut dates: Vec<NaiveDate> = match index {
                PeriodIndex::Received => vec![stored.case.index().received_on],
                PeriodIndex::Closed => stored.case.index().closed_on,
                PeriodIndex::Escalated => escalated_on(&stored.case).into_iter().collect(),
            };
            dates.retain(|on| (from..=to).contains(on));
            dates.sort_unstable();
            dates.dedup();
            for on in dates {
                let key = format!("{on}#{}", stored.case.reference());
                rows.push((key, PagedCase { on, stored: stored.clone() }));
            }
        }
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        rows.retain(|(key, _)| after.is_none_or(|cursor| key.as_str() > cursor.as_str()));
        let limit = limit.max(1);
        let next = rows
            .get(limit.saturating_sub(1))
            .filter(|_| rows.len() > limit)
            .map(|(key, _)| PageCursor::new(key.clone()));
        Ok(CasePage { cases: rows.into_iter().take(limit).map(|(_, row)| row).collect(), next })
    }
}
