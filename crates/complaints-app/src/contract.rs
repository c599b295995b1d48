//! The `CaseStore` contract suite (feature `contract-tests`): every store adapter runs these from
//! its own tests, so the embedded and the cloud store cannot drift apart.
//!
//! Each contract takes a store and asserts one behaviour, panicking on failure like any test.
//! Contracts only look at data they wrote themselves (a fresh reference prefix, source key,
//! contact key and Message-ID per run), so they can share one table with other tests and run in
//! parallel. Adapters either call [`run_all`] or generate one test per contract with
//! [`case_store_contract_tests!`](crate::case_store_contract_tests).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use complaints_core::calendar::Calendar;
use complaints_core::case::{Case, ContactKey, PointOfComplaint, Rules};
use complaints_core::command::Command;
use complaints_core::complaint::Channel;
use complaints_core::outcome::Outcome;
use complaints_core::policy::Policy;
use complaints_core::reference::CaseRef;
use complaints_core::signposting::{SpsoSignposting, Stage2Signposting};
use complaints_core::timeline::{Actor, TimelineEvent};

use complaints_core::case::{CaseEvent, MessagePurpose};
use complaints_core::complaint::EmailAddress;
use complaints_mail::QueuedMessage;

use crate::contract_support::{apply_as_staff, at, create, date, ok, unique_prefix};
use crate::outbound::{DeliveryResult, DeliveryState, NewMessage};
use crate::ports::{CaseMail, CaseStore, NewCase, RecipientCap, StoreError, StoredCase};
use crate::testing::sample_complaint;

/// A contract: takes a fresh (or shared) store and panics when the store breaks the contract.
pub type Contract = fn(Arc<dyn CaseStore>) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// Every contract by name, for [`run_all`] and the test-generating macro.
pub const CONTRACTS: &[(&str, Contract)] = &[
    ("create_numbers_cases_one_two_three_per_prefix_and_year", |s| {
        Box::pin(create_numbers_cases_one_two_three_per_prefix_and_year(s))
    }),
    ("create_with_a_used_source_key_returns_the_existing_reference_and_writes_nothing", |s| {
        Box::pin(create_with_a_used_source_key_returns_the_existing_reference_and_writes_nothing(s))
    }),
    ("get_timeline_and_update_of_an_unknown_case_are_not_found", |s| {
        Box::pin(get_timeline_and_update_of_an_unknown_case_are_not_found(s))
    }),
    ("update_at_the_current_version_succeeds_and_a_stale_version_conflicts", |s| {
        Box::pin(update_at_the_current_version_succeeds_and_a_stale_version_conflicts(s))
    }),
    ("timeline_lists_events_from_create_and_updates_oldest_first", |s| {
        Box::pin(timeline_lists_events_from_create_and_updates_oldest_first(s))
    }),
    ("open_due_by_lists_open_cases_due_on_or_before_the_date_earliest_first", |s| {
        Box::pin(open_due_by_lists_open_cases_due_on_or_before_the_date_earliest_first(s))
    }),
    ("open_due_by_leaves_out_closed_and_withdrawn_cases", |s| {
        Box::pin(open_due_by_leaves_out_closed_and_withdrawn_cases(s))
    }),
    ("received_between_includes_both_boundary_dates", |s| Box::pin(received_between_includes_both_boundary_dates(s))),
    ("closed_between_includes_both_boundary_dates_and_lists_each_case_once", |s| {
        Box::pin(closed_between_includes_both_boundary_dates_and_lists_each_case_once(s))
    }),
    ("find_by_contact_returns_only_that_contacts_cases", |s| {
        Box::pin(find_by_contact_returns_only_that_contacts_cases(s))
    }),
    ("recorded_message_ids_lead_back_to_their_case", |s| Box::pin(recorded_message_ids_lead_back_to_their_case(s))),
    ("an_alert_marker_is_placed_only_once", |s| Box::pin(an_alert_marker_is_placed_only_once(s))),
    ("concurrent_creates_get_distinct_consecutive_numbers", |s| {
        Box::pin(concurrent_creates_get_distinct_consecutive_numbers(s))
    }),
    ("create_writes_the_cases_mail_as_pending_in_the_same_transaction", |s| {
        Box::pin(create_writes_the_cases_mail_as_pending_in_the_same_transaction(s))
    }),
    ("a_refused_create_queues_no_mail", |s| Box::pin(a_refused_create_queues_no_mail(s))),
    ("update_with_messages_queues_mail_with_the_change_and_a_stale_version_queues_nothing", |s| {
        Box::pin(update_with_messages_queues_mail_with_the_change_and_a_stale_version_queues_nothing(s))
    }),
    ("pending_messages_lists_due_unsent_messages_oldest_first_up_to_the_limit", |s| {
        Box::pin(pending_messages_lists_due_unsent_messages_oldest_first_up_to_the_limit(s))
    }),
    ("a_pending_message_is_claimed_by_one_deliverer_until_its_lease_ends", |s| {
        Box::pin(a_pending_message_is_claimed_by_one_deliverer_until_its_lease_ends(s))
    }),
    ("finishing_a_message_records_its_result_and_the_timeline_event", |s| {
        Box::pin(finishing_a_message_records_its_result_and_the_timeline_event(s))
    }),
    ("automatic_messages_since_counts_one_recipients_recent_messages", |s| {
        Box::pin(automatic_messages_since_counts_one_recipients_recent_messages(s))
    }),
    ("the_per_recipient_cap_holds_under_concurrent_creates", |s| {
        Box::pin(the_per_recipient_cap_holds_under_concurrent_creates(s))
    }),
    ("a_social_reply_is_kept_as_queued_and_counted_by_the_cap", |s| {
        Box::pin(a_social_reply_is_kept_as_queued_and_counted_by_the_cap(s))
    }),
];

