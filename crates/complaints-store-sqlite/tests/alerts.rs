//! The alert store contract suite against the SQLite store, one fresh in-memory store per contract.

use complaints_store_sqlite::SqliteCaseStore;

complaints_app::alert_store_contract_tests!(async { SqliteCaseStore::in_memory().expect("in-memory store") });
