//! The session store contract suite against the DynamoDB store on a moto server (`MOTO_URL`, as in
//! `moto.rs`), on a table of its own.

use std::sync::Arc;

use aws_sdk_dynamodb::Client;
use complaints_store_dynamodb::{DynamoDbCaseStore, create_table};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_dynamodb_session_store_keeps_the_contract() {
    let Some(config) = complaints_testkit::moto_sdk_config() else { return };
    let client = Client::new(&config);
    let table = format!("sessions-{}", uuid::Uuid::new_v4().simple());
    create_table(&client, &table).await.expect("create the table");
    let store = DynamoDbCaseStore::new(client.clone(), table.clone());
    complaints_app::session_contract::run_all(Arc::new(store)).await;

    // The TTL attribute is set, in epoch seconds, so DynamoDB can expire the items.
    let items = client.scan().table_name(&table).send().await.expect("scan the test table");
    let sessions: Vec<_> = items
        .items()
        .iter()
        .filter(|item| item.get("pk").and_then(|pk| pk.as_s().ok()).is_some_and(|pk| pk.starts_with("SESSION#")))
        .collect();
    assert!(!sessions.is_empty());
    for item in sessions {
        let expires = item.get("expires_at").and_then(|v| v.as_n().ok()).expect("expires_at");
        assert!(expires.parse::<i64>().expect("a number") > 1_700_000_000, "{expires}");
    }
}
