//! The staff items contract against the in-memory store.

use std::sync::Arc;

use complaints_app::staff_items_contract::staff_items_contract;
use complaints_app::testing::MemoryCaseStore;

#[tokio::test]
async fn the_memory_store_keeps_items_for_staff_as_the_contract_says() {
    staff_items_contract(Arc::new(MemoryCaseStore::new())).await;
}
