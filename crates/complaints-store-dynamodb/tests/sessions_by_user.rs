//! One member of staff's sessions on DynamoDB (moto, `MOTO_URL`): the keyed index items written
//! with each session, found by a Query, gone with the session, and tidied when left behind.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{Duration, Timelike as _, Utc};
use complaints_app::sessions::{SessionRecord, SessionStore, session_id_hash};
use complaints_app::staff::StaffUser;
use complaints_core::roles::Role;
use complaints_store_dynamodb::{DynamoDbCaseStore, create_table};

fn session(id: &str, user: &str) -> SessionRecord {
    // Whole seconds: the store keeps times to the microsecond.
    let now = Utc::now().with_nanosecond(0).expect("a valid time");
    SessionRecord {
        id_sha256: session_id_hash(id),
        user: StaffUser { id: user.into(), name: "Ahmed Fictional".into(), role: Role::Handler, email: None },
        csrf: "csrf".into(),
        created_at: now,
        last_seen_at: now,
        expires_at: now + Duration::hours(10),
    }
}

/// Every item of the test table whose partition key starts with `prefix`.
async fn items(client: &Client, table: &str, prefix: &str) -> Vec<std::collections::HashMap<String, AttributeValue>> {
    let out = client.scan().table_name(table).send().await.expect("scan the test table");
    out.items()
        .iter()
        .filter(|item| item.get("pk").and_then(|pk| pk.as_s().ok()).is_some_and(|pk| pk.starts_with(prefix)))
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_session_has_an_index_item_without_the_staff_id_that_goes_with_it() {
    let Some(config) = complaints_testkit::moto_sdk_config() else { return };
    let client = Client::new(&config);
    let table = format!("sessions-by-user-{}", uuid::Uuid::new_v4().simple());
    create_table(&client, &table).await.expect("create the table");
    let store = DynamoDbCaseStore::new(client.clone(), table.clone());
    let (one, two) = (session("one", "ahmed.fictional"), session("two", "ahmed.fictional"));
    store.create_session(&one).await.expect("created");
    store.create_session(&two).await.expect("created");

    let index = items(&client, &table, "STAFFSESSION#").await;
    assert_eq!(index.len(), 2, "one index item per session");
    for item in &index {
        let pk = item.get("pk").and_then(|v| v.as_s().ok()).expect("pk");
        assert!(!pk.contains("ahmed"), "the key holds a hash of the staff id, not the id: {pk}");
        let expires = item.get("expires_at").and_then(|v| v.as_n().ok()).expect("the TTL attribute");
        assert_eq!(expires.parse::<i64>().expect("a number"), one.expires_at.timestamp());
    }

    store.delete_session(&one.id_sha256).await.expect("signed out");
    assert_eq!(items(&client, &table, "STAFFSESSION#").await.len(), 1, "signing out deletes the index item too");
    let left = store.sessions_of_user("ahmed.fictional").await.expect("listed");
    assert_eq!(left.iter().map(|s| s.id_sha256.as_str()).collect::<Vec<_>>(), vec![two.id_sha256.as_str()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_index_item_left_without_its_session_is_not_listed_and_is_tidied() {
    let Some(config) = complaints_testkit::moto_sdk_config() else { return };
    let client = Client::new(&config);
    let table = format!("sessions-by-user-{}", uuid::Uuid::new_v4().simple());
    create_table(&client, &table).await.expect("create the table");
    let store = DynamoDbCaseStore::new(client.clone(), table.clone());
    let kept = session("kept", "mairi");
    store.create_session(&kept).await.expect("created");
    // A delete that stopped between its two writes: the session item is gone, its index item not.
    let lost = session("lost", "mairi");
    store.create_session(&lost).await.expect("created");
    client
        .delete_item()
        .table_name(&table)
        .key("pk", AttributeValue::S(format!("SESSION#{}", lost.id_sha256)))
        .key("sk", AttributeValue::S("SESSION".into()))
        .send()
        .await
        .expect("deleted the session item alone");
    assert_eq!(items(&client, &table, "STAFFSESSION#").await.len(), 2);

    let listed = store.sessions_of_user("mairi").await.expect("listed");
    assert_eq!(listed, vec![kept]);
    assert_eq!(items(&client, &table, "STAFFSESSION#").await.len(), 1, "the stray index item is deleted");
}
