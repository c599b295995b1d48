//! Sign-in values accepted once only, through the router: the local sign-in form (token and
//! cookie) posted a second time gets "already used" and no session, whatever the password and
//! however quickly; a fresh form still signs in; a store that cannot say refuses rather than
//! accept; the hosted sign-in's `state` is refused the second time before the code goes to
//! Cognito; and sessions ended by `end_sessions` send the next request to the sign-in page.

use std::net::SocketAddr;
use std::sync::Arc;

use async_trait::async_trait;
use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, Response, StatusCode, header};
use chrono::{DateTime, Utc};
use complaints_app::end_sessions::{EndSessions, end_sessions};
use complaints_app::ports::{CaseStore, Clock, StoreError};
use complaints_app::sessions::{LockoutPolicy, SessionRecord, SessionStore, SignInFailures};
use complaints_app::single_use::SingleUseTokens;
use complaints_app::staff::{MemoryAuditLog, StaffActions};
use complaints_app::testing::{ManualClock, MemoryCaseStore, RecordingMailer, intake_service};
use complaints_app::testing_read::MemoryLearningStore;
use complaints_app::testing_sessions::MemorySessionStore;
use complaints_app::users::UsersFile;
use complaints_core::roles::Role;
use complaints_workspace::auth::single_use::ALREADY_USED_TITLE;
use complaints_workspace::auth::{Cognito, CognitoConfig, PasswordSource, SignInMethod, StoreSessions};
use complaints_workspace::{WorkspaceState, router};
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

const PASSWORD: &str = "a long passphrase for ahmed";

fn start() -> DateTime<Utc> {
    "2026-12-01T09:00:00Z".parse().expect("instant")
}

fn passwords() -> SignInMethod {
    let dir = tempfile::tempdir().expect("dir");
    let mut users = UsersFile::load(dir.path()).expect("empty");
    users.add("ahmed", Some("Ahmed Fictional".into()), Role::Handler, None, start()).expect("add");
    users.set_password("ahmed", PASSWORD).expect("password");
    SignInMethod::Passwords(PasswordSource::Fixed(users))
}

fn app(store: Arc<dyn SessionStore>, method: SignInMethod) -> Router {
    let clock = Arc::new(ManualClock::new(start()));
    let cases = Arc::new(MemoryCaseStore::new());
    let intake = intake_service(cases.clone() as Arc<dyn CaseStore>, Arc::new(RecordingMailer::new()), start());
    let staff = StaffActions::from_intake(&intake, Arc::new(MemoryAuditLog::new()));
    let secure = matches!(method, SignInMethod::Cognito(_));
    let sessions =
        StoreSessions::new(store, clock as Arc<dyn Clock>, method, b"a test secret of enough length", secure);
    router(WorkspaceState {
        staff,
        indexes: cases.clone(),
        queries: cases,
        learning: Arc::new(MemoryLearningStore::new()),
        sessions: Arc::new(sessions),
        quality: Arc::new(complaints_app::testing_registers::MemoryQualityStore::default()),
        flags: Arc::new(complaints_app::testing_registers::MemoryFlagStore::default()),
        held_mail: Arc::new(complaints_app::held_mail::MemoryHeldMail::new()),
        staff_items: Arc::new(MemoryCaseStore::new()),
    })
}

async fn send(app: &Router, mut request: Request<Body>) -> (Response<Body>, String) {
    request.extensions_mut().insert(ConnectInfo("192.0.2.10:5000".parse::<SocketAddr>().expect("addr")));
    let response = app.clone().oneshot(request).await.expect("answered");
    let (parts, body) = response.into_parts();
    let text = String::from_utf8(body.collect().await.expect("body").to_bytes().to_vec()).expect("utf-8");
    (Response::from_parts(parts, Body::empty()), text)
}

/// `name=value` of the cookie `name` the response sets.
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

/// A fresh sign-in form from `path`: its token and its cookie.
async fn form(app: &Router, path: &str) -> (String, String) {
    let (page, html) = send(app, Request::get(path).body(Body::empty()).expect("request")).await;
    assert_eq!(page.status(), StatusCode::OK);
    (hidden(&html, "token"), cookie_pair(&page, "staff_signin").expect("the form's cookie"))
}

fn post((token, cookie): &(String, String), password: &str) -> Request<Body> {
    let body =
        serde_urlencoded::to_string([("username", "ahmed"), ("password", password), ("token", token)]).expect("form");
    Request::post("/staff/sign-in")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookie)
        .body(Body::from(body))
        .expect("request")
}

