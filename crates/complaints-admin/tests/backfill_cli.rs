//! `complaints-admin backfill-escalations` run as a process against a moto server (`MOTO_URL`):
//! in a pipe it prints its summary alone (no progress), a second run carries on after the months
//! the first finished, and a malformed month is a usage error.

mod common;
use common::admin;

use aws_sdk_dynamodb::Client;

#[tokio::test]
async fn the_backfill_is_quiet_in_a_pipe_and_a_second_run_skips_the_months_done() {
    let Some(url) = complaints_testkit::moto_url() else { return };
    let client = Client::new(&complaints_testkit::sdk_config_at(&url));
    let table = format!("admin-{}", uuid::Uuid::new_v4().simple());
    complaints_store_dynamodb::create_table(&client, &table).await.expect("table");
    let args = ["backfill-escalations", "--table", &table, "--since", "2025-04", "--until", "2025-06"];

    let first = admin(&url, &args);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    assert!(first.stderr.is_empty(), "no progress in a pipe: {}", String::from_utf8_lossy(&first.stderr));
    let text = String::from_utf8(first.stdout).expect("utf-8");
    assert!(text.starts_with("months walked: 3, already done: 0, cases read: 0"), "{text}");

    let second = admin(&url, &args);
    assert!(second.status.success());
    let text = String::from_utf8(second.stdout).expect("utf-8");
    assert!(text.starts_with("months walked: 0, already done: 3,"), "{text}");

    let wrong = admin(&url, &["backfill-escalations", "--table", &table, "--since", "April"]);
    assert_eq!(wrong.status.code(), Some(2), "a usage error");
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("is not a month"));
}
