//! Social media intake (R50): private messages from Messenger, Instagram, WhatsApp and X become
//! cases, or correspondence on the sender's open case, and are answered privately through the
//! durable outbound path.
//!
//! The edge (`complaints-social`) proves a delivery genuine and parses it into [`SocialEvent`]s;
//! [`SocialIntake`] stores the raw delivery FIRST ([`SocialIntake::keep_raw`]), then acts on it
//! ([`SocialIntake::process`]), so nothing a platform sent is ever lost, even when it does not
//! parse.
//!
//! Replies travel as ordinary pending messages: their recipient is a reserved `.invalid` address
//! (`<user>@<account>.<transport>.social.invalid`, RFC 2606: never deliverable as email) that
//! every store keeps as it keeps any address, so the claim, lease, retries and per-recipient cap
//! work unchanged. [`TransportMailer`] hands such messages to a [`SocialSender`] instead of the
//! [`Mailer`].

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use complaints_core::case::{Case, CaseEvent, MessagePurpose, NotQueuedReason};
use complaints_core::complaint::{
    Channel, Complainant, ComplaintDraft, EmailAddress, IntakeRoute, MAX_COMPLAINT_SHORT_CHARS,
    MAX_COMPLAINT_TEXT_CHARS,
};
use complaints_core::config::OrgConfig;
use complaints_core::reference::CaseRef;
use complaints_core::timeline::{Actor, TimelineEvent};
use complaints_mail::QueuedMessage;
use serde::Serialize;
use tracing::{error, info, warn};

use crate::channel_health_store::ChannelHealthStore;
use crate::contact::contact_key;
use crate::intake::{IntakeError, IntakeRequest, IntakeService};
use crate::object_store::{ObjectStore, ObjectStoreError};
use crate::ports::{Clock, MailError, Mailer, StoreError};
use crate::social_accounts::{AccountCheck, SocialAccounts};
use crate::social_attachments::{AttachmentFetcher, AttachmentJob, MediaRef};
use crate::social_health::{ChannelHealth, SEND_FAILURE_LOG, SendTrouble};
use crate::staff_items::{StaffItem, StaffItemKind, StaffItemStore};

/// The reserved domain under which social recipients are written (RFC 2606 `.invalid`).
pub const SOCIAL_DOMAIN: &str = "social.invalid";

/// How long after the person's last message Messenger and WhatsApp accept a free-form reply
/// (R50: we answer privately, within each platform's rules).
pub const REPLY_WINDOW_HOURS: i64 = 24;

/// Service area of a case opened from a private message, until staff classify it (R44).
pub const SOCIAL_SERVICE_AREA: &str = "Not yet known (social media message)";

/// Which platform delivered a webhook (for the raw delivery's key and the logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Platform {
    Meta,
    X,
}

impl Platform {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Meta => "meta",
            Self::X => "x",
        }
    }
}

/// The private channel a message came on and a reply goes back on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SocialTransport {
    Messenger,
    Instagram,
    WhatsApp,
    X,
}

impl SocialTransport {
    pub const ALL: [Self; 4] = [Self::Messenger, Self::Instagram, Self::WhatsApp, Self::X];

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Messenger => "messenger",
            Self::Instagram => "instagram",
            Self::WhatsApp => "whatsapp",
            Self::X => "x",
        }
    }

    /// The platform's name as people know it.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Messenger => "Messenger",
            Self::Instagram => "Instagram",
            Self::WhatsApp => "WhatsApp",
            Self::X => "X",
        }
    }

    #[must_use]
    pub fn channel(self) -> Channel {
        match self {
            Self::Messenger => Channel::Messenger,
            Self::Instagram => Channel::Instagram,
            Self::WhatsApp => Channel::WhatsApp,
            Self::X => Channel::X,
        }
    }

    /// Whether the platform only accepts a free-form reply within [`REPLY_WINDOW_HOURS`] of the
    /// person's last message (Messenger's standard messaging window, WhatsApp's customer service
    /// window). X has no such window for a conversation the person started.
    #[must_use]
    pub fn has_reply_window(self) -> bool {
        !matches!(self, Self::X)
    }
}

/// A person on a platform as we can answer them: our account (page, Instagram account, WhatsApp
/// phone number id or X user id) and theirs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocialAddress {
    pub transport: SocialTransport,
    pub account: String,
    pub user: String,
    address: EmailAddress,
    /// The person on the platform whichever of our accounts they wrote to: what the
    /// per-recipient cap counts.
    person: EmailAddress,
}

