//! The ports the use cases need, with their error contracts.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use complaints_core::case::{Case, ContactKey};
use complaints_core::reference::CaseRef;
use complaints_core::timeline::TimelineEvent;
use complaints_mail::QueuedMessage;

use crate::outbound::{DeliveryResult, NewMessage, PendingMessage};

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
    /// The mail the new case causes (the acknowledgement), composed once the store has given the
    /// case its number and written as pending mail in the same transaction, with its timeline
    /// entries; each Message-ID is also indexed to the case for reply matching.
    pub mail: Option<CaseMail>,
}

/// Composes the timeline entries and pending messages a new case causes, once its reference is
/// final (the messages quote it). Stores call it inside the create transaction, once per attempt,
/// after checking the per-recipient caps it names there too, so no two concurrent intakes can both
/// pass a cap (the relay protection every channel shares).
#[derive(Clone)]
pub struct CaseMail {
    compose: Arc<ComposeFn>,
    caps: Vec<RecipientCap>,
}

/// What the composer is told: whether a recipient is at its cap already.
pub type OverCap<'a> = &'a dyn Fn(&ContactKey) -> bool;

type ComposeFn = dyn Fn(&Case, OverCap<'_>) -> (Vec<TimelineEvent>, Vec<NewMessage>) + Send + Sync;

/// At most `limit` automatic messages to `recipient` in 24 hours, checked and counted by the store
/// in the same write as the message. `since` is `at` less 24 hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientCap {
    pub recipient: ContactKey,
    pub limit: u32,
    pub since: DateTime<Utc>,
    pub at: DateTime<Utc>,
}

impl CaseMail {
    /// Mail with no cap to check.
    pub fn new(compose: impl Fn(&Case) -> (Vec<TimelineEvent>, Vec<NewMessage>) + Send + Sync + 'static) -> Self {
        Self { compose: Arc::new(move |case: &Case, _: OverCap<'_>| compose(case)), caps: Vec::new() }
    }

    /// Mail whose composer is told which of `caps`' recipients are at their cap.
    pub fn capped(
        caps: Vec<RecipientCap>,
        compose: impl Fn(&Case, OverCap<'_>) -> (Vec<TimelineEvent>, Vec<NewMessage>) + Send + Sync + 'static,
    ) -> Self {
        Self { compose: Arc::new(compose), caps }
    }

    /// The caps the store checks before composing.
    #[must_use]
    pub fn caps(&self) -> &[RecipientCap] {
        &self.caps
    }

    /// The timeline entries and messages for `case` (numbered), given which capped recipients are
    /// over their cap.
    #[must_use]
    pub fn compose(&self, case: &Case, over_cap: OverCap<'_>) -> (Vec<TimelineEvent>, Vec<NewMessage>) {
        (self.compose)(case, over_cap)
    }
}

impl std::fmt::Debug for CaseMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CaseMail(..)")
    }
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
    async fn update(&self, case: &Case, expected_version: u64, events: Vec<TimelineEvent>) -> Result<u64, StoreError> {
        self.update_with_messages(case, expected_version, events, Vec::new()).await
    }

    /// [`CaseStore::update`] that also writes `messages` as pending mail (and indexes their
    /// Message-IDs to the case) in the same transaction: the change and the mail it causes are
    /// committed together or not at all.
    ///
    /// # Errors
    /// [`StoreError::VersionConflict`]; [`StoreError::NotFound`]; [`StoreError::Unavailable`].
    async fn update_with_messages(
        &self,
        case: &Case,
        expected_version: u64,
        events: Vec<TimelineEvent>,
        messages: Vec<NewMessage>,
    ) -> Result<u64, StoreError>;

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

    /// Pending messages whose next attempt is due at or before `due_by`, oldest due first, at most
    /// `limit`. Served by a sparse index holding only unsent messages: the cost grows with what is
    /// pending, never with what was sent.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn pending_messages(&self, due_by: DateTime<Utc>, limit: usize) -> Result<Vec<PendingMessage>, StoreError>;

    /// Claims a pending message for one delivery attempt: succeeds only when the message is still
    /// pending, its next attempt is due at `now` and no other claim holds it; the claim lasts until
    /// `lease_until` and counts one attempt. Two deliverers (the web function and the sweep) can
    /// therefore never send the same message at the same time.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn claim_message(
        &self,
        message_id: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<PendingMessage>, StoreError>;

    /// Records the result of a claimed attempt: sent, to retry at a later time, or failed for
    /// good. `event`, when given, is appended to the message's case timeline in the same
    /// transaction.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when there is no such message; [`StoreError::Unavailable`].
    async fn finish_message(
        &self,
        message_id: &str,
        result: DeliveryResult,
        event: Option<TimelineEvent>,
    ) -> Result<(), StoreError>;

    /// A message by its Message-ID, whatever its state.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn message(&self, message_id: &str) -> Result<Option<PendingMessage>, StoreError>;

    /// How many automatic messages were queued for the recipient with this keyed hash at or after
    /// `since` (the per-recipient cap shared by every channel).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn automatic_messages_since(&self, recipient: &ContactKey, since: DateTime<Utc>) -> Result<u32, StoreError>;
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
    /// Sends one message exactly as queued (its bytes carry our Message-ID, Reply-To and
    /// Auto-Submitted). Sending the same Message-ID again must not make a second copy where the
    /// backend allows it (the mail folder overwrites its file).
    ///
    /// # Errors
    /// [`MailError::Rejected`] (permanent) or [`MailError::Unavailable`] (retryable).
    async fn send(&self, message: &QueuedMessage) -> Result<(), MailError>;

    /// Sends like [`Mailer::send`] and returns the Message-ID the recipient sees when the service
    /// replaced ours (SES does, with `<its message id>@<region>.amazonses.com`), without angle
    /// brackets, so replies and bounces that name it can still be matched; `None` when our own
    /// Message-ID went out as written (the mail folder, SMTP).
    ///
    /// # Errors
    /// As [`Mailer::send`].
    async fn send_and_identify(&self, message: &QueuedMessage) -> Result<Option<String>, MailError> {
        self.send(message).await.map(|()| None)
    }
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
