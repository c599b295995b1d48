//! In-memory test doubles for the ports (feature `testing`): a recording mailer, a case store in a
//! `Mutex`, and a ready [`IntakeService`] for other crates' tests. Not for production use.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use complaints_core::case::{Case, ContactKey};
use complaints_core::complaint::{Channel, Complainant, ComplaintDraft, EmailAddress, IntakeRoute, NewComplaint};
use complaints_core::config::OrgConfig;
use complaints_core::reference::CaseRef;
use complaints_core::timeline::TimelineEvent;
use complaints_mail::QueuedMessage;
use complaints_mail::templates::Templates;

mod alert_memory;
mod channel_health_memory;
mod index_memory;
mod notice_memory;
mod period_pages_memory;
mod staff_items_memory;

use crate::intake::IntakeService;
use crate::outbound::{DeliveryResult, DeliveryState, NewMessage, PendingMessage};
use crate::ports::{CaseStore, FixedClock, MailError, Mailer, NewCase, StoreError, StoredCase};

/// The contact key secret the test service uses.
pub const TEST_CONTACT_KEY_SECRET: &[u8] = b"test-contact-key-secret";

/// How a [`RecordingMailer`] should fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailFailure {
    /// [`MailError::Rejected`]: permanent.
    Rejected,
    /// [`MailError::Unavailable`]: retryable.
    Unavailable,
}

/// A mailer that keeps every message it was asked to send, and can be told to fail.
#[derive(Debug, Default)]
pub struct RecordingMailer {
    sent: Mutex<Vec<QueuedMessage>>,
    failure: Mutex<Option<MailFailure>>,
}

impl RecordingMailer {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A mailer whose every send fails with `failure` (and records nothing).
    #[must_use]
    pub fn failing(failure: MailFailure) -> Self {
        Self { sent: Mutex::default(), failure: Mutex::new(Some(failure)) }
    }

    /// Makes later sends fail (`Some`) or succeed (`None`).
    pub fn set_failure(&self, failure: Option<MailFailure>) {
        *lock(&self.failure) = failure;
    }

    /// The messages sent so far, oldest first.
    #[must_use]
    pub fn sent(&self) -> Vec<QueuedMessage> {
        lock(&self.sent).clone()
    }

    /// The plain-text part of each message sent, oldest first.
    ///
    /// # Panics
    /// When a sent message does not parse or has no text part (a defect in the test).
    #[must_use]
    #[allow(clippy::expect_used)]
    pub fn sent_texts(&self) -> Vec<String> {
        self.sent()
            .iter()
            .map(|message| {
                let parsed = mail_parser::MessageParser::default().parse(&message.raw).expect("sent mail parses");
                parsed.body_text(0).expect("sent mail has a text part").into_owned()
            })
            .collect()
    }
}

#[async_trait]
impl Mailer for RecordingMailer {
    async fn send(&self, email: &QueuedMessage) -> Result<(), MailError> {
        match *lock(&self.failure) {
            Some(MailFailure::Rejected) => Err(MailError::Rejected("test mailer rejects everything".to_owned())),
            Some(MailFailure::Unavailable) => Err(MailError::Unavailable("test mailer is down".into())),
            None => {
                lock(&self.sent).push(email.clone());
                Ok(())
            }
        }
    }
}

/// A [`CaseStore`] in memory. It passes the contract suite, so use-case tests can trust it.
/// Clones share the same data.
#[derive(Debug, Default, Clone)]
pub struct MemoryCaseStore {
    inner: Arc<Mutex<Memory>>,
}

#[derive(Debug, Default)]
struct Memory {
    cases: BTreeMap<CaseRef, StoredCase>,
    timelines: HashMap<CaseRef, Vec<TimelineEvent>>,
    counters: HashMap<(String, i32), u32>,
    intake_keys: HashMap<String, CaseRef>,
    messages: HashMap<String, CaseRef>,
    markers: HashSet<String>,
    outgoing: BTreeMap<String, Outgoing>,
    /// The breach scan's alert index dates, each valid while its case is at that version.
    alert_dates: HashMap<CaseRef, (u64, Option<NaiveDate>)>,
    /// The breach scan's digest drafts.
    drafts: BTreeMap<crate::alert_store::DraftKey, crate::alert_store::DigestDraft>,
    staff_items: BTreeMap<String, crate::staff_items::StaffItem>,
    /// The flag register, written with the case events that raise its items.
    flags: BTreeMap<String, crate::flagged::FlaggedItem>,
    /// Social channel health by channel name.
    channel_health: HashMap<String, crate::channel_health_store::ChannelState>,
}