fn page(path: &str, cookie: &str) -> Request<Body> {
    Request::get(path).header(header::COOKIE, cookie).body(Body::empty()).expect("request")
}

fn location(response: &Response<Body>) -> String {
    response.headers().get(header::LOCATION).and_then(|l| l.to_str().ok()).unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_sign_in_form_posted_again_is_refused_as_already_used_and_a_fresh_form_still_works() {
    let store = Arc::new(MemorySessionStore::default());
    let app = app(store.clone(), passwords());
    let used = form(&app, "/staff/sign-in").await;
    let (first, _) = send(&app, post(&used, PASSWORD)).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    assert_eq!(store.session_count(), 1);

    // The same token and cookie again (a copy of the browser's request): no second session.
    let (again, html) = send(&app, post(&used, PASSWORD)).await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(html.contains(ALREADY_USED_TITLE), "{html}");
    // minijinja writes '/' as an HTML entity in attributes; browsers read it back as '/'.
    let links = html.replace("&#x2f;", "/");
    assert!(links.contains("href=\"/staff/sign-in\"") && html.contains("Start again"), "{html}");
    assert!(cookie_pair(&again, "staff_session").is_none());
    assert_eq!(cookie_pair(&again, "staff_signin").as_deref(), Some("staff_signin="), "its cookie is cleared");
    assert_eq!(store.session_count(), 1);

    // Starting again: the sign-in page's new form signs in.
    let (fresh, _) = send(&app, post(&form(&app, "/staff/sign-in").await, PASSWORD)).await;
    assert_eq!(fresh.status(), StatusCode::SEE_OTHER);
    assert_eq!(store.session_count(), 2);
}

#[tokio::test]
async fn a_form_that_failed_is_used_up_too_and_the_answer_carries_a_new_one() {
    let store = Arc::new(MemorySessionStore::default());
    let app = app(store.clone(), passwords());
    let first = form(&app, "/staff/sign-in").await;
    let (wrong, html) = send(&app, post(&first, "not the right password")).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    // The right password on the old form is refused; on the form the answer carried it works.
    let (replayed, replay_html) = send(&app, post(&first, PASSWORD)).await;
    assert_eq!(replayed.status(), StatusCode::BAD_REQUEST);
    assert!(replay_html.contains(ALREADY_USED_TITLE));
    let next = (hidden(&html, "token"), cookie_pair(&wrong, "staff_signin").expect("a new form cookie"));
    assert_ne!(next.0, first.0, "a new token");
    let (signed_in, _) = send(&app, post(&next, PASSWORD)).await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(store.session_count(), 1);
}

#[tokio::test]
async fn of_several_simultaneous_posts_of_one_form_one_signs_in() {
    let store = Arc::new(MemorySessionStore::default());
    let app = app(store.clone(), passwords());
    let used = form(&app, "/staff/sign-in").await;
    let posts: Vec<_> = (0..4)
        .map(|_| {
            let (app, request) = (app.clone(), post(&used, PASSWORD));
            tokio::spawn(async move { send(&app, request).await.0.status() })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in posts {
        statuses.push(task.await.expect("joined"));
    }
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::SEE_OTHER, StatusCode::BAD_REQUEST, StatusCode::BAD_REQUEST, StatusCode::BAD_REQUEST]
    );
    assert_eq!(store.session_count(), 1);
}

#[tokio::test]
async fn starting_again_after_a_replay_keeps_the_page_asked_for() {
    let app = app(Arc::new(MemorySessionStore::default()), passwords());
    let used = form(&app, "/staff/sign-in?next=/staff/flagged").await;
    let (first, html) = send(&app, post(&used, PASSWORD)).await;
    assert_eq!(location(&first), "/staff/flagged", "{html}");
    let (_, html) = send(&app, post(&used, PASSWORD)).await;
    assert!(html.replace("&#x2f;", "/").contains("href=\"/staff/sign-in?next=/staff/flagged\""), "{html}");
}

/// Sessions in memory, but the single-use marks cannot be written.
#[derive(Debug, Default)]
struct NoMarks(MemorySessionStore);

#[async_trait]
impl SingleUseTokens for NoMarks {
    async fn use_once(&self, _key: &str, _at: DateTime<Utc>, _keep: DateTime<Utc>) -> Result<bool, StoreError> {
        Err(StoreError::Unavailable(Box::new(std::io::Error::other("the store is down"))))
    }
}

#[async_trait]
impl SessionStore for NoMarks {
    async fn create_session(&self, session: &SessionRecord) -> Result<(), StoreError> {
        self.0.create_session(session).await
    }
    async fn session(&self, id_sha256: &str) -> Result<Option<SessionRecord>, StoreError> {
        self.0.session(id_sha256).await
    }
    async fn touch_session(&self, id_sha256: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.0.touch_session(id_sha256, at).await
    }
    async fn delete_session(&self, id_sha256: &str) -> Result<(), StoreError> {
        self.0.delete_session(id_sha256).await
    }
    async fn sessions_of_user(&self, user_id: &str) -> Result<Vec<SessionRecord>, StoreError> {
        self.0.sessions_of_user(user_id).await
    }
    async fn sign_in_failures(&self, account: &str) -> Result<Option<SignInFailures>, StoreError> {
        self.0.sign_in_failures(account).await
    }
    async fn record_sign_in_failure(
        &self,
        account: &str,
        at: DateTime<Utc>,
        policy: &LockoutPolicy,
    ) -> Result<SignInFailures, StoreError> {
        self.0.record_sign_in_failure(account, at, policy).await
    }
    async fn clear_sign_in_failures(&self, account: &str) -> Result<(), StoreError> {
        self.0.clear_sign_in_failures(account).await
    }
}

#[tokio::test]
async fn when_the_store_cannot_mark_the_form_used_nobody_is_signed_in() {
    let store = Arc::new(NoMarks::default());
    let app = app(store.clone(), passwords());
    let (refused, _) = send(&app, post(&form(&app, "/staff/sign-in").await, PASSWORD)).await;
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(cookie_pair(&refused, "staff_session").is_none());
    assert_eq!(store.0.session_count(), 0);
}

#[tokio::test]
async fn ended_sessions_send_the_next_request_to_the_sign_in_page() {
    let store = Arc::new(MemorySessionStore::default());
    let app = app(store.clone(), passwords());
    let mut sessions = Vec::new();
    for _ in 0..2 {
        let (signed_in, _) = send(&app, post(&form(&app, "/staff/sign-in").await, PASSWORD)).await;
        sessions.push(cookie_pair(&signed_in, "staff_session").expect("a session cookie"));
    }
    for session in &sessions {
        assert_eq!(send(&app, page("/staff/account", session)).await.0.status(), StatusCode::OK);
    }
    let audit = MemoryAuditLog::new();
    let request = EndSessions { user: "ahmed".into(), by: "fiona".into(), dry_run: false };
    let done = end_sessions(store.as_ref(), &audit, &request, start()).await.expect("ended");
    assert_eq!(done.ended, 2);
    for session in &sessions {
        let (response, _) = send(&app, page("/staff/cases", session)).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), "/staff/sign-in?next=/staff/cases");
    }
}

