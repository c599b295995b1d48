//! The function's two keys (SSM SecureStrings) and, when configured, the organisation
//! configuration (TOML in an SSM parameter), read once per environment in one `GetParameters`
//! call by the first request (`prepare.rs`), through the shared shell's [`Parameters`].

use std::sync::Arc;

// Shortest key we accept: 32 bytes is 256 bits for HMAC-SHA-256 when the value is random
// (`openssl rand -hex 32` gives 64 characters; docs/deployment.md).
use complaints_lambda::{MIN_KEY_LEN, ParameterError, Parameters};

use crate::config::Config;

/// The keys. `Debug` never shows them.
#[derive(Clone)]
pub(crate) struct Secrets {
    /// Keyed hash of contact addresses (contacts are never stored in clear in a key).
    pub(crate) contact_key: Arc<[u8]>,
    /// Signs form tokens and confirmation links.
    pub(crate) form_key: Vec<u8>,
    /// The organisation configuration's TOML text, when `ORG_CONFIG_PARAM` names one.
    pub(crate) org_config: Option<String>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets").finish_non_exhaustive()
    }
}

/// Fetches both keys (and the organisation configuration, when named).
///
/// # Errors
/// [`ParameterError`].
pub(crate) async fn load(client: &aws_sdk_ssm::Client, config: &Config) -> Result<Secrets, ParameterError> {
    let mut names = vec![config.contact_key_param.as_str(), config.form_key_param.as_str()];
    names.extend(config.organisation.org_config_param.as_deref());
    from_parameters(config, &Parameters::fetch(client, &names).await?)
}

/// Picks the keys and the configuration out of what SSM returned.
fn from_parameters(config: &Config, found: &Parameters) -> Result<Secrets, ParameterError> {
    let org_config = match &config.organisation.org_config_param {
        Some(parameter) => Some(found.text(parameter)?.to_owned()),
        None => None,
    };
    Ok(Secrets {
        contact_key: found.key(&config.contact_key_param, MIN_KEY_LEN)?.into(),
        form_key: found.key(&config.form_key_param, MIN_KEY_LEN)?,
        org_config,
    })
}

#[cfg(test)]
mod tests {
    use complaints_lambda::Env;

    use super::*;

    fn config() -> Config {
        Config::from_env(&Env::from_lookup(|name| {
            Some(
                match name {
                    "TABLE_NAME" => "t",
                    "SENDER" => "complaints@council.example.org",
                    "ORG_NAME" => "Example Council",
                    "REFERENCE_PREFIX" => "EXC",
                    "CONTACT_KEY_PARAM" => "/c/contact",
                    "FORM_KEY_PARAM" => "/c/form",
                    _ => return None,
                }
                .to_owned(),
            )
        }))
        .expect("test config")
    }

    fn found(pairs: &[(&str, &str)]) -> Parameters {
        Parameters::from_pairs(pairs.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())))
    }

    #[test]
    fn both_keys_are_taken_by_parameter_name_whatever_the_order() {
        let contact = "c".repeat(MIN_KEY_LEN);
        let form = "f".repeat(MIN_KEY_LEN + 8);

        let secrets =
            from_parameters(&config(), &found(&[("/c/form", &form), ("/c/contact", &contact)])).expect("both");

        assert_eq!(&*secrets.contact_key, contact.as_bytes());
        assert_eq!(secrets.form_key, form.as_bytes());
        assert!(!format!("{secrets:?}").contains(&contact));
    }

    #[test]
    fn a_missing_or_short_key_names_its_parameter_only() {
        let long = "k".repeat(MIN_KEY_LEN);
        let short = "k".repeat(MIN_KEY_LEN - 1);
        let cases = [
            (found(&[("/c/form", &long)]), "/c/contact"),
            (found(&[("/c/contact", &long)]), "/c/form"),
            (found(&[("/c/contact", &short), ("/c/form", &long)]), "/c/contact"),
        ];
        for (returned, culprit) in cases {
            let err = from_parameters(&config(), &returned).expect_err("a key is unusable");

            let message = err.to_string();
            assert!(message.contains(culprit), "{message}");
            assert!(!message.contains(&short), "{message}");
        }
    }

    #[test]
    fn the_organisation_configuration_comes_back_when_named_and_is_required_then() {
        let long = "k".repeat(MIN_KEY_LEN);
        let mut config = config();
        let keys = [("/c/contact", long.as_str()), ("/c/form", long.as_str())];
        assert_eq!(from_parameters(&config, &found(&keys)).expect("keys only").org_config, None);

        config.organisation.org_config_param = Some("/c/organisation".to_owned());
        let err = from_parameters(&config, &found(&keys)).expect_err("the named configuration is missing");
        assert!(err.to_string().contains("/c/organisation"), "{err}");

        let with_org = [keys[0], keys[1], ("/c/organisation", "service_areas = [\"Bins\"]")];
        let secrets = from_parameters(&config, &found(&with_org)).expect("all three");
        assert_eq!(secrets.org_config.as_deref(), Some("service_areas = [\"Bins\"]"));
    }
}
