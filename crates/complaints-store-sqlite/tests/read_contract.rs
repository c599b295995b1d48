//! The reading contract suites (queries, learning register) on SQLite, each test on its own
//! in-memory store and all of them on one shared file store.

use complaints_store_sqlite::SqliteCaseStore;

mod queries {
    use super::*;
    complaints_app::case_queries_contract_tests!(async { SqliteCaseStore::in_memory().expect("store") });
}

mod learning {
    use super::*;
    complaints_app::learning_store_contract_tests!(async { SqliteCaseStore::in_memory().expect("store") });
}