/// Runs every contract, each on a store from `make` (which may return the same shared store).
pub async fn run_all<S, F, Fut>(make: F)
where
    S: CaseStore + 'static,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    for (_name, contract) in CONTRACTS {
        contract(Arc::new(make().await)).await;
    }
}

/// Generates one `#[tokio::test]` per contract. `$make` is an async expression evaluated per test
/// that yields the store, e.g. `case_store_contract_tests!(async { SqliteCaseStore::in_memory().unwrap() });`.
/// The calling crate needs `tokio` (with `macros` and `rt-multi-thread`) as a dev-dependency.
#[macro_export]
macro_rules! case_store_contract_tests {
    ($make:expr) => {
        $crate::case_store_contract_tests!(@each $make;
            create_numbers_cases_one_two_three_per_prefix_and_year,
            create_with_a_used_source_key_returns_the_existing_reference_and_writes_nothing,
            get_timeline_and_update_of_an_unknown_case_are_not_found,
            update_at_the_current_version_succeeds_and_a_stale_version_conflicts,
            timeline_lists_events_from_create_and_updates_oldest_first,
            open_due_by_lists_open_cases_due_on_or_before_the_date_earliest_first,
            open_due_by_leaves_out_closed_and_withdrawn_cases,
            received_between_includes_both_boundary_dates,
            closed_between_includes_both_boundary_dates_and_lists_each_case_once,
            find_by_contact_returns_only_that_contacts_cases,
            recorded_message_ids_lead_back_to_their_case,
            an_alert_marker_is_placed_only_once,
            concurrent_creates_get_distinct_consecutive_numbers,
            create_writes_the_cases_mail_as_pending_in_the_same_transaction,
            a_refused_create_queues_no_mail,
            update_with_messages_queues_mail_with_the_change_and_a_stale_version_queues_nothing,
            pending_messages_lists_due_unsent_messages_oldest_first_up_to_the_limit,
            a_pending_message_is_claimed_by_one_deliverer_until_its_lease_ends,
            finishing_a_message_records_its_result_and_the_timeline_event,
            automatic_messages_since_counts_one_recipients_recent_messages,
            the_per_recipient_cap_holds_under_concurrent_creates,
            a_social_reply_is_kept_as_queued_and_counted_by_the_cap,
        );
    };
    (@each $make:expr; $($name:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let store: ::std::sync::Arc<dyn $crate::ports::CaseStore> = ::std::sync::Arc::new($make.await);
                $crate::contract::$name(store).await;
            }
        )+
    };
}

/// What the contracts build cases with: a prefix no other run uses, and the built-in rules.
struct Fixture {
    prefix: String,
    calendar: Calendar,
    policy: Policy,
}

impl Fixture {
    fn new() -> Self {
        Self { prefix: unique_prefix('T'), calendar: Calendar::scotland(), policy: Policy::default() }
    }

    /// A new case with this fixture's prefix, received at `at` (10:00 UTC on a working day keeps
    /// the effective receipt on that date), numbered in `year`.
    fn case(&self, year: i32, at: DateTime<Utc>, contact: Option<ContactKey>) -> (Case, Vec<TimelineEvent>) {
        self.case_with_prefix(&self.prefix, year, at, contact)
    }

    fn case_with_prefix(
        &self,
        prefix: &str,
        year: i32,
        at: DateTime<Utc>,
        contact: Option<ContactKey>,
    ) -> (Case, Vec<TimelineEvent>) {
        let reference = ok(CaseRef::new(prefix, year, 0), "contract prefix is valid");
        let rules = Rules { calendar: &self.calendar, policy: &self.policy };
        let complaint = sample_complaint(Channel::WebForm, Some("contract@example.org"));
        Case::open(reference, complaint, at, "Complaints Team".to_owned(), contact, rules, Actor::System)
    }

    fn new_case(&self, year: i32, at: DateTime<Utc>) -> NewCase {
        let (case, events) = self.case(year, at, None);
        NewCase { case, events, source_key: None, mail: None }
    }

    /// Applies a lifecycle command as a member of staff at 17:00 UTC on `on`, and stores the result.
    async fn apply(&self, store: &dyn CaseStore, stored: StoredCase, command: Command, on: NaiveDate) -> StoredCase {
        apply_as_staff(Rules { calendar: &self.calendar, policy: &self.policy }, store, stored, command, on).await
    }

    async fn close_stage1(&self, store: &dyn CaseStore, stored: StoredCase, on: NaiveDate) -> StoredCase {
        let signposting = Stage2Signposting { given_on: on, channel: Channel::Email, time_limit_given: true };
        let command =
            Command::CloseStage1 { responded_on: on, outcome: Outcome::Upheld, signposting: Some(signposting) };
        self.apply(store, stored, command, on).await
    }

    /// Only what this run wrote, from a listing that may hold other tests' cases.
    fn own(&self, listed: Vec<StoredCase>) -> Vec<CaseRef> {
        listed.into_iter().map(|s| s.case.reference().clone()).filter(|r| r.prefix() == self.prefix).collect()
    }
}

fn unique(label: &str) -> String {
    format!("contract-{label}-{}", uuid::Uuid::new_v4().simple())
}

