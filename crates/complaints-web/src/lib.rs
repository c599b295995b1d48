//! The citizen web form as an axum router, served by lambda_http in AWS and mounted by the local server.
//!
//! `GET /` shows the form; `POST /` takes it in (form-encoded from browsers, JSON from other
//! clients) and answers with a 303 to a confirmation page (or JSON). Nothing here knows whether
//! it runs in Lambda or in `complaints serve`: both build a [`WebState`] and call [`router`].
//!
//! No relay: every submission needs a one-time form token (from the form, or `GET /token` for
//! JSON clients) or a configured API key, one client may send only so many complaints in a
//! window ([`ratelimit`]), and the acknowledgement quotes nothing the sender typed.

pub mod api;
pub mod apikey;
pub mod form;
#[cfg(feature = "dev-mail-folder")]
pub mod mail_folder;
pub mod pages;
pub mod problem;
pub mod ratelimit;
pub mod token;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::NaiveDate;
use complaints_app::intake::{IntakeReceipt, IntakeRequest, IntakeService};
use complaints_app::ports::StoreError;
use complaints_core::case::{CaseEvent, MessagePurpose};
use complaints_core::reference::CaseRef;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::apikey::{ApiClient, ApiKeys};
use crate::form::{ComplaintForm, FieldError, FieldErrors};
use crate::pages::{BARE_500, ContactDetails, PageError, Pages};
use crate::problem::Problem;
use crate::ratelimit::{ClientId, RateLimiter, Slot};
use crate::token::{FORM_TOKEN_MAX_AGE_HOURS, FormToken, Signer, TokenError};

/// The largest request body accepted. Three long answers of 10,000 characters each
/// ([`form::MAX_TEXT_CHARS`]) must fit even when written in a language outside ASCII: a character
/// takes up to 4 bytes in UTF-8 and each byte 3 when form-encoded (`%E2`). 3 × 10,000 × 12 bytes is
/// about 352 KB, so a person within the per-answer limits gets field messages, never a 413; anything
/// bigger is not a person typing. API Gateway and Lambda take several megabytes, so this is ours.
pub const DEFAULT_BODY_LIMIT_BYTES: usize = 384 * 1024;

/// Why the web state could not be built.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error(transparent)]
    Pages(#[from] PageError),
}

/// Everything the form's handlers need, built once per process or cold start.
#[derive(Clone)]
pub struct WebState {
    intake: IntakeService,
    signer: Arc<Signer>,
    pages: Arc<Pages>,
    body_limit: usize,
    api_keys: Arc<ApiKeys>,
    limiter: Arc<RateLimiter>,
    contact: Arc<ContactDetails>,
}

impl std::fmt::Debug for WebState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebState").field("body_limit", &self.body_limit).finish_non_exhaustive()
    }
}

impl WebState {
    /// The form over `intake`, signing form tokens and confirmation links with `form_secret`.
    ///
    /// # Errors
    /// [`WebError`] when the built-in page templates do not compile.
    /// API keys, the rate limit and the contact details come from the intake's configuration.
    pub fn new(intake: IntakeService, form_secret: &[u8]) -> Result<Self, WebError> {
        let settings = &intake.config.intake;
        let api_keys = Arc::new(ApiKeys::from_hex_digests(&settings.api_key_sha256));
        let limiter = Arc::new(RateLimiter::new(settings.rate_limit_submissions, settings.rate_limit_window_minutes));
        let contact = Arc::new(ContactDetails::from_config(&intake.config));
        Ok(Self {
            intake,
            signer: Arc::new(Signer::new(form_secret)),
            pages: Arc::new(Pages::builtin()?),
            body_limit: DEFAULT_BODY_LIMIT_BYTES,
            api_keys,
            limiter,
            contact,
        })
    }

    /// The same state with another request body limit.
    #[must_use]
    pub fn with_body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// The compiled pages, for other routers that want the same look (the dev `/mail` page).
    #[must_use]
    pub fn pages(&self) -> Arc<Pages> {
        Arc::clone(&self.pages)
    }

    fn org_name(&self) -> &str {
        &self.intake.config.organisation.name
    }

    /// Today in Scotland, for "must be in the past" checks.
    fn today(&self) -> NaiveDate {
        complaints_core::dates::today_in_scotland(self.intake.clock.now())
    }
}

