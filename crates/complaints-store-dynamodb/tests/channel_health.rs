//! The channel health contract against the DynamoDB store on a moto server (`MOTO_URL`).

mod support;
use support::moto_store;

use std::sync::Arc;

use complaints_app::channel_health_contract::channel_health_contract;

#[tokio::test]
async fn the_dynamodb_store_keeps_channel_health_as_the_contract_says() {
    let Some(store) = moto_store("channel-health").await else { return };
    channel_health_contract(Arc::new(store)).await;
}