#[tokio::test]
async fn the_hosted_sign_ins_state_is_refused_the_second_time_before_cognito_is_asked() {
    // A pool that cannot be reached (the discard port): the first callback gets as far as the code
    // exchange and fails there; the second never gets that far.
    let config = CognitoConfig {
        domain: "http://127.0.0.1:9".into(),
        issuer: "http://127.0.0.1:9/pool".into(),
        client_id: "test-app-client".into(),
        redirect_uri: "https://staff.example.org/staff/auth/callback".into(),
    };
    let cognito = Arc::new(Cognito::new(config).expect("cognito"));
    let app = app(Arc::new(MemorySessionStore::default()), SignInMethod::Cognito(cognito));
    let (started, _) = send(&app, Request::get("/staff/sign-in").body(Body::empty()).expect("request")).await;
    assert_eq!(started.status(), StatusCode::SEE_OTHER);
    let authorize = location(&started);
    let query = authorize.split_once('?').map_or("", |(_, q)| q);
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).expect("query");
    let state = pairs.into_iter().find(|(k, _)| k == "state").map(|(_, v)| v).expect("state");
    let flow = cookie_pair(&started, "__Secure-staff_hosted_signin").expect("the flow cookie");
    let callback = format!(
        "/staff/auth/callback?{}",
        serde_urlencoded::to_string([("code", "a-code"), ("state", state.as_str())]).expect("query")
    );

    let (first, _) = send(&app, page(&callback, &flow)).await;
    assert_eq!(first.status(), StatusCode::SERVICE_UNAVAILABLE, "the pool was asked, and could not be reached");
    let (second, html) = send(&app, page(&callback, &flow)).await;
    assert_eq!(second.status(), StatusCode::BAD_REQUEST);
    assert!(html.contains(ALREADY_USED_TITLE), "{html}");
    assert!(second.headers().get(header::RETRY_AFTER).is_none(), "refused, not 'try again in a moment'");
}
