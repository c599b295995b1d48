//! The registers' contract suites (quality reviews, flagged items) on DynamoDB against a moto
//! server (`MOTO_URL`), every contract on one shared table at once, as in production.

use std::sync::Arc;

use aws_sdk_dynamodb::Client;
use complaints_app::contract_registers::{FLAG_CONTRACTS, QUALITY_CONTRACTS};
use complaints_app::flagged::FlagStore;
use complaints_app::quality::QualityStore;
use complaints_store_dynamodb::{DynamoDbCaseStore, create_table};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_quality_and_flag_contract_passes_on_one_shared_table() {
    let Some(config) = complaints_testkit::moto_sdk_config() else { return };
    let client = Client::new(&config);
    let table = format!("registers-{}", uuid::Uuid::new_v4().simple());
    create_table(&client, &table).await.expect("create the table");
    let store = DynamoDbCaseStore::new(client, table);
    let mut running = Vec::new();
    for (name, contract) in QUALITY_CONTRACTS {
        let store: Arc<dyn QualityStore> = Arc::new(store.clone());
        running.push((*name, tokio::spawn(contract(store))));
    }
    for (name, contract) in FLAG_CONTRACTS {
        let store: Arc<dyn FlagStore> = Arc::new(store.clone());
        running.push((*name, tokio::spawn(contract(store))));
    }
    let mut failed = Vec::new();
    for (name, handle) in running {
        if handle.await.is_err() {
            failed.push(name);
        }
    }
    assert!(failed.is_empty(), "contracts failed on DynamoDB (their panics are printed above): {failed:?}");
}
