//! Social media webhooks (R50): Meta (Messenger, Instagram, WhatsApp) at `/webhooks/meta` and X
//! at `/webhooks/x`, as one axum router that `complaints serve` mounts and `intake-social` runs on
//! Lambda.
//!
//! Order of work for a POST: the signature is checked on the raw body (401 and counted when it
//! is wrong or missing), the raw delivery is stored, and only then is it parsed and acted on, so
//! a genuine delivery is never lost and a forged one is never read. Genuine deliveries we cannot
//! read are kept for staff and answered 200, so the platform does not retry them for days.

pub mod attachments;
pub mod config;
pub mod folder;
pub mod parse;
pub mod sender;
pub mod signature;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use complaints_app::social::{Platform, SocialIntake, SocialOutcome};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tracing::{error, info, warn};

pub use crate::config::SocialSecrets;
use crate::signature::{
    META_SIGNATURE_HEADER, SignatureError, X_LEGACY_SIGNATURE_HEADER, X_OAUTH2_SIGNATURE_HEADER, verify_meta, verify_x,
};

/// Largest webhook body we read. Meta batches up to 1,000 updates, each a few hundred bytes; X
/// deliveries are smaller.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The log line a metric filter counts for rejected signatures (alarm in the template).
pub const SIGNATURE_REJECTED_LOG: &str = "social webhook signature rejected";

/// What the webhooks need.
#[derive(Clone)]
pub struct SocialState {
    secrets: Arc<SocialSecrets>,
    intake: SocialIntake,
    counters: Arc<Counters>,
}

impl std::fmt::Debug for SocialState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocialState").field("secrets", &self.secrets).finish_non_exhaustive()
    }
}

/// Counts since start, for tests and the local server's logs.
#[derive(Debug, Default)]
pub struct Counters {
    pub rejected_signatures: AtomicU64,
    pub accepted: AtomicU64,
}

impl SocialState {
    #[must_use]
    pub fn new(secrets: SocialSecrets, intake: SocialIntake) -> Self {
        Self { secrets: Arc::new(secrets), intake, counters: Arc::default() }
    }

    /// Deliveries refused for their signature so far.
    #[must_use]
    pub fn rejected_signatures(&self) -> u64 {
        self.counters.rejected_signatures.load(Ordering::Relaxed)
    }

    /// Deliveries accepted (signature proved, raw delivery stored) so far.
    #[must_use]
    pub fn accepted(&self) -> u64 {
        self.counters.accepted.load(Ordering::Relaxed)
    }
}

/// The two webhook routes.
pub fn router(state: SocialState) -> Router {
    Router::new()
        .route("/webhooks/meta", get(meta_verify).post(meta_post))
        .route("/webhooks/x", get(x_crc).post(x_post))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

#[derive(Debug, Deserialize)]
struct HubQuery {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

/// Compares two tokens without an early exit on the first differing byte.
fn same_token(a: &str, b: &str) -> bool {
    Sha256::digest(a.as_bytes()) == Sha256::digest(b.as_bytes())
}

/// Meta's subscription check: echo `hub.challenge` when the verify token is ours.
async fn meta_verify(State(state): State<SocialState>, Query(query): Query<HubQuery>) -> Response {
    let Some(meta) = &state.secrets.meta else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let token_ok = query.verify_token.as_deref().is_some_and(|token| same_token(token, &meta.verify_token));
    match (query.mode.as_deref(), token_ok, query.challenge) {
        (Some("subscribe"), true, Some(challenge)) if challenge.len() <= 256 => {
            info!("Meta webhook subscription verified");
            ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], challenge).into_response()
        }
        _ => {
            warn!("Meta webhook verification refused");
            StatusCode::FORBIDDEN.into_response()
        }
    }
}

