//! The mail-delivery function's parts: its configuration, the clients built by the first event,
//! and one sweep per scheduled invocation within the invocation's deadline.
//!
//! Social media replies (R50, reserved `.invalid` recipients) are delivered here too: the webhook
//! function only queues them. With `SOCIAL_PARAM_PREFIX` set, the first event reads the send
//! tokens (`META_PAGE_TOKEN`, `WHATSAPP_TOKEN`, `X_BEARER_TOKEN`, SecureString parameters under
//! that path) and builds the platforms' HTTPS client, so a reply that fails once is retried like
//! mail; staff are told when a platform keeps failing, and, after each sweep, when a channel
//! named in `SOCIAL_QUIET_HOURS` has gone quiet (`complaints_app::social_health`).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use complaints_app::outbound::{Delivery, SweepReport};
use complaints_app::ports::SystemClock;
use complaints_app::social::TransportMailer;
use complaints_app::social_health::{ChannelHealth, HealthSettings, QUIET_HOURS_VAR, QuietHours};
use complaints_aws::TrustRoots;
use complaints_lambda::deployment::{CONFIG_SET, Organisation, TABLE_NAME};
use complaints_lambda::{Env, EnvError, Parameters, PrepareError, ScheduledEvent};
use complaints_mail_ses::SesMailer;
use complaints_s3::S3ObjectStore;
use complaints_social::attachments::HttpAttachmentFetcher;
use complaints_social::sender::HttpSocialSender;
use complaints_store_dynamodb::DynamoDbCaseStore;
use serde::Serialize;

/// SSM path of the platforms' send tokens (as intake-social's); unset: no social replies here.
pub(crate) const SOCIAL_PARAM_PREFIX: &str = "SOCIAL_PARAM_PREFIX";
/// The bucket social media attachments are stored in (under `social/attachments/`).
pub(crate) const RAW_BUCKET: &str = "RAW_BUCKET";

/// How long before the invocation's deadline the sweep stops taking another message: one SES
/// call's operation timeout (8 s) and the record of its result fit in it.
pub(crate) const DEADLINE_MARGIN: Duration = Duration::from_secs(10);

/// What the function reads from its environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Config {
    pub(crate) table_name: String,
    /// The SES configuration set every send goes through (bounce and complaint events).
    pub(crate) config_set: Option<String>,
    pub(crate) social_param_prefix: Option<String>,
    /// With social replies on: the organisation (`ORG_NAME`, `SENDER`, `ORG_CONFIG_PARAM`), whose
    /// `[alerts]` name who is told when a platform keeps failing or a channel goes quiet.
    pub(crate) organisation: Option<Organisation>,
    pub(crate) raw_bucket: Option<String>,
    /// The send APIs' base URLs and Graph API version (production defaults).
    pub(crate) endpoints: complaints_social::sender::Endpoints,
    /// The normally busy channels and their hours of quiet before staff are told.
    pub(crate) quiet_hours: QuietHours,
}

impl Config {
    /// # Errors
    /// [`EnvError`] naming the missing variable (`ORG_NAME` and `SENDER` are needed only with
    /// `SOCIAL_PARAM_PREFIX`: only social replies tell staff anything from here).
    pub(crate) fn from_env(env: &Env<'_>) -> Result<Self, EnvError> {
        let social_param_prefix = env.optional(SOCIAL_PARAM_PREFIX);
        let organisation = match social_param_prefix {
            Some(_) => Some(Organisation::from_env(env, false)?),
            None => None,
        };
        Ok(Self {
            table_name: env.required(TABLE_NAME)?,
            config_set: env.optional(CONFIG_SET),
            social_param_prefix,
            organisation,
            raw_bucket: env.optional(RAW_BUCKET),
            endpoints: complaints_social::sender::Endpoints::from_lookup(|name| env.optional(name)),
            quiet_hours: QuietHours::parse(&env.optional(QUIET_HOURS_VAR).unwrap_or_default())
                .map_err(|err| EnvError::Invalid { name: QUIET_HOURS_VAR, why: err.to_string() })?,
        })
    }

