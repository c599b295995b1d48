//! Fetching attachments of private messages from the platforms into the object store (the
//! delivery sweep runs the jobs `complaints_app::social_attachments` queues), over the same
//! HTTPS client as the replies.
//!
//! - Messenger / Instagram: the payload's URL, fetched without a token (Meta's CDN URLs are
//!   signed; our page token is not sent to a CDN).
//! - WhatsApp: `GET {graph}/{version}/{media-id}` with the WhatsApp token gives `{url, mime_type}`;
//!   the URL is then fetched with the same token.
//! - X: `media_url_https`, fetched with the X token.
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
        use http_body_util::BodyExt as _;
        if !allowed_base(url) {
            return Err(SocialSendError::Rejected(format!("{} attachment URL is not https", transport.as_str())));
        }
        let mut request = http::Request::get(url);
        if let Some(token) = token {
            request = request.header(http::header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = request
            .body(http_body_util::Full::new(axum::body::Bytes::new()))
            .map_err(|_| SocialSendError::Rejected(format!("{} attachment URL is not usable", transport.as_str())))?;
        let work = async {
            let response = match self.client.request(request).await {
                Err(err) if err.is_connect() => return Err(unavailable("could not connect")),
                Err(_) => return Err(unavailable("request failed")),
                Ok(response) => response,
            };
            let status = response.status();
            let content_type =
                response.headers().get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
            let limited = http_body_util::Limited::new(response.into_body(), limit);
            let body = match limited.collect().await {
                Ok(collected) => collected.to_bytes().to_vec(),
                Err(_) if status.is_success() => {
                    return Err(SocialSendError::Rejected(format!(
                        "{} attachment over the size limit",
                        transport.as_str()
                    )));
                }
                Err(_) => Vec::new(),
            };
            if !status.is_success() {
                let detail = serde_json::from_slice(&body).unwrap_or(Value::Null);
                return Err(classify(transport, status.as_u16(), &detail));
            }
            Ok((content_type, body))
        };
        tokio::time::timeout(FETCH_TIMEOUT, work).await.unwrap_or_else(|_| Err(unavailable("timed out")))
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
        let (content_type, bytes) = self.get(transport, &url, token, MAX_ATTACHMENT_BYTES).await?;
        let content_type = content_type.unwrap_or_else(|| "application/octet-stream".to_owned());
        self.objects
            .put(&job.stored_key, &content_type, bytes)
            .await
            .map_err(|err| SocialSendError::Unavailable(Box::new(err)))
    }
}
