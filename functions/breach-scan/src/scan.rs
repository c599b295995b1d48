//! The breach-scan function's parts: its configuration, what the first event builds, and one scan
//! per scheduled invocation as at the scheduled time.

use std::sync::Arc;

use complaints_app::breach_scan::{BreachScan, ScanError};
use complaints_app::staff_directory::DirectoryMap;
use complaints_aws::TrustRoots;
use complaints_lambda::deployment::TABLE_NAME;
use complaints_lambda::{Env, EnvError, Organisation, ParameterError, Parameters, PrepareError, ScheduledEvent};
use complaints_store_dynamodb::DynamoDbCaseStore;
use serde::Serialize;

/// The variable only this function reads.
pub(crate) const STAFF_DIRECTORY_PARAM: &str = "STAFF_DIRECTORY_PARAM";

/// What the function reads from its environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Config {
    pub(crate) table_name: String,
    /// The organisation's name, the digests' sender and the SSM parameter of its configuration
    /// (its `[alerts]` section names the recipients and the staff workspace URL; its calendar,
    /// the holidays).
    pub(crate) organisation: Organisation,
    /// Optional SSM parameter holding the staff directory: a JSON object of handler (as cases
    /// name them) to address, written by `complaints-admin staff-directory`. Staff sign in
    /// through Cognito, so there is no users file on AWS; handlers it does not know fall back to
    /// `[alerts] handlers`.
    pub(crate) staff_directory_param: Option<String>,
}

impl Config {
    /// # Errors
    /// [`EnvError`] naming the missing variable.
    pub(crate) fn from_env(env: &Env<'_>) -> Result<Self, EnvError> {
        Ok(Self {
            table_name: env.required(TABLE_NAME)?,
            organisation: Organisation::from_env(env, false)?,
            staff_directory_param: env.optional(STAFF_DIRECTORY_PARAM),
        })
    }
}

/// What one invocation did (counts only: no reference, no address).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) struct Scanned {
    pub(crate) working_day: bool,
    pub(crate) cases_read: usize,
    pub(crate) alerts: usize,
    pub(crate) already_sent: usize,
    pub(crate) digests: usize,
    pub(crate) recomputed: usize,
}

/// Built once by the first event.
pub(crate) struct Ready {
    pub(crate) scan: BreachScan,
}

/// Builds the DynamoDB store (the case store and the alert store) and reads the configuration.
///
/// # Errors
/// [`PrepareError`].
pub(crate) async fn prepare(config: &Config, roots: TrustRoots) -> Result<Ready, PrepareError> {
    let aws = complaints_aws::lambda_sdk_config(roots)?;
    let names: Vec<&str> = [&config.organisation.org_config_param, &config.staff_directory_param]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    let parameters =
        if names.is_empty() { None } else { Some(Parameters::fetch(&aws_sdk_ssm::Client::new(&aws), &names).await?) };
    let text = |name: &Option<String>| -> Result<Option<String>, ParameterError> {
        match (name, &parameters) {
            (Some(name), Some(parameters)) => Ok(Some(parameters.text(name)?.to_owned())),
            _ => Ok(None),
        }
    };
    let toml = text(&config.organisation.org_config_param)?;
    let org = config.organisation.org_config(toml.as_deref())?;
    let store = Arc::new(DynamoDbCaseStore::new(aws_sdk_dynamodb::Client::new(&aws), config.table_name.clone()));
    let mut scan = BreachScan::new(store.clone(), store, Arc::new(org));
    if let Some(json) = text(&config.staff_directory_param)? {
        let directory = DirectoryMap::from_json(&json)
            .map_err(|e| PrepareError::invalid("the staff directory in SSM is invalid", e))?;
        tracing::info!(handlers = directory.len(), "staff directory read");
        scan = scan.with_directory(Arc::new(directory));
    }
    Ok(Ready { scan })
}

/// One scan as at the event's scheduled time.
///
/// # Errors
/// The scan's error when the due cases could not be read or a batch could not be written, so the
/// invocation fails and is retried.
pub(crate) async fn run_scan(scan: &BreachScan, event: &ScheduledEvent) -> Result<Scanned, ScanError> {
    let at = event.now();
    tracing::info!(scheduled_time = %at, "breach scan");
    let report = scan.run(at).await.inspect_err(|error| {
        tracing::error!(error.message = %complaints_lambda::error_chain(error), "breach scan incomplete");
    })?;
    Ok(Scanned {
        working_day: report.working_day,
        cases_read: report.cases_read,
        alerts: report.alerts.len(),
        already_sent: report.already_sent,
        digests: report.digests.len(),
        recomputed: report.recomputed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use complaints_app::testing::{MemoryCaseStore, intake_service};

    use complaints_lambda::deployment::{ORG_NAME, SENDER};

    fn config() -> Config {
        Config {
            table_name: "complaints-dev".to_owned(),
            organisation: Organisation {
                org_name: "Example Council".to_owned(),
                sender: complaints_core::complaint::EmailAddress::parse("complaints@council.example.org")
                    .expect("address"),
                reference_prefix: None,
                org_config_param: None,
            },
            staff_directory_param: None,
        }
    }

    #[test]
    fn the_table_sender_and_name_are_required() {
        let env = Env::from_lookup(|name| match name {
            TABLE_NAME => Some("complaints-dev".to_owned()),
            SENDER => Some("complaints@council.example.org".to_owned()),
            ORG_NAME => Some("Example Council".to_owned()),
            _ => None,
        });
        assert_eq!(Config::from_env(&env).expect("config"), config());
        let missing = Config::from_env(&Env::from_lookup(|_| None)).expect_err("no table");
        assert!(missing.to_string().contains(TABLE_NAME), "{missing}");
    }

    #[tokio::test]
    async fn a_scan_on_a_bank_holiday_sends_nothing_and_a_working_day_scan_sends_each_alert_once() {
        let store = Arc::new(MemoryCaseStore::new());
        let mailer = Arc::new(complaints_app::testing::RecordingMailer::new());
        // Received Wed 1 Apr 2026: stage 1 due Wed 8 Apr (Good Friday 3 Apr skipped).
        let intake = intake_service(store.clone(), mailer, "2026-04-01T09:00:00Z".parse().expect("instant"));
        let request = complaints_app::intake::IntakeRequest {
            complaint: complaints_app::testing::sample_complaint(
                complaints_core::complaint::Channel::WebForm,
                Some("jo@example.org"),
            ),
            source_key: Some("web:1".to_owned()),
            possible_spam: false,
        };
        intake.submit(request).await.expect("intake");
        let org = config().organisation.org_config(None).expect("config");
        let scan = BreachScan::new(store.clone(), store, Arc::new(org));

        let good_friday = ScheduledEvent { scheduled_time: Some("2026-04-03T07:00:00Z".to_owned()) };
        let holiday = run_scan(&scan, &good_friday).await.expect("scan");
        assert_eq!((holiday.working_day, holiday.alerts), (false, 0));

        let tuesday = ScheduledEvent { scheduled_time: Some("2026-04-07T07:00:00Z".to_owned()) };
        let first = run_scan(&scan, &tuesday).await.expect("scan");
        assert_eq!((first.alerts, first.digests), (1, 1), "due soon: one working day left");
        let retried = run_scan(&scan, &tuesday).await.expect("scan");
        assert_eq!((retried.alerts, retried.digests), (0, 0), "a retried invocation sends nothing again");
        assert_eq!(retried.cases_read, 0, "the case is dated past today in the alert index");
    }
}