/// A stored message and its claim.
#[derive(Debug, Clone)]
struct Outgoing {
    record: PendingMessage,
    lease_until: Option<DateTime<Utc>>,
    queued_at: DateTime<Utc>,
}

impl Memory {
    /// Messages queued for `recipient` at or after `since`.
    fn recent_to(&self, recipient: &ContactKey, since: DateTime<Utc>) -> u32 {
        let count = self
            .outgoing
            .values()
            .filter(|o| o.record.recipient_key.as_ref() == Some(recipient) && o.queued_at >= since)
            .count();
        u32::try_from(count).unwrap_or(u32::MAX)
    }

    fn queue(&mut self, messages: Vec<NewMessage>, reference: &CaseRef) {
        for NewMessage { message, recipient_key } in messages {
            self.messages.insert(message.message_id.clone(), reference.clone());
            let record = PendingMessage {
                next_attempt_at: message.date,
                message,
                recipient_key,
                state: DeliveryState::Pending,
                attempts: 0,
                last_error: None,
            };
            let queued_at = record.next_attempt_at;
            self.outgoing.entry(record.message.message_id.clone()).or_insert(Outgoing {
                record,
                lease_until: None,
                queued_at,
            });
        }
    }
}

impl MemoryCaseStore {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn memory(&self) -> MutexGuard<'_, Memory> {
        lock(&self.inner)
    }

    fn matching(&self, keep: impl Fn(&Case) -> bool) -> Vec<StoredCase> {
        self.memory().cases.values().filter(|stored| keep(&stored.case)).cloned().collect()
    }

    /// Every case stored, by reference (what the query double lists from).
    #[must_use]
    pub fn all_cases(&self) -> Vec<StoredCase> {
        self.matching(|_| true)
    }
}

#[async_trait]
impl CaseStore for MemoryCaseStore {
    async fn create(&self, new: NewCase) -> Result<StoredCase, StoreError> {
        let mut memory = self.memory();
        if let Some(existing) = new.source_key.as_ref().and_then(|key| memory.intake_keys.get(key)) {
            return Err(StoreError::AlreadyExists { existing: Some(existing.clone()) });
        }
        let mut case = new.case;
        let counter_key = (case.reference().prefix().to_owned(), case.reference().year());
        let number = memory.counters.get(&counter_key).copied().unwrap_or(0) + 1;
        case.assign_number(number);
        let reference = case.reference().clone();
        if memory.cases.contains_key(&reference) {
            return Err(StoreError::AlreadyExists { existing: Some(reference) });
        }
        memory.counters.insert(counter_key, number);
        if let Some(key) = new.source_key {
            memory.intake_keys.insert(key, reference.clone());
        }
        let over: HashSet<ContactKey> = new
            .mail
            .as_ref()
            .map(|mail| {
                mail.caps()
                    .iter()
                    .filter(|cap| memory.recent_to(&cap.recipient, cap.since) >= cap.limit)
                    .map(|cap| cap.recipient.clone())
                    .collect()
            })
            .unwrap_or_default();
        let (mail_events, messages) =
            new.mail.as_ref().map(|mail| mail.compose(&case, &|key| over.contains(key))).unwrap_or_default();
        let mut events = new.events;
        events.extend(mail_events);
        memory.raise_flags(&reference, &events);
        memory.timelines.insert(reference.clone(), events);
        memory.queue(messages, &reference);
        let stored = StoredCase { case, version: 1 };
        memory.cases.insert(reference, stored.clone());
        Ok(stored)
    }

    async fn get(&self, reference: &CaseRef) -> Result<StoredCase, StoreError> {
        self.memory().cases.get(reference).cloned().ok_or(StoreError::NotFound)
    }

    async fn update_with_messages(
        &self,
        case: &Case,
        expected_version: u64,
        events: Vec<TimelineEvent>,
        messages: Vec<NewMessage>,
    ) -> Result<u64, StoreError> {
        let mut memory = self.memory();
        let reference = case.reference().clone();
        let stored = memory.cases.get_mut(&reference).ok_or(StoreError::NotFound)?;
        if stored.version != expected_version {
            return Err(StoreError::VersionConflict { expected: expected_version });
        }
        stored.case = case.clone();
        stored.version += 1;
        let version = stored.version;
        memory.raise_flags(&reference, &events);
        memory.timelines.entry(reference.clone()).or_default().extend(events);
        memory.queue(messages, &reference);
        Ok(version)
    }

