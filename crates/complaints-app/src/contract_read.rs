//! The contract suites of the reading ports (feature `contract-tests`): [`CaseQueries`] (lists,
//! filters, pages) and [`LearningStore`] (the learning register). Every adapter runs them from its
//! own tests with [`case_queries_contract_tests!`](crate::case_queries_contract_tests) and
//! [`learning_store_contract_tests!`](crate::learning_store_contract_tests).
//!
//! Like the case store contracts, each looks only at what it wrote (a fresh reference prefix,
//! handler and learning ids per run, found through the reference text filter), so they can share
//! one store and run in parallel.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use complaints_core::calendar::Calendar;
use complaints_core::case::{Rules, Stage};
use complaints_core::command::Command;
use complaints_core::complaint::{Channel, NewComplaint};
use complaints_core::learning::LearningAction;
use complaints_core::outcome::Outcome;
use complaints_core::policy::Policy;
use complaints_core::reference::CaseRef;
use complaints_core::signposting::Stage2Signposting;
use complaints_core::timeline::Actor;

use crate::contract_support::{at, date, ok, unique_prefix};
use crate::learning::LearningStore;
use crate::ports::{NewCase, StoreError, StoredCase};
use crate::queries::{CasePage, CaseQueries, CaseQuery, Scope, StatusFilter};
use crate::testing::sample_complaint;

/// A queries contract: takes a store and panics when the store breaks the contract.
pub type QueryContract = fn(Arc<dyn CaseQueries>) -> Pin<Box<dyn Future<Output = ()> + Send>>;
/// A learning register contract.
pub type LearningContract = fn(Arc<dyn LearningStore>) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// Every queries contract by name, for adapters that run them in their own loop.
pub const QUERY_CONTRACTS: &[(&str, QueryContract)] = &[
    ("the_open_list_is_in_due_order_and_pages_through_every_case_once", |s| {
        Box::pin(the_open_list_is_in_due_order_and_pages_through_every_case_once(s))
    }),
    ("the_open_list_leaves_out_finished_cases_and_due_by_finds_due_and_overdue_cases", |s| {
        Box::pin(the_open_list_leaves_out_finished_cases_and_due_by_finds_due_and_overdue_cases(s))
    }),
    ("filters_pick_cases_by_handler_team_stage_service_area_channel_category_and_status", |s| {
        Box::pin(filters_pick_cases_by_handler_team_stage_service_area_channel_category_and_status(s))
    }),
    ("the_received_list_includes_finished_cases_in_received_order_within_the_period", |s| {
        Box::pin(the_received_list_includes_finished_cases_in_received_order_within_the_period(s))
    }),
    ("a_whole_reference_is_found_directly_and_an_unknown_one_lists_nothing", |s| {
        Box::pin(a_whole_reference_is_found_directly_and_an_unknown_one_lists_nothing(s))
    }),
];

/// Every learning register contract by name.
pub const LEARNING_CONTRACTS: &[(&str, LearningContract)] = &[
    ("a_created_action_reads_back_and_its_id_cannot_be_used_again", |s| {
        Box::pin(a_created_action_reads_back_and_its_id_cannot_be_used_again(s))
    }),
    ("saving_at_a_stale_version_conflicts_and_an_unknown_action_is_not_found", |s| {
        Box::pin(saving_at_a_stale_version_conflicts_and_an_unknown_action_is_not_found(s))
    }),
    ("open_actions_list_by_due_date_and_completed_ones_by_the_period_they_were_done_in", |s| {
        Box::pin(open_actions_list_by_due_date_and_completed_ones_by_the_period_they_were_done_in(s))
    }),
    ("actions_are_found_from_every_case_linked_to_them", |s| {
        Box::pin(actions_are_found_from_every_case_linked_to_them(s))
    }),
];

/// Generates one `#[tokio::test]` per [`CaseQueries`] contract; `$make` is an async expression
/// yielding the store.
#[macro_export]
macro_rules! case_queries_contract_tests {
    ($make:expr) => {
        $crate::case_queries_contract_tests!(@each $make;
            the_open_list_is_in_due_order_and_pages_through_every_case_once,
            the_open_list_leaves_out_finished_cases_and_due_by_finds_due_and_overdue_cases,
            filters_pick_cases_by_handler_team_stage_service_area_channel_category_and_status,
            the_received_list_includes_finished_cases_in_received_order_within_the_period,
            a_whole_reference_is_found_directly_and_an_unknown_one_lists_nothing,
        );
    };
    (@each $make:expr; $($name:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let store: ::std::sync::Arc<dyn $crate::queries::CaseQueries> = ::std::sync::Arc::new($make.await);
                $crate::contract_read::$name(store).await;
            }
        )+
    };
}

