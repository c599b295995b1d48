//! The staff API function's configuration: environment variables set by `infra/template.yaml`,
//! read once per cold start so a missing one fails the start, not a member of staff's request.

use complaints_lambda::deployment::{CONFIG_SET, CONTACT_KEY_PARAM, TABLE_NAME};
use complaints_lambda::{Env, EnvError, Organisation};

/// The staff pages' hosted sign-in: the pool's domain, the pool, the app client, the callback.
pub(crate) const COGNITO_DOMAIN: &str = "COGNITO_DOMAIN";
pub(crate) const USER_POOL_ID: &str = "USER_POOL_ID";
pub(crate) const USER_POOL_CLIENT_ID: &str = "USER_POOL_CLIENT_ID";
pub(crate) const STAFF_CALLBACK_URL: &str = "STAFF_CALLBACK_URL";
/// Optional: the staff directory the breach scan reads; the staff pages offer its handlers when
/// assigning a case.
pub(crate) const STAFF_DIRECTORY_PARAM: &str = "STAFF_DIRECTORY_PARAM";
/// Set by Lambda itself.
pub(crate) const AWS_REGION: &str = "AWS_REGION";

/// Everything the function reads from its environment. No secrets: the contact key is an SSM
/// parameter name here, fetched by the first request (`prepare.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Config {
    pub(crate) table_name: String,
    /// The organisation's name, reference prefix and sender (`From` of the letters staff actions
    /// send) and the SSM parameter of its configuration (`complaints_lambda::deployment`).
    pub(crate) organisation: Organisation,
    /// SES configuration set for every send; optional so a first deployment works before one exists.
    pub(crate) config_set: Option<String>,
    /// SSM SecureString holding the key for the keyed hash of contact addresses: a logged
    /// complaint's contact and the subject-access export are found by it.
    pub(crate) contact_key_param: String,
    /// Optional SSM parameter holding the staff directory (`{"handler": "address"}`).
    pub(crate) staff_directory_param: Option<String>,
    /// The staff pages' hosted sign-in.
    pub(crate) cognito: complaints_workspace::auth::CognitoConfig,
}

impl Config {
    /// Reads the function's variables.
    ///
    /// # Errors
    /// [`EnvError`] naming the first missing or invalid variable.
    pub(crate) fn from_env(env: &Env<'_>) -> Result<Self, EnvError> {
        let table_name = env.required(TABLE_NAME)?;
        let organisation = Organisation::from_env(env, true)?;
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
            organisation,
            config_set: env.optional(CONFIG_SET),
            contact_key_param,
            staff_directory_param: env.optional(STAFF_DIRECTORY_PARAM),
            cognito,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use complaints_lambda::deployment::{ORG_NAME, REFERENCE_PREFIX, SENDER};

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
        assert_eq!(config.organisation.org_config_param, None);
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
}
