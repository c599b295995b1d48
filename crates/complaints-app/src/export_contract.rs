//! The export's store contract suite (feature `contract-tests`): the once-only staff notice
//! ([`NoticeStore`]) and the paged reads of the period indexes ([`crate::export_pages::PeriodPages`]). The memory, SQLite
//! and DynamoDB stores each run it, so "told once per export" and "escalated in the period" mean
//! the same on every store. Contracts use fresh markers, Message-IDs and reference prefixes, so
//! they can share a table.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use complaints_core::calendar::Calendar;
use complaints_core::case::{Case, MessagePurpose, PointOfComplaint, Rules};
use complaints_core::command::Command;
use complaints_core::complaint::{Channel, EmailAddress};
use complaints_core::outcome::Outcome;
use complaints_core::policy::Policy;
use complaints_core::reference::CaseRef;
use complaints_core::signposting::{SpsoSignposting, Stage2Signposting};
use complaints_core::timeline::Actor;
use complaints_mail::QueuedMessage;

use crate::contract_support::ok;
use crate::escalations::escalated_on;
use crate::export::{ExportSource, feed_period_paged};
use crate::export_pages::{PageCursor, PeriodIndex};
use crate::notice_store::{MAX_NOTICE_MESSAGES, NoticeCommit, NoticeStore};
use crate::outbound::{DeliveryState, NewMessage};
use crate::ports::NewCase;
use crate::testing::sample_complaint;

/// A store that keeps cases, export notices and the escalation index (every real store does).
pub trait ExportStore: ExportSource + NoticeStore {}
impl<T: ExportSource + NoticeStore> ExportStore for T {}

/// A contract over such a store.
pub type ExportContract = fn(Arc<dyn ExportStore>) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// Every export store contract by name.
pub const EXPORT_CONTRACTS: &[(&str, ExportContract)] = &[
    ("a_notice_writes_its_messages_pending_without_a_case", |s| {
        Box::pin(a_notice_writes_its_messages_pending_without_a_case(s))
    }),
    ("a_notice_under_a_placed_marker_writes_nothing", |s| Box::pin(a_notice_under_a_placed_marker_writes_nothing(s))),
    ("concurrent_notices_with_one_marker_write_it_once", |s| {
        Box::pin(concurrent_notices_with_one_marker_write_it_once(s))
    }),
    ("a_notice_over_the_message_limit_is_refused_and_places_no_marker", |s| {
        Box::pin(a_notice_over_the_message_limit_is_refused_and_places_no_marker(s))
    }),
    ("escalated_cases_are_found_by_the_month_of_their_escalation_only", |s| {
        Box::pin(escalated_cases_are_found_by_the_month_of_their_escalation_only(s))
    }),
    ("period_pages_list_every_row_once_in_order_across_months", |s| {
        Box::pin(period_pages_list_every_row_once_in_order_across_months(s))
    }),
    ("the_export_feeds_each_case_of_the_period_once_whatever_the_page_size", |s| {
        Box::pin(the_export_feeds_each_case_of_the_period_once_whatever_the_page_size(s))
    }),
];

/// Generates one `#[tokio::test]` per export store contract; `$make` is an async expression
/// giving a fresh store.
#[macro_export]
macro_rules! export_store_contract_tests {
    ($make:expr) => {
        $crate::export_store_contract_tests!(@each $make;
            a_notice_writes_its_messages_pending_without_a_case,
            a_notice_under_a_placed_marker_writes_nothing,
            concurrent_notices_with_one_marker_write_it_once,
            a_notice_over_the_message_limit_is_refused_and_places_no_marker,
            escalated_cases_are_found_by_the_month_of_their_escalation_only,
            period_pages_list_every_row_once_in_order_across_months,
            the_export_feeds_each_case_of_the_period_once_whatever_the_page_size,
        );
    };
    (@each $make:expr; $($name:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let store: ::std::sync::Arc<dyn $crate::export_contract::ExportStore> = ::std::sync::Arc::new($make.await);
                $crate::export_contract::$name(store).await;
            }
        )+
    };
}