/// Platform ids are digits (page-scoped ids, phone number ids, X ids) or, for WhatsApp's
/// business-scoped user ids, letters, digits and dots; anything else is not an id.
fn plain_id(text: &str, dots: bool) -> bool {
    !text.is_empty()
        && text.len() <= 63
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || (dots && b == b'.'))
        && !text.starts_with(['.', '-'])
        && !text.ends_with(['.', '-'])
}

impl SocialAddress {
    /// The address of `user` on `transport`, answered from `account`; `None` when either is not a
    /// plain platform id.
    #[must_use]
    pub fn new(transport: SocialTransport, account: &str, user: &str) -> Option<Self> {
        if !plain_id(account, false) || account.contains('_') || !plain_id(user, true) {
            return None;
        }
        let account = account.to_ascii_lowercase();
        let address = EmailAddress::parse(&format!("{user}@{account}.{}.{SOCIAL_DOMAIN}", transport.as_str())).ok()?;
        let person = EmailAddress::parse(&format!("{user}@{}.{SOCIAL_DOMAIN}", transport.as_str())).ok()?;
        Some(Self { transport, account, user: user.to_owned(), address, person })
    }

    /// The reserved `.invalid` address this recipient is queued under.
    #[must_use]
    pub fn to_email_address(&self) -> EmailAddress {
        self.address.clone()
    }

    /// The person's reserved address without our account: the per-recipient cap's identity.
    #[must_use]
    pub fn person_address(&self) -> EmailAddress {
        self.person.clone()
    }

    /// The social recipient an address stands for, if it is one.
    #[must_use]
    pub fn from_email_address(address: &EmailAddress) -> Option<Self> {
        let (user, domain) = address.as_str().rsplit_once('@')?;
        let rest = domain.strip_suffix(SOCIAL_DOMAIN)?.strip_suffix('.')?;
        let (account, transport) = rest.rsplit_once('.')?;
        let transport = SocialTransport::ALL.into_iter().find(|t| t.as_str() == transport)?;
        Self::new(transport, account, user)
    }
}

/// A private message as the edge parsed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMessage {
    pub transport: SocialTransport,
    /// Our account the message was sent to.
    pub account: String,
    /// The sender's platform id.
    pub sender: String,
    /// The sender's display name, when the platform gave one.
    pub sender_name: Option<String>,
    /// The platform's message id: the idempotency key.
    pub message_id: String,
    pub text: Option<String>,
    /// Kinds of the attachments (`image`, `audio`, `location`…).
    pub attachments: Vec<String>,
    /// The attachments that have content to fetch, and where it is.
    pub media: Vec<MediaRef>,
}

/// One thing a delivery told us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocialEvent {
    /// A private message from a person.
    Message(InboundMessage),
    /// A person deleted (unsent) a message.
    Deleted { transport: SocialTransport, account: String, sender: String, message_id: String },
    /// A public comment or post that mentions us: a triage item for staff, never a public reply (R50).
    Mention { transport: SocialTransport, account: String, item_id: String },
    /// Something we do not act on (echoes of our own messages, delivery and read receipts,
    /// typing indicators, reactions…); `kind` is log-safe.
    Ignored { kind: String },
    /// Genuine but not understood: kept and shown to staff. `reason` is log-safe.
    Unknown { reason: String },
}

/// What one delivery came to, for the response and the logs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SocialOutcome {
    pub cases_opened: usize,
    pub correspondence: usize,
    pub duplicates: usize,
    pub deleted: usize,
    pub triage: usize,
    pub ignored: usize,
    /// Items (or the whole delivery) kept for staff because they were not understood.
    pub quarantined: usize,
}

/// Why a delivery could not be taken in; the platform should deliver it again.
#[derive(Debug, thiserror::Error)]
pub enum SocialError {
    #[error("could not keep the raw delivery")]
    Objects(#[from] ObjectStoreError),
    #[error("could not take the message in")]
    Intake(#[from] IntakeError),
    #[error("could not update the case")]
    Store(#[from] StoreError),
}

/// The social intake use case.
#[derive(Clone)]
pub struct SocialIntake {
    pub intake: IntakeService,
    pub objects: Arc<dyn ObjectStore>,
    /// Where quarantine and triage items are listed for staff (beside their records in `objects`).
    pub items: Arc<dyn StaffItemStore>,
    /// Our accounts: messages for any other account are quarantined, not taken in.
    pub accounts: SocialAccounts,
    /// Where the last event on each channel is kept (the sweep notices a quiet channel).
    pub channels: Arc<dyn ChannelHealthStore>,
}

impl std::fmt::Debug for SocialIntake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocialIntake").finish_non_exhaustive()
    }
}

/// A record kept for staff beside the raw delivery (quarantine and triage).
#[derive(Debug, Serialize)]
struct StaffRecord<'a> {
    kind: &'a str,
    platform: &'a str,
    raw_key: &'a str,
    reason: &'a str,
    received_at: DateTime<Utc>,
}

