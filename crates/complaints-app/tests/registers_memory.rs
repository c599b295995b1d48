//! The registers' contract suites on the in-memory doubles, and the quality-check and flag use
//! cases end to end over memory stores.

use chrono::{NaiveDate, TimeZone, Utc};
use complaints_app::flagged::{FlagError, FlagStore, deal_with, raise_case_flags};
use complaints_app::learning::{self, LearningStore};
use complaints_app::ports::{CaseStore, NewCase};
use complaints_app::quality::{QualityError, QualityStore, ReviewInput, period_check, record_review};
use complaints_app::staff::StaffUser;
use complaints_app::testing::{MemoryCaseStore, sample_complaint};
use complaints_app::testing_read::MemoryLearningStore;
use complaints_app::testing_registers::{MemoryFlagStore, MemoryQualityStore};
use complaints_core::calendar::Calendar;
use complaints_core::case::{Case, CaseEvent, Rules, StaffFlag, TimelineEvent};
use complaints_core::command::Command;
use complaints_core::complaint::Channel;
use complaints_core::outcome::Outcome;
use complaints_core::policy::Policy;
use complaints_core::quality::{Answer, Checklist, QualitySettings, SampleReason};
use complaints_core::reference::CaseRef;
use complaints_core::roles::Role;
use complaints_core::signposting::Stage2Signposting;
use complaints_core::timeline::Actor;

mod quality {
    complaints_app::quality_store_contract_tests!(async {
        complaints_app::testing_registers::MemoryQualityStore::default()
    });
}

mod flags {
    complaints_app::flag_store_contract_tests!(async { complaints_app::testing_registers::MemoryFlagStore::default() });
}

fn user(id: &str, role: Role) -> StaffUser {
    StaffUser { id: id.to_owned(), name: id.to_owned(), role, email: None }
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).expect("date")
}

/// Opens a case handled by `handler` and closes stage 1 with `outcome` on 4 March.
async fn closed_case(store: &MemoryCaseStore, handler: &str, outcome: Outcome) -> CaseRef {
    let calendar = Calendar::scotland();
    let policy = Policy::default();
    let rules = Rules { calendar: &calendar, policy: &policy };
    let received = Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).single().expect("instant");
    let reference = CaseRef::new("CMP", 2026, 0).expect("reference");
    let (case, events) = Case::open(
        reference,
        sample_complaint(Channel::Email, None),
        received,
        handler.to_owned(),
        None,
        rules,
        Actor::System,
    );
    let stored = store.create(NewCase { case, events, source_key: None, mail: None }).await.expect("create");
    let signposting = Stage2Signposting { given_on: day(4), channel: Channel::Email, time_limit_given: true };
    let command = Command::CloseStage1 { responded_on: day(4), outcome, signposting: Some(signposting) };
    let when = day(4).and_hms_opt(15, 0, 0).expect("time").and_utc();
    let (case, events) = stored.case.apply(command, when, Actor::Staff(handler.to_owned()), rules).expect("close");
    store.update(&case, stored.version, events).await.expect("store the closure");
    case.reference().clone()
}

fn input(closure_id: String, learning: Vec<String>) -> ReviewInput {
    let mut checklist = Checklist::from_fn(|_| Answer::Yes);
    checklist.all_points_answered = Answer::No;
    ReviewInput { closure_id, reviewed_on: day(10), checklist, findings: "Point 2 missed".to_owned(), learning }
}