fn at() -> DateTime<Utc> {
    ok(Utc.with_ymd_and_hms(2026, 10, 1, 5, 0, 0).single().ok_or("no such instant"), "valid instant")
}

fn unique(label: &str) -> String {
    format!("{label}-{}", uuid::Uuid::new_v4().simple())
}

fn notice(to: &str) -> NewMessage {
    let message = QueuedMessage {
        message_id: format!("{}@exports.example.org", unique("export-ready")),
        case_ref: None,
        purpose: MessagePurpose::ExportReady,
        from: ok(EmailAddress::parse("complaints@example.org"), "valid sender"),
        to: vec![ok(EmailAddress::parse(to), "valid recipient")],
        date: at(),
        raw: b"Subject: Complaints export 2026-27-Q2 is ready\r\n\r\nreceived 12\r\n".to_vec(),
    };
    NewMessage { message, recipient_key: None }
}

/// The marker and every message are written; each message is pending staff mail with no case,
/// and the outbound sweep finds it.
pub async fn a_notice_writes_its_messages_pending_without_a_case(store: Arc<dyn ExportStore>) {
    let marker = unique("export#2026-27-Q2");
    let messages = vec![notice("performance@example.org"), notice("chief.executive@example.org")];
    let ids: Vec<String> = messages.iter().map(|m| m.message.message_id.clone()).collect();
    assert_eq!(ok(store.queue_notice_once(&marker, messages).await, "queue"), NoticeCommit::Written);
    let due = ok(store.pending_messages(at(), 10_000).await, "pending");
    for id in &ids {
        let pending = ok(store.message(id).await, "message").expect("the notice was written");
        assert_eq!(pending.state, DeliveryState::Pending);
        assert_eq!(pending.message.case_ref, None, "a notice belongs to no case");
        assert_eq!(pending.message.purpose, MessagePurpose::ExportReady);
        assert!(due.iter().any(|p| &p.message.message_id == id), "the notice is in the outbound sweep");
    }
}

/// A second notice under the same marker (a re-run of the export) writes nothing.
pub async fn a_notice_under_a_placed_marker_writes_nothing(store: Arc<dyn ExportStore>) {
    let marker = unique("export#2026-27-Q2");
    assert_eq!(
        ok(store.queue_notice_once(&marker, vec![notice("performance@example.org")]).await, "first"),
        NoticeCommit::Written
    );
    let again = notice("performance@example.org");
    let again_id = again.message.message_id.clone();
    assert_eq!(ok(store.queue_notice_once(&marker, vec![again]).await, "second"), NoticeCommit::AlreadyPlaced);
    assert_eq!(ok(store.message(&again_id).await, "message"), None, "the re-run's message was not written");

    let other = notice("performance@example.org");
    let other_id = other.message.message_id.clone();
    assert_eq!(
        ok(store.queue_notice_once(&unique("export#2026-27-Q3"), vec![other]).await, "another export"),
        NoticeCommit::Written
    );
    assert!(ok(store.message(&other_id).await, "message").is_some(), "another export's marker is its own");
}

/// Overlapping runs of one export racing: exactly one writes its notice.
pub async fn concurrent_notices_with_one_marker_write_it_once(store: Arc<dyn ExportStore>) {
    let marker = unique("export#2026-27");
    let mut running = Vec::new();
    for _ in 0..6 {
        let store = Arc::clone(&store);
        let marker = marker.clone();
        let message = notice("performance@example.org");
        let id = message.message.message_id.clone();
        running.push((id, tokio::spawn(async move { store.queue_notice_once(&marker, vec![message]).await })));
    }
    let mut written = 0;
    let mut stored = 0;
    for (id, handle) in running {
        // A store may report a lost race as unavailable (DynamoDB's transaction conflict); the
        // export then fails and its retry finds the marker placed. Never written twice.
        if matches!(ok(handle.await, "task"), Ok(NoticeCommit::Written)) {
            written += 1;
        }
        if ok(store.message(&id).await, "message").is_some() {
            stored += 1;
        }
    }
    assert_eq!(written, 1, "one racer writes the notice");
    assert_eq!(stored, 1, "and only its message is stored");
}