    async fn timeline(&self, reference: &CaseRef) -> Result<Vec<TimelineEvent>, StoreError> {
        self.memory().timelines.get(reference).cloned().ok_or(StoreError::NotFound)
    }

    async fn open_due_by(&self, date: NaiveDate) -> Result<Vec<StoredCase>, StoreError> {
        let mut due: Vec<(NaiveDate, StoredCase)> = self
            .matching(|case| case.index().open)
            .into_iter()
            .filter_map(|stored| stored.case.index().next_due.filter(|d| *d <= date).map(|d| (d, stored)))
            .collect();
        due.sort_by(|(a, x), (b, y)| a.cmp(b).then_with(|| x.case.reference().cmp(y.case.reference())));
        Ok(due.into_iter().map(|(_, stored)| stored).collect())
    }

    async fn received_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<StoredCase>, StoreError> {
        let mut found = self.matching(|case| (from..=to).contains(&case.index().received_on));
        found.sort_by_key(|stored| (stored.case.index().received_on, stored.case.reference().clone()));
        Ok(found)
    }

    async fn closed_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<StoredCase>, StoreError> {
        Ok(self.matching(|case| case.index().closed_on.iter().any(|d| (from..=to).contains(d))))
    }

    async fn find_by_contact(&self, key: &ContactKey) -> Result<Vec<CaseRef>, StoreError> {
        let mut found = self.matching(|case| case.index().contact_key.as_ref() == Some(key));
        found.sort_by_key(|stored| (stored.case.index().received_on, stored.case.reference().clone()));
        Ok(found.into_iter().map(|stored| stored.case.reference().clone()).collect())
    }

    async fn record_message(&self, message_id: &str, reference: &CaseRef) -> Result<(), StoreError> {
        self.memory().messages.insert(message_id.to_owned(), reference.clone());
        Ok(())
    }

    async fn case_for_message(&self, message_id: &str) -> Result<Option<CaseRef>, StoreError> {
        Ok(self.memory().messages.get(message_id).cloned())
    }

    async fn place_alert_marker(&self, marker: &str, _reference: &CaseRef) -> Result<bool, StoreError> {
        Ok(self.memory().markers.insert(marker.to_owned()))
    }

    async fn pending_messages(&self, due_by: DateTime<Utc>, limit: usize) -> Result<Vec<PendingMessage>, StoreError> {
        let memory = self.memory();
        let mut due: Vec<&Outgoing> = memory
            .outgoing
            .values()
            .filter(|o| o.record.state == DeliveryState::Pending && o.record.next_attempt_at <= due_by)
            .collect();
        due.sort_by(|a, b| {
            a.record.next_attempt_at.cmp(&b.record.next_attempt_at).then_with(|| a.queued_at.cmp(&b.queued_at))
        });
        Ok(due.into_iter().take(limit).map(|o| o.record.clone()).collect())
    }

