//! The function's two keys (SSM SecureStrings) and, when configured, the organisation
//! configuration (TOML in an SSM parameter), read once per environment in one `GetParameters`
//! call: one round trip, made while the runtime starts (`prepare.rs`).

use std::sync::Arc;

use aws_sdk_ssm::Client;
use aws_sdk_ssm::error::{ProvideErrorMetadata as _, SdkError};

use crate::config::Config;

/// Shortest key we accept: 32 bytes is 256 bits for HMAC-SHA-256 when the value is random
/// (`openssl rand -hex 32` gives 64 characters; README, "Deploying to AWS").
pub(crate) const MIN_KEY_LEN: usize = 32;

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

/// Why the keys could not be read. Names the parameter, never its value.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SecretsError {
    /// SSM could not be reached, timed out, throttled or failed on its side: worth another try.
    #[error("SSM parameter store unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// SSM refused the request (permissions, the KMS key, a malformed name) or its certificate is
    /// not trusted: it will say the same until someone changes the deployment.
    #[error(
        "SSM parameter store refused the request (check the function's permissions, the parameter names and TLS_ROOTS)"
    )]
    Refused(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("SSM parameter {0} does not exist")]
    Missing(String),
    #[error("SSM parameter {0} is shorter than {MIN_KEY_LEN} characters")]
    TooShort(String),
}

/// Fetches both keys.
///
/// # Errors
/// [`SecretsError`].
pub(crate) async fn load(client: &Client, config: &Config) -> Result<Secrets, SecretsError> {
    let mut request = client.get_parameters().names(&config.contact_key_param).names(&config.form_key_param);
    if let Some(parameter) = &config.org_config_param {
        request = request.names(parameter);
    }
    let output = request.with_decryption(true).send().await.map_err(|err| {
        let (status, code) = match &err {
            SdkError::ServiceError(service) => (Some(service.raw().status().as_u16()), service.err().code()),
            _ => (None, None),
        };
        if refused(status, code, complaints_aws::is_certificate_error(&err)) {
            SecretsError::Refused(err.into())
        } else {
            SecretsError::Unavailable(err.into())
        }
    })?;
    let found: Vec<(String, String)> =
        output.parameters().iter().filter_map(|p| Some((p.name()?.to_owned(), p.value()?.to_owned()))).collect();
    from_found(config, &found)
}

/// Whether SSM's answer will not change by trying again: a 4xx other than throttling (AWS JSON
/// services throttle with a 400 and a `Throttling…` code), or an untrusted certificate.
fn refused(status: Option<u16>, code: Option<&str>, untrusted_certificate: bool) -> bool {
    let throttled = code.is_some_and(|code| {
        code.contains("Throttl") || code.contains("TooManyRequests") || code.contains("LimitExceeded")
    });
    untrusted_certificate || status.is_some_and(|status| (400..500).contains(&status) && status != 429 && !throttled)
}

/// Picks the two keys out of what SSM returned.
fn from_found(config: &Config, found: &[(String, String)]) -> Result<Secrets, SecretsError> {
    let key = |name: &str| -> Result<Vec<u8>, SecretsError> {
        let (_, value) = found.iter().find(|(n, _)| n == name).ok_or_else(|| SecretsError::Missing(name.to_owned()))?;
        if value.len() < MIN_KEY_LEN {
            return Err(SecretsError::TooShort(name.to_owned()));
        }
        Ok(value.as_bytes().to_vec())
    };
    let org_config = match &config.org_config_param {
        Some(parameter) => Some(
            found
                .iter()
                .find(|(n, _)| n == parameter)
                .map(|(_, text)| text.clone())
                .ok_or_else(|| SecretsError::Missing(parameter.clone()))?,
        ),
        None => None,
    };
    Ok(Secrets {
        contact_key: key(&config.contact_key_param)?.into(),
        form_key: key(&config.form_key_param)?,
        org_config,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::from_lookup(|name| {
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
        })
        .expect("test config")
    }

    fn found(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn refusals_are_told_from_passing_trouble() {
        let cases = [
            (Some(400), Some("AccessDeniedException"), false, true),
            (Some(400), Some("ValidationException"), false, true),
            (Some(400), Some("ThrottlingException"), false, false),
            (Some(429), None, false, false),
            (Some(500), Some("InternalServerError"), false, false),
            (None, None, false, false),
            (None, None, true, true),
        ];
        for (status, code, untrusted, expected) in cases {
            assert_eq!(refused(status, code, untrusted), expected, "{status:?} {code:?} {untrusted}");
        }
    }

    #[test]
    fn both_keys_are_taken_by_parameter_name_whatever_the_order() {
        let contact = "c".repeat(MIN_KEY_LEN);
        let form = "f".repeat(MIN_KEY_LEN + 8);

        let secrets = from_found(&config(), &found(&[("/c/form", &form), ("/c/contact", &contact)])).expect("both");

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
            let err = from_found(&config(), &returned).expect_err("a key is unusable");

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
        assert_eq!(from_found(&config, &found(&keys)).expect("keys only").org_config, None);

        config.org_config_param = Some("/c/organisation".to_owned());
        let err = from_found(&config, &found(&keys)).expect_err("the named configuration is missing");
        assert!(err.to_string().contains("/c/organisation"), "{err}");

        let with_org = [keys[0], keys[1], ("/c/organisation", "service_areas = [\"Bins\"]")];
        let secrets = from_found(&config, &found(&with_org)).expect("all three");
        assert_eq!(secrets.org_config.as_deref(), Some("service_areas = [\"Bins\"]"));
    }
}