/// More messages than one transaction can hold are refused before anything is written.
pub async fn a_notice_over_the_message_limit_is_refused_and_places_no_marker(store: Arc<dyn ExportStore>) {
    let marker = unique("export#2026-27-Q4");
    let messages: Vec<NewMessage> = (0..=MAX_NOTICE_MESSAGES).map(|_| notice("performance@example.org")).collect();
    let first_id = messages[0].message.message_id.clone();
    assert!(store.queue_notice_once(&marker, messages).await.is_err(), "100 messages and a marker do not fit");
    assert_eq!(ok(store.message(&first_id).await, "message"), None);
    assert_eq!(
        ok(store.queue_notice_once(&marker, vec![notice("performance@example.org")]).await, "a notice that fits"),
        NoticeCommit::Written,
        "the refused notice placed no marker"
    );
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    ok(NaiveDate::from_ymd_opt(y, m, d).ok_or("no such date"), "valid date")
}

/// A stage 1 complaint received on `received` (a fresh reference prefix), answered two days later
/// and, with `escalate`, escalated by the customer on that date; stored through create and update.
async fn stored_case(store: &dyn ExportStore, received: NaiveDate, escalate: Option<NaiveDate>) -> CaseRef {
    let calendar = Calendar::scotland();
    let policy = Policy::default();
    let rules = Rules { calendar: &calendar, policy: &policy };
    let id = uuid::Uuid::new_v4().simple().to_string().to_ascii_uppercase();
    let reference = ok(CaseRef::new(&format!("E{}", &id[..9]), 2026, 0), "valid prefix");
    let midday = |on: NaiveDate| on.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc();
    let complaint = sample_complaint(Channel::WebForm, Some("escalated@example.org"));
    let (case, events) =
        Case::open(reference, complaint, midday(received), "Complaints Team".to_owned(), None, rules, Actor::System);
    let created = ok(store.create(NewCase { case, events, source_key: None, mail: None }).await, "create");
    let staff = Actor::Staff("staff-1".to_owned());
    let answered = received + chrono::Days::new(2);
    let signposting = Some(Stage2Signposting { given_on: answered, channel: Channel::Email, time_limit_given: true });
    let close = Command::CloseStage1 { responded_on: answered, outcome: Outcome::NotUpheld, signposting };
    let (mut case, _) = ok(created.case.apply(close, midday(answered), staff.clone(), rules), "close stage 1");
    if let Some(on) = escalate {
        let command = Command::Escalate { requested_on: on, channel: Channel::Email, received_at: None };
        case = ok(case.apply(command, midday(on), staff, rules), "escalate").0;
    }
    ok(store.update(&case, created.version, Vec::new()).await, "update");
    case.reference().clone()
}

async fn found(store: &dyn ExportStore, from: NaiveDate, to: NaiveDate, wanted: &[&CaseRef]) -> Vec<CaseRef> {
    let wanted: Vec<CaseRef> = wanted.iter().map(|r| (*r).clone()).collect();
    let rows = paged(store, PeriodIndex::Escalated, (from, to), 500, &wanted).await;
    let mut refs: Vec<CaseRef> =
        wanted.into_iter().filter(|r| rows.iter().any(|(_, row)| *row == r.to_string())).collect();
    refs.sort();
    refs
}

