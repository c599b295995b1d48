//! The mail-delivery function's parts: its configuration, the clients built by the first event,
//! and one sweep per scheduled invocation within the invocation's deadline.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use complaints_app::outbound::{Delivery, SweepReport};
use complaints_app::ports::SystemClock;
use complaints_aws::TrustRoots;
use complaints_lambda::{Env, EnvError, StartupError};
use complaints_mail_ses::SesMailer;
use complaints_store_dynamodb::DynamoDbCaseStore;
use serde::{Deserialize, Serialize};

/// Names of the variables, as the template sets them.
pub(crate) const TABLE_NAME: &str = "TABLE_NAME";
pub(crate) const CONFIG_SET: &str = "CONFIG_SET";

/// How long before the invocation's deadline the sweep stops taking another message: one SES
/// call's operation timeout (8 s) and the record of its result fit in it.
pub(crate) const DEADLINE_MARGIN: Duration = Duration::from_secs(10);

/// What the function reads from its environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Config {
    pub(crate) table_name: String,
    /// The SES configuration set every send goes through (bounce and complaint events).
    pub(crate) config_set: Option<String>,
}

impl Config {
    /// # Errors
    /// [`EnvError`] naming the missing variable.
    pub(crate) fn from_env(env: &Env<'_>) -> Result<Self, EnvError> {
        Ok(Self { table_name: env.required(TABLE_NAME)?, config_set: env.optional(CONFIG_SET) })
    }
}

/// The scheduler's input (EventBridge Scheduler sends only the configured input, no envelope):
/// `{"scheduledTime": "<aws.scheduler.scheduled-time>"}`. Delivery goes by the real clock; the
/// scheduled time is logged so a late or retried run can be told apart.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct ScheduledEvent {
    #[serde(rename = "scheduledTime", default)]
    pub(crate) scheduled_time: Option<String>,
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
}

impl std::fmt::Debug for Ready {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ready").finish_non_exhaustive()
    }
}

/// Why the clients could not be built: the Lambda environment lacks what the SDK needs, which no
/// retry mends.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub(crate) struct PrepareError(#[from] complaints_aws::LambdaSdkError);

impl StartupError for PrepareError {
    fn is_transient(&self) -> bool {
        false
    }
}

/// Builds the DynamoDB store and the SES mailer behind a [`Delivery`].
///
/// # Errors
/// [`PrepareError`].
pub(crate) async fn prepare(config: &Config, roots: TrustRoots) -> Result<Ready, PrepareError> {
    let aws = complaints_aws::lambda_sdk_config(roots)?;
    let store = DynamoDbCaseStore::new(aws_sdk_dynamodb::Client::new(&aws), config.table_name.clone());
    let mailer = SesMailer::new(aws_sdk_sesv2::Client::new(&aws), config.config_set.clone());
    // Social media replies (R50, reserved `.invalid` recipients) never go to SES: this function
    // has no platform tokens, so they stay with intake-social's delivery and are given up for
    // staff after the retries.
    let clock: Arc<dyn complaints_app::ports::Clock> = Arc::new(SystemClock);
    let mailer =
        complaints_app::social::TransportMailer { email: Arc::new(mailer), social: None, clock: Arc::clone(&clock) };
    // Undeliverable mail flags its case: raised into the staff workspace's flagged register too.
    let store = Arc::new(store);
    let store = Arc::new(complaints_app::flagging_store::FlaggingCaseStore::new(store.clone(), store));
    Ok(Ready { delivery: Delivery::new(store, Arc::new(mailer), clock) })
}

/// One sweep, stopping [`DEADLINE_MARGIN`] before `deadline`.
///
/// # Errors
/// The store error when the pending mail cannot be read, so the invocation fails: Lambda retries
/// it (the scheduler invokes asynchronously) and the errors alarm counts it.
pub(crate) async fn run_sweep(
    delivery: &Delivery,
    event: ScheduledEvent,
    deadline: SystemTime,
) -> Result<Swept, complaints_app::ports::StoreError> {
    let remaining = deadline.duration_since(SystemTime::now()).unwrap_or_default();
    let until = std::time::Instant::now() + remaining.saturating_sub(DEADLINE_MARGIN);
    tracing::info!(scheduled_time = event.scheduled_time.as_deref().unwrap_or("none"), "mail delivery sweep");
    let report = delivery.sweep_until(Some(until)).await.inspect_err(|error| {
        tracing::error!(error.message = %complaints_lambda::error_chain(error), "could not read the pending mail");
    })?;
    Ok(report.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use complaints_app::intake::IntakeRequest;
    use complaints_app::testing::{MailFailure, MemoryCaseStore, RecordingMailer, intake_service, sample_complaint};
    use complaints_core::complaint::Channel;

    fn monday() -> chrono::DateTime<chrono::Utc> {
        "2026-03-02T10:00:00Z".parse().expect("instant")
    }

    #[test]
    fn the_table_is_required_and_the_configuration_set_optional() {
        let env = Env::from_lookup(|name| (name == TABLE_NAME).then(|| "complaints-dev".to_owned()));
        assert_eq!(
            Config::from_env(&env).expect("config"),
            Config { table_name: "complaints-dev".to_owned(), config_set: None }
        );
        let missing = Config::from_env(&Env::from_lookup(|_| None)).expect_err("no table");
        assert!(missing.to_string().contains(TABLE_NAME), "{missing}");
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

        // A deadline already too close: nothing is taken, and the report says so.
        let past = SystemTime::now() + Duration::from_secs(1);
        let swept = run_sweep(&delivery, ScheduledEvent::default(), past).await.expect("sweep");
        assert_eq!((swept.sent, swept.left_for_later), (0, true));

        let deadline = SystemTime::now() + Duration::from_secs(60);
        let swept = run_sweep(&delivery, ScheduledEvent::default(), deadline).await.expect("sweep");
        assert_eq!((swept.sent, swept.left_for_later), (2, false));
        assert_eq!(mailer.sent().len(), 2);
        let again = run_sweep(&delivery, ScheduledEvent::default(), deadline).await.expect("sweep");
        assert_eq!(again.sent, 0, "nothing is sent twice");
    }
}
