//! `complaints-admin end-sessions` run as a process against a moto server (`MOTO_URL`): a dry run
//! counts one member of staff's sessions and ends none; the real run ends all of theirs (and no
//! one else's) and records who did it in the audit log; a second run finds nothing left.

use std::process::Output;

mod common;
use common::admin;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{Duration, Utc};
use complaints_app::sessions::{SessionRecord, SessionStore, session_id_hash};
use complaints_app::staff::StaffUser;
use complaints_core::roles::Role;
use complaints_store_dynamodb::DynamoDbCaseStore;

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).expect("utf-8")
}

fn session(id: &str, user: &str) -> SessionRecord {
    let now = Utc::now();
    SessionRecord {
        id_sha256: session_id_hash(id),
        user: StaffUser { id: user.into(), name: "Staff Fictional".into(), role: Role::Handler, email: None },
        csrf: "csrf".into(),
        created_at: now,
        last_seen_at: now,
        expires_at: now + Duration::hours(10),
    }
}

/// The actions of the audit entries that name no case, as `actor action`.
async fn caseless_audit(client: &Client, table: &str) -> Vec<String> {
    let out = client
        .query()
        .table_name(table)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", AttributeValue::S("AUDIT#-".into()))
        .send()
        .await
        .expect("query the audit partition");
    let text = |item: &std::collections::HashMap<String, AttributeValue>, name: &str| {
        item.get(name).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default()
    };
    out.items().iter().map(|item| format!("{} {}", text(item, "actor"), text(item, "action"))).collect()
}

#[tokio::test]
async fn end_sessions_counts_on_a_dry_run_then_ends_only_that_users_sessions_with_an_audit_entry() {
    let Some(url) = complaints_testkit::moto_url() else { return };
    let client = Client::new(&complaints_testkit::sdk_config_at(&url));
    let table = format!("admin-end-{}", uuid::Uuid::new_v4().simple());
    complaints_store_dynamodb::create_table(&client, &table).await.expect("table");
    let store = DynamoDbCaseStore::new(client.clone(), table.clone());
    let sub = "0f1e2d3c-aaaa-bbbb-cccc-000000000001";
    let other = "0f1e2d3c-aaaa-bbbb-cccc-000000000002";
    for (id, user) in [("laptop", sub), ("phone", sub), ("colleague", other)] {
        store.create_session(&session(id, user)).await.expect("created");
    }

    let dry = stdout(&admin(&url, &["end-sessions", "--table", &table, "--user", sub, "--dry-run"]));
    assert_eq!(dry.trim(), format!("{sub}: 2 sessions (0 past their end); none ended (dry run)"));
    assert_eq!(store.sessions_of_user(sub).await.expect("listed").len(), 2, "a dry run ends nothing");
    assert!(caseless_audit(&client, &table).await.is_empty(), "and records nothing");

    let run = stdout(&admin(&url, &["end-sessions", "--table", &table, "--user", sub, "--by", "fiona.admin"]));
    assert!(run.starts_with(&format!("{sub}: ended 2 sessions")), "{run}");
    assert!(store.sessions_of_user(sub).await.expect("listed").is_empty());
    assert!(store.session(&session_id_hash("laptop")).await.expect("read").is_none(), "the cookie is worthless");
    assert_eq!(store.sessions_of_user(other).await.expect("listed").len(), 1, "someone else's session stays");
    assert_eq!(caseless_audit(&client, &table).await, vec![format!("fiona.admin end-sessions:{sub}")]);

    let again = stdout(&admin(&url, &["end-sessions", "--table", &table, "--user", sub]));
    assert!(again.starts_with(&format!("{sub}: ended 0 sessions")), "{again}");
}
