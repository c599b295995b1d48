//! [`HeldMailStore`] on DynamoDB, in the same table: `HELDMAIL#<id>` / `HELDMAIL` holds the record
//! (JSON), listed through the period index's `HELDMAIL` partition by `<received at>#<id>` (newest
//! first). `expires_at` (epoch seconds) is the table's TTL attribute, so DynamoDB deletes a record
//! after its raw message is gone; until it does, listing leaves expired records out. Ids are
//! hashes of the raw key: no personal data in any key.

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::ReturnConsumedCapacity;
use chrono::{DateTime, Utc};
use complaints_app::held_mail::{HeldMail, HeldMailStore, newest_unexpired};
use complaints_app::ports::StoreError;

use crate::error::{DynamoError, unavailable};
use crate::keys::{self, GSI_PERIOD, GSI2PK, GSI2SK, Item, PK, SK, n, s};
use crate::{Cost, DynamoDbCaseStore};

const PARTITION: &str = "HELDMAIL";
const ATTR_BODY: &str = "held";
/// The table's TTL attribute (infra/template.yaml `TimeToLiveSpecification`).
const ATTR_EXPIRES: &str = "expires_at";

fn item(mail: &HeldMail) -> Result<Item, DynamoError> {
    let mut item = Item::from([
        (PK.to_owned(), s(format!("{PARTITION}#{}", mail.id))),
        (SK.to_owned(), s(PARTITION)),
        (GSI2PK.to_owned(), s(PARTITION)),
        (GSI2SK.to_owned(), s(format!("{}#{}", keys::ts(mail.received_at), mail.id))),
        (ATTR_BODY.to_owned(), s(serde_json::to_string(mail).map_err(DynamoError::Encode)?)),
    ]);
    if let Some(expires) = mail.expires_at {
        item.insert(ATTR_EXPIRES.to_owned(), n(u64::try_from(expires.timestamp()).unwrap_or_default()));
    }
    Ok(item)
}

#[async_trait]
impl HeldMailStore for DynamoDbCaseStore {
    #[tracing::instrument(name = "dynamodb.hold_mail", skip_all)]
    async fn hold_mail(&self, mail: &HeldMail) -> Result<(), StoreError> {
        let mut op = Cost::default();
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item(mail)?))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await;
        match result {
            Ok(out) => {
                let mut delta = Cost::request(out.consumed_capacity());
                delta.writes = 1;
                self.charge(&mut op, &delta);
                Ok(())
            }
            // Already held (a retry of the same message): leave it as it is.
            Err(SdkError::ServiceError(context)) if context.err().is_conditional_check_failed_exception() => {
                self.charge(&mut op, &Cost { requests: 1, failed_conditional_writes: 1, ..Cost::default() });
                Ok(())
            }
            Err(other) => Err(unavailable(other)),
        }
    }

    #[tracing::instrument(name = "dynamodb.held_mail", skip_all)]
    async fn held_mail(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<HeldMail>, StoreError> {
        let mut op = Cost::default();
        let query = self
            .client
            .query()
            .index_name(GSI_PERIOD)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", GSI2PK)
            .expression_attribute_values(":pk", s(PARTITION))
            .scan_index_forward(false);
        let mut found = Vec::new();
        self.query_pages(query, &mut op, |page| {
            for item in page.items() {
                let body = keys::get_s(item, ATTR_BODY)?;
                let mail: HeldMail = serde_json::from_str(body).map_err(DynamoError::Decode)?;
                if mail.expires_at.is_none_or(|at| at > now) {
                    found.push(mail);
                }
            }
            Ok(found.len() < limit)
        })
        .await?;
        Ok(newest_unexpired(found, now, limit))
    }
}
