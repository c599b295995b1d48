//! Channel health (issue 15 §5). Staff are told by email through the durable outbound path when
//! a platform's replies keep failing — our token refused (an expired or revoked token, a lost
//! permission) or the platform failing [`FAILURES_BEFORE_NOTICE`] times in a row — at most once
//! per platform per day (a [`NoticeStore`] marker `social-health#<transport>#<date>`), and when a
//! normally busy channel has gone quiet — no event taken in for its configured hours
//! ([`QuietHours`]) — once per quiet spell (marker `social-quiet#<transport>#<last event>`). The
//! run of failures and the last event time are kept in the store ([`ChannelHealthStore`]), so a
//! cold start of the sweep forgets neither. The alarms in the template count the same things
//! from the log lines ([`SEND_FAILURE_LOG`], [`crate::social::AUTH_FAILURE_LOG`],
//! [`crate::social::CHANNEL_EVENT_LOG`]).
//!
//! A notice names the platform and the kind of trouble only: no recipient, no message text.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use complaints_core::case::MessagePurpose;
use complaints_core::complaint::EmailAddress;
use complaints_mail::QueuedMessage;
use complaints_mail::message::{Mailbox, OutboundEmail};
use tracing::{error, info, warn};

use crate::channel_health_store::ChannelHealthStore;
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

/// The variable (and template parameter's value) naming the normally busy channels and the hours
/// of quiet after which staff are told: `messenger=6,instagram=0,whatsapp=12,x=0` (0 or absent:
/// not watched).
pub const QUIET_HOURS_VAR: &str = "SOCIAL_QUIET_HOURS";

/// Which channels are normally busy, and after how many hours without an event that is news.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuietHours(Vec<(SocialTransport, u32)>);

/// Why a [`QUIET_HOURS_VAR`] value was not understood.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{QUIET_HOURS_VAR}: `{0}` is not `<messenger|instagram|whatsapp|x>=<hours>`")]
pub struct QuietHoursError(String);

impl QuietHours {
    /// Parses `channel=hours` pairs separated by commas; hours 0 turns a channel off.
    ///
    /// # Errors
    /// [`QuietHoursError`] naming the first pair not understood.
    pub fn parse(text: &str) -> Result<Self, QuietHoursError> {
        let mut watched = Vec::new();
        for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let parsed = pair.split_once('=').and_then(|(name, hours)| {
                let transport = SocialTransport::ALL.into_iter().find(|t| t.as_str() == name.trim())?;
                Some((transport, hours.trim().parse::<u32>().ok()?))
            });
            let Some((transport, hours)) = parsed else {
                return Err(QuietHoursError(pair.chars().take(64).collect()));
            };
            watched.retain(|(t, _)| *t != transport);
            if hours > 0 {
                watched.push((transport, hours));
            }
        }
        Ok(Self(watched))
    }

    /// The channels watched, with their hours.
    #[must_use]
    pub fn watched(&self) -> &[(SocialTransport, u32)] {
        &self.0
    }
}

/// Keeps the run of failures per transport in the store, notices quiet channels, and writes the
/// staff notices.
pub struct ChannelHealth {
    notices: Arc<dyn NoticeStore>,
    channels: Arc<dyn ChannelHealthStore>,
    settings: HealthSettings,
    quiet: QuietHours,
}

impl std::fmt::Debug for ChannelHealth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelHealth")
            .field("recipients", &self.settings.recipients.len())
            .field("quiet", &self.quiet)
            .finish_non_exhaustive()
    }
}

/// The once-only marker of a platform's failure notice on a day.
#[must_use]
pub fn health_marker(transport: SocialTransport, at: DateTime<Utc>) -> String {
    format!("social-health#{}#{}", transport.as_str(), at.format("%Y-%m-%d"))
}

/// The once-only marker of a quiet spell: the channel and the time of its last event, so a new
/// event ends the spell and a later quiet spell is told again.
#[must_use]
pub fn quiet_marker(transport: SocialTransport, last_event_at: DateTime<Utc>) -> String {
    format!("social-quiet#{}#{}", transport.as_str(), last_event_at.format("%Y%m%dT%H%M%S%.6fZ"))
}

impl ChannelHealth {
    /// Health kept in `store` (the case store: it holds the notices and the channel state).
    #[must_use]
    pub fn new<S>(store: Arc<S>, mut settings: HealthSettings) -> Self
    where
        S: NoticeStore + ChannelHealthStore + 'static,
    {
        let mut seen = std::collections::HashSet::new();
        settings.recipients.retain(|address| seen.insert(address.as_str().to_owned()));
        settings.recipients.truncate(MAX_NOTICE_MESSAGES);
        let notices: Arc<dyn NoticeStore> = store.clone();
        Self { notices, channels: store, settings, quiet: QuietHours::default() }
    }

    /// Watches these channels for quiet spells ([`Self::check_quiet`]).
    #[must_use]
    pub fn with_quiet_hours(mut self, quiet: QuietHours) -> Self {
        self.quiet = quiet;
        self
    }

