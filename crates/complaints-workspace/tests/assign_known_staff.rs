//! "Assign" through the router: with the known staff (the users file locally, the staff directory
//! on AWS) the handler is a choice of them and anyone else is refused with a clear error; without
//! a list it stays a text box.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{Request, StatusCode};
use common::{CSRF, World};
use complaints_app::ports::CaseStore;
use complaints_app::staff::{LogComplaint, StaffUser};
use complaints_app::testing::MemoryCaseStore;
use complaints_core::reference::CaseRef;
use complaints_core::roles::Role;
use complaints_workspace::auth::known_staff::KnownStaff;
use complaints_workspace::session::{SessionError, Sessions, SignedIn};

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

async fn world(known: Option<Vec<KnownStaff>>) -> (Router, Arc<MemoryCaseStore>, CaseRef) {
    let world = World::new();
    let user = StaffUser { id: "hana".to_owned(), name: "Hana".to_owned(), role: Role::Handler, email: None };
    let complaint = LogComplaint { outcome_sought: None, note: "Called.".to_owned(), ..world.phoned() };
    let reference = world.log_as(&user, complaint).await;
    (world.app_with(Arc::new(WithStaff(known))), world.store, reference)
}

async fn send(app: &Router, request: Request<Body>) -> (StatusCode, String) {
    let reply = common::send(app.clone(), request).await;
    (reply.status, reply.body)
}

async fn confirm(app: &Router, reference: &CaseRef, version: &str, handler: &str) -> (StatusCode, String) {
    let form = [("csrf", CSRF), ("version", version), ("step", "confirm"), ("handler", handler)];
    let reply = common::post(app.clone(), &format!("/staff/cases/{reference}/actions/assign"), &form).await;
    (reply.status, reply.body)
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
