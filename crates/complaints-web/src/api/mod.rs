//! The staff case-handling API: JSON over HTTP under `/api/`, errors as `application/problem+json`.
//! The same router is mounted by `complaints serve` and served by the `staff-api` Lambda function;
//! the reference is docs/api.md and the OpenAPI 3.1 document docs/api/openapi.json (a test checks
//! both against this router).
//!
//! The API only translates: it authenticates the caller ([`auth`]), parses the request, calls the
//! application layer's [`StaffActions`] (which checks the core's role matrix, runs the core's state
//! machine, writes the timeline and letters, and records every read and change with the actor) or
//! the read ports, and maps the answer or the [`ActionError`]'s kind to a status. No domain rule is
//! decided here.
//!
//! Optimistic concurrency: a change names the case version it was decided on, as `If-Match: "7"`
//! or `"expected_version": 7` in the body; a stale version is a 409 with the current version.

// The error side of these results is the HTTP answer itself (a problem or a response), built
// at most once per request and returned straight to axum: boxing it would only add an allocation.
#![allow(clippy::result_large_err)]

pub mod auth;
pub mod body;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, Path, RawQuery, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use chrono::{Duration, NaiveDate};
use complaints_app::learning::{self as register, LearningStore, RegisterError};
use complaints_app::ports::StoreError;
use complaints_app::queries::{CaseQueries, CaseQuery, Cursor, Scope, StatusFilter, parse_channel, parse_stage};
use complaints_app::staff::{
    Access, ActionError, AuditEntry, ErrorKind, LogComplaint, StaffAction, StaffActions, StaffUser,
};
use complaints_core::case::ContactKey;
use complaints_core::complaint::{Channel, Complainant, EmailAddress};
use complaints_core::reference::CaseRef;
use complaints_core::roles::Permission;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::api::auth::{AuthError, Authenticate};
use crate::problem::{Problem, ProblemField};

/// Everything the API's handlers need, built once per process or cold start.
#[derive(Clone)]
pub struct ApiState {
    staff: StaffActions,
    queries: Arc<dyn CaseQueries>,
    learning: Arc<dyn LearningStore>,
    auth: Arc<dyn Authenticate>,
}

impl std::fmt::Debug for ApiState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiState").field("auth", &self.auth).finish_non_exhaustive()
    }
}

impl ApiState {
    /// The API over `staff` (changes, case reads, auditing), `queries` (list and search) and
    /// `learning` (the learning-actions register), authenticating callers with `auth`.
    #[must_use]
    pub fn new(
        staff: StaffActions,
        queries: Arc<dyn CaseQueries>,
        learning: Arc<dyn LearningStore>,
        auth: Arc<dyn Authenticate>,
    ) -> Self {
        Self { staff, queries, learning, auth }
    }
}

/// Where the API is mounted.
pub const PREFIX: &str = "/api";

/// One operation: its method, its path under [`PREFIX`] (axum's `{param}` syntax, as OpenAPI's)
/// and its handler. The router is built from this table, and the OpenAPI test reads the same
/// table, so no route can be served without being documented.
fn operations() -> Vec<(Method, &'static str, MethodRouter<ApiState>)> {
    vec![
        (Method::GET, "/cases", get(list_cases)),
        (Method::POST, "/cases", post(log_case)),
        (Method::GET, "/cases/{reference}", get(show_case)),
        (Method::POST, "/cases/{reference}/actions", post(act_on_case)),
        (Method::GET, "/contacts/export", get(export_contact)),
        (Method::GET, "/learning", get(list_learning)),
        (Method::POST, "/learning", post(create_learning)),
        (Method::POST, "/learning/{id}/links", post(link_learning)),
        (Method::POST, "/learning/{id}/complete", post(complete_learning)),
    ]
}

/// Every route the router serves, as (method, full path): what the OpenAPI document must list.
#[must_use]
pub fn routes() -> Vec<(Method, String)> {
    operations().into_iter().map(|(method, path, _)| (method, format!("{PREFIX}{path}"))).collect()
}

/// The API's routes under `/api`. Tests call it with `tower::ServiceExt::oneshot`.
pub fn router(state: ApiState) -> Router {
    let api = operations()
        .into_iter()
        .fold(Router::new(), |router, (_, path, handler)| router.route(path, handler))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::map_response(api_headers))
        .with_state(state);
    Router::new().nest(PREFIX, api)
}