impl SocialIntake {
    /// Stores the delivery exactly as received, before anything else reads it, and returns its key
    /// (`social/raw/<platform>/<yyyy>/<mm>/<dd>/<id>.json`).
    ///
    /// # Errors
    /// [`SocialError::Objects`]: nothing was kept; the platform must deliver again.
    pub async fn keep_raw(&self, platform: Platform, raw: &[u8]) -> Result<String, SocialError> {
        let now = self.intake.clock.now();
        let key = format!(
            "social/raw/{}/{}/{}.json",
            platform.as_str(),
            now.format("%Y/%m/%d"),
            uuid::Uuid::new_v4().simple()
        );
        self.objects.put(&key, "application/json", raw.to_vec()).await?;
        Ok(key)
    }

    /// Acts on a kept delivery: `parsed` is what the edge made of it, or why it could not.
    ///
    /// # Errors
    /// [`SocialError`] when a store failed; the delivery is kept and a repeat creates nothing twice.
    pub async fn process(
        &self,
        platform: Platform,
        raw_key: &str,
        parsed: Result<Vec<SocialEvent>, String>,
    ) -> Result<SocialOutcome, SocialError> {
        let mut outcome = SocialOutcome::default();
        let events = match parsed {
            Ok(events) => events,
            Err(reason) => {
                self.keep_for_staff("quarantine", platform, raw_key, &reason).await?;
                outcome.quarantined += 1;
                return Ok(outcome);
            }
        };
        let mut heard_on: Vec<SocialTransport> = Vec::new();
        for event in events {
            if let Some(transport) = self.heard_on(&event)
                && !heard_on.contains(&transport)
            {
                heard_on.push(transport);
            }
            match event {
                SocialEvent::Message(message) if self.not_ours(message.transport, &message.account).is_some() => {
                    let reason = self.not_ours(message.transport, &message.account).unwrap_or_default();
                    self.keep_for_staff("quarantine", platform, raw_key, &reason).await?;
                    outcome.quarantined += 1;
                }
                SocialEvent::Deleted { transport, ref account, .. } if self.not_ours(transport, account).is_some() => {
                    let reason = self.not_ours(transport, account).unwrap_or_default();
                    self.keep_for_staff("quarantine", platform, raw_key, &reason).await?;
                    outcome.quarantined += 1;
                }
                SocialEvent::Message(message) => {
                    let taken = self.message(&message, raw_key).await?;
                    let reference = match taken {
                        Taken::Opened(reference) => {
                            outcome.cases_opened += 1;
                            Some(reference)
                        }
                        Taken::Correspondence(reference) => {
                            outcome.correspondence += 1;
                            Some(reference)
                        }
                        Taken::Duplicate(reference) => {
                            outcome.duplicates += 1;
                            reference
                        }
                    };
                    // Also on a repeat: a delivery retried after a crash between the case and
                    // its fetch jobs gets them now.
                    if let Some(reference) = reference {
                        self.queue_attachments(&reference, &message).await?;
                    }
                }
                SocialEvent::Deleted { transport, account: _, sender, message_id } => {
                    self.deleted(transport, &sender, &message_id).await?;
                    outcome.deleted += 1;
                }
                SocialEvent::Mention { transport, account, item_id: _ } => {
                    // The Activity API's mention envelope names no account: still only triage.
                    let reason = match self.not_ours(transport, &account).filter(|_| !account.is_empty()) {
                        Some(reason) => reason,
                        None => format!("{} mention", transport.as_str()),
                    };
                    self.keep_for_staff("triage", platform, raw_key, &reason).await?;
                    outcome.triage += 1;
                }
                SocialEvent::Ignored { kind } => {
                    tracing::debug!(kind = %kind, "social event ignored");
                    outcome.ignored += 1;
                }
                SocialEvent::Unknown { reason } => {
                    self.keep_for_staff("quarantine", platform, raw_key, &reason).await?;
                    outcome.quarantined += 1;
                }
            }
        }
        self.channels_heard(&heard_on).await;
        Ok(outcome)
    }

