//! The channel health contract against the in-memory store.

use std::sync::Arc;

use complaints_app::channel_health_contract::channel_health_contract;
use complaints_app::testing::MemoryCaseStore;

#[tokio::test]
async fn the_memory_store_keeps_channel_health_as_the_contract_says() {
    channel_health_contract(Arc::new(MemoryCaseStore::new())).await;
}
