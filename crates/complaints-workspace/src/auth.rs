//! Signing in and out: the sign-in page, sign-out, and on AWS Cognito's hosted sign-in callback.
//!
//! - `GET /staff/sign-in`: locally the sign-in form (user name and password from the users file);
//!   on AWS a redirect to Cognito's hosted sign-in ([`cognito`]).
//! - `POST /staff/sign-in`: locally, checks the form's pre-session token (double-submitted in a
//!   SameSite=Strict cookie, and accepted once only: [`single_use`]), the per-client attempt
//!   limit, then the account's lockout and the password (Argon2id, on a blocking thread, at most
//!   [`MAX_CONCURRENT_PASSWORD_CHECKS`] at once), and starts a session. Every failure gets the
//!   same message, whatever went wrong.
//! - `GET /staff/auth/callback`: on AWS, Cognito's redirect back with the authorization code.
//! - `GET /staff/account`: who is signed in, and the sign-out button.
//! - `POST /staff/sign-out`: with the session's CSRF token, deletes the session; on AWS the page
//!   then moves the browser on to Cognito's `/logout`, which ends the hosted UI's own session.
//! - `GET /staff/signed-out`: where Cognito's sign-out comes back to.

pub mod cognito;
pub mod cookies;
pub mod known_staff;
pub mod passwords;
pub mod return_to;
pub mod single_use;
pub mod store_sessions;
pub mod tokens;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, FromRequest as _, FromRequestParts as _, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use complaints_app::sessions::account_key;
use serde::Deserialize;

pub use self::cognito::{Cognito, CognitoConfig};
use self::cookies::SameSite;
pub use self::passwords::PasswordSource;
pub use self::store_sessions::{MAX_CONCURRENT_PASSWORD_CHECKS, SignInMethod, StoreSessions};
use crate::WorkspaceState;
use crate::session::SignedIn;

/// How long the sign-in form's token (and its cookie) stays valid: one hour.
const SIGN_IN_TOKEN_SECONDS: i64 = 3600;
/// The largest sign-in or sign-out form read.
const FORM_LIMIT_BYTES: usize = 16 * 1024;
/// The one message for every failed sign-in: it never says whether the account exists, is
/// locked, or the password was wrong.
pub const SIGN_IN_FAILED: &str = "The user name or password is not right, or the account is locked for a while after \
     several failed attempts. Check them and try again later.";
/// Where staff go once signed in: the dashboard.
pub const HOME: &str = "/staff/";

/// The routes of this part of the workspace.
pub fn routes() -> Router<WorkspaceState> {
    Router::new()
        .route("/staff/sign-in", get(sign_in_page).post(sign_in))
        .route("/staff/sign-out", post(sign_out))
        .route("/staff/signed-out", get(signed_out))
        .route("/staff/account", get(account))
        .route("/staff/auth/callback", get(cognito::callback))
        .layer(DefaultBodyLimit::max(FORM_LIMIT_BYTES))
}

/// The workspace's sign-in templates, compiled once.
fn templates() -> &'static minijinja::Environment<'static> {
    static ENV: std::sync::OnceLock<minijinja::Environment<'static>> = std::sync::OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = minijinja::Environment::new();
        for (name, source) in [
            ("auth_layout.html", include_str!("../templates/auth_layout.html")),
            ("sign_in.html", include_str!("../templates/sign_in.html")),
            ("auth_message.html", include_str!("../templates/auth_message.html")),
            ("account.html", include_str!("../templates/account.html")),
        ] {
            if let Err(err) = env.add_template(name, source) {
                tracing::error!(error = %err, template = name, "a sign-in template does not compile");
            }
        }
        env
    })
}

