//! Which platform accounts are ours (issue 15 §2: `for_user_id` names our account): the Facebook
//! pages, Instagram accounts, WhatsApp phone-number ids and X user ids the webhooks answer for. A
//! delivery signed with our app secret can still be for another account the app is subscribed to
//! (a test page, another council's page on a shared app): such messages are not taken in as
//! complaints; they are quarantined for staff, visibly.
//!
//! Configured by variables (comma-separated ids): `META_PAGE_IDS`, `INSTAGRAM_ACCOUNT_IDS`,
//! `WHATSAPP_PHONE_NUMBER_IDS`, `X_USER_IDS`. A transport with no ids configured takes in nothing:
//! its messages are quarantined with a reason that says the accounts are not configured.

use std::collections::{BTreeSet, HashMap};

use crate::social::SocialTransport;

pub const META_PAGE_IDS: &str = "META_PAGE_IDS";
pub const INSTAGRAM_ACCOUNT_IDS: &str = "INSTAGRAM_ACCOUNT_IDS";
pub const WHATSAPP_PHONE_NUMBER_IDS: &str = "WHATSAPP_PHONE_NUMBER_IDS";
pub const X_USER_IDS: &str = "X_USER_IDS";

/// Every variable, with the transport it configures.
pub const VARIABLES: [(&str, SocialTransport); 4] = [
    (META_PAGE_IDS, SocialTransport::Messenger),
    (INSTAGRAM_ACCOUNT_IDS, SocialTransport::Instagram),
    (WHATSAPP_PHONE_NUMBER_IDS, SocialTransport::WhatsApp),
    (X_USER_IDS, SocialTransport::X),
];

/// Whether a message's account is ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountCheck {
    Ours,
    /// Not among the configured ids.
    NotOurs,
    /// No ids are configured for this transport.
    NotConfigured,
}

impl AccountCheck {
    /// The log-safe reason a message was quarantined.
    #[must_use]
    pub fn reason(self, transport: SocialTransport) -> Option<String> {
        match self {
            Self::Ours => None,
            Self::NotOurs => Some(format!("{} delivery for an account that is not ours", transport.as_str())),
            Self::NotConfigured => Some(format!("no {} account is configured", transport.as_str())),
        }
    }
}

/// Our accounts per transport.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SocialAccounts {
    ids: HashMap<SocialTransport, BTreeSet<String>>,
    /// Every account is taken as ours: replays of recorded payloads (tests, the corpus).
    any: bool,
}

impl SocialAccounts {
    /// From variables (see the module docs); blank entries are skipped.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let mut ids = HashMap::new();
        for (name, transport) in VARIABLES {
            let set: BTreeSet<String> = lookup(name)
                .unwrap_or_default()
                .split(',')
                .map(|id| id.trim().to_ascii_lowercase())
                .filter(|id| !id.is_empty())
                .collect();
            if !set.is_empty() {
                ids.insert(transport, set);
            }
        }
        Self { ids, any: false }
    }

    /// Takes every account as ours: only for replaying recorded payloads whose ids are not ours.
    #[must_use]
    pub fn any() -> Self {
        Self { ids: HashMap::new(), any: true }
    }

    /// Adds `account` as ours on `transport`.
    #[must_use]
    pub fn with(mut self, transport: SocialTransport, account: &str) -> Self {
        self.ids.entry(transport).or_default().insert(account.trim().to_ascii_lowercase());
        self
    }

    /// Whether `account` is ours on `transport`.
    #[must_use]
    pub fn check(&self, transport: SocialTransport, account: &str) -> AccountCheck {
        if self.any {
            return AccountCheck::Ours;
        }
        match self.ids.get(&transport) {
            None => AccountCheck::NotConfigured,
            Some(ids) if ids.contains(&account.trim().to_ascii_lowercase()) => AccountCheck::Ours,
            Some(_) => AccountCheck::NotOurs,
        }
    }

    /// The transports with at least one account (for the start-up log).
    #[must_use]
    pub fn configured(&self) -> Vec<&'static str> {
        SocialTransport::ALL.into_iter().filter(|t| self.ids.contains_key(t)).map(SocialTransport::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_configured_accounts_are_ours_and_an_unconfigured_transport_takes_nothing_in() {
        let accounts = SocialAccounts::from_lookup(|name| match name {
            META_PAGE_IDS => Some(" 111, 222 ,".to_owned()),
            X_USER_IDS => Some("4337869213".to_owned()),
            _ => None,
        });
        assert_eq!(accounts.check(SocialTransport::Messenger, "222"), AccountCheck::Ours);
        assert_eq!(accounts.check(SocialTransport::Messenger, "333"), AccountCheck::NotOurs);
        assert_eq!(accounts.check(SocialTransport::X, "4337869213"), AccountCheck::Ours);
        assert_eq!(accounts.check(SocialTransport::X, "1"), AccountCheck::NotOurs);
        assert_eq!(accounts.check(SocialTransport::WhatsApp, "555"), AccountCheck::NotConfigured);
        assert_eq!(accounts.configured(), ["messenger", "x"]);
        assert_eq!(SocialAccounts::any().check(SocialTransport::Instagram, "9"), AccountCheck::Ours);
    }
}
