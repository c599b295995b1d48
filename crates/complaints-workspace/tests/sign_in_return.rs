//! Signing in locally, through the router: the page asked for while signed out (a link in the
//! breach-scan digest) opens after signing in, no address can send anyone off the workspace, and
//! the per-client attempt limit counts failures only.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, Response, StatusCode, header};
use chrono::{DateTime, Utc};
use complaints_app::ports::{CaseStore, Clock};
use complaints_app::staff::StaffActions;
use complaints_app::testing::{ManualClock, MemoryCaseStore, RecordingMailer, intake_service};
use complaints_app::testing_read::MemoryLearningStore;
use complaints_app::testing_sessions::MemorySessionStore;
use complaints_app::users::UsersFile;
use complaints_core::roles::Role;
use complaints_workspace::auth::{PasswordSource, SignInMethod, StoreSessions};
use complaints_workspace::{WorkspaceState, router};
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

const PASSWORD: &str = "a long passphrase for ahmed";

fn start() -> DateTime<Utc> {
    "2026-12-01T09:00:00Z".parse().expect("instant")
}

fn app_with(configure: impl FnOnce(StoreSessions) -> StoreSessions) -> Router {
    let dir = tempfile::tempdir().expect("dir");
    let mut users = UsersFile::load(dir.path()).expect("empty");
    users.add("ahmed", Some("Ahmed Fictional".into()), Role::Handler, None, start()).expect("add");
    users.set_password("ahmed", PASSWORD).expect("password");
    let clock = Arc::new(ManualClock::new(start()));
    let cases = Arc::new(MemoryCaseStore::new());
    let intake = intake_service(cases.clone() as Arc<dyn CaseStore>, Arc::new(RecordingMailer::new()), start());
    let staff = StaffActions::from_intake(&intake, Arc::new(complaints_app::staff::MemoryAuditLog::new()));
    let sessions = StoreSessions::new(
        Arc::new(MemorySessionStore::default()),
        clock as Arc<dyn Clock>,
        SignInMethod::Passwords(PasswordSource::Fixed(users)),
        b"a test secret of enough length",
        false,
    );
    router(WorkspaceState {
        staff,
        indexes: cases.clone(),
        queries: cases,
        learning: Arc::new(MemoryLearningStore::new()),
        sessions: Arc::new(configure(sessions)),
        quality: Arc::new(complaints_app::testing_registers::MemoryQualityStore::default()),
        flags: Arc::new(complaints_app::testing_registers::MemoryFlagStore::default()),
        held_mail: Arc::new(complaints_app::held_mail::MemoryHeldMail::new()),
        staff_items: Arc::new(complaints_app::testing::MemoryCaseStore::new()),
    })
}

async fn send(app: &Router, mut request: Request<Body>) -> (Response<Body>, String) {
    request.extensions_mut().insert(ConnectInfo("192.0.2.10:5000".parse::<SocketAddr>().expect("addr")));
    let response = app.clone().oneshot(request).await.expect("answered");
    let (parts, body) = response.into_parts();
    let text = String::from_utf8(body.collect().await.expect("body").to_bytes().to_vec()).expect("utf-8");
    (Response::from_parts(parts, Body::empty()), text)
}

fn location(response: &Response<Body>) -> String {
    response.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

fn cookie_pair(response: &Response<Body>, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap_or_default().to_owned())
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).map(|i| i + marker.len()).expect("hidden field");
    // minijinja escapes `/` in attributes; a browser posts it back unescaped.
    html[start..].split('"').next().unwrap_or_default().replace("&#x2f;", "/")
}

/// Opens `sign_in_page` and signs in with `password`: the answer.
async fn sign_in_from(app: &Router, sign_in_page: &str, password: &str) -> Response<Body> {
    let (page, html) = send(app, Request::get(sign_in_page).body(Body::empty()).expect("request")).await;
    assert_eq!(page.status(), StatusCode::OK, "{sign_in_page}");
    let token = hidden(&html, "token");
    let cookie = cookie_pair(&page, "staff_signin").expect("sign-in cookie");
    sign_in_with(app, &token, &cookie, password).await
}

async fn sign_in_with(app: &Router, token: &str, cookie: &str, password: &str) -> Response<Body> {
    let form =
        serde_urlencoded::to_string([("username", "ahmed"), ("password", password), ("token", token)]).expect("form");
    let request = Request::post("/staff/sign-in")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookie)
        .body(Body::from(form))
        .expect("request");
    send(app, request).await.0
}

#[tokio::test]
async fn after_signing_in_the_page_asked_for_opens() {
    let app = app_with(|s| s);
    let asked = "/staff/cases/CMP-2026-00001";
    let (signed_out, _) = send(&app, Request::get(asked).body(Body::empty()).expect("request")).await;
    assert_eq!(signed_out.status(), StatusCode::SEE_OTHER);
    let to_sign_in = location(&signed_out);
    assert_eq!(to_sign_in, format!("/staff/sign-in?next={asked}"));
    let wrong = sign_in_from(&app, &to_sign_in, "not the password at all").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let signed_in = sign_in_from(&app, &to_sign_in, PASSWORD).await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&signed_in), asked);
    // A form's target is not a page to return to.
    let form_target = format!("{asked}/actions/respond");
    let (posted, _) = send(&app, Request::post(form_target).body(Body::empty()).expect("request")).await;
    assert_eq!(location(&posted), "/staff/sign-in");
}

#[tokio::test]
async fn an_address_off_the_workspace_is_never_returned_to() {
    let app = app_with(|s| s);
    for next in [
        "https://evil.example/",
        "//evil.example/",
        "/staff//evil.example",
        "/staff/%2F%2Fevil.example",
        "/\\evil.example",
        "/staff/\\\\evil.example",
        "javascript:alert(1)",
        "/staff/../../evil",
        "/staff/sign-out",
    ] {
        let query = serde_urlencoded::to_string([("next", next)]).expect("query");
        let response = sign_in_from(&app, &format!("/staff/sign-in?{query}"), PASSWORD).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{next}");
        assert_eq!(location(&response), "/staff/", "{next}");
    }
    // The path is inside the signed token: changing it there breaks the token.
    let (page, html) =
        send(&app, Request::get("/staff/sign-in?next=/staff/flagged").body(Body::empty()).expect("request")).await;
    let token = hidden(&html, "token");
    assert!(token.contains("/staff/flagged"), "{token}");
    let forged = token.replace("/staff/flagged", "/staff/learning");
    let cookie = cookie_pair(&page, "staff_signin").expect("cookie");
    assert_eq!(sign_in_with(&app, &forged, &cookie, PASSWORD).await.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn successful_sign_ins_do_not_use_up_the_clients_attempts() {
    let app = app_with(|s| s.with_client_limit(3, 15));
    for _ in 0..6 {
        let response = sign_in_from(&app, "/staff/sign-in", PASSWORD).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "a right password is never limited by earlier ones");
    }
    for _ in 0..3 {
        let response = sign_in_from(&app, "/staff/sign-in", "not the password at all").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let limited = sign_in_from(&app, "/staff/sign-in", PASSWORD).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS, "three failures use up the attempts");
}
