//! The one durable outbound path. Every message the service sends is first written as *pending*
//! in the same store transaction as the change that causes it (a new case, a staff action, an
//! alert marker); delivery then claims it, hands it to the [`Mailer`] and marks it sent. A crash,
//! a retry or a repeated request therefore never loses a message and never sends it twice at the
//! same time: the claim is a conditional write, and a message is sent only while pending.
//!
//! Delivery runs right after the change commits (so the citizen gets their acknowledgement at
//! once) and from a sweep: `complaints serve` sweeps at start and on a short tick; on AWS the
//! `mail-delivery` function sweeps on a schedule. Failures are retried with backoff; a permanent
//! refusal, or too many failures, is recorded on the case for staff.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use complaints_core::case::{CaseEvent, ContactKey, StaffFlag};
use complaints_core::timeline::{Actor, TimelineEvent};
use complaints_mail::QueuedMessage;
use tracing::{info, warn};

use crate::ports::{CaseStore, Clock, MailError, Mailer, StoreError};

/// A message to write as pending mail, with the keyed hash of its recipient (for the
/// per-recipient cap; `None` for staff notices, which the cap does not count).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    pub message: QueuedMessage,
    pub recipient_key: Option<ContactKey>,
}

/// Where a message is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryState {
    /// Waiting for (another) delivery attempt.
    Pending,
    /// Handed to the mail service.
    Sent { at: DateTime<Utc> },
    /// Refused for good, or given up after [`RetryPolicy::max_attempts`].
    Failed { at: DateTime<Utc>, reason: String },
}

/// A message as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingMessage {
    pub message: QueuedMessage,
    pub recipient_key: Option<ContactKey>,
    pub state: DeliveryState,
    /// Delivery attempts claimed so far.
    pub attempts: u32,
    /// When the next attempt is due (while pending).
    pub next_attempt_at: DateTime<Utc>,
    /// The log-safe kind of the last failure, if any.
    pub last_error: Option<String>,
}

/// The result of one delivery attempt, as recorded by [`CaseStore::finish_message`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryResult {
    Sent {
        at: DateTime<Utc>,
    },
    /// Failed in a way that may pass; try again at `next_attempt_at`.
    Retry {
        next_attempt_at: DateTime<Utc>,
        reason: String,
    },
    /// Failed for good.
    Failed {
        at: DateTime<Utc>,
        reason: String,
    },
}

/// How delivery retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How long one attempt holds its claim. A deliverer that dies mid-attempt releases the
    /// message when the lease runs out.
    pub lease: Duration,
    /// Waits after the 1st, 2nd, … failed attempt; the last one repeats.
    pub backoff: Vec<Duration>,
    /// Attempts after which a retryable failure becomes permanent.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        let minutes = |m: u64| Duration::from_secs(m * 60);
        Self {
            // Longer than any one send can take (the AWS functions' SES calls time out after 8 s,
            // the functions after 15 s), so a live deliverer never loses its claim mid-send; a
            // deliverer that died releases its messages a minute later.
            lease: minutes(1),
            // About 35 hours in all before giving up: long enough to ride out a mail service
            // outage or a paused account, short enough that staff hear about it while it matters.
            backoff: vec![
                Duration::from_secs(30),
                minutes(2),
                minutes(10),
                minutes(30),
                minutes(60),
                minutes(180),
                minutes(360),
                minutes(720),
            ],
            max_attempts: 10,
        }
    }
}

impl RetryPolicy {
    /// The wait after `attempts` failed attempts.
    #[must_use]
    pub fn wait_after(&self, attempts: u32) -> Duration {
        let index = usize::try_from(attempts.saturating_sub(1)).unwrap_or(usize::MAX);
        self.backoff.get(index).or(self.backoff.last()).copied().unwrap_or(Duration::from_secs(60))
    }
}

/// What one delivery call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivered {
    Sent,
    /// Failed; will be retried.
    WillRetry,
    /// Failed for good; recorded on the case.
    Failed,
    /// Nothing to do: already sent or failed, not due yet, or another deliverer holds it.
    Skipped,
}

/// Counts from one sweep.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub sent: usize,
    pub will_retry: usize,
    pub failed: usize,
    pub skipped: usize,
    /// The sweep ran out of time with messages still due.
    pub left_for_later: bool,
}