#[tokio::test]
async fn a_manager_reviews_a_sampled_resolved_closure_and_the_summary_counts_it() {
    let cases = MemoryCaseStore::new();
    let reviews = MemoryQualityStore::default();
    let register = MemoryLearningStore::new();
    let resolved = closed_case(&cases, "ann", Outcome::Resolved).await;
    closed_case(&cases, "ann", Outcome::Upheld).await;
    let settings = QualitySettings { other_share_percent: 0, minimum_others: 0 };
    let check = period_check(&cases, &reviews, &settings, day(1), day(31)).await.expect("check");
    assert_eq!(check.sample.len(), 1, "only the resolved closure with a share of 0");
    assert_eq!(check.sample[0].closure.reference, resolved);
    assert_eq!(check.sample[0].reason, SampleReason::Resolved);

    let action = learning::create(
        &register,
        "LA-00000001".to_owned(),
        "Points list not checked".to_owned(),
        "Checklist in the response template".to_owned(),
        "bob".to_owned(),
        day(10),
        day(30),
        vec![resolved.clone()],
    )
    .await
    .expect("learning");
    let id = check.sample[0].closure.id();
    let manager = user("bob", Role::Manager);
    let review = record_review(
        &cases,
        &reviews,
        &register,
        &manager,
        day(1),
        day(31),
        input(id.clone(), vec![action.action.id.clone()]),
    )
    .await
    .expect("review");
    assert_eq!(review.reviewer, "bob");
    assert_eq!(reviews.review_of(&id).await.expect("read"), Some(review));
    let again = record_review(&cases, &reviews, &register, &manager, day(1), day(31), input(id, vec![])).await;
    assert!(matches!(again, Err(QualityError::AlreadyReviewed)), "{again:?}");
    let check = period_check(&cases, &reviews, &settings, day(1), day(31)).await.expect("check");
    assert_eq!((check.summary.reviewed, check.summary.outstanding, check.summary.learning_raised), (1, 0, 1));
    assert_eq!(register.learning("LA-00000001").await.map(|s| s.action.cases).expect("read"), vec![resolved]);
}

#[tokio::test]
async fn handlers_may_not_review_nobody_reviews_their_own_case_and_learning_must_exist() {
    let cases = MemoryCaseStore::new();
    let reviews = MemoryQualityStore::default();
    let register = MemoryLearningStore::new();
    let reference = closed_case(&cases, "ann", Outcome::Resolved).await;
    let id = format!("{reference}/1/2026-03-04");
    let handler = record_review(
        &cases,
        &reviews,
        &register,
        &user("carl", Role::Handler),
        day(1),
        day(31),
        input(id.clone(), vec![]),
    )
    .await;
    assert!(matches!(handler, Err(QualityError::NotAllowed { .. })), "{handler:?}");
    let own = record_review(
        &cases,
        &reviews,
        &register,
        &user("ann", Role::Manager),
        day(1),
        day(31),
        input(id.clone(), vec![]),
    )
    .await;
    assert!(matches!(own, Err(QualityError::Refused(_))), "{own:?}");
    let unknown = record_review(
        &cases,
        &reviews,
        &register,
        &user("bob", Role::Manager),
        day(1),
        day(31),
        input(id.clone(), vec!["LA-404".to_owned()]),
    )
    .await;
    assert!(matches!(unknown, Err(QualityError::UnknownLearning(_))), "{unknown:?}");
    let outside =
        record_review(&cases, &reviews, &register, &user("bob", Role::Manager), day(5), day(31), input(id, vec![]))
            .await;
    assert!(matches!(outside, Err(QualityError::NoSuchClosure(_))), "{outside:?}");
    assert!(reviews.reviews_between(day(1), day(31)).await.expect("list").is_empty(), "nothing was recorded");
}

#[tokio::test]
async fn flags_on_a_case_are_raised_once_and_only_handlers_and_managers_clear_them_with_a_note() {
    let flags = MemoryFlagStore::default();
    let reference = CaseRef::new("CMP", 2026, 7).expect("reference");
    let at = Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).single().expect("instant");
    let events = vec![
        TimelineEvent {
            at,
            actor: Actor::System,
            what: CaseEvent::FlaggedForStaff { reason: StaffFlag::PossibleSpam },
        },
        TimelineEvent { at, actor: Actor::System, what: CaseEvent::FlaggedForStaff { reason: StaffFlag::OverMailCap } },
    ];
    assert_eq!(raise_case_flags(&flags, &reference, &events).await.expect("raise"), 2);
    assert_eq!(raise_case_flags(&flags, &reference, &events).await.expect("raise again"), 0);
    let page = flags.open_flags(None, 10).await.expect("list");
    assert_eq!(page.items.len(), 2);
    let id = page.items[0].id.clone();
    let auditor = deal_with(&flags, &user("dee", Role::Auditor), &id, at, "looked").await;
    assert!(matches!(auditor, Err(FlagError::NotAllowed { .. })), "{auditor:?}");
    let blank = deal_with(&flags, &user("ann", Role::Handler), &id, at, "  ").await;
    assert!(matches!(blank, Err(FlagError::BlankNote)), "{blank:?}");
    let done = deal_with(&flags, &user("ann", Role::Handler), &id, at, "Real person: acknowledged by phone")
        .await
        .expect("clear");
    assert_eq!(done.dealt_with.map(|d| d.by), Some("ann".to_owned()));
    assert_eq!(flags.open_flags(None, 10).await.expect("list").items.len(), 1);
}

