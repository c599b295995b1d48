//! The quarterly-export function's parts: its configuration, the clients built by the first
//! event, which periods an event asks for, and the export of each: the files to S3, then the
//! email to the reporting list (once per export).

use std::io::BufWriter;

use chrono::{DateTime, Utc};
use complaints_app::export::{export_period, publish_streamed, read_history};
use complaints_app::export_notice::{NoticeError, NoticeSettings, Notified, notify_export};
use complaints_app::learning::LearningStore;
use complaints_app::ports::StoreError;
use complaints_aws::TrustRoots;
use complaints_core::calendar::Calendar;
use complaints_core::config::OrgConfig;
use complaints_core::dates::today_in_scotland;
use complaints_core::indicators::{Period, PeriodError, PopulationBase, exports_due_on};
use complaints_lambda::deployment::TABLE_NAME;
use complaints_lambda::{Env, EnvError, Organisation, Parameters, PrepareError};
use complaints_reports::{ExportOptions, export_prefix};
use complaints_s3::S3ObjectStore;
use complaints_store_dynamodb::DynamoDbCaseStore;
use serde::{Deserialize, Serialize};

pub(crate) const EXPORT_BUCKET: &str = "EXPORT_BUCKET";
pub(crate) const POPULATION_LABEL: &str = "POPULATION_LABEL";
pub(crate) const POPULATION_COUNT: &str = "POPULATION_COUNT";

/// What the function reads from its environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Config {
    pub(crate) table_name: String,
    pub(crate) bucket: String,
    /// The organisation's name, the sender of the email to the reporting list, and the SSM
    /// parameter of its configuration: its `[reporting] notify` list is told when an export is
    /// ready, its calendar decides the first working day, and its `[reporting] per_thousand` is
    /// K2's base unless the environment gives one.
    pub(crate) organisation: Organisation,
    /// K2 per 1,000: both `POPULATION_LABEL` and `POPULATION_COUNT`, or neither.
    pub(crate) population: Option<PopulationBase>,
}

impl Config {
    /// # Errors
    /// [`EnvError`] naming the missing or bad variable.
    pub(crate) fn from_env(env: &Env<'_>) -> Result<Self, EnvError> {
        let population = match env.optional(POPULATION_LABEL) {
            Some(label) => {
                Some(PopulationBase { label, count: env.parsed(POPULATION_COUNT, |text: &str| text.parse::<u64>())? })
            }
            None => None,
        };
        Ok(Self {
            table_name: env.required(TABLE_NAME)?,
            bucket: env.required(EXPORT_BUCKET)?,
            organisation: Organisation::from_env(env, false)?,
            population,
        })
    }
}

/// The scheduler's input, `{"scheduledTime": "<aws.scheduler.scheduled-time>"}`, or an on-demand
/// request naming a quarter or a year.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct ExportEvent {
    #[serde(rename = "scheduledTime", default)]
    pub(crate) scheduled_time: Option<String>,
    #[serde(default)]
    pub(crate) quarter: Option<String>,
    #[serde(default)]
    pub(crate) year: Option<String>,
}