impl SweepReport {
    /// Every message the sweep looked at.
    #[must_use]
    pub fn total(&self) -> usize {
        self.sent + self.will_retry + self.failed + self.skipped
    }
}

/// Delivers pending mail.
#[derive(Clone)]
pub struct Delivery {
    pub store: Arc<dyn CaseStore>,
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
    pub policy: RetryPolicy,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery").field("policy", &self.policy).finish_non_exhaustive()
    }
}

/// The most messages one sweep takes, so a long backlog is worked through in bounded batches.
pub const SWEEP_BATCH: usize = 100;

impl Delivery {
    /// Delivery over the given ports with the default retry policy.
    #[must_use]
    pub fn new(store: Arc<dyn CaseStore>, mailer: Arc<dyn Mailer>, clock: Arc<dyn Clock>) -> Self {
        Self { store, mailer, clock, policy: RetryPolicy::default() }
    }

    /// Tries to deliver one pending message now.
    ///
    /// # Errors
    /// [`StoreError`] when the claim or the result could not be recorded; the message stays
    /// pending (or claimed until its lease ends) and a later sweep tries again.
    #[tracing::instrument(skip_all, fields(message_id = %message_id))]
    pub async fn deliver(&self, message_id: &str) -> Result<Delivered, StoreError> {
        let now = self.clock.now();
        let lease = chrono::Duration::from_std(self.policy.lease).unwrap_or(chrono::Duration::minutes(1));
        let Some(pending) = self.store.claim_message(message_id, now, now + lease).await? else {
            return Ok(Delivered::Skipped);
        };
        let message = &pending.message;
        match self.mailer.send_and_identify(message).await {
            Ok(replaced_id) => {
                let at = self.clock.now();
                let event = message.case_ref.as_ref().map(|_| TimelineEvent {
                    at,
                    actor: Actor::System,
                    what: CaseEvent::MessageSent { message_id: message.message_id.clone(), purpose: message.purpose },
                });
                // The message has gone: recording that must not fail lightly, or the claim runs
                // out and the message is sent again. A few quick tries ride out a conflict with a
                // concurrent claim attempt or a brief store hiccup.
                let mut recorded =
                    self.store.finish_message(message_id, DeliveryResult::Sent { at }, event.clone()).await;
                for pause in [50, 200, 800] {
                    if recorded.is_ok() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                    recorded = self.store.finish_message(message_id, DeliveryResult::Sent { at }, event.clone()).await;
                }
                recorded?;
                if let (Some(id), Some(reference)) = (replaced_id, &message.case_ref) {
                    self.record_replaced_id(&id, reference).await;
                }
                info!(purpose = message.purpose.as_str(), attempts = pending.attempts, "message sent");
                Ok(Delivered::Sent)
            }
            Err(error) => {
                let reason = failure_kind(&error).to_owned();
                // The cause chain names the service's code (SES refusals carry only their code)
                // or the transport failure, never an address.
                let cause = crate::error_chain(&error);
                let at = self.clock.now();
                let give_up = matches!(error, MailError::Rejected(_)) || pending.attempts >= self.policy.max_attempts;
                if give_up {
                    // Staff must reach the person another way: the timeline says so, and the case is flagged.
                    let event = message.case_ref.as_ref().map(|_| TimelineEvent {
                        at,
                        actor: Actor::System,
                        what: CaseEvent::MessageUndeliverable {
                            message_id: message.message_id.clone(),
                            purpose: message.purpose,
                            reason: reason.clone(),
                        },
                    });
                    warn!(reason = %reason, cause = %cause, attempts = pending.attempts, "message undeliverable; recorded for staff");
                    self.store.finish_message(message_id, DeliveryResult::Failed { at, reason }, event).await?;
                    if let Some(reference) = &message.case_ref {
                        self.flag(reference).await;
                    }
                    Ok(Delivered::Failed)
                } else {
                    let wait = chrono::Duration::from_std(self.policy.wait_after(pending.attempts))
                        .unwrap_or(chrono::Duration::minutes(1));
                    warn!(
                        reason = %reason,
                        cause = %cause,
                        attempts = pending.attempts,
                        retry_in_s = wait.num_seconds(),
                        "message not sent; will retry"
                    );
                    let result = DeliveryResult::Retry { next_attempt_at: at + wait, reason };
                    self.store.finish_message(message_id, result, None).await?;
                    Ok(Delivered::WillRetry)
                }
            }
        }
    }

