//! The CaseStore contract suite against the SQLite store: one fresh in-memory store per contract,
//! and every contract together on one shared data file (as the cloud run shares one table).

use complaints_store_sqlite::SqliteCaseStore;

complaints_app::case_store_contract_tests!(async { SqliteCaseStore::in_memory().expect("in-memory store") });

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_contract_passes_when_all_share_one_data_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let shared = SqliteCaseStore::open(dir.path().join("cases.sqlite3")).expect("file store");
    complaints_app::contract::run_all(|| {
        let shared = shared.clone();
        async move { shared }
    })
    .await;
}
