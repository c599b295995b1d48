//! The index contract suite (names, SPSO referrals, flags written with the case) on DynamoDB
//! against a moto server (`MOTO_URL`), every contract on one shared table at once; and a store
//! without the search key, which writes no name items and refuses name searches.

mod support;
use support::{failed_contracts, moto_store};

use std::sync::Arc;

use complaints_app::case_indexes::CaseIndexes;
use complaints_app::contract_indexes::{INDEX_CONTRACTS, IndexedStore};
use complaints_app::ports::StoreError;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_index_contract_passes_on_one_shared_table() {
    let Some(store) = moto_store("indexes").await else { return };
    let store = store.with_search_key(b"index contract search key");
    let mut running = Vec::new();
    for (name, contract) in INDEX_CONTRACTS {
        let store: Arc<dyn IndexedStore> = Arc::new(store.clone());
        running.push((*name, tokio::spawn(contract(store))));
    }
    let failed = failed_contracts(running).await;
    assert!(failed.is_empty(), "contracts failed on DynamoDB (their panics are printed above): {failed:?}");
}

#[tokio::test]
async fn a_store_without_the_search_key_refuses_a_name_search_rather_than_finding_nothing() {
    let Some(store) = moto_store("indexes").await else { return };
    let refused = store.cases_named(&["bloggs".to_owned()], 10).await;
    assert!(matches!(refused, Err(StoreError::Unavailable(_))), "{refused:?}");
}
