//! The sign-in tests' side of a browser: sessions kept in memory on a clock the test moves, the
//! users file with one password, requests from one client address, and the cookies and hidden
//! fields read back from the answers.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, Response, header};
use chrono::{DateTime, Utc};
use complaints_app::ports::Clock;
use complaints_app::testing::ManualClock;
use complaints_app::testing_sessions::{self, MemorySessionStore};
use complaints_app::users::UsersFile;
use complaints_core::roles::Role;
use complaints_workspace::auth::{SignInMethod, StoreSessions};
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

/// Ahmed's password in [`users`].
pub const PASSWORD: &str = "a long passphrase for ahmed";

/// When the sign-in tests start: Tuesday 1 December 2026, 09:00.
pub fn start() -> DateTime<Utc> {
    "2026-12-01T09:00:00Z".parse().expect("instant")
}

/// A users file with ahmed, a handler whose password is [`PASSWORD`].
pub fn users() -> UsersFile {
    let dir = tempfile::tempdir().expect("dir");
    let mut users = UsersFile::load(dir.path()).expect("empty");
    users.add("ahmed", Some("Ahmed Fictional".into()), Role::Handler, None, start()).expect("add");
    users.set_password("ahmed", PASSWORD).expect("password");
    users
}

/// Sessions kept in `store`, timed by `clock`, signed in by `method` with the tests' secret; the
/// cookies `Secure` when `secure`.
pub fn store_sessions(
    store: Arc<MemorySessionStore>,
    clock: Arc<ManualClock>,
    method: SignInMethod,
    secure: bool,
) -> StoreSessions {
    StoreSessions::new(store, clock as Arc<dyn Clock>, method, b"a test secret of enough length", secure)
}

/// Sends `request` from the client 192.0.2.10: the answer's head and its body as text.
pub async fn send(app: &Router, mut request: Request<Body>) -> (Response<Body>, String) {
    request.extensions_mut().insert(ConnectInfo("192.0.2.10:5000".parse::<SocketAddr>().expect("addr")));
    let response = app.clone().oneshot(request).await.expect("answered");
    let (parts, body) = response.into_parts();
    let text = String::from_utf8(body.collect().await.expect("body").to_bytes().to_vec()).expect("utf-8");
    (Response::from_parts(parts, Body::empty()), text)
}

pub fn set_cookies(response: &Response<Body>) -> Vec<String> {
    response.headers().get_all(header::SET_COOKIE).iter().map(|v| v.to_str().expect("ascii").to_owned()).collect()
}

/// `name=value` of the cookie `name` set by the response.
pub fn cookie_pair(response: &Response<Body>, name: &str) -> Option<String> {
    testing_sessions::cookie_pair(set_cookies(response).iter().map(String::as_str), name)
}

/// The value of the hidden field `name`, as the page holds it.
pub fn hidden(html: &str, name: &str) -> String {
    testing_sessions::hidden_field(html, name).expect("hidden field")
}

/// A `GET` of `path`, with `cookie` when given.
pub fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut builder = Request::get(path);
    if let Some(cookie) = cookie {
        builder = builder.header(header::COOKIE, cookie);
    }
    builder.body(Body::empty()).expect("request")
}

/// A `POST` of `form` to `path`, with `cookie` when given.
pub fn post(path: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> Request<Body> {
    let mut builder = Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(cookie) = cookie {
        builder = builder.header(header::COOKIE, cookie);
    }
    builder.body(Body::from(serde_urlencoded::to_string(form).expect("form"))).expect("request")
}
