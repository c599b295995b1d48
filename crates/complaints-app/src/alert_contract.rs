//! The `AlertStore` contract suite (feature `contract-tests`): the memory, SQLite and DynamoDB
//! stores each run it, so the breach scan's exactly-once guarantee means the same on every store.
//! Contracts write under a fresh reference prefix and fresh Message-IDs, so they can share a table.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use complaints_core::alerts::{AlertLevel, AlertRecord};
use complaints_core::calendar::Calendar;
use complaints_core::case::{Case, CaseEvent, MessagePurpose, Rules, Stage};
use complaints_core::complaint::{Channel, EmailAddress};
use complaints_core::deadlines::ClockKind;
use complaints_core::policy::Policy;
use complaints_core::reference::CaseRef;
use complaints_core::timeline::{Actor, TimelineEvent};
use complaints_mail::QueuedMessage;

use crate::alert_store::{
    AlertBatch, AlertCommit, AlertEntry, AlertStore, DigestDraft, DigestSent, DraftKey, DraftLines,
};
use crate::contract_support::ok;
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
    ("batches_of_one_run_add_lines_to_one_draft_per_recipient", |s| {
        Box::pin(batches_of_one_run_add_lines_to_one_draft_per_recipient(s))
    }),
    ("sending_a_draft_writes_one_digest_and_removes_the_draft_once", |s| {
        Box::pin(sending_a_draft_writes_one_digest_and_removes_the_draft_once(s))
    }),
    ("a_draft_that_gained_lines_since_it_was_read_is_not_sent", |s| {
        Box::pin(a_draft_that_gained_lines_since_it_was_read_is_not_sent(s))
    }),
    ("the_alert_index_follows_the_scan_until_the_case_is_written_again", |s| {
        Box::pin(the_alert_index_follows_the_scan_until_the_case_is_written_again(s))
    }),
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
            batches_of_one_run_add_lines_to_one_draft_per_recipient,
            sending_a_draft_writes_one_digest_and_removes_the_draft_once,
            a_draft_that_gained_lines_since_it_was_read_is_not_sent,
            the_alert_index_follows_the_scan_until_the_case_is_written_again,
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

fn draft_lines(run: &str, recipient: &str, lines: &[&str]) -> DraftLines {
    DraftLines {
        key: DraftKey { run: run.to_owned(), recipient: recipient.to_owned() },
        lines: lines.iter().map(|l| (*l).to_owned()).collect(),
    }
}

fn batch(alerts: Vec<AlertEntry>, drafts: Vec<DraftLines>) -> AlertBatch {
    AlertBatch { at: at(), alerts, drafts }
}

async fn drafts_of(store: &dyn AlertCaseStore, run: &str) -> Vec<DigestDraft> {
    let mut drafts: Vec<DigestDraft> =
        ok(store.digest_drafts().await, "drafts").into_iter().filter(|d| d.key.run == run).collect();
    drafts.sort_by(|a, b| a.key.cmp(&b.key));
    drafts
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

/// Markers, timeline entries and draft lines are written together.
pub async fn a_batch_writes_markers_timeline_entries_and_digests_together(store: Arc<dyn AlertCaseStore>) {
    let reference = new_case(store.as_ref()).await;
    let run = unique("run");
    let batch = batch(
        vec![entry(&reference, AlertLevel::DueSoon(2)), entry(&reference, AlertLevel::DueToday)],
        vec![draft_lines(&run, "team@example.org", &["one", "two"])],
    );
    assert_eq!(ok(store.commit_alerts(batch).await, "commit"), AlertCommit::Written);
    let timeline = ok(store.timeline(&reference).await, "timeline");
    assert_eq!(alert_events(&timeline), 2, "each alert is on its case's timeline");
    let drafts = drafts_of(store.as_ref(), &run).await;
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0].lines, vec!["one".to_owned(), "two".to_owned()]);
    assert_eq!(drafts[0].updated, at());
}

