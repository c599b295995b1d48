//! [`PeriodPages`] on DynamoDB: Query pages on the period index (`gsi2-period`, one partition per
//! month) with `Limit` and `ExclusiveStartKey`, never a Scan. The cursor is the key of the last
//! index item read (its table key and index key), so the next page starts right after it, in
//! the same month's partition or the next. Closed and escalated rows point at their case, read
//! with one BatchGetItem per page.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::ReturnConsumedCapacity;
use chrono::NaiveDate;
use complaints_app::export_pages::{CasePage, PageCursor, PagedCase, PeriodIndex, PeriodPages};
use complaints_app::ports::{StoreError, StoredCase};
use complaints_core::reference::CaseRef;

use crate::error::{DynamoError, unavailable};
use crate::escalations::escalated_partition;
use crate::keys::{self, GSI_PERIOD, GSI2PK, GSI2SK, Item, PK, RANGE_END, SK, s};
use crate::{Cost, DynamoDbCaseStore};

/// The attributes of a cursor, in its encoding's order.
const CURSOR_KEYS: [&str; 4] = [PK, SK, GSI2PK, GSI2SK];

/// Separates the cursor's attributes (never part of a key).
const CURSOR_SEPARATOR: char = '\u{1f}';

fn malformed_cursor() -> StoreError {
    unavailable(std::io::Error::other("malformed page cursor"))
}

fn encode_cursor(item: &Item) -> Result<PageCursor, StoreError> {
    let parts =
        CURSOR_KEYS.iter().map(|name| keys::get_s(item, name).map(str::to_owned)).collect::<Result<Vec<_>, _>>()?;
    Ok(PageCursor::new(parts.join(&CURSOR_SEPARATOR.to_string())))
}

fn decode_cursor(cursor: &PageCursor) -> Result<Item, StoreError> {
    let parts: Vec<&str> = cursor.as_str().split(CURSOR_SEPARATOR).collect();
    if parts.len() != CURSOR_KEYS.len() {
        return Err(malformed_cursor());
    }
    Ok(CURSOR_KEYS.iter().zip(parts).map(|(name, value)| ((*name).to_owned(), s(value))).collect())
}

/// The (date, reference) a period index sort key starts with (`<date>#<reference>[#<position>]`).
fn row_of(sort_key: &str) -> Result<(NaiveDate, &str), StoreError> {
    let mut parts = sort_key.splitn(3, '#');
    let on = parts.next().and_then(|on| on.parse().ok()).ok_or(DynamoError::Malformed(GSI2SK))?;
    let reference = parts.next().ok_or(DynamoError::Malformed(GSI2SK))?;
    Ok((on, reference))
}

#[async_trait]
impl PeriodPages for DynamoDbCaseStore {
    #[tracing::instrument(name = "dynamodb.period_page", skip_all)]
    async fn period_page(
        &self,
        index: PeriodIndex,
        from: NaiveDate,
        to: NaiveDate,
        after: Option<&PageCursor>,
        limit: usize,
    ) -> Result<CasePage, StoreError> {
        let partition: fn(NaiveDate) -> String = match index {
            PeriodIndex::Received => keys::received_partition,
            PeriodIndex::Closed => keys::closed_partition,
            PeriodIndex::Escalated => escalated_partition,
        };
        let limit = limit.max(1);
        let mut op = Cost::default();
        let mut start = after.map(decode_cursor).transpose()?;
        let mut months = keys::months_between(from, to);
        // The previous row's (date, reference): a case closed twice on one day has two items.
        let mut previous: Option<String> = None;
        if let Some(key) = &start {
            let at = keys::get_s(key, GSI2PK)?;
            let position = months.iter().position(|m| partition(*m) == at).ok_or_else(malformed_cursor)?;
            months.drain(..position);
            let (on, reference) = row_of(keys::get_s(key, GSI2SK)?)?;
            previous = Some(format!("{on}#{reference}"));
        }
        // Rows read: the date, the reference and, for the received index, the case item itself.
        let mut rows: Vec<(NaiveDate, CaseRef, Option<Item>)> = Vec::new();
        let mut last: Option<Item> = None;
        'months: for month in months {
            loop {
                let remaining = i32::try_from(limit - rows.len()).unwrap_or(i32::MAX);
                let out = self
                    .index_range(
                        GSI_PERIOD,
                        (GSI2PK, GSI2SK),
                        partition(month),
                        from.to_string(),
                        format!("{to}#{RANGE_END}"),
                    )
                    .table_name(&self.table)
                    .limit(remaining)
                    .set_exclusive_start_key(start.take())
                    .return_consumed_capacity(ReturnConsumedCapacity::Total)
                    .send()
                    .await
                    .map_err(unavailable)?;
                let mut delta = Cost::request(out.consumed_capacity());
                delta.items_evaluated = u64::try_from(out.scanned_count()).unwrap_or_default();
                self.charge(&mut op, &delta);
                let more = out.last_evaluated_key.as_ref().is_some_and(|key| !key.is_empty());
                for item in out.items.unwrap_or_default() {
                    let (on, reference) = row_of(keys::get_s(&item, GSI2SK)?)?;
                    let row = format!("{on}#{reference}");
                    if previous.as_deref() != Some(row.as_str()) {
                        let reference = keys::get_ref(&item)?;
                        let case_item = (index == PeriodIndex::Received).then(|| item.clone());
                        rows.push((on, reference, case_item));
                    }
                    previous = Some(row);
                    last = Some(item);
                }
                if rows.len() >= limit {
                    break 'months;
                }
                match out.last_evaluated_key.filter(|_| more) {
                    Some(key) => start = Some(key),
                    None => break,
                }
            }
        }
        let next = match (&last, rows.len() >= limit) {
            (Some(item), true) => Some(encode_cursor(item)?),
            _ => None,
        };
        let mut fetched: HashMap<String, StoredCase> = HashMap::new();
        if index != PeriodIndex::Received {
            let mut wanted: Vec<CaseRef> = rows.iter().map(|(_, reference, _)| reference.clone()).collect();
            wanted.sort();
            wanted.dedup();
            for stored in self.batch_get_cases(&wanted, &mut op).await? {
                fetched.insert(stored.case.reference().to_string(), stored);
            }
        }
        let mut cases = Vec::with_capacity(rows.len());
        for (on, reference, case_item) in rows {
            let stored = match case_item {
                Some(item) => {
                    let (case, version) = keys::decode_case(&item)?;
                    StoredCase { case, version }
                }
                // A row whose case is gone (erased between the index read and the fetch) is left out.
                None => match fetched.get(&reference.to_string()) {
                    Some(stored) => stored.clone(),
                    None => continue,
                },
            };
            cases.push(PagedCase { on, stored });
        }
        Ok(CasePage { cases, next })
    }
}
