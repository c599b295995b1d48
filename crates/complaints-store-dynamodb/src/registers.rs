//! The registers on DynamoDB, in the same table (no Scan anywhere):
//!
//! - quality reviews (R48): `QREVIEW#<closure id>` / `QREVIEW`, the review as JSON, in the period
//!   index's `QREVIEW#<month>` partition by closure date; one review per closure (a conditional
//!   put). A period's reviews cost one Query per month.
//! - flagged items: `FLAG#<id>` / `FLAG`, the item as JSON and a version; while open it sits in
//!   the due index's `FLAGOPEN` partition by the time it was raised (sparse: an item dealt with
//!   leaves it for the period index's `FLAGDONE#<month>`), so the open list costs what is open.
//!
//! Closure ids and flag ids are references, stage numbers, dates and codes: no personal data in
//! any key.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use complaints_app::flagged::{DealtWith, FlagPage, FlagStore, FlaggedItem, MAX_FLAG_PAGE};
use complaints_app::ports::StoreError;
use complaints_app::quality::QualityStore;
use complaints_core::quality::QualityReview;

use crate::error::DynamoError;
use crate::keys::{
    self, ATTR_VERSION, GSI_DUE, GSI_PERIOD, GSI1PK, GSI1SK, GSI2PK, GSI2SK, Item, PK, RANGE_END, SK, n, s,
};
use crate::{Cost, DynamoDbCaseStore, Transaction, reason_failed};

const ATTR_BODY: &str = "body";
const REVIEW_SK: &str = "QREVIEW";
const FLAG_SK: &str = "FLAG";
const FLAG_OPEN_PARTITION: &str = "FLAGOPEN";

fn month(date: NaiveDate) -> String {
    format!("{:04}-{:02}", date.year(), date.month())
}

fn key(pk: String, sk: &str) -> Item {
    Item::from([(PK.to_owned(), s(pk)), (SK.to_owned(), s(sk))])
}

fn review_key(id: &str) -> Item {
    key(format!("QREVIEW#{id}"), REVIEW_SK)
}

fn flag_key(id: &str) -> Item {
    key(format!("FLAG#{id}"), FLAG_SK)
}

/// The open index's sort key of an item: time (fixed width, so text order is time order), id.
fn open_sort_key(raised_at: DateTime<Utc>, id: &str) -> String {
    format!("{}#{id}", raised_at.format("%Y-%m-%dT%H:%M:%S%.6fZ"))
}

fn review_body(item: &Item) -> Result<QualityReview, DynamoError> {
    serde_json::from_str(keys::get_s(item, ATTR_BODY)?).map_err(DynamoError::Decode)
}

fn flag_body(item: &Item) -> Result<FlaggedItem, DynamoError> {
    serde_json::from_str(keys::get_s(item, ATTR_BODY)?).map_err(DynamoError::Decode)
}

pub(crate) fn flag_item(flag: &FlaggedItem, version: u64) -> Result<Item, DynamoError> {
    let mut item = flag_key(&flag.id);
    item.insert(ATTR_BODY.to_owned(), s(serde_json::to_string(flag).map_err(DynamoError::Encode)?));
    item.insert(ATTR_VERSION.to_owned(), n(version));
    match &flag.dealt_with {
        None => {
            item.insert(GSI1PK.to_owned(), s(FLAG_OPEN_PARTITION));
            item.insert(GSI1SK.to_owned(), s(open_sort_key(flag.raised_at, &flag.id)));
        }
        Some(dealt) => {
            item.insert(GSI2PK.to_owned(), s(format!("FLAGDONE#{}", month(dealt.at.date_naive()))));
            item.insert(GSI2SK.to_owned(), s(format!("{}#{}", dealt.at.date_naive(), flag.id)));
        }
    }
    Ok(item)
}

impl DynamoDbCaseStore {
    /// Puts `item` under a condition: new (`expected` None) or still at version `expected`.
    /// `Ok(false)` when the condition failed.
    async fn put_conditional(&self, item: Item, expected: Option<u64>, op: &mut Cost) -> Result<bool, StoreError> {
        let put = Put::builder().table_name(&self.table).set_item(Some(item));
        let put = match expected {
            None => put.condition_expression("attribute_not_exists(#pk)").expression_attribute_names("#pk", PK),
            Some(version) => put
                .condition_expression("#v = :expected")
                .expression_attribute_names("#v", ATTR_VERSION)
                .expression_attribute_values(":expected", n(version)),
        };
        let action = TransactWriteItem::builder().put(put.build().map_err(DynamoError::from)?).build();
        match self.transact(vec![action], op).await? {
            Transaction::Written => Ok(true),
            Transaction::Cancelled(reasons) if reason_failed(&reasons, 0) => Ok(false),
            Transaction::Cancelled(reasons) => Err(crate::cancelled(&reasons).into()),
        }
    }
}