/// The answer while the service cannot take requests (the Lambda function could not read its
/// keys yet): 503 with `Retry-After`, as a problem.
#[must_use]
pub fn unavailable() -> Response {
    let mut response = Problem::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "The service is starting")
        .detail("Nothing was changed. Try again shortly.")
        .into_response();
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Answers hold case records: never cached, never sniffed, never framed.
async fn api_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
    );
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

async fn not_found() -> Response {
    Problem::new(StatusCode::NOT_FOUND, "no-such-route", "There is no such API route")
        .detail("See the API reference (docs/api.md) for the routes.")
        .into_response()
}

async fn method_not_allowed() -> Response {
    Problem::new(StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed", "This route does not take that method")
        .into_response()
}

/// The signed-in member of staff, or a 401/403 problem.
#[derive(Debug)]
pub struct Staff(pub StaffUser);

impl FromRequestParts<ApiState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, Self::Rejection> {
        state.auth.authenticate(parts).map(Staff).map_err(|err| unauthenticated(err).into_response())
    }
}

fn unauthenticated(err: AuthError) -> Response {
    if err == AuthError::NoRole {
        return Problem::new(StatusCode::FORBIDDEN, "no-role", "Your account has no staff role")
            .detail("Ask an administrator to put your account in one of the groups handler, manager, admin or auditor.")
            .into_response();
    }
    if err == AuthError::AmbiguousRole {
        return Problem::new(StatusCode::FORBIDDEN, "ambiguous-role", "Your account is in more than one staff group")
            .detail("An account must be in exactly one of the groups handler, manager, admin or auditor: ask an administrator to remove the others.")
            .into_response();
    }
    let detail = match err {
        AuthError::Missing => "Send Authorization: Bearer <token>.",
        _ => "The token is not valid: it is unknown, revoked or expired.",
    };
    let mut response =
        Problem::new(StatusCode::UNAUTHORIZED, "unauthenticated", "Sign in first").detail(detail).into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"complaints-staff\""));
    response
}

/// The answer for a failed action or read: the status the core's classification gives, the rule
/// that refused it, the current version of a stale case.
fn action_problem(err: &ActionError) -> Response {
    let kind = err.kind();
    let status = StatusCode::from_u16(kind.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let problem = match err {
        ActionError::Forbidden { .. } => {
            Problem::new(status, "forbidden", "Your role does not allow this").detail(err.to_string())
        }
        ActionError::NotFound => Problem::new(status, "not-found", "There is no such case"),
        ActionError::Conflict { current_version } => {
            let mut problem = Problem::new(status, "version-conflict", "The case was changed by someone else")
                .detail("Read the case again, decide again, and send its current version.");
            problem.current_version = *current_version;
            problem
        }
        ActionError::Rejected(_) => {
            let title = if kind == ErrorKind::Conflict {
                "The procedure does not allow this where the case stands"
            } else {
                "The procedure does not allow this request"
            };
            let mut problem = Problem::new(status, "rule-refused", title).detail(err.to_string());
            problem.rule = err.rule_id().map(str::to_owned);
            problem
        }
        ActionError::Invalid(message) => {
            let mut problem = Problem::new(status, "invalid", "The request needs changing").detail(message.clone());
            problem.errors = invalid_fields(message);
            problem
        }
        ActionError::Store(cause) => return store_unavailable(cause),
        ActionError::LetterNotComposed { .. } => {
            Problem::new(status, "letter-not-composed", "A letter this change sends could not be written")
                .detail(err.to_string())
        }
    };
    problem.into_response()
}

/// The fields an [`ActionError::Invalid`] names: its messages read `field: what is wrong`,
/// several joined by `; `.
fn invalid_fields(message: &str) -> Vec<ProblemField> {
    message
        .split("; ")
        .filter_map(|part| {
            let (field, text) = part.split_once(": ")?;
            let field = field.trim();
            let plain = !field.is_empty() && field.chars().all(|c| c.is_ascii_alphanumeric() || "_.-[]".contains(c));
            plain.then(|| ProblemField { field: field.to_owned(), message: text.trim().to_owned() })
        })
        .collect()
}

fn store_unavailable(cause: &dyn std::error::Error) -> Response {
    // The chain names kinds of failure (store, SQLite's or a service's code), never a person.
    tracing::error!(error = %complaints_app::error_chain(cause), "staff API request failed");
    let mut response = Problem::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "The case store is unavailable")
        .detail("Nothing was changed. Try again shortly.")
        .into_response();
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    response
}