/// Numbers start at 1 for each (prefix, year) and go up by one; another year or prefix has its own counter.
pub async fn create_numbers_cases_one_two_three_per_prefix_and_year(store: Arc<dyn CaseStore>) {
    let fx = Fixture::new();
    let mut numbers = Vec::new();
    for day in [2, 3, 4] {
        let stored = create(store.as_ref(), fx.new_case(2026, at(2026, 3, day))).await;
        assert_eq!(stored.version, 1, "a new case is at version 1");
        assert_eq!((stored.case.reference().prefix(), stored.case.reference().year()), (fx.prefix.as_str(), 2026));
        let loaded = ok(store.get(stored.case.reference()).await, "a created case can be loaded");
        assert_eq!(loaded, stored, "get returns what create returned");
        numbers.push(stored.case.reference().number());
    }
    assert_eq!(numbers, [1, 2, 3]);

    let next_year = create(store.as_ref(), fx.new_case(2027, at(2027, 1, 4))).await;
    assert_eq!(next_year.case.reference().number(), 1, "a new year starts again at 1");

    let other_prefix = unique_prefix('T');
    let (case, events) = fx.case_with_prefix(&other_prefix, 2026, at(2026, 3, 5), None);
    let other = create(store.as_ref(), NewCase { case, events, source_key: None, mail: None }).await;
    assert_eq!(other.case.reference().number(), 1, "another prefix has its own counter");
}

/// A repeated source key creates nothing and names the case the first delivery created.
pub async fn create_with_a_used_source_key_returns_the_existing_reference_and_writes_nothing(
    store: Arc<dyn CaseStore>,
) {
    let fx = Fixture::new();
    let key = unique("source");
    let mut first = fx.new_case(2026, at(2026, 3, 2));
    first.source_key = Some(key.clone());
    let first = create(store.as_ref(), first).await;

    let mut repeat = fx.new_case(2026, at(2026, 3, 3));
    repeat.source_key = Some(key);
    match store.create(repeat).await {
        Err(StoreError::AlreadyExists { existing }) => assert_eq!(existing.as_ref(), Some(first.case.reference())),
        other => panic!("a repeated source key must be AlreadyExists, got {other:?}"),
    }

    let next = create(store.as_ref(), fx.new_case(2026, at(2026, 3, 4))).await;
    assert_eq!(next.case.reference().number(), 2, "the refused create did not use up a number");
    let timeline = ok(store.timeline(first.case.reference()).await, "timeline of the first case");
    assert_eq!(timeline.len(), 1, "the refused create wrote no timeline entries");
    let received = ok(store.received_between(date(2026, 3, 3), date(2026, 3, 3)).await, "received_between");
    assert!(fx.own(received).is_empty(), "the refused case was not stored");
}

/// Unknown references are `NotFound` for reads, timelines and updates.
pub async fn get_timeline_and_update_of_an_unknown_case_are_not_found(store: Arc<dyn CaseStore>) {
    let fx = Fixture::new();
    let (mut case, _) = fx.case(2026, at(2026, 3, 2), None);
    case.assign_number(1);
    let missing = case.reference().clone();
    assert!(matches!(store.get(&missing).await, Err(StoreError::NotFound)), "get of an unknown case");
    assert!(matches!(store.timeline(&missing).await, Err(StoreError::NotFound)), "timeline of an unknown case");
    assert!(matches!(store.update(&case, 1, Vec::new()).await, Err(StoreError::NotFound)), "update of an unknown case");
}

/// Optimistic concurrency: the right version wins and bumps the version; a stale one conflicts
/// and changes nothing.
pub async fn update_at_the_current_version_succeeds_and_a_stale_version_conflicts(store: Arc<dyn CaseStore>) {
    let fx = Fixture::new();
    let stored = create(store.as_ref(), fx.new_case(2026, at(2026, 3, 2))).await;
    let event =
        |what_at| TimelineEvent { at: what_at, actor: Actor::Staff("s1".to_owned()), what: first_event(&stored) };

    let v2 = ok(store.update(&stored.case, 1, vec![event(at(2026, 3, 3))]).await, "update at the current version");
    assert_eq!(v2, 2);
    match store.update(&stored.case, 1, vec![event(at(2026, 3, 4))]).await {
        Err(StoreError::VersionConflict { expected }) => assert_eq!(expected, 1),
        other => panic!("a stale version must conflict, got {other:?}"),
    }
    let loaded = ok(store.get(stored.case.reference()).await, "get after updates");
    assert_eq!(loaded.version, 2, "the conflicting update did not bump the version");
    let timeline = ok(store.timeline(stored.case.reference()).await, "timeline after updates");
    assert_eq!(timeline.len(), 2, "the conflicting update appended nothing");
    assert_eq!(ok(store.update(&loaded.case, 2, Vec::new()).await, "update at version 2"), 3);
}

/// Events written with create come first, then each update's, in the order given.
pub async fn timeline_lists_events_from_create_and_updates_oldest_first(store: Arc<dyn CaseStore>) {
    let fx = Fixture::new();
    let stored = create(store.as_ref(), fx.new_case(2026, at(2026, 3, 2))).await;
    let created = ok(store.timeline(stored.case.reference()).await, "timeline after create");
    assert_eq!(created.len(), 1, "create wrote its events in the same transaction");

    let staff =
        |id: &str, when| TimelineEvent { at: when, actor: Actor::Staff(id.to_owned()), what: first_event(&stored) };
    let batch = vec![staff("a", at(2026, 3, 3)), staff("b", at(2026, 3, 3))];
    let v2 = ok(store.update(&stored.case, 1, batch.clone()).await, "first update");
    ok(store.update(&stored.case, v2, vec![staff("c", at(2026, 3, 4))]).await, "second update");

    let timeline = ok(store.timeline(stored.case.reference()).await, "timeline after updates");
    let mut expected = created;
    expected.extend(batch);
    expected.push(staff("c", at(2026, 3, 4)));
    assert_eq!(timeline, expected);
}

