//! What a request needs and init does not build: the keys from SSM, the AWS clients and adapters,
//! the calendar, the templates and the router. Built once, by the first request.

use std::sync::Arc;
use std::time::Instant;

use complaints_app::intake::IntakeService;
use complaints_app::ports::SystemClock;
use complaints_aws::TrustRoots;
use complaints_mail::templates::Templates;
use complaints_mail_ses::SesMailer;
use complaints_store_dynamodb::DynamoDbCaseStore;
use complaints_web::WebState;
use tokio::sync::OnceCell;

use crate::config::{Config, ConfigError};
use crate::secrets::{self, SecretsError};

/// Why the router could not be built.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StartError {
    #[error("cannot read the keys: {0}")]
    Secrets(#[from] SecretsError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot build the form: {0}")]
    Web(#[from] complaints_web::WebError),
    #[error(transparent)]
    Aws(#[from] complaints_aws::MissingLambdaVariable),
}

impl StartError {
    /// Worth trying again on the next request: SSM could not be reached, timed out, throttled or
    /// failed on its side. Everything else (a refusal, a missing or short key, an invalid
    /// configuration) is the deployment's and stays wrong until someone fixes it.
    fn is_transient(&self) -> bool {
        matches!(self, Self::Secrets(SecretsError::Unavailable(_)))
    }
}

/// The router, built once.
#[derive(Debug)]
pub(crate) struct Ready {
    config: Config,
    roots: TrustRoots,
    router: OnceCell<axum::Router>,
}

impl Ready {
    pub(crate) fn new(config: Config, roots: TrustRoots) -> Self {
        Self { config, roots, router: OnceCell::new() }
    }

    /// The router, built first if no request has built it yet.
    ///
    /// `None` when SSM could not be reached this time: the request gets a 503 and the next one
    /// tries again. A configuration that can never work (a missing or short key, an invalid
    /// organisation configuration) stops the process, as a failed init would: Lambda counts the
    /// error, the alarm on errors fires, and the next request starts a fresh environment.
    pub(crate) async fn router(&self) -> Option<axum::Router> {
        match self.router.get_or_try_init(|| self.prepare()).await {
            Ok(router) => Some(router.clone()),
            Err(err) if err.is_transient() => {
                tracing::error!(error.message = %error_chain(&err), "not ready: will try again on the next request");
                None
            }
            Err(err) => {
                tracing::error!(error.message = %error_chain(&err), "cannot start");
                std::process::exit(1)
            }
        }
    }

    async fn prepare(&self) -> Result<axum::Router, StartError> {
        let started = Instant::now();
        let aws = complaints_aws::lambda_sdk_config(self.roots)?;
        let fetch_started = Instant::now();
        let secrets = secrets::load(&aws_sdk_ssm::Client::new(&aws), &self.config).await?;
        let ssm_ms = fetch_started.elapsed().as_secs_f64() * 1000.0;

        let org = self.config.org_config(secrets.org_config.as_deref())?;
        let calendar = org.calendar();
        let intake = IntakeService {
            store: Arc::new(DynamoDbCaseStore::new(
                aws_sdk_dynamodb::Client::new(&aws),
                self.config.table_name.clone(),
            )),
            mailer: Arc::new(SesMailer::new(aws_sdk_sesv2::Client::new(&aws), self.config.config_set.clone())),
            clock: Arc::new(SystemClock),
            calendar: Arc::new(calendar),
            config: Arc::new(org),
            templates: Arc::new(Templates::builtin()),
            contact_key_secret: Arc::clone(&secrets.contact_key),
        };
        let state = WebState::new(intake, &secrets.form_key)?;
        // Durations only. scripts/bench-coldstart reads them.
        tracing::info!(
            ssm_ms,
            prepare_ms = started.elapsed().as_secs_f64() * 1000.0,
            tls_roots = %self.roots,
            "ready"
        );
        Ok(complaints_web::router(state))
    }
}

/// The error and its causes, `: `-separated (the SDK puts the useful part, such as a TLS or DNS
/// failure, several sources down). None of them quotes a key or a person.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_unreachable_parameter_store_is_worth_another_try() {
        let unreachable = StartError::Secrets(SecretsError::Unavailable("connection refused".into()));
        let missing = StartError::Secrets(SecretsError::Missing("/c/form".to_owned()));
        let short = StartError::Secrets(SecretsError::TooShort("/c/form".to_owned()));
        let config = StartError::Config(ConfigError::Missing("TABLE_NAME"));
        let refused = StartError::Secrets(SecretsError::Refused("AccessDeniedException".into()));

        assert!(unreachable.is_transient());
        for permanent in [missing, short, config, refused] {
            assert!(!permanent.is_transient(), "{permanent}");
        }
    }

    #[test]
    fn the_error_chain_reaches_the_root_cause_once() {
        let err = StartError::Secrets(SecretsError::Unavailable("invalid peer certificate: UnknownIssuer".into()));

        let text = error_chain(&err);

        assert_eq!(
            text,
            "cannot read the keys: SSM parameter store unavailable: invalid peer certificate: UnknownIssuer"
        );
    }
}
