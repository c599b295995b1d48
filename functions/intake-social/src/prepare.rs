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
use complaints_core::config::OrgConfig;
use complaints_lambda::{ParameterError, Parameters, Prepared, StartupError};
use complaints_mail::templates::Templates;
use complaints_s3::S3ObjectStore;
use complaints_social::{SocialState, router};
use complaints_store_dynamodb::DynamoDbCaseStore;

use crate::config::Config;

/// Why the router could not be built.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StartError {
    #[error("cannot read the secrets: {0}")]
    Parameters(#[from] ParameterError),
    #[error("the organisation configuration in SSM is invalid")]
    OrgConfig(#[source] complaints_core::config::ConfigError),
    #[error(transparent)]
    Aws(#[from] complaints_aws::LambdaSdkError),
}

impl StartupError for StartError {
    /// Only an unreachable parameter store is worth another try.
    fn is_transient(&self) -> bool {
        matches!(self, Self::Parameters(err) if err.is_transient())
    }
}

#[derive(Debug)]
pub(crate) struct Ready {
    config: Config,
    roots: TrustRoots,
    router: Prepared<axum::Router>,
}

impl Ready {
    pub(crate) fn new(config: Config, roots: TrustRoots) -> Self {
        Self { config, roots, router: Prepared::new() }
    }

    /// The router, built by the first request; `None` (answer 503) while SSM cannot be reached.
    pub(crate) async fn router(&self) -> Option<axum::Router> {
        self.router.get_or_prepare(|| self.prepare()).await.cloned()
    }

    async fn prepare(&self) -> Result<axum::Router, StartError> {
        let started = Instant::now();
        let aws = complaints_aws::lambda_sdk_config(self.roots)?;
        let names = self.config.parameter_names();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let found = Parameters::fetch(&aws_sdk_ssm::Client::new(&aws), &names).await?;
        let contact_key = self.config.contact_key(&found)?;
        let secrets = self.config.social_secrets(&found);
        let org = self.org_config(&found)?;

        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let store =
            Arc::new(DynamoDbCaseStore::new(aws_sdk_dynamodb::Client::new(&aws), self.config.table_name.clone()));
        let intake = IntakeService {
            // Flags written on a case go to the staff workspace's flagged register too.
            store: Arc::new(complaints_app::flagging_store::FlaggingCaseStore::new(store.clone(), store.clone())),
            mailer: Arc::new(LeaveForSweep),
            clock,
            calendar: Arc::new(org.calendar()),
            config: Arc::new(org),
            templates: Arc::new(Templates::builtin()),
            contact_key_secret: contact_key.into(),
        };
        let objects = Arc::new(S3ObjectStore::new(aws_sdk_s3::Client::new(&aws), self.config.raw_bucket.clone()));
        let accounts = SocialAccounts::from_lookup(|name| self.config.accounts.get(name).cloned());
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

    /// The organisation configuration from SSM when named, else the built-in one with this
    /// deployment's name, prefix and sender (as intake-web).
    fn org_config(&self, found: &Parameters) -> Result<OrgConfig, StartError> {
        let mut org = match &self.config.org_config_param {
            Some(name) => OrgConfig::from_toml_str(found.text(name)?).map_err(StartError::OrgConfig)?,
            None => {
                let mut builtin = OrgConfig::builtin();
                builtin.organisation.phone = None;
                builtin.organisation.address = None;
                builtin.organisation.email = Some(self.config.sender.as_str().to_owned());
                builtin
            }
        };
        org.organisation.name.clone_from(&self.config.org_name);
        org.organisation.reference_prefix.clone_from(&self.config.reference_prefix);
        org.mail.from = self.config.sender.as_str().to_owned();
        Ok(org)
    }
}
