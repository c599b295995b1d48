//! One typed organisation configuration, read from TOML (mchp-rules: every [U] rule is a
//! configurable default). SKELETON: field set is STABLE; validation and messages being completed.

use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, CalendarChange};
use crate::policy::Policy;

/// Who the organisation is, as citizens see it in messages and on the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Organisation {
    pub name: String,
    /// Prefix of case references, e.g. `CMP` in `CMP-2026-00042`.
    pub reference_prefix: String,
    /// The team named as handling new cases until someone is assigned (R42).
    pub default_handler: String,
    /// Phone number citizens can call about their complaint, shown in messages.
    pub phone: Option<String>,
    /// Website of the organisation.
    pub website: Option<String>,
}

impl Default for Organisation {
    fn default() -> Self {
        Self {
            name: "Example Council".to_owned(),
            reference_prefix: "CMP".to_owned(),
            default_handler: "Complaints Team".to_owned(),
            phone: None,
            website: None,
        }
    }
}

/// Sender settings for outgoing mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailSettings {
    /// `From` address of automatic messages.
    pub from: String,
    /// `Reply-To` address (replies become case correspondence).
    pub reply_to: Option<String>,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self { from: "complaints@example.org".to_owned(), reply_to: None }
    }
}

/// The whole organisation configuration. STABLE field set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrgConfig {
    pub organisation: Organisation,
    pub procedure: Policy,
    pub mail: MailSettings,
    /// Service areas offered on the web form.
    pub service_areas: Vec<String>,
    /// Local holidays, closures and removed days, applied in order on top of the Scottish calendar.
    pub calendar: Vec<CalendarChange>,
}

impl Default for OrgConfig {
    fn default() -> Self {
        Self {
            organisation: Organisation::default(),
            procedure: Policy::default(),
            mail: MailSettings::default(),
            service_areas: [
                "Bins and recycling",
                "Council tax and benefits",
                "Education and schools",
                "Housing and repairs",
                "Planning and building standards",
                "Roads, parking and transport",
                "Social work and care",
                "Something else",
            ]
            .map(str::to_owned)
            .to_vec(),
            calendar: Vec::new(),
        }
    }
}

/// Why a configuration file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration is not valid TOML: {0}")]
    Syntax(String),
    #[error("configuration value {field} is invalid: {why}")]
    Invalid { field: String, why: String },
}

impl OrgConfig {
    /// The built-in configuration used when none is given.
    #[must_use]
    pub fn builtin() -> Self {
        Self::default()
    }

    /// Parses a configuration file's text.
    ///
    /// # Errors
    /// [`ConfigError`] naming the bad field.
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        let config: Self = toml::from_str(text).map_err(|e| ConfigError::Syntax(e.to_string()))?;
        crate::reference::validate_prefix(&config.organisation.reference_prefix).map_err(|e| {
            ConfigError::Invalid { field: "organisation.reference_prefix".to_owned(), why: e.to_string() }
        })?;
        Ok(config)
    }

    /// The organisation's calendar: Scottish bank holidays plus its own changes.
    #[must_use]
    pub fn calendar(&self) -> Calendar {
        Calendar::scotland().with_changes(&self.calendar)
    }
}
