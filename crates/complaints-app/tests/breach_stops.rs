//! The breach scan stopped at every write point on the memory store, then run again: every alert
//! reaches the staff once (`complaints_app::breach_stops`).

use std::sync::Arc;

use complaints_app::alert_contract::AlertCaseStore;
use complaints_app::breach_stops::a_run_stopped_at_any_write_then_run_again_sends_every_alert_once;
use complaints_app::testing::MemoryCaseStore;

#[tokio::test]
async fn a_scan_stopped_at_any_write_on_the_memory_store_then_run_again_sends_every_alert_once() {
    a_run_stopped_at_any_write_then_run_again_sends_every_alert_once(|| async {
        let store: Arc<dyn AlertCaseStore> = Arc::new(MemoryCaseStore::new());
        store
    })
    .await;
}
