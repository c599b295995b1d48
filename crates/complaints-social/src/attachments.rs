//! Fetching attachments of private messages from the platforms into the object store (the
//! delivery sweep runs the jobs `complaints_app::social_attachments` queues), with the same
//! HTTPS client as the replies (`complaints_https`, rustls on ring, public web roots).
//!
//! - Messenger / Instagram: the payload's URL, fetched without a token (Meta's CDN URLs are
//!   signed; our page token is not sent to a CDN).
//! - WhatsApp: `GET {graph}/{version}/{media-id}` with the WhatsApp token gives `{url, mime_type}`;
//!   the URL is then fetched with the same token.
//! - X: `media_url_https`, fetched with the X token. X documents DM media (on `ton.twitter.com`)
//!   as served only to requests signed with OAuth 1.0a user context; we hold an OAuth 2.0 token,
//!   so X refusing it is recorded at once as "needs OAuth 1.0a" (the case is flagged for staff,
//!   who open the message in X), not retried nor counted as a broken channel (docs/social.md).
//!
//! Only `https://` URLs (plain `http://` only to loopback, for tests), at most
//! [`MAX_ATTACHMENT_BYTES`].

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use complaints_app::object_store::ObjectStore;
use complaints_app::social::{SocialSendError, SocialTransport};
use complaints_app::social_attachments::{AttachmentFetcher, AttachmentJob, AttachmentSource, MAX_ATTACHMENT_BYTES};
use serde_json::Value;

use crate::config::SendTokens;
use crate::sender::{
    ClientError, Endpoints, Failure, Https, META_GRAPH_BASE, X_API_BASE, allowed_base, classify, https_client,
};

/// How long one fetch (headers and body) may take: inside the delivery lease.
const FETCH_TIMEOUT: Duration = Duration::from_secs(30);

/// Fetches attachments into the object store.
#[derive(Clone)]
pub struct HttpAttachmentFetcher {
    client: Https,
    endpoints: Endpoints,
    tokens: SendTokens,
    objects: Arc<dyn ObjectStore>,
}

impl std::fmt::Debug for HttpAttachmentFetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpAttachmentFetcher").field("endpoints", &self.endpoints).finish_non_exhaustive()
    }
}

fn unavailable(kind: &str) -> SocialSendError {
    SocialSendError::Unavailable(Box::new(Failure(kind.to_owned())))
}

impl HttpAttachmentFetcher {
    /// # Errors
    /// [`ClientError`] when a base URL is not HTTPS (loopback aside) or TLS cannot be set up.
    pub fn new(endpoints: Endpoints, tokens: SendTokens, objects: Arc<dyn ObjectStore>) -> Result<Self, ClientError> {
        for (name, base) in [(META_GRAPH_BASE, &endpoints.graph_base), (X_API_BASE, &endpoints.x_base)] {
            if !allowed_base(base) {
                return Err(ClientError::NotHttps(name));
            }
        }
        Ok(Self { client: https_client()?, endpoints, tokens, objects })
    }

    /// GETs `url` (with `token` as a bearer token when given), at most `limit` bytes of body.
    async fn get(
        &self,
        transport: SocialTransport,
        url: &str,
        token: Option<&str>,
        limit: usize,
    ) -> Result<(Option<String>, Vec<u8>), SocialSendError> {
        if !allowed_base(url) {
            return Err(SocialSendError::Rejected(format!("{} attachment URL is not https", transport.as_str())));
        }
        let mut request = self.client.get(url).timeout(FETCH_TIMEOUT);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = match request.send().await {
            Err(err) if err.is_timeout() => return Err(unavailable("timed out")),
            Err(err) if err.is_connect() => return Err(unavailable("could not connect")),
            Err(err) if err.is_builder() => {
                return Err(SocialSendError::Rejected(format!("{} attachment URL is not usable", transport.as_str())));
            }
            Err(_) => return Err(unavailable("request failed")),
            Ok(response) => response,
        };
        let status = response.status();
        let content_type =
            response.headers().get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body = match complaints_https::read_limited(response, limit).await {
            Ok(body) => body,
            Err(complaints_https::ReadError::TooLarge(_)) if status.is_success() => {
                return Err(SocialSendError::Rejected(format!(
                    "{} attachment over the size limit",
                    transport.as_str()
                )));
            }
            // The request's timeout covers the body too.
            Err(complaints_https::ReadError::Failed(err)) if err.is_timeout() => return Err(unavailable("timed out")),
            Err(_) if status.is_success() => return Err(unavailable("answer not read")),
            Err(_) => Vec::new(),
        };
        if !status.is_success() {
            let detail = serde_json::from_slice(&body).unwrap_or(Value::Null);
            return Err(classify(transport, status.as_u16(), &detail));
        }
        Ok((content_type, body))
    }
}

