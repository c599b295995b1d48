//! The reading contract suites (queries, learning register) against the in-memory doubles, so
//! use-case tests that rely on them test against the same behaviour as the real stores.

use complaints_app::testing::MemoryCaseStore;
use complaints_app::testing_read::MemoryLearningStore;

mod queries {
    use super::*;
    complaints_app::case_queries_contract_tests!(async { MemoryCaseStore::new() });
}

mod learning {
    use super::*;
    complaints_app::learning_store_contract_tests!(async { MemoryLearningStore::new() });
}