/// Open cases due by a date come earliest first; later ones are left out.
pub async fn open_due_by_lists_open_cases_due_on_or_before_the_date_earliest_first(store: Arc<dyn CaseStore>) {
    let fx = Fixture::new();
    // Created out of order, so the listing order has to come from the due date.
    let late = create(store.as_ref(), fx.new_case(2026, at(2026, 3, 4))).await;
    let early = create(store.as_ref(), fx.new_case(2026, at(2026, 3, 2))).await;
    let middle = create(store.as_ref(), fx.new_case(2026, at(2026, 3, 3))).await;
    let after = create(store.as_ref(), fx.new_case(2026, at(2026, 3, 5))).await;
    assert!(early.case.stage1_due() < middle.case.stage1_due() && middle.case.stage1_due() < late.case.stage1_due());

    let due = ok(store.open_due_by(late.case.stage1_due()).await, "open_due_by");
    let expected: Vec<CaseRef> = [&early, &middle, &late].map(|s| s.case.reference().clone()).to_vec();
    assert_eq!(fx.own(due), expected, "due on or before the date, earliest first; {} is later", after.case.reference());

    let none = ok(store.open_due_by(date(2026, 3, 1)).await, "open_due_by before any due date");
    assert!(fx.own(none).is_empty());
}

/// Closed and withdrawn cases are not due, however early their old due date was.
pub async fn open_due_by_leaves_out_closed_and_withdrawn_cases(store: Arc<dyn CaseStore>) {
    let fx = Fixture::new();
    let closed = create(store.as_ref(), fx.new_case(2026, at(2026, 3, 2))).await;
    let withdrawn = create(store.as_ref(), fx.new_case(2026, at(2026, 3, 2))).await;
    let open = create(store.as_ref(), fx.new_case(2026, at(2026, 3, 2))).await;
    let closed = fx.close_stage1(store.as_ref(), closed, date(2026, 3, 4)).await;
    let withdraw = Command::Withdraw { withdrawn_on: date(2026, 3, 4), reason: None };
    let withdrawn = fx.apply(store.as_ref(), withdrawn, withdraw, date(2026, 3, 4)).await;
    assert!(!closed.case.index().open && !withdrawn.case.index().open, "the lifecycle finished both cases");

    let due = ok(store.open_due_by(date(2026, 12, 31)).await, "open_due_by");
    assert_eq!(fx.own(due), [open.case.reference().clone()]);
}

/// Cases received on the first and last day of a period are in it; the days around are not.
pub async fn received_between_includes_both_boundary_dates(store: Arc<dyn CaseStore>) {
    let fx = Fixture::new();
    let mut refs = Vec::new();
    for day in [2, 3, 4, 5] {
        refs.push(create(store.as_ref(), fx.new_case(2026, at(2026, 3, day))).await.case.reference().clone());
    }
    let listed = ok(store.received_between(date(2026, 3, 3), date(2026, 3, 4)).await, "received_between");
    assert_eq!(fx.own(listed), refs[1..3].to_vec());
    let single = ok(store.received_between(date(2026, 3, 5), date(2026, 3, 5)).await, "one-day period");
    assert_eq!(fx.own(single), refs[3..].to_vec());
}

/// Stages closed on the first and last day of a period are in it; a case with two closures in
/// the period is listed once.
pub async fn closed_between_includes_both_boundary_dates_and_lists_each_case_once(store: Arc<dyn CaseStore>) {
    let fx = Fixture::new();
    let mut refs = Vec::new();
    for day in [9, 10, 11, 12] {
        let stored = create(store.as_ref(), fx.new_case(2026, at(2026, 3, 2))).await;
        refs.push(fx.close_stage1(store.as_ref(), stored, date(2026, 3, day)).await.case.reference().clone());
    }
    // Closed at stage 1 on the 10th, escalated, and closed at stage 2 on the 11th.
    let (tenth, eleventh) = (date(2026, 3, 10), date(2026, 3, 11));
    let twice = create(store.as_ref(), fx.new_case(2026, at(2026, 3, 2))).await;
    let twice = fx.close_stage1(store.as_ref(), twice, tenth).await;
    let twice = fx
        .apply(
            store.as_ref(),
            twice,
            Command::Escalate { requested_on: tenth, channel: Channel::Email, received_at: None },
            tenth,
        )
        .await;
    let points = vec![PointOfComplaint {
        summary: "Missed collection".to_owned(),
        outcome_sought: "Collect the bin".to_owned(),
    }];
    let acknowledge = Command::AcknowledgeStage2 { acknowledged_on: tenth, points, agreed_on: tenth };
    let twice = fx.apply(store.as_ref(), twice, acknowledge, tenth).await;
    let signposting =
        SpsoSignposting { given_on: eleventh, channel: Channel::Email, template_version: "contract".to_owned() };
    let close = Command::CloseStage2 {
        responded_on: eleventh,
        point_outcomes: vec![Outcome::NotUpheld],
        outcome_override: None,
        signposting: Some(signposting),
    };
    let twice = fx.apply(store.as_ref(), twice, close, eleventh).await;
    assert_eq!(twice.case.index().closed_on, [tenth, eleventh], "the lifecycle closed both stages");

    let mut listed = fx.own(ok(store.closed_between(tenth, eleventh).await, "closed_between"));
    listed.sort();
    let mut expected = vec![refs[1].clone(), refs[2].clone(), twice.case.reference().clone()];
    expected.sort();
    assert_eq!(listed, expected);
}

