//! [`SingleUseTokens`] on DynamoDB: a used value is one item `USED#<key>` / `USED`, put with a
//! condition that no live mark is there, so of two posts of one sign-in form (on any Lambda
//! instances) exactly one is accepted. The item carries the table's TTL attribute `expires_at`
//! (its keep-until time), so DynamoDB deletes it after the value has expired; until TTL gets to
//! it, the condition lets a run-out mark be written over.

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use complaints_app::ports::StoreError;
use complaints_app::single_use::SingleUseTokens;

use crate::DynamoDbCaseStore;
use crate::error::unavailable;
use crate::keys::{Item, PK, SK, s};
use crate::sessions::ATTR_EXPIRES_AT;

fn epoch(at: DateTime<Utc>) -> AttributeValue {
    AttributeValue::N(at.timestamp().max(0).to_string())
}

#[async_trait]
impl SingleUseTokens for DynamoDbCaseStore {
    #[tracing::instrument(name = "dynamodb.use_once", skip_all)]
    async fn use_once(&self, key: &str, at: DateTime<Utc>, keep_until: DateTime<Utc>) -> Result<bool, StoreError> {
        let item = Item::from([
            (PK.to_owned(), s(format!("USED#{key}"))),
            (SK.to_owned(), s("USED")),
            (ATTR_EXPIRES_AT.to_owned(), epoch(keep_until)),
        ]);
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk) OR #until <= :at")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#until", ATTR_EXPIRES_AT)
            .expression_attribute_values(":at", epoch(at))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(context)) if context.err().is_conditional_check_failed_exception() => Ok(false),
            Err(other) => Err(unavailable(other)),
        }
    }
}
