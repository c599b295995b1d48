//! The registers' contract suites (quality reviews, flagged items) on SQLite.

use complaints_store_sqlite::SqliteCaseStore;

mod quality {
    use super::*;
    complaints_app::quality_store_contract_tests!(async { SqliteCaseStore::in_memory().expect("store") });
}

mod flags {
    use super::*;
    complaints_app::flag_store_contract_tests!(async { SqliteCaseStore::in_memory().expect("store") });
}