    /// The channel of ours an event from a person came on: messages, deletions and mentions for
    /// our accounts (receipts, echoes and others' accounts say nothing about our channel).
    fn heard_on(&self, event: &SocialEvent) -> Option<SocialTransport> {
        let (transport, account) = match event {
            SocialEvent::Message(message) => (message.transport, message.account.as_str()),
            SocialEvent::Deleted { transport, account, .. } | SocialEvent::Mention { transport, account, .. } => {
                (*transport, account.as_str())
            }
            SocialEvent::Ignored { .. } | SocialEvent::Unknown { .. } => return None,
        };
        // The Activity API's mention envelope names no account.
        (account.is_empty() || self.not_ours(transport, account).is_none()).then_some(transport)
    }

    /// Keeps the time of this delivery as the last event on each channel it was heard on, and
    /// logs a line per channel for the quiet alarms. A failure to keep it is logged, never
    /// refused: the delivery itself was taken in.
    async fn channels_heard(&self, heard_on: &[SocialTransport]) {
        let now = self.intake.clock.now();
        for transport in heard_on {
            info!(metric = "SocialChannelEvent", transport = transport.as_str(), "{CHANNEL_EVENT_LOG}");
            if let Err(err) = self.channels.record_channel_event(transport.as_str(), now).await {
                error!(transport = transport.as_str(), error = %crate::error_chain(&err), "channel event time not kept");
            }
        }
    }

    /// Why a message for `account` is not ours to take in, if it is not.
    fn not_ours(&self, transport: SocialTransport, account: &str) -> Option<String> {
        match self.accounts.check(transport, account) {
            AccountCheck::Ours => None,
            other => other.reason(transport),
        }
    }

    /// Writes a quarantine or triage record for staff beside the raw delivery, and lists it for
    /// staff ([`StaffItemStore`]).
    async fn keep_for_staff(
        &self,
        kind: &str,
        platform: Platform,
        raw_key: &str,
        reason: &str,
    ) -> Result<(), SocialError> {
        let now = self.intake.clock.now();
        let record = StaffRecord { kind, platform: platform.as_str(), raw_key, reason, received_at: now };
        let id = uuid::Uuid::new_v4().simple().to_string();
        let key = format!("social/{kind}/{}/{id}.json", now.format("%Y/%m/%d"));
        let bytes = serde_json::to_vec_pretty(&record).unwrap_or_default();
        self.objects.put(&key, "application/json", bytes).await?;
        let item = StaffItem {
            id: format!("social-{id}"),
            kind: if kind == "triage" { StaffItemKind::Triage } else { StaffItemKind::Quarantine },
            source: platform.as_str().to_owned(),
            reason: reason.to_owned(),
            object_key: raw_key.to_owned(),
            case_ref: None,
            received_at: now,
            resolved_at: None,
            resolved_by: None,
        };
        self.items.record_staff_item(&item).await?;
        // A clear line for whoever watches the logs; the record itself is for staff.
        warn!(kind, platform = platform.as_str(), reason, raw_key, record_key = %key, "social delivery kept for staff");
        Ok(())
    }

    /// Queues the fetch of `message`'s attachments on the case `reference`, unless they were
    /// queued before (the case's timeline says so).
    async fn queue_attachments(&self, reference: &CaseRef, message: &InboundMessage) -> Result<(), SocialError> {
        if message.media.is_empty() {
            return Ok(());
        }
        let Ok(from) = EmailAddress::parse(&self.intake.config.mail.from) else {
            error!("attachments not fetched: [mail] from is not an address");
            return Ok(());
        };
        for _ in 0..3 {
            let timeline = self.intake.store.timeline(reference).await?;
            let queued = timeline.iter().any(|event| {
                matches!(&event.what, CaseEvent::SocialAttachmentsQueued { message_ref, .. } if *message_ref == message.message_id)
            });
            if queued {
                return Ok(());
            }
            let now = self.intake.clock.now();
            let Some((event, jobs)) = crate::social_attachments::plan(
                reference,
                message.transport,
                &message.message_id,
                &message.media,
                &from,
                now,
            ) else {
                return Ok(());
            };
            let stored = self.intake.store.get(reference).await?;
            let entry = TimelineEvent { at: now, actor: Actor::System, what: event };
            match self.intake.store.update_with_messages(&stored.case, stored.version, vec![entry], jobs).await {
                Ok(_) => {
                    info!(case_ref = %reference, count = message.media.len(), "social attachments queued for fetching");
                    return Ok(());
                }
                Err(StoreError::VersionConflict { .. }) => {}
                Err(other) => return Err(other.into()),
            }
        }
        Err(SocialError::Store(StoreError::VersionConflict { expected: 0 }))
    }

