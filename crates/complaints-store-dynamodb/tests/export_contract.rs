//! The export store contract suite (once-only staff notices) against the DynamoDB store on a moto
//! server (`MOTO_URL`, as in `moto.rs`): each contract on its own table, in parallel.

mod support;
use support::{failed_contracts, fresh_table, moto_client};

use std::sync::Arc;

use complaints_app::export_contract::EXPORT_CONTRACTS;
use complaints_store_dynamodb::DynamoDbCaseStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_export_store_contract_passes_each_on_its_own_table() {
    let Some(client) = moto_client() else { return };
    let mut running = Vec::new();
    for (name, contract) in EXPORT_CONTRACTS {
        let client = client.clone();
        running.push((
            *name,
            tokio::spawn(async move {
                let table = fresh_table(&client, "export").await;
                contract(Arc::new(DynamoDbCaseStore::new(client, table))).await;
            }),
        ));
    }
    let failed = failed_contracts(running).await;
    assert!(
        failed.is_empty(),
        "export store contracts failed on DynamoDB (their panics are printed above): {failed:?}"
    );
}
