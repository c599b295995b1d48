//! In-memory test doubles for the ports (feature `testing`): a recording mailer, a case store in a
//! `Mutex`, and a ready [`IntakeService`] for other crates' tests. Not for production use.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use complaints_core::case::{Case, ContactKey};
use complaints_core::complaint::{Channel, Complainant, EmailAddress, IntakeRoute, NewComplaint};
use complaints_core::config::OrgConfig;
use complaints_core::reference::CaseRef;
use complaints_core::timeline::TimelineEvent;
use complaints_mail::OutboundEmail;
use complaints_mail::templates::Templates;

use crate::intake::IntakeService;
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
    sent: Mutex<Vec<OutboundEmail>>,
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
    pub fn sent(&self) -> Vec<OutboundEmail> {
        lock(&self.sent).clone()
    }
}

#[async_trait]
impl Mailer for RecordingMailer {
    async fn send(&self, email: &OutboundEmail) -> Result<(), MailError> {
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
        memory.timelines.insert(reference.clone(), new.events);
        let stored = StoredCase { case, version: 1 };
        memory.cases.insert(reference, stored.clone());
        Ok(stored)
    }

    async fn get(&self, reference: &CaseRef) -> Result<StoredCase, StoreError> {
        self.memory().cases.get(reference).cloned().ok_or(StoreError::NotFound)
    }

    async fn update(&self, case: &Case, expected_version: u64, events: Vec<TimelineEvent>) -> Result<u64, StoreError> {
        let mut memory = self.memory();
        let reference = case.reference().clone();
        let stored = memory.cases.get_mut(&reference).ok_or(StoreError::NotFound)?;
        if stored.version != expected_version {
            return Err(StoreError::VersionConflict { expected: expected_version });
        }
        stored.case = case.clone();
        stored.version += 1;
        let version = stored.version;
        memory.timelines.entry(reference).or_default().extend(events);
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
/// When `email` is not a valid address (a mistake in the calling test).
#[must_use]
#[allow(clippy::expect_used)]
pub fn sample_complaint(channel: Channel, email: Option<&str>) -> NewComplaint {
    let complainant = Complainant {
        name: "Test Complainant".to_owned(),
        email: email.map(|e| EmailAddress::parse(e).expect("test email address is valid")),
        phone: None,
        handle: None,
    };
    NewComplaint { complainant: Some(complainant), ..anonymous_complaint(channel) }
}

/// A valid complaint with no complainant details (R51).
#[must_use]
pub fn anonymous_complaint(channel: Channel) -> NewComplaint {
    NewComplaint {
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
