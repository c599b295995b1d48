//! [`LearningStore`] on DynamoDB, in the same table:
//!
//! - `LEARN#<id>` / `LEARN`: the action (JSON) and its version; while it is not done it sits in
//!   the due index's `LEARNOPEN` partition by due date (sparse: done actions leave it), and once
//!   done in the period index's `LEARNDONE#<month>` partition by date done (what the quarterly
//!   export reads);
//! - `LEARN#<id>` / `RECORDED`: a copy in the period index's `LEARNREC#<month>` partition by the
//!   date recorded;
//! - `CASE#<ref>` / `LEARN#<id>`: one link per case, in the case's partition (a retention job that
//!   deletes the case deletes its links).
//!
//! Every change is one transaction, conditional on the action's version. Ids are `LA-…` codes
//! and dates: no personal data in any key.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{CancellationReason, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem};
use chrono::{Datelike, NaiveDate};
use complaints_app::learning::{LearningStore, StoredLearning};
use complaints_app::ports::StoreError;
use complaints_core::learning::LearningAction;
use complaints_core::reference::CaseRef;

use crate::error::DynamoError;
use crate::keys::{
    self, ATTR_VERSION, GSI_DUE, GSI_PERIOD, GSI1PK, GSI1SK, GSI2PK, GSI2SK, Item, PK, RANGE_END, SK, n, s,
};
use crate::{Cost, DynamoDbCaseStore, Transaction, reason_failed};

const ATTR_BODY: &str = "learning";
const ATTR_ID: &str = "learning_id";
const ACTION_SK: &str = "LEARN";
const RECORDED_SK: &str = "RECORDED";
const LINK_PREFIX: &str = "LEARN#";
const OPEN_PARTITION: &str = "LEARNOPEN";

fn month(date: NaiveDate) -> String {
    format!("{:04}-{:02}", date.year(), date.month())
}

fn action_pk(id: &str) -> String {
    format!("LEARN#{id}")
}

fn key(pk: String, sk: &str) -> Item {
    Item::from([(PK.to_owned(), s(pk)), (SK.to_owned(), s(sk))])
}

/// The items an action is stored as.
fn items(action: &LearningAction, version: u64) -> Result<(Item, Vec<Item>), DynamoError> {
    let body = serde_json::to_string(action).map_err(DynamoError::Encode)?;
    let mut main = key(action_pk(&action.id), ACTION_SK);
    main.insert(ATTR_BODY.to_owned(), s(body.clone()));
    main.insert(ATTR_VERSION.to_owned(), n(version));
    match action.done_on {
        None => {
            main.insert(GSI1PK.to_owned(), s(OPEN_PARTITION));
            main.insert(GSI1SK.to_owned(), s(format!("{}#{}", action.due_on, action.id)));
        }
        Some(done) => {
            main.insert(GSI2PK.to_owned(), s(format!("LEARNDONE#{}", month(done))));
            main.insert(GSI2SK.to_owned(), s(format!("{done}#{}", action.id)));
        }
    }
    let mut recorded = key(action_pk(&action.id), RECORDED_SK);
    recorded.insert(ATTR_BODY.to_owned(), s(body));
    recorded.insert(GSI2PK.to_owned(), s(format!("LEARNREC#{}", month(action.recorded_on))));
    recorded.insert(GSI2SK.to_owned(), s(format!("{}#{}", action.recorded_on, action.id)));
    let mut others = vec![recorded];
    for case in &action.cases {
        let mut link = key(keys::case_pk(case), &format!("{LINK_PREFIX}{}", action.id));
        link.insert(ATTR_ID.to_owned(), s(action.id.clone()));
        others.push(link);
    }
    Ok((main, others))
}

fn decode(item: &Item) -> Result<LearningAction, DynamoError> {
    serde_json::from_str(keys::get_s(item, ATTR_BODY)?).map_err(DynamoError::Decode)
}

