//! Private replies through the platforms' send APIs (R50), with reqwest from
//! `complaints_https::client_builder` (rustls on ring, the one TLS stack, trusting the public web
//! roots: the platforms are not AWS, so the AWS-only roots of `complaints-aws` do not fit). Base
//! URLs and the Graph API version come from configuration, so tests and the benchmark point them
//! at a fake platform on 127.0.0.1.
//!
//! - Messenger / Instagram: `POST {graph}/{version}/{account}/messages` with
//!   `messaging_type: RESPONSE` (inside the 24-hour window, which [`TransportMailer`] enforces).
//! - WhatsApp: `POST {graph}/{version}/{phone-number-id}/messages`, a free-form text.
//! - X: `POST {x}/2/dm_conversations/with/{participant}/messages`.
//!
//! [`TransportMailer`]: complaints_app::social::TransportMailer

use std::time::Duration;

use async_trait::async_trait;
use complaints_app::social::{SocialAddress, SocialSendError, SocialSender, SocialTransport};
use serde_json::{Value, json};

use crate::config::SendTokens;

/// Where the send APIs are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// `https://graph.facebook.com` in production.
    pub graph_base: String,
    /// The Graph API version, e.g. `v23.0`: kept in configuration because Meta retires versions.
    pub graph_version: String,
    /// `https://api.x.com` in production.
    pub x_base: String,
}

/// Variable names for the endpoints (optional; production defaults otherwise).
pub const META_GRAPH_BASE: &str = "META_GRAPH_BASE";
pub const META_GRAPH_VERSION: &str = "META_GRAPH_VERSION";
pub const X_API_BASE: &str = "X_API_BASE";

/// The Graph API version used when none is configured.
pub const DEFAULT_GRAPH_VERSION: &str = "v23.0";

impl Endpoints {
    /// From variables, with production defaults.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str, default: &str| {
            lookup(name)
                .map(|v| v.trim().trim_end_matches('/').to_owned())
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| default.to_owned())
        };
        Self {
            graph_base: get(META_GRAPH_BASE, "https://graph.facebook.com"),
            graph_version: get(META_GRAPH_VERSION, DEFAULT_GRAPH_VERSION),
            x_base: get(X_API_BASE, "https://api.x.com"),
        }
    }
}

/// Why the HTTPS client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot build the HTTPS client for the platforms")]
    Client(#[source] complaints_https::HttpsError),
    /// Tokens never travel in clear: plain HTTP only to a stand-in on this machine (tests).
    #[error("{0} must be an https:// URL (plain http only to a loopback address)")]
    NotHttps(&'static str),
}

pub use complaints_https::allowed_base;

pub(crate) type Https = complaints_https::reqwest::Client;

/// Sends through the platforms' HTTP APIs.
#[derive(Clone)]
pub struct HttpSocialSender {
    client: Https,
    endpoints: Endpoints,
    tokens: SendTokens,
}

impl std::fmt::Debug for HttpSocialSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSocialSender").field("endpoints", &self.endpoints).finish_non_exhaustive()
    }
}

/// How long one send may take: well inside the delivery lease (one minute) and a Lambda's
/// timeout.
const SEND_TIMEOUT: Duration = Duration::from_secs(8);

/// The most of a platform's error answer we read.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

impl HttpSocialSender {
    /// A sender with its own HTTPS client (rustls on ring, Mozilla's public roots only; plain
    /// HTTP only for a stand-in on a test address).
    ///
    /// # Errors
    /// [`ClientError`] when the TLS configuration cannot be built.
    pub fn new(endpoints: Endpoints, tokens: SendTokens) -> Result<Self, ClientError> {
        for (name, base) in [(META_GRAPH_BASE, &endpoints.graph_base), (X_API_BASE, &endpoints.x_base)] {
            if !allowed_base(base) {
                return Err(ClientError::NotHttps(name));
            }
        }
        let client = https_client()?;
        Ok(Self { client, endpoints, tokens })
    }