    /// A private message: correspondence on the sender's open case, or a new case.
    async fn message(&self, message: &InboundMessage, raw_key: &str) -> Result<Taken, SocialError> {
        let channel = message.transport.channel();
        let source_key = format!("social:{}:{}", message.transport.as_str(), message.message_id);
        let complainant = Complainant {
            name: message
                .sender_name
                .as_deref()
                .map(str::trim)
                .filter(|name| !name.is_empty())
                // A display name longer than a name may be is cut, never a refused delivery.
                .map(|name| name.chars().take(MAX_COMPLAINT_SHORT_CHARS).collect::<String>())
                .unwrap_or_else(|| format!("{} user {}", message.transport.label(), message.sender)),
            email: None,
            phone: None,
            handle: Some(message.sender.clone()),
        };
        let key = contact_key(&self.intake.contact_key_secret, channel, &complainant);
        if let Some(key) = &key {
            for _ in 0..3 {
                match self.correspondence(key, message, raw_key).await {
                    Ok(Some(taken)) => return Ok(taken),
                    Ok(None) => break,
                    Err(StoreError::VersionConflict { .. }) => {}
                    Err(other) => return Err(other.into()),
                }
            }
        }
        let Some(reply_to) = SocialAddress::new(message.transport, &message.account, &message.sender) else {
            // The parser only passes plain ids; this is a defect, not a person's doing.
            error!(transport = message.transport.as_str(), "social sender id is not a plain id; not answered");
            return Err(SocialError::Store(StoreError::Unavailable("sender id is not a plain id".into())));
        };
        let draft = ComplaintDraft {
            channel,
            complainant: Some(complainant),
            service_area: SOCIAL_SERVICE_AREA.to_owned(),
            description: description(message),
            event_date: None,
            awareness_date: None,
            outcome_sought: None,
            preferred_contact: None,
            adjustments: None,
            representation: None,
            child: None,
            source_ref: Some(message.message_id.clone()),
            route: IntakeRoute::Stage1,
        };
        let today = self.intake.clock.now().date_naive();
        let complaint = match draft.validate(today) {
            Ok(complaint) => complaint,
            Err(problems) => {
                // Only blank or over-long text can fail here, and description() rules both out.
                error!(problems = problems.len(), "social message did not make a complaint");
                return Err(SocialError::Store(StoreError::Unavailable("complaint did not validate".into())));
            }
        };
        let receipt = self
            .intake
            .submit_social(IntakeRequest { complaint, source_key: Some(source_key), possible_spam: false }, reply_to)
            .await?;
        if receipt.duplicate {
            info!(transport = message.transport.as_str(), "repeated social message; nothing new");
            Ok(Taken::Duplicate(Some(receipt.reference)))
        } else {
            Ok(Taken::Opened(receipt.reference))
        }
    }

    /// Records `message` on the sender's most recent open case, if they have one. `None` when
    /// they have none (a new case follows).
    async fn correspondence(
        &self,
        key: &complaints_core::case::ContactKey,
        message: &InboundMessage,
        raw_key: &str,
    ) -> Result<Option<Taken>, StoreError> {
        let channel = message.transport.channel();
        let mut open = None;
        for reference in self.intake.store.find_by_contact(key).await? {
            let stored = self.intake.store.get(&reference).await?;
            if stored.case.complaint().source_ref.as_deref() == Some(message.message_id.as_str()) {
                return Ok(Some(Taken::Duplicate(Some(reference))));
            }
            if stored.case.is_open() && stored.case.complaint().channel == channel {
                let newer = open.as_ref().is_none_or(|(current, _): &(complaints_core::reference::CaseRef, _)| {
                    reference.to_string() > current.to_string()
                });
                if newer {
                    open = Some((reference, stored));
                }
            }
        }
        let Some((reference, stored)) = open else {
            return Ok(None);
        };
        let seen = self.intake.store.timeline(&reference).await?.iter().any(|event| {
            matches!(&event.what, CaseEvent::SocialMessageReceived { message_ref, .. } if *message_ref == message.message_id)
        });
        if seen {
            return Ok(Some(Taken::Duplicate(Some(reference))));
        }
        let event = TimelineEvent {
            at: self.intake.clock.now(),
            actor: Actor::System,
            what: CaseEvent::SocialMessageReceived {
                channel,
                message_ref: message.message_id.clone(),
                raw_key: raw_key.to_owned(),
                text: Some(description(message)),
            },
        };
        self.intake.store.update(&stored.case, stored.version, vec![event]).await?;
        info!(case_ref = %reference, transport = message.transport.as_str(), "social message added to the open case");
        Ok(Some(Taken::Correspondence(reference)))
    }

