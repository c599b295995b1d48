//! The intake-email function's parts: configuration, the clients built by the first event, and
//! one SES receipt event taken in record by record.

use std::sync::Arc;

use aws_lambda_events::event::ses::{SimpleEmailEvent, SimpleEmailRecord};
use complaints_app::email_intake::{EmailIntake, EmailIntakeError, Envelope};
use complaints_app::intake::IntakeService;
use complaints_app::object_store::{ObjectStore, ObjectStoreError};
use complaints_app::ports::SystemClock;
use complaints_aws::TrustRoots;
use complaints_lambda::deployment::{CONFIG_SET, CONTACT_KEY_PARAM, TABLE_NAME};
use complaints_lambda::{Env, EnvError, MIN_KEY_LEN, Organisation, Parameters, PrepareError};
use complaints_mail::templates::Templates;
use complaints_mail_ses::SesMailer;
use complaints_s3::{S3ObjectStore, s3_client};
use complaints_store_dynamodb::DynamoDbCaseStore;
use serde::Serialize;

/// Names of the variables only this function reads (the shared ones:
/// `complaints_lambda::deployment`).
pub(crate) const REPLY_TOKEN_KEY_PARAM: &str = "REPLY_TOKEN_KEY_PARAM";
pub(crate) const MAIL_BUCKET: &str = "MAIL_BUCKET";
pub(crate) const MAIL_PREFIX: &str = "MAIL_PREFIX";
pub(crate) const RAW_MAIL_RETENTION_DAYS: &str = "RAW_MAIL_RETENTION_DAYS";

/// What the function reads from its environment (secrets are SSM parameter names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Config {
    pub(crate) table_name: String,
    /// The organisation's name, reference prefix, sender and configuration parameter.
    pub(crate) organisation: Organisation,
    pub(crate) config_set: Option<String>,
    pub(crate) contact_key_param: String,
    pub(crate) reply_token_key_param: String,
    /// The bucket the receipt rule's S3 action writes to (attachments are kept there too).
    pub(crate) mail_bucket: String,
    /// The receipt rule's object key prefix: the raw message is at `<prefix><SES message id>`.
    /// A Lambda-action event carries no bucket or key, so this must match the rule's S3 action.
    pub(crate) mail_prefix: String,
    /// Days the bucket keeps raw mail (its lifecycle rule): held records expire with it.
    pub(crate) raw_retention_days: Option<u32>,
}

impl Config {
    /// # Errors
    /// [`EnvError`] naming the first missing or invalid variable.
    pub(crate) fn from_env(env: &Env<'_>) -> Result<Self, EnvError> {
        Ok(Self {
            table_name: env.required(TABLE_NAME)?,
            organisation: Organisation::from_env(env, true)?,
            config_set: env.optional(CONFIG_SET),
            contact_key_param: env.required(CONTACT_KEY_PARAM)?,
            reply_token_key_param: env.required(REPLY_TOKEN_KEY_PARAM)?,
            mail_bucket: env.required(MAIL_BUCKET)?,
            mail_prefix: env.optional(MAIL_PREFIX).unwrap_or_default(),
            raw_retention_days: match env.optional(RAW_MAIL_RETENTION_DAYS) {
                Some(_) => Some(env.parsed(RAW_MAIL_RETENTION_DAYS, |days| days.trim().parse::<u32>())?),
                None => None,
            },
        })
    }

    /// Where a record's raw message is: the S3 action's own bucket and key when the event is the
    /// S3 action's, else the configured bucket and `<prefix><SES message id>`.
    pub(crate) fn object_of(&self, record: &SimpleEmailRecord) -> Option<(String, String)> {
        let action = &record.ses.receipt.action;
        if let (Some(bucket), Some(key)) = (&action.bucket_name, &action.object_key) {
            return Some((bucket.clone(), key.clone()));
        }
        let id = record.ses.mail.message_id.as_deref().filter(|id| !id.is_empty())?;
        Some((self.mail_bucket.clone(), format!("{}{id}", self.mail_prefix)))
    }
}

/// The clients and the intake, built once by the first event.
pub(crate) struct Ready {
    pub(crate) intake: EmailIntake,
    /// The raw-mail bucket, read per record.
    pub(crate) objects: Arc<dyn ObjectStore>,
}

