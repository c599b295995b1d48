//! What every function knows about its deployment: the variables the template sets for all of
//! them (the table, the sender, the organisation's name and reference prefix, the SSM parameter
//! names of the contact key and the organisation configuration) and the organisation
//! configuration built from them — the TOML from SSM when named, else the built-in one without
//! its placeholder contact details, with the stack's name, prefix and sender on top, so the
//! stack's parameters always win.

use complaints_core::complaint::EmailAddress;
use complaints_core::config::{ConfigError, OrgConfig};

use crate::env::{Env, EnvError};

/// Names of the variables the template sets for every function that needs them.
pub const TABLE_NAME: &str = "TABLE_NAME";
pub const SENDER: &str = "SENDER";
pub const ORG_NAME: &str = "ORG_NAME";
pub const REFERENCE_PREFIX: &str = "REFERENCE_PREFIX";
pub const CONFIG_SET: &str = "CONFIG_SET";
pub const CONTACT_KEY_PARAM: &str = "CONTACT_KEY_PARAM";
pub const ORG_CONFIG_PARAM: &str = "ORG_CONFIG_PARAM";

/// Shortest key accepted from SSM (the contact key, the form and reply-token keys): 32 bytes,
/// 256 bits for HMAC-SHA-256.
pub const MIN_KEY_LEN: usize = 32;

/// The organisation as the stack's parameters name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    pub org_name: String,
    /// `From` of everything the deployment sends; an address (or domain) verified in SES.
    pub sender: EmailAddress,
    /// Case reference prefix (`CMP` in `CMP-2026-00042`), for the functions that open cases;
    /// `None` keeps the configuration's own.
    pub reference_prefix: Option<String>,
    /// Optional SSM parameter holding the organisation configuration as TOML (the same file
    /// `complaints serve --config` reads: service areas, procedure settings, local holidays,
    /// `[alerts]`, `[reporting]`).
    pub org_config_param: Option<String>,
}

/// The organisation configuration read from SSM is invalid. Names the parameter and the key.
#[derive(Debug, thiserror::Error)]
#[error("the organisation configuration in SSM parameter {parameter} is invalid: {source}")]
pub struct OrgConfigError {
    parameter: String,
    #[source]
    source: ConfigError,
}

impl Organisation {
    /// `ORG_NAME`, `SENDER` (an address), `ORG_CONFIG_PARAM` (optional) and, when
    /// `with_reference_prefix`, `REFERENCE_PREFIX` (validated).
    ///
    /// # Errors
    /// [`EnvError`] naming the first missing or invalid variable.
    pub fn from_env(env: &Env<'_>, with_reference_prefix: bool) -> Result<Self, EnvError> {
        let sender = env.parsed(SENDER, EmailAddress::parse)?;
        let org_name = env.required(ORG_NAME)?;
        let reference_prefix = if with_reference_prefix { Some(reference_prefix(env)?) } else { None };
        Ok(Self { org_name, sender, reference_prefix, org_config_param: env.optional(ORG_CONFIG_PARAM) })
    }

    /// The organisation configuration: `toml` (the text of `org_config_param`) when there is one,
    /// else the built-in defaults without their placeholder phone number and street (a deployed
    /// organisation without its own configuration gives its sender address only), with this
    /// deployment's name, reference prefix and sender on top.
    ///
    /// # Errors
    /// [`OrgConfigError`] naming the parameter and the bad key.
    pub fn org_config(&self, toml: Option<&str>) -> Result<OrgConfig, OrgConfigError> {
        let mut org = match (toml, &self.org_config_param) {
            (Some(text), parameter) => OrgConfig::from_toml_str(text).map_err(|source| OrgConfigError {
                parameter: parameter.clone().unwrap_or_else(|| ORG_CONFIG_PARAM.to_owned()),
                source,
            })?,
            (None, _) => {
                let mut builtin = OrgConfig::builtin();
                builtin.organisation.phone = None;
                builtin.organisation.address = None;
                builtin.organisation.email = Some(self.sender.as_str().to_owned());
                builtin
            }
        };
        org.organisation.name.clone_from(&self.org_name);
        if let Some(prefix) = &self.reference_prefix {
            org.organisation.reference_prefix.clone_from(prefix);
        }
        org.mail.from = self.sender.as_str().to_owned();
        Ok(org)
    }
}

