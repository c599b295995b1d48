//! The `AlertStore` contract suite (feature `contract-tests`): the memory, SQLite and DynamoDB
//! stores each run it, so the breach scan's exactly-once guarantee means the same on every store.
//! Contracts write under a fresh reference prefix and fresh Message-IDs, so they can share a table.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use complaints_core::alerts::{AlertLevel, AlertRecord};
use complaints_core::calendar::Calendar;
use complaints_core::case::{Case, CaseEvent, MessagePurpose, Rules, Stage};
use complaints_core::complaint::{Channel, EmailAddress};
use complaints_core::deadlines::ClockKind;
use complaints_core::policy::Policy;
use complaints_core::reference::CaseRef;
use complaints_core::timeline::{Actor, TimelineEvent};
use complaints_mail::QueuedMessage;

use crate::alert_store::{AlertBatch, AlertCommit, AlertEntry, AlertStore};
use crate::outbound::{DeliveryState, NewMessage};
use crate::ports::{CaseStore, NewCase};
use crate::testing::sample_complaint;

/// A store that keeps cases and alerts (every real store does).
pub trait AlertCaseStore: CaseStore + AlertStore {}
impl<T: CaseStore + AlertStore> AlertCaseStore for T {}

/// A contract over a store that is both.
pub type AlertContract = fn(Arc<dyn AlertCaseStore>) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// Every alert contract by name.
pub const ALERT_CONTRACTS: &[(&str, AlertContract)] = &[
    ("a_batch_writes_markers_timeline_entries_and_digests_together", |s| {
        Box::pin(a_batch_writes_markers_timeline_entries_and_digests_together(s))
    }),
    ("a_batch_with_a_placed_marker_writes_nothing_and_names_the_marker", |s| {
        Box::pin(a_batch_with_a_placed_marker_writes_nothing_and_names_the_marker(s))
    }),
    ("concurrent_batches_with_one_marker_write_it_once", |s| {
        Box::pin(concurrent_batches_with_one_marker_write_it_once(s))
    }),
    ("a_batch_over_the_action_limit_is_refused_and_writes_nothing", |s| {
        Box::pin(a_batch_over_the_action_limit_is_refused_and_writes_nothing(s))
    }),
    ("the_applied_calendar_version_is_remembered", |s| Box::pin(the_applied_calendar_version_is_remembered(s))),
];

/// Generates one `#[tokio::test]` per alert contract; `$make` is an async expression giving a
/// fresh store.
#[macro_export]
macro_rules! alert_store_contract_tests {
    ($make:expr) => {
        $crate::alert_store_contract_tests!(@each $make;
            a_batch_writes_markers_timeline_entries_and_digests_together,
            a_batch_with_a_placed_marker_writes_nothing_and_names_the_marker,
            concurrent_batches_with_one_marker_write_it_once,
            a_batch_over_the_action_limit_is_refused_and_writes_nothing,
            the_applied_calendar_version_is_remembered,
        );
    };
    (@each $make:expr; $($name:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let store: ::std::sync::Arc<dyn $crate::alert_contract::AlertCaseStore> = ::std::sync::Arc::new($make.await);
                $crate::alert_contract::$name(store).await;
            }
        )+
    };
}

#[allow(clippy::panic)]
fn ok<T, E: std::fmt::Debug>(result: Result<T, E>, what: &str) -> T {
    match result {
        Ok(value) => value,
        Err(e) => panic!("{what}: {e:?}"),
    }
}

fn at() -> DateTime<Utc> {
    ok(Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).single().ok_or("no such instant"), "valid instant")
}

fn unique(label: &str) -> String {
    format!("{label}-{}", uuid::Uuid::new_v4().simple())
}

async fn new_case(store: &dyn AlertCaseStore) -> CaseRef {
    let id = uuid::Uuid::new_v4().simple().to_string().to_ascii_uppercase();
    let reference = ok(CaseRef::new(&format!("A{}", &id[..9]), 2026, 0), "valid prefix");
    let calendar = Calendar::scotland();
    let policy = Policy::default();
    let rules = Rules { calendar: &calendar, policy: &policy };
    let complaint = sample_complaint(Channel::WebForm, Some("alerts@example.org"));
    let (case, events) =
        Case::open(reference, complaint, at(), "Complaints Team".to_owned(), None, rules, Actor::System);
    let stored = ok(store.create(NewCase { case, events, source_key: None, mail: None }).await, "create a case");
    stored.case.reference().clone()
}

fn entry(reference: &CaseRef, level: AlertLevel) -> AlertEntry {
    let marker = unique(&format!("{reference}#s1#stage1-response#{}", level.key()));
    let alert = AlertRecord {
        stage: Stage::One,
        clock: ClockKind::Stage1Response,
        level,
        due: at().date_naive(),
        deadline_version: "2026-03-02~2026-03-06".to_owned(),
        working_days_left: 2,
    };
    AlertEntry {
        marker,
        reference: reference.clone(),
        event: TimelineEvent {
            at: at(),
            actor: Actor::System,
            what: CaseEvent::DeadlineAlerted { alert, message_ids: vec![] },
        },
    }
}