    /// The parameters the first event fetches in one call: the three send tokens and the
    /// organisation configuration when named. Empty without `SOCIAL_PARAM_PREFIX`.
    pub(crate) fn parameter_names(&self) -> Vec<String> {
        let Some(prefix) = &self.social_param_prefix else {
            return Vec::new();
        };
        let mut names: Vec<String> =
            complaints_social::config::SEND.iter().map(|name| format!("{prefix}{name}")).collect();
        names.extend(self.organisation.as_ref().and_then(|o| o.org_config_param.clone()));
        names
    }

    /// The send tokens among what SSM returned (a missing one leaves that platform's replies
    /// pending, retried, then given up for staff).
    pub(crate) fn send_tokens(&self, found: &Parameters) -> complaints_social::config::SendTokens {
        let prefix = self.social_param_prefix.as_deref().unwrap_or_default();
        complaints_social::SocialSecrets::from_lookup(|name| {
            found.text(&format!("{prefix}{name}")).ok().map(str::to_owned)
        })
        .tokens
    }

    /// Who is told when a platform keeps failing: `[alerts]` of the organisation configuration,
    /// sent from `SENDER`. `Ok(None)`: nobody is named, so logs and alarms only.
    ///
    /// # Errors
    /// [`PrepareError`] when the named configuration is missing or invalid: the deployment's to
    /// mend, and never silently the same as "nobody to tell".
    pub(crate) fn health_settings(&self, found: &Parameters) -> Result<Option<HealthSettings>, PrepareError> {
        let Some(organisation) = &self.organisation else {
            return Ok(None);
        };
        let toml = organisation.org_config_param.as_deref().map(|name| found.text(name)).transpose()?;
        let org = organisation.org_config(toml)?;
        Ok(HealthSettings::from_config(&org))
    }
}

/// What one invocation did, returned to Lambda (and so to the scheduler's logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) struct Swept {
    pub(crate) sent: usize,
    pub(crate) will_retry: usize,
    pub(crate) failed: usize,
    pub(crate) skipped: usize,
    pub(crate) left_for_later: bool,
}

impl From<SweepReport> for Swept {
    fn from(report: SweepReport) -> Self {
        Self {
            sent: report.sent,
            will_retry: report.will_retry,
            failed: report.failed,
            skipped: report.skipped,
            left_for_later: report.left_for_later,
        }
    }
}

/// The clients, built once by the first event.
pub(crate) struct Ready {
    pub(crate) delivery: Delivery,
    /// Channel health, when staff are told about it: checked for quiet channels after each sweep.
    pub(crate) health: Option<Arc<ChannelHealth>>,
}