    /// Remembers the Message-ID the mail service gave a sent message (SES replaces ours), so a
    /// reply or bounce naming it finds the case. The message has gone whatever happens here: a
    /// failure is logged, never retried by sending again (the signed Reply-To still threads).
    async fn record_replaced_id(&self, id: &str, reference: &complaints_core::reference::CaseRef) {
        let key = complaints_email::index_message_id(id);
        let mut result = self.store.record_message(&key, reference).await;
        for pause in [50, 200] {
            if result.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(pause)).await;
            result = self.store.record_message(&key, reference).await;
        }
        if let Err(error) = result {
            warn!(cause = %crate::error_chain(&error), "the mail service's Message-ID was not recorded; replies thread by the Reply-To token only");
        }
    }

    /// Delivers every message due now, in batches of [`SWEEP_BATCH`], until none is left that
    /// this sweep has not already tried.
    ///
    /// # Errors
    /// [`StoreError`] when the pending list cannot be read; a failure on one message is logged
    /// and the sweep goes on with the others.
    pub async fn sweep(&self) -> Result<SweepReport, StoreError> {
        self.sweep_until(None).await
    }

    /// [`Delivery::sweep`], stopping before another message once `until` has passed (a Lambda
    /// function's deadline less a margin); what is left waits for the next sweep.
    ///
    /// # Errors
    /// As [`Delivery::sweep`].
    pub async fn sweep_until(&self, until: Option<std::time::Instant>) -> Result<SweepReport, StoreError> {
        let mut report = SweepReport::default();
        let mut tried = std::collections::HashSet::new();
        let out_of_time = || until.is_some_and(|until| std::time::Instant::now() >= until);
        'batches: loop {
            // Ask past the ones already tried (held by another claim, or their result not yet
            // recorded), so they cannot hide later due messages from this sweep.
            let due = self.store.pending_messages(self.clock.now(), SWEEP_BATCH + tried.len()).await?;
            let fresh: Vec<_> = due.into_iter().filter(|p| tried.insert(p.message.message_id.clone())).collect();
            if fresh.is_empty() {
                break;
            }
            for pending in fresh {
                if out_of_time() {
                    report.left_for_later = true;
                    break 'batches;
                }
                match self.deliver(&pending.message.message_id).await {
                    Ok(Delivered::Sent) => report.sent += 1,
                    Ok(Delivered::WillRetry) => report.will_retry += 1,
                    Ok(Delivered::Failed) => report.failed += 1,
                    Ok(Delivered::Skipped) => report.skipped += 1,
                    Err(error) => {
                        warn!(error = %crate::error_chain(&error), "could not record a delivery attempt");
                        report.skipped += 1;
                    }
                }
            }
        }
        if report.total() > 0 {
            info!(
                sent = report.sent,
                will_retry = report.will_retry,
                failed = report.failed,
                skipped = report.skipped,
                left_for_later = report.left_for_later,
                "pending mail swept"
            );
        }
        Ok(report)
    }

    /// Flags the case for staff after undeliverable mail; a failure to flag is logged (the
    /// timeline already records the undeliverable message).
    async fn flag(&self, reference: &complaints_core::reference::CaseRef) {
        let event = TimelineEvent {
            at: self.clock.now(),
            actor: Actor::System,
            what: CaseEvent::FlaggedForStaff { reason: StaffFlag::UndeliverableMail },
        };
        for _ in 0..3 {
            let stored = match self.store.get(reference).await {
                Ok(stored) => stored,
                Err(error) => {
                    warn!(error = %crate::error_chain(&error), "could not flag the case for staff");
                    return;
                }
            };
            match self.store.update(&stored.case, stored.version, vec![event.clone()]).await {
                Ok(_) => return,
                Err(StoreError::VersionConflict { .. }) => {}
                Err(error) => {
                    warn!(error = %crate::error_chain(&error), "could not flag the case for staff");
                    return;
                }
            }
        }
    }
}

/// A log-safe label for a mail failure: mail services' own texts may quote the address.
fn failure_kind(error: &MailError) -> &'static str {
    match error {
        MailError::Rejected(_) => "rejected",
        MailError::Unavailable(_) => "unavailable",
    }
}
