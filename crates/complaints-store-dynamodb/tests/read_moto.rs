//! The reading contract suites (queries, learning register) on DynamoDB against a moto server
//! (`MOTO_URL`), every contract on one shared table at once, as in production; and what an open
//! list costs: it reads the open cases of its page, never the closed ones.

mod support;
use support::{failed_contracts, moto_store};

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use complaints_app::contract_read::{LEARNING_CONTRACTS, QUERY_CONTRACTS};
use complaints_app::ports::{CaseStore, NewCase};
use complaints_app::queries::{CaseQueries, CaseQuery};
use complaints_app::testing::sample_complaint;
use complaints_core::calendar::Calendar;
use complaints_core::case::{Case, Rules};
use complaints_core::command::Command;
use complaints_core::complaint::Channel;
use complaints_core::outcome::Outcome;
use complaints_core::policy::Policy;
use complaints_core::reference::CaseRef;
use complaints_core::signposting::Stage2Signposting;
use complaints_core::timeline::Actor;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_queries_and_learning_contract_passes_on_one_shared_table() {
    let Some(store) = moto_store("read").await else { return };
    let mut running = Vec::new();
    for (name, contract) in QUERY_CONTRACTS {
        let store: Arc<dyn CaseQueries> = Arc::new(store.clone());
        running.push((*name, tokio::spawn(contract(store))));
    }
    for (name, contract) in LEARNING_CONTRACTS {
        let store: Arc<dyn complaints_app::learning::LearningStore> = Arc::new(store.clone());
        running.push((*name, tokio::spawn(contract(store))));
    }
    let failed = failed_contracts(running).await;
    assert!(failed.is_empty(), "contracts failed on DynamoDB (their panics are printed above): {failed:?}");
}

#[tokio::test]
async fn a_page_of_the_open_list_reads_about_a_page_of_items_however_many_cases_are_closed() {
    let Some(store) = moto_store("read").await else { return };
    let calendar = Calendar::scotland();
    let policy = Policy::default();
    let rules = Rules { calendar: &calendar, policy: &policy };
    let received = Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).single().expect("instant");
    for number in 0..30 {
        let reference = CaseRef::new("CMP", 2026, 0).expect("reference");
        let complaint = sample_complaint(Channel::Email, None);
        let (case, events) =
            Case::open(reference, complaint, received, "Complaints Team".to_owned(), None, rules, Actor::System);
        let stored = store.create(NewCase { case, events, source_key: None, mail: None }).await.expect("create");
        // Close all but five.
        if number >= 5 {
            let on = chrono::NaiveDate::from_ymd_opt(2026, 3, 4).expect("date");
            let signposting = Stage2Signposting { given_on: on, channel: Channel::Email, time_limit_given: true };
            let command =
                Command::CloseStage1 { responded_on: on, outcome: Outcome::Upheld, signposting: Some(signposting) };
            let when = on.and_hms_opt(15, 0, 0).expect("time").and_utc();
            let (case, events) = stored.case.apply(command, when, Actor::Staff("t".to_owned()), rules).expect("close");
            store.update(&case, stored.version, events).await.expect("store the closure");
        }
    }
    let before = store.cost();
    let page = store.list(&CaseQuery { limit: 3, ..CaseQuery::default() }).await.expect("list");
    let cost = store.cost();
    assert_eq!(page.cases.len(), 3);
    assert!(page.next.is_some());
    let evaluated = cost.items_evaluated - before.items_evaluated;
    assert!(evaluated <= 4, "a page of three read {evaluated} items; the 25 closed cases must not be read");
    let rest = store.list(&CaseQuery { limit: 3, after: page.next, ..CaseQuery::default() }).await.expect("list");
    assert_eq!(rest.cases.len(), 2, "five open cases in all");
    assert!(rest.next.is_none());
}
