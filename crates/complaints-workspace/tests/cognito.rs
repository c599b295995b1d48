//! The hosted sign-in against a fake Cognito started on 127.0.0.1 by the test: a token endpoint
//! that checks the PKCE verifier and issues ID tokens signed with an RSA key made for the test,
//! and the pool's JWKS. The whole flow runs through the router, then every way the ID token can
//! be wrong: nonce, audience, expiry, an unknown key, a forged signature, two staff groups.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Form, State};
use axum::http::{Request, Response, StatusCode, header};
use axum::response::IntoResponse as _;
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use common::app_with_sessions;
use common::browser::{send, set_cookies, store_sessions};
use complaints_app::testing::ManualClock;
use complaints_app::testing_sessions::MemorySessionStore;
use complaints_workspace::auth::{Cognito, CognitoConfig, SignInMethod};
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const CLIENT_ID: &str = "test-app-client";
const CALLBACK: &str = "https://staff.example.org/staff/auth/callback";

/// An RSA key made for this test run by openssl (`genpkey -outform DER` writes the PKCS#1
/// RSAPrivateKey), loaded into ring.
fn rsa_key() -> RsaKeyPair {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("key.der");
    let status = std::process::Command::new("openssl")
        .args(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-outform", "DER", "-out"])
        .arg(&path)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(status.success(), "openssl made a key");
    RsaKeyPair::from_der(&std::fs::read(&path).expect("key file")).expect("a PKCS#1 RSA key")
}

/// How the fake pool misbehaves for one code.
#[derive(Debug, Clone, Default)]
struct Twist {
    nonce: Option<String>,
    aud: Option<String>,
    expired: bool,
    kid: Option<String>,
    other_key: bool,
    groups: Option<Vec<&'static str>>,
}

#[derive(Debug, Clone)]
struct Issued {
    nonce: String,
    challenge: String,
    twist: Twist,
}

struct Fake {
    key: RsaKeyPair,
    other: RsaKeyPair,
    issuer: Mutex<String>,
    codes: Mutex<HashMap<String, Issued>>,
    jwks_fetches: AtomicUsize,
    /// The hosted UI's own session on the pool's domain: set when the person signs in there,
    /// ended by `/logout`. While it lasts, `/oauth2/authorize` signs the browser in silently.
    hosted_session: Mutex<bool>,
}

/// The app client's registered sign-out URLs (`LogoutURLs`).
const LOGOUT_URLS: [&str; 1] = ["https://staff.example.org/staff/signed-out"];

/// Cognito's `/oauth2/authorize`: straight back with a code while the hosted session lasts, else
/// the password page.
async fn authorize(
    State(fake): State<Arc<Fake>>,
    axum::extract::Query(query): axum::extract::Query<HashMap<String, String>>,
) -> Response<Body> {
    if !*fake.hosted_session.lock().expect("session") {
        return (StatusCode::OK, "<form><input name=password type=password></form>").into_response();
    }
    let code = uuid_like();
    let issued = Issued {
        nonce: query.get("nonce").cloned().unwrap_or_default(),
        challenge: query.get("code_challenge").cloned().unwrap_or_default(),
        twist: Twist::default(),
    };
    fake.codes.lock().expect("codes").insert(code.clone(), issued);
    let back = format!("{}?code={code}", query.get("redirect_uri").cloned().unwrap_or_default());
    (StatusCode::FOUND, [(header::LOCATION, back)]).into_response()
}

/// Cognito's `/logout`: the client and a registered `logout_uri`, or an error page; ends the
/// hosted session and sends the browser to `logout_uri`.
async fn logout(
    State(fake): State<Arc<Fake>>,
    axum::extract::Query(query): axum::extract::Query<HashMap<String, String>>,
) -> Response<Body> {
    let uri = query.get("logout_uri").cloned().unwrap_or_default();
    if query.get("client_id").map(String::as_str) != Some(CLIENT_ID) || !LOGOUT_URLS.contains(&uri.as_str()) {
        return (StatusCode::BAD_REQUEST, "redirect_mismatch").into_response();
    }
    *fake.hosted_session.lock().expect("session") = false;
    (StatusCode::FOUND, [(header::LOCATION, uri)]).into_response()
}

fn jwt(key: &RsaKeyPair, kid: &str, claims: &Value) -> String {
    let header = json!({ "alg": "RS256", "kid": kid, "typ": "JWT" });
    let body = format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
    let mut signature = vec![0; key.public().modulus_len()];
    key.sign(&RSA_PKCS1_SHA256, &ring::rand::SystemRandom::new(), body.as_bytes(), &mut signature).expect("signed");
    format!("{body}.{}", URL_SAFE_NO_PAD.encode(signature))
}

async fn token_endpoint(State(fake): State<Arc<Fake>>, Form(form): Form<HashMap<String, String>>) -> Response<Body> {
    let refuse = |error: &str| (StatusCode::BAD_REQUEST, axum::Json(json!({ "error": error }))).into_response();
    let issued = fake.codes.lock().expect("codes").remove(form.get("code").map_or("", String::as_str));
    let Some(issued) = issued else { return refuse("invalid_grant") };
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != issued.challenge {
        return refuse("invalid_grant");
    }
    if form.get("client_id").map(String::as_str) != Some(CLIENT_ID)
        || form.get("redirect_uri").map(String::as_str) != Some(CALLBACK)
        || form.get("grant_type").map(String::as_str) != Some("authorization_code")
    {
        return refuse("invalid_request");
    }
    let twist = issued.twist;
    let now = Utc::now().timestamp();
    let claims = json!({
        "sub": "5f1e-staff-0001",
        "iss": fake.issuer.lock().expect("issuer").clone(),
        "aud": twist.aud.unwrap_or_else(|| CLIENT_ID.to_owned()),
        "token_use": "id",
        "iat": now - 5,
        "exp": if twist.expired { now - 3600 } else { now + 3600 },
        "nonce": twist.nonce.unwrap_or(issued.nonce),
        "cognito:groups": twist.groups.unwrap_or_else(|| vec!["handler"]),
        "name": "Ahmed Fictional",
        "email": "ahmed@council.example.org",
    });
    let key = if twist.other_key { &fake.other } else { &fake.key };
    let id_token = jwt(key, twist.kid.as_deref().unwrap_or("key-1"), &claims);
    axum::Json(json!({ "id_token": id_token, "access_token": "not used", "token_type": "Bearer", "expires_in": 3600 }))
        .into_response()
}

async fn jwks(State(fake): State<Arc<Fake>>) -> axum::Json<Value> {
    fake.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    let public: ring::signature::RsaPublicKeyComponents<Vec<u8>> = fake.key.public().into();
    axum::Json(json!({ "keys": [{
        "kid": "key-1", "kty": "RSA", "alg": "RS256", "use": "sig",
        "n": URL_SAFE_NO_PAD.encode(&public.n), "e": URL_SAFE_NO_PAD.encode(&public.e),
    }]}))
}

struct World {
    app: Router,
    fake: Arc<Fake>,
    sessions: Arc<MemorySessionStore>,
}

async fn world() -> World {
    let fake = Arc::new(Fake {
        key: rsa_key(),
        other: rsa_key(),
        issuer: Mutex::new(String::new()),
        codes: Mutex::new(HashMap::new()),
        jwks_fetches: AtomicUsize::new(0),
        hosted_session: Mutex::new(false),
    });
    let pool = Router::new()
        .route("/oauth2/token", post(token_endpoint))
        .route("/oauth2/authorize", get(authorize))
        .route("/logout", get(logout))
        .route("/pool/.well-known/jwks.json", get(jwks))
        .with_state(Arc::clone(&fake));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, pool).await });
    *fake.issuer.lock().expect("issuer") = format!("{base}/pool");

    let config = CognitoConfig {
        domain: base.clone(),
        issuer: format!("{base}/pool"),
        client_id: CLIENT_ID.to_owned(),
        redirect_uri: CALLBACK.to_owned(),
    };
    let cognito = Arc::new(Cognito::new(config).expect("cognito"));
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let store = Arc::new(MemorySessionStore::default());
    let sessions = store_sessions(store.clone(), clock, SignInMethod::Cognito(cognito), true);
    World { app: app_with_sessions(Utc::now(), Arc::new(sessions)), fake, sessions: store }
}