/// Lookup by the contact's keyed hash finds that contact's cases, oldest first, and no others.
pub async fn find_by_contact_returns_only_that_contacts_cases(store: Arc<dyn CaseStore>) {
    let fx = Fixture::new();
    let jo = ContactKey(unique("jo"));
    let sam = ContactKey(unique("sam"));
    let mut jos = Vec::new();
    for (day, who) in [(2, &jo), (3, &sam), (4, &jo)] {
        let (case, events) = fx.case(2026, at(2026, 3, day), Some(who.clone()));
        let stored = create(store.as_ref(), NewCase { case, events, source_key: None, mail: None }).await;
        if who == &jo {
            jos.push(stored.case.reference().clone());
        }
    }
    assert_eq!(ok(store.find_by_contact(&jo).await, "find_by_contact"), jos);
    assert!(ok(store.find_by_contact(&ContactKey(unique("nobody"))).await, "unknown contact").is_empty());
}

/// A recorded outbound Message-ID maps back to its case; an unknown one maps to nothing.
pub async fn recorded_message_ids_lead_back_to_their_case(store: Arc<dyn CaseStore>) {
    let fx = Fixture::new();
    let stored = create(store.as_ref(), fx.new_case(2026, at(2026, 3, 2))).await;
    let message_id = format!("{}@contract.example.org", unique("msg"));
    ok(store.record_message(&message_id, stored.case.reference()).await, "record_message");
    assert_eq!(
        ok(store.case_for_message(&message_id).await, "case_for_message").as_ref(),
        Some(stored.case.reference())
    );
    assert_eq!(ok(store.case_for_message(&unique("unknown")).await, "unknown Message-ID"), None);
}

/// The first placement of a marker wins; every later one reports it was already there.
pub async fn an_alert_marker_is_placed_only_once(store: Arc<dyn CaseStore>) {
    let fx = Fixture::new();
    let stored = create(store.as_ref(), fx.new_case(2026, at(2026, 3, 2))).await;
    let marker = format!("{}#stage1#due#v1", unique("alert"));
    assert!(ok(store.place_alert_marker(&marker, stored.case.reference()).await, "first placement"));
    assert!(!ok(store.place_alert_marker(&marker, stored.case.reference()).await, "second placement"));
    let other = format!("{marker}#other");
    assert!(ok(store.place_alert_marker(&other, stored.case.reference()).await, "a different marker"));
}

/// Creates racing from several tasks each get their own number, with no gaps.
pub async fn concurrent_creates_get_distinct_consecutive_numbers(store: Arc<dyn CaseStore>) {
    const TASKS: u32 = 8;
    const PER_TASK: u32 = 5;
    let fx = Arc::new(Fixture::new());
    let mut handles = Vec::new();
    for _ in 0..TASKS {
        let (store, fx) = (Arc::clone(&store), Arc::clone(&fx));
        handles.push(tokio::spawn(async move {
            let mut numbers = Vec::new();
            for _ in 0..PER_TASK {
                numbers.push(create(store.as_ref(), fx.new_case(2026, at(2026, 3, 2))).await.case.reference().number());
            }
            numbers
        }));
    }
    let mut numbers = Vec::new();
    for handle in handles {
        numbers.extend(ok(handle.await, "create task"));
    }
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=TASKS * PER_TASK).collect::<Vec<_>>());
}

/// Any valid event for updates (the contracts care about order and count, not meaning).
fn first_event(stored: &StoredCase) -> complaints_core::case::CaseEvent {
    complaints_core::case::CaseEvent::AcknowledgementSent {
        message_id: format!("{}@contract", stored.case.reference()),
    }
}

/// A pending message for `reference` (or none), queued at `at`, to a recipient with `key`.
fn message_for(reference: Option<&CaseRef>, at: DateTime<Utc>, key: Option<&ContactKey>) -> NewMessage {
    let address = ok(EmailAddress::parse("contract@example.org"), "valid address");
    let message_id = format!("{}@contract.example.org", unique("out"));
    let raw = format!("Message-ID: <{message_id}>\r\nSubject: contract\r\n\r\nBody\r\n").into_bytes();
    NewMessage {
        message: QueuedMessage {
            message_id,
            case_ref: reference.cloned(),
            purpose: MessagePurpose::Acknowledgement,
            from: address.clone(),
            to: vec![address],
            date: at,
            raw,
        },
        recipient_key: key.cloned(),
    }
}

/// A composer that queues one message for the numbered case and records it on the timeline.
fn one_message_mail(at: DateTime<Utc>, key: Option<ContactKey>) -> CaseMail {
    CaseMail::new(move |case: &Case| {
        let message = message_for(Some(case.reference()), at, key.as_ref());
        let event = TimelineEvent {
            at,
            actor: Actor::System,
            what: CaseEvent::MessageQueued {
                message_id: message.message.message_id.clone(),
                purpose: MessagePurpose::Acknowledgement,
            },
        };
        (vec![event], vec![message])
    })
}

fn queued_id(timeline: &[TimelineEvent]) -> Option<String> {
    timeline.iter().find_map(|event| match &event.what {
        CaseEvent::MessageQueued { message_id, .. } => Some(message_id.clone()),
        _ => None,
    })
}