/// The form's routes. Tests call it with `tower::ServiceExt::oneshot`.
pub fn router(state: WebState) -> Router {
    Router::new()
        .route("/", get(show_form).post(submit))
        .route("/token", get(issue_token))
        .route("/confirmation", get(confirmation))
        .route("/assets/style.css", get(stylesheet))
        .fallback(not_found)
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

/// The answer while the service cannot take requests (its keys or configuration could not be read
/// yet): 503 with `Retry-After`, a bare page that needs no templates, and the usual headers.
#[must_use]
pub fn unavailable() -> Response {
    let mut response = html(StatusCode::SERVICE_UNAVAILABLE, pages::BARE_503.to_owned());
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
    with_security_headers(response)
}

async fn security_headers(response: Response) -> Response {
    with_security_headers(response)
}

/// Headers every response gets: no scripts at all, no framing, no referrer (confirmation links are
/// signed and should not leak), and no caching of pages that hold a token or someone's answers.
/// The staff workspace adds the same headers to its pages.
pub fn with_security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let fixed = [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}

fn html(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// True when the client reads JSON: it sent JSON, or its `Accept` asks for JSON (so a 413 or 415
/// about a body we did not read still answers in the client's language).
fn wants_json(headers: &HeaderMap, kind: BodyKind) -> bool {
    kind == BodyKind::Json
        || headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
            .any(|media| media == "application/json" || (media.starts_with("application/") && media.ends_with("+json")))
}

/// The page shown for anything unexpected: no detail, the cause only in the log.
fn server_error(state: &WebState, cause: &dyn std::error::Error) -> Response {
    // The error chain names kinds of failure (store, template, SQLite's own), never a person.
    tracing::error!(error = %complaints_app::error_chain(cause), "web request failed");
    let body = state
        .pages
        .problem(
            state.org_name(),
            "Sorry, there is a problem with the service",
            &[
                "Try again later.",
                "If you sent a complaint, we have not lost what you typed: go back in your browser and send it again.",
                "If you cannot wait, contact us.",
            ],
            Some(&state.contact),
        )
        .unwrap_or_else(|_| BARE_500.to_owned());
    html(StatusCode::INTERNAL_SERVER_ERROR, body)
}

fn problem_page(state: &WebState, status: StatusCode, heading: &str, paragraphs: &[&str]) -> Response {
    render_problem(state, status, heading, paragraphs, None)
}

/// A problem page that ends with how to contact us.
fn problem_page_with_contact(state: &WebState, status: StatusCode, heading: &str, paragraphs: &[&str]) -> Response {
    render_problem(state, status, heading, paragraphs, Some(&state.contact))
}

fn render_problem(
    state: &WebState,
    status: StatusCode,
    heading: &str,
    paragraphs: &[&str],
    contact: Option<&ContactDetails>,
) -> Response {
    match state.pages.problem(state.org_name(), heading, paragraphs, contact) {
        Ok(body) => html(status, body),
        Err(err) => server_error(state, &err),
    }
}

fn render_form(
    state: &WebState,
    status: StatusCode,
    form: &ComplaintForm,
    token: &str,
    errors: &FieldErrors,
) -> Response {
    let areas = &state.intake.config.service_areas;
    match state.pages.form(state.org_name(), areas, form, token, errors) {
        Ok(body) => html(status, body),
        Err(err) => server_error(state, &err),
    }
}

async fn show_form(State(state): State<WebState>) -> Response {
    let token = state.signer.mint(state.intake.clock.now());
    render_form(&state, StatusCode::OK, &ComplaintForm::default(), &token.raw, &FieldErrors::default())
}

/// A fresh one-time form token for a JSON client: `{"token": "…", "expires_at": "…"}`. Send it
/// back as the `token` field of the complaint; sending the same token again returns the same case.
async fn issue_token(State(state): State<WebState>) -> Response {
    let now = state.intake.clock.now();
    let token = state.signer.mint(now);
    let expires_at = now + chrono::Duration::hours(FORM_TOKEN_MAX_AGE_HOURS);
    json_response(StatusCode::OK, &json!({ "token": token.raw, "expires_at": expires_at.to_rfc3339() }))
}

async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        pages::STYLESHEET,
    )
        .into_response()
}

async fn not_found(State(state): State<WebState>) -> Response {
    problem_page(
        &state,
        StatusCode::NOT_FOUND,
        "Page not found",
        &[
            "If you typed the web address, check it is correct.",
            "If you pasted the web address, check you copied the entire address.",
        ],
    )
}