    /// A deleted message: recorded on the case that holds it; otherwise only logged (we never
    /// took it in).
    async fn deleted(&self, transport: SocialTransport, sender: &str, message_id: &str) -> Result<(), SocialError> {
        let channel = transport.channel();
        let person = Complainant { name: String::new(), email: None, phone: None, handle: Some(sender.to_owned()) };
        let Some(key) = contact_key(&self.intake.contact_key_secret, channel, &person) else {
            return Ok(());
        };
        for _ in 0..3 {
            let mut target = None;
            for reference in self.intake.store.find_by_contact(&key).await? {
                let timeline = self.intake.store.timeline(&reference).await?;
                let already = timeline.iter().any(|event| {
                    matches!(&event.what, CaseEvent::SocialMessageDeleted { message_ref, .. } if message_ref == message_id)
                });
                if already {
                    return Ok(());
                }
                let stored = self.intake.store.get(&reference).await?;
                let holds = stored.case.complaint().source_ref.as_deref() == Some(message_id)
                    || timeline.iter().any(|event| {
                        matches!(&event.what, CaseEvent::SocialMessageReceived { message_ref, .. } if message_ref == message_id)
                    });
                if holds {
                    target = Some(stored);
                    break;
                }
            }
            let Some(stored) = target else {
                info!(transport = transport.as_str(), "deleted social message was never taken in");
                return Ok(());
            };
            let event = TimelineEvent {
                at: self.intake.clock.now(),
                actor: Actor::System,
                what: CaseEvent::SocialMessageDeleted { channel, message_ref: message_id.to_owned() },
            };
            match self.intake.store.update(&stored.case, stored.version, vec![event]).await {
                Ok(_) => {
                    info!(case_ref = %stored.case.reference(), "social message deletion recorded");
                    return Ok(());
                }
                Err(StoreError::VersionConflict { .. }) => {}
                Err(other) => return Err(other.into()),
            }
        }
        Err(SocialError::Store(StoreError::VersionConflict { expected: 0 }))
    }
}

enum Taken {
    Opened(CaseRef),
    Correspondence(CaseRef),
    /// A repeat; the case that holds the message, when known.
    Duplicate(Option<CaseRef>),
}

/// The complaint's text: the message, with a line per attachment; never blank, never over the
/// limit (the platform's limits are lower, but a forged-then-genuine payload must not fail intake).
fn description(message: &InboundMessage) -> String {
    let mut text = message.text.as_deref().map(str::trim).unwrap_or_default().to_owned();
    for kind in &message.attachments {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&format!("[attachment: {kind}]"));
    }
    if text.trim().is_empty() {
        text = "[empty message]".to_owned();
    }
    text.chars().take(MAX_COMPLAINT_TEXT_CHARS).collect()
}

/// The private acknowledgement (R50): the reference, the response date, and a request for an
/// email address or phone number, since a private message gives us neither.
///
/// # Errors
/// [`NotQueuedReason::SenderConfiguration`] when the organisation's `mail.from` is not an address
/// (it names the sender of every queued message).
pub fn compose_acknowledgement(
    case: &Case,
    config: &OrgConfig,
    to: &SocialAddress,
    now: DateTime<Utc>,
    nonce: &str,
) -> Result<QueuedMessage, NotQueuedReason> {
    let from = EmailAddress::parse(&config.mail.from).map_err(|_| NotQueuedReason::SenderConfiguration)?;
    let reference = case.reference().to_string();
    let text = format!(
        "Thank you for contacting {org}. We have logged your complaint with reference {reference}. \
         We will respond by {due}. To keep your details private we will not discuss your complaint \
         in public. Please reply with an email address or phone number so we can contact you about it.",
        org = config.organisation.name,
        due = case.response_due().format("%-d %B %Y"),
    );
    Ok(QueuedMessage {
        message_id: format!("{}.ack.{nonce}@{}.{SOCIAL_DOMAIN}", reference.to_lowercase(), to.transport.as_str()),
        case_ref: Some(case.reference().clone()),
        purpose: MessagePurpose::Acknowledgement,
        from,
        to: vec![to.to_email_address()],
        date: now,
        raw: text.into_bytes(),
    })
}

