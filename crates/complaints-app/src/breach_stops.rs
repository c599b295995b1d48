//! The breach scan stopped at every write point (feature `contract-tests`): a store wrapper counts
//! the scan's writes and fails the k-th — as a crash (that write and every later one fail), a lost
//! write (only that one fails) or a lost answer (that write is applied but reported as failed) —
//! for every k of a run, after which a clean run follows. Whatever k, the staff must receive
//! exactly the digest lines one clean run sends, each once, and each case must carry each alert
//! once on its timeline: the exactly-once guarantee of docs/breach-scan.md ("a run stopped
//! anywhere leaves nothing lost and nothing doubled"). The memory and SQLite stores run it.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use complaints_core::case::{Case, CaseEvent, ContactKey, Rules};
use complaints_core::complaint::Channel;
use complaints_core::config::OrgConfig;
use complaints_core::reference::CaseRef;
use complaints_core::timeline::{Actor, TimelineEvent};

use crate::alert_contract::AlertCaseStore;
use crate::alert_store::{AlertBatch, AlertCommit, AlertStore, DigestDraft, DigestSent};
use crate::breach_scan::BreachScan;
use crate::outbound::{DeliveryResult, NewMessage, PendingMessage};
use crate::ports::{CaseStore, NewCase, StoreError, StoredCase};
use crate::testing::sample_complaint;

/// How the k-th write fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The process dies before the k-th write: it and every later write fail, nothing is applied.
    Crash,
    /// Only the k-th write fails (a throttled or timed-out call); the run goes on.
    LostWrite,
    /// The k-th write is applied but its answer is lost: the caller sees a failure; the run goes on.
    LostAnswer,
}

/// A store that counts writes and fails the `at`th one (counting from 1) as `stop` says.
pub struct StoppingStore {
    inner: Arc<dyn AlertCaseStore>,
    stop: Stop,
    at: usize,
    writes: AtomicUsize,
}

impl std::fmt::Debug for StoppingStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoppingStore").field("stop", &self.stop).field("at", &self.at).finish_non_exhaustive()
    }
}

impl StoppingStore {
    /// `inner`, failing its `at`th write (`usize::MAX`: never; counts the writes of a clean run).
    #[must_use]
    pub fn new(inner: Arc<dyn AlertCaseStore>, stop: Stop, at: usize) -> Self {
        Self { inner, stop, at, writes: AtomicUsize::new(0) }
    }

    /// How many writes were asked for.
    #[must_use]
    pub fn writes(&self) -> usize {
        self.writes.load(Ordering::SeqCst)
    }

    /// Runs one write through the failure plan.
    async fn write<T, F>(&self, write: F) -> Result<T, StoreError>
    where
        F: Future<Output = Result<T, StoreError>> + Send,
        T: Send,
    {
        let n = self.writes.fetch_add(1, Ordering::SeqCst) + 1;
        let induced = || StoreError::Unavailable(format!("induced failure at write {n}").into());
        match self.stop {
            Stop::Crash if n >= self.at => Err(induced()),
            Stop::LostWrite if n == self.at => Err(induced()),
            Stop::LostAnswer if n == self.at => {
                write.await?;
                Err(induced())
            }
            _ => write.await,
        }
    }
}

