//! [`EscalatedCases`] on DynamoDB: an escalated case carries one `ESCALATED` item in its partition,
//! in its escalation month's `ESCALATED#<yyyy-mm>` partition of the period index (as closures are
//! in `CLOSED#`), written with the case on every create and update. The export queries one
//! partition per month and reads the cases with BatchGetItem: never a Scan.

use std::collections::HashSet;

use async_trait::async_trait;
use chrono::{Datelike, NaiveDate};
use complaints_app::escalations::{EscalatedCases, escalated_on};
use complaints_app::ports::{StoreError, StoredCase};
use complaints_core::case::Case;

use crate::keys::{self, ATTR_REF, GSI2PK, GSI2SK, Item, PK, SK, s};
use crate::{Cost, DynamoDbCaseStore};

/// `ESCALATED#<yyyy-mm>` partition of the period index.
pub(crate) fn escalated_partition(date: NaiveDate) -> String {
    format!("ESCALATED#{:04}-{:02}", date.year(), date.month())
}

/// The escalation item of a case that went from stage 1 to stage 2; `None` for any other case.
/// Rewritten with every update (the same key and values), so writing it is idempotent.
#[must_use]
pub(crate) fn escalation_item(case: &Case) -> Option<Item> {
    let on = escalated_on(case)?;
    let reference = case.reference();
    let mut item = Item::new();
    item.insert(PK.to_owned(), s(keys::case_pk(reference)));
    item.insert(SK.to_owned(), s("ESCALATED"));
    item.insert(ATTR_REF.to_owned(), s(reference.to_string()));
    item.insert(GSI2PK.to_owned(), s(escalated_partition(on)));
    item.insert(GSI2SK.to_owned(), s(format!("{on}#{reference}")));
    Some(item)
}

#[async_trait]
impl EscalatedCases for DynamoDbCaseStore {
    #[tracing::instrument(name = "dynamodb.escalated_between", skip_all)]
    async fn escalated_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<StoredCase>, StoreError> {
        let mut op = Cost::default();
        let mut references = Vec::new();
        let mut seen = HashSet::new();
        for item in self.period_items(escalated_partition, from, to, &mut op).await? {
            let reference = keys::get_ref(&item)?;
            if seen.insert(reference.clone()) {
                references.push(reference);
            }
        }
        self.batch_get_cases(&references, &mut op).await
    }
}
