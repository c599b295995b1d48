//! [`ChannelHealthStore`] on DynamoDB, in the same table: one item `CHANNEL#<channel>` / `HEALTH`
//! with `last_event_at` (fixed-width time text, so a conditional update keeps the latest) and
//! `failures` (counted with `ADD`, so two sweeps at once both count). Keys name the channel only.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::ReturnValue;
use chrono::{DateTime, Utc};
use complaints_app::channel_health_store::{ChannelHealthStore, ChannelState};
use complaints_app::ports::StoreError;

use crate::error::{DynamoError, unavailable, unless_condition_failed};
use crate::keys::{self, Item, PK, SK, get_n, get_ts, n, s};
use crate::{Cost, DynamoDbCaseStore};

const ATTR_LAST_EVENT: &str = "last_event_at";
const ATTR_FAILURES: &str = "failures";

fn key(channel: &str) -> Item {
    Item::from([(PK.to_owned(), s(format!("CHANNEL#{channel}"))), (SK.to_owned(), s("HEALTH"))])
}

#[async_trait]
impl ChannelHealthStore for DynamoDbCaseStore {
    #[tracing::instrument(name = "dynamodb.record_channel_event", skip_all)]
    async fn record_channel_event(&self, channel: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(channel)))
            .update_expression("SET #last = :at")
            .condition_expression("attribute_not_exists(#last) OR #last < :at")
            .expression_attribute_names("#last", ATTR_LAST_EVENT)
            .expression_attribute_values(":at", s(keys::ts(at)))
            .send()
            .await;
        // A condition failing means a later event is kept already.
        unless_condition_failed(result)
    }

    #[tracing::instrument(name = "dynamodb.add_channel_failure", skip_all)]
    async fn add_channel_failure(&self, channel: &str) -> Result<u32, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(channel)))
            .update_expression("ADD #failures :one")
            .expression_attribute_names("#failures", ATTR_FAILURES)
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(unavailable)?;
        let attributes = out.attributes.ok_or(DynamoError::Malformed(ATTR_FAILURES))?;
        Ok(u32::try_from(get_n(&attributes, ATTR_FAILURES)?).unwrap_or(u32::MAX))
    }

    #[tracing::instrument(name = "dynamodb.clear_channel_failures", skip_all)]
    async fn clear_channel_failures(&self, channel: &str) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(channel)))
            .update_expression("SET #failures = :zero")
            // Nothing to write for a channel with no run (most successful sends).
            .condition_expression("#failures > :zero")
            .expression_attribute_names("#failures", ATTR_FAILURES)
            .expression_attribute_values(":zero", n(0))
            .send()
            .await;
        unless_condition_failed(result)
    }

    #[tracing::instrument(name = "dynamodb.channel_state", skip_all)]
    async fn channel_state(&self, channel: &str) -> Result<ChannelState, StoreError> {
        let mut op = Cost::default();
        let Some(item) = self.get_item(key(channel), &mut op).await? else {
            return Ok(ChannelState::default());
        };
        let last_event_at = item.contains_key(ATTR_LAST_EVENT).then(|| get_ts(&item, ATTR_LAST_EVENT)).transpose()?;
        let failures = match item.get(ATTR_FAILURES) {
            None => 0,
            Some(_) => u32::try_from(get_n(&item, ATTR_FAILURES)?).unwrap_or(u32::MAX),
        };
        Ok(ChannelState { last_event_at, failures })
    }
}
