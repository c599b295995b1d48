//! Signing in locally, end to end through the router: the users file's password, the session
//! cookie, `SignedIn` on a page, CSRF on sign-out, lifetimes, the lockout and the per-client limit.

mod common;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Response, StatusCode, header};
use chrono::Duration;
use common::app_with_sessions;
use common::browser::{PASSWORD, cookie_pair, get, hidden, post, send, set_cookies, start, store_sessions};
use complaints_app::sessions::SessionStore as _;
use complaints_app::testing::ManualClock;
use complaints_app::testing_sessions::MemorySessionStore;
use complaints_app::users::UsersFile;
use complaints_core::roles::Role;
use complaints_workspace::auth::{PasswordSource, SIGN_IN_FAILED, SignInMethod, StoreSessions};

struct World {
    app: Router,
    clock: Arc<ManualClock>,
    store: Arc<MemorySessionStore>,
}

/// [`common::browser::users`] and mairi, a manager without a password.
fn users() -> UsersFile {
    let mut users = common::browser::users();
    users.add("mairi", None, Role::Manager, None, start()).expect("add, no password");
    users
}

fn world_with(configure: impl FnOnce(StoreSessions) -> StoreSessions, secure: bool) -> World {
    let clock = Arc::new(ManualClock::new(start()));
    let store = Arc::new(MemorySessionStore::default());
    let method = SignInMethod::Passwords(PasswordSource::Fixed(users()));
    let sessions = store_sessions(store.clone(), clock.clone(), method, secure);
    World { app: app_with_sessions(start(), Arc::new(configure(sessions))), clock, store }
}

fn world() -> World {
    world_with(|s| s, false)
}

/// Opens the sign-in page: the form's token and the cookie that goes with it.
async fn sign_in_form(app: &Router, cookie_name: &str) -> (String, String) {
    let (page, html) = send(app, get("/staff/sign-in", None)).await;
    assert_eq!(page.status(), StatusCode::OK);
    (hidden(&html, "token"), cookie_pair(&page, cookie_name).expect("the sign-in cookie"))
}

async fn try_sign_in(app: &Router, user: &str, password: &str) -> (Response<Body>, String) {
    let (token, cookie) = sign_in_form(app, "staff_signin").await;
    send(app, post("/staff/sign-in", Some(&cookie), &[("username", user), ("password", password), ("token", &token)]))
        .await
}

