//! Shared set-up of the staff API tests: the router over a store (memory or SQLite), one user
//! per role with a bearer token, a clock the test moves, and helpers to send JSON.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Utc};
use complaints_app::learning::LearningStore;
use complaints_app::ports::{CaseStore, Clock};
use complaints_app::queries::CaseQueries;
use complaints_app::staff::{MemoryAuditLog, StaffActions};
use complaints_app::testing::{ManualClock, MemoryCaseStore, RecordingMailer, intake_service};
use complaints_app::testing_read::MemoryLearningStore;
use complaints_app::users::UsersFile;
use complaints_core::roles::Role;
use complaints_web::api::auth::BearerUsers;
use complaints_web::api::{ApiState, router};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// Tuesday 1 December 2026, 10:00 in Scotland (GMT).
pub const START: &str = "2026-12-01T10:00:00Z";

/// A store that answers cases and lists.
pub trait Store: CaseQueries + LearningStore + 'static {}
impl<T: CaseQueries + LearningStore + 'static> Store for T {}

pub struct Api {
    pub router: Router,
    pub clock: Arc<ManualClock>,
    pub audit: Arc<MemoryAuditLog>,
    pub mailer: Arc<RecordingMailer>,
    pub tokens: HashMap<Role, String>,
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub headers: axum::http::HeaderMap,
    pub json: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub fn at(text: &str) -> DateTime<Utc> {
    text.parse().expect("instant")
}

/// The API over the memory store.
pub fn memory_api() -> Api {
    let store = Arc::new(MemoryCaseStore::new());
    api_over(store.clone(), store, Arc::new(MemoryLearningStore::new()))
}

/// The API over `store` (cases), `queries` (the same store as a query port) and `learning`.
pub fn api_over(store: Arc<dyn CaseStore>, queries: Arc<dyn CaseQueries>, learning: Arc<dyn LearningStore>) -> Api {
    let mailer = Arc::new(RecordingMailer::new());
    let clock = Arc::new(ManualClock::new(at(START)));
    let mut intake = intake_service(store, mailer.clone(), at(START));
    intake.clock = clock.clone() as Arc<dyn Clock>;
    let audit = Arc::new(MemoryAuditLog::new());
    let staff = StaffActions::from_intake(&intake, audit.clone());
    let mut users = UsersFile::load(Path::new("/nonexistent/complaints-api-tests")).expect("empty users file");
    let mut tokens = HashMap::new();
    for role in Role::ALL {
        let token = users.add(role.as_str(), Some(format!("Test {role}")), role, None, at(START)).expect("user added");
        tokens.insert(role, token);
    }
    let state = ApiState::new(staff, queries, learning, Arc::new(BearerUsers::new(users)));
    Api { router: router(state), clock, audit, mailer, tokens }
}

impl Api {
    pub fn token(&self, role: Role) -> &str {
        &self.tokens[&role]
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        let json = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
        Reply { status, content_type, headers, json }
    }

    pub async fn get(&self, role: Role, uri: &str) -> Reply {
        let request = Request::get(uri).header("authorization", format!("Bearer {}", self.token(role)));
        self.send(request.body(Body::empty()).expect("request")).await
    }

    pub async fn post(&self, role: Role, uri: &str, body: &Value) -> Reply {
        let request = Request::post(uri)
            .header("authorization", format!("Bearer {}", self.token(role)))
            .header("content-type", "application/json");
        self.send(request.body(Body::from(body.to_string())).expect("request")).await
    }

    /// Logs a phone complaint as a handler and returns its reference.
    pub async fn log_phone_complaint(&self, email: Option<&str>) -> String {
        let mut body = serde_json::json!({
            "channel": "phone",
            "name": "Alex Example",
            "service_area": "Bins and recycling",
            "description": "The bin was not collected on Tuesday.",
            "note": "Called at 10:05; wants the bin collected this week.",
        });
        if let Some(email) = email {
            body["email"] = email.into();
        }
        let reply = self.post(Role::Handler, "/api/cases", &body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
        reply.json["reference"].as_str().expect("reference").to_owned()
    }

    /// Performs `action` on `reference` as `role` at `version`.
    pub async fn act(&self, role: Role, reference: &str, version: u64, mut action: Value) -> Reply {
        action["expected_version"] = version.into();
        self.post(role, &format!("/api/cases/{reference}/actions"), &action).await
    }
}