/// The mail a new case causes is composed for its final reference and stored pending with it,
/// its Message-ID indexed to the case and its timeline entry written in the same create.
pub async fn create_writes_the_cases_mail_as_pending_in_the_same_transaction(store: Arc<dyn CaseStore>) {
    let fx = Fixture::new();
    let when = at(2026, 3, 2);
    let mut new = fx.new_case(2026, when);
    new.mail = Some(one_message_mail(when, None));
    let stored = create(store.as_ref(), new).await;
    let timeline = ok(store.timeline(stored.case.reference()).await, "timeline");
    assert_eq!(timeline.len(), 2, "the case's own event and the composer's");
    let message_id = queued_id(&timeline).expect("a MessageQueued entry");
    let pending = ok(store.message(&message_id).await, "message").expect("the message is stored");
    assert_eq!(pending.state, DeliveryState::Pending);
    assert_eq!(pending.attempts, 0);
    assert_eq!(pending.message.case_ref.as_ref(), Some(stored.case.reference()), "composed for the numbered case");
    assert!(
        String::from_utf8_lossy(&pending.message.raw).contains(&format!("<{message_id}>")),
        "the exact bytes are kept"
    );
    assert_eq!(
        ok(store.case_for_message(&message_id).await, "case_for_message").as_ref(),
        Some(stored.case.reference()),
        "replies to a queued message find the case"
    );
}

/// A create refused for its source key writes none of the mail its composer would have made.
pub async fn a_refused_create_queues_no_mail(store: Arc<dyn CaseStore>) {
    let fx = Fixture::new();
    let key = ContactKey(unique("recipient"));
    let when = at(2026, 3, 2);
    let source = unique("source");
    let mut first = fx.new_case(2026, when);
    first.source_key = Some(source.clone());
    first.mail = Some(one_message_mail(when, Some(key.clone())));
    let first = create(store.as_ref(), first).await;
    let mut repeat = fx.new_case(2026, when);
    repeat.source_key = Some(source);
    repeat.mail = Some(one_message_mail(when, Some(key.clone())));
    assert!(matches!(store.create(repeat).await, Err(StoreError::AlreadyExists { .. })), "the repeat is refused");
    let since = when - chrono::Duration::hours(1);
    assert_eq!(ok(store.automatic_messages_since(&key, since).await, "count"), 1, "only the first create's message");
    let timeline = ok(store.timeline(first.case.reference()).await, "timeline");
    assert_eq!(timeline.len(), 2);
}

/// Mail written with an update is stored with it; an update at a stale version writes no mail.
pub async fn update_with_messages_queues_mail_with_the_change_and_a_stale_version_queues_nothing(
    store: Arc<dyn CaseStore>,
) {
    let fx = Fixture::new();
    let when = at(2026, 3, 2);
    let stored = create(store.as_ref(), fx.new_case(2026, when)).await;
    let key = ContactKey(unique("recipient"));
    let message = message_for(Some(stored.case.reference()), when, Some(&key));
    let id = message.message.message_id.clone();
    let version = ok(
        store
            .update_with_messages(&stored.case, stored.version, vec![first_event_at(&stored, when)], vec![message])
            .await,
        "update with a message",
    );
    assert_eq!(version, 2);
    assert_eq!(ok(store.message(&id).await, "message").map(|p| p.state), Some(DeliveryState::Pending));

    let stale = message_for(Some(stored.case.reference()), when, Some(&key));
    let stale_id = stale.message.message_id.clone();
    let result = store.update_with_messages(&stored.case, stored.version, Vec::new(), vec![stale]).await;
    assert!(matches!(result, Err(StoreError::VersionConflict { .. })), "stale version: {result:?}");
    assert_eq!(ok(store.message(&stale_id).await, "message"), None, "the refused update queued nothing");
}

/// Only pending messages due by the time are listed, earliest due first, at most `limit`.
pub async fn pending_messages_lists_due_unsent_messages_oldest_first_up_to_the_limit(store: Arc<dyn CaseStore>) {
    let fx = Fixture::new();
    // A moment far in the past, and different per run, so other tests' pending messages in a
    // shared store are not due by then and this run's are not mixed with another run's.
    let offset = i64::from(uuid::Uuid::new_v4().as_bytes()[0]) * 10_000 + i64::from(uuid::Uuid::new_v4().as_bytes()[1]);
    let base = at(1990, 1, 4) + chrono::Duration::minutes(offset);
    let stored = create(store.as_ref(), fx.new_case(2026, at(2026, 3, 2))).await;
    let mut ids = Vec::new();
    for minutes in [30, 10, 20] {
        let message = message_for(Some(stored.case.reference()), base + chrono::Duration::minutes(minutes), None);
        ids.push((minutes, message.message.message_id.clone()));
        let current = ok(store.get(stored.case.reference()).await, "get");
        ok(store.update_with_messages(&current.case, current.version, Vec::new(), vec![message]).await, "queue");
    }
    ids.sort();
    let listed: Vec<String> = ok(store.pending_messages(base + chrono::Duration::minutes(25), 10).await, "pending")
        .into_iter()
        .map(|p| p.message.message_id)
        .filter(|id| ids.iter().any(|(_, own)| own == id))
        .collect();
    assert_eq!(listed, [ids[0].1.clone(), ids[1].1.clone()], "due ones only, earliest first");

    let limited = ok(store.pending_messages(base + chrono::Duration::minutes(25), 1).await, "pending");
    assert_eq!(limited.len(), 1, "the limit holds");

    let now = base + chrono::Duration::minutes(40);
    let claimed = ok(store.claim_message(&ids[0].1, now, now + chrono::Duration::minutes(5)).await, "claim");
    assert!(claimed.is_some());
    ok(store.finish_message(&ids[0].1, DeliveryResult::Sent { at: now }, None).await, "finish");
    let listed: Vec<String> = ok(store.pending_messages(now, 10).await, "pending")
        .into_iter()
        .map(|p| p.message.message_id)
        .filter(|id| ids.iter().any(|(_, own)| own == id))
        .collect();
    assert_eq!(listed, [ids[1].1.clone(), ids[2].1.clone()], "a sent message leaves the pending list");
}

