//! The export store contract suite (once-only staff notices) against the in-memory store.

use complaints_app::testing::MemoryCaseStore;

complaints_app::export_store_contract_tests!(async { MemoryCaseStore::new() });
