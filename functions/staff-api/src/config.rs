//! The staff API function's configuration: environment variables set by `infra/template.yaml`,
//! read once per cold start so a missing one fails the start, not a member of staff's request.

use complaints_core::complaint::EmailAddress;
use complaints_core::config::OrgConfig;
use complaints_lambda::{Env, EnvError};

/// Names of the variables, as the template sets them.
pub(crate) const TABLE_NAME: &str = "TABLE_NAME";
pub(crate) const SENDER: &str = "SENDER";
pub(crate) const ORG_NAME: &str = "ORG_NAME";
pub(crate) const REFERENCE_PREFIX: &str = "REFERENCE_PREFIX";
pub(crate) const CONFIG_SET: &str = "CONFIG_SET";
pub(crate) const CONTACT_KEY_PARAM: &str = "CONTACT_KEY_PARAM";
pub(crate) const ORG_CONFIG_PARAM: &str = "ORG_CONFIG_PARAM";
/// Optional: the staff directory the breach scan reads; the staff pages offer its handlers when
/// assigning a case.
pub(crate) const STAFF_DIRECTORY_PARAM: &str = "STAFF_DIRECTORY_PARAM";
/// The staff pages' hosted sign-in: the pool's domain, the pool, the app client, the callback.
pub(crate) const COGNITO_DOMAIN: &str = "COGNITO_DOMAIN";
pub(crate) const USER_POOL_ID: &str = "USER_POOL_ID";
pub(crate) const USER_POOL_CLIENT_ID: &str = "USER_POOL_CLIENT_ID";
pub(crate) const STAFF_CALLBACK_URL: &str = "STAFF_CALLBACK_URL";
/// Set by Lambda itself.
pub(crate) const AWS_REGION: &str = "AWS_REGION";

/// Everything the function reads from its environment. No secrets: the contact key is an SSM
/// parameter name here, fetched by the first request (`prepare.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Config {
    pub(crate) table_name: String,
    /// `From` of the letters staff actions send; an address (or domain) verified in SES.
    pub(crate) sender: EmailAddress,
    pub(crate) org_name: String,
    /// Case reference prefix, e.g. `CMP` in `CMP-2026-00042`.
    pub(crate) reference_prefix: String,
    /// SES configuration set for every send; optional so a first deployment works before one exists.
    pub(crate) config_set: Option<String>,
    /// SSM SecureString holding the key for the keyed hash of contact addresses: a logged
    /// complaint's contact and the subject-access export are found by it.
    pub(crate) contact_key_param: String,
    /// Optional SSM parameter holding the organisation configuration as TOML.
    pub(crate) org_config_param: Option<String>,
    /// Optional SSM parameter holding the staff directory (`{"handler": "address"}`).
    pub(crate) staff_directory_param: Option<String>,
    /// The staff pages' hosted sign-in.
    pub(crate) cognito: complaints_workspace::auth::CognitoConfig,
}

/// The organisation configuration read from SSM is invalid. Names the parameter and the key.
#[derive(Debug, thiserror::Error)]
#[error("the organisation configuration in SSM parameter {parameter} is invalid: {source}")]
pub(crate) struct OrgConfigError {
    parameter: String,
    #[source]
    source: complaints_core::config::ConfigError,
}

impl Config {
    /// Reads the function's variables.
    ///
    /// # Errors
    /// [`EnvError`] naming the first missing or invalid variable.
    pub(crate) fn from_env(env: &Env<'_>) -> Result<Self, EnvError> {
        let table_name = env.required(TABLE_NAME)?;
        let sender = env.parsed(SENDER, EmailAddress::parse)?;
        let org_name = env.required(ORG_NAME)?;
        let reference_prefix = env.parsed(REFERENCE_PREFIX, |prefix| {
            complaints_core::reference::validate_prefix(prefix).map(|()| prefix.to_owned())
        })?;
        let contact_key_param = env.required(CONTACT_KEY_PARAM)?;
        let cognito = complaints_workspace::auth::CognitoConfig::for_pool(
            &env.required(AWS_REGION)?,
            &env.required(USER_POOL_ID)?,
            &env.required(COGNITO_DOMAIN)?,
            &env.required(USER_POOL_CLIENT_ID)?,
            &env.required(STAFF_CALLBACK_URL)?,
        );
        Ok(Self {
            table_name,
            sender,
            org_name,
            reference_prefix,
            config_set: env.optional(CONFIG_SET),
            contact_key_param,
            org_config_param: env.optional(ORG_CONFIG_PARAM),
            staff_directory_param: env.optional(STAFF_DIRECTORY_PARAM),
            cognito,
        })
    }