/// Signs in and returns the session cookie (`staff_session=…`).
async fn signed_in(app: &Router) -> String {
    let (response, _) = try_sign_in(app, "ahmed", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    cookie_pair(&response, "staff_session").expect("a session cookie")
}

#[tokio::test]
async fn a_password_from_the_users_file_starts_a_session_that_pages_recognise() {
    let world = world();
    let (response, _) = try_sign_in(&world.app, "ahmed", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers().get(header::LOCATION).expect("location"), "/staff/");
    let set = set_cookies(&response);
    let session = set.iter().find(|c| c.starts_with("staff_session=")).expect("session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/staff", "Max-Age=36000"] {
        assert!(session.contains(attribute), "{attribute} in {session}");
    }
    assert!(!session.contains("Secure"), "not Secure on loopback");
    assert!(set.iter().any(|c| c.starts_with("staff_signin=;")), "the sign-in token cookie is cleared");

    let cookie = cookie_pair(&response, "staff_session").expect("cookie");
    let id = cookie.trim_start_matches("staff_session=");
    assert_eq!(world.store.session(id).await.expect("read"), None, "the store does not know the raw id");
    assert!(
        world.store.session(&complaints_app::sessions::session_id_hash(id)).await.expect("read").is_some(),
        "it knows its hash"
    );

    let (page, html) = send(&world.app, get("/staff/account", Some(&cookie))).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(html.contains("Ahmed Fictional") && html.contains("handler"), "{html}");
    assert_eq!(page.headers().get(header::CACHE_CONTROL).expect("cache-control"), "no-store");
    assert!(page.headers().get(header::CONTENT_SECURITY_POLICY).is_some());
    assert_eq!(page.headers().get(header::X_FRAME_OPTIONS).expect("frame"), "DENY");

    let (anonymous, _) = send(&world.app, get("/staff/account", None)).await;
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    assert_eq!(anonymous.headers().get(header::LOCATION).expect("location"), "/staff/sign-in?next=/staff/account");
    let (forged, _) =
        send(&world.app, get("/staff/account", Some(&format!("staff_session={}", "ab".repeat(32))))).await;
    assert_eq!(forged.status(), StatusCode::SEE_OTHER, "a made-up session id is nobody");
}

#[tokio::test]
async fn every_failure_gets_the_same_answer_and_no_session() {
    let world = world();
    let mut bodies = Vec::new();
    for (user, password) in [("ahmed", "not the password at all"), ("nobody", PASSWORD), ("mairi", PASSWORD)] {
        let (response, html) = try_sign_in(&world.app, user, password).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{user}");
        assert!(cookie_pair(&response, "staff_session").is_none(), "{user}");
        assert!(html.contains(&SIGN_IN_FAILED.replace('\'', "&#x27;")) || html.contains(SIGN_IN_FAILED), "{html}");
        assert!(html.contains("error-summary") && html.contains("aria-invalid=\"true\""), "accessible error");
        // The page differs only in the user name typed back and the fresh token.
        bodies.push(html.replace(&hidden(&html, "token"), "").replace(user, ""));
    }
    assert_eq!(bodies[0], bodies[1], "an unknown account reads as a wrong password");
    assert_eq!(bodies[0], bodies[2], "an account without a password reads the same");
    assert_eq!(world.store.session_count(), 0);
}

#[tokio::test]
async fn a_sign_in_posted_without_the_pages_token_and_cookie_is_refused() {
    let world = world();
    let (token, cookie) = sign_in_form(&world.app, "staff_signin").await;
    let form = [("username", "ahmed"), ("password", PASSWORD), ("token", token.as_str())];
    let (no_cookie, _) = send(&world.app, post("/staff/sign-in", None, &form)).await;
    assert_eq!(no_cookie.status(), StatusCode::BAD_REQUEST, "another site's form: no SameSite=Strict cookie");
    let (other_form, _) = sign_in_form(&world.app, "staff_signin").await;
    let form_of_other = [("username", "ahmed"), ("password", PASSWORD), ("token", other_form.as_str())];
    let (mismatch, _) = send(&world.app, post("/staff/sign-in", Some(&cookie), &form_of_other)).await;
    assert_eq!(mismatch.status(), StatusCode::BAD_REQUEST, "token and cookie from different pages");
    world.clock.advance(Duration::minutes(61));
    let (stale, html) = send(&world.app, post("/staff/sign-in", Some(&cookie), &form)).await;
    assert_eq!(stale.status(), StatusCode::BAD_REQUEST, "an hour-old page");
    assert!(html.contains("expired"));
    assert_eq!(world.store.session_count(), 0);
}

#[tokio::test]
async fn five_failures_lock_the_account_even_against_the_right_password_until_the_lock_ends() {
    let world = world();
    for _ in 0..5 {
        let (response, _) = try_sign_in(&world.app, "ahmed", "a wrong guess of a password").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let (locked, html) = try_sign_in(&world.app, "ahmed", PASSWORD).await;
    assert_eq!(locked.status(), StatusCode::UNAUTHORIZED, "locked: the right password is refused");
    assert!(html.contains("locked for a while") && cookie_pair(&locked, "staff_session").is_none());
    world.clock.advance(Duration::minutes(14));
    assert_eq!(try_sign_in(&world.app, "ahmed", PASSWORD).await.0.status(), StatusCode::UNAUTHORIZED);
    world.clock.advance(Duration::minutes(2));
    assert_eq!(try_sign_in(&world.app, "ahmed", PASSWORD).await.0.status(), StatusCode::SEE_OTHER, "lock over");
}

#[tokio::test]
async fn one_client_gets_only_so_many_attempts_before_any_password_is_checked() {
    let world = world_with(|s| s.with_client_limit(3, 15), false);
    for _ in 0..3 {
        assert_eq!(try_sign_in(&world.app, "nobody", "wrong password here").await.0.status(), StatusCode::UNAUTHORIZED);
    }
    let (limited, _) = try_sign_in(&world.app, "ahmed", PASSWORD).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().get(header::RETRY_AFTER).is_some());
}

#[tokio::test]
async fn sign_out_needs_the_sessions_csrf_token_and_the_old_cookie_is_dead_afterwards() {
    let world = world();
    let cookie = signed_in(&world.app).await;
    let (_, account) = send(&world.app, get("/staff/account", Some(&cookie))).await;
    let csrf = hidden(&account, "csrf");
    assert_eq!(csrf.len(), 64);

    let (wrong, _) =
        send(&world.app, post("/staff/sign-out", Some(&cookie), &[("csrf", "0".repeat(64).as_str())])).await;
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    let (missing, _) = send(&world.app, post("/staff/sign-out", Some(&cookie), &[])).await;
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    assert_eq!(send(&world.app, get("/staff/account", Some(&cookie))).await.0.status(), StatusCode::OK, "still in");

    let (out, html) = send(&world.app, post("/staff/sign-out", Some(&cookie), &[("csrf", csrf.as_str())])).await;
    assert_eq!(out.status(), StatusCode::OK);
    assert!(html.contains("You have signed out"));
    assert!(set_cookies(&out).iter().any(|c| c.starts_with("staff_session=;") && c.contains("Max-Age=0")));
    assert_eq!(world.store.session_count(), 0, "deleted from the store");
    let (replayed, _) = send(&world.app, get("/staff/account", Some(&cookie))).await;
    assert_eq!(replayed.status(), StatusCode::SEE_OTHER, "the old cookie signs nobody in");
}

#[tokio::test]
async fn a_session_ends_after_thirty_idle_minutes_or_ten_hours_however_busy() {
    let world = world();
    let cookie = signed_in(&world.app).await;
    world.clock.advance(Duration::minutes(29));
    assert_eq!(send(&world.app, get("/staff/account", Some(&cookie))).await.0.status(), StatusCode::OK);
    world.clock.advance(Duration::minutes(29));
    assert_eq!(
        send(&world.app, get("/staff/account", Some(&cookie))).await.0.status(),
        StatusCode::OK,
        "idle restarts"
    );
    world.clock.advance(Duration::minutes(31));
    assert_eq!(send(&world.app, get("/staff/account", Some(&cookie))).await.0.status(), StatusCode::SEE_OTHER, "idle");

    let busy = signed_in(&world.app).await;
    for _ in 0..(10 * 60 / 20 - 1) {
        world.clock.advance(Duration::minutes(20));
        assert_eq!(send(&world.app, get("/staff/account", Some(&busy))).await.0.status(), StatusCode::OK);
    }
    world.clock.advance(Duration::minutes(20));
    assert_eq!(send(&world.app, get("/staff/account", Some(&busy))).await.0.status(), StatusCode::SEE_OTHER, "10 h");
}

#[tokio::test]
async fn off_loopback_the_cookies_are_secure_and_prefixed() {
    let world = world_with(|s| s, true);
    let (token, cookie) = sign_in_form(&world.app, "__Secure-staff_signin").await;
    let form = [("username", "ahmed"), ("password", PASSWORD), ("token", token.as_str())];
    let (response, _) = send(&world.app, post("/staff/sign-in", Some(&cookie), &form)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let set = set_cookies(&response);
    let session = set.iter().find(|c| c.starts_with("__Secure-staff_session=")).expect("prefixed");
    assert!(session.contains("; Secure") && session.contains("HttpOnly") && session.contains("SameSite=Strict"));
    let cookie = cookie_pair(&response, "__Secure-staff_session").expect("cookie");
    assert_eq!(send(&world.app, get("/staff/account", Some(&cookie))).await.0.status(), StatusCode::OK);
    let unprefixed = cookie.trim_start_matches("__Secure-");
    assert_eq!(send(&world.app, get("/staff/account", Some(unprefixed))).await.0.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_configurations_sign_in_section_sets_the_lockout_and_the_idle_timeout() {
    let settings = complaints_core::sign_in::SignInSettings {
        idle_minutes: 5,
        max_failures: 2,
        ..complaints_core::sign_in::SignInSettings::default()
    };
    let world = world_with(|s| s.with_settings(&settings), false);
    let cookie = signed_in(&world.app).await;
    world.clock.advance(Duration::minutes(5));
    assert_eq!(send(&world.app, get("/staff/account", Some(&cookie))).await.0.status(), StatusCode::SEE_OTHER);
    for _ in 0..2 {
        assert_eq!(try_sign_in(&world.app, "ahmed", "a wrong guess again").await.0.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(try_sign_in(&world.app, "ahmed", PASSWORD).await.0.status(), StatusCode::UNAUTHORIZED, "locked after 2");
}
