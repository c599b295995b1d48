//! Channel health (issue 15 §5): when a platform's replies keep failing — our token refused (an
//! expired or revoked token, a lost permission) or the platform failing several times in a row —
//! staff are told by email through the durable outbound path, at most once per platform per day
//! (a [`NoticeStore`] marker `social-health#<transport>#<date>`). The alarms in the template count
//! the same failures from the log lines ([`SEND_FAILURE_LOG`], [`crate::social::AUTH_FAILURE_LOG`]).
//!
//! The notice names the platform and the kind of failure only: no recipient, no message text.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use complaints_core::case::MessagePurpose;
use complaints_core::complaint::EmailAddress;
use complaints_mail::QueuedMessage;
use complaints_mail::message::{Mailbox, OutboundEmail};
use tracing::{error, info};

use crate::notice_store::{MAX_NOTICE_MESSAGES, NoticeCommit, NoticeStore};
use crate::outbound::NewMessage;
use crate::social::SocialTransport;

/// Consecutive failures (not auth) on one transport after which staff are told.
pub const FAILURES_BEFORE_NOTICE: u32 = 3;

/// The log line every failed platform send writes (metric filter per platform in the template).
pub const SEND_FAILURE_LOG: &str = "social send failed";

/// What went wrong with a send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendTrouble {
    /// The platform refused our credentials: nothing gets through until someone renews them.
    Auth,
    /// Throttled, timed out or failed on the platform's side.
    Unavailable,
}

/// Who is told, and as whom.
#[derive(Debug, Clone)]
pub struct HealthSettings {
    pub organisation: String,
    /// The organisation's sending address (`[mail] from`).
    pub from: EmailAddress,
    /// The team mailbox and complaints manager (`[alerts]`); nobody means log and alarm only.
    pub recipients: Vec<EmailAddress>,
}

impl HealthSettings {
    /// From the organisation's configuration: `[mail] from` as the sender, `[alerts]`'s team
    /// mailbox and complaints manager as the recipients. `None` when the sender is not an address
    /// or nobody valid is named.
    #[must_use]
    pub fn from_config(config: &complaints_core::config::OrgConfig) -> Option<Self> {
        let from = EmailAddress::parse(&config.mail.from).ok()?;
        let recipients: Vec<EmailAddress> = [&config.alerts.team_mailbox, &config.alerts.complaints_manager]
            .into_iter()
            .flatten()
            .filter_map(|address| EmailAddress::parse(address.trim()).ok())
            .collect();
        (!recipients.is_empty()).then(|| Self { organisation: config.organisation.name.clone(), from, recipients })
    }
}

/// Tracks failures per transport and writes the staff notice.
pub struct ChannelHealth {
    notices: Arc<dyn NoticeStore>,
    settings: HealthSettings,
    failures: Mutex<HashMap<SocialTransport, u32>>,
}

impl std::fmt::Debug for ChannelHealth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelHealth").field("recipients", &self.settings.recipients.len()).finish_non_exhaustive()
    }
}

/// The once-only marker of a platform's notice on a day.
#[must_use]
pub fn health_marker(transport: SocialTransport, at: DateTime<Utc>) -> String {
    format!("social-health#{}#{}", transport.as_str(), at.format("%Y-%m-%d"))
}

impl ChannelHealth {
    #[must_use]
    pub fn new(notices: Arc<dyn NoticeStore>, mut settings: HealthSettings) -> Self {
        let mut seen = std::collections::HashSet::new();
        settings.recipients.retain(|address| seen.insert(address.as_str().to_owned()));
        settings.recipients.truncate(MAX_NOTICE_MESSAGES);
        Self { notices, settings, failures: Mutex::new(HashMap::new()) }
    }

    fn failures(&self) -> std::sync::MutexGuard<'_, HashMap<SocialTransport, u32>> {
        self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A send on `transport` went through: the run of failures is over.
    pub fn succeeded(&self, transport: SocialTransport) {
        self.failures().remove(&transport);
    }

    /// A send on `transport` failed. Returns whether a notice was written now. Never fails: a
    /// notice that cannot be written is logged (the alarm still fires) and tried on the next
    /// failure.
    pub async fn failed(&self, transport: SocialTransport, trouble: SendTrouble, at: DateTime<Utc>) -> bool {
        let run = {
            let mut failures = self.failures();
            let run = failures.entry(transport).or_default();
            *run = run.saturating_add(1);
            *run
        };
        if trouble == SendTrouble::Unavailable && run < FAILURES_BEFORE_NOTICE {
            return false;
        }
        if self.settings.recipients.is_empty() {
            return false;
        }
        let marker = health_marker(transport, at);
        let messages = self.messages(transport, trouble, at);
        match self.notices.queue_notice_once(&marker, messages).await {
            Ok(NoticeCommit::Written) => {
                info!(transport = transport.as_str(), "channel health notice queued for staff");
                true
            }
            Ok(NoticeCommit::AlreadyPlaced) => false,
            Err(err) => {
                error!(transport = transport.as_str(), error = %crate::error_chain(&err), "channel health notice not written");
                false
            }
        }
    }