    fn request(&self, to: &SocialAddress, text: &str) -> (String, Option<&str>, Value) {
        let graph = format!("{}/{}", self.endpoints.graph_base, self.endpoints.graph_version);
        match to.transport {
            SocialTransport::Messenger | SocialTransport::Instagram => (
                format!("{graph}/{}/messages", to.account),
                self.tokens.page.as_deref(),
                json!({
                    "recipient": { "id": to.user },
                    "messaging_type": "RESPONSE",
                    "message": { "text": text },
                }),
            ),
            SocialTransport::WhatsApp => (
                format!("{graph}/{}/messages", to.account),
                self.tokens.whatsapp.as_deref(),
                json!({
                    "messaging_product": "whatsapp",
                    "recipient_type": "individual",
                    "to": to.user,
                    "type": "text",
                    "text": { "preview_url": false, "body": text },
                }),
            ),
            SocialTransport::X => (
                format!("{}/2/dm_conversations/with/{}/messages", self.endpoints.x_base, to.user),
                self.tokens.x_bearer.as_deref(),
                json!({ "text": text }),
            ),
        }
    }
}

/// The platforms' HTTPS client: the one builder's (rustls on ring, Mozilla's public roots only),
/// with redirects off so a token never follows one; plain HTTP only where the caller allowed it
/// ([`allowed_base`], loopback).
///
/// # Errors
/// [`ClientError::Client`] when the TLS configuration cannot be built.
pub(crate) fn https_client() -> Result<Https, ClientError> {
    complaints_https::client_without_redirects().map_err(ClientError::Client)
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct Failure(pub(crate) String);

#[async_trait]
impl SocialSender for HttpSocialSender {
    async fn send(&self, to: &SocialAddress, text: &str, _message_id: &str) -> Result<(), SocialSendError> {
        let (url, token, body) = self.request(to, text);
        let Some(token) = token else {
            return Err(SocialSendError::Auth(format!("no {} token configured", to.transport.as_str())));
        };
        let unavailable = |kind: &str| SocialSendError::Unavailable(Box::new(Failure(kind.to_owned())));
        let sent = self
            .client
            .post(url.as_str())
            .bearer_auth(token)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .timeout(SEND_TIMEOUT)
            .send()
            .await;
        let response = match sent {
            Err(err) if err.is_timeout() => return Err(unavailable("timed out")),
            Err(err) if err.is_connect() => return Err(unavailable("could not connect")),
            Err(err) if err.is_builder() => {
                return Err(SocialSendError::Rejected(format!("{} request could not be built", to.transport.as_str())));
            }
            Err(_) => return Err(unavailable("request failed")),
            Ok(response) => response,
        };
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let detail = match complaints_https::read_limited(response, MAX_ANSWER_BYTES).await {
            Ok(body) => serde_json::from_slice(&body).unwrap_or(Value::Null),
            Err(_) => Value::Null,
        };
        Err(classify(to.transport, status.as_u16(), &detail))
    }
}

/// Meta's Graph errors carry `error.code` (and `error_subcode`); X's are problem documents with a
/// `type` URL. Auth: 401; Meta 403 and codes 190 (token expired or revoked), 102 (session), 10
/// and 200–299 (permissions); X 403 only when its problem type says the app or token is not
/// allowed (`unsupported-authentication`, `client-forbidden`). An X 403 otherwise means this
/// person cannot be sent a DM (they do not accept DMs from us, blocked us, or the conversation is
/// closed): a refusal for that reply, not a broken channel. Retry: 429, 5xx, Meta rate limits (4,
/// 17, 32, 613, 80007). Everything else is a refusal for good. The kind never holds the
/// platform's message text (it may quote the person).
pub(crate) fn classify(transport: SocialTransport, status: u16, detail: &Value) -> SocialSendError {
    let error = detail.get("error");
    let code = error.and_then(|e| e.get("code")).and_then(Value::as_i64);
    let subcode = error.and_then(|e| e.get("error_subcode")).and_then(Value::as_i64);
    let kind = format!(
        "{} status {status}{}{}",
        transport.as_str(),
        code.map(|c| format!(" code {c}")).unwrap_or_default(),
        subcode.map(|c| format!(" subcode {c}")).unwrap_or_default()
    );
    // Meta's "outside of allowed window" is code 10 with this subcode: a refusal, not an auth fault.
    const OUTSIDE_WINDOW_SUBCODE: i64 = 2_018_278;
    if subcode == Some(OUTSIDE_WINDOW_SUBCODE) {
        return SocialSendError::Rejected(kind);
    }
    if transport == SocialTransport::X && status == 403 {
        let problem = detail.get("type").and_then(Value::as_str).unwrap_or_default();
        let app_refused = ["unsupported-authentication", "client-forbidden", "not-authorized-for-resource"]
            .iter()
            .any(|kind| problem.ends_with(kind));
        let problem_kind = problem.rsplit('/').next().filter(|k| k.len() <= 64 && !k.is_empty()).unwrap_or("none");
        let kind = format!("{kind} problem {problem_kind}");
        return if app_refused { SocialSendError::Auth(kind) } else { SocialSendError::Rejected(kind) };
    }
    let auth = status == 401
        || status == 403
        || matches!(code, Some(190 | 102 | 10))
        || code.is_some_and(|c| (200..300).contains(&c));
    let retry = status == 429 || status >= 500 || matches!(code, Some(4 | 17 | 32 | 613 | 80007));
    if auth {
        SocialSendError::Auth(kind)
    } else if retry {
        SocialSendError::Unavailable(Box::new(Failure(kind)))
    } else {
        SocialSendError::Rejected(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_tokens_are_auth_faults_and_throttling_is_retried() {
        let expired = json!({"error": {"code": 190, "message": "Error validating access token"}});
        assert!(matches!(classify(SocialTransport::Messenger, 400, &expired), SocialSendError::Auth(_)));
        assert!(matches!(classify(SocialTransport::X, 401, &Value::Null), SocialSendError::Auth(_)));
        assert!(matches!(classify(SocialTransport::X, 429, &Value::Null), SocialSendError::Unavailable(_)));
        assert!(matches!(classify(SocialTransport::WhatsApp, 503, &Value::Null), SocialSendError::Unavailable(_)));
        let window = json!({"error": {"code": 10, "error_subcode": 2_018_278}});
        assert!(matches!(classify(SocialTransport::Messenger, 400, &window), SocialSendError::Rejected(_)));
        let unknown_user = json!({"error": {"code": 100, "message": "No matching user found for Jo"}});
        match classify(SocialTransport::Messenger, 400, &unknown_user) {
            SocialSendError::Rejected(kind) => assert!(!kind.contains("Jo"), "{kind}"),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn an_x_403_is_a_refusal_of_that_dm_unless_x_says_the_app_is_not_allowed() {
        let closed = json!({"title": "Forbidden", "status": 403, "type": "about:blank", "detail": "You cannot send messages to this user."});
        match classify(SocialTransport::X, 403, &closed) {
            SocialSendError::Rejected(kind) => assert!(!kind.contains("cannot send"), "{kind}"),
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(matches!(classify(SocialTransport::X, 403, &Value::Null), SocialSendError::Rejected(_)));
        let app = json!({"title": "Client Forbidden", "status": 403, "type": "https://api.twitter.com/2/problems/client-forbidden", "reason": "client-not-enrolled"});
        assert!(matches!(classify(SocialTransport::X, 403, &app), SocialSendError::Auth(_)));
        let auth = json!({"title": "Unsupported Authentication", "status": 403, "type": "https://api.twitter.com/2/problems/unsupported-authentication"});
        assert!(matches!(classify(SocialTransport::X, 403, &auth), SocialSendError::Auth(_)));
        assert!(matches!(classify(SocialTransport::Messenger, 403, &Value::Null), SocialSendError::Auth(_)));
    }

    #[test]
    fn a_plain_http_base_off_loopback_is_refused() {
        let plain = Endpoints::from_lookup(|name| (name == X_API_BASE).then(|| "http://api.x.com".to_owned()));
        assert!(matches!(HttpSocialSender::new(plain, SendTokens::default()), Err(ClientError::NotHttps(X_API_BASE))));
        let local = Endpoints::from_lookup(|name| (name == X_API_BASE).then(|| "http://127.0.0.1:9".to_owned()));
        assert!(HttpSocialSender::new(local, SendTokens::default()).is_ok());
    }

    #[test]
    fn endpoints_default_to_production_and_take_configuration() {
        let production = Endpoints::from_lookup(|_| None);
        assert_eq!(production.graph_base, "https://graph.facebook.com");
        assert_eq!(production.x_base, "https://api.x.com");
        let local = Endpoints::from_lookup(|name| match name {
            META_GRAPH_BASE => Some("http://127.0.0.1:9/".to_owned()),
            META_GRAPH_VERSION => Some("v99.0".to_owned()),
            _ => None,
        });
        assert_eq!((local.graph_base.as_str(), local.graph_version.as_str()), ("http://127.0.0.1:9", "v99.0"));
    }
}