    async fn claim_message(
        &self,
        message_id: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<PendingMessage>, StoreError> {
        let mut memory = self.memory();
        let Some(outgoing) = memory.outgoing.get_mut(message_id) else { return Ok(None) };
        let free = outgoing.lease_until.is_none_or(|until| until <= now);
        if outgoing.record.state != DeliveryState::Pending || outgoing.record.next_attempt_at > now || !free {
            return Ok(None);
        }
        outgoing.lease_until = Some(lease_until);
        outgoing.record.attempts += 1;
        Ok(Some(outgoing.record.clone()))
    }

    async fn finish_message(
        &self,
        message_id: &str,
        result: DeliveryResult,
        event: Option<TimelineEvent>,
    ) -> Result<(), StoreError> {
        let mut memory = self.memory();
        let outgoing = memory.outgoing.get_mut(message_id).ok_or(StoreError::NotFound)?;
        if outgoing.record.state != DeliveryState::Pending {
            // Another deliverer already recorded this message's end: keep its result.
            return Ok(());
        }
        outgoing.lease_until = None;
        match result {
            DeliveryResult::Sent { at } => outgoing.record.state = DeliveryState::Sent { at },
            DeliveryResult::Retry { next_attempt_at, reason } => {
                outgoing.record.next_attempt_at = next_attempt_at;
                outgoing.record.last_error = Some(reason);
            }
            DeliveryResult::Failed { at, reason } => {
                outgoing.record.last_error = Some(reason.clone());
                outgoing.record.state = DeliveryState::Failed { at, reason };
            }
        }
        let reference = outgoing.record.message.case_ref.clone();
        if let (Some(event), Some(reference)) = (event, reference) {
            memory.raise_flags(&reference, std::slice::from_ref(&event));
            memory.timelines.entry(reference).or_default().push(event);
        }
        Ok(())
    }

    async fn message(&self, message_id: &str) -> Result<Option<PendingMessage>, StoreError> {
        Ok(self.memory().outgoing.get(message_id).map(|o| o.record.clone()))
    }

    async fn automatic_messages_since(&self, recipient: &ContactKey, since: DateTime<Utc>) -> Result<u32, StoreError> {
        Ok(self.memory().recent_to(recipient, since))
    }
}

/// A clock tests move by hand (delivery retries, the 24-hour cap).
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    #[must_use]
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }

    /// Moves the clock to `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        *lock(&self.0) = at;
    }

    /// Moves the clock on by `by`.
    pub fn advance(&self, by: chrono::Duration) {
        let mut now = lock(&self.0);
        *now += by;
    }
}

impl crate::ports::Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *lock(&self.0)
    }
}

/// A ready intake service on the built-in configuration, calendar and templates, with the clock
/// fixed at `now`.
#[must_use]
pub fn intake_service(store: Arc<dyn CaseStore>, mailer: Arc<dyn Mailer>, now: DateTime<Utc>) -> IntakeService {
    intake_service_with_config(store, mailer, now, OrgConfig::builtin())
}

/// [`intake_service`] with a given organisation configuration.
#[must_use]
pub fn intake_service_with_config(
    store: Arc<dyn CaseStore>,
    mailer: Arc<dyn Mailer>,
    now: DateTime<Utc>,
    config: OrgConfig,
) -> IntakeService {
    IntakeService {
        store,
        mailer,
        clock: Arc::new(FixedClock(now)),
        calendar: Arc::new(config.calendar()),
        config: Arc::new(config),
        templates: Arc::new(Templates::builtin()),
        contact_key_secret: Arc::from(TEST_CONTACT_KEY_SECRET),
    }
}

/// A valid web form complaint from a named complainant with `email` (`None`: no address given).
///
/// # Panics
/// When `email` is not a valid address (a mistake in the calling test), or `channel` is a social
/// media channel (see [`anonymous_complaint`]).
#[must_use]
#[allow(clippy::expect_used)]
pub fn sample_complaint(channel: Channel, email: Option<&str>) -> NewComplaint {
    let complainant = Complainant {
        name: "Test Complainant".to_owned(),
        email: email.map(|e| EmailAddress::parse(e).expect("test email address is valid")),
        phone: None,
        handle: None,
    };
    valid_sample(ComplaintDraft { complainant: Some(complainant), ..anonymous_draft(channel) })
}

/// A valid complaint with no complainant details (R51).
///
/// # Panics
/// When `channel` is a social media channel, which needs a source reference (R50): validate a
/// [`ComplaintDraft`] with a `source_ref` instead.
#[must_use]
pub fn anonymous_complaint(channel: Channel) -> NewComplaint {
    valid_sample(anonymous_draft(channel))
}

/// Validates a sample on Thursday 27 November 2025: any day will do, as the samples carry no dates.
#[allow(clippy::expect_used)]
fn valid_sample(draft: ComplaintDraft) -> NewComplaint {
    let day = NaiveDate::from_ymd_opt(2025, 11, 27).expect("valid date");
    draft.validate(day).expect("sample complaint is valid")
}

fn anonymous_draft(channel: Channel) -> ComplaintDraft {
    ComplaintDraft {
        channel,
        complainant: None,
        service_area: "Bins and recycling".to_owned(),
        description: "The bin was not collected on the scheduled day.".to_owned(),
        event_date: None,
        awareness_date: None,
        outcome_sought: None,
        preferred_contact: None,
        adjustments: None,
        representation: None,
        child: None,
        source_ref: None,
        route: IntakeRoute::Stage1,
    }
}

/// Locks a test double's mutex; a poisoned lock only means another test thread panicked, and the
/// data is still usable for assertions.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
