//! On AWS: Cognito's hosted sign-in, the OpenID Connect authorization code flow with PKCE (S256).
//!
//! `GET /staff/sign-in` sends the browser to the pool domain's `/oauth2/authorize` with a fresh
//! `state`, `nonce` and PKCE challenge; the three (with the PKCE verifier) wait in a signed,
//! ten-minute cookie that is SameSite=Lax, because a Strict cookie is not sent on the cross-site
//! redirect back. `GET /staff/auth/callback` checks `state` (and accepts it once only:
//! [`super::single_use`]), exchanges the code at
//! `/oauth2/token` (with the verifier), verifies the ID token — RS256 with a key from the pool's
//! JWKS (cached; fetched again for an unknown `kid`, at most every [`JWKS_REFETCH_SECONDS`]),
//! `iss`, `aud` = the app client, `token_use` = `id`, `exp` and the `nonce` — and maps
//! `cognito:groups` to a role with the API's own rule (`complaints_web::api::auth`), so an account
//! in two staff groups is refused here as there. Then the same session as a local sign-in starts.
//!
//! The callback answers with a small page that links (and meta-refreshes) to the dashboard rather
//! than a redirect: the session cookie is SameSite=Strict, and a browser that arrived from
//! Cognito's site may not send it on an immediate redirect.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use complaints_app::staff::StaffUser;
use complaints_web::api::auth::{AuthError, user_from_claims};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::cookies::{self, SameSite};
use super::store_sessions::{SignInMethod, StoreSessions};
use super::tokens::{random_hex, same};
use super::{message_page, unavailable, with_cookies};
use crate::WorkspaceState;

/// How long the browser may take at Cognito's page: ten minutes.
pub const FLOW_SECONDS: i64 = 600;
/// An unknown `kid` fetches the JWKS again at most this often, so forged tokens cannot make us
/// hammer Cognito.
pub const JWKS_REFETCH_SECONDS: u64 = 60;
/// Clock difference allowed on `exp` and `iat`.
const LEEWAY_SECONDS: i64 = 60;
/// How long one call to Cognito may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(8);
/// The most of an answer from Cognito we read.
const MAX_ANSWER_BYTES: usize = 256 * 1024;
/// The path of the callback, as registered with the app client.
pub const CALLBACK_PATH: &str = "/staff/auth/callback";

/// Where the pool is and who we are to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CognitoConfig {
    /// The hosted UI's base, e.g. `https://complaints-dev-123456789012.auth.eu-west-2.amazoncognito.com`.
    pub domain: String,
    /// The ID token's issuer: `https://cognito-idp.{region}.amazonaws.com/{poolId}`; the JWKS is
    /// at `{issuer}/.well-known/jwks.json`.
    pub issuer: String,
    /// The app client id: the ID token's `aud`.
    pub client_id: String,
    /// This deployment's callback URL, exactly as registered with the app client.
    pub redirect_uri: String,
}

