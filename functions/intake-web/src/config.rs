//! The web-form function's configuration: environment variables set by `infra/template.yaml`,
//! read once per cold start so a missing one fails the start, not a citizen's request.

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
pub(crate) const FORM_KEY_PARAM: &str = "FORM_KEY_PARAM";
pub(crate) const ORG_CONFIG_PARAM: &str = "ORG_CONFIG_PARAM";

/// Everything the function reads from its environment. No secrets: those are SSM parameter
/// names here, fetched separately (see `secrets.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Config {
    pub(crate) table_name: String,
    /// `From` of acknowledgements; an address (or domain) verified in SES.
    pub(crate) sender: EmailAddress,
    pub(crate) org_name: String,
    /// Case reference prefix, e.g. `CMP` in `CMP-2026-00042`.
    pub(crate) reference_prefix: String,
    /// SES configuration set for every send (bounce/complaint events, suppression); optional so
    /// a first deployment works before one exists.
    pub(crate) config_set: Option<String>,
    /// SSM SecureString holding the key for the keyed hash of contact addresses.
    pub(crate) contact_key_param: String,
    /// SSM SecureString holding the key that signs form tokens and confirmation links.
    pub(crate) form_key_param: String,
    /// Optional SSM parameter holding the organisation configuration as TOML (the same file
    /// `complaints serve --config` reads: service areas, procedure settings, local holidays).
    pub(crate) org_config_param: Option<String>,
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
        let form_key_param = env.required(FORM_KEY_PARAM)?;

        Ok(Self {
            table_name,
            sender,
            org_name,
            reference_prefix,
            config_set: env.optional(CONFIG_SET),
            contact_key_param,
            form_key_param,
            org_config_param: env.optional(ORG_CONFIG_PARAM),
        })
    }

    /// The organisation configuration: the TOML read from `ORG_CONFIG_PARAM` when there is one
    /// (else the built-in defaults), with this deployment's name, reference prefix and sender
    /// from the template parameters on top, so the stack's parameters always win.
    ///
    /// # Errors
    /// [`OrgConfigError`] naming the parameter and the bad key.
    pub(crate) fn org_config(&self, toml: Option<&str>) -> Result<OrgConfig, OrgConfigError> {
        let mut org = match (toml, &self.org_config_param) {
            (Some(text), Some(parameter)) => OrgConfig::from_toml_str(text)
                .map_err(|source| OrgConfigError { parameter: parameter.clone(), source })?,
            _ => {
                // The built-in contact details are placeholders for local runs: a deployed
                // organisation without its own configuration gives its sender address only,
                // never an example phone number or street.
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
        assert_eq!(config.sender.as_str(), "complaints@council.example.org");
        assert_eq!(config.org_name, "Example Council");
        assert_eq!(config.reference_prefix, "EXC");
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
    fn org_config_carries_name_prefix_and_sender_over_the_defaults() {
        let config = load(&complete()).expect("complete environment");

        let org = config.org_config(None).expect("built-in configuration");

        assert_eq!(org.organisation.name, "Example Council");
        assert_eq!(org.organisation.reference_prefix, "EXC");
        assert_eq!(org.mail.from, "complaints@council.example.org");
        assert_eq!(org.procedure, OrgConfig::builtin().procedure);
    }

    const COUNCIL_TOML: &str = r#"
service_areas = ["Bins", "Housing"]

[organisation]
name = "Name in the file"
reference_prefix = "FILE"

[procedure]
day_one_rule = "B"

[[calendar.add]]
date = "2026-04-06"
name = "Easter Monday"
kind = "local"
source = "Council decision 2025/17"
"#;

    #[test]
    fn org_config_from_ssm_keeps_its_settings_under_the_stacks_name_prefix_and_sender() {
        let mut vars = complete();
        vars.insert(ORG_CONFIG_PARAM, "/complaints/dev/organisation");
        let config = load(&vars).expect("complete environment");

        let org = config.org_config(Some(COUNCIL_TOML)).expect("valid TOML");

        assert_eq!(org.service_areas, ["Bins", "Housing"]);
        assert_eq!(org.procedure.day_one_rule, complaints_core::workdays::DayOneRule::B);
        let easter_monday = chrono::NaiveDate::from_ymd_opt(2026, 4, 6).expect("date");
        assert!(!org.calendar().is_working_day(easter_monday), "the local holiday is in the calendar");
        assert_eq!(org.organisation.name, "Example Council");
        assert_eq!(org.organisation.reference_prefix, "EXC");
        assert_eq!(org.mail.from, "complaints@council.example.org");
    }

    #[test]
    fn a_bad_org_config_names_the_parameter_and_the_key() {
        let mut vars = complete();
        vars.insert(ORG_CONFIG_PARAM, "/complaints/dev/organisation");
        let config = load(&vars).expect("complete environment");

        let err = config.org_config(Some("[procedure]\nday_one_rule = \"C\"\n")).expect_err("bad rule");

        let message =
            format!("{err}: {}", std::error::Error::source(&err).map(ToString::to_string).unwrap_or_default());
        assert!(message.contains("/complaints/dev/organisation") && message.contains("day_one_rule"), "{message}");
    }

    #[test]
    fn blank_org_config_param_means_the_built_in_configuration() {
        for value in [None, Some(""), Some(" ")] {
            let mut vars = complete();
            if let Some(value) = value {
                vars.insert(ORG_CONFIG_PARAM, value);
            }

            let config = load(&vars).expect("the organisation configuration is optional");

            assert_eq!(config.org_config_param, None);
        }
    }
}
