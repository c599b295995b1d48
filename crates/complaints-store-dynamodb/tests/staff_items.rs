//! The staff items contract against the DynamoDB store on a moto server (`MOTO_URL`).

mod support;
use support::moto_store;

use std::sync::Arc;

use complaints_app::staff_items_contract::staff_items_contract;

#[tokio::test]
async fn the_dynamodb_store_keeps_items_for_staff_as_the_contract_says() {
    let Some(store) = moto_store("staff-items").await else { return };
    staff_items_contract(Arc::new(store)).await;
}
