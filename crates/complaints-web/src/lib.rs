//! The citizen web form as an axum router, served by lambda_http in AWS and mounted by the local server.
//!
//! `GET /` shows the form; `POST /` takes it in (form-encoded from browsers, JSON from other
//! clients) and answers with a 303 to a confirmation page (or JSON). Nothing here knows whether
//! it runs in Lambda or in `complaints serve`: both build a [`WebState`] and call [`router`].

pub mod form;
#[cfg(feature = "dev-mail-folder")]
pub mod mail_folder;
pub mod pages;
pub mod token;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::NaiveDate;
use complaints_app::intake::{IntakeReceipt, IntakeRequest, IntakeService};
use complaints_app::ports::StoreError;
use complaints_core::case::{CaseEvent, MessagePurpose};
use complaints_core::reference::CaseRef;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::form::{ComplaintForm, FieldError, FieldErrors};
use crate::pages::{BARE_500, PageError, Pages};
use crate::token::{FormToken, Signer, TokenError};

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
    pub fn new(intake: IntakeService, form_secret: &[u8]) -> Result<Self, WebError> {
        Ok(Self {
            intake,
            signer: Arc::new(Signer::new(form_secret)),
            pages: Arc::new(Pages::builtin()?),
            body_limit: DEFAULT_BODY_LIMIT_BYTES,
        })
    }

    /// The same state with another request body limit.
    #[must_use]
    pub fn with_body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// The compiled pages, for other routers that want the same look (the dev outbox).
    #[must_use]
    pub fn pages(&self) -> Arc<Pages> {
        Arc::clone(&self.pages)
    }

    fn org_name(&self) -> &str {
        &self.intake.config.organisation.name
    }

    /// Today in Scotland, for "must be in the past" checks.
    fn today(&self) -> NaiveDate {
        self.intake.clock.now().with_timezone(&chrono_tz::Europe::London).date_naive()
    }
}

/// The form's routes. Tests call it with `tower::ServiceExt::oneshot`.
pub fn router(state: WebState) -> Router {
    Router::new()
        .route("/", get(show_form).post(submit))
        .route("/confirmation", get(confirmation))
        .route("/received", get(received))
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
fn with_security_headers(mut response: Response) -> Response {
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
            ],
        )
        .unwrap_or_else(|_| BARE_500.to_owned());
    html(StatusCode::INTERNAL_SERVER_ERROR, body)
}

