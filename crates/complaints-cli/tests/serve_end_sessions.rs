//! The two sign-in leftovers on the real `complaints serve`: a sign-in form (token and cookie)
//! posted a second time is refused with "already used", while a fresh form still signs in; and
//! `complaints end-sessions` counts one user's sessions on a dry run, then ends them, so the next
//! request of each of their browsers goes to the sign-in page while another user's stays.

mod support;

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use support::{BIN, Server, serde_urlencoded_body, token_in};

const PASSWORD: &str = "correct horse battery staple";

fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("written");
    child.wait_with_output().expect("finished")
}

fn add_user(data: &str, name: &str) {
    let added = run(
        &["users", "add", name, "--role", "handler", "--password-stdin", "--data-dir", data],
        &format!("{PASSWORD}\n"),
    );
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
}

/// `name=value` of the cookie `name` the response sets.
fn cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap_or_default().to_owned())
}

/// A fresh sign-in form: its cookie and its token.
async fn form(client: &reqwest::Client, url: &str) -> (String, String) {
    let page = client.get(format!("{url}/staff/sign-in")).send().await.expect("sign-in page");
    assert_eq!(page.status(), StatusCode::OK);
    let form_cookie = cookie(&page, "staff_signin").expect("the form's cookie");
    (form_cookie, token_in(&page.text().await.expect("html")))
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    (form_cookie, token): &(String, String),
    name: &str,
) -> reqwest::Response {
    client
        .post(format!("{url}/staff/sign-in"))
        .header(COOKIE, form_cookie)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(serde_urlencoded_body(&[("username", name), ("password", PASSWORD), ("token", token)]))
        .send()
        .await
        .expect("posted")
}

/// Signs `name` in with a fresh form and returns the session cookie.
async fn sign_in(client: &reqwest::Client, url: &str, name: &str) -> String {
    let signed_in = post(client, url, &form(client, url).await, name).await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    cookie(&signed_in, "staff_session").expect("a session cookie")
}

async fn account_status(client: &reqwest::Client, url: &str, session: &str) -> (StatusCode, String) {
    let page = client.get(format!("{url}/staff/account")).header(COOKIE, session).send().await.expect("page");
    let location = page.headers().get(LOCATION).and_then(|l| l.to_str().ok()).unwrap_or_default().to_owned();
    (page.status(), location)
}

#[tokio::test]
async fn a_sign_in_form_works_once_and_end_sessions_signs_one_user_out_everywhere() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let d = data.to_str().expect("utf-8");
    add_user(d, "ahmed");
    add_user(d, "mairi");
    let server = Server::start(&data);
    let url = server.url.clone();
    let client = complaints_https::client_builder()
        .expect("builder")
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");

    // The form once: signed in. The same token and cookie again: refused, no session.
    let first_form = form(&client, &url).await;
    let first = post(&client, &url, &first_form, "ahmed").await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let laptop = cookie(&first, "staff_session").expect("a session cookie");
    let replayed = post(&client, &url, &first_form, "ahmed").await;
    assert_eq!(replayed.status(), StatusCode::BAD_REQUEST);
    assert!(cookie(&replayed, "staff_session").is_none(), "a replay starts no session");
    let page = replayed.text().await.expect("html");
    assert!(page.contains("This sign-in form was already used"), "{page}");
    assert!(page.replace("&#x2f;", "/").contains("href=\"/staff/sign-in\""), "a way to start again: {page}");
    // Starting again: a fresh form signs in.
    let phone = sign_in(&client, &url, "ahmed").await;
    let colleague = sign_in(&client, &url, "mairi").await;

    let dry = run(&["end-sessions", "--user", "ahmed", "--dry-run", "--data-dir", d], "");
    assert!(dry.status.success(), "{}", String::from_utf8_lossy(&dry.stderr));
    assert_eq!(
        String::from_utf8_lossy(&dry.stdout).trim(),
        "ahmed: 2 sessions (0 past their end); none ended (dry run)"
    );
    assert_eq!(account_status(&client, &url, &laptop).await.0, StatusCode::OK, "a dry run ends nothing");

    let ended = run(&["end-sessions", "--user", "ahmed", "--by", "fiona", "--data-dir", d], "");
    assert!(ended.status.success(), "{}", String::from_utf8_lossy(&ended.stderr));
    let text = String::from_utf8_lossy(&ended.stdout).into_owned();
    assert!(text.starts_with("ahmed: ended 2 sessions"), "{text}");
    for session in [&laptop, &phone] {
        let (status, location) = account_status(&client, &url, session).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "the running server sees the session gone");
        assert!(location.starts_with("/staff/sign-in"), "{location}");
    }
    assert_eq!(account_status(&client, &url, &colleague).await.0, StatusCode::OK, "another user stays signed in");
    server.stop();

    let missing = run(
        &["end-sessions", "--user", "ahmed", "--data-dir", dir.path().join("nowhere").to_str().expect("utf-8")],
        "",
    );
    assert!(!missing.status.success(), "no data file: nothing to end, and none is created");
    assert!(!dir.path().join("nowhere").exists());
}