/// A case escalated in September is found by a September query (and by a range holding the day)
/// only: not by its receipt month, not by August; a case never escalated is never found.
pub async fn escalated_cases_are_found_by_the_month_of_their_escalation_only(store: Arc<dyn ExportStore>) {
    let escalated = stored_case(store.as_ref(), day(2026, 6, 1), Some(day(2026, 9, 16))).await;
    let answered_only = stored_case(store.as_ref(), day(2026, 9, 1), None).await;
    let both = [&escalated, &answered_only];
    assert_eq!(found(store.as_ref(), day(2026, 9, 1), day(2026, 9, 30), &both).await, std::slice::from_ref(&escalated));
    assert_eq!(
        found(store.as_ref(), day(2026, 9, 16), day(2026, 9, 16), &both).await,
        std::slice::from_ref(&escalated)
    );
    assert_eq!(found(store.as_ref(), day(2026, 7, 1), day(2026, 9, 30), &both).await, std::slice::from_ref(&escalated));
    assert!(found(store.as_ref(), day(2026, 9, 17), day(2026, 9, 30), &both).await.is_empty(), "after the day");
    assert!(found(store.as_ref(), day(2026, 8, 1), day(2026, 8, 31), &both).await.is_empty(), "August");
    assert!(found(store.as_ref(), day(2026, 6, 1), day(2026, 6, 30), &both).await.is_empty(), "receipt month");
}

/// Every row of `index` in `from..=to`, read page by page with `limit`: each page holds at most
/// `limit` rows; only the rows of `wanted` cases are kept (other contracts share the table).
async fn paged(
    store: &dyn ExportStore,
    index: PeriodIndex,
    (from, to): (NaiveDate, NaiveDate),
    limit: usize,
    wanted: &[CaseRef],
) -> Vec<(NaiveDate, String)> {
    let mut rows = Vec::new();
    let mut after: Option<PageCursor> = None;
    for _ in 0..10_000 {
        let page = ok(store.period_page(index, from, to, after.as_ref(), limit).await, "period_page");
        assert!(page.cases.len() <= limit, "a page of {limit} held {}", page.cases.len());
        for row in page.cases {
            assert!((from..=to).contains(&row.on), "{} is outside the range", row.on);
            if wanted.contains(row.stored.case.reference()) {
                rows.push((row.on, row.stored.case.reference().to_string()));
            }
        }
        match page.next {
            Some(next) => after = Some(next),
            None => return rows,
        }
    }
    panic!("the pages never ended");
}

/// Cases received, closed and escalated either side of a month boundary: reading each index in
/// pages of 1, 2 and 500 rows lists every (date, case) row once, in date-then-reference order,
/// the same as the cases themselves say.
pub async fn period_pages_list_every_row_once_in_order_across_months(store: Arc<dyn ExportStore>) {
    let plan = [
        (day(2027, 1, 30), Some(day(2027, 2, 2))),
        (day(2027, 1, 31), None),
        (day(2027, 1, 31), Some(day(2027, 2, 3))),
        (day(2027, 2, 1), None),
        (day(2027, 2, 1), Some(day(2027, 2, 4))),
    ];
    let mut cases = Vec::new();
    for (received, escalate) in plan {
        let reference = stored_case(store.as_ref(), received, escalate).await;
        cases.push(ok(store.get(&reference).await, "get").case);
    }
    let refs: Vec<CaseRef> = cases.iter().map(|c| c.reference().clone()).collect();
    let range = (day(2027, 1, 1), day(2027, 2, 28));
    for index in [PeriodIndex::Received, PeriodIndex::Closed, PeriodIndex::Escalated] {
        let mut expected: Vec<(NaiveDate, String)> = Vec::new();
        for case in &cases {
            let dates: Vec<NaiveDate> = match index {
                PeriodIndex::Received => vec![case.index().received_on],
                PeriodIndex::Closed => case.index().closed_on,
                PeriodIndex::Escalated => escalated_on(case).into_iter().collect(),
            };
            expected.extend(dates.into_iter().map(|on| (on, case.reference().to_string())));
        }
        expected.sort();
        expected.dedup();
        assert!(expected.len() >= 3, "{index:?}: the plan gives rows in both months");
        for limit in [1, 2, 500] {
            assert_eq!(
                paged(store.as_ref(), index, range, limit, &refs).await,
                expected,
                "{index:?}, pages of {limit}"
            );
        }
        let february = (day(2027, 2, 1), day(2027, 2, 28));
        let in_february: Vec<_> = expected.iter().filter(|(on, _)| on.month() == 2).cloned().collect();
        assert_eq!(paged(store.as_ref(), index, february, 2, &refs).await, in_february, "{index:?} in February");
    }
}

