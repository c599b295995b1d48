//! The function's configuration: environment variables set by `infra/template.yaml`, read once per
//! cold start, and the secrets' SSM parameter names derived from them.

use complaints_lambda::deployment::{CONTACT_KEY_PARAM, TABLE_NAME};
use complaints_lambda::{Env, EnvError, MIN_KEY_LEN, Organisation, ParameterError, Parameters};
use complaints_social::SocialSecrets;

pub(crate) const RAW_BUCKET: &str = "RAW_BUCKET";
/// SSM path under which the platform secrets live, each named as its local variable
/// (`<prefix>META_APP_SECRET`, `<prefix>X_CONSUMER_SECRET`, …). A missing one turns its platform off.
pub(crate) const SOCIAL_PARAM_PREFIX: &str = "SOCIAL_PARAM_PREFIX";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Config {
    pub(crate) table_name: String,
    /// The organisation's name, reference prefix, sender and configuration parameter.
    pub(crate) organisation: Organisation,
    pub(crate) contact_key_param: String,
    pub(crate) raw_bucket: String,
    pub(crate) social_param_prefix: String,
    /// Our account ids by variable (`META_PAGE_IDS`…; `complaints_app::social_accounts`).
    pub(crate) accounts: std::collections::BTreeMap<String, String>,
}

impl Config {
    /// Reads the function's variables.
    ///
    /// # Errors
    /// [`EnvError`] naming the first missing or invalid variable.
    pub(crate) fn from_env(env: &Env<'_>) -> Result<Self, EnvError> {
        Ok(Self {
            table_name: env.required(TABLE_NAME)?,
            organisation: Organisation::from_env(env, true)?,
            contact_key_param: env.required(CONTACT_KEY_PARAM)?,
            raw_bucket: env.required(RAW_BUCKET)?,
            social_param_prefix: env.required(SOCIAL_PARAM_PREFIX)?,
            accounts: complaints_app::social_accounts::VARIABLES
                .iter()
                .filter_map(|(name, _)| env.optional(name).map(|ids| ((*name).to_owned(), ids)))
                .collect(),
        })
    }

    /// Every parameter to fetch in one call: the contact key, the organisation configuration
    /// (when named) and the four webhook secrets (the send tokens are the sweep's, not ours).
    pub(crate) fn parameter_names(&self) -> Vec<String> {
        let mut names = vec![self.contact_key_param.clone()];
        names.extend(self.organisation.org_config_param.clone());
        names.extend(
            complaints_social::config::WEBHOOK.iter().map(|name| format!("{}{name}", self.social_param_prefix)),
        );
        names
    }

    /// The platform secrets among what SSM returned.
    pub(crate) fn social_secrets(&self, found: &Parameters) -> SocialSecrets {
        SocialSecrets::from_lookup(|name| {
            found.text(&format!("{}{name}", self.social_param_prefix)).ok().map(str::to_owned)
        })
    }

    /// The contact key among what SSM returned.
    ///
    /// # Errors
    /// [`ParameterError`] naming the parameter.
    pub(crate) fn contact_key(&self, found: &Parameters) -> Result<Vec<u8>, ParameterError> {
        found.key(&self.contact_key_param, MIN_KEY_LEN)
    }
}

#[cfg(test)]
mod tests {
    use complaints_lambda::deployment::{ORG_NAME, REFERENCE_PREFIX, SENDER};

    use super::*;

    fn config() -> Config {
        Config::from_env(&Env::from_lookup(|name| {
            Some(
                match name {
                    TABLE_NAME => "t",
                    SENDER => "complaints@council.example.org",
                    ORG_NAME => "Example Council",
                    REFERENCE_PREFIX => "EXC",
                    CONTACT_KEY_PARAM => "/c/contact",
                    RAW_BUCKET => "raw",
                    SOCIAL_PARAM_PREFIX => "/c/social/",
                    _ => return None,
                }
                .to_owned(),
            )
        }))
        .expect("complete environment")
    }

    #[test]
    fn all_secrets_are_fetched_in_one_call_within_ssms_limit() {
        let names = config().parameter_names();
        assert!(names.len() <= 10, "{names:?}");
        assert!(names.contains(&"/c/social/META_APP_SECRET".to_owned()));
        assert!(names.contains(&"/c/contact".to_owned()));
        assert!(
            !names.iter().any(|n| n.ends_with("TOKEN") && !n.ends_with("VERIFY_TOKEN")),
            "no send token: {names:?}"
        );
    }

    #[test]
    fn a_platform_whose_parameters_are_missing_is_off() {
        let found = Parameters::from_pairs([
            ("/c/social/X_CONSUMER_SECRET".to_owned(), "consumer".to_owned()),
            ("/c/social/META_APP_SECRET".to_owned(), "app".to_owned()),
        ]);
        let secrets = config().social_secrets(&found);
        assert!(secrets.x.is_some());
        assert!(secrets.meta.is_none(), "no verify token, no Meta webhook");
    }
}