    /// The organisation configuration: the TOML from `ORG_CONFIG_PARAM` when there is one (else the
    /// built-in defaults without their placeholder contact details), with this deployment's name,
    /// reference prefix and sender on top, as the web form's function does.
    ///
    /// # Errors
    /// [`OrgConfigError`] naming the parameter and the bad key.
    pub(crate) fn org_config(&self, toml: Option<&str>) -> Result<OrgConfig, OrgConfigError> {
        let mut org = match (toml, &self.org_config_param) {
            (Some(text), Some(parameter)) => OrgConfig::from_toml_str(text)
                .map_err(|source| OrgConfigError { parameter: parameter.clone(), source })?,
            _ => {
                let mut builtin = OrgConfig::builtin();
                builtin.organisation.phone = None;
                builtin.organisation.address = None;
                builtin.organisation.email = Some(self.sender.as_str().to_owned());
                builtin
            }
        };
        org.organisation.name.clone_from(&self.org_name);
        org.organisation.reference_prefix.clone_from(&self.reference_prefix);
        org.mail.from = self.sender.as_str().to_owned();
        Ok(org)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn complete() -> HashMap<&'static str, &'static str> {
        HashMap::from([
            (TABLE_NAME, "complaints-dev"),
            (SENDER, "complaints@council.example.org"),
            (ORG_NAME, "Example Council"),
            (REFERENCE_PREFIX, "EXC"),
            (CONTACT_KEY_PARAM, "/complaints/dev/contact-key"),
            (AWS_REGION, "eu-west-2"),
            (USER_POOL_ID, "eu-west-2_Example1"),
            (COGNITO_DOMAIN, "https://complaints-dev-123456789012.auth.eu-west-2.amazoncognito.com"),
            (USER_POOL_CLIENT_ID, "exampleclientid"),
            (STAFF_CALLBACK_URL, "https://abc123.execute-api.eu-west-2.amazonaws.com/staff/auth/callback"),
        ])
    }

    fn load(vars: &HashMap<&'static str, &'static str>) -> Result<Config, EnvError> {
        Config::from_env(&Env::from_lookup(|name| vars.get(name).map(|v| (*v).to_owned())))
    }

    #[test]
    fn a_complete_environment_loads_and_the_form_key_is_not_needed() {
        let config = load(&complete()).expect("complete environment");

        assert_eq!(config.table_name, "complaints-dev");
        assert_eq!(config.contact_key_param, "/complaints/dev/contact-key");
        assert_eq!(config.config_set, None);
        assert_eq!(config.org_config_param, None);
        assert_eq!(config.cognito.issuer, "https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_Example1");
        assert_eq!(config.cognito.client_id, "exampleclientid");
    }

    #[test]
    fn each_missing_variable_is_named() {
        for name in [
            TABLE_NAME,
            SENDER,
            ORG_NAME,
            REFERENCE_PREFIX,
            CONTACT_KEY_PARAM,
            COGNITO_DOMAIN,
            USER_POOL_ID,
            USER_POOL_CLIENT_ID,
            STAFF_CALLBACK_URL,
        ] {
            let mut vars = complete();
            vars.remove(name);

            let err = load(&vars).expect_err("a variable is missing");

            assert!(err.to_string().contains(name), "{err}");
        }
    }

    #[test]
    fn the_stacks_name_prefix_and_sender_win_over_the_configuration_file() {
        let mut vars = complete();
        vars.insert(ORG_CONFIG_PARAM, "/complaints/dev/organisation");
        let config = load(&vars).expect("complete environment");

        let org = config
            .org_config(Some(
                "service_areas = [\"Bins\"]\n[organisation]\nname = \"File\"\nreference_prefix = \"FILE\"\n",
            ))
            .expect("valid TOML");

        assert_eq!(org.service_areas, ["Bins"]);
        assert_eq!(org.organisation.name, "Example Council");
        assert_eq!(org.organisation.reference_prefix, "EXC");
        assert_eq!(org.mail.from, "complaints@council.example.org");
    }
}
