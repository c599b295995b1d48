//! What a request needs and init does not build: the keys from SSM, the AWS clients and adapters,
//! the calendar, the templates and the router. Built once, by the first request, in the shared
//! shell's [`Prepared`] cell (which also decides what a failure does).

use std::sync::Arc;
use std::time::Instant;

use complaints_app::intake::IntakeService;
use complaints_app::ports::SystemClock;
use complaints_aws::TrustRoots;
use complaints_lambda::PrepareError;
use complaints_mail::templates::Templates;
use complaints_mail_ses::SesMailer;
use complaints_store_dynamodb::DynamoDbCaseStore;
use complaints_web::WebState;

use crate::config::Config;
use crate::secrets;

/// Builds the router: the keys from SSM, the clients and adapters, the calendar, the templates.
/// Run by the first request ([`complaints_lambda::http::serve_router`]).
///
/// # Errors
/// [`PrepareError`].
pub(crate) async fn prepare(config: &Config, roots: TrustRoots) -> Result<axum::Router, PrepareError> {
    let started = Instant::now();
    let aws = complaints_aws::lambda_sdk_config(roots)?;
    let fetch_started = Instant::now();
    let secrets = secrets::load(&aws_sdk_ssm::Client::new(&aws), config).await?;
    let ssm_ms = fetch_started.elapsed().as_secs_f64() * 1000.0;

    let org = config.organisation.org_config(secrets.org_config.as_deref())?;
    let calendar = org.calendar();
    let intake = IntakeService {
        // Keyed for the name index; flags go to the flagged register with the case write.
        store: Arc::new(
            DynamoDbCaseStore::new(aws_sdk_dynamodb::Client::new(&aws), config.table_name.clone())
                .with_search_key(&secrets.contact_key),
        ),
        mailer: Arc::new(SesMailer::new(aws_sdk_sesv2::Client::new(&aws), config.config_set.clone())),
        clock: Arc::new(SystemClock),
        calendar: Arc::new(calendar),
        config: Arc::new(org),
        templates: Arc::new(Templates::builtin()),
        contact_key_secret: Arc::clone(&secrets.contact_key),
    };
    let state =
        WebState::new(intake, &secrets.form_key).map_err(|e| PrepareError::invalid("cannot build the form", e))?;
    // Durations only. scripts/bench-coldstart reads them.
    tracing::info!(
        ssm_ms,
        prepare_ms = started.elapsed().as_secs_f64() * 1000.0,
        tls_roots = %roots,
        "ready"
    );
    Ok(complaints_web::router(state))
}