/// Why a platform refused or failed a send.
#[derive(Debug, thiserror::Error)]
pub enum SocialSendError {
    /// Refused for good (the person blocked us, the id is unknown, outside a reply window).
    #[error("refused by the platform: {0}")]
    Rejected(String),
    /// Our token is expired, revoked or lacks a permission: a channel health problem.
    #[error("the platform refused our credentials: {0}")]
    Auth(String),
    /// Throttled or failed on the platform's side; retry later.
    #[error("platform unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Sends private replies through a platform's send API.
#[async_trait]
pub trait SocialSender: Send + Sync {
    /// Sends `text` to `to`. `message_id` is ours, for the platform's idempotency where it has one.
    ///
    /// # Errors
    /// [`SocialSendError`].
    async fn send(&self, to: &SocialAddress, text: &str, message_id: &str) -> Result<(), SocialSendError>;
}

/// The [`Mailer`] delivery uses: email to the mailer, social recipients to the [`SocialSender`],
/// within the platforms' reply windows.
#[derive(Clone)]
pub struct TransportMailer {
    pub email: Arc<dyn Mailer>,
    /// `None` when no platform is configured: a social message then waits (retryable) and is
    /// given up for staff after the retries.
    pub social: Option<Arc<dyn SocialSender>>,
    pub clock: Arc<dyn Clock>,
    /// Tells staff when a platform's sends keep failing; `None` logs (and alarms) only.
    pub health: Option<Arc<ChannelHealth>>,
    /// Fetches social media attachments (`attachment-fetch` jobs); `None`: they wait
    /// (retryable) and are given up for staff after the retries.
    pub attachments: Option<Arc<dyn AttachmentFetcher>>,
}

impl std::fmt::Debug for TransportMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransportMailer").field("social", &self.social.is_some()).finish_non_exhaustive()
    }
}

/// The mailer of a function that only takes deliveries in (intake-social): it sends nothing, so
/// every message stays pending for the sweep, which holds the platform tokens. Social intake
/// never delivers inline ([`crate::intake::IntakeExtras::deliver_later`]); should anything try,
/// the message is kept and retried by the sweep.
#[derive(Debug, Clone, Copy, Default)]
pub struct LeaveForSweep;

#[derive(Debug, thiserror::Error)]
#[error("this function does not send; the delivery sweep does")]
struct SweepSends;

#[async_trait]
impl Mailer for LeaveForSweep {
    async fn send(&self, _message: &QueuedMessage) -> Result<(), MailError> {
        Err(MailError::Unavailable(Box::new(SweepSends)))
    }
}

/// The platform refused our token; logged under this name so a metric filter can count it
/// (channel health alarm).
pub const AUTH_FAILURE_LOG: &str = "social channel auth failure";

/// Logged once per channel for each delivery that brought an event from a person on it (field
/// `transport`): the template's per-channel quiet alarms count these lines.
pub const CHANNEL_EVENT_LOG: &str = "social channel event";

#[derive(Debug, thiserror::Error)]
#[error("no sender is configured for this platform")]
struct NotConfigured;

impl TransportMailer {
    /// An attachment fetch job: never email, never a message to anyone.
    async fn fetch(&self, message: &QueuedMessage) -> Result<(), MailError> {
        let Ok(job) = serde_json::from_slice::<AttachmentJob>(&message.raw) else {
            return Err(MailError::Rejected("attachment job is not readable".to_owned()));
        };
        let Some(fetcher) = &self.attachments else {
            return Err(MailError::Unavailable(Box::new(NotConfigured)));
        };
        let transport = job.transport.as_str();
        match fetcher.fetch(&job).await {
            Ok(()) => Ok(()),
            Err(SocialSendError::Rejected(kind)) => {
                warn!(metric = "SocialAttachmentRefused", transport, kind = %kind, "social attachment not fetched");
                Err(MailError::Rejected(kind))
            }
            Err(err) => {
                warn!(metric = "SocialAttachmentRetry", transport, error = %err, "social attachment fetch failed; retried");
                Err(MailError::Unavailable(Box::new(err)))
            }
        }
    }
}

