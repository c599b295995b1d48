//! The one-off `ESCALATED` backfill against a moto server (`MOTO_URL`): cases escalated before the
//! item existed (simulated by deleting it) are found by the export's escalated read after the
//! backfill; a second run adds nothing; a run stopped part way carries on after the last month
//! it finished.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{Datelike, NaiveDate};
use complaints_app::export_pages::{PeriodIndex, PeriodPages};
use complaints_app::ports::{CaseStore, NewCase};
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
use complaints_store_dynamodb::backfill::{BackfillProgress, MonthDone, Quiet};
use complaints_store_dynamodb::keys::{PK, SK, case_pk};
use complaints_store_dynamodb::{DynamoDbCaseStore, create_table};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

async fn fresh() -> Option<(Client, DynamoDbCaseStore, String)> {
    let client = Client::new(&complaints_testkit::moto_sdk_config()?);
    let table = format!("backfill-{}", uuid::Uuid::new_v4().simple());
    create_table(&client, &table).await.expect("table");
    Some((client.clone(), DynamoDbCaseStore::new(client, table.clone()), table))
}

/// A stage 1 complaint received on `received`, answered two days later and, with `escalate`,
/// escalated by the customer on that date.
async fn stored_case(store: &DynamoDbCaseStore, received: NaiveDate, escalate: Option<NaiveDate>) -> CaseRef {
    let calendar = Calendar::scotland();
    let policy = Policy::default();
    let rules = Rules { calendar: &calendar, policy: &policy };
    let midday = |on: NaiveDate| on.and_hms_opt(12, 0, 0).expect("time").and_utc();
    let complaint = sample_complaint(Channel::WebForm, Some("someone@example.org"));
    let reference = CaseRef::new("BKF", 2025, 0).expect("reference");
    let (case, events) =
        Case::open(reference, complaint, midday(received), "Complaints Team".to_owned(), None, rules, Actor::System);
    let created = store.create(NewCase { case, events, source_key: None, mail: None }).await.expect("create");
    let staff = Actor::Staff("staff-1".to_owned());
    let answered = received + chrono::Days::new(2);
    let signposting = Some(Stage2Signposting { given_on: answered, channel: Channel::Email, time_limit_given: true });
    let close = Command::CloseStage1 { responded_on: answered, outcome: Outcome::NotUpheld, signposting };
    let (mut case, _) = created.case.apply(close, midday(answered), staff.clone(), rules).expect("close");
    if let Some(on) = escalate {
        let command = Command::Escalate { requested_on: on, channel: Channel::Email, received_at: None };
        case = case.apply(command, midday(on), staff, rules).expect("escalate").0;
    }
    store.update(&case, created.version, Vec::new()).await.expect("update");
    case.reference().clone()
}

/// Removes a case's `ESCALATED` item, as a case escalated before the item existed lacks it.
async fn make_old(client: &Client, table: &str, reference: &CaseRef) {
    client
        .delete_item()
        .table_name(table)
        .key(PK, AttributeValue::S(case_pk(reference)))
        .key(SK, AttributeValue::S("ESCALATED".to_owned()))
        .send()
        .await
        .expect("delete");
}

async fn escalated_in(store: &DynamoDbCaseStore, from: NaiveDate, to: NaiveDate) -> Vec<CaseRef> {
    let page = store.period_page(PeriodIndex::Escalated, from, to, None, 100).await.expect("page");
    assert!(page.next.is_none());
    page.cases.iter().map(|row| row.stored.case.reference().clone()).collect()
}

/// Records the months reported.
#[derive(Default)]
struct Months(Vec<MonthDone>);
impl BackfillProgress for Months {
    fn month(&mut self, done: &MonthDone) {
        self.0.push(*done);
    }
}

#[tokio::test]
async fn old_escalations_are_found_after_the_backfill_and_a_second_run_adds_nothing() {
    let Some((client, store, table)) = fresh().await else { return };
    let old = stored_case(&store, day(2025, 5, 6), Some(day(2025, 9, 10))).await;
    let new = stored_case(&store, day(2025, 6, 2), Some(day(2025, 9, 11))).await;
    let never = stored_case(&store, day(2025, 6, 3), None).await;
    make_old(&client, &table, &old).await;
    let september = (day(2025, 9, 1), day(2025, 9, 30));
    assert_eq!(
        escalated_in(&store, september.0, september.1).await,
        std::slice::from_ref(&new),
        "the old one is missed"
    );

    let mut months = Months::default();
    let summary =
        store.backfill_escalations(day(2025, 4, 1), day(2025, 10, 31), false, &mut months).await.expect("run");
    assert_eq!((summary.months_walked, summary.cases_read, summary.escalated, summary.added), (7, 3, 2, 1));
    let by_month: Vec<(u32, u64, u64, u64)> =
        months.0.iter().map(|m| (m.month.month(), m.cases_read, m.escalated, m.added)).collect();
    assert_eq!(
        by_month,
        [(4, 0, 0, 0), (5, 1, 1, 1), (6, 2, 1, 0), (7, 0, 0, 0), (8, 0, 0, 0), (9, 0, 0, 0), (10, 0, 0, 0)]
    );
    let mut found = escalated_in(&store, september.0, september.1).await;
    found.sort();
    let mut expected = vec![old.clone(), new.clone()];
    expected.sort();
    assert_eq!(found, expected);
    assert!(!found.contains(&never));

    // The same command again: every month is recorded as done, nothing is read or written.
    let again = store.backfill_escalations(day(2025, 4, 1), day(2025, 10, 31), false, &mut Quiet).await.expect("rerun");
    assert_eq!((again.months_walked, again.months_already_done, again.cases_read, again.added), (0, 7, 0, 0));
    // --restart walks everything again and still adds nothing.
    let restarted =
        store.backfill_escalations(day(2025, 4, 1), day(2025, 10, 31), true, &mut Quiet).await.expect("restart");
    assert_eq!((restarted.months_walked, restarted.escalated, restarted.added), (7, 2, 0));
}

#[tokio::test]
async fn a_run_stopped_part_way_carries_on_after_the_last_month_it_finished() {
    let Some((client, store, table)) = fresh().await else { return };
    let may = stored_case(&store, day(2025, 5, 6), Some(day(2025, 9, 10))).await;
    let july = stored_case(&store, day(2025, 7, 1), Some(day(2025, 9, 12))).await;
    make_old(&client, &table, &may).await;
    make_old(&client, &table, &july).await;
    // The first run ends after June (as a run that failed in July would have recorded).
    let first = store.backfill_escalations(day(2025, 4, 1), day(2025, 6, 30), false, &mut Quiet).await.expect("first");
    assert_eq!((first.months_walked, first.added), (3, 1));
    let second =
        store.backfill_escalations(day(2025, 4, 1), day(2025, 9, 30), false, &mut Quiet).await.expect("second");
    assert_eq!((second.months_already_done, second.months_walked, second.cases_read, second.added), (3, 3, 1, 1));
    assert_eq!(escalated_in(&store, day(2025, 9, 1), day(2025, 9, 30)).await.len(), 2);
    // A run over another range does not use this range's progress.
    let other = store.backfill_escalations(day(2025, 5, 1), day(2025, 5, 31), false, &mut Quiet).await.expect("other");
    assert_eq!((other.months_already_done, other.months_walked, other.escalated, other.added), (0, 1, 1, 0));
}