#[async_trait]
impl CaseStore for StoppingStore {
    async fn create(&self, new: NewCase) -> Result<StoredCase, StoreError> {
        self.write(self.inner.create(new)).await
    }
    async fn get(&self, reference: &CaseRef) -> Result<StoredCase, StoreError> {
        self.inner.get(reference).await
    }
    async fn update(&self, case: &Case, expected_version: u64, events: Vec<TimelineEvent>) -> Result<u64, StoreError> {
        self.write(self.inner.update(case, expected_version, events)).await
    }
    async fn update_with_messages(
        &self,
        case: &Case,
        expected_version: u64,
        events: Vec<TimelineEvent>,
        messages: Vec<NewMessage>,
    ) -> Result<u64, StoreError> {
        self.write(self.inner.update_with_messages(case, expected_version, events, messages)).await
    }
    async fn timeline(&self, reference: &CaseRef) -> Result<Vec<TimelineEvent>, StoreError> {
        self.inner.timeline(reference).await
    }
    async fn open_due_by(&self, date: NaiveDate) -> Result<Vec<StoredCase>, StoreError> {
        self.inner.open_due_by(date).await
    }
    async fn received_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<StoredCase>, StoreError> {
        self.inner.received_between(from, to).await
    }
    async fn closed_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<StoredCase>, StoreError> {
        self.inner.closed_between(from, to).await
    }
    async fn find_by_contact(&self, key: &ContactKey) -> Result<Vec<CaseRef>, StoreError> {
        self.inner.find_by_contact(key).await
    }
    async fn record_message(&self, message_id: &str, reference: &CaseRef) -> Result<(), StoreError> {
        self.write(self.inner.record_message(message_id, reference)).await
    }
    async fn case_for_message(&self, message_id: &str) -> Result<Option<CaseRef>, StoreError> {
        self.inner.case_for_message(message_id).await
    }
    async fn place_alert_marker(&self, marker: &str, reference: &CaseRef) -> Result<bool, StoreError> {
        self.write(self.inner.place_alert_marker(marker, reference)).await
    }
    async fn pending_messages(&self, due_by: DateTime<Utc>, limit: usize) -> Result<Vec<PendingMessage>, StoreError> {
        self.inner.pending_messages(due_by, limit).await
    }
    async fn claim_message(
        &self,
        message_id: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<PendingMessage>, StoreError> {
        self.write(self.inner.claim_message(message_id, now, lease_until)).await
    }
    async fn finish_message(
        &self,
        message_id: &str,
        result: DeliveryResult,
        event: Option<TimelineEvent>,
    ) -> Result<(), StoreError> {
        self.write(self.inner.finish_message(message_id, result, event)).await
    }
    async fn message(&self, message_id: &str) -> Result<Option<PendingMessage>, StoreError> {
        self.inner.message(message_id).await
    }
    async fn automatic_messages_since(&self, recipient: &ContactKey, since: DateTime<Utc>) -> Result<u32, StoreError> {
        self.inner.automatic_messages_since(recipient, since).await
    }
}

#[async_trait]
impl AlertStore for StoppingStore {
    async fn commit_alerts(&self, batch: AlertBatch) -> Result<AlertCommit, StoreError> {
        self.write(self.inner.commit_alerts(batch)).await
    }
    async fn digest_drafts(&self) -> Result<Vec<DigestDraft>, StoreError> {
        self.inner.digest_drafts().await
    }
    async fn send_digest(&self, draft: &DigestDraft, message: NewMessage) -> Result<DigestSent, StoreError> {
        self.write(self.inner.send_digest(draft, message)).await
    }
    async fn alert_due_by(&self, horizon: NaiveDate) -> Result<Vec<StoredCase>, StoreError> {
        self.inner.alert_due_by(horizon).await
    }
    async fn set_alert_date(
        &self,
        reference: &CaseRef,
        version: u64,
        date: Option<NaiveDate>,
    ) -> Result<(), StoreError> {
        self.write(self.inner.set_alert_date(reference, version, date)).await
    }
    async fn calendar_applied(&self, version: &str) -> Result<bool, StoreError> {
        self.inner.calendar_applied(version).await
    }
    async fn mark_calendar_applied(&self, version: &str) -> Result<(), StoreError> {
        self.write(self.inner.mark_calendar_applied(version)).await
    }
}

const ORG: &str = r#"
[alerts]
team_mailbox = "team@example.org"
complaints_manager = "manager@example.org"
staff_base_url = "https://staff.example.org"
[alerts.handlers]
"alex" = "alex@example.org"
"sam" = "sam@example.org"
"#;

/// The organisation closes on Thu 9 Apr 2026: a calendar change after the cases were opened, so
/// the scan's first run recomputes the open cases whose clocks cross it (R13) — more writes.
const CLOSURE: &str = r#"
[[calendar.add]]
date = "2026-04-09"
name = "Office move"
kind = "closure"
source = "Notice to staff"
"#;

fn org(with_closure: bool) -> OrgConfig {
    let text = if with_closure { format!("{ORG}{CLOSURE}") } else { ORG.to_owned() };
    OrgConfig::from_toml_str(&text).unwrap_or_else(|e| panic!("test config: {e}"))
}

/// 48 stage 1 complaints received on the working days from Mon 16 Mar to Mon 6 Apr 2026 under the
/// old calendar, handled by alex, sam and a handler with no address: by Tue 7 Apr some are
/// overdue, some due today or soon, some not due yet, and some have dates the closure moves.
async fn seed(store: &dyn AlertCaseStore) {
    let config = org(false);
    let calendar = config.calendar();
    let rules = Rules { calendar: &calendar, policy: &config.procedure };
    let handlers = ["alex", "sam", "Complaints Team"];
    let mut day = day_of(2026, 3, 16);
    let mut n = 0usize;
    while day <= day_of(2026, 4, 6) {
        if calendar.is_working_day(day) {
            for _ in 0..3 {
                let at = day.and_hms_opt(10, 0, 0).map_or_else(Utc::now, |t| t.and_utc());
                let complaint = sample_complaint(Channel::WebForm, Some("stopped.scan@example.net"));
                let reference = CaseRef::new("STOP", 2026, 0).unwrap_or_else(|e| panic!("prefix: {e}"));
                let handler = handlers[n % handlers.len()].to_owned();
                let (case, events) = Case::open(reference, complaint, at, handler, None, rules, Actor::System);
                store
                    .create(NewCase { case, events, source_key: None, mail: None })
                    .await
                    .unwrap_or_else(|e| panic!("create: {e}"));
                n += 1;
            }
        }
        day = day + Days::new(1);
    }
}

fn day_of(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

/// `hour`:00 UK time (BST) on Tue 7 Apr 2026.
fn on_the_seventh(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 4, 7, hour - 1, minute, 0).single().unwrap_or_else(Utc::now)
}

/// What the staff received and what the cases recorded.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    /// (recipient, digest line) → how many times it was queued.
    lines: BTreeMap<(String, String), usize>,
    /// Case reference → how many `DeadlineAlerted` entries its timeline holds.
    alerted: BTreeMap<String, usize>,
}