impl DynamoDbCaseStore {
    /// Writes an action: the main item under `condition`, the others unconditionally.
    async fn write_learning(
        &self,
        action: &LearningAction,
        version: u64,
        expected: Option<u64>,
        op: &mut Cost,
    ) -> Result<Option<Vec<CancellationReason>>, StoreError> {
        let (main, others) = items(action, version)?;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(main))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        let put = match expected {
            None => put.condition_expression("attribute_not_exists(#pk)").expression_attribute_names("#pk", PK),
            Some(version) => put
                .condition_expression("#v = :expected")
                .expression_attribute_names("#v", ATTR_VERSION)
                .expression_attribute_values(":expected", n(version)),
        };
        let mut actions = vec![TransactWriteItem::builder().put(put.build().map_err(DynamoError::from)?).build()];
        for item in others {
            actions.push(self.put(item)?);
        }
        match self.transact(actions, op).await? {
            Transaction::Written => Ok(None),
            Transaction::Cancelled(reasons) => Ok(Some(reasons)),
        }
    }

    async fn learning_range(
        &self,
        index: &str,
        pk_sk: (&str, &str),
        partition: String,
        lo: String,
        hi: String,
        op: &mut Cost,
    ) -> Result<Vec<LearningAction>, StoreError> {
        let query = self.index_range(index, pk_sk, partition, lo, hi);
        let items = self.query_all(query, op).await?;
        Ok(items.iter().map(decode).collect::<Result<_, _>>()?)
    }

    async fn learning_by_month(
        &self,
        kind: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<LearningAction>, StoreError> {
        let mut op = Cost::default();
        let mut found = Vec::new();
        for first in keys::months_between(from, to) {
            let partition = format!("{kind}#{}", month(first));
            found.extend(
                self.learning_range(
                    GSI_PERIOD,
                    (GSI2PK, GSI2SK),
                    partition,
                    from.to_string(),
                    format!("{to}#{RANGE_END}"),
                    &mut op,
                )
                .await?,
            );
        }
        Ok(found)
    }
}

#[async_trait]
impl LearningStore for DynamoDbCaseStore {
    async fn create_learning(&self, action: &LearningAction) -> Result<StoredLearning, StoreError> {
        let mut op = Cost::default();
        match self.write_learning(action, 1, None, &mut op).await? {
            None => Ok(StoredLearning { action: action.clone(), version: 1 }),
            Some(reasons) if reason_failed(&reasons, 0) => Err(StoreError::AlreadyExists { existing: None }),
            Some(reasons) => Err(crate::cancelled(&reasons).into()),
        }
    }

    async fn learning(&self, id: &str) -> Result<StoredLearning, StoreError> {
        let mut op = Cost::default();
        let item = self.get_item(key(action_pk(id), ACTION_SK), &mut op).await?.ok_or(StoreError::NotFound)?;
        Ok(StoredLearning { action: decode(&item)?, version: keys::get_n(&item, ATTR_VERSION)? })
    }

    async fn save_learning(&self, action: &LearningAction, expected_version: u64) -> Result<u64, StoreError> {
        let mut op = Cost::default();
        let version = expected_version + 1;
        match self.write_learning(action, version, Some(expected_version), &mut op).await? {
            None => Ok(version),
            Some(reasons) if reason_failed(&reasons, 0) => {
                let returned = reasons.first().and_then(CancellationReason::item).is_some();
                let exists = returned || self.get_item(key(action_pk(&action.id), ACTION_SK), &mut op).await?.is_some();
                Err(if exists {
                    StoreError::VersionConflict { expected: expected_version }
                } else {
                    StoreError::NotFound
                })
            }
            Some(reasons) => Err(crate::cancelled(&reasons).into()),
        }
    }

    async fn open_learning(&self) -> Result<Vec<LearningAction>, StoreError> {
        let mut op = Cost::default();
        self.learning_range(
            GSI_DUE,
            (GSI1PK, GSI1SK),
            OPEN_PARTITION.to_owned(),
            "0".to_owned(),
            RANGE_END.to_string(),
            &mut op,
        )
        .await
    }

    async fn completed_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<LearningAction>, StoreError> {
        self.learning_by_month("LEARNDONE", from, to).await
    }

    async fn recorded_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<LearningAction>, StoreError> {
        self.learning_by_month("LEARNREC", from, to).await
    }

    async fn learning_for_case(&self, reference: &CaseRef) -> Result<Vec<LearningAction>, StoreError> {
        let mut op = Cost::default();
        let query = self
            .client
            .query()
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":pk", s(keys::case_pk(reference)))
            .expression_attribute_values(":prefix", s(LINK_PREFIX));
        let mut ids: Vec<String> = self
            .query_all(query, &mut op)
            .await?
            .iter()
            .map(|item| keys::get_s(item, ATTR_ID).map(str::to_owned))
            .collect::<Result<_, _>>()?;
        ids.sort();
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(item) = self.get_item(key(action_pk(&id), ACTION_SK), &mut op).await? {
                found.push(decode(&item)?);
            }
        }
        Ok(found)
    }
}