async fn meta_post(State(state): State<SocialState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(meta) = &state.secrets.meta else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let signature = headers.get(META_SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    if let Err(reason) = verify_meta(&meta.app_secret, signature, &body) {
        return rejected(&state, Platform::Meta, reason);
    }
    accept(&state, Platform::Meta, &body, parse::meta).await
}

#[derive(Debug, Deserialize)]
struct CrcQuery {
    crc_token: Option<String>,
}

/// X's Challenge-Response Check.
async fn x_crc(State(state): State<SocialState>, Query(query): Query<CrcQuery>) -> Response {
    let Some(x) = &state.secrets.x else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // The answer is the same HMAC, under the same secret, that signs a delivery: a token that
    // could be a delivery's body would make this endpoint sign forged deliveries. X's tokens are
    // short base64-like strings; every delivery is a JSON object, which needs `{`, so allowing
    // only these characters means no answer can ever be a delivery's signature.
    let Some(token) = query.crc_token.filter(|t| crc_token_is_plain(t)) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let response_token = signature::x_signature(x.crc_key(), token.as_bytes());
    axum::Json(serde_json::json!({ "response_token": response_token })).into_response()
}

/// 1 to 512 characters of `A-Z a-z 0-9 . _ ~ + / = -`.
fn crc_token_is_plain(token: &str) -> bool {
    (1..=512).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b'+' | b'/' | b'=' | b'-'))
}

async fn x_post(State(state): State<SocialState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(x) = &state.secrets.x else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let header_value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    // Either header proves the delivery when its secret is configured.
    let mut verdict = Err(SignatureError::Missing);
    for (name, secret) in [
        (X_OAUTH2_SIGNATURE_HEADER, x.oauth2_client_secret.as_deref()),
        (X_LEGACY_SIGNATURE_HEADER, x.consumer_secret.as_deref()),
    ] {
        let (Some(secret), Some(value)) = (secret, header_value(name)) else {
            continue;
        };
        verdict = verify_x(secret, Some(value), &body);
        if verdict.is_ok() {
            break;
        }
    }
    if let Err(reason) = verdict {
        return rejected(&state, Platform::X, reason);
    }
    accept(&state, Platform::X, &body, parse::x).await
}

/// 401, counted and logged (no body, no header value: they may be an attacker's probe).
fn rejected(state: &SocialState, platform: Platform, reason: SignatureError) -> Response {
    state.counters.rejected_signatures.fetch_add(1, Ordering::Relaxed);
    warn!(
        metric = "SocialSignatureRejected",
        platform = platform.as_str(),
        reason = reason.as_str(),
        "{SIGNATURE_REJECTED_LOG}"
    );
    StatusCode::UNAUTHORIZED.into_response()
}

/// Keeps the raw delivery, then parses and acts on it.
async fn accept(
    state: &SocialState,
    platform: Platform,
    body: &[u8],
    parse: fn(&[u8]) -> Result<Vec<complaints_app::social::SocialEvent>, parse::ParseFailure>,
) -> Response {
    let raw_key = match state.intake.keep_raw(platform, body).await {
        Ok(key) => key,
        Err(err) => {
            // Nothing kept: the platform must deliver again.
            error!(platform = platform.as_str(), error = %complaints_app::error_chain(&err), "social delivery not kept; asking for a retry");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    state.counters.accepted.fetch_add(1, Ordering::Relaxed);
    match state.intake.process(platform, &raw_key, parse(body)).await {
        Ok(outcome) => {
            log_outcome(platform, &outcome);
            (StatusCode::OK, "EVENT_RECEIVED").into_response()
        }
        Err(err) => {
            // The delivery is kept; a retry creates nothing twice (platform message ids).
            error!(platform = platform.as_str(), raw_key, error = %complaints_app::error_chain(&err), "social delivery kept but not processed; asking for a retry");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

fn log_outcome(platform: Platform, outcome: &SocialOutcome) {
    info!(
        platform = platform.as_str(),
        cases_opened = outcome.cases_opened,
        correspondence = outcome.correspondence,
        duplicates = outcome.duplicates,
        deleted = outcome.deleted,
        triage = outcome.triage,
        ignored = outcome.ignored,
        quarantined = outcome.quarantined,
        "social delivery processed"
    );
}
