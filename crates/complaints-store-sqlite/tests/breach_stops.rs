//! The breach scan stopped at every write point on SQLite, then run again: every alert reaches the
//! staff once (`complaints_app::breach_stops`).

use std::sync::Arc;

use complaints_app::alert_contract::AlertCaseStore;
use complaints_app::breach_stops::a_run_stopped_at_any_write_then_run_again_sends_every_alert_once;
use complaints_store_sqlite::SqliteCaseStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_stopped_at_any_write_on_sqlite_then_run_again_sends_every_alert_once() {
    a_run_stopped_at_any_write_then_run_again_sends_every_alert_once(|| async {
        let store: Arc<dyn AlertCaseStore> = Arc::new(SqliteCaseStore::in_memory().expect("in-memory store"));
        store
    })
    .await;
}