fn digest() -> NewMessage {
    let message = QueuedMessage {
        message_id: format!("{}@alerts.example.org", unique("deadlines")),
        case_ref: None,
        purpose: MessagePurpose::DeadlineDigest,
        from: ok(EmailAddress::parse("complaints@example.org"), "valid sender"),
        to: vec![ok(EmailAddress::parse("team@example.org"), "valid recipient")],
        date: at(),
        raw: b"Subject: deadlines\r\n\r\nCMP-2026-00001 due soon\r\n".to_vec(),
    };
    NewMessage { message, recipient_key: None }
}

fn alert_events(timeline: &[TimelineEvent]) -> usize {
    timeline.iter().filter(|e| matches!(e.what, CaseEvent::DeadlineAlerted { .. })).count()
}

/// Markers, timeline entries and digests are written together; the digest is pending staff mail.
pub async fn a_batch_writes_markers_timeline_entries_and_digests_together(store: Arc<dyn AlertCaseStore>) {
    let reference = new_case(store.as_ref()).await;
    let mail = digest();
    let id = mail.message.message_id.clone();
    let batch = AlertBatch {
        alerts: vec![entry(&reference, AlertLevel::DueSoon(2)), entry(&reference, AlertLevel::DueToday)],
        digests: vec![mail],
    };
    assert_eq!(ok(store.commit_alerts(batch).await, "commit"), AlertCommit::Written);
    let timeline = ok(store.timeline(&reference).await, "timeline");
    assert_eq!(alert_events(&timeline), 2, "each alert is on its case's timeline");
    let pending = ok(store.message(&id).await, "message").expect("the digest was written");
    assert_eq!(pending.state, DeliveryState::Pending);
    assert_eq!(pending.message.case_ref, None);
    assert_eq!(pending.message.purpose, MessagePurpose::DeadlineDigest);
    let due = ok(store.pending_messages(at(), 10_000).await, "pending");
    assert!(due.iter().any(|p| p.message.message_id == id), "the digest is in the outbound sweep");
}

/// A batch holding a marker placed before writes nothing at all and names that marker.
pub async fn a_batch_with_a_placed_marker_writes_nothing_and_names_the_marker(store: Arc<dyn AlertCaseStore>) {
    let reference = new_case(store.as_ref()).await;
    let first = entry(&reference, AlertLevel::DueSoon(2));
    let batch = AlertBatch { alerts: vec![first.clone()], digests: vec![digest()] };
    assert_eq!(ok(store.commit_alerts(batch).await, "first commit"), AlertCommit::Written);

    let second_mail = digest();
    let second_id = second_mail.message.message_id.clone();
    let batch =
        AlertBatch { alerts: vec![entry(&reference, AlertLevel::DueToday), first.clone()], digests: vec![second_mail] };
    assert_eq!(
        ok(store.commit_alerts(batch).await, "second commit"),
        AlertCommit::AlreadyPlaced { markers: vec![first.marker] }
    );
    assert_eq!(ok(store.message(&second_id).await, "message"), None, "the refused batch's digest was not written");
    assert_eq!(alert_events(&ok(store.timeline(&reference).await, "timeline")), 1, "nor its other alert");
}

/// Overlapping runs racing with the same alert: exactly one batch is written.
pub async fn concurrent_batches_with_one_marker_write_it_once(store: Arc<dyn AlertCaseStore>) {
    let reference = new_case(store.as_ref()).await;
    let shared = entry(&reference, AlertLevel::Overdue);
    let mut running = Vec::new();
    for _ in 0..6 {
        let store = Arc::clone(&store);
        let batch = AlertBatch { alerts: vec![shared.clone()], digests: vec![digest()] };
        running.push(tokio::spawn(async move { store.commit_alerts(batch).await }));
    }
    let mut written = 0;
    for handle in running {
        // A store may also report a lost race as unavailable (DynamoDB's transaction conflict):
        // the scan then leaves the alert for its next attempt; it is never written twice.
        if matches!(ok(handle.await, "task"), Ok(AlertCommit::Written)) {
            written += 1;
        }
    }
    assert_eq!(written, 1, "one racer writes the alert");
    assert_eq!(alert_events(&ok(store.timeline(&reference).await, "timeline")), 1);
}

/// More than a transaction can hold is refused before anything is written.
pub async fn a_batch_over_the_action_limit_is_refused_and_writes_nothing(store: Arc<dyn AlertCaseStore>) {
    let reference = new_case(store.as_ref()).await;
    let alerts: Vec<AlertEntry> = (0..51).map(|_| entry(&reference, AlertLevel::DueToday)).collect();
    let batch = AlertBatch { alerts, digests: vec![digest()] };
    assert!(store.commit_alerts(batch).await.is_err(), "103 actions do not fit one transaction");
    assert_eq!(alert_events(&ok(store.timeline(&reference).await, "timeline")), 0);
}

/// The calendar version the open cases were recomputed with is remembered, per version.
pub async fn the_applied_calendar_version_is_remembered(store: Arc<dyn AlertCaseStore>) {
    let version = unique("calendar");
    assert!(!ok(store.calendar_applied(&version).await, "read"));
    ok(store.mark_calendar_applied(&version).await, "mark");
    ok(store.mark_calendar_applied(&version).await, "marking again is harmless");
    assert!(ok(store.calendar_applied(&version).await, "read"));
    assert!(!ok(store.calendar_applied(&unique("calendar")).await, "read"), "another version is not applied");
}
