//! Attachments of private social media messages (issue 15 §1, R50): fetched from the platform
//! and stored with the case, never inside the webhook request.
//!
//! When a message with attachments is taken in, one **fetch job** per attachment is written as a
//! pending message of the durable outbound path (purpose `attachment-fetch`, recipient the
//! reserved `fetch@attachments.invalid`, RFC 2606: never deliverable), with a
//! `social-attachments-queued` timeline entry naming where each will be stored. The delivery
//! sweep hands jobs to an [`AttachmentFetcher`] (through [`crate::social::TransportMailer`]), so
//! a fetch that fails is retried with the sweep's backoff, and one that keeps failing, or is over
//! the size limit, is recorded undeliverable on the case and the case is flagged for staff:
//! retried or visibly quarantined, never lost (the raw delivery still holds the platform's
//! reference).
//!
//! Where each platform puts the content: Messenger and Instagram give a URL in the payload
//! (`attachments[].payload.url`); WhatsApp gives a media id, exchanged for a short-lived URL with
//! the WhatsApp token (`GET {graph}/{version}/{media-id}`, then the URL with the same token); X
//! gives `attachment.media.media_url_https`, fetched with the X token.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use complaints_core::case::{CaseEvent, MessagePurpose, SocialAttachment};
use complaints_core::complaint::EmailAddress;
use complaints_core::reference::CaseRef;
use complaints_mail::QueuedMessage;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::outbound::NewMessage;
use crate::social::{SocialSendError, SocialTransport};

/// The largest attachment stored (Messenger's own limit is 25 MB).
pub const MAX_ATTACHMENT_BYTES: usize = 25 * 1024 * 1024;

/// The most attachments fetched from one message; more are noted on the case only.
pub const MAX_ATTACHMENTS_PER_MESSAGE: usize = 10;

/// The reserved recipient of fetch jobs (RFC 2606 `.invalid`).
pub const FETCH_RECIPIENT: &str = "fetch@attachments.invalid";

/// Where an attachment's content is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "type", content = "value")]
pub enum AttachmentSource {
    /// A URL given in the payload (Messenger, Instagram, X).
    Url(String),
    /// A WhatsApp media id, exchanged for a URL with the token.
    WhatsAppMedia(String),
}

/// An attachment as the edge parsed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRef {
    pub kind: String,
    pub source: AttachmentSource,
}

/// One fetch, as its pending message carries it (JSON in the message body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentJob {
    pub transport: String,
    pub kind: String,
    pub source: AttachmentSource,
    pub stored_key: String,
}

impl AttachmentJob {
    /// The transport the job fetches from.
    #[must_use]
    pub fn transport(&self) -> Option<SocialTransport> {
        SocialTransport::ALL.into_iter().find(|t| t.as_str() == self.transport)
    }
}

/// Fetches one attachment and stores it at the job's key.
#[async_trait]
pub trait AttachmentFetcher: Send + Sync {
    /// # Errors
    /// [`SocialSendError::Rejected`] for good (too large, not found, a URL we will not fetch);
    /// [`SocialSendError::Auth`] when our token was refused; [`SocialSendError::Unavailable`] to
    /// try again later.
    async fn fetch(&self, job: &AttachmentJob) -> Result<(), SocialSendError>;
}

/// The timeline entry and the fetch jobs for `media` of the message `message_ref` on the case
/// `reference`, or `None` when there is nothing to fetch. Keys and ids are derived from the
/// case and the message id, so a repeat plans the same keys.
#[must_use]
pub fn plan(
    reference: &CaseRef,
    transport: SocialTransport,
    message_ref: &str,
    media: &[MediaRef],
    from: &EmailAddress,
    now: DateTime<Utc>,
) -> Option<(CaseEvent, Vec<NewMessage>)> {
    if media.is_empty() {
        return None;
    }
    let to = EmailAddress::parse(FETCH_RECIPIENT).ok()?;
    let hash = hex::encode(Sha256::digest(format!("{transport:?}\0{message_ref}").as_bytes()));
    let hash = &hash[..24];
    let case = reference.to_string();
    let mut attachments = Vec::new();
    let mut messages = Vec::new();
    for (n, item) in media.iter().take(MAX_ATTACHMENTS_PER_MESSAGE).enumerate() {
        let kind: String =
            item.kind.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(32).collect::<String>();
        let kind = if kind.is_empty() { "file".to_owned() } else { kind };
        let stored_key = format!("social/attachments/{case}/{hash}-{n}-{kind}");
        let fetch_id = format!("{}.fetch.{hash}.{n}@attachments.invalid", case.to_lowercase());
        let job = AttachmentJob {
            transport: transport.as_str().to_owned(),
            kind: kind.clone(),
            source: item.source.clone(),
            stored_key: stored_key.clone(),
        };
        let raw = serde_json::to_vec(&job).unwrap_or_default();
        messages.push(NewMessage {
            message: QueuedMessage {
                message_id: fetch_id.clone(),
                case_ref: Some(reference.clone()),
                purpose: MessagePurpose::AttachmentFetch,
                from: from.clone(),
                to: vec![to.clone()],
                date: now,
                raw,
            },
            recipient_key: None,
        });
        attachments.push(SocialAttachment { kind, stored_key, fetch_id });
    }
    let event = CaseEvent::SocialAttachmentsQueued {
        channel: transport.channel(),
        message_ref: message_ref.to_owned(),
        attachments,
    };
    Some((event, messages))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_attachment_gets_a_stable_key_and_a_fetch_job_the_sweep_can_read() {
        let reference: CaseRef = "EXC-2026-00042".parse().expect("reference");
        let from = EmailAddress::parse("complaints@council.example.org").expect("address");
        let media = vec![
            MediaRef {
                kind: "image".to_owned(),
                source: AttachmentSource::Url("https://cdn.example/a.png".to_owned()),
            },
            MediaRef { kind: "aud/io".to_owned(), source: AttachmentSource::WhatsAppMedia("123".to_owned()) },
        ];
        let now = chrono::Utc::now();
        let (event, jobs) = plan(&reference, SocialTransport::WhatsApp, "wamid.1", &media, &from, now).expect("plan");
        let again = plan(&reference, SocialTransport::WhatsApp, "wamid.1", &media, &from, now).expect("plan");
        assert_eq!(event, again.0, "a repeat plans the same keys");
        let CaseEvent::SocialAttachmentsQueued { attachments, .. } = event else { panic!("not the event") };
        assert_eq!(attachments.len(), 2);
        assert!(attachments[0].stored_key.starts_with("social/attachments/EXC-2026-00042/"));
        assert!(attachments[1].stored_key.ends_with("-1-audio"), "{}", attachments[1].stored_key);
        let job: AttachmentJob = serde_json::from_slice(&jobs[1].message.raw).expect("job");
        assert_eq!(job.source, AttachmentSource::WhatsAppMedia("123".to_owned()));
        assert_eq!(job.transport(), Some(SocialTransport::WhatsApp));
        assert_eq!(jobs[0].message.purpose, MessagePurpose::AttachmentFetch);
        assert!(plan(&reference, SocialTransport::X, "m", &[], &from, now).is_none());
    }
}
