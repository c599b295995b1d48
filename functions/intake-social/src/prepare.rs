//! What a request needs and init does not build: the secrets from SSM, the AWS clients and
//! adapters and the router. Built once, by the first request, in the shared shell's [`Prepared`]
//! cell. This function never calls the platforms: it answers as soon as a delivery is kept and
//! its case written; the replies wait, pending, for the mail-delivery sweep, which holds the send
//! tokens (so no platform HTTPS client and no SES client are linked here).

use std::sync::Arc;
use std::time::Instant;

use complaints_app::intake::IntakeService;
use complaints_app::ports::{Clock, SystemClock};
use complaints_app::social::{LeaveForSweep, SocialIntake};
use complaints_app::social_accounts::SocialAccounts;
use complaints_aws::TrustRoots;
use complaints_lambda::{Parameters, PrepareError};
use complaints_mail::templates::Templates;
use complaints_s3::S3ObjectStore;
use complaints_social::{SocialState, router};
use complaints_store_dynamodb::DynamoDbCaseStore;

use crate::config::Config;

/// Builds the router once, on the first request ([`complaints_lambda::http::serve_router`]).
///
/// # Errors
/// [`PrepareError`].
pub(crate) async fn prepare(config: &Config, roots: TrustRoots) -> Result<axum::Router, PrepareError> {
    let started = Instant::now();
    let aws = complaints_aws::lambda_sdk_config(roots)?;
    let names = config.parameter_names();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let found = Parameters::fetch(&aws_sdk_ssm::Client::new(&aws), &names).await?;
    let contact_key = config.contact_key(&found)?;
    let secrets = config.social_secrets(&found);
    let toml = match &config.organisation.org_config_param {
        Some(name) => Some(found.text(name)?),
        None => None,
    };
    let org = config.organisation.org_config(toml)?;

    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    // Keyed for the name index; flags go to the flagged register with the case write.
    let store = Arc::new(
        DynamoDbCaseStore::new(aws_sdk_dynamodb::Client::new(&aws), config.table_name.clone())
            .with_search_key(&contact_key),
    );
    let intake = IntakeService {
        store: store.clone(),
        mailer: Arc::new(LeaveForSweep),
        clock,
        calendar: Arc::new(org.calendar()),
        config: Arc::new(org),
        templates: Arc::new(Templates::builtin()),
        contact_key_secret: contact_key.into(),
    };
    let objects = Arc::new(S3ObjectStore::new(aws_sdk_s3::Client::new(&aws), config.raw_bucket.clone()));
    let accounts = SocialAccounts::from_lookup(|name| config.accounts.get(name).cloned());
    tracing::info!(
        prepare_ms = started.elapsed().as_secs_f64() * 1000.0,
        platforms = ?secrets,
        accounts = ?accounts.configured(),
        "ready"
    );
    Ok(router(SocialState::new(
        secrets,
        SocialIntake { intake, objects, items: store.clone(), accounts, channels: store },
    )))
}