/// Why an event named no period it could be run for.
#[derive(Debug, thiserror::Error)]
pub(crate) enum EventError {
    #[error("the event has neither a quarter, a year nor a scheduled time")]
    Empty,
    #[error("the scheduled time {0:?} is not an RFC 3339 instant")]
    Time(String),
    #[error(transparent)]
    Period(#[from] PeriodError),
    #[error("{0} names a quarter, not a year")]
    NotAYear(String),
}

/// The periods an event asks for: the named one, or those due on the scheduled day by
/// `calendar` (none on most scheduled days).
///
/// # Errors
/// [`EventError`].
pub(crate) fn periods_for(event: &ExportEvent, calendar: &Calendar) -> Result<Vec<Period>, EventError> {
    if let Some(quarter) = &event.quarter {
        return Ok(vec![Period::parse(quarter)?]);
    }
    if let Some(year) = &event.year {
        let period = Period::parse(year)?;
        return if period.quarter.is_some() { Err(EventError::NotAYear(year.clone())) } else { Ok(vec![period]) };
    }
    let text = event.scheduled_time.as_deref().ok_or(EventError::Empty)?;
    let at: DateTime<Utc> =
        DateTime::parse_from_rfc3339(text).map_err(|_| EventError::Time(text.to_owned()))?.with_timezone(&Utc);
    Ok(exports_due_on(today_in_scotland(at), calendar))
}

/// The clients, built once by the first event.
pub(crate) struct Ready {
    store: DynamoDbCaseStore,
    objects: S3ObjectStore,
    org: OrgConfig,
    calendar: Calendar,
}

/// Builds the DynamoDB store and the S3 bucket, and reads the organisation configuration.
///
/// # Errors
/// [`PrepareError`].
pub(crate) async fn prepare(config: &Config, roots: TrustRoots) -> Result<Ready, PrepareError> {
    let aws = complaints_aws::lambda_sdk_config(roots)?;
    let toml = match &config.organisation.org_config_param {
        Some(name) => {
            let parameters = Parameters::fetch(&aws_sdk_ssm::Client::new(&aws), &[name.as_str()]).await?;
            Some(parameters.text(name)?.to_owned())
        }
        None => None,
    };
    let org = config.organisation.org_config(toml.as_deref())?;
    let calendar = org.calendar();
    let store = DynamoDbCaseStore::new(aws_sdk_dynamodb::Client::new(&aws), config.table_name.clone());
    let objects = S3ObjectStore::new(complaints_s3::s3_client(&aws), config.bucket.clone());
    Ok(Ready { store, objects, org, calendar })
}

/// One exported period, as returned to Lambda.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Exported {
    pub(crate) period: String,
    pub(crate) cases_read: u64,
    pub(crate) keys: Vec<String>,
    /// Emails written to the reporting list by this run (0 when told before, or nobody to tell).
    pub(crate) emails: usize,
}

