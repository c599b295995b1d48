//! The one-off index backfill against a moto server (`MOTO_URL`): a case whose name, referral
//! and flag items are missing (written before they existed; simulated by deleting them) is found
//! by name, listed as referred and has its flag in the register after the backfill; a second run
//! adds nothing and leaves a flag staff dealt with alone.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{NaiveDate, Utc};
use complaints_app::case_indexes::{CaseIndexes, name_key, search_tokens};
use complaints_app::flagged::{DealtWith, FlagStore, case_flag_id};
use complaints_app::ports::{CaseStore, NewCase};
use complaints_app::testing::sample_complaint;
use complaints_core::calendar::Calendar;
use complaints_core::case::{Case, CaseEvent, PointOfComplaint, Rules, StaffFlag};
use complaints_core::command::Command;
use complaints_core::complaint::{Channel, Complainant};
use complaints_core::outcome::Outcome;
use complaints_core::policy::Policy;
use complaints_core::reference::CaseRef;
use complaints_core::signposting::{SpsoSignposting, Stage2Signposting};
use complaints_core::timeline::{Actor, TimelineEvent};
use complaints_store_dynamodb::backfill::Quiet;
use complaints_store_dynamodb::keys::{PK, SK, case_pk};
use complaints_store_dynamodb::{DynamoDbCaseStore, create_table};

const SECRET: &[u8] = b"backfill search key";

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, m, d).expect("date")
}

async fn delete(client: &Client, table: &str, pk: String, sk: &str) {
    client
        .delete_item()
        .table_name(table)
        .key(PK, AttributeValue::S(pk))
        .key(SK, AttributeValue::S(sk.to_owned()))
        .send()
        .await
        .expect("delete");
}

/// A case from "Eilidh Backfill" received on 5 May 2025, flagged as possible spam at intake,
/// closed at both stages and referred to the SPSO on 10 July.
async fn referred_case(store: &DynamoDbCaseStore) -> (CaseRef, chrono::DateTime<Utc>) {
    let calendar = Calendar::scotland();
    let policy = Policy::default();
    let rules = Rules { calendar: &calendar, policy: &policy };
    let midday = |on: NaiveDate| on.and_hms_opt(12, 0, 0).expect("time").and_utc();
    let mut draft = sample_complaint(Channel::WebForm, None).to_draft();
    draft.complainant = Some(Complainant {
        name: "Eilidh Backfill".to_owned(),
        email: None,
        phone: Some("0131".to_owned()),
        handle: None,
    });
    let complaint = draft.validate(day(5, 5)).expect("valid");
    let received = midday(day(5, 5));
    let (case, mut events) = Case::open(
        CaseRef::new("BKI", 2025, 0).expect("reference"),
        complaint,
        received,
        "Team".to_owned(),
        None,
        rules,
        Actor::System,
    );
    events.push(TimelineEvent {
        at: received,
        actor: Actor::System,
        what: CaseEvent::FlaggedForStaff { reason: StaffFlag::PossibleSpam },
    });
    let created = store.create(NewCase { case, events, source_key: None, mail: None }).await.expect("create");
    let staff = Actor::Staff("staff-1".to_owned());
    let on = day(6, 2);
    let steps = vec![
        Command::CloseStage1 {
            responded_on: on,
            outcome: Outcome::NotUpheld,
            signposting: Some(Stage2Signposting { given_on: on, channel: Channel::Email, time_limit_given: true }),
        },
        Command::Escalate { requested_on: on, channel: Channel::Email, received_at: None },
        Command::AcknowledgeStage2 {
            acknowledged_on: on,
            points: vec![PointOfComplaint { summary: "Bins".to_owned(), outcome_sought: "Collect".to_owned() }],
            agreed_on: on,
        },
        Command::CloseStage2 {
            responded_on: on,
            point_outcomes: vec![Outcome::NotUpheld],
            outcome_override: None,
            signposting: Some(SpsoSignposting {
                given_on: on,
                channel: Channel::Email,
                template_version: "t".to_owned(),
            }),
        },
    ];
    let (mut case, mut version) = (created.case, created.version);
    for command in steps {
        let (next, events) = case.apply(command, midday(on), staff.clone(), rules).expect("command");
        version = store.update(&next, version, events).await.expect("update");
        case = next;
    }
    let (next, events) =
        case.apply(Command::ReferToSpso { referred_on: day(7, 10) }, midday(day(7, 10)), staff, rules).expect("refer");
    store.update(&next, version, events).await.expect("update");
    (next.reference().clone(), received)
}

#[tokio::test]
async fn old_cases_are_found_by_name_referral_and_flag_after_the_backfill_and_a_second_run_adds_nothing() {
    let Some(config) = complaints_testkit::moto_sdk_config() else { return };
    let client = Client::new(&config);
    let table = format!("backfill-ix-{}", uuid::Uuid::new_v4().simple());
    create_table(&client, &table).await.expect("table");
    let store = DynamoDbCaseStore::new(client.clone(), table.clone()).with_search_key(SECRET);
    let (reference, flagged_at) = referred_case(&store).await;
    let flag_id = case_flag_id(&reference, flagged_at, StaffFlag::PossibleSpam);

    // As written before the indexes: no name, referral or flag items.
    for token in ["eilidh", "backfill"] {
        delete(&client, &table, format!("NAME#{}", name_key(SECRET, token)), &format!("2025-05-05#{reference}")).await;
    }
    delete(&client, &table, case_pk(&reference), "SPSO").await;
    delete(&client, &table, format!("FLAG#{flag_id}"), "FLAG").await;
    let tokens = search_tokens("Eilidh Backfill");
    assert!(store.cases_named(&tokens, 10).await.expect("search").cases.is_empty());
    assert!(store.referred_between(day(7, 1), day(7, 31)).await.expect("referrals").is_empty());
    assert!(store.flag(&flag_id).await.expect("flag").is_none());

    let summary = store.backfill_indexes(day(4, 1), day(8, 31), false, &mut Quiet).await.expect("backfill");
    assert_eq!(
        (summary.months_walked, summary.cases_read, summary.name_items, summary.referral_items, summary.flag_items),
        (5, 1, 2, 1, 1)
    );
    let found = store.cases_named(&tokens, 10).await.expect("search");
    assert_eq!(
        found.cases.iter().map(|s| s.case.reference().clone()).collect::<Vec<_>>(),
        std::slice::from_ref(&reference)
    );
    let referred = store.referred_between(day(7, 1), day(7, 31)).await.expect("referrals");
    assert_eq!(
        referred.iter().map(|s| s.case.reference().clone()).collect::<Vec<_>>(),
        std::slice::from_ref(&reference)
    );
    assert!(store.flag(&flag_id).await.expect("flag").is_some());

    // Staff deal with the flag; a restarted run re-reads everything, adds nothing, keeps that.
    let dealt = DealtWith { by: "ann".to_owned(), at: Utc::now(), note: "A real person".to_owned() };
    store.deal_with_flag(&flag_id, dealt).await.expect("deal with");
    let again = store.backfill_indexes(day(4, 1), day(8, 31), true, &mut Quiet).await.expect("again");
    assert_eq!((again.cases_read, again.name_items, again.referral_items, again.flag_items), (1, 0, 0, 0));
    assert!(store.flag(&flag_id).await.expect("flag").is_some_and(|f| f.dealt_with.is_some()));
    let resumed = store.backfill_indexes(day(4, 1), day(8, 31), false, &mut Quiet).await.expect("resumed");
    assert_eq!((resumed.months_walked, resumed.months_already_done), (0, 5));
}
