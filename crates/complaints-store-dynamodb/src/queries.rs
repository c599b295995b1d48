//! [`CaseQueries`] on DynamoDB, with Queries on the existing indexes only (no Scan):
//!
//! - the open list reads the sparse due index (`DUE` partition of `gsi1-due`, sort key
//!   `<next due>#<reference>`) from the cursor on, so its cost grows with the open cases read,
//!   never with closed ones; `due_by` (due soon, overdue) is the upper bound of the key condition;
//! - the received list reads the period index's `RECEIVED#<month>` partitions of the period, from
//!   the cursor's month on.
//!
//! Filters (handler, stage, service area, channel, category, status, reference text) are applied
//! by the shared matcher to the items read: a DynamoDB filter expression would cost the same read
//! capacity (it is charged before filtering), and the fields live in the case's JSON.

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use complaints_app::ports::{StoreError, StoredCase};
use complaints_app::queries::{CaseQueries, CaseQuery, Cursor, Scope};

use crate::keys::{
    self, ATTR_CASE, DUE_PARTITION, GSI_DUE, GSI_PERIOD, GSI1PK, GSI1SK, GSI2PK, GSI2SK, Item, RANGE_END,
};
use crate::{Cost, DynamoDbCaseStore};

/// The lowest sort key of a list: below every date.
const RANGE_START: &str = "0";

impl DynamoDbCaseStore {
    /// Reads `query` (an index range) until `wanted` case items past `after` are collected.
    async fn collect_cases(
        &self,
        query: QueryFluentBuilder,
        sort_key: &'static str,
        after: Option<&str>,
        wanted: usize,
        found: &mut Vec<StoredCase>,
        op: &mut Cost,
    ) -> Result<(), StoreError> {
        // One more than wanted after a cursor: the range includes the cursor's own item.
        let page = i32::try_from(wanted + usize::from(after.is_some())).unwrap_or(i32::MAX);
        self.query_pages(query.limit(page), op, |out| {
            for item in out.items.unwrap_or_default() {
                if found.len() >= wanted {
                    break;
                }
                if let Some(stored) = decode_listed(&item, sort_key, after)? {
                    found.push(stored);
                }
            }
            Ok(found.len() < wanted)
        })
        .await
    }
}

/// A case item from an index range, unless it is the cursor's own item (ranges are inclusive: its
/// `sort_key`, the index's sort key attribute, is not after the cursor) or not a case item at all.
fn decode_listed(item: &Item, sort_key: &'static str, after: Option<&str>) -> Result<Option<StoredCase>, StoreError> {
    if !item.contains_key(ATTR_CASE) {
        return Ok(None);
    }
    let (case, version) = keys::decode_case(item)?;
    let stored = StoredCase { case, version };
    Ok(Some(stored).filter(|_| after.is_none_or(|after| keys::get_s(item, sort_key).is_ok_and(|sk| sk > after))))
}

#[async_trait]
impl CaseQueries for DynamoDbCaseStore {
    #[tracing::instrument(name = "dynamodb.list_candidates", skip_all, fields(requests = tracing::field::Empty, capacity_units = tracing::field::Empty, items_evaluated = tracing::field::Empty))]
    async fn candidates(
        &self,
        query: &CaseQuery,
        after: Option<&Cursor>,
        limit: usize,
    ) -> Result<Vec<StoredCase>, StoreError> {
        let mut op = Cost::default();
        let mut found = Vec::new();
        let after = after.map(Cursor::as_str);
        let lo = after.unwrap_or(RANGE_START).to_owned();
        match query.scope {
            Scope::Open => {
                let hi = match query.due_by {
                    Some(by) => format!("{by}#{RANGE_END}"),
                    None => RANGE_END.to_string(),
                };
                if lo <= hi {
                    let range = self.index_range(GSI_DUE, (GSI1PK, GSI1SK), DUE_PARTITION.to_owned(), lo, hi);
                    self.collect_cases(range, GSI1SK, after, limit, &mut found, &mut op).await?;
                }
            }
            Scope::Received { from, to } => {
                let lo = lo.max(from.to_string());
                let hi = format!("{to}#{RANGE_END}");
                for month in keys::months_between(from, to) {
                    if found.len() >= limit {
                        break;
                    }
                    let partition = keys::received_partition(month);
                    // Months wholly before the cursor have nothing left to give.
                    let month_key = month.format("%Y-%m").to_string();
                    if lo.get(..7).is_some_and(|cursor_month| month_key.as_str() < cursor_month) {
                        continue;
                    }
                    let range = self.index_range(GSI_PERIOD, (GSI2PK, GSI2SK), partition, lo.clone(), hi.clone());
                    let wanted = limit - found.len();
                    let mut more = Vec::new();
                    self.collect_cases(range, GSI2SK, after, wanted, &mut more, &mut op).await?;
                    found.extend(more);
                }
            }
        }
        Ok(found)
    }
}
