//! The ports the use cases need, with their error contracts. STABLE signatures.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use complaints_core::case::{Case, ContactKey};
use complaints_core::reference::CaseRef;
use complaints_core::timeline::TimelineEvent;
use complaints_mail::OutboundEmail;

/// A case as stored, with its optimistic-concurrency version (1 after creation).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCase {
    pub case: Case,
    pub version: u64,
}

/// A case to create, at most once per `source_key`.
#[derive(Debug, Clone)]
pub struct NewCase {
    /// The case with a provisional reference; the store gives it the next number of its
    /// reference's prefix and year (`Case::assign_number`).
    pub case: Case,
    /// Timeline entries written in the same transaction.
    pub events: Vec<TimelineEvent>,
    /// Idempotency key: the channel's message id (e.g. `web:<token>`, `email:<Message-ID>`).
    pub source_key: Option<String>,
}

/// What a store operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The source key (or reference) was already used; `existing` is the case it created.
    #[error("already exists")]
    AlreadyExists { existing: Option<CaseRef> },
    /// The case changed since it was read; reload and retry.
    #[error("the case was changed by someone else (expected version {expected})")]
    VersionConflict { expected: u64 },
    #[error("no such case")]
    NotFound,
    /// The backend failed or is unreachable; the operation may be retried.
    #[error("case store unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Where cases live. Every adapter passes the same contract test suite.
#[async_trait]
pub trait CaseStore: Send + Sync {
    /// Creates a case, its first timeline entries and its reference number atomically.
    ///
    /// # Errors
    /// [`StoreError::AlreadyExists`] with the existing reference when `source_key` was seen before
    /// (nothing is written); [`StoreError::Unavailable`] on backend failure.
    async fn create(&self, new: NewCase) -> Result<StoredCase, StoreError>;

    /// Loads a case.
    ///
    /// # Errors
    /// [`StoreError::NotFound`]; [`StoreError::Unavailable`].
    async fn get(&self, reference: &CaseRef) -> Result<StoredCase, StoreError>;

    /// Replaces a case if it is still at `expected_version`, appending `events` in the same
    /// transaction. Returns the new version.
    ///
    /// # Errors
    /// [`StoreError::VersionConflict`]; [`StoreError::NotFound`]; [`StoreError::Unavailable`].
    async fn update(&self, case: &Case, expected_version: u64, events: Vec<TimelineEvent>) -> Result<u64, StoreError>;

    /// The case's timeline, oldest first.
    ///
    /// # Errors
    /// [`StoreError::NotFound`]; [`StoreError::Unavailable`].
    async fn timeline(&self, reference: &CaseRef) -> Result<Vec<TimelineEvent>, StoreError>;

    /// Open cases whose next due date is on or before `date`, earliest first.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn open_due_by(&self, date: NaiveDate) -> Result<Vec<StoredCase>, StoreError>;

    /// Cases whose effective receipt date is in `from..=to`.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn received_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<StoredCase>, StoreError>;

    /// Cases with a stage closed in `from..=to` (each case once).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn closed_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<StoredCase>, StoreError>;

    /// References of cases from the contact with this keyed hash.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn find_by_contact(&self, key: &ContactKey) -> Result<Vec<CaseRef>, StoreError>;

    /// Remembers that we sent `message_id` about `reference`, so replies can be matched.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn record_message(&self, message_id: &str, reference: &CaseRef) -> Result<(), StoreError>;

    /// The case a message we sent belongs to.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn case_for_message(&self, message_id: &str) -> Result<Option<CaseRef>, StoreError>;

    /// Places an alert marker once; returns false when it was already there (the alert was sent).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn place_alert_marker(&self, marker: &str, reference: &CaseRef) -> Result<bool, StoreError>;
}

/// What sending mail can fail with.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The message was refused and retrying will not help (bad address, rejected content).
    #[error("message rejected: {0}")]
    Rejected(String),
    /// Throttled or the service failed; retry later.
    #[error("mail service unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Sends email.
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends one message as its own MIME (our Message-ID, Reply-To and Auto-Submitted).
    ///
    /// # Errors
    /// [`MailError::Rejected`] (permanent) or [`MailError::Unavailable`] (retryable).
    async fn send(&self, email: &OutboundEmail) -> Result<(), MailError>;
}

/// The current time. Scheduled functions take it from the event; tests and `--at` fix it.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock fixed at one instant.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}