async fn outcome(store: &dyn AlertCaseStore) -> Outcome {
    let far = Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).single().unwrap_or_else(Utc::now);
    let pending = store.pending_messages(far, 100_000).await.unwrap_or_else(|e| panic!("pending: {e}"));
    let mut lines: BTreeMap<(String, String), usize> = BTreeMap::new();
    for message in &pending {
        let parsed = mail_parser::MessageParser::default()
            .parse(&message.message.raw)
            .unwrap_or_else(|| panic!("a digest that does not parse"));
        let text = parsed.body_text(0).unwrap_or_else(|| panic!("a digest without text")).into_owned();
        for to in &message.message.to {
            for line in text.lines().filter(|l| l.contains(" | ")) {
                *lines.entry((to.as_str().to_owned(), line.to_owned())).or_default() += 1;
            }
        }
    }
    let mut alerted = BTreeMap::new();
    let open = store.open_due_by(day_of(9999, 12, 31)).await.unwrap_or_else(|e| panic!("open cases: {e}"));
    for stored in open {
        let timeline = store.timeline(stored.case.reference()).await.unwrap_or_else(|e| panic!("timeline: {e}"));
        let count = timeline.iter().filter(|e| matches!(e.what, CaseEvent::DeadlineAlerted { .. })).count();
        alerted.insert(stored.case.reference().to_string(), count);
    }
    Outcome { lines, alerted }
}

/// Seeds a fresh store, runs the scan at 08:00 through a store that fails as `stop` says at write
/// `at`, then clean runs at 13:00 and 13:30; gives what reached the staff, and how many writes the
/// first run asked for.
async fn stopped_then_run_again(store: Arc<dyn AlertCaseStore>, stop: Stop, at: usize) -> (Outcome, usize) {
    seed(store.as_ref()).await;
    let config = Arc::new(org(true));
    let stopping = Arc::new(StoppingStore::new(Arc::clone(&store), stop, at));
    let first = BreachScan::new(stopping.clone(), stopping.clone(), Arc::clone(&config));
    // The stopped run may fail; what matters is what it left.
    let _ = first.run(on_the_seventh(8, 0)).await;
    let cases: Arc<dyn CaseStore> = store.clone();
    let alerts: Arc<dyn AlertStore> = store.clone();
    let scan = BreachScan::new(cases, alerts, config);
    if let Err(error) = scan.run(on_the_seventh(13, 0)).await {
        panic!("{stop:?} at write {at}: the next run failed: {error}");
    }
    let repeat = scan.run(on_the_seventh(13, 30)).await.unwrap_or_else(|e| panic!("repeat: {e}"));
    assert!(
        repeat.alerts.is_empty() && repeat.digests.is_empty(),
        "{stop:?} at write {at}: a third run still sent {} alerts in {} digests",
        repeat.alerts.len(),
        repeat.digests.len()
    );
    (outcome(store.as_ref()).await, stopping.writes())
}

/// For every write point k of a scan run and each way of failing there, a run stopped at k and
/// then run again leaves the staff exactly the digest lines of one clean run, each once, and each
/// case's timeline each of its alerts once.
///
/// # Panics
/// When a run stopped somewhere loses or doubles an alert (the message names the write and how).
pub async fn a_run_stopped_at_any_write_then_run_again_sends_every_alert_once<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn AlertCaseStore>>,
{
    let (expected, writes) = stopped_then_run_again(make().await, Stop::LostWrite, usize::MAX).await;
    // The scenario must be worth stopping: several batches, every kind of recipient, a recompute.
    let recipients: std::collections::BTreeSet<&str> = expected.lines.keys().map(|(to, _)| to.as_str()).collect();
    assert_eq!(
        recipients.into_iter().collect::<Vec<_>>(),
        vec!["alex@example.org", "manager@example.org", "sam@example.org", "team@example.org"]
    );
    let team = expected.lines.keys().filter(|(to, _)| to == "team@example.org").count();
    assert!(team > 30, "{team} alerts: more than one batch");
    assert!(expected.lines.values().all(|n| *n == 1), "a clean run sends each line once");
    assert!(writes > 50, "{writes} write points");
    for stop in [Stop::Crash, Stop::LostWrite, Stop::LostAnswer] {
        for at in 1..=writes {
            let (got, _) = stopped_then_run_again(make().await, stop, at).await;
            if got != expected {
                let missing: Vec<_> = expected.lines.keys().filter(|k| !got.lines.contains_key(*k)).collect();
                let extra: Vec<_> = got.lines.iter().filter(|(k, n)| expected.lines.get(*k) != Some(*n)).collect();
                panic!(
                    "{stop:?} at write {at} of {writes}: missing {missing:#?}\nextra or doubled {extra:#?}\ntimelines equal: {}",
                    got.alerted == expected.alerted
                );
            }
        }
    }
}