/// `REFERENCE_PREFIX`, validated as a case reference prefix.
///
/// # Errors
/// [`EnvError`] when it is missing or not a valid prefix.
pub fn reference_prefix(env: &Env<'_>) -> Result<String, EnvError> {
    env.parsed(REFERENCE_PREFIX, |prefix| {
        complaints_core::reference::validate_prefix(prefix).map(|()| prefix.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn organisation(vars: &[(&str, &str)], with_prefix: bool) -> Result<Organisation, EnvError> {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Organisation::from_env(
            &Env::from_lookup(move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())),
            with_prefix,
        )
    }

    const BASE: [(&str, &str); 3] =
        [(SENDER, "complaints@council.example.org"), (ORG_NAME, "Example Council"), (REFERENCE_PREFIX, "EXC")];

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
    fn the_configuration_keeps_its_settings_under_the_stacks_name_prefix_and_sender() {
        let org = organisation(&BASE, true).expect("complete");
        let config = org.org_config(Some(COUNCIL_TOML)).expect("valid TOML");
        assert_eq!(config.service_areas, ["Bins", "Housing"]);
        assert_eq!(config.procedure.day_one_rule, complaints_core::workdays::DayOneRule::B);
        let easter_monday = chrono::NaiveDate::from_ymd_opt(2026, 4, 6).expect("date");
        assert!(!config.calendar().is_working_day(easter_monday), "the local holiday is in the calendar");
        assert_eq!(config.organisation.name, "Example Council");
        assert_eq!(config.organisation.reference_prefix, "EXC");
        assert_eq!(config.mail.from, "complaints@council.example.org");
    }

    #[test]
    fn without_a_configuration_the_builtin_one_gives_the_sender_and_no_placeholder_contacts() {
        let config = organisation(&BASE, true).expect("complete").org_config(None).expect("built-in");
        assert_eq!(config.procedure, OrgConfig::builtin().procedure);
        assert_eq!(config.organisation.phone, None);
        assert_eq!(config.organisation.address, None);
        assert_eq!(config.organisation.email.as_deref(), Some("complaints@council.example.org"));
    }

    #[test]
    fn a_function_that_opens_no_cases_needs_no_prefix_and_keeps_the_configurations() {
        let org = organisation(&BASE[..2], false).expect("no prefix needed");
        assert_eq!(org.reference_prefix, None);
        let config = org.org_config(Some("[organisation]\nreference_prefix = \"OTH\"\n")).expect("valid");
        assert_eq!(config.organisation.reference_prefix, "OTH");
        assert_eq!(organisation(&BASE[..2], true), Err(EnvError::Missing(REFERENCE_PREFIX)));
    }

    #[test]
    fn a_bad_sender_or_prefix_and_an_invalid_configuration_are_named() {
        let bad_sender = organisation(&[(SENDER, "not an address"), (ORG_NAME, "X")], false).expect_err("bad");
        assert!(bad_sender.to_string().contains(SENDER), "{bad_sender}");
        let bad_prefix = organisation(&[BASE[0], BASE[1], (REFERENCE_PREFIX, "e x")], true).expect_err("bad");
        assert!(bad_prefix.to_string().contains(REFERENCE_PREFIX), "{bad_prefix}");
        let mut org = organisation(&BASE, true).expect("complete");
        org.org_config_param = Some("/c/org".to_owned());
        let invalid = org.org_config(Some("[organisation\n")).expect_err("invalid TOML");
        assert!(invalid.to_string().contains("/c/org"), "{invalid}");
    }
}
