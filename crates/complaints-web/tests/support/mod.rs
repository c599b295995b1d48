//! Shared helpers for the router tests: a web state over in-memory ports and request helpers.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode, header};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use complaints_app::ports::{CaseStore, StoredCase};
use complaints_app::testing::{MemoryCaseStore, RecordingMailer, intake_service_with_config};
use complaints_core::config::OrgConfig;
use complaints_web::{WebState, router};
use http_body_util::BodyExt;
use tower::ServiceExt;

pub const FORM_SECRET: &[u8] = b"test form secret";

/// Wednesday 25 November 2026, 10:00 UTC: a working day.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).single().expect("valid time")
}

pub struct Harness {
    pub store: Arc<MemoryCaseStore>,
    pub mailer: Arc<RecordingMailer>,
    pub state: WebState,
}

impl Harness {
    pub fn new() -> Self {
        Self::with_config(OrgConfig::builtin())
    }

    pub fn with_config(config: OrgConfig) -> Self {
        let store = Arc::new(MemoryCaseStore::new());
        let mailer = Arc::new(RecordingMailer::new());
        let intake = intake_service_with_config(store.clone(), mailer.clone(), now(), config);
        let state = WebState::new(intake, FORM_SECRET).expect("pages compile");
        Self { store, mailer, state }
    }

    pub fn app(&self) -> Router {
        router(self.state.clone())
    }

    /// Every case in the store.
    pub async fn cases(&self) -> Vec<StoredCase> {
        let (from, to) =
            (NaiveDate::from_ymd_opt(2000, 1, 1).expect("date"), NaiveDate::from_ymd_opt(2100, 1, 1).expect("date"));
        self.store.received_between(from, to).await.expect("store answers")
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.app().oneshot(request).await.expect("router is infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        Reply { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    pub async fn get(&self, uri: &str) -> Reply {
        self.send(Request::get(uri).body(Body::empty()).expect("request")).await
    }

    pub async fn post_form(&self, body: &str) -> Reply {
        let request = Request::post("/")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.to_owned()))
            .expect("request");
        self.send(request).await
    }

    pub async fn post_json(&self, body: &serde_json::Value) -> Reply {
        let request = Request::post("/")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .expect("request");
        self.send(request).await
    }

    /// A form post from the client at `peer`, as `complaints serve` sees it (axum's `ConnectInfo`).
    pub async fn post_form_from(&self, peer: &str, body: &str) -> Reply {
        let mut request = Request::post("/")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.to_owned()))
            .expect("request");
        request.extensions_mut().insert(ConnectInfo(peer.parse::<SocketAddr>().expect("socket address")));
        self.send(request).await
    }

    /// A JSON post from the client at `peer` with extra headers.
    pub async fn post_json_with(&self, peer: &str, headers: &[(&str, &str)], body: &serde_json::Value) -> Reply {
        let mut request = Request::post("/").header(header::CONTENT_TYPE, "application/json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let mut request = request.body(Body::from(body.to_string())).expect("request");
        request.extensions_mut().insert(ConnectInfo(peer.parse::<SocketAddr>().expect("socket address")));
        self.send(request).await
    }

    /// A fresh token for a JSON client, from `GET /token`.
    pub async fn json_token(&self) -> String {
        let reply = self.get("/token").await;
        let value: serde_json::Value = serde_json::from_str(&reply.body).expect("JSON");
        value["token"].as_str().expect("a token").to_owned()
    }

    /// A fresh token, read from the form like a browser would.
    pub async fn token(&self) -> String {
        token_in(&self.get("/").await.body).expect("the form has a token")
    }
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn content_type(&self) -> &str {
        self.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn location(&self) -> &str {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("")
    }
}

/// The value of the hidden token field in a rendered form.
pub fn token_in(html: &str) -> Option<String> {
    let marker = "name=\"token\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

/// A complete, valid form body with `token`, with `extra` pairs replacing or adding answers.
pub fn form_body(token: &str, extra: &[(&str, &str)]) -> String {
    let mut pairs: Vec<(&str, &str)> = vec![
        ("token", token),
        ("website", ""),
        ("name", "Jo Bloggs"),
        ("email", "jo@example.org"),
        ("phone", ""),
        ("contact_method", "email"),
        ("service_area", "Bins and recycling"),
        ("description", "My bin was not collected for three weeks."),
        ("event_date_day", "3"),
        ("event_date_month", "11"),
        ("event_date_year", "2026"),
        ("on_behalf", "no"),
        ("child", "no"),
    ];
    for (key, value) in extra {
        pairs.retain(|(k, _)| k != key);
        pairs.push((key, value));
    }
    serde_urlencoded::to_string(&pairs).expect("encodes")
}