/// Why the hosted sign-in could not be set up or completed.
#[derive(Debug, thiserror::Error)]
pub enum CognitoError {
    #[error("{0} must be an https URL (plain http only on a loopback address)")]
    NotHttps(&'static str),
    #[error("cannot build the HTTPS client for Cognito")]
    Client(#[source] complaints_https::HttpsError),
    #[error("Cognito could not be reached ({0})")]
    Unreachable(&'static str),
    #[error("Cognito refused the request (status {0})")]
    Refused(u16),
    #[error("the ID token is not valid: {0}")]
    Token(&'static str),
}

impl CognitoConfig {
    /// The configuration of a user pool in `region`.
    #[must_use]
    pub fn for_pool(region: &str, pool_id: &str, domain: &str, client_id: &str, redirect_uri: &str) -> Self {
        Self {
            domain: domain.trim_end_matches('/').to_owned(),
            issuer: format!("https://cognito-idp.{region}.amazonaws.com/{pool_id}"),
            client_id: client_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
        }
    }

    fn jwks_url(&self) -> String {
        format!("{}/.well-known/jwks.json", self.issuer)
    }

    fn check(&self) -> Result<(), CognitoError> {
        for (what, url) in [("the Cognito domain", &self.domain), ("the issuer", &self.issuer)] {
            if !complaints_https::allowed_base(url) {
                return Err(CognitoError::NotHttps(what));
            }
        }
        if !complaints_https::allowed_base(&self.redirect_uri) {
            return Err(CognitoError::NotHttps("the callback URL"));
        }
        Ok(())
    }
}

type Https = complaints_https::reqwest::Client;

/// One RSA key of the pool.
#[derive(Debug, Clone)]
struct RsaKey {
    n: Vec<u8>,
    e: Vec<u8>,
}

/// The hosted sign-in of one pool, with its HTTPS client and cached keys.
pub struct Cognito {
    config: CognitoConfig,
    client: Https,
    keys: RwLock<HashMap<String, RsaKey>>,
    fetched: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for Cognito {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cognito").field("config", &self.config).finish_non_exhaustive()
    }
}

impl Cognito {
    /// The hosted sign-in for `config` (the one HTTPS client builder: rustls on ring, Mozilla's
    /// public roots only).
    ///
    /// # Errors
    /// [`CognitoError::NotHttps`] for a plain-http URL off loopback; [`CognitoError::Client`].
    pub fn new(config: CognitoConfig) -> Result<Self, CognitoError> {
        config.check()?;
        // The one HTTPS client builder (rustls on ring, public web roots); no redirects followed.
        let client = complaints_https::client_without_redirects().map_err(CognitoError::Client)?;
        Ok(Self { config, client, keys: RwLock::new(HashMap::new()), fetched: Mutex::new(None) })
    }

    /// The URL of the hosted sign-in for this state, nonce and PKCE challenge.
    #[must_use]
    pub fn authorize_url(&self, state: &str, nonce: &str, challenge: &str) -> String {
        let query = serde_urlencoded::to_string([
            ("response_type", "code"),
            ("client_id", self.config.client_id.as_str()),
            ("redirect_uri", self.config.redirect_uri.as_str()),
            ("scope", "openid"),
            ("state", state),
            ("nonce", nonce),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ])
        .unwrap_or_default();
        format!("{}/oauth2/authorize?{query}", self.config.domain)
    }

    /// Where Cognito sends the browser after its sign-out: the workspace's signed-out page beside
    /// the callback (`…/staff/auth/callback` → `…/staff/signed-out`). It must be one of the app
    /// client's `LogoutURLs` (infra/template.yaml `StaffSignedOutUrls`).
    #[must_use]
    pub fn signed_out_uri(&self) -> String {
        let callback = self.config.redirect_uri.as_str();
        match callback.strip_suffix("/auth/callback") {
            Some(base) => format!("{base}/signed-out"),
            None => format!("{}/signed-out", callback.rsplit_once('/').map_or(callback, |(base, _)| base)),
        }
    }

    /// The hosted UI's sign-out (`/logout` with the app client's id and [`Self::signed_out_uri`]):
    /// it ends the Cognito session cookie on the pool's domain, so the next sign-in asks for the
    /// password again instead of signing the browser straight back in.
    #[must_use]
    pub fn logout_url(&self) -> String {
        let query = serde_urlencoded::to_string([
            ("client_id", self.config.client_id.as_str()),
            ("logout_uri", self.signed_out_uri().as_str()),
        ])
        .unwrap_or_default();
        format!("{}/logout?{query}", self.config.domain)
    }

    async fn call(&self, request: http::Request<String>) -> Result<Value, CognitoError> {
        let request = complaints_https::reqwest::Request::try_from(request)
            .map_err(|_| CognitoError::Unreachable("request not built"))?;
        let response = match tokio::time::timeout(CALL_TIMEOUT, self.client.execute(request)).await {
            Err(_) => return Err(CognitoError::Unreachable("timed out")),
            Ok(Err(_)) => return Err(CognitoError::Unreachable("request failed")),
            Ok(Ok(response)) => response,
        };
        let status = response.status();
        if !status.is_success() {
            return Err(CognitoError::Refused(status.as_u16()));
        }
        let read = complaints_https::read_limited(response, MAX_ANSWER_BYTES);
        let Ok(Ok(body)) = tokio::time::timeout(CALL_TIMEOUT, read).await else {
            return Err(CognitoError::Unreachable("answer not read"));
        };
        serde_json::from_slice(&body).map_err(|_| CognitoError::Unreachable("answer not JSON"))
    }

    /// Exchanges an authorization code (with its PKCE verifier) for the ID token.
    ///
    /// # Errors
    /// [`CognitoError::Unreachable`], [`CognitoError::Refused`] (a used, expired or foreign code).
    pub async fn exchange(&self, code: &str, verifier: &str) -> Result<String, CognitoError> {
        let form = serde_urlencoded::to_string([
            ("grant_type", "authorization_code"),
            ("client_id", self.config.client_id.as_str()),
            ("code", code),
            ("redirect_uri", self.config.redirect_uri.as_str()),
            ("code_verifier", verifier),
        ])
        .unwrap_or_default();
        let request = http::Request::post(format!("{}/oauth2/token", self.config.domain))
            .header(http::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(http::header::ACCEPT, "application/json")
            .body(form)
            .map_err(|_| CognitoError::Unreachable("request not built"))?;
        let answer = self.call(request).await?;
        answer
            .get("id_token")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or(CognitoError::Token("no id_token in the token endpoint's answer"))
    }

    /// Fetches the pool's keys, unless they were fetched less than [`JWKS_REFETCH_SECONDS`] ago.
    async fn refresh_keys(&self) -> Result<(), CognitoError> {
        {
            let mut fetched = self.fetched.lock().unwrap_or_else(PoisonError::into_inner);
            if fetched.is_some_and(|at| at.elapsed() < Duration::from_secs(JWKS_REFETCH_SECONDS)) {
                return Ok(());
            }
            *fetched = Some(Instant::now());
        }
        let request = http::Request::get(self.config.jwks_url())
            .header(http::header::ACCEPT, "application/json")
            .body(String::new())
            .map_err(|_| CognitoError::Unreachable("request not built"))?;
        let jwks = match self.call(request).await {
            Ok(jwks) => jwks,
            Err(err) => {
                // Let the next sign-in try again at once.
                *self.fetched.lock().unwrap_or_else(PoisonError::into_inner) = None;
                return Err(err);
            }
        };
        let mut keys = HashMap::new();
        for key in jwks.get("keys").and_then(Value::as_array).into_iter().flatten() {
            let text = |name: &str| key.get(name).and_then(Value::as_str);
            if text("kty") != Some("RSA") || text("alg").is_some_and(|alg| alg != "RS256") {
                continue;
            }
            let (Some(kid), Some(n), Some(e)) = (text("kid"), text("n"), text("e")) else { continue };
            let (Ok(n), Ok(e)) =
                (URL_SAFE_NO_PAD.decode(n.trim_end_matches('=')), URL_SAFE_NO_PAD.decode(e.trim_end_matches('=')))
            else {
                continue;
            };
            keys.insert(kid.to_owned(), RsaKey { n, e });
        }
        *self.keys.write().unwrap_or_else(PoisonError::into_inner) = keys;
        Ok(())
    }

    fn key(&self, kid: &str) -> Option<RsaKey> {
        self.keys.read().unwrap_or_else(PoisonError::into_inner).get(kid).cloned()
    }

    /// The claims of a genuine ID token from this pool for this client and `nonce`, at `now`.
    ///
    /// # Errors
    /// [`CognitoError::Token`] naming the check that failed; [`CognitoError::Unreachable`] /
    /// [`CognitoError::Refused`] when the keys cannot be fetched.
    pub async fn verify_id_token(
        &self,
        token: &str,
        nonce: &str,
        now: DateTime<Utc>,
    ) -> Result<serde_json::Map<String, Value>, CognitoError> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(CognitoError::Token("not a JWT"));
        };
        let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|_| CognitoError::Token("not base64url"));
        let header: Value =
            serde_json::from_slice(&decode(header)?).map_err(|_| CognitoError::Token("header not JSON"))?;
        if header.get("alg").and_then(Value::as_str) != Some("RS256") {
            return Err(CognitoError::Token("algorithm is not RS256"));
        }
        let kid = header.get("kid").and_then(Value::as_str).ok_or(CognitoError::Token("no kid"))?;
        let key = match self.key(kid) {
            Some(key) => key,
            None => {
                self.refresh_keys().await?;
                self.key(kid).ok_or(CognitoError::Token("unknown kid"))?
            }
        };
        let signed = &token[..header_len(token)];
        let components = ring::signature::RsaPublicKeyComponents { n: &key.n, e: &key.e };
        components
            .verify(&ring::signature::RSA_PKCS1_2048_8192_SHA256, signed.as_bytes(), &decode(signature)?)
            .map_err(|_| CognitoError::Token("signature does not verify"))?;
        let claims: serde_json::Map<String, Value> =
            serde_json::from_slice(&decode(payload)?).map_err(|_| CognitoError::Token("claims not JSON"))?;
        let text = |name: &str| claims.get(name).and_then(Value::as_str);
        if text("iss") != Some(self.config.issuer.as_str()) {
            return Err(CognitoError::Token("wrong issuer"));
        }
        let audience_ok = match claims.get("aud") {
            Some(Value::String(aud)) => aud == &self.config.client_id,
            Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(self.config.client_id.as_str())),
            _ => false,
        };
        if !audience_ok {
            return Err(CognitoError::Token("wrong audience"));
        }
        if text("token_use") != Some("id") {
            return Err(CognitoError::Token("not an ID token"));
        }
        let exp = claims.get("exp").and_then(Value::as_i64).ok_or(CognitoError::Token("no exp"))?;
        if now.timestamp() >= exp + LEEWAY_SECONDS {
            return Err(CognitoError::Token("expired"));
        }
        if claims.get("iat").and_then(Value::as_i64).is_some_and(|iat| iat > now.timestamp() + LEEWAY_SECONDS) {
            return Err(CognitoError::Token("issued in the future"));
        }
        if !text("nonce").is_some_and(|sent| same(sent, nonce)) {
            return Err(CognitoError::Token("wrong nonce"));
        }
        Ok(claims)
    }
}

/// The length of `header.payload`, the part of a JWT the signature covers.
fn header_len(token: &str) -> usize {
    token.rfind('.').unwrap_or(0)
}

/// The member of staff for verified ID token claims, by the API's rule
/// ([`complaints_web::api::auth::user_from_claims`]): claims as text, arrays as JSON arrays.
///
/// # Errors
/// [`AuthError`] without a subject, or with no or several staff groups.
pub fn user_from_id_token(claims: &serde_json::Map<String, Value>) -> Result<StaffUser, AuthError> {
    let text: HashMap<String, String> = claims
        .iter()
        .map(|(name, value)| {
            let value = match value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            (name.clone(), value)
        })
        .collect();
    user_from_claims(&text)
}

/// PKCE S256: the challenge for a verifier.
fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// `GET /staff/sign-in` on AWS: off to the hosted sign-in.
/// `next`, the page to return to ([`super::return_to`]), rides in the signed flow cookie.
pub(crate) fn start(
    state: &WorkspaceState,
    sessions: &StoreSessions,
    cognito: &Cognito,
    next: Option<&str>,
) -> Response {
    let (Ok(flow_state), Ok(nonce), Ok(verifier)) = (random_hex(), random_hex(), random_hex()) else {
        return unavailable(state, &std::io::Error::other("no randomness for the hosted sign-in"));
    };
    let mut fields = vec![flow_state.as_str(), nonce.as_str(), verifier.as_str()];
    fields.extend(next.and_then(super::return_to::safe));
    let cookie_value = sessions.signer.sign("hosted", sessions.now(), &fields);
    let cookie = sessions.cookies.set(cookies::HOSTED, &cookie_value, "/staff/auth", SameSite::Lax, FLOW_SECONDS);
    let target = cognito.authorize_url(&flow_state, &nonce, &challenge(&verifier));
    with_cookies(Redirect::to(&target).into_response(), &[cookie])
}

/// The callback's query: the code and state, or Cognito's error.
#[derive(Debug, Deserialize)]
pub(crate) struct CallbackQuery {
    #[serde(default)]
    code: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    error: String,
}

fn try_again(state: &WorkspaceState, status: StatusCode, text: &str) -> Response {
    message_page(
        state,
        status,
        "Sorry, you could not be signed in",
        &[text],
        Some(("/staff/sign-in", "Try again")),
        false,
    )
}

/// `GET /staff/auth/callback`: Cognito sends the browser back here with the code.
pub(crate) async fn callback(
    State(state): State<WorkspaceState>,
    Query(query): Query<CallbackQuery>,
    request: Request,
) -> Response {
    let Some(sessions) = state.sessions.store_sessions() else { return super::not_found(&state) };
    let SignInMethod::Cognito(cognito) = &sessions.method else { return super::not_found(&state) };
    let clear = sessions.cookies.clear(cookies::HOSTED, "/staff/auth", SameSite::Lax);
    let refuse = |status, text: &str, reason: &str| {
        tracing::warn!(reason, "hosted sign-in refused");
        with_cookies(try_again(&state, status, text), std::slice::from_ref(&clear))
    };
    if !query.error.is_empty() || query.code.is_empty() {
        return refuse(StatusCode::BAD_REQUEST, "The sign-in did not finish. Try again.", "no code");
    }
    let now = sessions.now();
    let flow = sessions
        .cookies
        .get(request.headers(), cookies::HOSTED)
        .and_then(|value| sessions.signer.check("hosted", &value, now, FLOW_SECONDS))
        .filter(|fields| (3..=4).contains(&fields.len()));
    let Some(flow) = flow else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "The sign-in took too long or was started elsewhere. Try again.",
            "no flow cookie",
        );
    };
    let (flow_state, nonce, verifier) = (&flow[0], &flow[1], &flow[2]);
    if !same(flow_state, &query.state) {
        return refuse(StatusCode::BAD_REQUEST, "The sign-in was started elsewhere. Try again.", "state mismatch");
    }
    // Once only, before the code goes to Cognito: the callback's address and the flow cookie
    // cannot be replayed (Cognito also refuses a used code; this does not rely on it).
    match super::single_use::first_use(sessions, "hosted", flow_state, FLOW_SECONDS).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(reason = "state used before", "hosted sign-in refused");
            let page = super::single_use::already_used(&state, flow.get(3).map(String::as_str));
            return with_cookies(page, std::slice::from_ref(&clear));
        }
        Err(err) => return unavailable(&state, &err),
    }
    let id_token = match cognito.exchange(&query.code, verifier).await {
        Ok(token) => token,
        Err(CognitoError::Refused(status)) => {
            tracing::warn!(status, "the token endpoint refused the code");
            return refuse(StatusCode::BAD_REQUEST, "The sign-in could not be completed. Try again.", "code refused");
        }
        Err(err) => return unavailable(&state, &err),
    };
    let claims = match cognito.verify_id_token(&id_token, nonce, now).await {
        Ok(claims) => claims,
        Err(CognitoError::Token(reason)) => {
            return refuse(StatusCode::BAD_REQUEST, "The sign-in could not be completed. Try again.", reason);
        }
        Err(err) => return unavailable(&state, &err),
    };
    let user = match user_from_id_token(&claims) {
        Ok(user) => user,
        Err(err) => {
            let text = match err {
                AuthError::AmbiguousRole => {
                    "Your account is in more than one staff group, so which role to use is not known. Ask an administrator to leave you in one."
                }
                _ => "Your account has no staff role yet. Ask an administrator to add you to a group.",
            };
            return refuse(StatusCode::FORBIDDEN, text, "no single staff role");
        }
    };
    match sessions.start(user).await {
        Ok(cookie) => {
            tracing::info!("staff signed in through the hosted sign-in");
            with_cookies(
                message_page(
                    &state,
                    StatusCode::OK,
                    "You are signed in",
                    &["Continue to the complaints workspace."],
                    Some((super::return_to::after_sign_in(flow.get(3).map(String::as_str)), "Continue")),
                    true,
                ),
                &[cookie, clear],
            )
        }
        Err(err) => unavailable(&state, &err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_urls_are_accepted() {
        assert!(complaints_https::allowed_base("https://x.auth.eu-west-2.amazoncognito.com"));
        assert!(complaints_https::allowed_base("http://127.0.0.1:8123/pool"));
        assert!(complaints_https::allowed_base("http://localhost/staff/auth/callback"));
        assert!(!complaints_https::allowed_base("http://x.auth.eu-west-2.amazoncognito.com"));
        assert!(!complaints_https::allowed_base("http://127.0.0.1.example.org/"));
        assert!(!complaints_https::allowed_base("ftp://127.0.0.1/"));
    }

    #[test]
    fn the_pkce_challenge_is_the_base64url_sha256_of_the_verifier() {
        // RFC 7636, appendix B.
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn the_authorize_url_asks_for_a_code_with_pkce_and_openid() {
        let cognito = Cognito::new(CognitoConfig::for_pool(
            "eu-west-2",
            "eu-west-2_Abc",
            "https://complaints.auth.eu-west-2.amazoncognito.com/",
            "client123",
            "https://api.example.org/staff/auth/callback",
        ))
        .expect("config");
        let url = cognito.authorize_url("st", "no", "ch");
        assert!(url.starts_with("https://complaints.auth.eu-west-2.amazoncognito.com/oauth2/authorize?"), "{url}");
        for part in [
            "response_type=code",
            "client_id=client123",
            "scope=openid",
            "state=st",
            "nonce=no",
            "code_challenge=ch",
            "code_challenge_method=S256",
            "redirect_uri=https%3A%2F%2Fapi.example.org%2Fstaff%2Fauth%2Fcallback",
        ] {
            assert!(url.contains(part), "{part} in {url}");
        }
        assert!(
            Cognito::new(CognitoConfig { domain: "http://evil.example.org".into(), ..cognito.config.clone() }).is_err()
        );
    }
}