/// A claim succeeds once; a second deliverer gets nothing until the lease runs out.
pub async fn a_pending_message_is_claimed_by_one_deliverer_until_its_lease_ends(store: Arc<dyn CaseStore>) {
    let fx = Fixture::new();
    let when = at(2026, 3, 2);
    let mut new = fx.new_case(2026, when);
    new.mail = Some(one_message_mail(when, None));
    let stored = create(store.as_ref(), new).await;
    let id = queued_id(&ok(store.timeline(stored.case.reference()).await, "timeline")).expect("queued");
    let lease = chrono::Duration::minutes(5);

    let early = when - chrono::Duration::minutes(1);
    assert!(ok(store.claim_message(&id, early, early + lease).await, "claim").is_none(), "not due before its time");
    let first = ok(store.claim_message(&id, when, when + lease).await, "first claim").expect("claimed");
    assert_eq!(first.attempts, 1, "a claim counts one attempt");
    let later = when + chrono::Duration::minutes(1);
    assert!(ok(store.claim_message(&id, later, later + lease).await, "second claim").is_none(), "held by the first");
    let expired = when + chrono::Duration::minutes(6);
    let again = ok(store.claim_message(&id, expired, expired + lease).await, "after the lease").expect("free again");
    assert_eq!(again.attempts, 2);
    assert!(ok(store.claim_message(&unique("none"), when, when + lease).await, "unknown").is_none());
}

/// Sent, retry and failed results are recorded; a sent or failed message is never claimed again;
/// the result's timeline event is appended to the case.
pub async fn finishing_a_message_records_its_result_and_the_timeline_event(store: Arc<dyn CaseStore>) {
    let fx = Fixture::new();
    let when = at(2026, 3, 2);
    let lease = chrono::Duration::minutes(5);
    let stored = create(store.as_ref(), fx.new_case(2026, when)).await;
    let (retried, failed) = (
        message_for(Some(stored.case.reference()), when, None),
        message_for(Some(stored.case.reference()), when, None),
    );
    let (retried_id, failed_id) = (retried.message.message_id.clone(), failed.message.message_id.clone());
    ok(store.update_with_messages(&stored.case, stored.version, Vec::new(), vec![retried, failed]).await, "queue");

    ok(store.claim_message(&retried_id, when, when + lease).await, "claim").expect("claimed");
    let next = when + chrono::Duration::minutes(15);
    let retry = DeliveryResult::Retry { next_attempt_at: next, reason: "unavailable".to_owned() };
    ok(store.finish_message(&retried_id, retry, None).await, "retry");
    let after_retry = ok(store.message(&retried_id).await, "message").expect("stored");
    assert_eq!((after_retry.state, after_retry.next_attempt_at), (DeliveryState::Pending, next));
    assert_eq!(after_retry.last_error.as_deref(), Some("unavailable"));
    let soon = when + chrono::Duration::minutes(10);
    assert!(ok(store.claim_message(&retried_id, soon, soon + lease).await, "early").is_none(), "waits for its time");
    ok(store.claim_message(&retried_id, next, next + lease).await, "claim").expect("due again");
    let sent_event = TimelineEvent {
        at: next,
        actor: Actor::System,
        what: CaseEvent::MessageSent { message_id: retried_id.clone(), purpose: MessagePurpose::Acknowledgement },
    };
    ok(store.finish_message(&retried_id, DeliveryResult::Sent { at: next }, Some(sent_event.clone())).await, "sent");
    assert_eq!(
        ok(store.message(&retried_id).await, "message").map(|p| p.state),
        Some(DeliveryState::Sent { at: next })
    );
    let later = next + chrono::Duration::hours(1);
    assert!(ok(store.claim_message(&retried_id, later, later + lease).await, "claim").is_none(), "sent is final");

    ok(store.claim_message(&failed_id, when, when + lease).await, "claim").expect("claimed");
    let failure = DeliveryResult::Failed { at: when, reason: "rejected".to_owned() };
    ok(store.finish_message(&failed_id, failure, None).await, "failed");
    let failed = ok(store.message(&failed_id).await, "message").expect("stored");
    assert_eq!(failed.state, DeliveryState::Failed { at: when, reason: "rejected".to_owned() });
    assert!(ok(store.claim_message(&failed_id, later, later + lease).await, "claim").is_none(), "failed is final");

    let timeline = ok(store.timeline(stored.case.reference()).await, "timeline");
    assert_eq!(timeline.last(), Some(&sent_event), "the sent event is on the case's timeline");
    assert!(matches!(
        store.finish_message(&unique("none"), DeliveryResult::Sent { at: when }, None).await,
        Err(StoreError::NotFound)
    ));
}