    fn messages(&self, transport: SocialTransport, trouble: SendTrouble, at: DateTime<Utc>) -> Vec<NewMessage> {
        let platform = transport.label();
        let (subject, what) = match trouble {
            SendTrouble::Auth => (
                format!("{platform} replies are failing: our access token was refused"),
                format!(
                    "{platform} refused our access token when we tried to send a private reply. Until the token \
                     is renewed (or the missing permission granted), no reply reaches anyone on {platform}; \
                     the replies wait and are retried. See docs/social.md, \"Tokens and channel health\"."
                ),
            ),
            SendTrouble::Unavailable => (
                format!("{platform} replies are failing"),
                format!(
                    "The last {FAILURES_BEFORE_NOTICE} private replies on {platform} failed (the platform was \
                     unavailable, slow or throttling us). They are retried; if this goes on, check the \
                     platform's status and docs/social.md, \"Tokens and channel health\"."
                ),
            ),
        };
        let text = format!("{what}\n\nThis notice is sent at most once a day for each platform.\n");
        let html = format!(
            "<!doctype html><html lang=\"en\"><body><p>{what}</p><p>This notice is sent at most once a day for each platform.</p></body></html>"
        );
        let domain = self.settings.from.as_str().rsplit_once('@').map_or("localhost", |(_, d)| d).to_owned();
        self.settings
            .recipients
            .iter()
            .enumerate()
            .map(|(n, to)| {
                let message_id = format!("social-health.{}.{}.{n}@{domain}", transport.as_str(), at.format("%Y%m%d"));
                let email = OutboundEmail {
                    message_id,
                    date: at,
                    from: Mailbox {
                        name: Some(self.settings.organisation.clone()),
                        address: self.settings.from.clone(),
                    },
                    reply_to: None,
                    to: vec![Mailbox { name: None, address: to.clone() }],
                    subject: subject.clone(),
                    text: text.clone(),
                    html: html.clone(),
                    auto_submitted: true,
                    in_reply_to: None,
                    case_ref: None,
                };
                NewMessage {
                    message: QueuedMessage::from_email(&email, MessagePurpose::StaffNotice),
                    recipient_key: None,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::CaseStore as _;
    use crate::testing::MemoryCaseStore;

    fn settings() -> HealthSettings {
        HealthSettings {
            organisation: "Example Council".to_owned(),
            from: EmailAddress::parse("complaints@council.example.org").expect("address"),
            recipients: vec![EmailAddress::parse("team@council.example.org").expect("address")],
        }
    }

    fn at(hour: u32) -> DateTime<Utc> {
        use chrono::TimeZone as _;
        Utc.with_ymd_and_hms(2026, 11, 25, hour, 0, 0).single().expect("instant")
    }

    #[tokio::test]
    async fn an_auth_failure_tells_staff_once_a_day_per_platform() {
        let store = Arc::new(MemoryCaseStore::new());
        let health = ChannelHealth::new(store.clone(), settings());
        assert!(health.failed(SocialTransport::WhatsApp, SendTrouble::Auth, at(9)).await);
        assert!(!health.failed(SocialTransport::WhatsApp, SendTrouble::Auth, at(10)).await, "once a day");
        assert!(health.failed(SocialTransport::X, SendTrouble::Auth, at(10)).await, "each platform");
        let pending = store.pending_messages(at(12), 10).await.expect("pending");
        assert_eq!(pending.len(), 2);
        let raw = String::from_utf8_lossy(&pending[0].message.raw).into_owned();
        assert!(raw.contains("access token"), "{raw}");
        assert_eq!(pending[0].message.purpose, MessagePurpose::StaffNotice);
    }

    #[tokio::test]
    async fn platform_failures_tell_staff_only_when_they_keep_failing() {
        let store = Arc::new(MemoryCaseStore::new());
        let health = ChannelHealth::new(store.clone(), settings());
        for _ in 1..FAILURES_BEFORE_NOTICE {
            assert!(!health.failed(SocialTransport::Messenger, SendTrouble::Unavailable, at(9)).await);
        }
        health.succeeded(SocialTransport::Messenger);
        for _ in 1..FAILURES_BEFORE_NOTICE {
            assert!(!health.failed(SocialTransport::Messenger, SendTrouble::Unavailable, at(9)).await);
        }
        assert!(store.pending_messages(at(12), 10).await.expect("pending").is_empty(), "a success resets the run");
        assert!(health.failed(SocialTransport::Messenger, SendTrouble::Unavailable, at(9)).await);
        assert_eq!(store.pending_messages(at(12), 10).await.expect("pending").len(), 1);
    }
}