/// Generates one `#[tokio::test]` per [`LearningStore`] contract.
#[macro_export]
macro_rules! learning_store_contract_tests {
    ($make:expr) => {
        $crate::learning_store_contract_tests!(@each $make;
            a_created_action_reads_back_and_its_id_cannot_be_used_again,
            saving_at_a_stale_version_conflicts_and_an_unknown_action_is_not_found,
            open_actions_list_by_due_date_and_completed_ones_by_the_period_they_were_done_in,
            actions_are_found_from_every_case_linked_to_them,
        );
    };
    (@each $make:expr; $($name:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let store: ::std::sync::Arc<dyn $crate::learning::LearningStore> = ::std::sync::Arc::new($make.await);
                $crate::contract_read::$name(store).await;
            }
        )+
    };
}

fn unique(label: &str) -> String {
    format!("{label}-{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

/// What the query contracts build cases with: a prefix and a handler no other run uses.
struct Fixture {
    prefix: String,
    handler: String,
    calendar: Calendar,
    policy: Policy,
}

impl Fixture {
    fn new() -> Self {
        Self {
            prefix: unique_prefix('Q'),
            handler: unique("Team"),
            calendar: Calendar::scotland(),
            // Any category may be recorded.
            policy: Policy { categories: Vec::new(), ..Policy::default() },
        }
    }

    fn rules(&self) -> Rules<'_> {
        Rules { calendar: &self.calendar, policy: &self.policy }
    }

    /// A query for this run's cases only.
    fn query(&self) -> CaseQuery {
        CaseQuery { text: Some(format!("{}-", self.prefix)), ..CaseQuery::default() }
    }

    async fn create(
        &self,
        store: &dyn CaseQueries,
        received: DateTime<Utc>,
        handler: &str,
        complaint: NewComplaint,
    ) -> StoredCase {
        let reference = ok(CaseRef::new(&self.prefix, 2026, 0), "valid prefix");
        let (case, events) = complaints_core::case::Case::open(
            reference,
            complaint,
            received,
            handler.to_owned(),
            None,
            self.rules(),
            Actor::System,
        );
        ok(store.create(NewCase { case, events, source_key: None, mail: None }).await, "create")
    }

    async fn open(&self, store: &dyn CaseQueries, received: DateTime<Utc>) -> StoredCase {
        self.create(store, received, &self.handler, sample_complaint(Channel::WebForm, None)).await
    }

    async fn apply(&self, store: &dyn CaseQueries, stored: StoredCase, command: Command, on: NaiveDate) -> StoredCase {
        let when = ok(on.and_hms_opt(15, 0, 0).ok_or("no such time"), "valid time").and_utc();
        let (case, events) =
            ok(stored.case.apply(command, when, Actor::Staff("contract".to_owned()), self.rules()), "accepted");
        let version = ok(store.update(&case, stored.version, events).await, "update");
        StoredCase { case, version }
    }

    async fn close_stage1(&self, store: &dyn CaseQueries, stored: StoredCase, on: NaiveDate) -> StoredCase {
        let signposting = Stage2Signposting { given_on: on, channel: Channel::Email, time_limit_given: true };
        let command =
            Command::CloseStage1 { responded_on: on, outcome: Outcome::Upheld, signposting: Some(signposting) };
        self.apply(store, stored, command, on).await
    }
}

fn refs(page: &CasePage) -> Vec<CaseRef> {
    page.cases.iter().map(|s| s.case.reference().clone()).collect()
}

fn refs_of(cases: &[&StoredCase]) -> Vec<CaseRef> {
    cases.iter().map(|s| s.case.reference().clone()).collect()
}

async fn list(store: &dyn CaseQueries, query: &CaseQuery) -> CasePage {
    ok(store.list(query).await, "list")
}

/// Open cases come earliest-due first; pages of two walk all five exactly once and the last
/// page says there is no more.
pub async fn the_open_list_is_in_due_order_and_pages_through_every_case_once(store: Arc<dyn CaseQueries>) {
    let fx = Fixture::new();
    let store = store.as_ref();
    let mut created = Vec::new();
    // Out of order, so the order must come from the due dates.
    for day in [5, 2, 4, 3, 6] {
        created.push(fx.open(store, at(2026, 3, day)).await);
    }
    let mut expected: Vec<&StoredCase> = created.iter().collect();
    expected.sort_by_key(|s| (s.case.index().next_due, s.case.reference().to_string()));

    let mut query = CaseQuery { limit: 2, ..fx.query() };
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = list(store, &query).await;
        pages += 1;
        assert!(page.cases.len() <= 2, "a page holds at most the limit");
        seen.extend(refs(&page));
        match page.next {
            Some(next) => query.after = Some(next),
            None => break,
        }
        assert!(pages < 10, "the pages end");
    }
    assert_eq!(seen, refs_of(&expected));
    assert_eq!(pages, 3);
}