/// What an invocation did.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Report {
    pub(crate) exported: Vec<Exported>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum RunError {
    #[error(transparent)]
    Event(#[from] EventError),
    #[error(transparent)]
    Export(#[from] complaints_app::export::ExportError),
    #[error("could not read the learning actions")]
    Learning(#[source] StoreError),
    #[error(transparent)]
    Notice(#[from] NoticeError),
    #[error("could not write cases.csv to a temporary file")]
    TempFile(#[source] std::io::Error),
}

/// Exports every period the event asks for.
///
/// # Errors
/// [`RunError`]: the invocation fails, Lambda retries it, then the dead-letter queue.
pub(crate) async fn run(ready: &Ready, config: &Config, event: ExportEvent) -> Result<Report, RunError> {
    let periods = periods_for(&event, &ready.calendar)?;
    tracing::info!(scheduled_time = event.scheduled_time.as_deref().unwrap_or("none"), due = periods.len(), "export");
    let options = ExportOptions {
        organisation: config.organisation.org_name.clone(),
        calendar_version: ready.calendar.version().as_str().to_owned(),
        software_version: env!("CARGO_PKG_VERSION").to_owned(),
        population: config.population.clone().or_else(|| ready.org.reporting.per_thousand.clone()),
        learning_register: true,
    };
    let settings = NoticeSettings {
        organisation: &ready.org.organisation.name,
        from: &ready.org.mail.from,
        recipients: &ready.org.reporting.notify,
    };
    let mut exported = Vec::new();
    for period in periods {
        // K1: the learning register's actions done in the period (one Query of its done index).
        let learning = ready.store.completed_between(period.from(), period.to()).await.map_err(RunError::Learning)?;
        let history = read_history(&ready.objects, period).await?;
        // cases.csv grows with the period's cases: written to a file in /tmp, then uploaded a
        // part at a time (issue 16 §3), so memory stays flat however many cases the period has.
        let cases_csv = tempfile::NamedTempFile::new().map_err(RunError::TempFile)?;
        let file = cases_csv.reopen().map_err(RunError::TempFile)?;
        let (finished, writer) =
            export_period(&ready.store, period, BufWriter::new(file), &learning, history, &options).await?;
        writer.into_inner().map_err(|e| RunError::TempFile(e.into_error()))?;
        let keys = publish_streamed(&ready.objects, &ready.objects, period, &finished, cases_csv.path()).await?;
        tracing::info!(period = %period, cases_read = finished.indicators.cases_read, "exported");
        // After the files are stored: a failure here fails the invocation, and the retry writes
        // the same files again and then the email, which the marker lets out only once.
        let location = format!("s3://{}/{}", config.bucket, export_prefix(period));
        let emails = match notify_export(&ready.store, &finished, &location, settings, chrono::Utc::now()).await? {
            Notified::Queued { message_ids } => message_ids.len(),
            Notified::AlreadySent | Notified::NobodyToTell => 0,
        };
        tracing::info!(period = %period, emails, "reporting list told");
        exported.push(Exported {
            period: period.to_string(),
            cases_read: finished.indicators.cases_read,
            keys,
            emails,
        });
    }
    Ok(Report { exported })
}

#[cfg(test)]
mod tests {
    use complaints_lambda::deployment::{ORG_NAME, SENDER};

    use super::*;

    fn event(json: &str) -> ExportEvent {
        serde_json::from_str(json).expect("event")
    }

    #[test]
    fn a_scheduled_run_exports_only_on_the_first_working_day_after_a_quarter() {
        let calendar = Calendar::scotland();
        // 06:00 BST on Thu 1 Oct 2026 is 05:00 UTC: Q2 is due.
        let due = periods_for(&event(r#"{"scheduledTime":"2026-10-01T05:00:00Z"}"#), &calendar).expect("ok");
        assert_eq!(due, [Period::parse("2026-27-Q2").expect("q")]);
        // Fri 2 Oct: nothing.
        let none = periods_for(&event(r#"{"scheduledTime":"2026-10-02T05:00:00Z"}"#), &calendar).expect("ok");
        assert!(none.is_empty());
    }

    #[test]
    fn the_sender_is_required_and_the_reporting_list_comes_from_the_organisation_configuration() {
        let env = |sender: Option<&str>| {
            let sender = sender.map(str::to_owned);
            move |name: &str| match name {
                TABLE_NAME => Some("complaints-dev".to_owned()),
                EXPORT_BUCKET => Some("exports".to_owned()),
                ORG_NAME => Some("Example Council".to_owned()),
                SENDER => sender.clone(),
                _ => None,
            }
        };
        let missing = Config::from_env(&Env::from_lookup(env(None))).expect_err("no sender");
        assert!(missing.to_string().contains(SENDER), "{missing}");
        let config = Config::from_env(&Env::from_lookup(env(Some("complaints@council.example.org")))).expect("ok");
        let toml = "[reporting]\nnotify = [\"performance@council.example.org\"]\n";
        let org = config.organisation.org_config(Some(toml)).expect("valid configuration");
        assert_eq!(org.reporting.notify, ["performance@council.example.org"]);
        assert_eq!(org.mail.from, "complaints@council.example.org", "the deployment's sender wins");
        assert_eq!(org.organisation.name, "Example Council");
        assert!(config.organisation.org_config(None).expect("built-in").reporting.notify.is_empty());
    }

    #[test]
    fn an_on_demand_run_names_its_period_and_nonsense_is_refused() {
        let calendar = Calendar::scotland();
        let asked = periods_for(&event(r#"{"quarter":"2025-26-Q4"}"#), &calendar).expect("ok");
        assert_eq!(asked, [Period::parse("2025-26-Q4").expect("q")]);
        assert!(periods_for(&event(r#"{"year":"2025-26-Q4"}"#), &calendar).is_err());
        assert!(periods_for(&event("{}"), &calendar).is_err());
        assert!(periods_for(&event(r#"{"scheduledTime":"yesterday"}"#), &calendar).is_err());
    }
}
