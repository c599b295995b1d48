//! The staff items contract against the DynamoDB store on a moto server (`MOTO_URL`).

use std::sync::Arc;

use aws_sdk_dynamodb::Client;
use complaints_app::staff_items_contract::staff_items_contract;
use complaints_store_dynamodb::{DynamoDbCaseStore, create_table};

#[tokio::test]
async fn the_dynamodb_store_keeps_items_for_staff_as_the_contract_says() {
    let Some(config) = complaints_testkit::moto_sdk_config() else { return };
    let client = Client::new(&config);
    let table = format!("staff-items-{}", uuid::Uuid::new_v4().simple());
    create_table(&client, &table).await.expect("create the table");
    staff_items_contract(Arc::new(DynamoDbCaseStore::new(client, table))).await;
}