/// How the request body is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    Form,
    Json,
    Other,
}

fn body_kind(headers: &HeaderMap) -> BodyKind {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return BodyKind::Form;
    };
    let essence = value.to_str().unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match essence.as_str() {
        "application/x-www-form-urlencoded" | "" => BodyKind::Form,
        "application/json" => BodyKind::Json,
        other if other.starts_with("application/") && other.ends_with("+json") => BodyKind::Json,
        _ => BodyKind::Other,
    }
}

fn too_large(state: &WebState, json: bool) -> Response {
    let limit_kb = state.body_limit / 1024;
    if json {
        return Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "too-large", "The request body is too large")
            .detail(format!(
                "The body must be at most {limit_kb} KB; each answer at most {} characters.",
                form::MAX_TEXT_CHARS
            ))
            .into_response();
    }
    // People do not count kilobytes: name the per-answer limit, and say how to get back to what
    // they typed (the browser's back button keeps it; a link to the form would not).
    let sentence = format!(
        "Each answer can be up to {} characters, about 4 pages. Your complaint has not been sent.",
        form::with_commas(form::MAX_TEXT_CHARS)
    );
    let instead = match &state.contact.email {
        Some(email) => format!(
            "If you need to send a long complaint or documents, email it to us at {email} instead, or contact us another way."
        ),
        None => "If you need to send a long complaint or documents, contact us and we will tell you how.".to_owned(),
    };
    problem_page_with_contact(
        state,
        StatusCode::PAYLOAD_TOO_LARGE,
        "Your complaint is too long to send",
        &[
            sentence.as_str(),
            "Use your browser's back button to return to your answers, shorten them, and send the form again.",
            instead.as_str(),
        ],
    )
}

/// Where a submission comes from, for the rate limit: the socket peer locally (axum's
/// `ConnectInfo`, when the server was started with it), the API Gateway request context's
/// `sourceIp` in Lambda (feature `lambda`). `None` when neither is there: such requests are not
/// limited, because putting every unknown client in one bucket would let one of them lock out all.
pub fn client_of(extensions: &Extensions) -> Option<ClientId> {
    if let Some(ConnectInfo(peer)) = extensions.get::<ConnectInfo<SocketAddr>>() {
        return Some(ClientId::from_ip(peer.ip()));
    }
    lambda_source_ip(extensions).map(ClientId::from_ip)
}

