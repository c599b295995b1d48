//! Shared set-up for the workspace's router tests: the memory stores and the staff side at a fixed
//! moment, the router on them with a fixed member of staff signed in (or any `Sessions`), requests
//! through `tower::ServiceExt::oneshot`, and the complaint a member of staff logs by phone.
//! `browser` holds the same for the sign-in tests, which go through cookies as a browser does.
#![allow(dead_code)] // each test binary uses a different part of this module
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

pub mod browser;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use chrono::{DateTime, Utc};
use complaints_app::held_mail::MemoryHeldMail;
use complaints_app::ports::{CaseStore, Clock};
use complaints_app::staff::{Access, LogComplaint, MemoryAuditLog, StaffActions, StaffUser};
use complaints_app::testing::{ManualClock, MemoryCaseStore, RecordingMailer, intake_service};
use complaints_app::testing_read::MemoryLearningStore;
use complaints_app::testing_registers::{MemoryFlagStore, MemoryQualityStore};
use complaints_core::complaint::Channel;
use complaints_core::reference::CaseRef;
use complaints_core::roles::{Permission, Role};
use complaints_workspace::session::{FixedSessions, Sessions, SignedIn};
use complaints_workspace::{WorkspaceState, router};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// The signed-in member of staff's CSRF token in [`World`]'s routers.
pub const CSRF: &str = "csrf-token-for-tests-0123456789";

/// The moment a [`World`] starts at: Tuesday 1 December 2026, 10:00.
pub const START: &str = "2026-12-01T10:00:00Z";

pub fn at(text: &str) -> DateTime<Utc> {
    text.parse().expect("instant")
}

/// The workspace on `staff` and `store` (its indexes and queries), the registers empty in memory,
/// with `sessions` saying who is signed in.
pub fn router_on(staff: StaffActions, store: &Arc<MemoryCaseStore>, sessions: Arc<dyn Sessions>) -> Router {
    router(WorkspaceState {
        staff,
        indexes: store.clone(),
        queries: store.clone(),
        learning: Arc::new(MemoryLearningStore::new()),
        sessions,
        quality: Arc::new(MemoryQualityStore::default()),
        flags: Arc::new(MemoryFlagStore::default()),
        held_mail: Arc::new(MemoryHeldMail::new()),
        staff_items: Arc::new(MemoryCaseStore::new()),
    })
}

/// The workspace on fresh memory stores, the staff side's clock fixed at `now`, with `sessions`.
pub fn app_with_sessions(now: DateTime<Utc>, sessions: Arc<dyn Sessions>) -> Router {
    let cases = Arc::new(MemoryCaseStore::new());
    let intake = intake_service(cases.clone() as Arc<dyn CaseStore>, Arc::new(RecordingMailer::new()), now);
    let staff = StaffActions::from_intake(&intake, Arc::new(MemoryAuditLog::new()));
    router_on(staff, &cases, sessions)
}

/// A member of staff of `role`: id `<role>-1`, named `Test <role>`.
pub fn user(role: Role) -> StaffUser {
    StaffUser { id: format!("{}-1", role.as_str()), name: format!("Test {role}"), role, email: None }
}

/// The memory stores and the staff side, at [`START`] on a clock the test may move.
pub struct World {
    pub store: Arc<MemoryCaseStore>,
    pub staff: StaffActions,
    pub audit: Arc<MemoryAuditLog>,
    pub mailer: Arc<RecordingMailer>,
    pub clock: Arc<ManualClock>,
}

impl World {
    pub fn new() -> Self {
        let store = Arc::new(MemoryCaseStore::new());
        let mailer = Arc::new(RecordingMailer::new());
        let clock = Arc::new(ManualClock::new(at(START)));
        let mut intake = intake_service(store.clone(), mailer.clone(), at(START));
        intake.clock = clock.clone() as Arc<dyn Clock>;
        let audit = Arc::new(MemoryAuditLog::new());
        let staff = StaffActions::from_intake(&intake, audit.clone());
        Self { store, staff, audit, mailer, clock }
    }

    /// The workspace with `sessions` saying who is signed in.
    pub fn app_with(&self, sessions: Arc<dyn Sessions>) -> Router {
        router_on(self.staff.clone(), &self.store, sessions)
    }