/// Reads the keys and builds the store, mailer and object store behind [`EmailIntake`].
///
/// # Errors
/// [`PrepareError`].
pub(crate) async fn prepare(config: &Config, roots: TrustRoots) -> Result<Ready, PrepareError> {
    let aws = complaints_aws::lambda_sdk_config(roots)?;
    let mut names = vec![config.contact_key_param.as_str(), config.reply_token_key_param.as_str()];
    names.extend(config.organisation.org_config_param.as_deref());
    let found = Parameters::fetch(&aws_sdk_ssm::Client::new(&aws), &names).await?;
    let toml = match &config.organisation.org_config_param {
        Some(name) => Some(found.text(name)?.to_owned()),
        None => None,
    };
    let org = config.organisation.org_config(toml.as_deref())?;
    let calendar = org.calendar();
    let limits = complaints_app::email_intake::limits(&org.email);
    let contact_key = found.key(&config.contact_key_param, MIN_KEY_LEN)?;
    let store = Arc::new(
        DynamoDbCaseStore::new(aws_sdk_dynamodb::Client::new(&aws), config.table_name.clone())
            .with_search_key(&contact_key),
    );
    let intake = IntakeService {
        // Keyed for the name index; flags go to the flagged register with the case write.
        store: store.clone(),
        mailer: Arc::new(SesMailer::new(aws_sdk_sesv2::Client::new(&aws), config.config_set.clone())),
        clock: Arc::new(SystemClock),
        config: Arc::new(org),
        calendar: Arc::new(calendar),
        templates: Arc::new(Templates::builtin()),
        contact_key_secret: contact_key.into(),
    };
    let objects: Arc<dyn ObjectStore> = Arc::new(S3ObjectStore::new(s3_client(&aws), config.mail_bucket.clone()));
    let intake = EmailIntake {
        intake,
        objects: Arc::clone(&objects),
        limits,
        reply_token_key: found.key(&config.reply_token_key_param, MIN_KEY_LEN)?.into(),
        held: store,
        raw_retention_days: config.raw_retention_days,
    };
    Ok(Ready { intake, objects })
}

/// One record's outcome, returned to Lambda (and so to the logs of the asynchronous invoke).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct RecordOutcome {
    pub(crate) ses_message_id: Option<String>,
    pub(crate) outcome: &'static str,
    pub(crate) reference: Option<String>,
    pub(crate) reason: Option<String>,
}

/// Why an event could not be taken in now (the invocation fails and Lambda retries it).
#[derive(Debug, thiserror::Error)]
pub(crate) enum HandleError {
    #[error("the record names no message (no SES message id)")]
    NoMessage,
    /// The receipt rule wrote the message to another bucket than the one configured: a deployment
    /// error. Reading the configured bucket instead could take in another message under this
    /// key, so the invocation fails (and the alarm fires) until the configuration agrees.
    #[error("the receipt rule wrote to bucket {actual}, not the configured MAIL_BUCKET")]
    WrongBucket { actual: String },
    #[error("could not read the raw message from S3")]
    Raw(#[source] ObjectStoreError),
    #[error(transparent)]
    Intake(#[from] EmailIntakeError),
}

/// Takes in every record of the event. A record's raw message is read from the bucket the
/// receipt rule wrote it to; the verdicts decide quarantine.
///
/// # Errors
/// [`HandleError`] for the first record that could not be taken in; records before it are done
/// and a retry finds them already taken in.
pub(crate) async fn handle(
    intake: &EmailIntake,
    objects: &Arc<dyn ObjectStore>,
    config: &Config,
    event: &SimpleEmailEvent,
) -> Result<Vec<RecordOutcome>, HandleError> {
    let mut outcomes = Vec::with_capacity(event.records.len());
    for record in &event.records {
        let (bucket, key) = config.object_of(record).ok_or(HandleError::NoMessage)?;
        if bucket != config.mail_bucket {
            tracing::error!("the receipt rule wrote to another bucket than MAIL_BUCKET");
            return Err(HandleError::WrongBucket { actual: bucket });
        }
        let bytes = objects.get(&key).await.map_err(|error| {
            tracing::error!(error.message = %complaints_lambda::error_chain(&error), "raw message not readable");
            HandleError::Raw(error)
        })?;
        let receipt = &record.ses.receipt;
        let failed = |status: &Option<String>| status.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("FAIL"));
        let envelope = Envelope {
            ses_message_id: record.ses.mail.message_id.clone(),
            recipients: receipt.recipients.clone(),
            spam_failed: failed(&receipt.spam_verdict.status),
            virus_failed: failed(&receipt.virus_verdict.status),
            sender_verified: Some(sender_verified(receipt)),
        };
        // By value: large attachments are taken out of the buffer before the parse, so the
        // decoded copy never sits beside the whole message (docs/email.md, "Memory").
        let ingested = intake.ingest_owned(bytes, Some(&key), &envelope).await?;
        outcomes.push(RecordOutcome {
            ses_message_id: envelope.ses_message_id,
            outcome: ingested.outcome.kind(),
            reference: ingested.outcome.reference().map(ToString::to_string),
            reason: ingested.outcome.reason().map(str::to_owned),
        });
    }
    Ok(outcomes)
}

/// SES checked the sender: DMARC passed, or both SPF and DKIM did (a From domain without a DMARC
/// record gets `GRAY` for DMARC, so SPF and DKIM together stand in for it).
pub(crate) fn sender_verified(receipt: &aws_lambda_events::event::ses::SimpleEmailReceipt) -> bool {
    let passed = |status: &Option<String>| status.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("PASS"));
    passed(&receipt.dmarc_verdict.status)
        || (passed(&receipt.spf_verdict.status) && passed(&receipt.dkim_verdict.status))
}

#[cfg(test)]
#[path = "handler/tests.rs"]
mod tests;