#[async_trait]
impl Mailer for TransportMailer {
    async fn send(&self, message: &QueuedMessage) -> Result<(), MailError> {
        if message.purpose == MessagePurpose::AttachmentFetch {
            return self.fetch(message).await;
        }
        let social = message.to.first().and_then(SocialAddress::from_email_address);
        let Some(to) = social else {
            return self.email.send(message).await;
        };
        // The window counts from the person's message, which is when the reply was queued.
        if to.transport.has_reply_window()
            && self.clock.now() - message.date > chrono::Duration::hours(REPLY_WINDOW_HOURS)
        {
            // R50: the reply is owed; delivery records it undeliverable and flags the case.
            warn!(transport = to.transport.as_str(), "social reply window closed; a reply is owed");
            return Err(MailError::Rejected("outside the platform's reply window".to_owned()));
        }
        let Some(sender) = &self.social else {
            return Err(MailError::Unavailable(Box::new(NotConfigured)));
        };
        let text = String::from_utf8_lossy(&message.raw);
        let transport = to.transport.as_str();
        let result = sender.send(&to, &text, &message.message_id).await;
        let trouble = match &result {
            Ok(()) => {
                if let Some(health) = &self.health {
                    health.succeeded(to.transport).await;
                }
                return Ok(());
            }
            Err(SocialSendError::Rejected(kind)) => {
                // Refused for this person (blocked us, left, outside a window): not the channel's health.
                warn!(metric = "SocialSendRejected", transport, kind = %kind, "{SEND_FAILURE_LOG}");
                None
            }
            Err(SocialSendError::Auth(kind)) => {
                error!(metric = "SocialAuthFailure", transport, kind = %kind, "{AUTH_FAILURE_LOG}");
                Some(SendTrouble::Auth)
            }
            Err(SocialSendError::Unavailable(err)) => {
                warn!(metric = "SocialSendFailure", transport, error = %err, "{SEND_FAILURE_LOG}");
                Some(SendTrouble::Unavailable)
            }
        };
        if let (Some(trouble), Some(health)) = (trouble, &self.health) {
            health.failed(to.transport, trouble, self.clock.now()).await;
        }
        match result {
            Ok(()) => Ok(()),
            Err(SocialSendError::Rejected(kind)) => Err(MailError::Rejected(kind)),
            Err(err) => Err(MailError::Unavailable(Box::new(err))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_social_address_round_trips_through_its_reserved_email_form() {
        for (transport, account, user) in [
            (SocialTransport::Messenger, "1234567890", "5678"),
            (SocialTransport::Instagram, "17841400000000000", "912345678"),
            (SocialTransport::WhatsApp, "1234567890", "US.13491208655302741918"),
            (SocialTransport::X, "4337869213", "3001969357"),
        ] {
            let address = SocialAddress::new(transport, account, user).expect("plain ids");
            let email = address.to_email_address();
            assert!(email.as_str().ends_with(".social.invalid"), "{email}");
            assert_eq!(SocialAddress::from_email_address(&email), Some(address));
        }
    }

    #[test]
    fn ids_that_are_not_plain_never_make_an_address() {
        for (account, user) in [("<PAGE>", "5678"), ("123", "a@b"), ("", "5"), ("12.3", "5"), ("123", "")] {
            assert_eq!(SocialAddress::new(SocialTransport::Messenger, account, user), None, "{account} {user}");
        }
        let real = EmailAddress::parse("jo@example.org").expect("valid");
        assert_eq!(SocialAddress::from_email_address(&real), None);
    }

    #[test]
    fn only_x_has_no_reply_window() {
        let windowed: Vec<_> = SocialTransport::ALL.into_iter().filter(|t| t.has_reply_window()).collect();
        assert_eq!(windowed, [SocialTransport::Messenger, SocialTransport::Instagram, SocialTransport::WhatsApp]);
    }

    #[test]
    fn an_attachment_only_message_still_describes_the_complaint() {
        let message = InboundMessage {
            transport: SocialTransport::Messenger,
            account: "1".to_owned(),
            sender: "2".to_owned(),
            sender_name: None,
            message_id: "m".to_owned(),
            text: None,
            attachments: vec!["image".to_owned()],
            media: Vec::new(),
        };
        assert_eq!(description(&message), "[attachment: image]");
        let empty = InboundMessage { attachments: Vec::new(), ..message };
        assert_eq!(description(&empty), "[empty message]");
    }
}