    /// A send on `transport` went through: the run of failures is over. Never fails: a store
    /// that cannot be written is logged, and the run goes on counting.
    pub async fn succeeded(&self, transport: SocialTransport) {
        if let Err(err) = self.channels.clear_channel_failures(transport.as_str()).await {
            error!(transport = transport.as_str(), error = %crate::error_chain(&err), "channel failures not cleared");
        }
    }

    /// A send on `transport` failed. Returns whether a notice was written now. Never fails: a
    /// notice that cannot be written is logged (the alarm still fires) and tried on the next
    /// failure.
    pub async fn failed(&self, transport: SocialTransport, trouble: SendTrouble, at: DateTime<Utc>) -> bool {
        let run = match self.channels.add_channel_failure(transport.as_str()).await {
            Ok(run) => run,
            Err(err) => {
                error!(transport = transport.as_str(), error = %crate::error_chain(&err), "channel failure not counted");
                // Unknown: an auth failure is still told; another kind waits for a count.
                0
            }
        };
        if trouble == SendTrouble::Unavailable && run < FAILURES_BEFORE_NOTICE {
            return false;
        }
        if self.settings.recipients.is_empty() {
            return false;
        }
        let marker = health_marker(transport, at);
        let messages = self.failure_messages(transport, trouble, at);
        self.queue(&marker, messages, transport, "channel health notice queued for staff").await
    }

    /// Tells staff about each watched channel with no event for its hours, once per quiet spell.
    /// A channel never heard from is not told about (it was never busy; the alarm covers a
    /// subscription that never worked). Returns how many notices were written now. Never fails:
    /// what cannot be read or written is logged and tried on the next sweep.
    pub async fn check_quiet(&self, now: DateTime<Utc>) -> usize {
        let mut written = 0;
        for &(transport, hours) in self.quiet.watched() {
            let state = match self.channels.channel_state(transport.as_str()).await {
                Ok(state) => state,
                Err(err) => {
                    error!(transport = transport.as_str(), error = %crate::error_chain(&err), "channel state not read");
                    continue;
                }
            };
            let Some(last) = state.last_event_at else { continue };
            if now - last < chrono::Duration::hours(i64::from(hours)) {
                continue;
            }
            warn!(transport = transport.as_str(), quiet_hours = hours, "social channel quiet");
            if self.settings.recipients.is_empty() {
                continue;
            }
            let messages = self.quiet_messages(transport, hours, last, now);
            if self
                .queue(&quiet_marker(transport, last), messages, transport, "quiet channel notice queued for staff")
                .await
            {
                written += 1;
            }
        }
        written
    }

    async fn queue(&self, marker: &str, messages: Vec<NewMessage>, transport: SocialTransport, done: &str) -> bool {
        match self.notices.queue_notice_once(marker, messages).await {
            Ok(NoticeCommit::Written) => {
                info!(transport = transport.as_str(), "{done}");
                true
            }
            Ok(NoticeCommit::AlreadyPlaced) => false,
            Err(err) => {
                error!(transport = transport.as_str(), error = %crate::error_chain(&err), "channel health notice not written");
                false
            }
        }
    }

    fn failure_messages(&self, transport: SocialTransport, trouble: SendTrouble, at: DateTime<Utc>) -> Vec<NewMessage> {
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
        let stem = format!("social-health.{}.{}", transport.as_str(), at.format("%Y%m%d"));
        self.notice(&stem, &subject, &what, "This notice is sent at most once a day for each platform.", at)
    }

