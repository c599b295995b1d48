//! The index backfill after the upgrade to folded name prefixes, against a moto server
//! (`MOTO_URL`): a case indexed by an earlier version (one item per whole, accented token) and an
//! earlier run's record of progress is walked again without `--restart`, gets its prefix items,
//! and is found by "siobhan" and "Siob"; the old items do no harm; a second run adds nothing.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::NaiveDate;
use complaints_app::case_indexes::{CaseIndexes, case_name_tokens, name_key, search_tokens};
use complaints_app::name_fold::index_keys;
use complaints_app::ports::{CaseStore, NewCase};
use complaints_app::testing::sample_complaint;
use complaints_core::calendar::Calendar;
use complaints_core::case::{Case, Rules};
use complaints_core::complaint::{Channel, Complainant};
use complaints_core::policy::Policy;
use complaints_core::reference::CaseRef;
use complaints_core::timeline::Actor;
use complaints_store_dynamodb::backfill::Quiet;
use complaints_store_dynamodb::keys::{ATTR_REF, PK, SK};
use complaints_store_dynamodb::{DynamoDbCaseStore, create_table};

const SECRET: &[u8] = b"folded backfill search key";

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, m, d).expect("date")
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_owned())
}

async fn put(client: &Client, table: &str, item: &[(&str, String)]) {
    let mut request = client.put_item().table_name(table);
    for (name, value) in item {
        request = request.item(*name, s(value));
    }
    request.send().await.expect("put");
}

async fn delete(client: &Client, table: &str, pk: String, sk: &str) {
    client.delete_item().table_name(table).key(PK, s(&pk)).key(SK, s(sk)).send().await.expect("delete");
}

async fn found(store: &DynamoDbCaseStore, words: &str) -> Vec<CaseRef> {
    let named = store.cases_named(&search_tokens(words), 10).await.expect("search");
    named.cases.iter().map(|stored| stored.case.reference().clone()).collect()
}

#[tokio::test]
async fn a_case_indexed_with_accented_whole_words_is_found_by_folded_prefixes_after_the_backfill() {
    let Some(config) = complaints_testkit::moto_sdk_config() else { return };
    let client = Client::new(&config);
    let table = format!("backfill-fold-{}", uuid::Uuid::new_v4().simple());
    create_table(&client, &table).await.expect("table");
    let store = DynamoDbCaseStore::new(client.clone(), table.clone()).with_search_key(SECRET);

    let (calendar, policy) = (Calendar::scotland(), Policy::default());
    let rules = Rules { calendar: &calendar, policy: &policy };
    let mut draft = sample_complaint(Channel::WebForm, None).to_draft();
    draft.complainant = Some(Complainant {
        name: "Siobhán Backfill".to_owned(),
        email: None,
        phone: Some("0131".to_owned()),
        handle: None,
    });
    let complaint = draft.validate(day(5, 5)).expect("valid");
    let received = day(5, 5).and_hms_opt(12, 0, 0).expect("time").and_utc();
    let reference = CaseRef::new("FLD", 2025, 0).expect("reference");
    let (case, events) = Case::open(reference, complaint, received, "Team".to_owned(), None, rules, Actor::System);
    let created = store.create(NewCase { case, events, source_key: None, mail: None }).await.expect("create");
    let reference = created.case.reference().clone();
    let keys = index_keys(&case_name_tokens(&created.case));
    assert_eq!(keys.len(), 11, "siobhan: 5 prefixes, backfill: 6 ({keys:?})");
    assert_eq!(found(&store, "siob").await, std::slice::from_ref(&reference), "a new case is found at once");

    // As an earlier version left it: whole accented tokens, and a finished run's progress
    // without the `names` mark.
    let sk = format!("2025-05-05#{reference}");
    for key in &keys {
        delete(&client, &table, format!("NAME#{}", name_key(SECRET, key)), &sk).await;
    }
    for token in ["siobhán", "backfill"] {
        let pk = format!("NAME#{}", name_key(SECRET, token));
        put(&client, &table, &[(PK, pk), (SK, sk.clone()), (ATTR_REF, reference.to_string())]).await;
    }
    let progress = [
        (PK, "BACKFILL#indexes".to_owned()),
        (SK, "PROGRESS".to_owned()),
        ("since", "2025-04".to_owned()),
        ("done_through", "2025-08".to_owned()),
    ];
    put(&client, &table, &progress).await;
    assert!(found(&store, "siobhan").await.is_empty(), "the accented item is never looked up");
    assert_eq!(found(&store, "backfill").await, std::slice::from_ref(&reference), "an unaccented word of 8 letters");

    let summary = store.backfill_indexes(day(4, 1), day(8, 31), false, &mut Quiet).await.expect("backfill");
    assert_eq!((summary.months_walked, summary.months_already_done), (5, 0), "the old progress does not count");
    assert_eq!((summary.cases_read, summary.name_items), (1, 10), "every prefix but `backfill`, already there");
    for words in ["siobhan", "SIOBHÁN", "Siob", "backf siobh"] {
        assert_eq!(found(&store, words).await, std::slice::from_ref(&reference), "{words}");
    }

    let again = store.backfill_indexes(day(4, 1), day(8, 31), false, &mut Quiet).await.expect("again");
    assert_eq!((again.months_walked, again.months_already_done, again.name_items), (0, 5, 0));
    let restarted = store.backfill_indexes(day(4, 1), day(8, 31), true, &mut Quiet).await.expect("restarted");
    assert_eq!((restarted.cases_read, restarted.name_items), (1, 0), "idempotent");
}