#[async_trait]
impl AttachmentFetcher for HttpAttachmentFetcher {
    async fn fetch(&self, job: &AttachmentJob) -> Result<(), SocialSendError> {
        let Some(transport) = job.transport() else {
            return Err(SocialSendError::Rejected("attachment job names no platform".to_owned()));
        };
        let token = match transport {
            SocialTransport::Messenger | SocialTransport::Instagram => None,
            SocialTransport::WhatsApp => self.tokens.whatsapp.as_deref(),
            SocialTransport::X => self.tokens.x_bearer.as_deref(),
        };
        let needs_token = matches!(transport, SocialTransport::WhatsApp | SocialTransport::X);
        if needs_token && token.is_none() {
            return Err(SocialSendError::Auth(format!("no {} token configured", transport.as_str())));
        }
        let url = match &job.source {
            AttachmentSource::Url(url) => url.clone(),
            AttachmentSource::WhatsAppMedia(id) => {
                let lookup = format!("{}/{}/{id}", self.endpoints.graph_base, self.endpoints.graph_version);
                let (_, body) = self.get(transport, &lookup, token, 64 * 1024).await?;
                let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let Some(url) = answer.get("url").and_then(Value::as_str) else {
                    return Err(SocialSendError::Rejected("WhatsApp media lookup gave no URL".to_owned()));
                };
                url.to_owned()
            }
        };
        let fetched = self.get(transport, &url, token, MAX_ATTACHMENT_BYTES).await;
        let (content_type, bytes) = fetched.map_err(|err| x_media_refusal(transport, err))?;
        let content_type = content_type.unwrap_or_else(|| "application/octet-stream".to_owned());
        self.objects
            .put(&job.stored_key, &content_type, bytes)
            .await
            .map_err(|err| SocialSendError::Unavailable(Box::new(err)))
    }
}

/// X refusing DM media to our OAuth 2.0 bearer token (401 or 403) is what X documents: DM media
/// must be fetched with OAuth 1.0a user-context signing, which we do not hold. A refusal for that
/// attachment (recorded, flagged for staff), with a reason that says so; not an auth failure of
/// the channel (replies still work) and not worth retrying.
fn x_media_refusal(transport: SocialTransport, err: SocialSendError) -> SocialSendError {
    match err {
        SocialSendError::Auth(kind) if transport == SocialTransport::X => SocialSendError::Rejected(format!(
            "x refused the DM media to our OAuth 2.0 token ({kind}); X serves DM media only with OAuth 1.0a user-context signing"
        )),
        SocialSendError::Rejected(kind) if transport == SocialTransport::X && kind.contains("status 403") => {
            SocialSendError::Rejected(format!(
                "x refused the DM media to our OAuth 2.0 token ({kind}); X serves DM media only with OAuth 1.0a user-context signing"
            ))
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x_refusing_dm_media_to_our_token_is_a_refusal_that_names_oauth_1a_and_other_errors_pass_through() {
        let refused = x_media_refusal(SocialTransport::X, SocialSendError::Auth("x status 401".to_owned()));
        match refused {
            SocialSendError::Rejected(kind) => assert!(kind.contains("OAuth 1.0a"), "{kind}"),
            other => panic!("expected a refusal, got {other:?}"),
        }
        let forbidden = x_media_refusal(SocialTransport::X, classify(SocialTransport::X, 403, &Value::Null));
        assert!(matches!(forbidden, SocialSendError::Rejected(kind) if kind.contains("OAuth 1.0a")));
        let whatsapp =
            x_media_refusal(SocialTransport::WhatsApp, SocialSendError::Auth("whatsapp status 401".to_owned()));
        assert!(matches!(whatsapp, SocialSendError::Auth(_)), "only X's media is special");
        let busy = x_media_refusal(SocialTransport::X, classify(SocialTransport::X, 503, &Value::Null));
        assert!(matches!(busy, SocialSendError::Unavailable(_)), "X being down is still retried");
    }
}