fn json_response(status: StatusCode, body: &impl Serialize) -> Response {
    match serde_json::to_string(body) {
        Ok(text) => (status, [(header::CONTENT_TYPE, "application/json")], text).into_response(),
        Err(err) => store_unavailable(&err),
    }
}

/// A JSON answer about one case version, with its `ETag` (the version, for `If-Match`).
fn versioned(status: StatusCode, version: u64, body: &impl Serialize) -> Response {
    let mut response = json_response(status, body);
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{version}\"")) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

fn bad_query(field: &str, message: impl Into<String>) -> Response {
    let mut problem = Problem::new(StatusCode::BAD_REQUEST, "invalid-query", "The query needs changing")
        .detail("See errors: each names a query parameter and what is wrong with it.");
    problem.errors = vec![ProblemField { field: field.to_owned(), message: message.into() }];
    problem.into_response()
}

fn parse_reference(text: &str) -> Result<CaseRef, Response> {
    text.parse::<CaseRef>().map_err(|_| {
        Problem::new(StatusCode::NOT_FOUND, "not-found", "There is no such case")
            .detail("A case reference looks like CMP-2026-00042.")
            .into_response()
    })
}

/// The body of a request, read up to [`body::API_BODY_LIMIT_BYTES`].
async fn read_body(request: Request) -> Result<(HeaderMap, axum::body::Bytes), Response> {
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, body::API_BODY_LIMIT_BYTES).await {
        Ok(bytes) => Ok((parts.headers, bytes)),
        Err(_) => Err(Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "too-large", "The request body is too large")
            .detail(format!("The body must be at most {} KB.", body::API_BODY_LIMIT_BYTES / 1024))
            .into_response()),
    }
}

// ---------------------------------------------------------------------------------------------
// Cases

/// The query string of `GET /api/cases`. Every value is text here and parsed below, so a bad one
/// is named in the answer.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    /// `open` (default) or `received`.
    scope: Option<String>,
    from: Option<String>,
    to: Option<String>,
    due_by: Option<String>,
    /// `true`: due before today.
    overdue: Option<String>,
    handler: Option<String>,
    team: Option<String>,
    stage: Option<String>,
    service_area: Option<String>,
    channel: Option<String>,
    category: Option<String>,
    status: Option<String>,
    q: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// One case in a list: what a work queue shows, with no personal data.
#[derive(Debug, Serialize)]
struct CaseSummary {
    reference: String,
    version: u64,
    status: &'static str,
    stage: complaints_core::case::Stage,
    handler: String,
    service_area: String,
    channel: Channel,
    received_on: NaiveDate,
    next_due: Option<NaiveDate>,
    open: bool,
}

#[derive(Debug, Serialize)]
struct CaseList {
    cases: Vec<CaseSummary>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    next: Option<String>,
}

fn date_param(field: &str, value: Option<&String>) -> Result<Option<NaiveDate>, Response> {
    value
        .map(|text| text.trim().parse::<NaiveDate>().map_err(|_| bad_query(field, "must be a date, YYYY-MM-DD")))
        .transpose()
}