#[cfg(feature = "lambda")]
fn lambda_source_ip(extensions: &Extensions) -> Option<std::net::IpAddr> {
    use lambda_http::request::RequestContext;
    match extensions.get::<RequestContext>()? {
        RequestContext::ApiGatewayV2(context) => context.http.source_ip.as_deref()?.parse().ok(),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

#[cfg(not(feature = "lambda"))]
fn lambda_source_ip(_: &Extensions) -> Option<std::net::IpAddr> {
    None
}

/// What came with the request besides its body.
struct Submission {
    json_reply: bool,
    client: Option<ClientId>,
    authorization: Option<String>,
    idempotency_key: Option<String>,
}

async fn submit(State(state): State<WebState>, request: Request) -> Response {
    let headers = request.headers();
    let kind = body_kind(headers);
    let header_text =
        |name| headers.get(name).map(|v: &HeaderValue| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let submission = Submission {
        json_reply: wants_json(headers, kind),
        client: client_of(request.extensions()),
        authorization: header_text(header::AUTHORIZATION),
        idempotency_key: header_text(header::HeaderName::from_static("idempotency-key")),
    };
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > state.body_limit) {
        return too_large(&state, submission.json_reply);
    }
    // Reading stops at the limit, whatever Content-Length said (or if it was absent).
    let Ok(bytes) = axum::body::to_bytes(request.into_body(), state.body_limit).await else {
        return too_large(&state, submission.json_reply);
    };
    match kind {
        BodyKind::Form => submit_form(&state, &bytes, &submission).await,
        BodyKind::Json => submit_json(&state, &bytes, &submission).await,
        BodyKind::Other if submission.json_reply => Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "The body must be JSON or a form",
        )
        .detail("Send the complaint as application/json (or application/x-www-form-urlencoded).")
        .into_response(),
        BodyKind::Other => problem_page(
            &state,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Sorry, we could not read what was sent",
            &["Send the complaint form from this website."],
        ),
    }
}

/// Takes a rate-limit slot for this client.
///
/// # Errors
/// How long until a slot frees, when the client has used them all.
fn take_slot(state: &WebState, submission: &Submission) -> Result<Option<Slot>, chrono::Duration> {
    let Some(client) = &submission.client else { return Ok(None) };
    state.limiter.try_take(client, state.intake.clock.now()).inspect_err(|_| {
        // The address is personal data: only the fact goes in the log.
        tracing::warn!(channel = "web-form", "submission rate limit reached");
    })
}

fn too_many(state: &WebState, json: bool, wait: chrono::Duration) -> Response {
    let seconds = wait.num_seconds().max(1);
    let minutes = (seconds + 59) / 60;
    let (max, window) = (state.limiter.max(), state.limiter.window_minutes());
    let mut response = if json {
        Problem::new(StatusCode::TOO_MANY_REQUESTS, "too-many-submissions", "Too many complaints from this client")
            .detail(format!(
                "At most {max} complaints may be sent from one address in {window} minutes. Try again in {seconds} seconds."
            ))
            .into_response()
    } else {
        let when = if minutes == 1 { "1 minute".to_owned() } else { format!("{minutes} minutes") };
        let first = format!(
            "To protect this service from misuse, we take at most {max} complaints from one internet connection in {window} minutes. You can send your complaint again in {when}."
        );
        problem_page_with_contact(
            state,
            StatusCode::TOO_MANY_REQUESTS,
            "Sorry, you cannot send another complaint yet",
            &[
                first.as_str(),
                "Your complaint has not been sent. Use your browser's back button to return to your answers, then send the form again later.",
                "If you share an internet connection, for example in a library or an office, someone else may have sent complaints from it. If you cannot wait, contact us.",
            ],
        )
    };
    if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

fn confirmation_url(state: &WebState, receipt: &IntakeReceipt) -> String {
    let reference = receipt.reference.to_string();
    let sig = state.signer.confirmation_signature(&reference, receipt.response_due);
    let query = serde_urlencoded::to_string([
        ("reference", reference.as_str()),
        ("due", &receipt.response_due.to_string()),
        ("sig", &sig),
    ])
    .unwrap_or_default();
    format!("/confirmation?{query}")
}

async fn submit_form(state: &WebState, bytes: &[u8], submission: &Submission) -> Response {
    let Ok(form) = serde_urlencoded::from_bytes::<ComplaintForm>(bytes) else {
        return problem_page(
            state,
            StatusCode::BAD_REQUEST,
            "Sorry, we could not read what was sent",
            &["Go back to the complaint form and send it again."],
        );
    };
    let now = state.intake.clock.now();
    let token = match state.signer.check(&form.token, now) {
        Ok(token) => token,
        Err(why) => {
            // A stale or missing token: keep every answer, give a fresh token, and ask to send again.
            let fresh = state.signer.mint(now);
            let message = match why {
                TokenError::Expired => "This form has expired. Check your answers and select Send complaint again",
                TokenError::Missing | TokenError::Invalid => {
                    "We could not check this form came from our website. Check your answers and select Send complaint again"
                }
            };
            let mut errors = match form.validate(&state.intake.config, state.today()) {
                Ok(_) => FieldErrors::default(),
                Err(errors) => errors,
            };
            errors.0.insert(0, FieldError { field: "token", message: message.to_owned() });
            return render_form(state, StatusCode::UNPROCESSABLE_ENTITY, &form, &fresh.raw, &errors);
        }
    };
    let complaint = match form.validate(&state.intake.config, state.today()) {
        Ok(complaint) => complaint,
        Err(errors) => return render_form(state, StatusCode::UNPROCESSABLE_ENTITY, &form, &token.raw, &errors),
    };
    let slot = match take_slot(state, submission) {
        Ok(slot) => slot,
        Err(wait) => return too_many(state, submission.json_reply, wait),
    };
    // A filled honeypot is kept and flagged, and the sender sees the same confirmation as anyone.
    let request =
        IntakeRequest { complaint, source_key: Some(token.source_key()), possible_spam: form.is_possible_spam() };
    match take_in(state, request, slot.as_ref()).await {
        Ok(receipt) => Redirect::to(&confirmation_url(state, &receipt)).into_response(),
        Err(err) => server_error(state, &err),
    }
}

/// Takes the complaint in; the rate-limit slot goes back when nothing new was stored.
async fn take_in(
    state: &WebState,
    request: IntakeRequest,
    slot: Option<&Slot>,
) -> Result<IntakeReceipt, complaints_app::intake::IntakeError> {
    let possible_spam = request.possible_spam;
    let result = state.intake.submit(request).await;
    if let Some(slot) = slot
        && result.as_ref().is_ok_and(|receipt| receipt.duplicate) | result.is_err()
    {
        state.limiter.give_back(slot);
    }
    let receipt = result?;
    tracing::info!(
        case_ref = %receipt.reference,
        channel = "web-form",
        duplicate = receipt.duplicate,
        acknowledged = receipt.acknowledged,
        possible_spam,
        "web complaint taken in"
    );
    Ok(receipt)
}

/// The JSON answer to an accepted complaint.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JsonReceipt {
    pub reference: String,
    /// ISO date.
    pub response_due: NaiveDate,
    /// The same date for people, e.g. "Wednesday 2 December 2026".
    pub response_due_text: String,
    pub handler: String,
    pub acknowledged: bool,
    pub duplicate: bool,
}

/// Who may send this JSON complaint: a trusted integration by API key, or anyone with a form token.
enum JsonSender {
    Integration(ApiClient),
    Token(FormToken),
}

/// Why a JSON sender was refused: a wrong API key ends there; a token problem is reported with
/// any problems in the answers, so the client can fix everything at once.
enum SenderRefused {
    ApiKey,
    Token(FieldError),
}

/// 401 for an `Authorization` header that holds no configured key.
fn api_key_refused() -> Response {
    let mut response = Problem::new(StatusCode::UNAUTHORIZED, "api-key-refused", "The API key was not accepted")
        .detail(
            "Send a configured key as `Authorization: Bearer <key>`, or leave the header out and send a form token.",
        )
        .into_response();
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// Checks the API key or the form token of a JSON submission.
fn json_sender(state: &WebState, form: &ComplaintForm, submission: &Submission) -> Result<JsonSender, SenderRefused> {
    if let Some(authorization) = &submission.authorization {
        return match state.api_keys.check(authorization) {
            Some(client) => Ok(JsonSender::Integration(client)),
            None => {
                tracing::warn!(channel = "web-form", "JSON submission with an unknown API key refused");
                Err(SenderRefused::ApiKey)
            }
        };
    }
    match state.signer.check(&form.token, state.intake.clock.now()) {
        Ok(token) => Ok(JsonSender::Token(token)),
        Err(why) => {
            let message = match why {
                TokenError::Missing => "A token is required: get one from GET /token and send it as the token field",
                TokenError::Invalid => "The token is not one we issued: get a fresh one from GET /token",
                TokenError::Expired => "The token has expired: get a fresh one from GET /token",
            };
            Err(SenderRefused::Token(FieldError { field: "token", message: message.to_owned() }))
        }
    }
}

async fn submit_json(state: &WebState, bytes: &[u8], submission: &Submission) -> Response {
    let form: ComplaintForm = match serde_json::from_slice(bytes) {
        Ok(form) => form,
        Err(err) => {
            // serde's own message can name our types; the position is enough to find the mistake.
            return Problem::new(StatusCode::BAD_REQUEST, "not-json", "The body is not a complaint in JSON")
                .detail(format!(
                    "Expected a JSON object of the complaint's fields; the problem is at line {}, column {}.",
                    err.line(),
                    err.column()
                ))
                .into_response();
        }
    };
    let sender = match json_sender(state, &form, submission) {
        Ok(sender) => sender,
        Err(SenderRefused::ApiKey) => return api_key_refused(),
        Err(SenderRefused::Token(token_error)) => {
            let mut errors = vec![token_error];
            if let Err(more) = form.validate(&state.intake.config, state.today()) {
                errors.extend(more.0);
            }
            return Problem::invalid_fields(&errors).into_response();
        }
    };
    let source_key = match &sender {
        JsonSender::Token(token) => Some(token.source_key()),
        JsonSender::Integration(client) => {
            match submission.idempotency_key.as_deref().map(|key| apikey::source_key(client, key)) {
                None => None,
                Some(Ok(key)) => Some(key),
                Some(Err(message)) => {
                    return Problem::new(
                        StatusCode::BAD_REQUEST,
                        "bad-idempotency-key",
                        "The Idempotency-Key header is not valid",
                    )
                    .detail(message)
                    .into_response();
                }
            }
        }
    };
    let complaint = match form.validate(&state.intake.config, state.today()) {
        Ok(complaint) => complaint,
        Err(errors) => return Problem::invalid_fields(&errors.0).into_response(),
    };
    // Trusted integrations are not counted: they often send for many people from one address.
    let slot = match sender {
        JsonSender::Integration(_) => None,
        JsonSender::Token(_) => match take_slot(state, submission) {
            Ok(slot) => slot,
            Err(wait) => return too_many(state, submission.json_reply, wait),
        },
    };
    let request = IntakeRequest { complaint, source_key, possible_spam: form.is_possible_spam() };
    match take_in(state, request, slot.as_ref()).await {
        Ok(receipt) => {
            let status = if receipt.duplicate { StatusCode::OK } else { StatusCode::CREATED };
            let body = JsonReceipt {
                reference: receipt.reference.to_string(),
                response_due: receipt.response_due,
                response_due_text: date_for_people(receipt.response_due),
                handler: receipt.handler,
                acknowledged: receipt.acknowledged,
                duplicate: receipt.duplicate,
            };
            json_response(status, &json!(body))
        }
        Err(err) => {
            tracing::error!(error = %complaints_app::error_chain(&err), "web request failed");
            Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "unavailable", "The complaint could not be taken in")
                .detail("Try again later; sending the same token or Idempotency-Key again never makes a second case.")
                .into_response()
        }
    }
}

/// A date written for people ("Wednesday 2 December 2026"): the core's, as in the letters.
pub use complaints_core::dates::long_date as date_for_people;

#[derive(Debug, Deserialize)]
struct ConfirmationQuery {
    reference: String,
    due: NaiveDate,
    sig: String,
}

async fn confirmation(
    State(state): State<WebState>,
    query: Result<Query<ConfirmationQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let not_genuine = |state: &WebState| {
        render_problem(
            state,
            StatusCode::NOT_FOUND,
            "This confirmation link has not worked",
            &["Check your email for your case reference, or contact us and we will find it for you."],
            Some(&state.contact),
        )
    };
    let Ok(Query(query)) = query else {
        return not_genuine(&state);
    };
    if !state.signer.confirmation_is_genuine(&query.reference, query.due, &query.sig) {
        return not_genuine(&state);
    }
    let Ok(reference) = query.reference.parse::<CaseRef>() else {
        return not_genuine(&state);
    };
    let (handler, anonymous) = match state.intake.store.get(&reference).await {
        Ok(stored) => (stored.case.handler().to_owned(), stored.case.complaint().is_anonymous()),
        Err(StoreError::NotFound) => return not_genuine(&state),
        Err(err) => return server_error(&state, &err),
    };
    // Read from the timeline rather than the link, so a repeat submission (which sends nothing)
    // still says the first one's email went.
    let acknowledged = match state.intake.store.timeline(&reference).await {
        Ok(events) => events.iter().any(|e| {
            matches!(
                e.what,
                CaseEvent::MessageQueued { purpose: MessagePurpose::Acknowledgement, .. }
                    | CaseEvent::AcknowledgementSent { .. }
            )
        }),
        Err(err) => return server_error(&state, &err),
    };
    let ctx = minijinja::context! {
        org_name => state.org_name(),
        reference => reference.to_string(),
        due_iso => query.due.to_string(),
        due_text => date_for_people(query.due),
        handler,
        acknowledged,
        anonymous,
        contact => minijinja::Value::from(minijinja::value::Serde(&*state.contact)),
        stage1_days => complaints_core::policy::STAGE1_WORKING_DAYS,
        stage2_days => complaints_core::policy::STAGE2_WORKING_DAYS,
    };
    match state.pages.render("confirmation.html", ctx) {
        Ok(body) => html(StatusCode::OK, body),
        Err(err) => server_error(&state, &err),
    }
}

#[cfg(all(test, feature = "lambda"))]
mod lambda_tests {
    use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
    use lambda_http::request::RequestContext;

    use super::*;

    #[test]
    fn in_lambda_the_client_is_the_api_gateway_source_ip() {
        let mut context = ApiGatewayV2httpRequestContext::default();
        context.http.source_ip = Some("203.0.113.7".to_owned());
        let mut extensions = Extensions::new();
        extensions.insert(RequestContext::ApiGatewayV2(context));
        assert_eq!(client_of(&extensions), Some(ClientId::from_ip("203.0.113.7".parse().expect("ip"))));
        assert_eq!(client_of(&Extensions::new()), None);
    }
}
