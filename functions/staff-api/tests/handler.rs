//! The staff-api function's handler on API Gateway HTTP API (payload 2.0) events with a JWT
//! authorizer's verified claims in the request context, turned into requests by `lambda_http`'s
//! own conversion (the one the function runs in AWS) and sent through the router the function
//! serves, authenticating with `JwtClaims` as the function does.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use complaints_app::staff::{MemoryAuditLog, StaffActions};
use complaints_app::testing::{MemoryCaseStore, RecordingMailer, intake_service};
use complaints_app::testing_read::MemoryLearningStore;
use complaints_web::api::auth::JwtClaims;
use complaints_web::api::{ApiState, router};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

fn app() -> (axum::Router, Arc<MemoryAuditLog>) {
    let store = Arc::new(MemoryCaseStore::new());
    let now = "2026-12-01T10:00:00Z".parse().expect("instant");
    let intake = intake_service(store.clone(), Arc::new(RecordingMailer::new()), now);
    let audit = Arc::new(MemoryAuditLog::new());
    let staff = StaffActions::from_intake(&intake, audit.clone());
    let state = ApiState::new(staff, store, Arc::new(MemoryLearningStore::new()), Arc::new(JwtClaims));
    (router(state), audit)
}

/// An HTTP API event for `method path` with `claims` as the JWT authorizer passes them (`None`:
/// no authorizer ran), the way API Gateway delivers it to the function.
fn event(method: &str, path: &str, claims: Option<Value>, body: Option<&Value>) -> Value {
    let mut event = json!({
        "version": "2.0",
        "routeKey": format!("{method} /api/{{proxy+}}"),
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "authorization": "Bearer eyJraWQiOiJ0ZXN0In0.eyJzdWIiOiJ4In0.c2ln",
            "content-type": "application/json",
            "host": "abc123defg.execute-api.eu-west-2.amazonaws.com"
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123defg",
            "domainName": "abc123defg.execute-api.eu-west-2.amazonaws.com",
            "domainPrefix": "abc123defg",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.10", "userAgent": "staff-tool"},
            "requestId": "Qx1aFhw0LPEEMbQ=",
            "routeKey": format!("{method} /api/{{proxy+}}"),
            "stage": "$default",
            "time": "01/Dec/2026:10:00:00 +0000",
            "timeEpoch": 1_796_119_200_000_u64
        },
        "isBase64Encoded": false
    });
    if let Some(claims) = claims {
        event["requestContext"]["authorizer"] = json!({"jwt": {"claims": claims, "scopes": null}});
    }
    if let Some(body) = body {
        event["body"] = body.to_string().into();
    }
    event
}

fn claims(sub: &str, groups: &str) -> Value {
    json!({
        "sub": sub,
        "cognito:groups": groups,
        "iss": "https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_example",
        "client_id": "exampleclientid",
        "token_use": "access",
        "exp": "1796122800"
    })
}

async fn send(router: &axum::Router, event: &Value) -> (StatusCode, Value) {
    let request = lambda_http::request::from_str(&event.to_string()).expect("an API Gateway event");
    let request: Request<Body> = request.map(|body| Body::from(body.to_vec()));
    let response = router.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_handler_in_the_cognito_group_logs_a_complaint_recorded_against_their_subject() {
    let (router, audit) = app();
    let complaint = json!({"channel": "phone", "service_area": "Bins", "description": "Not collected.",
        "note": "Called at 10:05."});

    let (status, body) =
        send(&router, &event("POST", "/api/cases", Some(claims("5f1c-handler", "[handler]")), Some(&complaint))).await;

    assert_eq!(status, StatusCode::CREATED, "{body}");
    let staff_event = body["events"]
        .as_array()
        .and_then(|events| events.iter().find(|e| e["actor"]["kind"] == "staff").map(|e| e["actor"]["id"].clone()));
    assert_eq!(staff_event, Some(json!("5f1c-handler")), "the timeline names the token's subject");
    assert!(audit.entries().iter().all(|entry| entry.actor == "5f1c-handler"));
}

#[tokio::test]
async fn an_auditor_group_reads_but_may_not_act() {
    let (router, _) = app();
    let (listed, _) = send(&router, &event("GET", "/api/cases", Some(claims("a-1", "[auditor]")), None)).await;
    assert_eq!(listed, StatusCode::OK);

    let complaint = json!({"channel": "phone", "service_area": "Bins", "description": "d", "note": "n"});
    let (status, body) =
        send(&router, &event("POST", "/api/cases", Some(claims("a-1", "[auditor]")), Some(&complaint))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["type"], "/problems/forbidden");
}

#[tokio::test]
async fn without_verified_claims_the_bearer_header_alone_gets_nobody_in() {
    let (router, audit) = app();

    let (status, body) = send(&router, &event("GET", "/api/cases", None, None)).await;

    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(audit.entries().is_empty());
}

#[tokio::test]
async fn an_account_in_no_staff_group_is_refused_and_a_role_in_the_body_changes_nothing() {
    let (router, _) = app();
    let (status, body) = send(&router, &event("GET", "/api/cases", Some(claims("x-9", "[everyone]")), None)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["type"], "/problems/no-role");

    let smuggled =
        json!({"channel": "phone", "service_area": "Bins", "description": "d", "note": "n", "role": "manager"});
    let (status, body) =
        send(&router, &event("POST", "/api/cases", Some(claims("a-1", "[auditor]")), Some(&smuggled))).await;
    assert!(status == StatusCode::FORBIDDEN || status == StatusCode::UNPROCESSABLE_ENTITY, "{status} {body}");
    assert_ne!(status, StatusCode::CREATED);
}