#[async_trait]
impl QualityStore for DynamoDbCaseStore {
    async fn record_review(&self, review: &QualityReview) -> Result<(), StoreError> {
        let mut op = Cost::default();
        let id = review.id();
        let mut item = review_key(&id);
        item.insert(ATTR_BODY.to_owned(), s(serde_json::to_string(review).map_err(DynamoError::Encode)?));
        item.insert(GSI2PK.to_owned(), s(format!("QREVIEW#{}", month(review.closure.closed_on))));
        item.insert(GSI2SK.to_owned(), s(format!("{}#{id}", review.closure.closed_on)));
        if self.put_conditional(item, None, &mut op).await? {
            Ok(())
        } else {
            Err(StoreError::AlreadyExists { existing: Some(review.closure.reference.clone()) })
        }
    }

    async fn review_of(&self, closure_id: &str) -> Result<Option<QualityReview>, StoreError> {
        let mut op = Cost::default();
        let item = self.get_item(review_key(closure_id), &mut op).await?;
        Ok(item.as_ref().map(review_body).transpose()?)
    }

    async fn reviews_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<QualityReview>, StoreError> {
        let mut op = Cost::default();
        let mut found = Vec::new();
        for first in keys::months_between(from, to) {
            let query = self.index_range(
                GSI_PERIOD,
                (GSI2PK, GSI2SK),
                format!("QREVIEW#{}", month(first)),
                from.to_string(),
                format!("{to}#{RANGE_END}"),
            );
            for item in self.query_all(query, &mut op).await? {
                found.push(review_body(&item)?);
            }
        }
        Ok(found)
    }
}

#[async_trait]
impl FlagStore for DynamoDbCaseStore {
    async fn raise_flag(&self, item: &FlaggedItem) -> Result<bool, StoreError> {
        let mut op = Cost::default();
        self.put_conditional(flag_item(item, 1)?, None, &mut op).await
    }

    async fn flag(&self, id: &str) -> Result<Option<FlaggedItem>, StoreError> {
        let mut op = Cost::default();
        let item = self.get_item(flag_key(id), &mut op).await?;
        Ok(item.as_ref().map(flag_body).transpose()?)
    }

    async fn open_flags(&self, after: Option<&str>, limit: usize) -> Result<FlagPage, StoreError> {
        let mut op = Cost::default();
        let limit = limit.clamp(1, MAX_FLAG_PAGE);
        let lower = match after {
            None => None,
            Some(id) => match self.get_item(flag_key(id), &mut op).await? {
                Some(item) => {
                    let last = flag_body(&item)?;
                    Some(open_sort_key(last.raised_at, &last.id))
                }
                None => None,
            },
        };
        let query = self
            .client
            .query()
            .index_name(GSI_DUE)
            .expression_attribute_names("#pk", GSI1PK)
            .expression_attribute_values(":pk", s(FLAG_OPEN_PARTITION))
            .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX));
        let query = match lower {
            None => query.key_condition_expression("#pk = :pk"),
            Some(lower) => query
                .key_condition_expression("#pk = :pk AND #sk > :after")
                .expression_attribute_names("#sk", GSI1SK)
                .expression_attribute_values(":after", s(lower)),
        };
        let mut items: Vec<FlaggedItem> = Vec::new();
        let mut failed = None;
        self.query_pages(query, &mut op, |page| {
            for item in page.items() {
                match flag_body(item) {
                    Ok(flag) => items.push(flag),
                    Err(e) => failed = Some(e),
                }
            }
            Ok(items.len() <= limit && failed.is_none())
        })
        .await?;
        if let Some(e) = failed {
            return Err(e.into());
        }
        let more = items.len() > limit;
        items.truncate(limit);
        let next = if more { items.last().map(|i| i.id.clone()) } else { None };
        Ok(FlagPage { items, next })
    }

    async fn deal_with_flag(&self, id: &str, dealt_with: DealtWith) -> Result<FlaggedItem, StoreError> {
        let mut op = Cost::default();
        let stored = self.get_item(flag_key(id), &mut op).await?.ok_or(StoreError::NotFound)?;
        let version = keys::get_n(&stored, ATTR_VERSION)?;
        let mut flag = flag_body(&stored)?;
        if flag.dealt_with.is_some() {
            return Err(StoreError::VersionConflict { expected: version });
        }
        flag.dealt_with = Some(dealt_with);
        if self.put_conditional(flag_item(&flag, version + 1)?, Some(version), &mut op).await? {
            Ok(flag)
        } else {
            Err(StoreError::VersionConflict { expected: version })
        }
    }
}