/// A closed or withdrawn case is not open; `due_by` keeps the cases due on or before a date
/// (due soon ahead, overdue before today).
pub async fn the_open_list_leaves_out_finished_cases_and_due_by_finds_due_and_overdue_cases(
    store: Arc<dyn CaseQueries>,
) {
    let fx = Fixture::new();
    let store = store.as_ref();
    let early = fx.open(store, at(2026, 3, 2)).await;
    let late = fx.open(store, at(2026, 3, 16)).await;
    let closed = fx.open(store, at(2026, 3, 2)).await;
    let withdrawn = fx.open(store, at(2026, 3, 2)).await;
    fx.close_stage1(store, closed, date(2026, 3, 4)).await;
    let withdraw = Command::Withdraw { withdrawn_on: date(2026, 3, 4), reason: None };
    fx.apply(store, withdrawn, withdraw, date(2026, 3, 4)).await;

    assert_eq!(refs(&list(store, &fx.query()).await), refs_of(&[&early, &late]));
    let early_due = ok(early.case.index().next_due.ok_or("due"), "open case has a due date");
    let due_soon = CaseQuery { due_by: Some(early_due), ..fx.query() };
    assert_eq!(refs(&list(store, &due_soon).await), refs_of(&[&early]));
    let overdue = CaseQuery { due_by: early_due.pred_opt(), ..fx.query() };
    assert!(list(store, &overdue).await.cases.is_empty(), "nothing is due before the earliest due date");
}

/// Each filter keeps exactly the cases it describes.
pub async fn filters_pick_cases_by_handler_team_stage_service_area_channel_category_and_status(
    store: Arc<dyn CaseQueries>,
) {
    let fx = Fixture::new();
    let store = store.as_ref();
    let plain = fx.open(store, at(2026, 3, 2)).await;
    let other_handler = unique("Other Team");
    let by_other = fx.create(store, at(2026, 3, 2), &other_handler, sample_complaint(Channel::WebForm, None)).await;
    let by_phone = fx.create(store, at(2026, 3, 3), &fx.handler, sample_complaint(Channel::Phone, None)).await;
    let mut housing_complaint = sample_complaint(Channel::WebForm, None);
    housing_complaint.service_area = "Housing Repairs".to_owned();
    let housing = fx.create(store, at(2026, 3, 3), &fx.handler, housing_complaint).await;
    let at_stage2 = fx.open(store, at(2026, 3, 4)).await;
    let move_on = Command::MoveToStage2 { decided_on: date(2026, 3, 5), reason: "Needs investigation".to_owned() };
    let at_stage2 = fx.apply(store, at_stage2, move_on, date(2026, 3, 5)).await;
    let classified = fx.open(store, at(2026, 3, 4)).await;
    let classify = Command::Classify {
        category: "Staff attitude".to_owned(),
        lead_service: "Customer Services".to_owned(),
        contributing_services: Vec::new(),
        external_bodies: Vec::new(),
    };
    let classified = fx.apply(store, classified, classify, date(2026, 3, 5)).await;
    let reassigned = fx.open(store, at(2026, 3, 5)).await;
    let assign = Command::Assign {
        handler: fx.handler.clone(),
        team: Some("Roads Team".to_owned()),
        service_area: Some("Roads".to_owned()),
        assigned_on: date(2026, 3, 6),
    };
    let reassigned = fx.apply(store, reassigned, assign, date(2026, 3, 6)).await;

    let cases = [
        (CaseQuery { handler: Some(format!("  {}  ", other_handler.to_uppercase())), ..fx.query() }, vec![&by_other]),
        (CaseQuery { channel: Some(Channel::Phone), ..fx.query() }, vec![&by_phone]),
        (CaseQuery { service_area: Some("housing repairs".to_owned()), ..fx.query() }, vec![&housing]),
        (CaseQuery { stage: Some(Stage::Two), ..fx.query() }, vec![&at_stage2]),
        (CaseQuery { category: Some("STAFF ATTITUDE".to_owned()), ..fx.query() }, vec![&classified]),
        (CaseQuery { service_area: Some("roads".to_owned()), ..fx.query() }, vec![&reassigned]),
        (CaseQuery { team: Some("roads team".to_owned()), ..fx.query() }, vec![&reassigned]),
        (CaseQuery { status: Some(StatusFilter::Stage2AwaitingAcknowledgement), ..fx.query() }, vec![&at_stage2]),
        (
            CaseQuery {
                handler: Some(fx.handler.clone()),
                stage: Some(Stage::One),
                channel: Some(Channel::WebForm),
                ..fx.query()
            },
            vec![&plain, &housing, &classified, &reassigned],
        ),
    ];
    for (query, expected) in cases {
        let mut expected = expected;
        expected.sort_by_key(|s| (s.case.index().next_due, s.case.reference().to_string()));
        assert_eq!(refs(&list(store, &query).await), refs_of(&expected), "{query:?}");
    }
}

