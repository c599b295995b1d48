//! Handler tests on recorded API Gateway HTTP API (v2) events from the shared corpus: each event
//! becomes an `http::Request` (as lambda_http would make it) and goes through the same router.

mod support;

use std::path::PathBuf;

use axum::http::StatusCode;
use base64::Engine;
use complaints_web::apigw::{EventError, request_from_v2_event};
use support::{Harness, form_body};

fn corpus_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/events/apigw-v2-http"))
}

fn fixture(name: &str) -> serde_json::Value {
    let path = corpus_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("fixture is JSON")
}

/// Points a recorded event at the form (`/`) with the given content type and body.
fn aimed_at_form(mut event: serde_json::Value, content_type: &str, body: &str, base64: bool) -> serde_json::Value {
    event["rawPath"] = "/".into();
    event["rawQueryString"] = "".into();
    event["requestContext"]["http"]["method"] = "POST".into();
    event["requestContext"]["http"]["path"] = "/".into();
    event["headers"]["content-type"] = content_type.into();
    event["body"] = if base64 { base64::engine::general_purpose::STANDARD.encode(body).into() } else { body.into() };
    event["isBase64Encoded"] = base64.into();
    event
}

#[tokio::test]
async fn every_recorded_event_becomes_a_request_the_router_answers_without_a_server_error() {
    let harness = Harness::new();
    let mut converted = 0;
    let mut entries: Vec<_> =
        std::fs::read_dir(corpus_dir()).expect("corpus").filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries.iter().filter(|p| p.extension().is_some_and(|e| e == "json")) {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let event = fixture(name);
        match request_from_v2_event(&event) {
            Ok(request) => {
                let reply = harness.send(request).await;
                assert!(!reply.status.is_server_error(), "{name}: {}", reply.status);
                converted += 1;
            }
            // The SAM CLI fixture is a template with `{{{method}}}` placeholders, not an event.
            Err(EventError::Method(method)) => assert!(method.contains("{{{"), "{name}: {method}"),
            Err(err) => panic!("{name}: {err}"),
        }
    }
    assert!(converted >= 10, "only {converted} fixtures converted");
    assert!(harness.cases().await.is_empty(), "no recorded event is a complaint");
}

#[tokio::test]
async fn the_minimal_get_event_renders_the_form() {
    let harness = Harness::new();
    let request = request_from_v2_event(&fixture("aws-lambda-rust-runtime__apigw_v2_proxy_request_minimal.json"))
        .expect("converts");
    let reply = harness.send(request).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body.contains("Make a complaint"));
}

#[tokio::test]
async fn a_base64_form_body_in_a_recorded_event_creates_a_case() {
    let harness = Harness::new();
    let token = harness.token().await;
    let event = aimed_at_form(
        fixture("aws-lambda-rust-runtime__apigw_v2_proxy_request.json"),
        "application/x-www-form-urlencoded",
        &form_body(&token, &[("description", "Grass verge not cut — été, ünïcode & symbols")]),
        true,
    );
    let reply = harness.send(request_from_v2_event(&event).expect("converts")).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let cases = harness.cases().await;
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].case.complaint().description, "Grass verge not cut — été, ünïcode & symbols");

    // The same event delivered twice (a Lambda retry) is still one case.
    let again = harness.send(request_from_v2_event(&event).expect("converts")).await;
    assert_eq!(again.location(), reply.location());
    assert_eq!(harness.cases().await.len(), 1);
}

#[tokio::test]
async fn the_recorded_json_event_body_is_refused_field_by_field() {
    let harness = Harness::new();
    let recorded = fixture("powertools-python__apiGatewayProxyV2Event.json");
    let body = recorded["body"].as_str().expect("a JSON body").to_owned();
    let event = aimed_at_form(recorded, "application/json", &body, false);
    let reply = harness.send(request_from_v2_event(&event).expect("converts")).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors: serde_json::Value = serde_json::from_str(&reply.body).expect("JSON");
    let fields: Vec<&str> =
        errors["errors"].as_array().expect("list").iter().filter_map(|e| e["field"].as_str()).collect();
    assert_eq!(fields, ["name", "email", "service_area", "description"]);
}
