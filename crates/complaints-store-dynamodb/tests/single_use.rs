//! The single-use contract suite (sign-in forms accepted once) against the DynamoDB store on a
//! moto server (`MOTO_URL`, as in `moto.rs`), on a table of its own, and the marks' TTL.

use std::sync::Arc;

use aws_sdk_dynamodb::Client;
use complaints_store_dynamodb::{DynamoDbCaseStore, create_table};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_dynamodb_store_keeps_the_single_use_contract() {
    let Some(config) = complaints_testkit::moto_sdk_config() else { return };
    let client = Client::new(&config);
    let table = format!("single-use-{}", uuid::Uuid::new_v4().simple());
    create_table(&client, &table).await.expect("create the table");
    complaints_app::single_use_contract::run_all(Arc::new(DynamoDbCaseStore::new(client.clone(), table.clone()))).await;

    // Each mark carries the TTL attribute (epoch seconds), so DynamoDB forgets it after its time.
    let items = client.scan().table_name(&table).send().await.expect("scan the test table");
    let marks: Vec<_> = items
        .items()
        .iter()
        .filter(|item| item.get("pk").and_then(|pk| pk.as_s().ok()).is_some_and(|pk| pk.starts_with("USED#")))
        .collect();
    assert!(!marks.is_empty());
    for item in marks {
        let expires = item.get("expires_at").and_then(|v| v.as_n().ok()).expect("expires_at");
        assert!(expires.parse::<i64>().expect("a number") > 1_700_000_000, "{expires}");
    }
}