fn html(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

/// Renders `template` with `context`, or a bare error page when it cannot.
pub(crate) fn render(status: StatusCode, template: &str, context: minijinja::Value) -> Response {
    match templates().get_template(template).and_then(|t| t.render(context)) {
        Ok(body) => html(status, body),
        Err(err) => {
            tracing::error!(error = %err, template, "a sign-in page could not be rendered");
            html(
                StatusCode::INTERNAL_SERVER_ERROR,
                "<!DOCTYPE html><title>Error</title><p>Sorry, there is a problem with the service.".to_owned(),
            )
        }
    }
}

fn org_name(state: &WorkspaceState) -> String {
    state.staff.config.organisation.name.clone()
}

/// A page with a title, some paragraphs and a link (and, when `refresh`, a meta refresh to it).
pub(crate) fn message_page(
    state: &WorkspaceState,
    status: StatusCode,
    title: &str,
    paragraphs: &[&str],
    link: Option<(&str, &str)>,
    refresh: bool,
) -> Response {
    let link = link.map(|(href, text)| minijinja::context! { href, text });
    let refresh = if refresh { link.as_ref().and_then(|l| l.get_attr("href").ok()) } else { None };
    render(
        status,
        "auth_message.html",
        minijinja::context! { org_name => org_name(state), title, paragraphs => minijinja::Value::from(minijinja::value::Serde(paragraphs)), link, refresh },
    )
}

/// "Try again in a moment": the store or the randomness failed.
pub(crate) fn unavailable(state: &WorkspaceState, error: &dyn std::error::Error) -> Response {
    tracing::error!(error = %complaints_app::error_chain(error), "sign-in failed");
    let mut response = message_page(
        state,
        StatusCode::SERVICE_UNAVAILABLE,
        "Sorry, there is a problem with the service",
        &["Try again in a few minutes."],
        Some(("/staff/sign-in", "Sign in")),
        false,
    );
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
    response
}

fn not_found(state: &WorkspaceState) -> Response {
    message_page(state, StatusCode::NOT_FOUND, "Page not found", &["There is no such page."], None, false)
}

fn with_cookies(mut response: Response, cookies: &[String]) -> Response {
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

#[derive(Debug, Clone, Copy)]
struct FieldError {
    field: &'static str,
    message: &'static str,
}

/// The sign-in form, with a fresh pre-session token in the form and in its cookie.
fn sign_in_form(
    state: &WorkspaceState,
    sessions: &StoreSessions,
    status: StatusCode,
    username: &str,
    errors: &[FieldError],
) -> Response {
    sign_in_form_to(state, sessions, status, username, errors, None)
}

/// [`sign_in_form`] that returns to `next` ([`return_to`]) once signed in: the path is a field
/// of the signed token, so it cannot be changed on the way.
fn sign_in_form_to(
    state: &WorkspaceState,
    sessions: &StoreSessions,
    status: StatusCode,
    username: &str,
    errors: &[FieldError],
    next: Option<&str>,
) -> Response {
    let Ok(nonce) = tokens::random_hex() else {
        return unavailable(state, &std::io::Error::other("no randomness for the sign-in token"));
    };
    let token = match next.and_then(return_to::safe) {
        Some(next) => sessions.signer.sign("sign-in", sessions.now(), &[&nonce, next]),
        None => sessions.signer.sign("sign-in", sessions.now(), &[&nonce]),
    };
    let errmap: std::collections::BTreeMap<&str, &str> = errors.iter().map(|e| (e.field, e.message)).collect();
    let errors: Vec<minijinja::Value> =
        errors.iter().map(|e| minijinja::context! { field => e.field, message => e.message }).collect();
    let page = render(
        status,
        "sign_in.html",
        minijinja::context! { org_name => org_name(state), token, username, errors, errmap },
    );
    let cookie = sessions.cookies.set(cookies::SIGN_IN, &nonce, crate::PREFIX, SameSite::Strict, SIGN_IN_TOKEN_SECONDS);
    with_cookies(page, &[cookie])
}

/// `?next=`: the page to return to once signed in ([`return_to`]).
#[derive(Debug, Default, Deserialize)]
struct NextQuery {
    #[serde(default)]
    next: Option<String>,
}

async fn sign_in_page(State(state): State<WorkspaceState>, request: Request) -> Response {
    let Some(sessions) = state.sessions.store_sessions() else { return not_found(&state) };
    let (parts, _) = request.into_parts();
    let query: NextQuery = serde_urlencoded::from_str(parts.uri.query().unwrap_or_default()).unwrap_or_default();
    let next = query.next.as_deref().and_then(return_to::safe);
    if let Ok(Some(_)) = state.sessions.current(&parts).await {
        return Redirect::to(return_to::after_sign_in(next)).into_response();
    }
    match &sessions.method {
        SignInMethod::Passwords(_) => sign_in_form_to(&state, sessions, StatusCode::OK, "", &[], next),
        SignInMethod::Cognito(cognito) => cognito::start(&state, sessions, cognito, next),
    }
}

#[derive(Debug, Deserialize)]
struct SignInForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    token: String,
}

async fn sign_in(State(state): State<WorkspaceState>, request: Request) -> Response {
    let Some(sessions) = state.sessions.store_sessions() else { return not_found(&state) };
    let SignInMethod::Passwords(source) = &sessions.method else { return not_found(&state) };
    let (parts, body) = request.into_parts();
    let client = complaints_web::client_of(&parts.extensions);
    let Ok(Form(form)) = Form::<SignInForm>::from_request(Request::from_parts(parts.clone(), body), &()).await else {
        return sign_in_form(
            &state,
            sessions,
            StatusCode::BAD_REQUEST,
            "",
            &[FieldError { field: "username", message: "Enter your user name and password" }],
        );
    };
    let now = sessions.now();
    let username = form.username.trim().to_owned();

    // 1. The form came from our page, in this browser (login CSRF).
    let cookie_nonce = sessions.cookies.get(&parts.headers, cookies::SIGN_IN).unwrap_or_default();
    let fields = sessions
        .signer
        .check("sign-in", &form.token, now, SIGN_IN_TOKEN_SECONDS)
        .filter(|fields| (1..=2).contains(&fields.len()) && tokens::same(&fields[0], &cookie_nonce));
    let genuine = fields.is_some();
    // The page to return to, from the signed token only.
    let next: Option<String> =
        fields.as_ref().and_then(|fields| fields.get(1)).and_then(|next| return_to::safe(next)).map(str::to_owned);
    if !genuine {
        tracing::warn!("staff sign-in form token missing, forged or expired");
        return sign_in_form(
            &state,
            sessions,
            StatusCode::BAD_REQUEST,
            &username,
            &[FieldError {
                field: "username",
                message: "The sign-in page had expired. Enter your user name and password again",
            }],
        );
    }

    // 1b. Once only: a copy of the form (token and cookie) cannot be posted again. Every answer
    //     below that shows the form again gives it a fresh token.
    let nonce = fields.as_ref().and_then(|fields| fields.first()).map_or("", String::as_str);
    match single_use::first_use(sessions, "sign-in", nonce, SIGN_IN_TOKEN_SECONDS).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!("staff sign-in form posted again");
            let clear = sessions.cookies.clear(cookies::SIGN_IN, crate::PREFIX, SameSite::Strict);
            return with_cookies(single_use::already_used(&state, next.as_deref()), &[clear]);
        }
        Err(err) => return unavailable(&state, &err),
    }

    // 2. Both fields given (no attempt counted for an empty form).
    let mut errors = Vec::new();
    if username.is_empty() {
        errors.push(FieldError { field: "username", message: "Enter your user name" });
    }
    if form.password.is_empty() {
        errors.push(FieldError { field: "password", message: "Enter your password" });
    }
    if !errors.is_empty() {
        return sign_in_form_to(&state, sessions, StatusCode::BAD_REQUEST, &username, &errors, next.as_deref());
    }

    // 3. The cheap per-client limit before any hashing. A sign-in that succeeds gives its slot
    //    back below, so only failures count (staff behind one address sign in all day).
    let slot = client.as_ref().map(|client| sessions.limiter.try_take(client, now));
    if matches!(slot, Some(Err(_))) {
        // The address is personal data: only the fact goes in the log.
        tracing::warn!("staff sign-in attempt limit reached for a client");
        let minutes = sessions.limiter.window_minutes().to_string();
        let text = format!(
            "There have been too many sign-in attempts from this connection. Wait {minutes} minutes, then try again."
        );
        let mut page = message_page(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            "Too many attempts",
            &[text.as_str()],
            Some(("/staff/sign-in", "Sign in")),
            false,
        );
        page.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(sessions.limiter.window_minutes() * 60));
        return page;
    }

    // 4. Lockout, then the password. The password is checked even when the account is locked,
    //    so the answer's timing does not tell a locked account from a wrong password.
    let account = account_key(&username);
    let log_account = &account[..12];
    let locked = match sessions.store.sign_in_failures(&account).await {
        Ok(failures) => failures.is_some_and(|f| f.locked_at(now)),
        Err(err) => return unavailable(&state, &err),
    };
    let Ok(Ok(permit)) =
        tokio::time::timeout(std::time::Duration::from_secs(10), sessions.checks.clone().acquire_owned()).await
    else {
        return unavailable(&state, &std::io::Error::other("password checks are all busy"));
    };
    let (source, name, password) = (source.clone(), username.clone(), form.password);
    let checked = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        source.authenticate(&name, &password)
    })
    .await;
    let user = match checked {
        Ok(user) => user,
        Err(err) => return unavailable(&state, &err),
    };
    let Some(user) = user.filter(|_| !locked) else {
        if locked {
            tracing::warn!(account = log_account, "staff sign-in refused: account locked");
        } else {
            match sessions.store.record_sign_in_failure(&account, now, &sessions.lockout).await {
                Ok(failures) if failures.locked_until.is_some() && failures.count == sessions.lockout.max_failures => {
                    tracing::warn!(
                        account = log_account,
                        failures = failures.count,
                        "staff account locked after failed sign-ins"
                    );
                }
                Ok(failures) => {
                    tracing::warn!(account = log_account, failures = failures.count, "staff sign-in failed")
                }
                Err(err) => return unavailable(&state, &err),
            }
        }
        return sign_in_form_to(
            &state,
            sessions,
            StatusCode::UNAUTHORIZED,
            &username,
            &[FieldError { field: "username", message: SIGN_IN_FAILED }],
            next.as_deref(),
        );
    };
    if let Err(err) = sessions.store.clear_sign_in_failures(&account).await {
        return unavailable(&state, &err);
    }
    if let Some(Ok(Some(slot))) = &slot {
        sessions.limiter.give_back(slot);
    }
    match sessions.start(user).await {
        Ok(cookie) => {
            tracing::info!(account = log_account, "staff signed in");
            let clear = sessions.cookies.clear(cookies::SIGN_IN, crate::PREFIX, SameSite::Strict);
            with_cookies(Redirect::to(return_to::after_sign_in(next.as_deref())).into_response(), &[cookie, clear])
        }
        Err(err) => unavailable(&state, &err),
    }
}

