//! The intake use case: a validated complaint becomes a case with a reference, a timeline and an
//! acknowledgement. The public signatures are STABLE.

use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use complaints_core::calendar::Calendar;
use complaints_core::case::{Case, CaseEvent, Rules};
use complaints_core::complaint::{Channel, EmailAddress, NewComplaint};
use complaints_core::config::OrgConfig;
use complaints_core::reference::{CaseRef, CaseRefError};
use complaints_core::timeline::{Actor, TimelineEvent};
use complaints_core::workdays::ClockStart;
use complaints_mail::templates::{TemplateError, Templates};
use complaints_mail::{Mailbox, OutboundEmail};
use tracing::{Span, error, info, warn};

use crate::contact::contact_key;
use crate::ports::{CaseStore, Clock, MailError, Mailer, NewCase, StoreError, StoredCase};

/// Everything intake needs, built once per process (or per Lambda cold start).
#[derive(Clone)]
pub struct IntakeService {
    pub store: Arc<dyn CaseStore>,
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<OrgConfig>,
    pub calendar: Arc<Calendar>,
    pub templates: Arc<Templates>,
    /// Secret key for the keyed hash of contact addresses (never stored in clear in a key).
    pub contact_key_secret: Arc<[u8]>,
}

impl std::fmt::Debug for IntakeService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntakeService").finish_non_exhaustive()
    }
}

/// One complaint to take in.
#[derive(Debug, Clone)]
pub struct IntakeRequest {
    pub complaint: NewComplaint,
    /// Idempotency key from the channel (a repeat returns the existing case and sends nothing).
    pub source_key: Option<String>,
}

/// What the citizen is told back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeReceipt {
    pub reference: CaseRef,
    /// The date the stage 1 response (or stage 2 response for direct stage 2) is due.
    pub response_due: NaiveDate,
    /// Who is handling the case (R42).
    pub handler: String,
    /// True when this request repeated an earlier one and nothing new was created.
    pub duplicate: bool,
    /// True when an acknowledgement email was sent by this request (false for anonymous
    /// complaints, no email address, a failed send, and duplicates, which never send).
    pub acknowledged: bool,
}

