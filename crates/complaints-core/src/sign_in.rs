//! How long staff sessions last and when sign-in attempts are refused (`[sign_in]` in the
//! organisation configuration; docs/signing-in.md). Not an MCHP rule: the security of the staff
//! pages that handle the complaints.

use serde::{Deserialize, Serialize};

/// Session lifetimes, the account lockout and the per-client attempt limit of the staff pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SignInSettings {
    /// Minutes without a request after which a session ends (OWASP: 15 to 30 minutes).
    pub idle_minutes: u32,
    /// Hours after signing in after which a session ends, however busy.
    pub absolute_hours: u32,
    /// Failed sign-ins within `failure_window_minutes` that lock an account.
    pub max_failures: u32,
    pub failure_window_minutes: u32,
    /// How long a locked account stays locked.
    pub lock_minutes: u32,
    /// Sign-in attempts one client (address or IPv6 /64) may make per `client_window_minutes`
    /// before any password is checked; 0 turns the limit off.
    pub client_attempts: u32,
    pub client_window_minutes: u32,
}

impl Default for SignInSettings {
    fn default() -> Self {
        Self {
            idle_minutes: 30,
            absolute_hours: 10,
            max_failures: 5,
            failure_window_minutes: 15,
            lock_minutes: 15,
            client_attempts: 20,
            client_window_minutes: 15,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::OrgConfig;

    #[test]
    fn the_section_is_read_from_the_configuration_and_defaults_fill_the_rest() {
        let config = OrgConfig::from_toml_str("[sign_in]\nidle_minutes = 20\nlock_minutes = 60\n").expect("valid");
        assert_eq!(config.sign_in.idle_minutes, 20);
        assert_eq!(config.sign_in.lock_minutes, 60);
        assert_eq!(config.sign_in.absolute_hours, SignInSettings::default().absolute_hours);
        assert!(OrgConfig::from_toml_str("[sign_in]\nidle_minute = 20\n").is_err(), "a misspelt key is refused");
        assert_eq!(OrgConfig::builtin().sign_in, SignInSettings::default());
    }
}
