//! The held-mail contract against the SQLite store.

use complaints_store_sqlite::SqliteCaseStore;

#[tokio::test]
async fn held_mail_is_recorded_once_and_listed_newest_first_until_it_expires() {
    let store = SqliteCaseStore::in_memory().expect("in-memory store");
    complaints_app::held_mail_contract::held_mail_contract(&store).await;
}
