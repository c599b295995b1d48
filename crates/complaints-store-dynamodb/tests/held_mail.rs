//! The held-mail contract against the DynamoDB store on a moto server (`MOTO_URL`, as in `moto.rs`).

mod support;
use support::moto_store;

#[tokio::test]
async fn held_mail_is_recorded_once_and_listed_newest_first_until_it_expires() {
    let Some(store) = moto_store("held").await else { return };
    complaints_app::held_mail_contract::held_mail_contract(&store).await;
}
