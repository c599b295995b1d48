//! The staff API's `Idempotency-Key`: a change sent again with the same key (a retry after a
//! timeout) is answered with the first outcome and `"repeated": true`, not done twice and not a
//! 409; without the key nothing changes from before. And the length limit on free text.

mod staff;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use complaints_core::roles::Role;
use serde_json::{Value, json};
use staff::{Api, Reply, memory_api};

async fn post_keyed(api: &Api, uri: &str, key: &str, body: &Value) -> Reply {
    let request = Request::post(uri)
        .header("authorization", format!("Bearer {}", api.token(Role::Handler)))
        .header("content-type", "application/json")
        .header("idempotency-key", key)
        .body(Body::from(body.to_string()))
        .expect("request");
    api.send(request).await
}

fn phoned() -> Value {
    json!({
        "channel": "phone",
        "name": "Alex Example",
        "email": "alex@example.org",
        "service_area": "Bins and recycling",
        "description": "The bin was not collected on Tuesday.",
        "note": "Called at 10:05.",
    })
}

#[tokio::test]
async fn logging_again_with_the_same_idempotency_key_returns_the_first_case() {
    let api = memory_api();
    let first = post_keyed(&api, "/api/cases", "retry-0001", &phoned()).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.json);
    assert_eq!(first.json.get("repeated"), None, "only a repeat says so");
    let again = post_keyed(&api, "/api/cases", "retry-0001", &phoned()).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.json);
    assert_eq!(again.json["reference"], first.json["reference"]);
    assert_eq!(again.json["repeated"], true);
    let other = post_keyed(&api, "/api/cases", "retry-0002", &phoned()).await;
    assert_eq!(other.status, StatusCode::CREATED);
    assert_ne!(other.json["reference"], first.json["reference"]);

    let bad = post_keyed(&api, "/api/cases", "has spaces", &phoned()).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.json);
    assert_eq!(bad.json["errors"][0]["field"], "Idempotency-Key");
}

#[tokio::test]
async fn an_action_sent_again_with_its_key_is_not_a_conflict_and_is_not_done_twice() {
    let api = memory_api();
    let reference = api.log_phone_complaint(Some("alex@example.org")).await;
    let uri = format!("/api/cases/{reference}/actions");
    let respond =
        json!({"action": "respond", "outcome": "resolved", "note": "We collected it.", "expected_version": 1});
    let first = post_keyed(&api, &uri, "respond-1", &respond).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.json);
    let version = first.json["version"].clone();
    let again = post_keyed(&api, &uri, "respond-1", &respond).await;
    assert_eq!(again.status, StatusCode::OK, "not 409: {}", again.json);
    assert_eq!(again.json["repeated"], true);
    assert_eq!(again.json["version"], version, "nothing done twice");
    assert_eq!(again.json["letters"].as_array().map(Vec::len), Some(1), "the letter sent the first time");
    assert_eq!(again.json["letters"][0]["message_id"], first.json["letters"][0]["message_id"], "the same letter");

    let without_key = api.act(Role::Handler, &reference, 1, respond.clone()).await;
    assert_eq!(without_key.status, StatusCode::CONFLICT, "without a key a repeat is a conflict, as before");
}

#[tokio::test]
async fn a_note_over_ten_thousand_characters_is_refused_naming_the_field() {
    let api = memory_api();
    let reference = api.log_phone_complaint(Some("alex@example.org")).await;
    let long = "x".repeat(10_001);
    let reply =
        api.act(Role::Handler, &reference, 1, json!({"action": "respond", "outcome": "resolved", "note": long})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.json);
    assert!(reply.json.to_string().contains("must be at most 10,000 characters"), "{}", reply.json);
    let case = api.get(Role::Handler, &format!("/api/cases/{reference}")).await;
    assert_eq!(case.json["version"], 1, "nothing saved");
}
