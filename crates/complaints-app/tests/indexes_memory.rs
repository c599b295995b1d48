//! The index contract suite (names, referrals, flags written with the case) on the memory double.

mod indexes {
    complaints_app::case_index_contract_tests!(async { complaints_app::testing::MemoryCaseStore::new() });
}

mod flags_beside_cases {
    complaints_app::flag_store_contract_tests!(async { complaints_app::testing::MemoryCaseStore::new() });
}