/// The received list holds closed cases too, oldest received first, within the period only.
pub async fn the_received_list_includes_finished_cases_in_received_order_within_the_period(
    store: Arc<dyn CaseQueries>,
) {
    let fx = Fixture::new();
    let store = store.as_ref();
    let before = fx.open(store, at(2026, 2, 27)).await;
    let second = fx.open(store, at(2026, 3, 31)).await;
    let first = fx.open(store, at(2026, 3, 2)).await;
    let first = fx.close_stage1(store, first, date(2026, 3, 4)).await;
    let after = fx.open(store, at(2026, 4, 1)).await;
    let march = Scope::Received { from: date(2026, 3, 1), to: date(2026, 3, 31) };
    let page = list(store, &CaseQuery { scope: march, limit: 1, ..fx.query() }).await;
    assert_eq!(refs(&page), refs_of(&[&first]));
    let rest = list(store, &CaseQuery { scope: march, limit: 1, after: page.next.clone(), ..fx.query() }).await;
    assert_eq!(refs(&rest), refs_of(&[&second]));
    assert!(rest.next.is_none(), "{} and {} are outside the period", before.case.reference(), after.case.reference());
    let closed = CaseQuery { scope: march, status: Some(StatusFilter::Stage1Closed), ..fx.query() };
    assert_eq!(refs(&list(store, &closed).await), refs_of(&[&first]));
    // Open cases page through the received list too, each once.
    let april = Scope::Received { from: date(2026, 3, 31), to: date(2026, 4, 30) };
    let page = list(store, &CaseQuery { scope: april, limit: 1, ..fx.query() }).await;
    assert_eq!(refs(&page), refs_of(&[&second]));
    let rest = list(store, &CaseQuery { scope: april, limit: 1, after: page.next.clone(), ..fx.query() }).await;
    assert_eq!(refs(&rest), refs_of(&[&after]), "the next page starts after the cursor's own case");
}

/// A whole reference is looked up directly; one that does not exist lists nothing.
pub async fn a_whole_reference_is_found_directly_and_an_unknown_one_lists_nothing(store: Arc<dyn CaseQueries>) {
    let fx = Fixture::new();
    let store = store.as_ref();
    let case = fx.open(store, at(2026, 3, 2)).await;
    fx.open(store, at(2026, 3, 2)).await;
    let exact = CaseQuery { text: Some(case.case.reference().to_string().to_lowercase()), ..CaseQuery::default() };
    assert_eq!(refs(&list(store, &exact).await), refs_of(&[&case]));
    let unknown = ok(CaseRef::new(&fx.prefix, 2026, 999), "valid reference");
    let missing = CaseQuery { text: Some(unknown.to_string()), ..CaseQuery::default() };
    assert!(list(store, &missing).await.cases.is_empty());
}

fn action(id: &str, recorded: NaiveDate, due: NaiveDate, cases: Vec<CaseRef>) -> LearningAction {
    ok(
        LearningAction::new(
            id.to_owned(),
            "Bins were missed after the route changed".to_owned(),
            "Update the crews' route sheets".to_owned(),
            "Waste manager".to_owned(),
            recorded,
            due,
            cases,
        ),
        "valid action",
    )
}

fn case_ref(prefix: &str, number: u32) -> CaseRef {
    ok(CaseRef::new(prefix, 2026, number), "valid reference")
}

fn learning_prefix() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string().to_ascii_uppercase();
    format!("L{}", &id[..9])
}

