//! The CaseStore contract suite against the in-memory test store, so use-case tests that rely on
//! it rely on a store that behaves like the real ones (and the suite itself is exercised).

use complaints_app::testing::MemoryCaseStore;

complaints_app::case_store_contract_tests!(async { MemoryCaseStore::new() });

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_contract_passes_when_all_share_one_memory_store() {
    let shared = MemoryCaseStore::new();
    complaints_app::contract::run_all(|| {
        let shared = shared.clone();
        async move { shared }
    })
    .await;
}
