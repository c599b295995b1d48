//! The web-form function's configuration: environment variables set by `infra/template.yaml`,
//! read once per cold start so a missing one fails the start, not a citizen's request.

use complaints_lambda::deployment::{CONFIG_SET, CONTACT_KEY_PARAM, TABLE_NAME};
use complaints_lambda::{Env, EnvError, Organisation};

/// The variable only this function reads.
pub(crate) const FORM_KEY_PARAM: &str = "FORM_KEY_PARAM";

/// Everything the function reads from its environment. No secrets: those are SSM parameter
/// names here, fetched separately (see `secrets.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Config {
    pub(crate) table_name: String,
    /// The organisation's name, reference prefix and sender (`From` of acknowledgements) and
    /// the SSM parameter of its configuration (`complaints_lambda::deployment`).
    pub(crate) organisation: Organisation,
    /// SES configuration set for every send (bounce/complaint events, suppression); optional so
    /// a first deployment works before one exists.
    pub(crate) config_set: Option<String>,
    /// SSM SecureString holding the key for the keyed hash of contact addresses.
    pub(crate) contact_key_param: String,
    /// SSM SecureString holding the key that signs form tokens and confirmation links.
    pub(crate) form_key_param: String,
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
        let form_key_param = env.required(FORM_KEY_PARAM)?;
        Ok(Self { table_name, organisation, config_set: env.optional(CONFIG_SET), contact_key_param, form_key_param })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use complaints_lambda::deployment::{ORG_CONFIG_PARAM, ORG_NAME, REFERENCE_PREFIX, SENDER};

    use super::*;

    fn complete() -> HashMap<&'static str, &'static str> {
        HashMap::from([
            (TABLE_NAME, "complaints-dev"),
            (SENDER, "complaints@council.example.org"),
            (ORG_NAME, "Example Council"),
            (REFERENCE_PREFIX, "EXC"),
            (CONTACT_KEY_PARAM, "/complaints/dev/contact-key"),
            (FORM_KEY_PARAM, "/complaints/dev/form-key"),
        ])
    }

    fn load(vars: &HashMap<&'static str, &'static str>) -> Result<Config, EnvError> {
        Config::from_env(&Env::from_lookup(|name| vars.get(name).map(|v| (*v).to_owned())))
    }

    #[test]
    fn complete_environment_loads_every_value() {
        let mut vars = complete();
        vars.insert(CONFIG_SET, "complaints-dev");

        let config = load(&vars).expect("complete environment");

        assert_eq!(config.table_name, "complaints-dev");
        assert_eq!(config.organisation.sender.as_str(), "complaints@council.example.org");
        assert_eq!(config.organisation.org_name, "Example Council");
        assert_eq!(config.organisation.reference_prefix.as_deref(), Some("EXC"));
        assert_eq!(config.config_set.as_deref(), Some("complaints-dev"));
        assert_eq!(config.contact_key_param, "/complaints/dev/contact-key");
        assert_eq!(config.form_key_param, "/complaints/dev/form-key");
    }

    #[test]
    fn each_missing_or_blank_required_variable_is_named_in_the_error() {
        for name in [TABLE_NAME, SENDER, ORG_NAME, REFERENCE_PREFIX, CONTACT_KEY_PARAM, FORM_KEY_PARAM] {
            for blank in [None, Some(""), Some("   ")] {
                let mut vars = complete();
                match blank {
                    None => vars.remove(name),
                    Some(value) => vars.insert(name, value),
                };

                let err = load(&vars).expect_err("a required variable is missing");

                assert_eq!(err, EnvError::Missing(name), "{name}: {err}");
                assert!(err.to_string().contains(name), "{err}");
            }
        }
    }

    #[test]
    fn invalid_values_are_refused_without_echoing_them() {
        let cases = [(SENDER, "not-an-address"), (REFERENCE_PREFIX, "cmp 2026!")];
        for (name, value) in cases {
            let mut vars = complete();
            vars.insert(name, value);

            let err = load(&vars).expect_err("an invalid value");

            assert!(matches!(err, EnvError::Invalid { name: invalid, .. } if invalid == name), "{err}");
            assert!(!err.to_string().contains(value), "the error must not echo the value: {err}");
        }
    }

    #[test]
    fn blank_config_set_means_none() {
        for value in [None, Some(""), Some(" ")] {
            let mut vars = complete();
            if let Some(value) = value {
                vars.insert(CONFIG_SET, value);
            }

            let config = load(&vars).expect("config set is optional");

            assert_eq!(config.config_set, None);
        }
    }

    #[test]
    fn blank_org_config_param_means_the_built_in_configuration() {
        for value in [None, Some(""), Some(" ")] {
            let mut vars = complete();
            if let Some(value) = value {
                vars.insert(ORG_CONFIG_PARAM, value);
            }

            let config = load(&vars).expect("the organisation configuration is optional");

            assert_eq!(config.organisation.org_config_param, None);
        }
    }
}
