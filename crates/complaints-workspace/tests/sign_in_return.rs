//! Signing in locally, through the router: the page asked for while signed out (a link in the
//! breach-scan digest) opens after signing in, no address can send anyone off the workspace, and
//! the per-client attempt limit counts failures only.

mod common;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use common::app_with_sessions;
use common::browser::{PASSWORD, cookie_pair, get, post, send, start, store_sessions, users};
use complaints_app::testing::ManualClock;
use complaints_app::testing_sessions::MemorySessionStore;
use complaints_workspace::auth::{PasswordSource, SignInMethod, StoreSessions};

fn app_with(configure: impl FnOnce(StoreSessions) -> StoreSessions) -> Router {
    let method = SignInMethod::Passwords(PasswordSource::Fixed(users()));
    let clock = Arc::new(ManualClock::new(start()));
    let sessions = store_sessions(Arc::new(MemorySessionStore::default()), clock, method, false);
    app_with_sessions(start(), Arc::new(configure(sessions)))
}

fn location(response: &Response<Body>) -> String {
    response.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

/// The hidden field `name` as a browser posts it back: minijinja escapes `/` in attributes.
fn hidden(html: &str, name: &str) -> String {
    common::browser::hidden(html, name).replace("&#x2f;", "/")
}

/// Opens `sign_in_page` and signs in with `password`: the answer.
async fn sign_in_from(app: &Router, sign_in_page: &str, password: &str) -> Response<Body> {
    let (page, html) = send(app, get(sign_in_page, None)).await;
    assert_eq!(page.status(), StatusCode::OK, "{sign_in_page}");
    let token = hidden(&html, "token");
    let cookie = cookie_pair(&page, "staff_signin").expect("sign-in cookie");
    sign_in_with(app, &token, &cookie, password).await
}

async fn sign_in_with(app: &Router, token: &str, cookie: &str, password: &str) -> Response<Body> {
    let form = [("username", "ahmed"), ("password", password), ("token", token)];
    send(app, post("/staff/sign-in", Some(cookie), &form)).await.0
}

#[tokio::test]
async fn after_signing_in_the_page_asked_for_opens() {
    let app = app_with(|s| s);
    let asked = "/staff/cases/CMP-2026-00001";
    let (signed_out, _) = send(&app, get(asked, None)).await;
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
    let (page, html) = send(&app, get("/staff/sign-in?next=/staff/flagged", None)).await;
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