/// Builds the DynamoDB store and the SES mailer behind a [`Delivery`].
///
/// # Errors
/// [`PrepareError`].
pub(crate) async fn prepare(config: &Config, roots: TrustRoots) -> Result<Ready, PrepareError> {
    let aws = complaints_aws::lambda_sdk_config(roots)?;
    let store = DynamoDbCaseStore::new(aws_sdk_dynamodb::Client::new(&aws), config.table_name.clone());
    let store = Arc::new(store);
    let mailer = SesMailer::new(aws_sdk_sesv2::Client::new(&aws), config.config_set.clone());
    // Social media replies (R50, reserved `.invalid` recipients) never go to SES: they go to the
    // platforms with the tokens from SSM; without SOCIAL_PARAM_PREFIX they are retried, then
    // given up for staff.
    let names = config.parameter_names();
    let (social, health, attachments) = if names.is_empty() {
        (None, None, None)
    } else {
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let found = Parameters::fetch(&aws_sdk_ssm::Client::new(&aws), &names).await?;
        let tokens = config.send_tokens(&found);
        // Attachments go to the raw bucket under social/attachments/ (kept with the cases).
        let attachments = match &config.raw_bucket {
            Some(bucket) => {
                let objects = Arc::new(S3ObjectStore::new(aws_sdk_s3::Client::new(&aws), bucket.clone()));
                let fetcher = HttpAttachmentFetcher::new(config.endpoints.clone(), tokens.clone(), objects)
                    .map_err(|e| PrepareError::invalid("the platforms' HTTPS client cannot be built", e))?;
                Some(Arc::new(fetcher) as Arc<dyn complaints_app::social_attachments::AttachmentFetcher>)
            }
            None => None,
        };
        let sender = HttpSocialSender::new(config.endpoints.clone(), tokens)
            .map_err(|e| PrepareError::invalid("the platforms' HTTPS client cannot be built", e))?;
        let social: Arc<dyn complaints_app::social::SocialSender> = Arc::new(sender);
        let health = config.health_settings(&found)?.map(|settings| {
            Arc::new(ChannelHealth::new(store.clone(), settings).with_quiet_hours(config.quiet_hours.clone()))
        });
        tracing::info!(staff_told = health.is_some(), attachments = attachments.is_some(), "social replies on");
        (Some(social), health, attachments)
    };
    let clock: Arc<dyn complaints_app::ports::Clock> = Arc::new(SystemClock);
    let mailer = TransportMailer {
        email: Arc::new(mailer),
        social,
        clock: Arc::clone(&clock),
        health: health.clone(),
        attachments,
    };
    // Undeliverable mail flags its case: the store raises it into the staff workspace's flagged
    // register in the same transaction as the timeline entry.
    Ok(Ready { delivery: Delivery::new(store, Arc::new(mailer), clock), health })
}