#[tokio::test]
async fn a_possible_spam_intake_is_in_the_flagged_register_once_written_with_the_case() {
    use complaints_app::intake::IntakeRequest;
    use complaints_app::testing::{RecordingMailer, intake_service};
    use std::sync::Arc;

    // The store raises the flag in the case write itself: no wrapper, one store.
    let memory = MemoryCaseStore::new();
    let flags = memory.clone();
    let store: Arc<dyn CaseStore> = Arc::new(memory);
    let now = Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).single().expect("instant");
    let service = intake_service(store.clone(), Arc::new(RecordingMailer::new()), now);
    let complaint = sample_complaint(Channel::WebForm, Some("jo.bloggs@example.net"));
    let request = IntakeRequest { complaint, source_key: Some("web:spam".to_owned()), possible_spam: true };
    let receipt = service.submit(request.clone()).await.expect("intake");
    service.submit(request).await.expect("a double click");
    let open = flags.open_flags(None, 10).await.expect("list").items;
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0].kind, complaints_app::flagged::FlagKind::Case(StaffFlag::PossibleSpam));
    assert_eq!(open[0].reference.as_ref(), Some(&receipt.reference));

    // An ordinary complaint raises nothing.
    let ordinary = sample_complaint(Channel::WebForm, Some("someone@example.net"));
    service
        .submit(IntakeRequest { complaint: ordinary, source_key: None, possible_spam: false })
        .await
        .expect("intake");
    assert_eq!(flags.open_flags(None, 10).await.expect("list").items.len(), 1);
}

#[tokio::test]
async fn whoever_recorded_the_response_is_not_its_second_reader_even_when_a_team_handles_the_case() {
    let cases = MemoryCaseStore::new();
    let reviews = MemoryQualityStore::default();
    let register = MemoryLearningStore::new();
    // The case is handled by a team; "bob" recorded the response (the actor on the closure).
    let reference = closed_case(&cases, "Waste Services Team", Outcome::Resolved).await;
    let stored = cases.get(&reference).await.expect("read");
    let calendar = Calendar::scotland();
    let policy = Policy::default();
    let rules = Rules { calendar: &calendar, policy: &policy };
    let reopen = Command::Reopen { reopened_on: day(5), reason: "New evidence".to_owned(), respond_by: day(12) };
    let when = day(5).and_hms_opt(9, 0, 0).expect("time").and_utc();
    let (case, events) = stored.case.apply(reopen, when, Actor::Staff("bob".to_owned()), rules).expect("reopen");
    let version = cases.update(&case, stored.version, events).await.expect("store");
    let signposting = Stage2Signposting { given_on: day(6), channel: Channel::Email, time_limit_given: true };
    let close =
        Command::CloseStage1 { responded_on: day(6), outcome: Outcome::Resolved, signposting: Some(signposting) };
    let when = day(6).and_hms_opt(9, 0, 0).expect("time").and_utc();
    let (case, events) = case.apply(close, when, Actor::Staff("bob".to_owned()), rules).expect("close");
    cases.update(&case, version, events).await.expect("store");

    let settings = QualitySettings::default();
    let check = period_check(&cases, &reviews, &settings, day(1), day(31)).await.expect("check");
    let by_bob = check.sample.iter().find(|s| s.closure.closed_on == day(6)).expect("the second response is sampled");
    assert_eq!(by_bob.closure.responded_by.as_deref(), Some("bob"));
    let refused = record_review(
        &cases,
        &reviews,
        &register,
        &user("bob", Role::Manager),
        day(1),
        day(31),
        input(by_bob.closure.id(), vec![]),
    )
    .await;
    assert!(matches!(refused, Err(QualityError::Refused(_))), "{refused:?}");
    let other = record_review(
        &cases,
        &reviews,
        &register,
        &user("mairi", Role::Manager),
        day(1),
        day(31),
        input(by_bob.closure.id(), vec![]),
    )
    .await;
    assert!(other.is_ok(), "{other:?}");
}