    /// The workspace with `who` signed in (with [`CSRF`]), or nobody.
    pub fn app_as(&self, who: Option<StaffUser>) -> Router {
        let signed_in = who.map(|user| SignedIn { user, csrf: CSRF.to_owned() });
        self.app_with(Arc::new(FixedSessions(signed_in)))
    }

    /// The workspace with [`user`]`(role)` signed in.
    pub fn app(&self, role: Role) -> Router {
        self.app_as(Some(user(role)))
    }

    /// A complaint taken by phone from Morag Campbell (with an email address) about the first
    /// service area, to log as it is or with some fields changed.
    pub fn phoned(&self) -> LogComplaint {
        LogComplaint {
            channel: Channel::Phone,
            name: Some("Morag Campbell".to_owned()),
            email: Some("morag@example.net".to_owned()),
            phone: None,
            postal_address: None,
            service_area: self.staff.config.service_areas[0].clone(),
            description: "The bin was missed.".to_owned(),
            event_date: None,
            awareness_date: None,
            outcome_sought: Some("Collect the bin".to_owned()),
            preferred_contact: None,
            adjustments: None,
            representation: None,
            child: None,
            direct_stage2_reason: None,
            note: "Called at 10:05.".to_owned(),
            received_at: None,
        }
    }

    /// Logs `complaint` as `by`: the new case's reference.
    pub async fn log_as(&self, by: &StaffUser, complaint: LogComplaint) -> CaseRef {
        self.staff.log_complaint(by, complaint, None).await.expect("logged").reference
    }

    /// Logs `complaint` as handler-1.
    pub async fn log_complaint(&self, complaint: LogComplaint) -> CaseRef {
        self.log_as(&user(Role::Handler), complaint).await
    }

    /// Logs [`World::phoned`] as handler-1.
    pub async fn log(&self) -> CaseRef {
        self.log_complaint(self.phoned()).await
    }

    pub async fn version(&self, reference: &CaseRef) -> u64 {
        self.store.get(reference).await.expect("case").version
    }

    /// How many letters went with `needle` in their text.
    pub fn sent_containing(&self, needle: &str) -> usize {
        self.mailer.sent_texts().iter().filter(|text| text.contains(needle)).count()
    }

    /// How many times the audit log has `reference` viewed.
    pub fn views_of(&self, reference: &CaseRef) -> usize {
        self.audit
            .entries()
            .into_iter()
            .filter(|e| {
                e.access == Access::Read
                    && e.permission == Permission::ViewCase
                    && e.reference.as_ref() == Some(reference)
            })
            .count()
    }
}

/// The log form for a complaint Alex Example phoned in about `area`, before its check page.
pub fn phone_form(area: &str) -> Vec<(&'static str, &str)> {
    vec![
        ("csrf", CSRF),
        ("channel", "phone"),
        ("name", "Alex Example"),
        ("email", "alex@example.net"),
        ("service_area", area),
        ("description", "The streetlight has been out for a month."),
        ("note", "Called at 09:40."),
    ]
}

/// A response, its body read as a browser would (see [`send`]).
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    /// The `Location` header, or "" when there is none.
    pub fn location(&self) -> String {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    }

    /// The value of the hidden field `name`.
    pub fn hidden(&self, name: &str) -> String {
        let marker = format!(r#"name="{name}" value=""#);
        let start = self.body.find(&marker).unwrap_or_else(|| panic!("no {name} in {}", self.body)) + marker.len();
        self.body[start..].split('"').next().expect("value").to_owned()
    }
}

pub async fn send(app: Router, request: Request<Body>) -> Reply {
    let response = app.oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    // minijinja escapes `/` in attributes; read the page as a browser would for the checks.
    let body = String::from_utf8_lossy(&bytes).replace("&#x2f;", "/");
    Reply { status, headers, body }
}

pub async fn get(app: Router, uri: &str) -> Reply {
    send(app, Request::get(uri).body(Body::empty()).expect("request")).await
}

/// Posts `form` URL-encoded, as a browser sends a form.
pub async fn post(app: Router, uri: &str, form: &[(&str, &str)]) -> Reply {
    let body = serde_urlencoded::to_string(form).expect("form");
    let request = Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    send(app, request.body(Body::from(body)).expect("request")).await
}