/// Why intake failed. Nothing is lost: the caller keeps the raw input and may retry.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("could not store the case")]
    Store(#[from] StoreError),
    #[error("could not render the acknowledgement")]
    Template(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The organisation configuration cannot make a reference (e.g. a bad prefix); nothing was stored.
    #[error("the organisation configuration is invalid")]
    Config(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Why an acknowledgement was not sent. Kept out of logs except for its [`kind`](Self::kind),
/// because mail service messages can quote the recipient's address.
#[derive(Debug, thiserror::Error)]
enum AcknowledgementFailure {
    #[error("the configured sender or reply-to address is not valid")]
    Sender,
    #[error("the acknowledgement template failed")]
    Template(#[source] TemplateError),
    #[error("the mailer refused or failed")]
    Send(#[source] MailError),
}

impl AcknowledgementFailure {
    /// A log-safe label.
    fn kind(&self) -> &'static str {
        match self {
            Self::Sender => "sender-config",
            Self::Template(_) => "template",
            Self::Send(MailError::Rejected(_)) => "rejected",
            Self::Send(MailError::Unavailable(_)) => "unavailable",
        }
    }

    /// Whether trying the same message again later may work. A rejected message will not;
    /// configuration and templates can be fixed, and the service may come back.
    fn retryable(&self) -> bool {
        !matches!(self, Self::Send(MailError::Rejected(_)))
    }
}

impl IntakeService {
    /// Takes in one complaint.
    ///
    /// # Errors
    /// [`IntakeError`]; a failed acknowledgement after a stored case is not an error (it is
    /// recorded on the case and retried), so the citizen always gets their reference.
    #[tracing::instrument(skip_all, fields(case_ref, channel))]
    pub async fn submit(&self, request: IntakeRequest) -> Result<IntakeReceipt, IntakeError> {
        let IntakeRequest { complaint, source_key } = request;
        let span = Span::current();
        span.record("channel", complaint.channel.as_str());

        let now = self.clock.now();
        // The counter is per year of the effective receipt date (R8), which is what Case::open
        // computes from the same inputs.
        let year = ClockStart::received_at(&self.calendar, now, self.config.procedure.cutoff).effective.year();
        let provisional = CaseRef::new(&self.config.organisation.reference_prefix, year, 0)
            .map_err(|e: CaseRefError| IntakeError::Config(Box::new(e)))?;
        // R51: anonymous complaints are tracked but nobody is messaged.
        let recipient = complaint.complainant.as_ref().and_then(|person| {
            person.email.clone().map(|address| Mailbox { name: Some(person.name.clone()), address })
        });
        let contact = complaint
            .complainant
            .as_ref()
            .and_then(|person| contact_key(&self.contact_key_secret, complaint.channel, person));
        let rules = Rules { calendar: &self.calendar, policy: &self.config.procedure };
        let handler = self.config.organisation.default_handler.clone();
        let (case, events) = Case::open(provisional, complaint, now, handler, contact, rules, Actor::System);

        let stored = match self.store.create(NewCase { case, events, source_key }).await {
            Ok(stored) => stored,
            Err(StoreError::AlreadyExists { existing: Some(reference) }) => {
                span.record("case_ref", reference.to_string());
                let existing = self.store.get(&reference).await?;
                info!("repeated intake returned the existing case");
                return Ok(receipt(&existing.case, true, false));
            }
            Err(other) => return Err(other.into()),
        };
        span.record("case_ref", stored.case.reference().to_string());
        info!("case opened");

        let acknowledged = match recipient {
            Some(to) => self.acknowledge(&stored, to).await,
            None => false,
        };
        Ok(receipt(&stored.case, false, acknowledged))
    }

    /// Sends the acknowledgement and records the outcome on the case. Never fails: a failure is a
    /// timeline event that a retry job can act on.
    async fn acknowledge(&self, stored: &StoredCase, to: Mailbox) -> bool {
        let outcome = match self.compose_acknowledgement(&stored.case, to) {
            Ok(email) => {
                self.mailer.send(&email).await.map(|()| email.message_id).map_err(AcknowledgementFailure::Send)
            }
            Err(failure) => Err(failure),
        };
        match outcome {
            Ok(message_id) => {
                if let Err(e) = self.store.record_message(&message_id, stored.case.reference()).await {
                    // The mail went out; only reply threading by Message-ID is affected.
                    warn!(error = %e, "could not index the acknowledgement's Message-ID");
                }
                self.append_event(stored, CaseEvent::AcknowledgementSent { message_id }).await;
                info!("acknowledgement sent");
                true
            }
            Err(failure) => {
                let retryable = failure.retryable();
                error!(kind = failure.kind(), retryable, "acknowledgement not sent");
                self.append_event(stored, CaseEvent::AcknowledgementFailed { retryable }).await;
                false
            }
        }
    }

    /// Appends one system event to a case just created; on a concurrent change (a member of staff
    /// was quicker) it reloads once and tries again.
    async fn append_event(&self, stored: &StoredCase, what: CaseEvent) {
        let event = TimelineEvent { at: self.clock.now(), actor: Actor::System, what };
        let result = match self.store.update(&stored.case, stored.version, vec![event.clone()]).await {
            Err(StoreError::VersionConflict { .. }) => match self.store.get(stored.case.reference()).await {
                Ok(fresh) => self.store.update(&fresh.case, fresh.version, vec![event]).await,
                Err(e) => Err(e),
            },
            other => other,
        };
        if let Err(e) = result {
            warn!(error = %e, "could not record the acknowledgement outcome on the timeline");
        }
    }

    /// The acknowledgement as a message: our own Message-ID so replies thread to the case,
    /// `Auto-Submitted` so other systems do not answer it (RFC 3834).
    fn compose_acknowledgement(&self, case: &Case, to: Mailbox) -> Result<OutboundEmail, AcknowledgementFailure> {
        let from_address = EmailAddress::parse(&self.config.mail.from).map_err(|_| AcknowledgementFailure::Sender)?;
        let reply_to = match &self.config.mail.reply_to {
            Some(raw) => Some(EmailAddress::parse(raw).map_err(|_| AcknowledgementFailure::Sender)?),
            None => None,
        };
        let rendered = self.templates.acknowledgement(case, &self.config).map_err(AcknowledgementFailure::Template)?;
        let organisation = Some(self.config.organisation.name.clone());
        let message_id = acknowledgement_message_id(case.reference(), &from_address);
        // An emailed complaint is answered in its own thread.
        let in_reply_to = match case.complaint().channel {
            Channel::Email => case
                .complaint()
                .source_ref
                .as_deref()
                .map(|id| id.trim().trim_start_matches('<').trim_end_matches('>').to_owned()),
            _ => None,
        };
        Ok(OutboundEmail {
            message_id,
            date: self.clock.now(),
            from: Mailbox { name: organisation.clone(), address: from_address },
            reply_to: reply_to.map(|address| Mailbox { name: organisation, address }),
            to: vec![to],
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
            auto_submitted: true,
            in_reply_to,
            case_ref: Some(case.reference().clone()),
        })
    }
}

/// `cmp-2026-00042.ack.<uuid>@<sender domain>`: unique, and carries the reference so a reply can be
/// matched even when the Message-ID index is unavailable.
#[must_use]
pub fn acknowledgement_message_id(reference: &CaseRef, from: &EmailAddress) -> String {
    let domain = from.as_str().rsplit_once('@').map_or("localhost", |(_, domain)| domain);
    format!("{}.ack.{}@{domain}", reference.to_string().to_lowercase(), uuid::Uuid::new_v4().simple())
}

fn receipt(case: &Case, duplicate: bool, acknowledged: bool) -> IntakeReceipt {
    IntakeReceipt {
        reference: case.reference().clone(),
        response_due: case.response_due(),
        handler: case.handler().to_owned(),
        duplicate,
        acknowledged,
    }
}
