//! [`PeriodPages`] on SQLite: keyset pages on the indexes the period reads already have
//! (`cases_by_received_ref`, `stage_closures_by_date`, `cases_by_escalated`), so each page reads
//! only its own rows. The cursor is `<date>#<reference>` of the page's last row.

use async_trait::async_trait;
use chrono::NaiveDate;
use complaints_app::export_pages::{CasePage, PageCursor, PagedCase, PeriodIndex, PeriodPages};
use complaints_app::ports::StoreError;

use crate::{SqliteCaseStore, db, stored_case, unavailable};

const RECEIVED: &str = "SELECT received_on, reference, body, version FROM cases
     WHERE (received_on, reference) > (?2, ?3) AND received_on <= ?1
     ORDER BY received_on, reference LIMIT ?4";

const CLOSED: &str = "SELECT page.closed_on, page.reference, cases.body, cases.version FROM
     (SELECT DISTINCT closed_on, reference FROM stage_closures
       WHERE (closed_on, reference) > (?2, ?3) AND closed_on <= ?1
       ORDER BY closed_on, reference LIMIT ?4) AS page
     JOIN cases ON cases.reference = page.reference
     ORDER BY page.closed_on, page.reference";

const ESCALATED: &str = "SELECT escalated_on, reference, body, version FROM cases
     WHERE (escalated_on, reference) > (?2, ?3) AND escalated_on <= ?1
     ORDER BY escalated_on, reference LIMIT ?4";

#[async_trait]
impl PeriodPages for SqliteCaseStore {
    async fn period_page(
        &self,
        index: PeriodIndex,
        from: NaiveDate,
        to: NaiveDate,
        after: Option<&PageCursor>,
        limit: usize,
    ) -> Result<CasePage, StoreError> {
        let sql = match index {
            PeriodIndex::Received => RECEIVED,
            PeriodIndex::Closed => CLOSED,
            PeriodIndex::Escalated => ESCALATED,
        };
        // The lower bound is a row-value seek on the index itself (a BETWEEN on the date would make
        // SQLite walk from the start of the range on every page). No cursor starts at
        // (`from`, ""): every reference sorts after "". A cursor before `from` is clamped to it.
        let from = from.to_string();
        let (after_on, after_ref) = match after {
            Some(cursor) => {
                let (on, reference) = cursor
                    .as_str()
                    .split_once('#')
                    .ok_or_else(|| unavailable(std::io::Error::other("malformed page cursor")))?;
                if on < from.as_str() { (from, String::new()) } else { (on.to_owned(), reference.to_owned()) }
            }
            None => (from, String::new()),
        };
        let limit = limit.max(1);
        let to = to.to_string();
        let sql_limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self
            .call(move |conn| {
                let mut statement = conn.prepare_cached(sql).map_err(db)?;
                let rows = statement
                    .query_map(rusqlite::params![to, after_on, after_ref, sql_limit], |row| {
                        Ok((
                            row.get::<_, String>(0)?,
                            row.get::<_, String>(1)?,
                            row.get::<_, String>(2)?,
                            row.get::<_, i64>(3)?,
                        ))
                    })
                    .map_err(db)?
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(db)?;
                Ok(rows)
            })
            .await?;
        let next = if rows.len() == limit {
            rows.last().map(|(on, reference, _, _)| PageCursor::new(format!("{on}#{reference}")))
        } else {
            None
        };
        let cases = rows
            .iter()
            .map(|(on, _, body, version)| {
                let on = on.parse::<NaiveDate>().map_err(unavailable)?;
                Ok(PagedCase { on, stored: stored_case(body, *version)? })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(CasePage { cases, next })
    }
}
