//! The channel health contract against the DynamoDB store on a moto server (`MOTO_URL`).

use std::sync::Arc;

use aws_sdk_dynamodb::Client;
use complaints_app::channel_health_contract::channel_health_contract;
use complaints_store_dynamodb::{DynamoDbCaseStore, create_table};

#[tokio::test]
async fn the_dynamodb_store_keeps_channel_health_as_the_contract_says() {
    let Some(config) = complaints_testkit::moto_sdk_config() else { return };
    let client = Client::new(&config);
    let table = format!("channel-health-{}", uuid::Uuid::new_v4().simple());
    create_table(&client, &table).await.expect("create the table");
    channel_health_contract(Arc::new(DynamoDbCaseStore::new(client, table))).await;
}
