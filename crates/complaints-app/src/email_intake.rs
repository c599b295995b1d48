//! Email intake: one received message (raw MIME) becomes exactly one outcome — a new `case`,
//! `correspondence` on an existing case, a `robot` message, a `bounce` (or abuse complaint) about
//! mail we sent, `quarantined` mail, or a `rejected` message with its reason. The raw bytes are
//! kept first, whatever happens next; a failure after that is an error the caller retries (SES's
//! asynchronous invoke, the inbox folder), never a lost message.
//!
//! Threading cannot be hijacked: a message joins a case only through a Message-ID we sent (the
//! store's index of our own ids, which carry a random nonce), a Reply-To token signed with our key,
//! or a reference in the subject when the sender is already a party to that case. Anything else
//! opens a new case, flagged when it names another one.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use complaints_core::case::{CaseEvent, EmailAttachment, MessagePurpose, ReceivedEmail, StaffFlag};
use complaints_core::complaint::{
    Channel, Complainant, ComplaintDraft, EmailAddress, IntakeRoute, MAX_COMPLAINT_SHORT_CHARS,
    MAX_COMPLAINT_TEXT_CHARS,
};
use complaints_core::reference::CaseRef;
use complaints_core::timeline::{Actor, TimelineEvent};
use complaints_email::{Content, Contents, Extraction, InboundEmail, Limits, Parsed, ReportKind};
use sha2::{Digest, Sha256};
use tracing::{info, warn};

use crate::contact::contact_key;
use crate::held_mail::{HeldMail, HeldMailStore, MAX_HELD_SUBJECT_CHARS, held_mail_id};
use crate::intake::{IntakeError, IntakeExtras, IntakeRequest, IntakeService};
use crate::object_store::{ObjectStore, ObjectStoreError};
use crate::ports::StoreError;

/// The service area of a case opened from an email, until staff classify it (R44).
pub const EMAIL_SERVICE_AREA: &str = "Not yet known (received by email)";

/// Where raw messages are kept when the caller has not stored them already (SES has: its
/// receipt rule's S3 action writes them before we run).
pub const RAW_PREFIX: &str = "mail/raw/";
/// Where attachments are kept, by the SHA-256 of their content (one copy however often sent).
pub const ATTACHMENT_PREFIX: &str = "mail/attachments/";

/// Email intake, built once per process.
#[derive(Clone)]
pub struct EmailIntake {
    pub intake: IntakeService,
    pub objects: Arc<dyn ObjectStore>,
    pub limits: Limits,
    /// Signs and checks the Reply-To token (from the secrets store on AWS, configuration locally).
    pub reply_token_key: Arc<[u8]>,
    /// Where `robot`, `rejected` and case-less `bounce` outcomes are recorded for staff.
    pub held: Arc<dyn HeldMailStore>,
    /// How long raw messages are kept (the bucket's `RawMailRetentionDays`), so a held record
    /// expires with its message; `None`: raw mail is kept for good (the local data folder).
    pub raw_retention_days: Option<u32>,
}

impl std::fmt::Debug for EmailIntake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailIntake").field("limits", &self.limits).finish_non_exhaustive()
    }
}

/// What the receiving service knows beyond the bytes (SES's receipt).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Envelope {
    /// SES's message id (also the S3 object's name).
    pub ses_message_id: Option<String>,
    /// The addresses it was received for (the envelope recipients).
    pub recipients: Vec<String>,
    /// The spam scan said FAIL.
    pub spam_failed: bool,
    /// The virus scan said FAIL.
    pub virus_failed: bool,
    /// The receiving service checked the sender: `Some(true)` when DMARC passed, or SPF and DKIM
    /// both did (SES's verdicts); `Some(false)` when they did not; `None` when nothing checked
    /// (the local inbox folder). Only a verified sender can join a case by a reference in the
    /// subject.
    pub sender_verified: Option<bool>,
}

/// One message to take in.
#[derive(Debug, Clone, Copy)]
pub struct RawEmail<'a> {
    pub bytes: &'a [u8],
    /// Where the raw bytes are kept already, if they are (else intake stores them).
    pub stored_at: Option<&'a str>,
}

/// The raw bytes of one message: borrowed (parsed as they are) or owned (large base64 bodies
/// are taken out before the parse).
enum RawBytes<'a> {
    Borrowed(&'a [u8]),
    Owned(Vec<u8>),
}

impl RawBytes<'_> {
    fn bytes(&self) -> &[u8] {
        match self {
            Self::Borrowed(bytes) => bytes,
            Self::Owned(bytes) => bytes,
        }
    }
}