/// One sweep, stopping [`DEADLINE_MARGIN`] before `deadline`; then, with channel health on, the
/// check for quiet channels (its notices go out on the next sweep, through the same path).
///
/// # Errors
/// The store error when the pending mail cannot be read, so the invocation fails: Lambda retries
/// it (the scheduler invokes asynchronously) and the errors alarm counts it.
pub(crate) async fn run_sweep(
    ready: &Ready,
    event: ScheduledEvent,
    deadline: SystemTime,
) -> Result<Swept, complaints_app::ports::StoreError> {
    let remaining = deadline.duration_since(SystemTime::now()).unwrap_or_default();
    let until = std::time::Instant::now() + remaining.saturating_sub(DEADLINE_MARGIN);
    tracing::info!(scheduled_time = event.scheduled_time.as_deref().unwrap_or("none"), "mail delivery sweep");
    let report = ready.delivery.sweep_until(Some(until)).await.inspect_err(|error| {
        tracing::error!(error.message = %complaints_lambda::error_chain(error), "could not read the pending mail");
    })?;
    if let Some(health) = &ready.health {
        // The sweep's own clock, as every other time it records.
        health.check_quiet(ready.delivery.clock.now()).await;
    }
    Ok(report.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use complaints_app::intake::IntakeRequest;
    use complaints_app::testing::{MailFailure, MemoryCaseStore, RecordingMailer, intake_service, sample_complaint};
    use complaints_core::complaint::Channel;
    use complaints_lambda::deployment::{ORG_CONFIG_PARAM, ORG_NAME, SENDER};

    fn monday() -> chrono::DateTime<chrono::Utc> {
        "2026-03-02T10:00:00Z".parse().expect("instant")
    }

    #[test]
    fn the_table_is_required_and_the_configuration_set_optional() {
        let env = Env::from_lookup(|name| (name == TABLE_NAME).then(|| "complaints-dev".to_owned()));
        let config = Config::from_env(&env).expect("config");
        assert_eq!((config.table_name.as_str(), config.config_set.as_deref()), ("complaints-dev", None));
        assert!(config.parameter_names().is_empty(), "no social path, no parameters");
        let missing = Config::from_env(&Env::from_lookup(|_| None)).expect_err("no table");
        assert!(missing.to_string().contains(TABLE_NAME), "{missing}");
    }

    #[test]
    fn with_a_social_path_the_send_tokens_and_the_org_configuration_are_read_from_ssm() {
        let config = Config::from_env(&social_env(Some("/c/org"))).expect("config");
        let names = config.parameter_names();
        assert_eq!(
            names,
            ["/c/social/META_PAGE_TOKEN", "/c/social/WHATSAPP_TOKEN", "/c/social/X_BEARER_TOKEN", "/c/org"]
        );
        let org_toml = "[alerts]\nteam_mailbox = \"team@council.example.org\"\n".to_owned();
        let found = Parameters::from_pairs([
            ("/c/social/WHATSAPP_TOKEN".to_owned(), "wa-token".to_owned()),
            ("/c/org".to_owned(), org_toml),
        ]);
        let tokens = config.send_tokens(&found);
        assert_eq!((tokens.whatsapp.as_deref(), tokens.page.is_none()), (Some("wa-token"), true));
        let health = config.health_settings(&found).expect("a valid configuration").expect("a team mailbox is named");
        assert_eq!(health.from.as_str(), "complaints@council.example.org");
        assert_eq!(health.recipients.len(), 1);
    }

    fn social_env(org_config_param: Option<&'static str>) -> Env<'static> {
        Env::from_lookup(move |name| match name {
            TABLE_NAME => Some("t".to_owned()),
            SOCIAL_PARAM_PREFIX => Some("/c/social/".to_owned()),
            ORG_CONFIG_PARAM => org_config_param.map(str::to_owned),
            SENDER => Some("complaints@council.example.org".to_owned()),
            ORG_NAME => Some("Example Council".to_owned()),
            _ => None,
        })
    }

    #[test]
    fn a_broken_or_missing_org_configuration_is_a_preparation_error_not_silence() {
        let config = Config::from_env(&social_env(Some("/c/org"))).expect("config");
        let broken = Parameters::from_pairs([("/c/org".to_owned(), "[alerts\nteam_mailbox = 3".to_owned())]);
        let err = config.health_settings(&broken).expect_err("invalid TOML");
        assert!(matches!(err, PrepareError::OrgConfig(_)), "{err}");
        let err = config.health_settings(&Parameters::default()).expect_err("the parameter is missing");
        assert!(matches!(err, PrepareError::Parameters(_)), "{err}");
        // Without an organisation configuration nobody is named: logs and alarms only, no error.
        let unnamed = Config::from_env(&social_env(None)).expect("config");
        assert!(unnamed.health_settings(&Parameters::default()).expect("built-in configuration").is_none());
    }

    #[test]
    fn social_replies_need_the_organisation_and_plain_mail_does_not() {
        let without_name = Env::from_lookup(|name| match name {
            TABLE_NAME => Some("t".to_owned()),
            SOCIAL_PARAM_PREFIX => Some("/c/social/".to_owned()),
            SENDER => Some("complaints@council.example.org".to_owned()),
            _ => None,
        });
        let err = Config::from_env(&without_name).expect_err("no ORG_NAME");
        assert!(err.to_string().contains(ORG_NAME), "{err}");
        let plain = Env::from_lookup(|name| (name == TABLE_NAME).then(|| "t".to_owned()));
        assert_eq!(Config::from_env(&plain).expect("config").organisation, None);
    }

    #[tokio::test]
    async fn the_quiet_check_after_a_sweep_goes_by_the_sweeps_clock() {
        use complaints_app::channel_health_store::ChannelHealthStore as _;
        use complaints_app::ports::CaseStore as _;
        let store = Arc::new(MemoryCaseStore::new());
        let now = chrono::Utc::now();
        store.record_channel_event("x", now).await.expect("event");
        let settings = HealthSettings {
            organisation: "Example Council".to_owned(),
            from: complaints_core::complaint::EmailAddress::parse("complaints@council.example.org").expect("address"),
            recipients: vec![complaints_core::complaint::EmailAddress::parse("team@council.example.org").expect("a")],
        };
        let quiet = QuietHours::parse("x=6").expect("hours");
        let health = Arc::new(ChannelHealth::new(store.clone(), settings).with_quiet_hours(quiet));
        // By the sweep's clock, seven hours later: quiet. By the machine's, not yet.
        let clock = Arc::new(complaints_app::ports::FixedClock(now + chrono::Duration::hours(7)));
        let delivery = Delivery::new(store.clone(), Arc::new(RecordingMailer::new()), clock);
        let ready = Ready { delivery, health: Some(health) };
        let deadline = SystemTime::now() + Duration::from_secs(60);
        run_sweep(&ready, ScheduledEvent::default(), deadline).await.expect("sweep");
        let notices = store.pending_messages(now + chrono::Duration::days(1), 10).await.expect("pending");
        assert_eq!(notices.len(), 1, "the quiet notice is queued");
    }

    #[test]
    fn quiet_hours_are_read_from_the_environment_and_a_wrong_value_is_refused() {
        let env = Env::from_lookup(|name| match name {
            TABLE_NAME => Some("t".to_owned()),
            QUIET_HOURS_VAR => Some("messenger=6,instagram=0,whatsapp=12,x=0".to_owned()),
            _ => None,
        });
        let config = Config::from_env(&env).expect("config");
        assert_eq!(config.quiet_hours, QuietHours::parse("messenger=6,whatsapp=12").expect("hours"));
        let wrong = Env::from_lookup(|name| match name {
            TABLE_NAME => Some("t".to_owned()),
            QUIET_HOURS_VAR => Some("telegram=6".to_owned()),
            _ => None,
        });
        let err = Config::from_env(&wrong).expect_err("not a channel");
        assert!(err.to_string().contains(QUIET_HOURS_VAR), "{err}");
    }

    #[test]
    fn the_schedulers_input_is_read_and_an_empty_input_is_accepted() {
        let event: ScheduledEvent =
            serde_json::from_str(r#"{"scheduledTime":"2026-12-01T08:00:00Z"}"#).expect("scheduler input");
        assert_eq!(event.scheduled_time.as_deref(), Some("2026-12-01T08:00:00Z"));
        let empty: ScheduledEvent = serde_json::from_str("{}").expect("empty input");
        assert_eq!(empty.scheduled_time, None);
    }

    #[tokio::test]
    async fn a_sweep_delivers_what_the_web_function_could_not_send_and_stops_at_the_deadline() {
        let store = Arc::new(MemoryCaseStore::new());
        let mailer = Arc::new(RecordingMailer::failing(MailFailure::Unavailable));
        let intake = intake_service(store.clone(), mailer.clone(), monday());
        for key in ["web:1", "web:2"] {
            let request = IntakeRequest {
                complaint: sample_complaint(Channel::WebForm, Some("jo@example.org")),
                source_key: Some(key.to_owned()),
                possible_spam: false,
            };
            intake.submit(request).await.expect("intake");
        }
        mailer.set_failure(None);
        let later = monday() + chrono::Duration::minutes(5);
        let clock = Arc::new(complaints_app::ports::FixedClock(later));
        let delivery = Delivery::new(store.clone(), mailer.clone(), clock);
        let ready = Ready { delivery, health: None };

        // A deadline already too close: nothing is taken, and the report says so.
        let past = SystemTime::now() + Duration::from_secs(1);
        let swept = run_sweep(&ready, ScheduledEvent::default(), past).await.expect("sweep");
        assert_eq!((swept.sent, swept.left_for_later), (0, true));

        let deadline = SystemTime::now() + Duration::from_secs(60);
        let swept = run_sweep(&ready, ScheduledEvent::default(), deadline).await.expect("sweep");
        assert_eq!((swept.sent, swept.left_for_later), (2, false));
        assert_eq!(mailer.sent().len(), 2);
        let again = run_sweep(&ready, ScheduledEvent::default(), deadline).await.expect("sweep");
        assert_eq!(again.sent, 0, "nothing is sent twice");
    }
}
