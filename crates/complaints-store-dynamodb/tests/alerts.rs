//! The alert store contract suite against the DynamoDB store on a moto server (`MOTO_URL`, as in
//! `moto.rs`): each contract on its own table, in parallel.

use std::sync::Arc;

use aws_sdk_dynamodb::Client;
use complaints_app::alert_contract::ALERT_CONTRACTS;
use complaints_store_dynamodb::{DynamoDbCaseStore, create_table};

/// A client for the moto server, or `None` when none was started (a failure under CI).
fn moto_client() -> Option<Client> {
    Some(Client::new(&complaints_testkit::moto_sdk_config()?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_alert_contract_passes_each_on_its_own_table() {
    let Some(client) = moto_client() else { return };
    let mut running = Vec::new();
    for (name, contract) in ALERT_CONTRACTS {
        let client = client.clone();
        running.push((
            *name,
            tokio::spawn(async move {
                let table = format!("alerts-{}", uuid::Uuid::new_v4().simple());
                create_table(&client, &table).await.expect("create the table");
                contract(Arc::new(DynamoDbCaseStore::new(client, table))).await;
            }),
        ));
    }
    let mut failed = Vec::new();
    for (name, handle) in running {
        if handle.await.is_err() {
            failed.push(name);
        }
    }
    assert!(failed.is_empty(), "alert contracts failed on DynamoDB (their panics are printed above): {failed:?}");
}