fn problem_page(state: &WebState, status: StatusCode, heading: &str, paragraphs: &[&str]) -> Response {
    match state.pages.problem(state.org_name(), heading, paragraphs) {
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

async fn received(State(state): State<WebState>) -> Response {
    match state.pages.render("received.html", minijinja::context! { org_name => state.org_name() }) {
        Ok(body) => html(StatusCode::OK, body),
        Err(err) => server_error(&state, &err),
    }
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

fn too_large(state: &WebState, kind: BodyKind) -> Response {
    let limit_kb = state.body_limit / 1024;
    if kind == BodyKind::Json {
        return json_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            &json!({ "error": format!("the request body is larger than {limit_kb} KB") }),
        );
    }
    // People do not count kilobytes: name the per-answer limit, and say how to get back to what
    // they typed (the browser's back button keeps it; a link to the form would not).
    let sentence = format!(
        "Each answer can be up to {} characters, about 4 pages. Your complaint has not been sent.",
        form::with_commas(form::MAX_TEXT_CHARS)
    );
    problem_page(
        state,
        StatusCode::PAYLOAD_TOO_LARGE,
        "Your complaint is too long to send",
        &[
            sentence.as_str(),
            "Use your browser's back button to return to your answers, shorten them, and send the form again.",
            "If you need to send a long complaint or documents, email it to us instead.",
        ],
    )
}

async fn submit(State(state): State<WebState>, request: Request) -> Response {
    let kind = body_kind(request.headers());
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > state.body_limit) {
        return too_large(&state, kind);
    }
    // Reading stops at the limit, whatever Content-Length said (or if it was absent).
    let Ok(bytes) = axum::body::to_bytes(request.into_body(), state.body_limit).await else {
        return too_large(&state, kind);
    };
    match kind {
        BodyKind::Form => submit_form(&state, &bytes).await,
        BodyKind::Json => submit_json(&state, &bytes).await,
        BodyKind::Other => problem_page(
            &state,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Sorry, we could not read what was sent",
            &["Send the complaint form from this website."],
        ),
    }
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

async fn submit_form(state: &WebState, bytes: &[u8]) -> Response {
    let Ok(form) = serde_urlencoded::from_bytes::<ComplaintForm>(bytes) else {
        return problem_page(
            state,
            StatusCode::BAD_REQUEST,
            "Sorry, we could not read what was sent",
            &["Go back to the complaint form and send it again."],
        );
    };
    if form.is_bot() {
        // A filled honeypot: say thank you and store nothing, so the bot learns nothing.
        tracing::info!(channel = "web-form", "honeypot filled; nothing stored");
        return Redirect::to("/received").into_response();
    }
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
    match take_in(state, complaint, Some(&token)).await {
        Ok(receipt) => Redirect::to(&confirmation_url(state, &receipt)).into_response(),
        Err(err) => server_error(state, &err),
    }
}

async fn take_in(
    state: &WebState,
    complaint: complaints_core::complaint::NewComplaint,
    token: Option<&FormToken>,
) -> Result<IntakeReceipt, complaints_app::intake::IntakeError> {
    let request = IntakeRequest { complaint, source_key: token.map(FormToken::source_key) };
    let receipt = state.intake.submit(request).await?;
    tracing::info!(
        case_ref = %receipt.reference,
        channel = "web-form",
        duplicate = receipt.duplicate,
        acknowledged = receipt.acknowledged,
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

async fn submit_json(state: &WebState, bytes: &[u8]) -> Response {
    let form: ComplaintForm = match serde_json::from_slice(bytes) {
        Ok(form) => form,
        Err(err) => {
            // serde_json's message names a line and column and the expected type, never the content.
            return json_response(
                StatusCode::BAD_REQUEST,
                &json!({ "error": format!("the body is not a complaint in JSON: {err}") }),
            );
        }
    };
    if form.is_bot() {
        tracing::info!(channel = "web-form", "honeypot filled; nothing stored");
        return json_response(StatusCode::ACCEPTED, &json!({ "status": "received" }));
    }
    let now = state.intake.clock.now();
    // API clients need no token; when they send one (from a rendered form) it must be genuine.
    let token = if form.token.trim().is_empty() {
        None
    } else {
        match state.signer.check(&form.token, now) {
            Ok(token) => Some(token),
            Err(why) => {
                let errors = [FieldError { field: "token", message: why.to_string() }];
                return json_response(StatusCode::UNPROCESSABLE_ENTITY, &json!({ "errors": errors }));
            }
        }
    };
    let complaint = match form.validate(&state.intake.config, state.today()) {
        Ok(complaint) => complaint,
        Err(errors) => return json_response(StatusCode::UNPROCESSABLE_ENTITY, &json!({ "errors": errors.0 })),
    };
    match take_in(state, complaint, token.as_ref()).await {
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
            json_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                &json!({ "error": "the service could not take the complaint in; try again later" }),
            )
        }
    }
}

/// A date as people write it: "Wednesday 2 December 2026".
#[must_use]
pub fn date_for_people(date: NaiveDate) -> String {
    date.format("%A %-d %B %Y").to_string()
}

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
        problem_page(
            state,
            StatusCode::NOT_FOUND,
            "This confirmation link has not worked",
            &["Check your email for your case reference, or contact us and we will find it for you."],
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
        org_phone => state.intake.config.organisation.phone.as_deref(),
        stage1_days => complaints_core::policy::STAGE1_WORKING_DAYS,
        stage2_days => complaints_core::policy::STAGE2_WORKING_DAYS,
    };
    match state.pages.render("confirmation.html", ctx) {
        Ok(body) => html(StatusCode::OK, body),
        Err(err) => server_error(&state, &err),
    }
}
