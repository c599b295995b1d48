//! The staff actions contract suite against the SQLite store: every staff action commits its
//! change, timeline and letters together, and a stale version is refused; one fresh in-memory
//! store per contract, and all together on one shared data file.

use complaints_store_sqlite::SqliteCaseStore;

complaints_app::staff_contract_tests!(async { SqliteCaseStore::in_memory().expect("in-memory store") });

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_staff_contract_passes_when_all_share_one_data_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let shared = SqliteCaseStore::open(dir.path().join("cases.sqlite3")).expect("file store");
    complaints_app::staff_contract::run_all(|| {
        let shared = shared.clone();
        async move { shared }
    })
    .await;
}