/// A batch holding a marker placed before writes nothing at all and names that marker.
pub async fn a_batch_with_a_placed_marker_writes_nothing_and_names_the_marker(store: Arc<dyn AlertCaseStore>) {
    let reference = new_case(store.as_ref()).await;
    let first = entry(&reference, AlertLevel::DueSoon(2));
    let run = unique("run");
    let written = batch(vec![first.clone()], vec![draft_lines(&run, "team@example.org", &["first"])]);
    assert_eq!(ok(store.commit_alerts(written).await, "first commit"), AlertCommit::Written);

    let refused = batch(
        vec![entry(&reference, AlertLevel::DueToday), first.clone()],
        vec![draft_lines(&run, "team@example.org", &["second"]), draft_lines(&run, "alex@example.org", &["second"])],
    );
    assert_eq!(
        ok(store.commit_alerts(refused).await, "second commit"),
        AlertCommit::AlreadyPlaced { markers: vec![first.marker] }
    );
    let drafts = drafts_of(store.as_ref(), &run).await;
    assert_eq!(drafts.len(), 1, "the refused batch made no draft");
    assert_eq!(drafts[0].lines, vec!["first".to_owned()], "nor added a line");
    assert_eq!(alert_events(&ok(store.timeline(&reference).await, "timeline")), 1, "nor its other alert");
}

