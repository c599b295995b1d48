//! Handler tests on API Gateway HTTP API (payload 2.0) events, turned into requests by
//! `lambda_http`'s own conversion (the one the function runs in AWS) and sent through the same
//! router. Our fixtures are in `tests/fixtures`; the shared corpus of recorded events is used as
//! well when it is checked out beside the repository.

mod support;

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine;
use serde_json::Value;
use support::{Harness, form_body};

fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("fixture is JSON")
}

/// The request `lambda_http` makes of the event, with its body handed to axum.
fn request(event: &Value) -> Result<Request<Body>, serde_json::Error> {
    let request = lambda_http::request::from_str(&event.to_string())?;
    Ok(request.map(|body| Body::from(body.to_vec())))
}

/// Points an event at the form (`/`) as a POST with the given content type and body.
fn aimed_at_form(mut event: Value, content_type: &str, body: &str, base64: bool) -> Value {
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
async fn the_get_event_renders_the_form() {
    let harness = Harness::new();

    let reply = harness.send(request(&fixture("apigw-v2-get-form.json")).expect("converts")).await;

    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body.contains("Make a complaint"), "{}", reply.body);
}

#[tokio::test]
async fn a_base64_form_body_creates_a_case_and_the_same_event_again_does_not_make_another() {
    let harness = Harness::new();
    let token = harness.token().await;
    let event = aimed_at_form(
        fixture("apigw-v2-get-form.json"),
        "application/x-www-form-urlencoded",
        &form_body(&token, &[("description", "Grass verge not cut — été, ünïcode & symbols")]),
        true,
    );

    let reply = harness.send(request(&event).expect("converts")).await;

    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let cases = harness.cases().await;
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].case.complaint().description, "Grass verge not cut — été, ünïcode & symbols");
    // The same event delivered twice (a Lambda retry) is still one case.
    let again = harness.send(request(&event).expect("converts")).await;
    assert_eq!(again.location(), reply.location());
    assert_eq!(harness.cases().await.len(), 1);
}

#[tokio::test]
async fn a_json_body_that_is_not_the_form_is_refused_field_by_field() {
    let harness = Harness::new();

    let reply = harness.send(request(&fixture("apigw-v2-post-json.json")).expect("converts")).await;

    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.body);
    let errors: Value = serde_json::from_str(&reply.body).expect("JSON");
    let fields: Vec<&str> =
        errors["errors"].as_array().expect("list").iter().filter_map(|e| e["field"].as_str()).collect();
    // No form token (JSON clients get one from GET /token), and every answer to fix, together.
    assert_eq!(fields, ["token", "name", "email", "service_area", "description"]);
}

/// The shared corpus of recorded events, when it is checked out beside the repository.
fn corpus_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/events/apigw-v2-http");
    dir.is_dir().then_some(dir)
}

#[tokio::test]
async fn every_recorded_corpus_event_gets_an_answer_without_a_server_error() {
    let Some(dir) = corpus_dir() else {
        assert!(std::env::var_os("CI").is_none(), "CI is set, so the shared corpus must be beside the repository");
        eprintln!("not run: the shared corpus of API Gateway events is not beside the repository");
        return;
    };
    let harness = Harness::new();
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(&dir).expect("corpus").filter_map(Result::ok).map(|e| e.path()).collect();
    entries.retain(|p| p.extension().is_some_and(|e| e == "json"));
    entries.sort();
    let mut answered = 0;
    for path in &entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let text = std::fs::read_to_string(path).expect("readable");
        match lambda_http::request::from_str(&text) {
            Ok(request) => {
                let reply = harness.send(request.map(|body| Body::from(body.to_vec()))).await;
                assert!(!reply.status.is_server_error(), "{name}: {}", reply.status);
                answered += 1;
            }
            // The SAM CLI fixture is a template with `{{{method}}}` placeholders, not an event.
            Err(err) => assert!(text.contains("{{{"), "{name}: {err}"),
        }
    }
    assert!(answered >= 10, "only {answered} of {} events converted", entries.len());
    assert!(harness.cases().await.is_empty(), "no recorded event is a complaint");
}
