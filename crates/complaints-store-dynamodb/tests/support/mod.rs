//! Set-up the moto-backed tests share: a client for the moto server (`MOTO_URL`), a table of
//! their own with the production layout, and the contract suites spawned together.
#![allow(dead_code)] // each test binary uses a different part of this module

use aws_sdk_dynamodb::Client;
use complaints_store_dynamodb::{DynamoDbCaseStore, create_table};
use tokio::task::JoinHandle;

/// A client for the moto server, or `None` when none was started (a failure under CI).
pub fn moto_client() -> Option<Client> {
    Some(Client::new(&complaints_testkit::moto_sdk_config()?))
}

/// A fresh table named `<label>-<uuid>`, with the production layout.
pub async fn fresh_table(client: &Client, label: &str) -> String {
    let table = format!("{label}-{}", uuid::Uuid::new_v4().simple());
    create_table(client, &table).await.expect("create the table");
    table
}

/// A store on a fresh table, or `None` as for [`moto_client`].
pub async fn moto_store(label: &str) -> Option<DynamoDbCaseStore> {
    let client = moto_client()?;
    let table = fresh_table(&client, label).await;
    Some(DynamoDbCaseStore::new(client, table))
}

/// Waits for every spawned contract and names the ones that panicked (their panics are printed
/// as they happen).
pub async fn failed_contracts(running: Vec<(&'static str, JoinHandle<()>)>) -> Vec<&'static str> {
    let mut failed = Vec::new();
    for (name, handle) in running {
        if handle.await.is_err() {
            failed.push(name);
        }
    }
    failed
}
