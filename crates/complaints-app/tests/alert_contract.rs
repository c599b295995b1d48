//! The alert store contract suite against the in-memory store.

use complaints_app::testing::MemoryCaseStore;

complaints_app::alert_store_contract_tests!(async { MemoryCaseStore::new() });
