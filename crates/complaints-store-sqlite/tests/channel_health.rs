//! The channel health contract against the SQLite store.

use std::sync::Arc;

use complaints_app::channel_health_contract::channel_health_contract;
use complaints_store_sqlite::SqliteCaseStore;

#[tokio::test]
async fn the_sqlite_store_keeps_channel_health_as_the_contract_says() {
    channel_health_contract(Arc::new(SqliteCaseStore::in_memory().expect("in-memory store"))).await;
}