fn query_param(url: &str, name: &str) -> String {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).expect("query");
    pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v).unwrap_or_default()
}

/// What the browser holds after `GET /staff/sign-in`: the flow cookie and the authorize URL.
struct Started {
    cookie: String,
    authorize: String,
}

async fn start(world: &World) -> Started {
    let (response, _) = send(&world.app, Request::get("/staff/sign-in").body(Body::empty()).expect("request")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let authorize = response.headers().get(header::LOCATION).expect("location").to_str().expect("ascii").to_owned();
    let set = set_cookies(&response);
    let flow = set.iter().find(|c| c.starts_with("__Secure-staff_hosted_signin=")).expect("flow cookie");
    for attribute in ["SameSite=Lax", "HttpOnly", "Secure", "Path=/staff/auth", "Max-Age=600"] {
        assert!(flow.contains(attribute), "{attribute} in {flow}");
    }
    Started { cookie: flow.split(';').next().expect("pair").to_owned(), authorize }
}

/// The person signs in at the hosted page: the pool issues a code for this flow.
fn sign_in_at_pool(world: &World, started: &Started, twist: Twist) -> String {
    *world.fake.hosted_session.lock().expect("session") = true;
    let code = uuid_like();
    world.fake.codes.lock().expect("codes").insert(
        code.clone(),
        Issued {
            nonce: query_param(&started.authorize, "nonce"),
            challenge: query_param(&started.authorize, "code_challenge"),
            twist,
        },
    );
    code
}

fn uuid_like() -> String {
    use std::sync::atomic::AtomicU64;
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("code-{}", NEXT.fetch_add(1, Ordering::SeqCst))
}

async fn callback(world: &World, started: &Started, code: &str, state: &str) -> (Response<Body>, String) {
    let path = format!(
        "/staff/auth/callback?{}",
        serde_urlencoded::to_string([("code", code), ("state", state)]).expect("query")
    );
    let request = Request::get(path).header(header::COOKIE, &started.cookie).body(Body::empty()).expect("request");
    send(&world.app, request).await
}

async fn flow_with(world: &World, twist: Twist) -> (Response<Body>, String) {
    let started = start(world).await;
    let code = sign_in_at_pool(world, &started, twist);
    let state = query_param(&started.authorize, "state");
    callback(world, &started, &code, &state).await
}

fn session_cookie(response: &Response<Body>) -> Option<String> {
    set_cookies(response)
        .into_iter()
        .find(|c| c.starts_with("__Secure-staff_session="))
        .map(|c| c.split(';').next().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn the_hosted_sign_in_ends_in_the_same_session_with_the_role_of_the_cognito_group() {
    let world = world().await;
    let started = start(&world).await;
    let url = &started.authorize;
    assert!(url.contains("/oauth2/authorize?"), "{url}");
    assert_eq!(query_param(url, "response_type"), "code");
    assert_eq!(query_param(url, "client_id"), CLIENT_ID);
    assert_eq!(query_param(url, "redirect_uri"), CALLBACK);
    assert_eq!(query_param(url, "scope"), "openid");
    assert_eq!(query_param(url, "code_challenge_method"), "S256");
    assert_eq!(query_param(url, "code_challenge").len(), 43, "base64url of a SHA-256");
    assert!(query_param(url, "state").len() >= 32 && query_param(url, "nonce").len() >= 32);

    let code =
        sign_in_at_pool(&world, &started, Twist { groups: Some(vec!["everyone", "manager"]), ..Twist::default() });
    let (response, html) = callback(&world, &started, &code, &query_param(url, "state")).await;
    assert_eq!(response.status(), StatusCode::OK, "{html}");
    // minijinja writes '/' as an HTML entity in attributes; browsers read it back as '/'.
    let page = html.replace("&#x2f;", "/");
    assert!(
        page.contains("http-equiv=\"refresh\"") && page.contains("url=/staff/") && page.contains("href=\"/staff/\""),
        "{page}"
    );
    assert!(!html.contains("<script"), "no script: the CSP forbids it");
    let set = set_cookies(&response);
    let session = set.iter().find(|c| c.starts_with("__Secure-staff_session=")).expect("session cookie");
    assert!(session.contains("SameSite=Strict") && session.contains("HttpOnly") && session.contains("Secure"));
    assert!(set.iter().any(|c| c.starts_with("__Secure-staff_hosted_signin=;")), "the flow cookie is cleared");

    let cookie = session_cookie(&response).expect("cookie");
    let request = Request::get("/staff/account").header(header::COOKIE, &cookie).body(Body::empty()).expect("request");
    let (page, account) = send(&world.app, request).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(account.contains("Ahmed Fictional") && account.contains("manager"), "{account}");
    assert_eq!(world.fake.jwks_fetches.load(Ordering::SeqCst), 1);

    // The code is used up: replaying the callback signs nobody in.
    let (replayed, _) = callback(&world, &started, &code, &query_param(url, "state")).await;
    assert_eq!(replayed.status(), StatusCode::BAD_REQUEST);
    assert!(session_cookie(&replayed).is_none());
    assert_eq!(world.sessions.session_count(), 1);
}

#[tokio::test]
async fn an_id_token_that_is_wrong_in_any_way_starts_no_session() {
    let world = world().await;
    let cases = [
        (
            "wrong nonce",
            Twist { nonce: Some("someone-elses-nonce".into()), ..Twist::default() },
            StatusCode::BAD_REQUEST,
        ),
        (
            "wrong audience",
            Twist { aud: Some("another-app-client".into()), ..Twist::default() },
            StatusCode::BAD_REQUEST,
        ),
        ("expired", Twist { expired: true, ..Twist::default() }, StatusCode::BAD_REQUEST),
        ("unknown kid", Twist { kid: Some("key-2".into()), ..Twist::default() }, StatusCode::BAD_REQUEST),
        ("signed by another key", Twist { other_key: true, ..Twist::default() }, StatusCode::BAD_REQUEST),
        (
            "two staff groups",
            Twist { groups: Some(vec!["handler", "admin"]), ..Twist::default() },
            StatusCode::FORBIDDEN,
        ),
        ("no staff group", Twist { groups: Some(vec!["everyone"]), ..Twist::default() }, StatusCode::FORBIDDEN),
    ];
    for (what, twist, status) in cases {
        let (response, html) = flow_with(&world, twist).await;
        assert_eq!(response.status(), status, "{what}: {html}");
        assert!(session_cookie(&response).is_none(), "{what}");
        assert!(html.contains("could not be signed in"), "{what}");
    }
    assert_eq!(world.sessions.session_count(), 0);
    assert!(
        world.fake.jwks_fetches.load(Ordering::SeqCst) <= 2,
        "an unknown kid fetches the keys again, but not on every forged token"
    );
    let (ok, _) = flow_with(&world, Twist::default()).await;
    assert_eq!(ok.status(), StatusCode::OK, "the pool's real tokens still work");
}

#[tokio::test]
async fn a_callback_without_its_flow_cookie_or_with_another_state_is_refused() {
    let world = world().await;
    let started = start(&world).await;
    let code = sign_in_at_pool(&world, &started, Twist::default());
    let (wrong_state, _) = callback(&world, &started, &code, "an-attackers-state").await;
    assert_eq!(wrong_state.status(), StatusCode::BAD_REQUEST);
    let path = format!("/staff/auth/callback?code={code}&state={}", query_param(&started.authorize, "state"));
    let (no_cookie, _) = send(&world.app, Request::get(path).body(Body::empty()).expect("request")).await;
    assert_eq!(no_cookie.status(), StatusCode::BAD_REQUEST, "another browser's callback (login CSRF)");
    let (error, _) = send(
        &world.app,
        Request::get("/staff/auth/callback?error=access_denied").body(Body::empty()).expect("request"),
    )
    .await;
    assert_eq!(error.status(), StatusCode::BAD_REQUEST);
    assert_eq!(world.sessions.session_count(), 0);
    let (page, _) = send(&world.app, Request::post("/staff/sign-in").body(Body::empty()).expect("request")).await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND, "no password form on AWS");
}

#[tokio::test]
async fn the_hosted_sign_in_returns_to_the_page_asked_for_and_never_off_the_workspace() {
    let world = world().await;
    for (asked, back) in
        [("/staff/cases/CMP-2026-00001", "/staff/cases/CMP-2026-00001"), ("//evil.example/", "/staff/")]
    {
        let query = serde_urlencoded::to_string([("next", asked)]).expect("query");
        let request = Request::get(format!("/staff/sign-in?{query}")).body(Body::empty()).expect("request");
        let (response, _) = send(&world.app, request).await;
        let authorize = response.headers().get(header::LOCATION).expect("location").to_str().expect("ascii").to_owned();
        let flow = set_cookies(&response)
            .into_iter()
            .find(|c| c.starts_with("__Secure-staff_hosted_signin="))
            .expect("flow cookie");
        let started = Started { cookie: flow.split(';').next().expect("pair").to_owned(), authorize };
        let code = sign_in_at_pool(&world, &started, Twist::default());
        let (signed_in, html) = callback(&world, &started, &code, &query_param(&started.authorize, "state")).await;
        assert_eq!(signed_in.status(), StatusCode::OK, "{html}");
        let page = html.replace("&#x2f;", "/");
        assert!(page.contains(&format!("href=\"{back}\"")), "{asked}: {page}");
    }
}

/// A GET to the fake pool as a browser would send it: the status, the `Location` and the body.
async fn browser_get(url: &str) -> (u16, String, String) {
    let rest = url.strip_prefix("http://").expect("the fake is plain http on loopback");
    let (host, path) = rest.split_once('/').map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let (host, request) =
        (host.to_owned(), format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"));
    let answer = tokio::task::spawn_blocking(move || {
        use std::io::{Read as _, Write as _};
        let mut stream = std::net::TcpStream::connect(host).expect("connect");
        stream.write_all(request.as_bytes()).expect("send");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read");
        answer
    })
    .await
    .expect("the request ran");
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
    let location = head
        .lines()
        .find_map(|line| line.to_ascii_lowercase().starts_with("location:").then(|| line[9..].trim().to_owned()))
        .unwrap_or_default();
    (status, location, body.to_owned())
}

#[tokio::test]
async fn signing_out_also_ends_the_hosted_sign_in_so_the_next_sign_in_asks_for_the_password() {
    let world = world().await;
    let (response, _) = flow_with(&world, Twist::default()).await;
    let cookie = session_cookie(&response).expect("signed in");
    let request = Request::get("/staff/account").header(header::COOKIE, &cookie).body(Body::empty()).expect("request");
    let (_, account) = send(&world.app, request).await;
    let csrf = account
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the sign-out form's token")
        .to_owned();

    // While the hosted session lasts, Cognito would sign the browser straight back in.
    let again = start(&world).await;
    let (status, location, _) = browser_get(&again.authorize).await;
    assert_eq!((status, location.starts_with(CALLBACK)), (302, true), "silently signed in: {location}");

    let form = serde_urlencoded::to_string([("csrf", csrf.as_str())]).expect("form");
    let request = Request::post("/staff/sign-out")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .expect("request");
    let (response, page) = send(&world.app, request).await;
    assert_eq!(response.status(), StatusCode::OK, "{page}");
    assert!(set_cookies(&response).iter().any(|c| c.starts_with("__Secure-staff_session=;")), "the cookie is cleared");
    assert_eq!(world.sessions.session_count(), 0, "the session is deleted");
    // The page moves on by itself (and by its link) to the pool's sign-out.
    let page = page.replace("&#x2f;", "/").replace("&amp;", "&");
    let logout = page
        .split("href=\"")
        .map(|rest| rest.split('"').next().unwrap_or_default())
        .find(|href| href.contains("/logout?"))
        .expect("a link to the pool's sign-out")
        .to_owned();
    assert!(page.contains(&format!("url={logout}")), "and a refresh to it: {page}");
    assert_eq!(query_param(&logout, "client_id"), CLIENT_ID);
    assert_eq!(query_param(&logout, "logout_uri"), LOGOUT_URLS[0]);

    let (status, location, _) = browser_get(&logout).await;
    assert_eq!((status, location.as_str()), (302, LOGOUT_URLS[0]), "the pool accepts it and comes back");
    let back = Request::get("/staff/signed-out").body(Body::empty()).expect("request");
    let (response, page) = send(&world.app, back).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(page.contains("You have signed out"));

    // The hosted session is over: the next sign-in is the password page, not a silent one.
    let next = start(&world).await;
    let (status, location, body) = browser_get(&next.authorize).await;
    assert_eq!((status, location.as_str()), (200, ""));
    assert!(body.contains("type=password"), "{body}");
}
