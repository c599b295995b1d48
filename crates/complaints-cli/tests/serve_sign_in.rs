//! Signing in to the staff pages of the real `complaints serve`: a password set with
//! `complaints users add … --password-stdin` (never on the command line), the session cookie,
//! the account page, sign-out with the session's CSRF token, and the old cookie dead afterwards.

mod support;

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use complaints_app::testing_sessions::{cookie_pair, hidden_field};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use support::{BIN, Server, serde_urlencoded_body, token_in};

const PASSWORD: &str = "correct horse battery staple";

/// Runs `complaints ARGS` with `stdin` as its standard input.
fn run_with_stdin(args: &[&str], stdin: &str) -> Output {
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

/// `name=value` of the cookie `name` the response sets.
fn cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    cookie_pair(response.headers().get_all(SET_COOKIE).iter().filter_map(|v| v.to_str().ok()), name)
}

#[test]
fn passwords_come_only_from_standard_input_and_must_be_long_enough() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let d = data.to_str().expect("utf-8");
    let added =
        run_with_stdin(&["users", "add", "fiona", "--role", "admin", "--password-stdin", "--data-dir", d], "short\n");
    assert_eq!(added.status.code(), Some(2), "a short password is refused and nothing is added");
    assert!(String::from_utf8_lossy(&added.stderr).contains("at least 12 characters"));
    let added = run_with_stdin(
        &["users", "add", "fiona", "--role", "admin", "--password-stdin", "--data-dir", d],
        &format!("{PASSWORD}\n"),
    );
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let no_flag = run_with_stdin(&["users", "set-password", "fiona", "--data-dir", d], &format!("{PASSWORD}\n"));
    assert_eq!(no_flag.status.code(), Some(2), "set-password needs --password-stdin");
    let unknown = run_with_stdin(
        &["users", "set-password", "nobody", "--password-stdin", "--data-dir", d],
        &format!("{PASSWORD}\n"),
    );
    assert!(!unknown.status.success());
    let file = std::fs::read_to_string(data.join("users.json")).expect("users file");
    assert!(file.contains("$argon2id$") && !file.contains("horse"), "only the hash is kept");
    let listed = run_with_stdin(&["users", "list", "--json", "--data-dir", d], "");
    assert!(String::from_utf8_lossy(&listed.stdout).contains("\"has_password\":true"));
}

#[tokio::test]
async fn a_user_signs_in_to_the_real_server_and_signs_out_again() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let d = data.to_str().expect("utf-8");
    let added = run_with_stdin(
        &[
            "users",
            "add",
            "fiona",
            "--role",
            "admin",
            "--full-name",
            "Fiona Admin",
            "--password-stdin",
            "--data-dir",
            d,
        ],
        &format!("{PASSWORD}\n"),
    );
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let server = Server::start(&data);
    let client = complaints_https::client_builder()
        .expect("builder")
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");

    let page = client.get(format!("{}/staff/sign-in", server.url)).send().await.expect("sign-in page");
    assert_eq!(page.status(), StatusCode::OK);
    let form_cookie = cookie(&page, "staff_signin").expect("the sign-in form's cookie");
    let token = token_in(&page.text().await.expect("html"));
    let body = serde_urlencoded_body(&[("username", "fiona"), ("password", PASSWORD), ("token", &token)]);
    let signed_in = client
        .post(format!("{}/staff/sign-in", server.url))
        .header(COOKIE, &form_cookie)
        .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("signed in");
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(signed_in.headers().get(LOCATION).expect("location"), "/staff/");
    let session = cookie(&signed_in, "staff_session").expect("a session cookie (not Secure: loopback)");

    let account =
        client.get(format!("{}/staff/account", server.url)).header(COOKIE, &session).send().await.expect("page");
    assert_eq!(account.status(), StatusCode::OK);
    assert_eq!(account.headers().get(reqwest::header::CACHE_CONTROL).expect("no-store"), "no-store");
    let html = account.text().await.expect("html");
    assert!(html.contains("Fiona Admin") && html.contains("admin"));
    let csrf = hidden_field(&html, "csrf").expect("hidden field");

    let out = client
        .post(format!("{}/staff/sign-out", server.url))
        .header(COOKIE, &session)
        .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(serde_urlencoded_body(&[("csrf", &csrf)]))
        .send()
        .await
        .expect("signed out");
    assert_eq!(out.status(), StatusCode::OK);
    let replayed =
        client.get(format!("{}/staff/account", server.url)).header(COOKIE, &session).send().await.expect("page");
    assert_eq!(replayed.status(), StatusCode::SEE_OTHER, "the old cookie signs nobody in");
    server.stop();
}