/// Overlapping runs racing with the same alert: exactly one batch is written.
pub async fn concurrent_batches_with_one_marker_write_it_once(store: Arc<dyn AlertCaseStore>) {
    let reference = new_case(store.as_ref()).await;
    let shared = entry(&reference, AlertLevel::Overdue);
    let run = unique("run");
    let mut running = Vec::new();
    for i in 0..6 {
        let store = Arc::clone(&store);
        let batch = batch(vec![shared.clone()], vec![draft_lines(&run, &format!("r{i}@example.org"), &["shared"])]);
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
    assert_eq!(drafts_of(store.as_ref(), &run).await.len(), 1, "and one draft line");
}

/// More than a transaction can hold is refused before anything is written.
pub async fn a_batch_over_the_action_limit_is_refused_and_writes_nothing(store: Arc<dyn AlertCaseStore>) {
    let reference = new_case(store.as_ref()).await;
    let alerts: Vec<AlertEntry> = (0..51).map(|_| entry(&reference, AlertLevel::DueToday)).collect();
    let run = unique("run");
    let batch = batch(alerts, vec![draft_lines(&run, "team@example.org", &["x"])]);
    assert!(store.commit_alerts(batch).await.is_err(), "103 actions do not fit one transaction");
    assert!(drafts_of(store.as_ref(), &run).await.is_empty());
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

/// Two batches of one run add their lines to the same recipient's draft; another recipient has
/// its own draft, and another run its own.
pub async fn batches_of_one_run_add_lines_to_one_draft_per_recipient(store: Arc<dyn AlertCaseStore>) {
    let reference = new_case(store.as_ref()).await;
    let run = unique("run");
    let other_run = unique("run");
    let first = batch(
        vec![entry(&reference, AlertLevel::DueSoon(2))],
        vec![draft_lines(&run, "team@example.org", &["a"]), draft_lines(&run, "alex@example.org", &["a"])],
    );
    let second =
        batch(vec![entry(&reference, AlertLevel::DueToday)], vec![draft_lines(&run, "team@example.org", &["b"])]);
    let third =
        batch(vec![entry(&reference, AlertLevel::Overdue)], vec![draft_lines(&other_run, "team@example.org", &["c"])]);
    for b in [first, second, third] {
        assert_eq!(ok(store.commit_alerts(b).await, "commit"), AlertCommit::Written);
    }
    let drafts = drafts_of(store.as_ref(), &run).await;
    let summary: Vec<(&str, Vec<String>)> =
        drafts.iter().map(|d| (d.key.recipient.as_str(), d.lines.clone())).collect();
    assert_eq!(
        summary,
        vec![("alex@example.org", vec!["a".to_owned()]), ("team@example.org", vec!["a".to_owned(), "b".to_owned()])]
    );
    let team = &drafts[1];
    let alex = &drafts[0];
    assert!(team.version > alex.version, "each batch that adds lines moves the draft's version");
    assert_eq!(drafts_of(store.as_ref(), &other_run).await.len(), 1);
}

/// Sending a draft writes its digest as pending staff mail and removes the draft in one go; the
/// same draft sent again writes nothing more.
pub async fn sending_a_draft_writes_one_digest_and_removes_the_draft_once(store: Arc<dyn AlertCaseStore>) {
    let reference = new_case(store.as_ref()).await;
    let run = unique("run");
    let b = batch(vec![entry(&reference, AlertLevel::DueToday)], vec![draft_lines(&run, "team@example.org", &["a"])]);
    assert_eq!(ok(store.commit_alerts(b).await, "commit"), AlertCommit::Written);
    let draft = drafts_of(store.as_ref(), &run).await.remove(0);
    let mail = digest();
    let id = mail.message.message_id.clone();
    assert_eq!(ok(store.send_digest(&draft, mail.clone()).await, "send"), DigestSent::Sent);
    let pending = ok(store.message(&id).await, "message").expect("the digest was written");
    assert_eq!(pending.state, DeliveryState::Pending);
    assert_eq!(pending.message.case_ref, None);
    assert_eq!(pending.message.purpose, MessagePurpose::DeadlineDigest);
    let due = ok(store.pending_messages(at(), 10_000).await, "pending");
    assert!(due.iter().any(|p| p.message.message_id == id), "the digest is in the outbound sweep");
    assert!(drafts_of(store.as_ref(), &run).await.is_empty(), "the draft is gone");
    assert_eq!(ok(store.send_digest(&draft, mail).await, "send again"), DigestSent::Changed);
    let again = ok(store.pending_messages(at(), 10_000).await, "pending");
    assert_eq!(again.iter().filter(|p| p.message.message_id == id).count(), 1, "one message, not two");
}

/// A draft read before another batch added lines is not sent: the sender reads it again.
pub async fn a_draft_that_gained_lines_since_it_was_read_is_not_sent(store: Arc<dyn AlertCaseStore>) {
    let reference = new_case(store.as_ref()).await;
    let run = unique("run");
    let b = batch(vec![entry(&reference, AlertLevel::DueSoon(2))], vec![draft_lines(&run, "team@example.org", &["a"])]);
    assert_eq!(ok(store.commit_alerts(b).await, "commit"), AlertCommit::Written);
    let stale = drafts_of(store.as_ref(), &run).await.remove(0);
    let b = batch(vec![entry(&reference, AlertLevel::DueToday)], vec![draft_lines(&run, "team@example.org", &["b"])]);
    assert_eq!(ok(store.commit_alerts(b).await, "commit"), AlertCommit::Written);
    let mail = digest();
    let id = mail.message.message_id.clone();
    assert_eq!(ok(store.send_digest(&stale, mail).await, "send"), DigestSent::Changed);
    assert_eq!(ok(store.message(&id).await, "message"), None, "nothing was written");
    let fresh = drafts_of(store.as_ref(), &run).await.remove(0);
    assert_eq!(fresh.lines, vec!["a".to_owned(), "b".to_owned()]);
    assert_eq!(ok(store.send_digest(&fresh, digest()).await, "send"), DigestSent::Sent);
}

/// A date after every deadline (as the stores compare dates: ISO text).
fn far() -> NaiveDate {
    NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or_default()
}

async fn indexed(store: &dyn AlertCaseStore, reference: &CaseRef, horizon: NaiveDate) -> bool {
    ok(store.alert_due_by(horizon).await, "alert index").iter().any(|s| s.case.reference() == reference)
}

/// A new case is in the alert index at its next due date; the scan can move it later or take it
/// out (at the version it read); any write of the case puts it back at its due date.
pub async fn the_alert_index_follows_the_scan_until_the_case_is_written_again(store: Arc<dyn AlertCaseStore>) {
    let reference = new_case(store.as_ref()).await;
    let stored = ok(store.get(&reference).await, "get");
    let due = stored.case.index().next_due.expect("an open case has a due date");
    let before = due.checked_sub_days(Days::new(1)).expect("date");
    assert!(indexed(store.as_ref(), &reference, due).await, "indexed at its due date");
    assert!(!indexed(store.as_ref(), &reference, before).await, "not before it");

    let later = due.checked_add_days(Days::new(10)).expect("date");
    ok(store.set_alert_date(&reference, stored.version, Some(later)).await, "move later");
    assert!(!indexed(store.as_ref(), &reference, due).await, "moved past its due date");
    assert!(indexed(store.as_ref(), &reference, later).await, "found at the new date");

    ok(store.set_alert_date(&reference, stored.version, None).await, "take out");
    assert!(!indexed(store.as_ref(), &reference, far()).await, "out of the index");

    let version = ok(store.update(&stored.case, stored.version, Vec::new()).await, "write the case");
    assert!(indexed(store.as_ref(), &reference, due).await, "a write puts it back at its due date");

    ok(store.set_alert_date(&reference, stored.version, None).await, "a stale version");
    assert!(indexed(store.as_ref(), &reference, due).await, "a date set at an old version is ignored");
    ok(store.set_alert_date(&reference, version, None).await, "the current version");
    assert!(!indexed(store.as_ref(), &reference, far()).await);
}