/// 2026-27 Q2 (July to September) read through the export's paged reads with pages of 1, 2 and
/// 500 rows: each case of the period is fed exactly once (a case answered in the quarter and
/// escalated in it too is fed once; one escalated in it and open at its end is fed), and cases
/// wholly before or after the quarter are not.
pub async fn the_export_feeds_each_case_of_the_period_once_whatever_the_page_size(store: Arc<dyn ExportStore>) {
    let plan = [
        // received before, answered before, escalated in the quarter and open at its end
        ("escalated only", day(2026, 6, 1), Some(day(2026, 7, 10)), true),
        // received before, answered on 1 July and escalated on 3 July (its stage 2 is answered
        // on 3 August below: two closed rows in the quarter)
        ("closed twice and escalated", day(2026, 6, 29), Some(day(2026, 7, 3)), true),
        // received, answered and escalated in the quarter
        ("received, closed, escalated", day(2026, 7, 30), Some(day(2026, 8, 3)), true),
        ("received 10 August", day(2026, 8, 10), None, true),
        ("received 11 August", day(2026, 8, 11), None, true),
        ("received 12 August", day(2026, 8, 12), None, true),
        // received on 29 September, answered on 1 October
        ("received at the end", day(2026, 9, 29), None, true),
        ("wholly before", day(2026, 3, 2), None, false),
        ("wholly after", day(2026, 10, 2), None, false),
    ];
    let mut expected = Vec::new();
    let mut own = Vec::new();
    for (_, received, escalate, in_quarter) in plan {
        let reference = stored_case(store.as_ref(), received, escalate).await;
        if in_quarter {
            expected.push(reference.to_string());
        }
        own.push(reference.to_string());
    }
    expected.sort();
    close_stage2(store.as_ref(), &own[1], day(2026, 7, 3), day(2026, 8, 3)).await;
    let period = ok(complaints_core::indicators::Period::parse("2026-27-Q2"), "period");
    let source: &dyn ExportSource = store.as_ref();
    for page_size in [1, 2, 500] {
        let mut fed = Vec::new();
        let queries = ok(
            feed_period_paged(source, period, page_size, |case| {
                fed.push(case.reference.clone());
                Ok(())
            })
            .await,
            "feed",
        );
        fed.retain(|reference| own.contains(reference));
        fed.sort();
        assert_eq!(fed, expected, "pages of {page_size}: {:?}", plan.map(|p| p.0));
        assert!(queries >= 9, "three reads for each of three months, at least");
    }
}

/// Acknowledges the escalated case `reference` on `acknowledged` and answers it at stage 2 on `on`.
async fn close_stage2(store: &dyn ExportStore, reference: &str, acknowledged: NaiveDate, on: NaiveDate) {
    let calendar = Calendar::scotland();
    let policy = Policy::default();
    let rules = Rules { calendar: &calendar, policy: &policy };
    let reference: CaseRef = ok(reference.parse(), "reference");
    let stored = ok(store.get(&reference).await, "get");
    let staff = Actor::Staff("staff-1".to_owned());
    let points = vec![PointOfComplaint {
        summary: "Missed collection".to_owned(),
        outcome_sought: "Collect the bin".to_owned(),
    }];
    let acknowledge = Command::AcknowledgeStage2 { acknowledged_on: acknowledged, points, agreed_on: acknowledged };
    let noon = |day: NaiveDate| day.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc();
    let (case, _) = ok(stored.case.apply(acknowledge, noon(acknowledged), staff.clone(), rules), "acknowledge");
    let signposting = Some(SpsoSignposting { given_on: on, channel: Channel::Email, template_version: "1".to_owned() });
    let close = Command::CloseStage2 {
        responded_on: on,
        point_outcomes: vec![Outcome::NotUpheld],
        outcome_override: None,
        signposting,
    };
    let (case, _) = ok(case.apply(close, noon(on), staff, rules), "close stage 2");
    assert_eq!(case.index().closed_on.len(), 2, "both stages ended");
    ok(store.update(&case, stored.version, Vec::new()).await, "update");
}
