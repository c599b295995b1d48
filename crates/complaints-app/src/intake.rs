//! The intake use case: a validated complaint becomes a case with a reference, a timeline and an
//! acknowledgement, the acknowledgement written as pending mail in the same store transaction
//! (the durable outbound path, [`crate::outbound`]). The public signatures are STABLE.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use complaints_core::calendar::Calendar;
use complaints_core::case::{Case, CaseEvent, MessagePurpose, NotQueuedReason, Rules, StaffFlag};
use complaints_core::complaint::{Channel, EmailAddress, NewComplaint};
use complaints_core::config::OrgConfig;
use complaints_core::reference::{CaseRef, CaseRefError};
use complaints_core::text::looks_like_a_name;
use complaints_core::timeline::{Actor, TimelineEvent};
use complaints_core::workdays::ClockStart;
use complaints_mail::templates::Templates;
use complaints_mail::{Mailbox, OutboundEmail, QueuedMessage};
use tracing::{Span, error, info, warn};

use crate::contact::{contact_key, recipient_key};
use crate::outbound::{Delivery, NewMessage};
use crate::ports::{CaseMail, CaseStore, Clock, Mailer, NewCase, OverCap, RecipientCap, StoreError};

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

/// A change made to a case as it is opened, before it is stored, with the timeline entries it adds.
pub(crate) type CaseEdit = Box<dyn FnOnce(Case) -> (Case, Vec<TimelineEvent>) + Send>;

/// One complaint to take in.
#[derive(Debug, Clone)]
pub struct IntakeRequest {
    pub complaint: NewComplaint,
    /// Idempotency key from the channel (a repeat returns the existing case and sends nothing).
    pub source_key: Option<String>,
    /// The channel suspects a bot (the web form's honeypot was filled). The case is kept and
    /// flagged for staff ([`StaffFlag::PossibleSpam`]) and nothing automatic is sent: a real
    /// complaint is never lost, and a bot cannot make us send mail.
    pub possible_spam: bool,
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
    /// True when this request queued an acknowledgement email (it goes out at once when the
    /// mail service is up, else from the pending mail); false for anonymous complaints, no
    /// email address, a recipient over the cap, a configuration or template failure, and
    /// duplicates, which never send.
    pub acknowledged: bool,
}

/// What a channel adds to an intake beyond the complaint (email intake: the received message's
/// record and flags; the signed Reply-To address of the acknowledgement).
#[derive(Clone, Default)]
pub struct IntakeExtras {
    /// Timeline entries written with the case, in the same transaction.
    pub events: Vec<CaseEvent>,
    /// The acknowledgement's Reply-To for the numbered case, instead of `mail.reply_to`.
    pub reply_to: Option<Arc<ReplyToFn>>,
    /// A social media sender to acknowledge privately when the complaint has no email address.
    pub social: Option<crate::social::SocialAddress>,
    /// Mail the caller writes with the case, in the same transaction, when intake queues no
    /// acknowledgement of its own (a printed acknowledgement staff post, R55).
    pub mail: Option<CaseMail>,
    /// Leave the acknowledgement pending for the sweep instead of delivering it inside the
    /// request (social webhooks: the platform's 200 must not wait for its own send API).
    pub deliver_later: bool,
}

/// Makes the Reply-To address for a case (e.g. one carrying a signed token).
pub type ReplyToFn = dyn Fn(&CaseRef) -> Option<String> + Send + Sync;

impl std::fmt::Debug for IntakeExtras {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntakeExtras").field("events", &self.events).finish_non_exhaustive()
    }
}