fn text_param(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

fn case_query(params: ListParams, today: NaiveDate) -> Result<CaseQuery, Response> {
    let from = date_param("from", params.from.as_ref())?;
    let to = date_param("to", params.to.as_ref())?;
    let scope = match params.scope.as_deref().map(str::trim) {
        None | Some("" | "open") => {
            if from.is_some() || to.is_some() {
                return Err(bad_query("scope", "from and to go with scope=received"));
            }
            Scope::Open
        }
        Some("received") => {
            let (Some(from), Some(to)) = (from, to) else {
                return Err(bad_query(if from.is_none() { "from" } else { "to" }, "scope=received needs from and to"));
            };
            if from > to {
                return Err(bad_query("to", "must not be before from"));
            }
            Scope::Received { from, to }
        }
        Some(_) => return Err(bad_query("scope", "must be open or received")),
    };
    let mut due_by = date_param("due_by", params.due_by.as_ref())?;
    match params.overdue.as_deref().map(str::trim) {
        None | Some("" | "false") => {}
        Some("true") => {
            let yesterday = today - Duration::days(1);
            due_by = Some(due_by.map_or(yesterday, |by| by.min(yesterday)));
        }
        Some(_) => return Err(bad_query("overdue", "must be true or false")),
    }
    let stage = params.stage.as_deref().map(parse_stage).transpose().map_err(|e| bad_query("stage", e.to_string()))?;
    let channel =
        params.channel.as_deref().map(parse_channel).transpose().map_err(|e| bad_query("channel", e.to_string()))?;
    let status = params
        .status
        .as_deref()
        .map(str::parse::<StatusFilter>)
        .transpose()
        .map_err(|e| bad_query("status", e.to_string()))?;
    let limit = match params.limit.as_deref().map(str::trim) {
        None => complaints_app::queries::DEFAULT_PAGE,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=complaints_app::queries::MAX_PAGE).contains(&n) => n,
            _ => {
                return Err(bad_query(
                    "limit",
                    format!("must be a whole number from 1 to {}", complaints_app::queries::MAX_PAGE),
                ));
            }
        },
    };
    let after = params
        .cursor
        .as_deref()
        .filter(|c| !c.trim().is_empty())
        .map(|c| c.trim().parse::<Cursor>())
        .transpose()
        .map_err(|e| bad_query("cursor", e.to_string()))?;
    Ok(CaseQuery {
        scope,
        due_by,
        handler: text_param(params.handler),
        team: text_param(params.team),
        stage,
        service_area: text_param(params.service_area),
        channel,
        category: text_param(params.category),
        status,
        text: text_param(params.q),
        limit,
        after,
    })
}

/// `GET /api/cases`: one page of cases matching the filters (the read is audited).
async fn list_cases(State(state): State<ApiState>, Staff(user): Staff, RawQuery(raw): RawQuery) -> Response {
    let params: ListParams = match serde_urlencoded::from_str(raw.as_deref().unwrap_or("")) {
        Ok(params) => params,
        Err(err) => return bad_query("query", err.to_string()),
    };
    let today = complaints_core::dates::today_in_scotland(state.staff.clock.now());
    let query = match case_query(params, today) {
        Ok(query) => query,
        Err(response) => return response,
    };
    if let Err(err) = state.staff.record_read(&user, Permission::ListCases, None, None).await {
        return action_problem(&err);
    }
    let page = match state.queries.list(&query).await {
        Ok(page) => page,
        Err(err) => return store_unavailable(&err),
    };
    let cases = page
        .cases
        .iter()
        .map(|stored| {
            let case = &stored.case;
            let index = case.index();
            CaseSummary {
                reference: case.reference().to_string(),
                version: stored.version,
                status: StatusFilter::of(case.status()).as_str(),
                stage: case.stage(),
                handler: case.handler().to_owned(),
                service_area: case.complaint().service_area.clone(),
                channel: case.complaint().channel,
                received_on: index.received_on,
                next_due: index.next_due,
                open: index.open,
            }
        })
        .collect();
    json_response(StatusCode::OK, &CaseList { cases, next: page.next.map(|c| c.to_string()) })
}

/// `POST /api/cases`: log a complaint received by phone, in person or by letter.
async fn log_case(State(state): State<ApiState>, Staff(user): Staff, request: Request) -> Response {
    let (headers, bytes) = match read_body(request).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let complaint: LogComplaint = match body::parse(&headers, &bytes) {
        Ok(complaint) => complaint,
        Err(problem) => return problem.into_response(),
    };
    let key = match idempotency_key(&headers) {
        Ok(key) => key,
        Err(response) => return response,
    };
    match state.staff.log_complaint_once(&user, complaint, key.as_deref(), None).await {
        Ok(outcome) => {
            // A repeat of the same Idempotency-Key: the case the first request opened.
            let status = if outcome.repeated { StatusCode::OK } else { StatusCode::CREATED };
            let mut response = versioned(status, outcome.version, &outcome);
            if let Ok(location) = HeaderValue::from_str(&format!("{PREFIX}/cases/{}", outcome.reference)) {
                response.headers_mut().insert(header::LOCATION, location);
            }
            response
        }
        Err(err) => action_problem(&err),
    }
}

/// `GET /api/cases/{reference}`: the case with its clocks and timeline (the read is audited).
async fn show_case(State(state): State<ApiState>, Staff(user): Staff, Path(reference): Path<String>) -> Response {
    let reference = match parse_reference(&reference) {
        Ok(reference) => reference,
        Err(response) => return response,
    };
    match state.staff.view(&user, &reference).await {
        Ok(view) => versioned(StatusCode::OK, view.version, &view),
        Err(err) => action_problem(&err),
    }
}

