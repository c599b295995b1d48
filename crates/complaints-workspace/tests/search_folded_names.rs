//! The case list's name search as staff type it, through the router on the memory store: accents
//! are folded ("siobhan" finds Siobhán, "Seán" finds Sean), letter case never matters, and a word
//! of three letters or more finds the names that start with it ("Siob", "macdon").
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use complaints_app::staff::{LogComplaint, MemoryAuditLog, StaffActions, StaffUser};
use complaints_app::testing::{MemoryCaseStore, RecordingMailer, intake_service};
use complaints_app::testing_read::MemoryLearningStore;
use complaints_core::complaint::Channel;
use complaints_core::reference::CaseRef;
use complaints_core::roles::Role;
use complaints_workspace::session::{FixedSessions, SignedIn};
use complaints_workspace::{WorkspaceState, router};
use http_body_util::BodyExt;
use tower::ServiceExt;

const CSRF: &str = "csrf-token-for-search-tests-0123";

fn handler() -> StaffUser {
    StaffUser { id: "handler-1".to_owned(), name: "Test handler".to_owned(), role: Role::Handler, email: None }
}

struct Search {
    store: Arc<MemoryCaseStore>,
    staff: StaffActions,
}

impl Search {
    fn new() -> Self {
        let store = Arc::new(MemoryCaseStore::new());
        let now = "2026-12-01T10:00:00Z".parse().expect("instant");
        let intake = intake_service(store.clone(), Arc::new(RecordingMailer::new()), now);
        let staff = StaffActions::from_intake(&intake, Arc::new(MemoryAuditLog::new()));
        Self { store, staff }
    }

    fn app(&self) -> Router {
        router(WorkspaceState {
            staff: self.staff.clone(),
            indexes: self.store.clone(),
            queries: self.store.clone(),
            learning: Arc::new(MemoryLearningStore::new()),
            sessions: Arc::new(FixedSessions(Some(SignedIn { user: handler(), csrf: CSRF.to_owned() }))),
            quality: Arc::new(complaints_app::testing_registers::MemoryQualityStore::default()),
            flags: Arc::new(complaints_app::testing_registers::MemoryFlagStore::default()),
            held_mail: Arc::new(complaints_app::held_mail::MemoryHeldMail::new()),
            staff_items: Arc::new(MemoryCaseStore::new()),
        })
    }

    /// A phone complaint from `name`.
    async fn log(&self, name: &str) -> CaseRef {
        let complaint = LogComplaint {
            channel: Channel::Phone,
            name: Some(name.to_owned()),
            email: None,
            phone: Some("0131 496 0000".to_owned()),
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
        };
        self.staff.log_complaint(&handler(), complaint, None).await.expect("logged").reference
    }

    /// Which of `known` the case list lists for a search of `words`.
    async fn finds(&self, words: &str, known: &[&CaseRef]) -> Vec<CaseRef> {
        let body = serde_urlencoded::to_string([("csrf", CSRF), ("q", words)]).expect("form");
        let request = Request::post("/staff/cases")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("request");
        let response = self.app().oneshot(request).await.expect("infallible");
        assert_eq!(response.status(), StatusCode::OK, "{words}");
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        let page = String::from_utf8_lossy(&bytes);
        known.iter().filter(|reference| page.contains(&reference.to_string())).map(|r| (*r).clone()).collect()
    }
}

#[tokio::test]
async fn a_search_for_siobhan_finds_siobhan_with_her_fada_and_the_start_of_a_name_finds_it_too() {
    let search = Search::new();
    let siobhan = search.log("Siobhán Ní Bhriain").await;
    let sean = search.log("Sean MacDonald").await;
    let other = search.log("Morag Campbell").await;
    let known = [&siobhan, &sean, &other];

    assert_eq!(search.finds("siobhan", &known).await, std::slice::from_ref(&siobhan));
    assert_eq!(search.finds("SIOBHÁN ni bhriain", &known).await, std::slice::from_ref(&siobhan));
    assert_eq!(search.finds("Siob", &known).await, std::slice::from_ref(&siobhan), "the start of a name");
    assert_eq!(
        search.finds("Seán", &known).await,
        std::slice::from_ref(&sean),
        "an accent typed finds the name without it"
    );
    assert_eq!(search.finds("macdonald", &known).await, std::slice::from_ref(&sean));
    assert_eq!(search.finds("Mcdonald", &known).await, Vec::<CaseRef>::new(), "Mc is not Mac");
    assert_eq!(search.finds("macdon sean", &known).await, std::slice::from_ref(&sean));
    assert!(search.finds("bhan", &known).await.is_empty(), "the middle of a name is not its start");
}
