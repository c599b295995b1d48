//! A data file whose name index was written before names were folded (tokens kept their accents,
//! and the names' backfill was recorded as `case-names`) is indexed again, once, when this version
//! opens it: "siobhan" and "Siob" then find Siobhán, and no accented row is left.

use chrono::{TimeZone, Utc};
use complaints_app::case_indexes::{CaseIndexes, search_tokens};
use complaints_app::ports::{CaseStore, NewCase};
use complaints_app::testing::sample_complaint;
use complaints_core::calendar::Calendar;
use complaints_core::case::{Case, Rules};
use complaints_core::complaint::{Channel, Complainant};
use complaints_core::policy::Policy;
use complaints_core::reference::CaseRef;
use complaints_core::timeline::Actor;
use complaints_store_sqlite::SqliteCaseStore;

fn rows(path: &std::path::Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(path).expect("raw open");
    let mut statement = conn.prepare("SELECT token FROM case_names ORDER BY token").expect("select");
    statement.query_map([], |row| row.get(0)).expect("rows").collect::<Result<_, _>>().expect("tokens")
}

#[tokio::test]
async fn a_file_indexed_with_accents_is_indexed_again_folded_once_when_opened() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("complaints.sqlite3");
    let when = Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).single().expect("instant");
    let reference = {
        let store = SqliteCaseStore::open(&path).expect("open");
        let mut draft = sample_complaint(Channel::WebForm, None).to_draft();
        draft.complainant = Some(Complainant {
            name: "Siobhán Ní Bhriain".to_owned(),
            email: None,
            phone: Some("0131".to_owned()),
            handle: None,
        });
        let complaint = draft.validate(when.date_naive()).expect("valid");
        let (calendar, policy) = (Calendar::scotland(), Policy::default());
        let rules = Rules { calendar: &calendar, policy: &policy };
        let reference = CaseRef::new("FLD", 2026, 0).expect("prefix");
        let (case, events) = Case::open(reference, complaint, when, "Team".to_owned(), None, rules, Actor::System);
        store
            .create(NewCase { case, events, source_key: None, mail: None })
            .await
            .expect("create")
            .case
            .reference()
            .clone()
    };
    assert_eq!(rows(&path), ["bhriain", "ni", "siobhan"], "this version writes folded tokens");
    // As an earlier version left the file: accented tokens, its backfill recorded, not this one's.
    {
        let conn = rusqlite::Connection::open(&path).expect("raw open");
        conn.execute_batch("DELETE FROM case_names; DELETE FROM index_backfills WHERE name = 'case-names-folded';")
            .expect("forget");
        for token in ["siobhán", "ní", "bhriain"] {
            conn.execute("INSERT INTO case_names (token, reference) VALUES (?1, ?2)", [token, &reference.to_string()])
                .expect("old row");
        }
    }
    let store = SqliteCaseStore::open(&path).expect("reopen");
    assert_eq!(rows(&path), ["bhriain", "ni", "siobhan"], "indexed again, folded; no accented row left");
    for words in ["siobhan", "Siob", "SIOBHÁN NÍ", "ni bhr"] {
        let found = store.cases_named(&search_tokens(words), 10).await.expect("search");
        assert_eq!(
            found.cases.iter().map(|s| s.case.reference().clone()).collect::<Vec<_>>(),
            std::slice::from_ref(&reference),
            "{words}"
        );
    }

    // Once: a row removed after the rebuild stays removed on the next open.
    {
        let conn = rusqlite::Connection::open(&path).expect("raw open");
        conn.execute_batch("DELETE FROM case_names WHERE token = 'bhriain';").expect("remove");
    }
    drop(store);
    let store = SqliteCaseStore::open(&path).expect("reopen");
    assert!(store.cases_named(&search_tokens("bhriain"), 10).await.expect("search").cases.is_empty());
}