/// The cap's count includes every message queued for that recipient since the time, and no other.
pub async fn automatic_messages_since_counts_one_recipients_recent_messages(store: Arc<dyn CaseStore>) {
    let fx = Fixture::new();
    let (jo, sam) = (ContactKey(unique("jo")), ContactKey(unique("sam")));
    let when = at(2026, 3, 2);
    let stored = create(store.as_ref(), fx.new_case(2026, when)).await;
    let messages = vec![
        message_for(Some(stored.case.reference()), when - chrono::Duration::hours(30), Some(&jo)),
        message_for(Some(stored.case.reference()), when - chrono::Duration::hours(2), Some(&jo)),
        message_for(Some(stored.case.reference()), when - chrono::Duration::hours(1), Some(&jo)),
        message_for(Some(stored.case.reference()), when, Some(&sam)),
        message_for(Some(stored.case.reference()), when, None),
    ];
    ok(store.update_with_messages(&stored.case, stored.version, Vec::new(), messages).await, "queue");
    let since = when - chrono::Duration::hours(24);
    assert_eq!(ok(store.automatic_messages_since(&jo, since).await, "jo"), 2);
    assert_eq!(ok(store.automatic_messages_since(&sam, since).await, "sam"), 1);
    assert_eq!(ok(store.automatic_messages_since(&ContactKey(unique("nobody")), since).await, "nobody"), 0);
}

fn first_event_at(stored: &StoredCase, at: DateTime<Utc>) -> TimelineEvent {
    TimelineEvent { at, actor: Actor::System, what: first_event(stored) }
}

/// Creates racing for one recipient each ask the store to check a cap of 3: exactly three queue
/// their message, whatever the interleaving, and the others are told the recipient is over it.
pub async fn the_per_recipient_cap_holds_under_concurrent_creates(store: Arc<dyn CaseStore>) {
    const TASKS: usize = 8;
    const LIMIT: u32 = 3;
    let fx = Arc::new(Fixture::new());
    let recipient = ContactKey(unique("capped"));
    let when = at(2026, 3, 2);
    let mut handles = Vec::new();
    for _ in 0..TASKS {
        let (store, fx, recipient) = (Arc::clone(&store), Arc::clone(&fx), recipient.clone());
        handles.push(tokio::spawn(async move {
            let cap = RecipientCap {
                recipient: recipient.clone(),
                limit: LIMIT,
                since: when - chrono::Duration::hours(24),
                at: when,
            };
            let mut new = fx.new_case(2026, when);
            let key = recipient.clone();
            new.mail = Some(CaseMail::capped(vec![cap], move |case: &Case, over_cap| {
                if over_cap(&key) {
                    return (Vec::new(), Vec::new());
                }
                let message = message_for(Some(case.reference()), when, Some(&key));
                (Vec::new(), vec![message])
            }));
            create(store.as_ref(), new).await
        }));
    }
    for handle in handles {
        ok(handle.await, "create task");
    }
    let since = when - chrono::Duration::hours(1);
    assert_eq!(ok(store.automatic_messages_since(&recipient, since).await, "count"), LIMIT, "exactly the cap");
}

/// A private reply on a social media channel (R50) is pending mail like any other: its reserved
/// `.invalid` recipient and its text come back exactly as queued, so delivery hands it to the
/// platform and not to the mail service; the per-recipient cap counts it.
pub async fn a_social_reply_is_kept_as_queued_and_counted_by_the_cap(store: Arc<dyn CaseStore>) {
    use crate::social::{SocialAddress, SocialTransport};
    let fx = Fixture::new();
    let when = at(2026, 3, 2);
    let user = format!("{}", uuid::Uuid::new_v4().as_u128() % 1_000_000_000_000);
    let to = ok(SocialAddress::new(SocialTransport::WhatsApp, "1234567890", &user).ok_or("plain ids"), "address");
    let recipient = ContactKey(unique("social"));
    let text = "Thank you. Your reference is on its way \u{2014} d\u{e9}j\u{e0} vu.";
    let mut new = fx.new_case(2026, when);
    let (key, address) = (recipient.clone(), to.to_email_address());
    let cap =
        RecipientCap { recipient: recipient.clone(), limit: 3, since: when - chrono::Duration::hours(24), at: when };
    new.mail = Some(CaseMail::capped(vec![cap], move |case: &Case, _over_cap| {
        let message = QueuedMessage {
            message_id: unique("social-ack"),
            case_ref: Some(case.reference().clone()),
            purpose: MessagePurpose::Acknowledgement,
            from: ok(EmailAddress::parse("complaints@council.example.org"), "sender"),
            to: vec![address.clone()],
            date: when,
            raw: text.as_bytes().to_vec(),
        };
        let event = TimelineEvent {
            at: when,
            actor: Actor::System,
            what: CaseEvent::MessageQueued {
                message_id: message.message_id.clone(),
                purpose: MessagePurpose::Acknowledgement,
            },
        };
        (vec![event], vec![NewMessage { message, recipient_key: Some(key.clone()) }])
    }));
    let stored = create(store.as_ref(), new).await;
    let timeline = ok(store.timeline(stored.case.reference()).await, "timeline");
    let message_id = queued_id(&timeline).expect("a MessageQueued entry");
    let pending = ok(store.message(&message_id).await, "message").expect("the reply is stored");
    assert_eq!(pending.state, DeliveryState::Pending);
    assert_eq!(pending.message.raw, text.as_bytes(), "the text comes back byte for byte");
    assert_eq!(pending.message.to.len(), 1);
    assert_eq!(SocialAddress::from_email_address(&pending.message.to[0]), Some(to), "the platform recipient");
    let since = when - chrono::Duration::hours(1);
    assert_eq!(ok(store.automatic_messages_since(&recipient, since).await, "count"), 1, "the cap counts it");
}