/// The one outcome of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailOutcome {
    /// A new case (or, for a repeat of the same message, the case it made).
    Case { reference: CaseRef, duplicate: bool, acknowledged: bool },
    /// Recorded on an existing case.
    Correspondence { reference: CaseRef, closed_case: bool, duplicate: bool },
    /// Sent by a robot (auto-reply, list, no-reply sender, our own domain): kept, not answered.
    Robot { reason: String },
    /// A bounce or abuse complaint (recorded on the case it concerns, when it names our message).
    Bounce { kind: String, reference: Option<CaseRef> },
    /// The spam or virus scan failed: kept on a case flagged for staff, never acknowledged.
    Quarantined { reason: String, reference: CaseRef },
    /// Not taken in (kept raw): too large, unreadable or empty, or refused by the intake rules.
    Rejected { reason: String },
}

impl EmailOutcome {
    /// `case`, `correspondence`, `robot`, `bounce`, `quarantined` or `rejected`.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Case { .. } => "case",
            Self::Correspondence { .. } => "correspondence",
            Self::Robot { .. } => "robot",
            Self::Bounce { .. } => "bounce",
            Self::Quarantined { .. } => "quarantined",
            Self::Rejected { .. } => "rejected",
        }
    }

    /// The case it concerns, if any.
    #[must_use]
    pub fn reference(&self) -> Option<&CaseRef> {
        match self {
            Self::Case { reference, .. }
            | Self::Correspondence { reference, .. }
            | Self::Quarantined { reference, .. } => Some(reference),
            Self::Bounce { reference, .. } => reference.as_ref(),
            Self::Robot { .. } | Self::Rejected { .. } => None,
        }
    }

    /// The reason, for outcomes that have one.
    #[must_use]
    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::Robot { reason } | Self::Quarantined { reason, .. } | Self::Rejected { reason } => Some(reason),
            Self::Bounce { kind, .. } => Some(kind),
            Self::Case { .. } | Self::Correspondence { .. } => None,
        }
    }
}

/// What intake did with one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ingested {
    pub outcome: EmailOutcome,
    /// Where the raw message is kept.
    pub raw_key: String,
}

