//! The registers' contract suites (quality reviews, flagged items) on DynamoDB against a moto
//! server (`MOTO_URL`), every contract on one shared table at once, as in production.

mod support;
use support::{failed_contracts, moto_store};

use std::sync::Arc;

use complaints_app::contract_registers::{FLAG_CONTRACTS, QUALITY_CONTRACTS};
use complaints_app::flagged::FlagStore;
use complaints_app::quality::QualityStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_quality_and_flag_contract_passes_on_one_shared_table() {
    let Some(store) = moto_store("registers").await else { return };
    let mut running = Vec::new();
    for (name, contract) in QUALITY_CONTRACTS {
        let store: Arc<dyn QualityStore> = Arc::new(store.clone());
        running.push((*name, tokio::spawn(contract(store))));
    }
    for (name, contract) in FLAG_CONTRACTS {
        let store: Arc<dyn FlagStore> = Arc::new(store.clone());
        running.push((*name, tokio::spawn(contract(store))));
    }
    let failed = failed_contracts(running).await;
    assert!(failed.is_empty(), "contracts failed on DynamoDB (their panics are printed above): {failed:?}");
}