async fn account(State(state): State<WorkspaceState>, signed_in: SignedIn) -> Response {
    let role = signed_in.user.role.as_str();
    render(
        StatusCode::OK,
        "account.html",
        minijinja::context! { org_name => org_name(&state), user => minijinja::Value::from(minijinja::value::Serde(&signed_in.user)), role, csrf => signed_in.csrf },
    )
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `GET /staff/signed-out`: where Cognito's sign-out sends the browser back to.
async fn signed_out(State(state): State<WorkspaceState>) -> Response {
    message_page(
        &state,
        StatusCode::OK,
        "You have signed out",
        &["You have signed out of the complaints workspace."],
        Some(("/staff/sign-in", "Sign in again")),
        false,
    )
}

async fn sign_out(State(state): State<WorkspaceState>, request: Request) -> Response {
    let Some(sessions) = state.sessions.store_sessions() else { return not_found(&state) };
    let (mut parts, body) = request.into_parts();
    let signed_in = match SignedIn::from_request_parts(&mut parts, &state).await {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    let form = Form::<CsrfForm>::from_request(Request::from_parts(parts.clone(), body), &()).await;
    let submitted = form.map(|Form(f)| f.csrf).unwrap_or_default();
    if !signed_in.check_csrf(&submitted) {
        tracing::warn!("staff sign-out refused: CSRF token missing or wrong");
        return message_page(
            &state,
            StatusCode::FORBIDDEN,
            "Sorry, that did not work",
            &["The page you used was out of date. Go back, reload the page and try again."],
            Some(("/staff/account", "Your account")),
            false,
        );
    }
    match sessions.end(&parts).await {
        // On AWS the hosted UI keeps its own session on the pool's domain: send the browser on
        // to its sign-out too, which comes back to `/staff/signed-out`. A page that moves on by
        // itself (and a link), not a redirect: the CSP's form-action 'self' would stop a form's
        // redirect to another origin.
        Ok(cookie) if let SignInMethod::Cognito(cognito) = &sessions.method => with_cookies(
            message_page(
                &state,
                StatusCode::OK,
                "Signing you out",
                &[
                    "You have signed out of the complaints workspace.",
                    "Your browser is now signed out of the sign-in service too, so the next sign-in asks for your password.",
                ],
                Some((&cognito.logout_url(), "Finish signing out")),
                true,
            ),
            &[cookie],
        ),
        Ok(cookie) => with_cookies(
            message_page(
                &state,
                StatusCode::OK,
                "You have signed out",
                &["You have signed out of the complaints workspace."],
                Some(("/staff/sign-in", "Sign in again")),
                false,
            ),
            &[cookie],
        ),
        Err(err) => unavailable(&state, &err),
    }
}
