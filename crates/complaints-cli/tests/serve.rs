//! `complaints serve` and `complaints case show` through the real binary: start the server on a
//! free port in a temporary data directory, send a complaint over HTTP, then read the case back.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_complaints");

/// A running `complaints serve`, killed if the test fails before stopping it.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(data_dir: &Path) -> Self {
        let mut child = Command::new(BIN)
            .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the binary starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let first = rx.recv_timeout(Duration::from_secs(60)).expect("the server prints its address");
        let start = first.find("http://").expect("a URL on the first line");
        let url = first[start..].split_whitespace().next().expect("url").trim_end_matches('/').to_owned();
        std::thread::spawn(move || while rx.recv().is_ok() {});
        Self { child, url }
    }

    /// Asks the server to stop as Ctrl-C or a service manager would, and waits for it.
    fn stop(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
        assert!(sent.success());
        let status = self.child.wait().expect("the server exits");
        std::mem::forget(self);
        status
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn token_in(html: &str) -> String {
    let marker = "name=\"token\" value=\"";
    let start = html.find(marker).expect("token field") + marker.len();
    html[start..].split('"').next().expect("token").to_owned()
}

fn case_show(data_dir: &Path, reference: &str, json: bool) -> (bool, String) {
    let mut command = Command::new(BIN);
    command.args(["case", "show", reference, "--data-dir"]).arg(data_dir);
    if json {
        command.arg("--json");
    }
    let output = command.output().expect("case show runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_complaint_sent_to_serve_is_stored_acknowledged_and_shown_by_case_show() {
    let data = tempfile::tempdir().expect("temp dir");
    let server = Server::start(data.path());
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");

    let form = client.get(format!("{}/", server.url)).send().await.expect("GET /");
    assert_eq!(form.status(), 200);
    let token = token_in(&form.text().await.expect("body"));
    let body = serde_urlencoded_body(&[
        ("token", token.as_str()),
        ("name", "Jo Bloggs"),
        ("email", "jo@example.org"),
        ("service_area", "Roads, parking and transport"),
        ("description", "The pothole outside number 12 has been there since June."),
        ("on_behalf", "no"),
    ]);
    let posted = client
        .post(format!("{}/", server.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("POST /");
    assert_eq!(posted.status(), 303);
    let location = posted.headers()["location"].to_str().expect("ascii").to_owned();
    let confirmation = client.get(format!("{}{location}", server.url)).send().await.expect("confirmation");
    assert_eq!(confirmation.status(), 200);
    let page = confirmation.text().await.expect("body");
    let reference = page
        .split("id=\"reference\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the page shows the reference")
        .to_owned();
    assert!(reference.starts_with("CMP-"), "{reference}");

    // The acknowledgement is in the outbox and on the /outbox page.
    let outbox = client.get(format!("{}/outbox", server.url)).send().await.expect("outbox").text().await.expect("body");
    assert!(outbox.contains(&reference), "the outbox lists the acknowledgement");
    let eml: Vec<_> = std::fs::read_dir(data.path().join("outbox"))
        .expect("outbox dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".eml"))
        .collect();
    assert_eq!(eml.len(), 1);
    let file = eml[0].file_name().to_string_lossy().into_owned();
    let message = client.get(format!("{}/outbox/{file}", server.url)).send().await.expect("message");
    assert_eq!(message.status(), 200);
    let message = message.text().await.expect("body");
    assert!(message.contains("jo@example.org"));
    assert!(
        message.contains(&format!("<h1 class=\"heading-l\">Your complaint {reference}")),
        "the subject heads the page"
    );
    let escape = client.get(format!("{}/outbox/..%2Fcontact-key.secret", server.url)).send().await.expect("request");
    assert_eq!(escape.status(), 404, "the outbox page cannot read other files");

    // case show, text and JSON, while the server is running.
    let (ok, text) = case_show(data.path(), &reference, false);
    assert!(ok, "{text}");
    for expected in [
        format!("Reference:    {reference}"),
        "web-form".to_owned(),
        "Handler:".to_owned(),
        // What arrived, for the officer who will reply.
        "Jo Bloggs".to_owned(),
        "jo@example.org".to_owned(),
        "What happened:\n  The pothole outside number 12 has been there since June.".to_owned(),
        "Timeline:".to_owned(),
        "received".to_owned(),
    ] {
        assert!(text.contains(&expected), "{expected:?} missing from:\n{text}");
    }
    let (ok, json) = case_show(data.path(), &reference, true);
    assert!(ok, "{json}");
    let value: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(value["case"]["reference"], reference.as_str());
    assert!(value["timeline"].as_array().is_some_and(|t| !t.is_empty()));

    let (ok, missing) = case_show(data.path(), "CMP-2020-99999", false);
    assert!(!ok && missing.contains("no case"), "{missing}");

    // The secret is private and survives a restart.
    let secret_path = data.path().join("contact-key.secret");
    let secret = std::fs::read_to_string(&secret_path).expect("secret written");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secret_path).expect("metadata").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    assert!(server.stop().success(), "a graceful stop exits 0");
    let again = Server::start(data.path());
    assert_eq!(std::fs::read_to_string(&secret_path).expect("secret"), secret);
    let (ok, text) = case_show(data.path(), &reference, false);
    assert!(ok && text.contains(&reference), "the case survived the restart");
    assert!(again.stop().success());
}

#[test]
fn case_show_refuses_a_reference_that_is_not_one() {
    let data = tempfile::tempdir().expect("temp dir");
    let output =
        Command::new(BIN).args(["case", "show", "not-a-ref", "--data-dir"]).arg(data.path()).output().expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not a case reference"));
}

fn serde_urlencoded_body(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}={}",
                v.bytes()
                    .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
                    .collect::<String>()
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}
