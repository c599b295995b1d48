//! intake-web: the citizen web form on AWS Lambda behind the HTTP API. Wiring only: read the
//! configuration and keys, build the AWS clients and adapters once per cold start, then serve
//! `complaints_web::router` with `lambda_http` (the local server mounts the very same router).

mod config;
mod secrets;

use std::sync::Arc;
use std::time::Instant;

use aws_config::BehaviorVersion;
use aws_config::environment::EnvironmentVariableCredentialsProvider;
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
    // Lambda always hands the function its role's credentials in environment variables, which the
    // default chain would find first anyway; naming that provider skips building the chain's
    // STS client (web identity) and reading profile files at every cold start.
    let aws = aws_config::defaults(BehaviorVersion::latest())
        .credentials_provider(EnvironmentVariableCredentialsProvider::new())
        .load()
        .await;

    // The first client loads and parses the system trust store (most of init: performance.md
    // §1c). The key fetch is then the one network round trip of init, so it runs on another
    // worker while the other clients, the calendar and the templates are built here.
    let ssm = aws_sdk_ssm::Client::new(&aws);
    let fetch_config = config.clone();
    let fetch = tokio::spawn(async move {
        let started = Instant::now();
        let keys = secrets::load(&ssm, &fetch_config).await;
        (keys, started.elapsed())
    });

    let store = DynamoDbCaseStore::new(aws_sdk_dynamodb::Client::new(&aws), config.table_name.clone());
    let mailer = SesMailer::new(aws_sdk_sesv2::Client::new(&aws), config.config_set.clone());
    let templates = Templates::builtin();

    let (keys, fetch_time) = fetch.await?;
    let secrets = keys.inspect_err(|err| tracing::error!(error.message = %err, "cannot read keys"))?;
    // Only a duration: scripts/bench-coldstart reads it to report the fetch apart from the rest.
    tracing::info!(ssm_ms = fetch_time.as_secs_f64() * 1000.0, "keys read");
    let org = config
        .org_config(secrets.org_config.as_deref())
        .inspect_err(|err| tracing::error!(error.message = %err, "cannot start"))?;
    let calendar = org.calendar();

    let intake = IntakeService {
        store: Arc::new(store),
        mailer: Arc::new(mailer),
        clock: Arc::new(SystemClock),
        calendar: Arc::new(calendar),
        config: Arc::new(org),
        templates: Arc::new(templates),
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