    fn quiet_messages(
        &self,
        transport: SocialTransport,
        hours: u32,
        last: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Vec<NewMessage> {
        let platform = transport.label();
        let subject = format!("No {platform} messages for {hours} hours");
        // In UK time, as the staff pages give every time (R8).
        let local = complaints_core::workdays::local_date_time(last);
        let what = format!(
            "Nothing has reached us on {platform} since {}, {} (UK time), and this channel is normally busy. \
             The webhook subscription may have been dropped, the app disabled or the account \
             disconnected: check the platform's webhook settings and docs/social.md, \"Tokens and \
             channel health\".",
            complaints_core::dates::long_date(local.date()),
            local.format("%H:%M")
        );
        let stem = format!("social-quiet.{}.{}", transport.as_str(), last.format("%Y%m%dT%H%M%S%6f"));
        self.notice(&stem, &subject, &what, "This notice is sent once until the channel is heard from again.", now)
    }

    /// One notice email per recipient, with Message-IDs `<stem>.<n>@<our domain>`.
    fn notice(&self, stem: &str, subject: &str, what: &str, footer: &str, at: DateTime<Utc>) -> Vec<NewMessage> {
        let text = format!("{what}\n\n{footer}\n");
        let html = format!("<!doctype html><html lang=\"en\"><body><p>{what}</p><p>{footer}</p></body></html>");
        let domain = self.settings.from.as_str().rsplit_once('@').map_or("localhost", |(_, d)| d).to_owned();
        self.settings
            .recipients
            .iter()
            .enumerate()
            .map(|(n, to)| {
                let email = OutboundEmail {
                    message_id: format!("{stem}.{n}@{domain}"),
                    date: at,
                    from: Mailbox {
                        name: Some(self.settings.organisation.clone()),
                        address: self.settings.from.clone(),
                    },
                    reply_to: None,
                    to: vec![Mailbox { name: None, address: to.clone() }],
                    subject: subject.to_owned(),
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
        health.succeeded(SocialTransport::Messenger).await;
        for _ in 1..FAILURES_BEFORE_NOTICE {
            assert!(!health.failed(SocialTransport::Messenger, SendTrouble::Unavailable, at(9)).await);
        }
        assert!(store.pending_messages(at(12), 10).await.expect("pending").is_empty(), "a success resets the run");
        assert!(health.failed(SocialTransport::Messenger, SendTrouble::Unavailable, at(9)).await);
        assert_eq!(store.pending_messages(at(12), 10).await.expect("pending").len(), 1);
    }

    #[tokio::test]
    async fn the_run_of_failures_survives_a_cold_start_because_the_store_keeps_it() {
        let store = Arc::new(MemoryCaseStore::new());
        let before = ChannelHealth::new(store.clone(), settings());
        for _ in 1..FAILURES_BEFORE_NOTICE {
            assert!(!before.failed(SocialTransport::X, SendTrouble::Unavailable, at(9)).await);
        }
        drop(before);
        let after = ChannelHealth::new(store.clone(), settings());
        assert!(after.failed(SocialTransport::X, SendTrouble::Unavailable, at(9)).await, "the run went on counting");
        assert_eq!(store.pending_messages(at(12), 10).await.expect("pending").len(), 1);
    }

    #[tokio::test]
    async fn a_quiet_channel_tells_staff_once_per_quiet_spell() {
        use crate::channel_health_store::ChannelHealthStore as _;
        let store = Arc::new(MemoryCaseStore::new());
        let quiet = QuietHours::parse("whatsapp=6, messenger=0").expect("hours");
        let health = ChannelHealth::new(store.clone(), settings()).with_quiet_hours(quiet);
        assert_eq!(health.check_quiet(at(9)).await, 0, "a channel never heard from is not told about");
        store.record_channel_event("whatsapp", at(1)).await.expect("event");
        store.record_channel_event("messenger", at(1)).await.expect("event");
        assert_eq!(health.check_quiet(at(6)).await, 0, "five hours is not quiet yet");
        assert_eq!(health.check_quiet(at(7)).await, 1, "six hours is");
        assert_eq!(health.check_quiet(at(8)).await, 0, "once per spell");
        let pending = store.pending_messages(at(12), 10).await.expect("pending");
        assert_eq!(pending.len(), 1, "messenger is not watched");
        let raw = String::from_utf8_lossy(&pending[0].message.raw).into_owned();
        assert!(raw.contains("No WhatsApp messages for 6 hours"), "{raw}");
        store.record_channel_event("whatsapp", at(9)).await.expect("heard from again");
        assert_eq!(health.check_quiet(at(14)).await, 0);
        assert_eq!(health.check_quiet(at(15)).await, 1, "a new spell is told again");
    }

    #[tokio::test]
    async fn a_quiet_notice_gives_the_last_message_in_uk_time() {
        use crate::channel_health_store::ChannelHealthStore as _;
        use chrono::TimeZone as _;
        let store = Arc::new(MemoryCaseStore::new());
        let quiet = QuietHours::parse("x=6").expect("hours");
        let health = ChannelHealth::new(store.clone(), settings()).with_quiet_hours(quiet);
        // 30 June, summer time: 08:15 UTC is 09:15 in the UK.
        let last = Utc.with_ymd_and_hms(2026, 6, 30, 8, 15, 0).single().expect("instant");
        store.record_channel_event("x", last).await.expect("event");
        assert_eq!(health.check_quiet(last + chrono::Duration::hours(7)).await, 1);
        let pending = store.pending_messages(last + chrono::Duration::days(1), 10).await.expect("pending");
        let raw = String::from_utf8_lossy(&pending[0].message.raw).into_owned();
        let unfolded = raw.replace("=\r\n", "").replace("\r\n ", " ");
        let expected = format!("{}, 09:15 (UK time)", complaints_core::dates::long_date(last.date_naive()));
        assert!(unfolded.contains(&expected), "{unfolded}");
    }

    #[test]
    fn quiet_hours_name_channels_and_hours_and_refuse_anything_else() {
        let parsed = QuietHours::parse("messenger=6,instagram=0, whatsapp = 12,x=1").expect("hours");
        assert_eq!(
            parsed.watched(),
            [(SocialTransport::Messenger, 6), (SocialTransport::WhatsApp, 12), (SocialTransport::X, 1)]
        );
        assert_eq!(QuietHours::parse("").expect("empty"), QuietHours::default());
        for wrong in ["telegram=3", "x", "x=-1", "x=soon"] {
            assert!(QuietHours::parse(wrong).is_err(), "{wrong}");
        }
    }
}