/// The version a change was decided on: `If-Match: "7"` or `"expected_version": 7`; both, when
/// given, must agree.
fn expected_version(headers: &HeaderMap, body: &mut serde_json::Map<String, Value>) -> Result<u64, Response> {
    let invalid = |field: &str, message: &str| {
        let mut problem = Problem::new(StatusCode::BAD_REQUEST, "invalid", "The request needs changing")
            .detail("The case version the change was decided on is needed.");
        problem.errors = vec![ProblemField { field: field.to_owned(), message: message.to_owned() }];
        problem.into_response()
    };
    let from_body = match body.remove("expected_version") {
        None | Some(Value::Null) => None,
        Some(value) => Some(
            value.as_u64().ok_or_else(|| invalid("expected_version", "must be a whole number (the case's version)"))?,
        ),
    };
    let from_header = match headers.get(header::IF_MATCH) {
        None => None,
        Some(value) => {
            let text = value.to_str().unwrap_or("").trim();
            let unquoted = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(text);
            Some(unquoted.parse::<u64>().map_err(|_| invalid("If-Match", "must be the case's ETag, e.g. \"7\""))?)
        }
    };
    match (from_header, from_body) {
        (Some(a), Some(b)) if a != b => Err(invalid("expected_version", "differs from If-Match")),
        (Some(version), _) | (None, Some(version)) => Ok(version),
        (None, None) => Err(Problem::new(StatusCode::PRECONDITION_REQUIRED, "version-required", "Say which version of the case this is for")
            .detail("Send If-Match: \"<version>\" (the case's ETag) or \"expected_version\" in the body, so a change never overwrites one you have not seen.")
            .into_response()),
    }
}

/// The optional `Idempotency-Key` of a change: a repeat with the same key (by the same member of
/// staff) answers with the first outcome and `"repeated": true` instead of doing it again or a
/// version conflict.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, Response> {
    let Some(value) = headers.get("idempotency-key") else { return Ok(None) };
    match value.to_str().ok().and_then(complaints_app::staff::submissions::valid_key) {
        Some(key) => Ok(Some(key.to_owned())),
        None => {
            let mut problem = Problem::new(StatusCode::BAD_REQUEST, "invalid", "The request needs changing")
                .detail("The Idempotency-Key header must be 1 to 100 letters, digits, '-' or '_'.");
            problem.errors = vec![ProblemField {
                field: "Idempotency-Key".to_owned(),
                message: "must be 1 to 100 letters, digits, '-' or '_'".to_owned(),
            }];
            Err(problem.into_response())
        }
    }
}

/// `POST /api/cases/{reference}/actions`: one staff action at the expected version.
async fn act_on_case(
    State(state): State<ApiState>,
    Staff(user): Staff,
    Path(reference): Path<String>,
    request: Request,
) -> Response {
    let reference = match parse_reference(&reference) {
        Ok(reference) => reference,
        Err(response) => return response,
    };
    let (headers, bytes) = match read_body(request).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let mut object: serde_json::Map<String, Value> = match body::parse(&headers, &bytes) {
        Ok(object) => object,
        Err(problem) => return problem.into_response(),
    };
    let expected = match expected_version(&headers, &mut object) {
        Ok(version) => version,
        Err(response) => return response,
    };
    let action: StaffAction = match body::from_value(Value::Object(object)) {
        Ok(action) => action,
        Err(problem) => return problem.into_response(),
    };
    let key = match idempotency_key(&headers) {
        Ok(key) => key,
        Err(response) => return response,
    };
    match state.staff.perform_once(&user, &reference, Some(expected), action, key.as_deref(), None).await {
        Ok(outcome) => versioned(StatusCode::OK, outcome.version, &outcome),
        Err(err) => action_problem(&err),
    }
}

// ---------------------------------------------------------------------------------------------
// Subject access

#[derive(Debug, Deserialize)]
struct ExportParams {
    email: Option<String>,
}

