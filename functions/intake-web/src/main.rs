//! intake-web: the citizen web form on AWS Lambda behind the HTTP API. Wiring only: read the
//! configuration and keys, build the AWS clients and adapters once per cold start, then serve
//! `complaints_web::router` with `lambda_http` (the local server mounts the very same router).

mod config;
mod secrets;

use std::sync::Arc;

use aws_config::BehaviorVersion;
use complaints_app::intake::IntakeService;
use complaints_app::ports::SystemClock;
use complaints_mail::templates::Templates;
use complaints_mail_ses::SesMailer;
use complaints_store_dynamodb::DynamoDbCaseStore;
use complaints_web::WebState;
use tracing_subscriber::EnvFilter;

use crate::config::Config;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    init_logging();

    let config = Config::from_env().inspect_err(|err| tracing::error!(error.message = %err, "cannot start"))?;
    let aws = aws_config::defaults(BehaviorVersion::latest()).load().await;
    let secrets = secrets::load(&aws_sdk_ssm::Client::new(&aws), &config)
        .await
        .inspect_err(|err| tracing::error!(error.message = %err, "cannot read keys"))?;

    let org = config.org_config();
    let intake = IntakeService {
        store: Arc::new(DynamoDbCaseStore::new(aws_sdk_dynamodb::Client::new(&aws), config.table_name.clone())),
        mailer: Arc::new(SesMailer::new(aws_sdk_sesv2::Client::new(&aws), config.config_set.clone())),
        clock: Arc::new(SystemClock),
        calendar: Arc::new(org.calendar()),
        config: Arc::new(org),
        templates: Arc::new(Templates::builtin()),
        contact_key_secret: Arc::clone(&secrets.contact_key),
    };
    let state = WebState::new(intake, &secrets.form_key)?;

    tracing::info!("ready");
    lambda_http::run(complaints_web::router(state)).await
}

/// JSON lines on stdout, which Lambda forwards to CloudWatch. The level comes from the template's
/// `LoggingConfig` (Lambda sets `AWS_LAMBDA_LOG_LEVEL`), else `RUST_LOG`, else info. Never TRACE
/// in a deployed stage: the runtime logs whole events, with personal data, at TRACE. The
/// runtime's span puts the request id on every line.
fn init_logging() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .map(|level| level.to_lowercase())
        .unwrap_or_else(|_| "info".to_owned());
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_span_list(false)
        .with_env_filter(EnvFilter::try_new(&level).unwrap_or_else(|_| EnvFilter::new("info")))
        .with_ansi(false)
        .init();
}
