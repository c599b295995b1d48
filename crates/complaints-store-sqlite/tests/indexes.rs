//! The index contract suite (names, SPSO referrals, flags written with the case) on SQLite, and
//! the one-off backfill that indexes a data file's older cases when the store opens.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use complaints_app::case_indexes::{CaseIndexes, search_tokens};
use complaints_app::flagged::{FlagStore, case_flag_id};
use complaints_app::ports::{CaseStore, NewCase};
use complaints_app::testing::sample_complaint;
use complaints_core::calendar::Calendar;
use complaints_core::case::{Case, CaseEvent, Rules, StaffFlag};
use complaints_core::complaint::{Channel, Complainant};
use complaints_core::policy::Policy;
use complaints_core::reference::CaseRef;
use complaints_core::timeline::{Actor, TimelineEvent};
use complaints_store_sqlite::SqliteCaseStore;

mod contract {
    use super::*;
    complaints_app::case_index_contract_tests!(async { SqliteCaseStore::in_memory().expect("store") });
}

#[tokio::test]
async fn opening_a_data_file_indexes_the_names_and_flags_of_cases_written_before_the_indexes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("complaints.sqlite3");
    let when = Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).single().expect("instant");
    let reference = {
        let store = Arc::new(SqliteCaseStore::open(&path).expect("open"));
        let mut draft = sample_complaint(Channel::WebForm, None).to_draft();
        draft.complainant = Some(Complainant {
            name: "Morag Backfill".to_owned(),
            email: None,
            phone: Some("0131".to_owned()),
            handle: None,
        });
        let complaint = draft.validate(when.date_naive()).expect("valid");
        let (calendar, policy) = (Calendar::scotland(), Policy::default());
        let rules = Rules { calendar: &calendar, policy: &policy };
        let (case, mut events) = Case::open(
            CaseRef::new("BKF", 2026, 0).expect("prefix"),
            complaint,
            when,
            "Team".to_owned(),
            None,
            rules,
            Actor::System,
        );
        events.push(TimelineEvent {
            at: when,
            actor: Actor::System,
            what: CaseEvent::FlaggedForStaff { reason: StaffFlag::PossibleSpam },
        });
        let stored = store.create(NewCase { case, events, source_key: None, mail: None }).await.expect("create");
        stored.case.reference().clone()
    };
    // Make the file look as it did before the indexes: no rows, no record of a backfill.
    {
        let conn = rusqlite::Connection::open(&path).expect("raw open");
        conn.execute_batch("DELETE FROM case_names; DELETE FROM staff_flags; DELETE FROM index_backfills;")
            .expect("forget the indexes");
    }
    let store = SqliteCaseStore::open(&path).expect("reopen");
    let found = store.cases_named(&search_tokens("morag backfill"), 10).await.expect("search");
    assert_eq!(
        found.cases.iter().map(|s| s.case.reference().clone()).collect::<Vec<_>>(),
        std::slice::from_ref(&reference)
    );
    let flag = store.flag(&case_flag_id(&reference, when, StaffFlag::PossibleSpam)).await.expect("flag");
    assert!(flag.is_some_and(|f| f.dealt_with.is_none()), "the old flag is in the register, open");

    // Once done, a backfill does not run again: a row removed now stays removed.
    {
        let conn = rusqlite::Connection::open(&path).expect("raw open");
        conn.execute_batch("DELETE FROM case_names;").expect("remove");
    }
    let store = SqliteCaseStore::open(&path).expect("reopen");
    assert!(store.cases_named(&search_tokens("morag"), 10).await.expect("search").cases.is_empty());
}