/// `GET /api/contacts/export?email=…`: everything held about a contact, found by the keyed hash
/// of the address. The address is never logged; the audit entry holds the keyed hash only.
async fn export_contact(State(state): State<ApiState>, Staff(user): Staff, RawQuery(raw): RawQuery) -> Response {
    let params: ExportParams = match serde_urlencoded::from_str(raw.as_deref().unwrap_or("")) {
        Ok(params) => params,
        Err(err) => return bad_query("query", err.to_string()),
    };
    let Some(email) = params.email.filter(|e| !e.trim().is_empty()) else {
        return bad_query("email", "give the contact's email address");
    };
    let Ok(address) = EmailAddress::parse(email.trim()) else {
        return bad_query("email", "is not an email address");
    };
    let Some(key) = contact_key_of(&state.staff.contact_key_secret, address) else {
        return store_unavailable(&KeyError);
    };
    if let Err(err) = state.staff.record_read(&user, Permission::ExportContact, None, Some(key.clone())).await {
        return action_problem(&err);
    }
    match complaints_app::subject_access::export_contact(&*state.staff.store, &key, state.staff.clock.now()).await {
        Ok(bundle) => json_response(StatusCode::OK, &bundle),
        Err(err) => store_unavailable(&err),
    }
}

/// The contact key every channel files this address under (the same function intake uses).
fn contact_key_of(secret: &[u8], address: EmailAddress) -> Option<ContactKey> {
    let person = Complainant { name: String::new(), email: Some(address), phone: None, handle: None };
    complaints_app::contact::contact_key(secret, Channel::Email, &person)
}

#[derive(Debug, thiserror::Error)]
#[error("the contact key could not be computed")]
struct KeyError;

