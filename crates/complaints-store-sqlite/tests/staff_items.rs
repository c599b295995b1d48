//! The staff items contract against the SQLite store.

use std::sync::Arc;

use complaints_app::staff_items_contract::staff_items_contract;
use complaints_store_sqlite::SqliteCaseStore;

#[tokio::test]
async fn the_sqlite_store_keeps_items_for_staff_as_the_contract_says() {
    staff_items_contract(Arc::new(SqliteCaseStore::in_memory().expect("in-memory store"))).await;
}
