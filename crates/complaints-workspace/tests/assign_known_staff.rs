//! "Assign" through the router: with the known staff (the users file locally, the staff directory
//! on AWS) the handler is a choice of them and anyone else is refused with a clear error; without
//! a list it stays a text box.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{Request, StatusCode, header};
use chrono::{DateTime, Utc};
use complaints_app::ports::{CaseStore, Clock};
use complaints_app::staff::{LogComplaint, MemoryAuditLog, StaffActions, StaffUser};
use complaints_app::testing::{ManualClock, MemoryCaseStore, RecordingMailer, intake_service};
use complaints_app::testing_read::MemoryLearningStore;
use complaints_core::complaint::Channel;
use complaints_core::reference::CaseRef;
use complaints_core::roles::Role;
use complaints_workspace::auth::known_staff::KnownStaff;
use complaints_workspace::session::{SessionError, Sessions, SignedIn};
use complaints_workspace::{WorkspaceState, router};
use http_body_util::BodyExt;
use tower::ServiceExt;

const CSRF: &str = "csrf-token-for-tests-0123456789";

/// A signed-in manager, and the staff list a deployment would know (or none).
#[derive(Debug)]
struct WithStaff(Option<Vec<KnownStaff>>);

#[async_trait::async_trait]
impl Sessions for WithStaff {
    async fn current(&self, _parts: &Parts) -> Result<Option<SignedIn>, SessionError> {
        let user = StaffUser { id: "mo".to_owned(), name: "Mo Manager".to_owned(), role: Role::Manager, email: None };
        Ok(Some(SignedIn { user, csrf: CSRF.to_owned() }))
    }

    fn known_staff(&self) -> Option<Vec<KnownStaff>> {
        self.0.clone()
    }
}

fn at(text: &str) -> DateTime<Utc> {
    text.parse().expect("instant")
}

async fn world(known: Option<Vec<KnownStaff>>) -> (Router, Arc<MemoryCaseStore>, CaseRef) {
    let store = Arc::new(MemoryCaseStore::new());
    let clock = Arc::new(ManualClock::new(at("2026-12-01T10:00:00Z")));
    let mut intake = intake_service(store.clone(), Arc::new(RecordingMailer::new()), at("2026-12-01T10:00:00Z"));
    intake.clock = clock as Arc<dyn Clock>;
    let staff = StaffActions::from_intake(&intake, Arc::new(MemoryAuditLog::new()));
    let user = StaffUser { id: "hana".to_owned(), name: "Hana".to_owned(), role: Role::Handler, email: None };
    let complaint = LogComplaint {
        channel: Channel::Phone,
        name: Some("Morag Campbell".to_owned()),
        email: Some("morag@example.net".to_owned()),
        phone: None,
        postal_address: None,
        service_area: staff.config.service_areas[0].clone(),
        description: "The bin was missed.".to_owned(),
        event_date: None,
        awareness_date: None,
        outcome_sought: None,
        preferred_contact: None,
        adjustments: None,
        representation: None,
        child: None,
        direct_stage2_reason: None,
        note: "Called.".to_owned(),
        received_at: None,
    };
    let reference = staff.log_complaint(&user, complaint, None).await.expect("logged").reference;
    let app = router(WorkspaceState {
        staff,
        indexes: store.clone(),
        queries: store.clone(),
        learning: Arc::new(MemoryLearningStore::new()),
        sessions: Arc::new(WithStaff(known)),
        quality: Arc::new(complaints_app::testing_registers::MemoryQualityStore::default()),
        flags: Arc::new(complaints_app::testing_registers::MemoryFlagStore::default()),
        held_mail: Arc::new(complaints_app::held_mail::MemoryHeldMail::new()),
        staff_items: Arc::new(complaints_app::testing::MemoryCaseStore::new()),
    });
    (app, store, reference)
}

async fn send(app: &Router, request: Request<Body>) -> (StatusCode, String) {
    let response = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    (status, String::from_utf8_lossy(&bytes).replace("&#x2f;", "/"))
}

async fn confirm(app: &Router, reference: &CaseRef, version: &str, handler: &str) -> (StatusCode, String) {
    let form = [("csrf", CSRF), ("version", version), ("step", "confirm"), ("handler", handler)];
    let request = Request::post(format!("/staff/cases/{reference}/actions/assign"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(serde_urlencoded::to_string(form).expect("form")))
        .expect("request");
    send(app, request).await
}

fn staff() -> Vec<KnownStaff> {
    vec![KnownStaff { id: "hana".to_owned(), label: "Hana Example (hana)".to_owned() }, KnownStaff::by_id("mo")]
}

#[tokio::test]
async fn assign_offers_the_known_staff_and_refuses_a_name_that_is_not_one_of_them() {
    let (app, store, reference) = world(Some(staff())).await;
    let uri = format!("/staff/cases/{reference}/actions/assign");
    let (status, form) = send(&app, Request::get(&uri).body(Body::empty()).expect("request")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains(r#"<select"#) && form.contains(r#"<option value="hana""#), "{form}");
    assert!(form.contains("Hana Example (hana)"), "{form}");

    let version = store.get(&reference).await.expect("case").version.to_string();
    let (refused, page) = confirm(&app, &reference, &version, "hanna typo").await;
    assert_eq!(refused, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains("“hanna typo” is not a member of staff this service knows"), "{page}");
    assert_eq!(store.get(&reference).await.expect("case").version.to_string(), version, "nothing saved");

    let (done, _) = confirm(&app, &reference, &version, "mo").await;
    assert_eq!(done, StatusCode::SEE_OTHER);
    assert_eq!(store.get(&reference).await.expect("case").case.handler(), "mo");
}

#[tokio::test]
async fn without_a_staff_list_assign_keeps_a_text_box() {
    let (app, store, reference) = world(None).await;
    let uri = format!("/staff/cases/{reference}/actions/assign");
    let (_, form) = send(&app, Request::get(&uri).body(Body::empty()).expect("request")).await;
    assert!(form.contains(r#"name="handler""#) && !form.contains(r#"<option value="hana""#), "{form}");
    let version = store.get(&reference).await.expect("case").version.to_string();
    let (done, _) = confirm(&app, &reference, &version, "Roads team").await;
    assert_eq!(done, StatusCode::SEE_OTHER);
    assert_eq!(store.get(&reference).await.expect("case").case.handler(), "Roads team");
}
