//! The held-mail contract against the DynamoDB store on a moto server (`MOTO_URL`, as in `moto.rs`).

use aws_sdk_dynamodb::Client;
use complaints_store_dynamodb::{DynamoDbCaseStore, create_table};

#[tokio::test]
async fn held_mail_is_recorded_once_and_listed_newest_first_until_it_expires() {
    let Some(config) = complaints_testkit::moto_sdk_config() else { return };
    let client = Client::new(&config);
    let table = format!("held-{}", uuid::Uuid::new_v4().simple());
    create_table(&client, &table).await.expect("create the table");
    complaints_app::held_mail_contract::held_mail_contract(&DynamoDbCaseStore::new(client, table)).await;
}