/// A created action reads back as written, at version 1; its id cannot be used again.
pub async fn a_created_action_reads_back_and_its_id_cannot_be_used_again(store: Arc<dyn LearningStore>) {
    let id = unique("LA");
    let written = action(&id, date(2026, 3, 2), date(2026, 4, 30), vec![case_ref(&learning_prefix(), 1)]);
    let stored = ok(store.create_learning(&written).await, "create");
    assert_eq!(stored.version, 1);
    let read = ok(store.learning(&id).await, "read back");
    assert_eq!((read.action, read.version), (written.clone(), 1));
    let again = store.create_learning(&written).await;
    assert!(matches!(again, Err(StoreError::AlreadyExists { .. })), "{again:?}");
}

/// Saving moves the version on; a stale version conflicts and an unknown id is not found.
pub async fn saving_at_a_stale_version_conflicts_and_an_unknown_action_is_not_found(store: Arc<dyn LearningStore>) {
    let id = unique("LA");
    let mut written = action(&id, date(2026, 3, 2), date(2026, 4, 30), vec![case_ref(&learning_prefix(), 1)]);
    ok(store.create_learning(&written).await, "create");
    ok(written.complete(date(2026, 3, 20)), "complete");
    assert_eq!(ok(store.save_learning(&written, 1).await, "save at the current version"), 2);
    let stale = store.save_learning(&written, 1).await;
    assert!(matches!(stale, Err(StoreError::VersionConflict { expected: 1 })), "{stale:?}");
    assert_eq!(ok(store.learning(&id).await, "read").action.done_on, Some(date(2026, 3, 20)));
    let unknown = action(&unique("LA"), date(2026, 3, 2), date(2026, 4, 30), vec![case_ref(&learning_prefix(), 1)]);
    assert!(matches!(store.save_learning(&unknown, 1).await, Err(StoreError::NotFound)));
    assert!(matches!(store.learning(&unknown.id).await, Err(StoreError::NotFound)));
}

/// Open actions are listed earliest due first; completed ones by the date done, both ends of the
/// period included; recorded ones by the date recorded.
pub async fn open_actions_list_by_due_date_and_completed_ones_by_the_period_they_were_done_in(
    store: Arc<dyn LearningStore>,
) {
    let run = unique("LA");
    let id = |n: u32| format!("{run}-{n}");
    let case = vec![case_ref(&learning_prefix(), 1)];
    let later = action(&id(1), date(2026, 3, 2), date(2026, 6, 30), case.clone());
    let sooner = action(&id(2), date(2026, 3, 3), date(2026, 5, 31), case.clone());
    let mut done_first_day = action(&id(3), date(2026, 3, 2), date(2026, 5, 1), case.clone());
    let mut done_last_day = action(&id(4), date(2026, 3, 2), date(2026, 5, 1), case.clone());
    let mut done_after = action(&id(5), date(2026, 3, 2), date(2026, 5, 1), case.clone());
    for (action, done) in [
        (&mut done_first_day, date(2026, 4, 1)),
        (&mut done_last_day, date(2026, 6, 30)),
        (&mut done_after, date(2026, 7, 1)),
    ] {
        ok(action.complete(done), "complete");
    }
    for action in [&later, &sooner, &done_first_day, &done_last_day, &done_after] {
        ok(store.create_learning(action).await, "create");
    }
    let own = |actions: Vec<LearningAction>| -> Vec<String> {
        actions.into_iter().map(|a| a.id).filter(|a| a.starts_with(&run)).collect()
    };
    assert_eq!(own(ok(store.open_learning().await, "open")), [id(2), id(1)]);
    let quarter = ok(store.completed_between(date(2026, 4, 1), date(2026, 6, 30)).await, "completed");
    assert_eq!(own(quarter), [id(3), id(4)]);
    let recorded = ok(store.recorded_between(date(2026, 3, 3), date(2026, 3, 31)).await, "recorded");
    assert_eq!(own(recorded), [id(2)]);
}

/// Every case linked to an action finds it, links added later included.
pub async fn actions_are_found_from_every_case_linked_to_them(store: Arc<dyn LearningStore>) {
    let prefix = learning_prefix();
    let (one, two, three) = (case_ref(&prefix, 1), case_ref(&prefix, 2), case_ref(&prefix, 3));
    let id = unique("LA");
    let mut written = action(&id, date(2026, 3, 2), date(2026, 4, 30), vec![one.clone()]);
    ok(store.create_learning(&written).await, "create");
    written.link(two.clone());
    ok(store.save_learning(&written, 1).await, "save the link");
    for reference in [&one, &two] {
        let found: Vec<String> =
            ok(store.learning_for_case(reference).await, "for case").into_iter().map(|a| a.id).collect();
        assert_eq!(found, std::slice::from_ref(&id), "{reference}");
    }
    assert!(ok(store.learning_for_case(&three).await, "for case").is_empty());
}
