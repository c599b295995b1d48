//! Shared helpers for the tests that run the real `complaints` binary: start `serve` on a free
//! port, post the web form, run `case show`.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_complaints");

/// A running `complaints serve`, killed if the test fails before stopping it.
pub struct Server {
    pub child: Child,
    pub url: String,
}

impl Server {
    pub fn start(data_dir: &Path) -> Self {
        Self::start_with(data_dir, &[])
    }

    /// Starts `serve` with extra arguments (e.g. `--config FILE`).
    pub fn start_with(data_dir: &Path, args: &[&std::ffi::OsStr]) -> Self {
        let mut child = Command::new(BIN)
            .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .args(args)
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
    pub fn stop(mut self) -> std::process::ExitStatus {
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

pub fn token_in(html: &str) -> String {
    let marker = "name=\"token\" value=\"";
    let start = html.find(marker).expect("token field") + marker.len();
    html[start..].split('"').next().expect("token").to_owned()
}

pub fn case_show(data_dir: &Path, reference: &str, json: bool) -> (bool, String) {
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

pub fn serde_urlencoded_body(pairs: &[(&str, &str)]) -> String {
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

/// Posts the web form with a fresh token from `GET /` and returns the reference on the
/// confirmation page.
pub async fn submit_form(client: &reqwest::Client, url: &str, name: &str, email: &str) -> String {
    let form = client.get(format!("{url}/")).send().await.expect("GET /").text().await.expect("body");
    let token = token_in(&form);
    let body = serde_urlencoded_body(&[
        ("token", token.as_str()),
        ("name", name),
        ("email", email),
        ("service_area", "Roads, parking and transport"),
        ("description", "The pothole outside number 12 has been there since June."),
        ("on_behalf", "no"),
    ]);
    post_form(client, url, body).await
}

/// Posts a form body and follows the 303 to the confirmation page; returns the reference.
pub async fn post_form(client: &reqwest::Client, url: &str, body: String) -> String {
    let posted = client
        .post(format!("{url}/"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("POST /");
    assert_eq!(posted.status(), 303, "the form is accepted");
    let location = posted.headers()["location"].to_str().expect("ascii").to_owned();
    let page = client.get(format!("{url}{location}")).send().await.expect("confirmation").text().await.expect("body");
    page.split("id=\"reference\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the page shows the reference")
        .to_owned()
}

/// The `.eml` files in a data directory's mail folder.
pub fn mail_files(data_dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = match std::fs::read_dir(data_dir.join("mail")) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".eml") && !name.starts_with('.'))
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}