/// Why a message could not be taken in now. The caller keeps the message and tries again.
#[derive(Debug, thiserror::Error)]
pub enum EmailIntakeError {
    #[error("could not keep the raw message")]
    Raw(#[source] ObjectStoreError),
    #[error("could not keep an attachment")]
    Attachment(#[source] ObjectStoreError),
    #[error("could not read or write the case")]
    Store(#[from] StoreError),
    #[error("could not open the case")]
    Intake(#[from] IntakeError),
}

impl EmailIntake {
    /// Takes in one message. Exactly one outcome for every message that could be kept.
    ///
    /// # Errors
    /// [`EmailIntakeError`] when the raw message, an attachment or the case could not be written:
    /// the message is not taken in, and a retry does it once (idempotent by Message-ID, SES id or
    /// content hash).
    pub async fn ingest(&self, raw: RawEmail<'_>, envelope: &Envelope) -> Result<Ingested, EmailIntakeError> {
        self.ingest_bytes(RawBytes::Borrowed(raw.bytes), raw.stored_at, envelope).await
    }

    /// Takes in one message given by value, as [`EmailIntake::ingest`] does, with less memory:
    /// large base64 bodies are taken out of `bytes` before the parse (decoded in chunks into
    /// temporary files, `Limits::extract`), so a decoded attachment is never held beside the
    /// whole raw message. The outcome, the records and the stored attachments are the ones
    /// [`EmailIntake::ingest`] gives; when the shrunken message does not parse to exactly the
    /// same attachments, the original is read back from the object store (where the raw message
    /// is always kept before the parse) and parsed as it is. The temporary files are deleted
    /// whatever the outcome.
    ///
    /// # Errors
    /// As [`EmailIntake::ingest`].
    pub async fn ingest_owned(
        &self,
        bytes: Vec<u8>,
        stored_at: Option<&str>,
        envelope: &Envelope,
    ) -> Result<Ingested, EmailIntakeError> {
        self.ingest_bytes(RawBytes::Owned(bytes), stored_at, envelope).await
    }

    #[tracing::instrument(skip_all, fields(outcome, case_ref))]
    async fn ingest_bytes(
        &self,
        raw: RawBytes<'_>,
        stored_at: Option<&str>,
        envelope: &Envelope,
    ) -> Result<Ingested, EmailIntakeError> {
        let raw_key = match stored_at {
            Some(key) => key.to_owned(),
            None => {
                let key = raw_key_for(raw.bytes());
                self.objects.put(&key, "message/rfc822", raw.bytes().to_vec()).await.map_err(EmailIntakeError::Raw)?;
                key
            }
        };
        let mut seen = None;
        // Raw mail the receiving service stored (SES) is parsed between marks, so a parse that
        // ends the process (an aborting panic, memory, time) is an outcome on the retry.
        let guarded = stored_at.is_some();
        let outcome = self.decide(raw, &raw_key, envelope, guarded, &mut seen).await?;
        self.hold_for_staff(&outcome, &raw_key, seen).await?;
        let span = tracing::Span::current();
        span.record("outcome", outcome.kind());
        if let Some(reference) = outcome.reference() {
            span.record("case_ref", reference.to_string());
        }
        info!(reason = outcome.reason().unwrap_or(""), "email taken in");
        Ok(Ingested { outcome, raw_key })
    }

    /// Records a `robot`, `rejected` or case-less `bounce` outcome for staff (the others are on a
    /// case already).
    async fn hold_for_staff(
        &self,
        outcome: &EmailOutcome,
        raw_key: &str,
        seen: Option<Seen>,
    ) -> Result<(), StoreError> {
        let reason = match outcome {
            EmailOutcome::Robot { reason } | EmailOutcome::Rejected { reason } => reason,
            EmailOutcome::Bounce { kind, reference: None } => kind,
            _ => return Ok(()),
        };
        let seen = seen.unwrap_or_default();
        let received_at = self.intake.clock.now();
        let mail = HeldMail {
            id: held_mail_id(raw_key),
            received_at,
            outcome: outcome.kind().to_owned(),
            reason: reason.clone(),
            raw_key: raw_key.to_owned(),
            message_id: seen.message_id,
            from: seen.from,
            subject: truncate_chars(&seen.subject, MAX_HELD_SUBJECT_CHARS),
            expires_at: self.raw_retention_days.map(|days| received_at + chrono::Duration::days(i64::from(days))),
        };
        self.held.hold_mail(&mail).await
    }

    async fn decide(
        &self,
        raw: RawBytes<'_>,
        raw_key: &str,
        envelope: &Envelope,
        guarded: bool,
        seen: &mut Option<Seen>,
    ) -> Result<EmailOutcome, EmailIntakeError> {
        if raw.bytes().len() > self.limits.max_message_bytes {
            return Ok(EmailOutcome::Rejected { reason: "too-large".to_owned() });
        }
        let objects = &*self.objects;
        let begun = if guarded {
            Some(crate::parse_guard::begin(objects, raw_key).await.map_err(EmailIntakeError::Raw)?)
        } else {
            None
        };
        if begun == Some(crate::parse_guard::Begun::EndedInsideTheParser) {
            warn!("two earlier attempts ended inside the mail parser; kept raw and rejected");
            return Ok(EmailOutcome::Rejected { reason: "parser-failed".to_owned() });
        }
        // Owned bytes: large base64 bodies are taken out first (complaints_email::extract), and
        // what needs the original bytes (their hash, for the source key) is computed before.
        let mut original_sha256 = None;
        let (bytes, extraction) = match raw {
            RawBytes::Borrowed(bytes) => (std::borrow::Cow::Borrowed(bytes), Extraction::none()),
            RawBytes::Owned(mut bytes) => {
                let wants_hash = envelope.ses_message_id.is_none();
                let limits = &self.limits;
                let extraction =
                    Extraction::take_from(&mut bytes, &limits.extract, limits.max_attachment_bytes, |original| {
                        if wants_hash {
                            original_sha256 = Some(hex::encode(Sha256::digest(original)));
                        }
                    });
                (std::borrow::Cow::Owned(bytes), extraction)
            }
        };
        let reread;
        let renormalised;
        // The raw bytes are kept as they came; only the parse sees bare-CR mail as CRLF.
        let normalised = complaints_email::bare_cr_to_crlf(&bytes);
        let parsed = Parsed::with_extraction(normalised.as_deref().unwrap_or(&bytes), &self.limits, extraction);
        let (original, (email, mut contents)) = if parsed.extraction_complete() {
            (&bytes[..], parsed.split())
        } else {
            // A body taken out was not exactly one attachment's content (it sat in a text part or
            // a forwarded message, or had other bytes beside it): the original, as kept, is
            // parsed instead; correctness before memory.
            drop(parsed);
            warn!("an extracted body did not come back as one attachment; parsing the original message");
            reread = self.objects.get(raw_key).await.map_err(EmailIntakeError::Raw)?;
            original_sha256 = None;
            renormalised = complaints_email::bare_cr_to_crlf(&reread);
            let parsed = Parsed::new(renormalised.as_deref().unwrap_or(&reread), &self.limits);
            (&reread[..], parsed.split())
        };
        // Marked finished only after the last parse of this attempt returned: an attempt that
        // ends inside either parse leaves its mark, and the retry treats both alike.
        if begun == Some(crate::parse_guard::Begun::Marked) {
            crate::parse_guard::finish(objects, raw_key).await;
        }
        let email = &email;
        *seen = Some(Seen {
            message_id: email.message_id.clone(),
            from: email.from.as_ref().and_then(|f| f.address.clone()),
            subject: email.subject.clone(),
        });
        if email.parser_failed {
            // The parser panicked on it (caught around the parse only): kept raw, held for staff.
            warn!("the mail parser failed on a message; kept raw and rejected");
            return Ok(EmailOutcome::Rejected { reason: "parser-failed".to_owned() });
        }
        if !email.readable {
            return Ok(EmailOutcome::Rejected { reason: "unreadable".to_owned() });
        }
        if email.text.trim().is_empty() && email.subject.trim().is_empty() && email.attachments.is_empty() {
            return Ok(EmailOutcome::Rejected { reason: "empty".to_owned() });
        }
        let source_key =
            source_key(email, envelope, || original_sha256.unwrap_or_else(|| hex::encode(Sha256::digest(original))));

        if envelope.spam_failed || envelope.virus_failed {
            let reason = if envelope.virus_failed { "virus" } else { "spam" };
            // Nothing from it is stored with the case (its attachments stay inside the raw message).
            let record = record(email, held_all(email, "quarantined"), raw_key, envelope, None, false);
            let extras = vec![
                CaseEvent::EmailReceived { email: record },
                CaseEvent::FlaggedForStaff { reason: StaffFlag::QuarantinedMail },
            ];
            let receipt = self.open_case(email, source_key, extras, true).await?;
            let Ok(receipt) = receipt else {
                return Ok(EmailOutcome::Rejected { reason: "invalid".to_owned() });
            };
            return Ok(EmailOutcome::Quarantined { reason: reason.to_owned(), reference: receipt.reference });
        }

        if let Some(report) = &email.report {
            if report.kind == ReportKind::Disposition {
                return Ok(EmailOutcome::Robot { reason: "disposition-notification".to_owned() });
            }
            let reference = self.report_on_case(email, raw_key, envelope, report).await?;
            return Ok(EmailOutcome::Bounce { kind: report.kind.as_str().to_owned(), reference });
        }
        if let Some(automated) = &email.automated {
            return Ok(EmailOutcome::Robot { reason: automated.as_str().to_owned() });
        }
        if let Some(address) = email.from.as_ref().and_then(|f| f.address.as_deref())
            && self.is_own_domain(address)
        {
            // Mail from our own domain (our own acknowledgements looping back, or a spoof).
            return Ok(EmailOutcome::Robot { reason: "own-domain".to_owned() });
        }

        // Threading: our Message-IDs, then the signed Reply-To token.
        if let Some(reference) = self.thread(email, envelope).await? {
            return self.correspondence(email, &mut contents, raw_key, envelope, &reference).await;
        }
        // A reference in the subject joins only when the sender is a party to that case and the
        // receiving service verified the sender (anyone can write someone else's From).
        let mut extras = Vec::new();
        for named in subject_references(&email.subject, &self.intake.config.organisation.reference_prefix) {
            match self.intake.store.get(&named).await {
                Ok(stored) => {
                    let sender_key = complainant(email)
                        .and_then(|person| contact_key(&self.intake.contact_key_secret, Channel::Email, &person));
                    if envelope.sender_verified == Some(true)
                        && sender_key.is_some()
                        && sender_key == stored.case.index().contact_key
                    {
                        return self.correspondence(email, &mut contents, raw_key, envelope, &named).await;
                    }
                    extras.push(CaseEvent::PossiblyAbout { reference: named.to_string() });
                    extras.push(CaseEvent::FlaggedForStaff { reason: StaffFlag::PossiblyAboutAnotherCase });
                    break;
                }
                Err(StoreError::NotFound) => {}
                Err(other) => return Err(other.into()),
            }
        }

        let attachments = self.keep_attachments(email, &mut contents).await?;
        let held = attachments.iter().any(|a| a.held.is_some());
        let record = record(email, attachments, raw_key, envelope, None, false);
        if held {
            extras.push(CaseEvent::FlaggedForStaff { reason: StaffFlag::AttachmentHeld });
        }
        extras.insert(0, CaseEvent::EmailReceived { email: record });
        match self.open_case(email, source_key, extras, false).await? {
            Ok(receipt) => {
                if receipt.duplicate {
                    self.add_recipients(&receipt.reference, email, raw_key, envelope).await?;
                }
                Ok(EmailOutcome::Case {
                    reference: receipt.reference,
                    duplicate: receipt.duplicate,
                    acknowledged: receipt.acknowledged,
                })
            }
            Err(reason) => Ok(EmailOutcome::Rejected { reason }),
        }
    }

    /// The same message delivered again for other of our addresses (SES delivers once per receipt
    /// rule match): the case records those addresses too, in a short `EmailReceived` record with
    /// the same Message-ID, no text and no attachments. Nothing is added when every address is
    /// already recorded (a replay of the same delivery).
    async fn add_recipients(
        &self,
        reference: &CaseRef,
        email: &InboundEmail,
        raw_key: &str,
        envelope: &Envelope,
    ) -> Result<(), StoreError> {
        let Some(message_id) = &email.message_id else { return Ok(()) };
        for _ in 0..5 {
            let stored = self.intake.store.get(reference).await?;
            let timeline = self.intake.store.timeline(reference).await?;
            let mut known = Vec::new();
            for event in &timeline {
                if let CaseEvent::EmailReceived { email: seen } = &event.what
                    && seen.message_id.as_ref() == Some(message_id)
                {
                    known.extend(seen.recipients.iter().cloned());
                }
            }
            let mut new = Vec::new();
            for recipient in envelope.recipients.iter().map(|r| r.to_lowercase()) {
                if !known.contains(&recipient) && !new.contains(&recipient) {
                    new.push(recipient);
                }
            }
            if new.is_empty() {
                return Ok(());
            }
            new.truncate(MAX_LISTED_RECIPIENTS);
            let record = ReceivedEmail {
                message_id: Some(message_id.clone()),
                raw_key: raw_key.to_owned(),
                recipients: new,
                reply_text: None,
                attachments: Vec::new(),
                on_closed_case: !stored.case.is_open(),
                attachments_not_listed: 0,
            };
            let events = vec![system_event(self.intake.clock.now(), CaseEvent::EmailReceived { email: record })];
            match self.intake.store.update(&stored.case, stored.version, events).await {
                Ok(_) => return Ok(()),
                Err(StoreError::VersionConflict { .. }) => {}
                Err(other) => return Err(other),
            }
        }
        Err(StoreError::VersionConflict { expected: 0 })
    }

    /// The case a reply belongs to: through a Message-ID we sent, or a valid Reply-To token.
    async fn thread(&self, email: &InboundEmail, envelope: &Envelope) -> Result<Option<CaseRef>, StoreError> {
        for id in &email.thread_ids {
            if let Some(reference) = self.intake.store.case_for_message(&complaints_email::index_message_id(id)).await?
            {
                return Ok(Some(reference));
            }
        }
        for address in envelope.recipients.iter().chain(&email.recipients) {
            if let Some(named) = complaints_email::token::verify(&self.reply_token_key, address)
                && let Ok(reference) = named.to_uppercase().parse::<CaseRef>()
            {
                match self.intake.store.get(&reference).await {
                    Ok(_) => return Ok(Some(reference)),
                    Err(StoreError::NotFound) => {}
                    Err(other) => return Err(other),
                }
            }
        }
        Ok(None)
    }

    /// Records the message on `reference`'s timeline (once: a repeat finds its record there).
    async fn correspondence(
        &self,
        email: &InboundEmail,
        contents: &mut Contents<'_>,
        raw_key: &str,
        envelope: &Envelope,
        reference: &CaseRef,
    ) -> Result<EmailOutcome, EmailIntakeError> {
        // Kept once, before the retries: each attachment's bytes are moved out as they are stored.
        let attachments = self.keep_attachments(email, contents).await?;
        let held = attachments.iter().any(|a| a.held.is_some());
        for _ in 0..5 {
            let stored = self.intake.store.get(reference).await?;
            let closed_case = !stored.case.is_open();
            if self.already_recorded(reference, email, raw_key).await? {
                self.add_recipients(reference, email, raw_key, envelope).await?;
                return Ok(EmailOutcome::Correspondence { reference: reference.clone(), closed_case, duplicate: true });
            }
            let record =
                record(email, attachments.clone(), raw_key, envelope, Some(email.reply_text.clone()), closed_case);
            let now = self.intake.clock.now();
            let mut events = vec![system_event(now, CaseEvent::EmailReceived { email: record })];
            if closed_case {
                // R40: post-closure contact, or a request to escalate: staff decide.
                events.push(system_event(now, CaseEvent::FlaggedForStaff { reason: StaffFlag::MailOnClosedCase }));
            }
            if held {
                events.push(system_event(now, CaseEvent::FlaggedForStaff { reason: StaffFlag::AttachmentHeld }));
            }
            match self.intake.store.update(&stored.case, stored.version, events).await {
                Ok(_) => {
                    return Ok(EmailOutcome::Correspondence {
                        reference: reference.clone(),
                        closed_case,
                        duplicate: false,
                    });
                }
                Err(StoreError::VersionConflict { .. }) => {}
                Err(other) => return Err(other.into()),
            }
        }
        Err(StoreError::VersionConflict { expected: 0 }.into())
    }

    /// A bounce or abuse report about a message we sent: recorded on its case and flagged.
    async fn report_on_case(
        &self,
        email: &InboundEmail,
        raw_key: &str,
        envelope: &Envelope,
        report: &complaints_email::Report,
    ) -> Result<Option<CaseRef>, EmailIntakeError> {
        for id in &report.about {
            let Some(reference) = self.intake.store.case_for_message(&complaints_email::index_message_id(id)).await?
            else {
                continue;
            };
            let purpose = self
                .intake
                .store
                .message(id)
                .await?
                .map_or(MessagePurpose::Acknowledgement, |pending| pending.message.purpose);
            for _ in 0..5 {
                let stored = self.intake.store.get(&reference).await?;
                if self.already_recorded(&reference, email, raw_key).await? {
                    return Ok(Some(reference));
                }
                let now = self.intake.clock.now();
                let record = record(email, held_all(email, "report"), raw_key, envelope, None, !stored.case.is_open());
                let flag = match report.kind {
                    ReportKind::Complaint => StaffFlag::MailComplaint,
                    _ => StaffFlag::UndeliverableMail,
                };
                let events = vec![
                    system_event(now, CaseEvent::EmailReceived { email: record }),
                    system_event(
                        now,
                        CaseEvent::MessageUndeliverable {
                            message_id: id.clone(),
                            purpose,
                            reason: report.kind.as_str().to_owned(),
                        },
                    ),
                    system_event(now, CaseEvent::FlaggedForStaff { reason: flag }),
                ];
                match self.intake.store.update(&stored.case, stored.version, events).await {
                    Ok(_) => return Ok(Some(reference)),
                    Err(StoreError::VersionConflict { .. }) => {}
                    Err(other) => return Err(other.into()),
                }
            }
            return Err(StoreError::VersionConflict { expected: 0 }.into());
        }
        Ok(None)
    }

    async fn already_recorded(
        &self,
        reference: &CaseRef,
        email: &InboundEmail,
        raw_key: &str,
    ) -> Result<bool, StoreError> {
        let timeline = self.intake.store.timeline(reference).await?;
        Ok(timeline.iter().any(|event| match &event.what {
            CaseEvent::EmailReceived { email: seen } => {
                seen.raw_key == raw_key || (email.message_id.is_some() && seen.message_id == email.message_id)
            }
            _ => false,
        }))
    }

    /// Stores the attachments that are not held back (moving each one's bytes out of the parsed
    /// message, so a large one is never held twice) and describes them all.
    async fn keep_attachments(
        &self,
        email: &InboundEmail,
        contents: &mut Contents<'_>,
    ) -> Result<Vec<EmailAttachment>, EmailIntakeError> {
        let mut attachments = Vec::with_capacity(email.attachments.len());
        for attachment in &email.attachments {
            let held = attachment.held.map(|h| h.as_str().to_owned());
            let stored_key = match (&held, contents.take_content(attachment.index)) {
                (None, Some(content)) => {
                    let key = format!("{ATTACHMENT_PREFIX}{}", attachment.sha256);
                    let content_type = &attachment.content_type;
                    // A body taken out before the parse goes up from its file, which is deleted
                    // when `content` is dropped here, stored or not.
                    match content {
                        Content::Bytes(bytes) => self.objects.put(&key, content_type, bytes).await,
                        Content::File(path) => self.objects.put_from_file(&key, content_type, &path).await,
                    }
                    .map_err(EmailIntakeError::Attachment)?;
                    Some(key)
                }
                _ => None,
            };
            attachments.push(describe_attachment(attachment, stored_key, held));
        }
        Ok(attachments)
    }

    /// Opens the case through the shared intake (one set of rules, the durable acknowledgement,
    /// the per-recipient cap, deduplication by source key). `Err(reason)` when the intake rules
    /// refuse what the message gives.
    async fn open_case(
        &self,
        email: &InboundEmail,
        source_key: String,
        events: Vec<CaseEvent>,
        quarantined: bool,
    ) -> Result<Result<crate::intake::IntakeReceipt, String>, EmailIntakeError> {
        let today = self.intake.clock.now().date_naive();
        let mut description = String::new();
        if !email.subject.trim().is_empty() {
            description.push_str(email.subject.trim());
            description.push_str("\n\n");
        }
        description.push_str(email.text.trim());
        if description.trim().is_empty() {
            description = "(The email had no text; see its attachments.)".to_owned();
        }
        let draft = ComplaintDraft {
            channel: Channel::Email,
            complainant: complainant(email),
            service_area: EMAIL_SERVICE_AREA.to_owned(),
            description: truncate_chars(&description, MAX_COMPLAINT_TEXT_CHARS),
            event_date: None,
            awareness_date: None,
            outcome_sought: None,
            preferred_contact: None,
            adjustments: None,
            representation: None,
            child: None,
            source_ref: email.message_id.clone(),
            route: IntakeRoute::Stage1,
        };
        let complaint = match draft.validate(today) {
            Ok(complaint) => complaint,
            Err(problems) => {
                warn!(problems = problems.len(), "email refused by the intake rules");
                return Ok(Err(format!("invalid: {}", problems.first().map(ToString::to_string).unwrap_or_default())));
            }
        };
        let key = Arc::clone(&self.reply_token_key);
        let base = self.intake.config.mail.reply_to.clone().unwrap_or_else(|| self.intake.config.mail.from.clone());
        let extras = IntakeExtras {
            events,
            reply_to: Some(Arc::new(move |reference: &CaseRef| {
                complaints_email::token::reply_address(&key, &base, &reference.to_string())
            })),
            social: None,
            mail: None,
            deliver_later: false,
        };
        let request = IntakeRequest { complaint, source_key: Some(source_key), possible_spam: quarantined };
        Ok(Ok(self.intake.submit_with(request, extras).await?))
    }

    fn is_own_domain(&self, address: &str) -> bool {
        let domain_of = |a: &str| a.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase());
        let Some(domain) = domain_of(address) else { return false };
        let config = &self.intake.config.mail;
        std::iter::once(&config.from).chain(config.reply_to.as_ref()).filter_map(|a| domain_of(a)).any(|d| d == domain)
    }
}

/// What a held record shows of a message (nothing of its text).
#[derive(Debug, Default)]
struct Seen {
    message_id: Option<String>,
    from: Option<String>,
    subject: String,
}

/// The parsing limits of an organisation's `[email]` settings: the built-in list of blocked
/// file types plus its own.
#[must_use]
pub fn limits(settings: &complaints_core::email_settings::EmailSettings) -> Limits {
    const MB: usize = 1024 * 1024;
    let mut limits = Limits {
        max_message_bytes: usize::try_from(settings.max_message_mb).unwrap_or(usize::MAX).saturating_mul(MB),
        max_attachment_bytes: usize::try_from(settings.max_attachment_mb).unwrap_or(usize::MAX).saturating_mul(MB),
        max_attachments: usize::try_from(settings.max_attachments).unwrap_or(usize::MAX),
        ..Limits::default()
    };
    for extension in &settings.extra_blocked_extensions {
        let extension = extension.to_ascii_lowercase();
        if !limits.blocked_extensions.contains(&extension) {
            limits.blocked_extensions.push(extension);
        }
    }
    limits
}

/// Every attachment described and none stored (quarantined mail, reports): `why` says why.
fn held_all(email: &InboundEmail, why: &str) -> Vec<EmailAttachment> {
    email
        .attachments
        .iter()
        .map(|a| describe_attachment(a, None, Some(a.held.map_or(why, |h| h.as_str()).to_owned())))
        .collect()
}

fn describe_attachment(
    attachment: &complaints_email::Attachment,
    stored_key: Option<String>,
    held: Option<String>,
) -> EmailAttachment {
    EmailAttachment {
        name: attachment.name.clone(),
        content_type: attachment.content_type.clone(),
        size: attachment.size,
        sha256: attachment.sha256.clone(),
        stored_key,
        held,
    }
}

/// A record lists at most this many attachments and counts the rest: with names of up to 200
/// characters, 100 entries stay well under 128 KB, so a record with its reply text always fits a
/// DynamoDB item (400 KB) however many parts the message has. The attachments past the list are
/// still stored (or held) by their hash; the raw message names them all.
pub const MAX_LISTED_ATTACHMENTS: usize = 100;
/// A record lists at most this many recipients (our addresses, or the message's own To and Cc
/// when the receiving service gave none, which a mass mailing can make thousands long).
pub const MAX_LISTED_RECIPIENTS: usize = 50;
/// Content types are recorded to this many characters (a header can make one any length).
const MAX_CONTENT_TYPE_CHARS: usize = 100;

/// The timeline record of a message, bounded in size (see [`MAX_LISTED_ATTACHMENTS`]).
fn record(
    email: &InboundEmail,
    mut attachments: Vec<EmailAttachment>,
    raw_key: &str,
    envelope: &Envelope,
    reply_text: Option<String>,
    on_closed_case: bool,
) -> ReceivedEmail {
    let mut recipients = envelope.recipients.iter().map(|r| r.to_lowercase()).collect::<Vec<_>>();
    if recipients.is_empty() {
        recipients.clone_from(&email.recipients);
    }
    recipients.truncate(MAX_LISTED_RECIPIENTS);
    let not_listed = attachments.len().saturating_sub(MAX_LISTED_ATTACHMENTS);
    attachments.truncate(MAX_LISTED_ATTACHMENTS);
    for attachment in &mut attachments {
        attachment.content_type = truncate_chars(&attachment.content_type, MAX_CONTENT_TYPE_CHARS);
    }
    ReceivedEmail {
        message_id: email.message_id.clone(),
        raw_key: raw_key.to_owned(),
        recipients,
        reply_text: reply_text.map(|t| truncate_chars(&t, MAX_COMPLAINT_TEXT_CHARS)),
        attachments,
        on_closed_case,
        attachments_not_listed: u64::try_from(not_listed).unwrap_or(u64::MAX),
    }
}

/// The sender as a complainant: the From address and display name (the local part when there is
/// no name). `None` (an anonymous case, R51) when the message has no usable sender.
fn complainant(email: &InboundEmail) -> Option<Complainant> {
    let from = email.from.as_ref()?;
    let address = from.address.as_deref().and_then(|a| EmailAddress::parse(a).ok());
    let name = from
        .name
        .clone()
        .or_else(|| from.address.as_deref().and_then(|a| a.split('@').next()).map(str::to_owned))
        .map(|n| truncate_chars(n.trim(), MAX_COMPLAINT_SHORT_CHARS))
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "Unknown sender".to_owned());
    if address.is_none() && from.name.is_none() {
        return None;
    }
    Some(Complainant { name, email: address, phone: None, handle: None })
}

/// One email, one case: the sender's Message-ID across every receiving address, else SES's id,
/// else the content hash.
/// `content_sha256` gives the hex SHA-256 of the message as received.
fn source_key(email: &InboundEmail, envelope: &Envelope, content_sha256: impl FnOnce() -> String) -> String {
    match (&email.message_id, &envelope.ses_message_id) {
        (Some(id), _) => format!("email:{id}"),
        (None, Some(ses)) => format!("email-ses:{ses}"),
        (None, None) => format!("email-sha256:{}", content_sha256()),
    }
}

/// Where a message's raw bytes are kept when intake stores them: by content hash, so a retry
/// writes the same object.
#[must_use]
pub fn raw_key_for(bytes: &[u8]) -> String {
    format!("{RAW_PREFIX}{}.eml", hex::encode(Sha256::digest(bytes)))
}

/// Case references in a subject (`Re: Your complaint CMP-2026-00042: …`).
fn subject_references(subject: &str, prefix: &str) -> Vec<CaseRef> {
    subject
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|word| word.len() > prefix.len() && word[..prefix.len()].eq_ignore_ascii_case(prefix))
        .filter_map(|word| word.to_ascii_uppercase().parse::<CaseRef>().ok())
        .collect()
}

fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => text[..end].to_owned(),
        None => text.to_owned(),
    }
}

fn system_event(at: DateTime<Utc>, what: CaseEvent) -> TimelineEvent {
    TimelineEvent { at, actor: Actor::System, what }
}
