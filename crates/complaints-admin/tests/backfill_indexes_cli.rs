//! `complaints-admin backfill-indexes` run as a process against a moto server (`MOTO_URL`): the
//! contact key comes on standard input (never on the command line), a short key is refused, and
//! a second run carries on after the months the first finished.

mod common;
use common::admin_command;

use std::io::Write;
use std::process::{Output, Stdio};

use aws_sdk_dynamodb::Client;

/// As `common::admin`, with `stdin` written to the command's standard input.
fn admin(url: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = admin_command(url, args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command starts");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write the key");
    child.wait_with_output().expect("the command runs")
}

#[tokio::test]
async fn the_index_backfill_takes_the_key_on_standard_input_and_a_second_run_skips_the_months_done() {
    let Some(url) = complaints_testkit::moto_url() else { return };
    let client = Client::new(&complaints_testkit::sdk_config_at(&url));
    let table = format!("admin-ix-{}", uuid::Uuid::new_v4().simple());
    complaints_store_dynamodb::create_table(&client, &table).await.expect("table");
    let args =
        ["backfill-indexes", "--table", &table, "--since", "2025-04", "--until", "2025-06", "--contact-key-stdin"];
    let key = "a-contact-key-of-at-least-32-bytes-long\n";

    let first = admin(&url, &args, key);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let text = String::from_utf8(first.stdout).expect("utf-8");
    assert!(text.starts_with("months walked: 3, already done: 0, cases read: 0"), "{text}");

    let second = admin(&url, &args, key);
    assert!(second.status.success());
    assert!(String::from_utf8_lossy(&second.stdout).starts_with("months walked: 0, already done: 3,"));

    let short = admin(&url, &args, "short\n");
    assert!(!short.status.success(), "a short key is refused");
    assert!(String::from_utf8_lossy(&short.stderr).contains("shorter than 32 bytes"));
}