/// Why intake failed. Nothing is lost: the caller keeps the raw input and may retry.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("could not store the case")]
    Store(#[from] StoreError),
    /// The organisation configuration cannot make a reference (e.g. a bad prefix); nothing was stored.
    #[error("the organisation configuration is invalid")]
    Config(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl IntakeService {
    /// Takes in one complaint: the case, its timeline and its acknowledgement (as pending mail)
    /// are written in one store transaction; the acknowledgement is then delivered at once when
    /// the mail service allows, else by the next sweep.
    ///
    /// # Errors
    /// [`IntakeError`]; a failed delivery after a stored case is not an error (the message stays
    /// pending and is retried), so the citizen always gets their reference.
    pub async fn submit(&self, request: IntakeRequest) -> Result<IntakeReceipt, IntakeError> {
        self.submit_by(request, Actor::System, self.clock.now(), None, true, IntakeExtras::default()).await
    }

    /// [`IntakeService::submit`] with what the channel adds ([`IntakeExtras`]).
    ///
    /// # Errors
    /// As [`IntakeService::submit`].
    pub async fn submit_with(
        &self,
        request: IntakeRequest,
        extras: IntakeExtras,
    ) -> Result<IntakeReceipt, IntakeError> {
        self.submit_by(request, Actor::System, self.clock.now(), None, true, extras).await
    }

    /// [`IntakeService::submit`] for a complaint that came as a private message on a social media
    /// channel (R50): without an email address, the acknowledgement goes back privately to
    /// `reply_to` through the same durable outbound path and per-recipient cap
    /// ([`crate::social`]).
    ///
    /// # Errors
    /// As [`IntakeService::submit`].
    pub async fn submit_social(
        &self,
        request: IntakeRequest,
        reply_to: crate::social::SocialAddress,
    ) -> Result<IntakeReceipt, IntakeError> {
        // The webhook answers as soon as the case is stored; the sweep sends the reply.
        let extras = IntakeExtras { social: Some(reply_to), deliver_later: true, ..IntakeExtras::default() };
        self.submit_by(request, Actor::System, self.clock.now(), None, true, extras).await
    }

    /// [`Self::submit`] for a complaint a member of staff took in (`actor`), received at `now`;
    /// `edit`, when given, changes the opened case before it is stored (the staff note) and
    /// returns the timeline entries that change adds; without `email_acknowledgement` no email
    /// acknowledgement is queued (the caller sends a printed one); `extras` is what the channel
    /// adds ([`IntakeExtras`]). Used by [`crate::staff::StaffActions`] and the channels.
    #[tracing::instrument(skip_all, fields(case_ref, channel))]
    pub(crate) async fn submit_by(
        &self,
        request: IntakeRequest,
        actor: Actor,
        now: DateTime<Utc>,
        edit: Option<CaseEdit>,
        email_acknowledgement: bool,
        extras: IntakeExtras,
    ) -> Result<IntakeReceipt, IntakeError> {
        let IntakeRequest { complaint, source_key, possible_spam } = request;
        let span = Span::current();
        span.record("channel", complaint.channel.as_str());

        // R51: anonymous complaints are tracked but nobody is messaged.
        let recipient = email_target(&complaint)
            // R50: no email address, but a private channel back to the sender.
            .or_else(|| complaint.complainant.as_ref().and(extras.social.clone()).map(AckTarget::Social));
        let (mut case, mut events) = self.open_provisional(complaint, now, actor)?;
        events.extend(extras.events.into_iter().map(|what| system_event(now, what)));
        if let Some(edit) = edit {
            let (edited, more) = edit(case);
            case = edited;
            events.extend(more);
        }

        // What the composer queued in the attempt the store committed (none over the cap).
        let mut composed = None;
        if possible_spam {
            // Kept and flagged in the same transaction as the case; nothing is queued.
            events.push(system_event(now, CaseEvent::FlaggedForStaff { reason: StaffFlag::PossibleSpam }));
            if recipient.is_some() {
                events.push(system_event(
                    now,
                    CaseEvent::MessageNotQueued {
                        purpose: MessagePurpose::Acknowledgement,
                        reason: NotQueuedReason::PossibleSpam,
                    },
                ));
            }
        }
        let mail = match recipient.filter(|_| !possible_spam && email_acknowledgement) {
            Some(to) => match self.acknowledgement_plan(&case, to, now, extras.reply_to).await? {
                Ok((compose, queued)) => {
                    composed = Some(queued);
                    Some(compose)
                }
                Err(reason) => {
                    events.push(system_event(
                        now,
                        CaseEvent::MessageNotQueued { purpose: MessagePurpose::Acknowledgement, reason },
                    ));
                    None
                }
            },
            None => None,
        };
        let mail = mail.or(extras.mail);

        let stored = match self.store.create(NewCase { case, events, source_key, mail }).await {
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
        // What the store actually queued: the cap is decided inside its write, and the composer
        // records the message of each attempt, so the last one is the one committed.
        let mut queued = Vec::new();
        if let Some(composed) = composed {
            match lock(&composed).take() {
                Some(message_id) => queued.push(message_id),
                None => warn!(
                    cap = self.config.mail.automatic_per_recipient_per_24h,
                    "not acknowledged: the recipient is at the automatic message cap"
                ),
            }
        }
        info!(acknowledgement_queued = !queued.is_empty(), "case opened");

        // Deliver now when we can; whatever happens here, the message is safe in the store and
        // the sweep delivers it later.
        let delivery = Delivery::new(Arc::clone(&self.store), Arc::clone(&self.mailer), Arc::clone(&self.clock));
        for message_id in queued.iter().filter(|_| !extras.deliver_later) {
            if let Err(error) = delivery.deliver(message_id).await {
                warn!(error = %crate::error_chain(&error), "acknowledgement left pending for the next sweep");
            }
        }
        Ok(receipt(&stored.case, false, !queued.is_empty()))
    }

    /// The case `complaint` opens as at `now`, under its provisional reference (number 0: the store
    /// numbers it when it is written), with its opening timeline entries.
    pub(crate) fn open_provisional(
        &self,
        complaint: NewComplaint,
        now: DateTime<Utc>,
        actor: Actor,
    ) -> Result<(Case, Vec<TimelineEvent>), IntakeError> {
        // The counter is per year of the effective receipt date (R8), which is what Case::open
        // computes from the same inputs.
        let year = ClockStart::received_at(&self.calendar, now, self.config.procedure.cutoff).effective.year();
        let provisional = CaseRef::new(&self.config.organisation.reference_prefix, year, 0)
            .map_err(|e: CaseRefError| IntakeError::Config(Box::new(e)))?;
        let contact = complaint
            .complainant
            .as_ref()
            .and_then(|person| contact_key(&self.contact_key_secret, complaint.channel, person));
        let rules = Rules { calendar: &self.calendar, policy: &self.config.procedure };
        let handler = self.config.organisation.default_handler.clone();
        Ok(Case::open(provisional, complaint, now, handler, contact, rules, actor))
    }

    /// The email acknowledgement [`Self::submit_by`] would queue for `case` at `now`, composed
    /// the same way but queued nowhere (the staff workspace previews it before a complaint is
    /// logged); `None` when no email acknowledgement goes (anonymous, or no email address). The
    /// per-recipient cap is the store's to decide when the case is written, so it is not applied.
    pub(crate) fn preview_acknowledgement(
        &self,
        case: &Case,
        now: DateTime<Utc>,
    ) -> Option<Result<QueuedMessage, NotQueuedReason>> {
        let to = email_target(case.complaint())?;
        Some(self.compose_target(case, &to, now, "preview", None))
    }

    /// How the acknowledgement will be composed once the store has numbered the case, or why
    /// none goes out. Composes once with the provisional reference, so a broken template or
    /// sender address is found before anything is written. The per-recipient cap is the store's
    /// to decide, inside the create: concurrent intakes cannot both pass it.
    async fn acknowledgement_plan(
        &self,
        case: &Case,
        to: AckTarget,
        now: DateTime<Utc>,
        reply_to: Option<Arc<ReplyToFn>>,
    ) -> Result<Result<(CaseMail, Arc<Mutex<Option<String>>>), NotQueuedReason>, IntakeError> {
        let recipient = recipient_key(&self.contact_key_secret, &to.address());
        let limit = self.config.mail.automatic_per_recipient_per_24h;
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        if let Err(reason) = self.compose_target(case, &to, now, &nonce, reply_to.as_deref()) {
            error!(kind = ?reason, "acknowledgement not composed");
            return Ok(Err(reason));
        }
        let cap =
            RecipientCap { recipient: recipient.clone(), limit, since: now - chrono::Duration::hours(24), at: now };
        let this = self.clone();
        let queued = Arc::new(Mutex::new(None));
        let record = Arc::clone(&queued);
        let compose = CaseMail::capped(vec![cap], move |case: &Case, over_cap: OverCap<'_>| {
            let mut mail = (Vec::new(), Vec::new());
            *lock(&record) = None;
            if over_cap(&recipient) {
                let reason = NotQueuedReason::RecipientCap;
                mail.0.push(system_event(
                    now,
                    CaseEvent::MessageNotQueued { purpose: MessagePurpose::Acknowledgement, reason },
                ));
                // A cap of 0 is the organisation turning automatic mail off: nothing to flag.
                if limit > 0 {
                    mail.0.push(system_event(now, CaseEvent::FlaggedForStaff { reason: StaffFlag::OverMailCap }));
                }
                return mail;
            }
            match this.compose_target(case, &to, now, &nonce, reply_to.as_deref()) {
                Ok(message) => {
                    mail.0.push(system_event(
                        now,
                        CaseEvent::MessageQueued {
                            message_id: message.message_id.clone(),
                            purpose: MessagePurpose::Acknowledgement,
                        },
                    ));
                    *lock(&record) = Some(message.message_id.clone());
                    mail.1.push(NewMessage { message, recipient_key: Some(recipient.clone()) });
                }
                // Composed once already with the same inputs; only the number differs.
                Err(reason) => mail.0.push(system_event(
                    now,
                    CaseEvent::MessageNotQueued { purpose: MessagePurpose::Acknowledgement, reason },
                )),
            }
            mail
        });
        Ok(Ok((compose, queued)))
    }

    /// The acknowledgement for `to`, ready to queue.
    fn compose_target(
        &self,
        case: &Case,
        to: &AckTarget,
        now: DateTime<Utc>,
        nonce: &str,
        reply_to_for: Option<&ReplyToFn>,
    ) -> Result<QueuedMessage, NotQueuedReason> {
        match to {
            AckTarget::Email(mailbox) => self
                .compose_acknowledgement(case, mailbox.clone(), now, nonce, reply_to_for)
                .map(|email| QueuedMessage::from_email(&email, MessagePurpose::Acknowledgement)),
            AckTarget::Social(address) => {
                crate::social::compose_acknowledgement(case, &self.config, address, now, nonce)
            }
        }
    }

    /// The acknowledgement as a message: our own Message-ID so replies thread to the case,
    /// `Auto-Submitted` so other systems do not answer it (RFC 3834).
    fn compose_acknowledgement(
        &self,
        case: &Case,
        to: Mailbox,
        now: DateTime<Utc>,
        nonce: &str,
        reply_to_for: Option<&ReplyToFn>,
    ) -> Result<OutboundEmail, NotQueuedReason> {
        let from_address =
            EmailAddress::parse(&self.config.mail.from).map_err(|_| NotQueuedReason::SenderConfiguration)?;
        let reply_raw =
            reply_to_for.and_then(|make| make(case.reference())).or_else(|| self.config.mail.reply_to.clone());
        let reply_to = match reply_raw {
            Some(raw) => Some(EmailAddress::parse(&raw).map_err(|_| NotQueuedReason::SenderConfiguration)?),
            None => None,
        };
        let rendered = self.templates.acknowledgement(case, &self.config).map_err(|_| NotQueuedReason::Template)?;
        let organisation = Some(self.config.organisation.name.clone());
        let message_id = acknowledgement_message_id(case.reference(), &from_address, nonce);
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
            date: now,
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

/// Where the acknowledgement goes: an email address, or back through the social media channel
/// the complaint came on (R50).
#[derive(Debug, Clone)]
enum AckTarget {
    Email(Mailbox),
    Social(crate::social::SocialAddress),
}

impl AckTarget {
    /// The address the per-recipient cap counts by (a social sender's is its reserved
    /// `.invalid` form, so the cap never meets a real inbox).
    fn address(&self) -> EmailAddress {
        match self {
            Self::Email(mailbox) => mailbox.address.clone(),
            Self::Social(address) => address.person_address(),
        }
    }
}

/// The complainant's email address as the acknowledgement's recipient, when they gave one (R51:
/// an anonymous complaint has none).
fn email_target(complaint: &NewComplaint) -> Option<AckTarget> {
    let person = complaint.complainant.as_ref()?;
    // The To name is shown by mail clients: only a name that looks like one (no links).
    let name = looks_like_a_name(&person.name).then(|| person.name.trim().to_owned());
    person.email.clone().map(|address| AckTarget::Email(Mailbox { name, address }))
}

/// Locks the composer's record; a poisoned lock only means a composer panicked, and the value
/// (an id or none) is still whole.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn system_event(at: DateTime<Utc>, what: CaseEvent) -> TimelineEvent {
    TimelineEvent { at, actor: Actor::System, what }
}

/// `cmp-2026-00042.ack.<nonce>@<sender domain>`: unique (the nonce is a fresh UUID per intake),
/// and carries the reference so a reply can be matched even when the Message-ID index is unavailable.
#[must_use]
pub fn acknowledgement_message_id(reference: &CaseRef, from: &EmailAddress, nonce: &str) -> String {
    let domain = from.as_str().rsplit_once('@').map_or("localhost", |(_, domain)| domain);
    format!("{}.ack.{nonce}@{domain}", reference.to_string().to_lowercase())
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
