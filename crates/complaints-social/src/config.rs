//! Which platforms are on, with their secrets: from environment variables locally
//! (`META_APP_SECRET`, `META_VERIFY_TOKEN`, `META_PAGE_TOKEN`, `WHATSAPP_TOKEN`,
//! `X_CONSUMER_SECRET`, `X_OAUTH2_CLIENT_SECRET`, `X_BEARER_TOKEN`), from the secrets store on AWS
//! (the function reads the same names from SSM and hands them over through
//! [`SocialSecrets::from_lookup`]). A platform without its secret is off: its webhook answers 404.

/// The variable names, as `complaints serve` reads them and the function's parameters are named.
pub const META_APP_SECRET: &str = "META_APP_SECRET";
pub const META_VERIFY_TOKEN: &str = "META_VERIFY_TOKEN";
pub const META_PAGE_TOKEN: &str = "META_PAGE_TOKEN";
pub const WHATSAPP_TOKEN: &str = "WHATSAPP_TOKEN";
pub const X_CONSUMER_SECRET: &str = "X_CONSUMER_SECRET";
pub const X_OAUTH2_CLIENT_SECRET: &str = "X_OAUTH2_CLIENT_SECRET";
pub const X_BEARER_TOKEN: &str = "X_BEARER_TOKEN";

/// What the webhooks need (intake-social): signatures and Meta's verification.
pub const WEBHOOK: [&str; 4] = [META_APP_SECRET, META_VERIFY_TOKEN, X_CONSUMER_SECRET, X_OAUTH2_CLIENT_SECRET];

/// What the replies need (the mail-delivery sweep): the send APIs' tokens.
pub const SEND: [&str; 3] = [META_PAGE_TOKEN, WHATSAPP_TOKEN, X_BEARER_TOKEN];

/// Every secret name, in one list (`complaints serve` reads them all).
pub const ALL: [&str; 7] = [
    META_APP_SECRET,
    META_VERIFY_TOKEN,
    META_PAGE_TOKEN,
    WHATSAPP_TOKEN,
    X_CONSUMER_SECRET,
    X_OAUTH2_CLIENT_SECRET,
    X_BEARER_TOKEN,
];

/// Meta's webhook secrets: both are needed for the webhook to be on.
#[derive(Clone)]
pub struct MetaSecrets {
    pub app_secret: Vec<u8>,
    pub verify_token: String,
}

/// X's webhook secrets: at least one of the two.
#[derive(Clone)]
pub struct XSecrets {
    /// Signs `X-Twitter-Webhooks-Signature-OAuth2`.
    pub oauth2_client_secret: Option<Vec<u8>>,
    /// Signs the legacy `X-Twitter-Webhooks-Signature` and the CRC answer.
    pub consumer_secret: Option<Vec<u8>>,
}

impl XSecrets {
    /// The key for the CRC answer: X documents the consumer secret; an app set up with its
    /// OAuth 2.0 client secret only answers with that.
    #[must_use]
    pub fn crc_key(&self) -> &[u8] {
        self.consumer_secret.as_deref().or(self.oauth2_client_secret.as_deref()).unwrap_or_default()
    }
}

/// The send APIs' tokens (each optional: without one, replies on that platform wait and are
/// given up for staff after the retries).
#[derive(Clone, Default)]
pub struct SendTokens {
    pub page: Option<String>,
    pub whatsapp: Option<String>,
    pub x_bearer: Option<String>,
}

macro_rules! redacted_debug {
    ($($name:ident),*) => {$(
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                // Secrets never reach a log.
                f.debug_struct(stringify!($name)).finish_non_exhaustive()
            }
        }
    )*};
}

redacted_debug!(MetaSecrets, XSecrets, SendTokens);

/// Everything secret the social webhooks need.
#[derive(Clone, Default)]
pub struct SocialSecrets {
    pub meta: Option<MetaSecrets>,
    pub x: Option<XSecrets>,
    pub tokens: SendTokens,
}

impl std::fmt::Debug for SocialSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Which platforms are on, never a secret.
        f.debug_struct("SocialSecrets")
            .field("meta", &self.meta.is_some())
            .field("x", &self.x.is_some())
            .field("page_token", &self.tokens.page.is_some())
            .field("whatsapp_token", &self.tokens.whatsapp.is_some())
            .field("x_bearer", &self.tokens.x_bearer.is_some())
            .finish()
    }
}

impl SocialSecrets {
    /// Reads the secrets by name; blank values count as absent.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let meta = match (get(META_APP_SECRET), get(META_VERIFY_TOKEN)) {
            (Some(secret), Some(verify_token)) => Some(MetaSecrets { app_secret: secret.into_bytes(), verify_token }),
            _ => None,
        };
        let oauth2 = get(X_OAUTH2_CLIENT_SECRET).map(String::into_bytes);
        let consumer = get(X_CONSUMER_SECRET).map(String::into_bytes);
        let x = (oauth2.is_some() || consumer.is_some())
            .then_some(XSecrets { oauth2_client_secret: oauth2, consumer_secret: consumer });
        Self {
            meta,
            x,
            tokens: SendTokens {
                page: get(META_PAGE_TOKEN),
                whatsapp: get(WHATSAPP_TOKEN),
                x_bearer: get(X_BEARER_TOKEN),
            },
        }
    }

    /// From the process environment (`complaints serve`).
    #[must_use]
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// True when any platform's webhook is on.
    #[must_use]
    pub fn any(&self) -> bool {
        self.meta.is_some() || self.x.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_platform_is_on_only_with_its_secrets() {
        let none = SocialSecrets::from_lookup(|_| None);
        assert!(!none.any());

        let meta_half = SocialSecrets::from_lookup(|n| (n == META_APP_SECRET).then(|| "s".to_owned()));
        assert!(meta_half.meta.is_none(), "no verify token, no Meta webhook");

        let x_legacy = SocialSecrets::from_lookup(|n| (n == X_CONSUMER_SECRET).then(|| "c".to_owned()));
        assert_eq!(x_legacy.x.as_ref().map(XSecrets::crc_key), Some(&b"c"[..]));

        let blank = SocialSecrets::from_lookup(|_| Some("  ".to_owned()));
        assert!(!blank.any(), "blank values are absent");
    }

    #[test]
    fn debug_never_shows_a_secret() {
        let all = SocialSecrets::from_lookup(|_| Some("hunter2-secret".to_owned()));
        assert!(all.meta.is_some() && all.x.is_some());
        assert!(!format!("{all:?}").contains("hunter2"));
    }
}