// ---------------------------------------------------------------------------------------------
// Learning actions (R35)

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewLearning {
    root_cause: String,
    action: String,
    owner: String,
    due_on: NaiveDate,
    #[serde(default)]
    cases: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkLearning {
    reference: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CompleteLearning {
    #[serde(default)]
    done_on: Option<NaiveDate>,
}

fn register_problem(err: &RegisterError) -> Response {
    match err {
        RegisterError::Refused(refused) => {
            let mut problem = Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "rule-refused",
                "The learning register does not allow this",
            )
            .detail(refused.to_string());
            problem.rule = Some("R35".to_owned());
            problem.into_response()
        }
        RegisterError::Store(StoreError::NotFound) => {
            Problem::new(StatusCode::NOT_FOUND, "not-found", "There is no such learning action").into_response()
        }
        RegisterError::Store(StoreError::VersionConflict { .. }) => {
            Problem::new(StatusCode::CONFLICT, "version-conflict", "The learning action was changed by someone else")
                .detail("Try again.")
                .into_response()
        }
        RegisterError::Store(StoreError::AlreadyExists { .. }) => {
            Problem::new(StatusCode::CONFLICT, "already-exists", "A learning action with this id exists")
                .into_response()
        }
        RegisterError::Store(other) => store_unavailable(other),
    }
}

/// Learning actions change no case, so no case action audits them: reads are recorded through
/// the staff actions' `record_read`, and changes are checked against the role matrix's `learning`
/// permission here and written to the same audit log.
async fn allow_learning_read(state: &ApiState, user: &StaffUser) -> Result<(), Response> {
    state.staff.record_read(user, Permission::ListCases, None, None).await.map_err(|err| action_problem(&err))
}

fn allow_learning_change(user: &StaffUser) -> Result<(), Response> {
    if user.may(Permission::Learning) {
        Ok(())
    } else {
        Err(action_problem(&ActionError::Forbidden { role: user.role, needs: Permission::Learning }))
    }
}

/// Records a learning change with its actor; the change is made, so a failure here is logged.
async fn audit_learning_change(state: &ApiState, user: &StaffUser, action: &str, reference: Option<CaseRef>) {
    let entry = AuditEntry {
        at: state.staff.clock.now(),
        actor: user.id.clone(),
        role: user.role,
        access: Access::Change,
        permission: Permission::Learning,
        action: action.to_owned(),
        reference,
        contact: None,
    };
    if let Err(err) = state.staff.audit.record(entry).await {
        tracing::warn!(error = %complaints_app::error_chain(&err), "learning change not copied to the audit log");
    }
}

/// `GET /api/learning`: the learning actions not done yet, earliest due first.
async fn list_learning(State(state): State<ApiState>, Staff(user): Staff) -> Response {
    if let Err(response) = allow_learning_read(&state, &user).await {
        return response;
    }
    match state.learning.open_learning().await {
        Ok(actions) => json_response(StatusCode::OK, &json!({ "actions": actions })),
        Err(err) => store_unavailable(&err),
    }
}

/// `POST /api/learning`: record a learning action, optionally linked to cases.
async fn create_learning(State(state): State<ApiState>, Staff(user): Staff, request: Request) -> Response {
    let (headers, bytes) = match read_body(request).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let new: NewLearning = match body::parse(&headers, &bytes) {
        Ok(new) => new,
        Err(problem) => return problem.into_response(),
    };
    let mut cases = Vec::with_capacity(new.cases.len());
    for (i, text) in new.cases.iter().enumerate() {
        match text.parse::<CaseRef>() {
            Ok(reference) => cases.push(reference),
            Err(_) => return bad_field(&format!("cases[{i}]"), "is not a case reference"),
        }
    }
    if let Err(response) = allow_learning_change(&user) {
        return response;
    }
    let today = complaints_core::dates::today_in_scotland(state.staff.clock.now());
    let id = register::new_learning_id();
    match register::create(&*state.learning, id, new.root_cause, new.action, new.owner, today, new.due_on, cases).await
    {
        Ok(stored) => {
            audit_learning_change(&state, &user, "learning-create", None).await;
            json_response(StatusCode::CREATED, &json!({ "action": stored.action, "version": stored.version }))
        }
        Err(err) => register_problem(&err),
    }
}

fn bad_field(field: &str, message: &str) -> Response {
    let mut problem = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-fields", "Some fields need changing")
        .detail("See errors: each names a field and what is wrong with it.");
    problem.errors = vec![ProblemField { field: field.to_owned(), message: message.to_owned() }];
    problem.into_response()
}

/// `POST /api/learning/{id}/links`: link a case to a learning action (in the register; the case
/// records the link with its own `link-learning` action).
async fn link_learning(
    State(state): State<ApiState>,
    Staff(user): Staff,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let (headers, bytes) = match read_body(request).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let link: LinkLearning = match body::parse(&headers, &bytes) {
        Ok(link) => link,
        Err(problem) => return problem.into_response(),
    };
    let Ok(reference) = link.reference.parse::<CaseRef>() else {
        return bad_field("reference", "is not a case reference");
    };
    if let Err(response) = allow_learning_change(&user) {
        return response;
    }
    match register::link(&*state.learning, &id, reference.clone()).await {
        Ok(stored) => {
            audit_learning_change(&state, &user, "learning-link", Some(reference)).await;
            json_response(StatusCode::OK, &json!({ "action": stored.action, "version": stored.version }))
        }
        Err(err) => register_problem(&err),
    }
}

/// `POST /api/learning/{id}/complete`: the learning action was done (today unless `done_on`).
async fn complete_learning(
    State(state): State<ApiState>,
    Staff(user): Staff,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let (headers, bytes) = match read_body(request).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let done: CompleteLearning = match body::parse(&headers, &bytes) {
        Ok(done) => done,
        Err(problem) => return problem.into_response(),
    };
    if let Err(response) = allow_learning_change(&user) {
        return response;
    }
    let today = complaints_core::dates::today_in_scotland(state.staff.clock.now());
    match register::complete(&*state.learning, &id, done.done_on.unwrap_or(today)).await {
        Ok(stored) => {
            audit_learning_change(&state, &user, "learning-complete", None).await;
            json_response(StatusCode::OK, &json!({ "action": stored.action, "version": stored.version }))
        }
        Err(err) => register_problem(&err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_in_several_staff_groups_is_refused_with_403_not_given_a_role() {
        let response = unauthenticated(AuthError::AmbiguousRole);
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let content_type = response.headers().get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok());
        assert_eq!(content_type, Some("application/problem+json"));
    }

    #[test]
    fn invalid_messages_are_split_into_named_fields() {
        let fields = invalid_fields("email: not an address; note: give the note of the conversation");
        let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["email", "note"]);
        assert!(invalid_fields("organisation configuration: bad prefix").is_empty(), "not a field name");
    }

    #[test]
    fn overdue_means_due_before_today_and_received_needs_its_dates() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 2).expect("date");
        let overdue = ListParams { overdue: Some("true".to_owned()), ..ListParams::default() };
        let query = case_query(overdue, today).expect("valid");
        assert_eq!(query.due_by, NaiveDate::from_ymd_opt(2026, 12, 1));
        let received = ListParams {
            scope: Some("received".to_owned()),
            from: Some("2026-01-01".to_owned()),
            ..ListParams::default()
        };
        assert_eq!(case_query(received, today).err().map(|r| r.status()), Some(StatusCode::BAD_REQUEST));
    }
}
