//! Staff actions on the in-memory store: the staff contract suite, and the role matrix checked
//! through the use case for every role and every action.

use std::sync::Arc;

use complaints_app::ports::CaseStore;
use complaints_app::staff::{ActionError, StaffAction, StaffUser, Stage2How};
use complaints_app::staff_contract::{Harness, at, date, phoned, user};
use complaints_app::testing::MemoryCaseStore;
use complaints_core::complaint::Channel;
use complaints_core::complaint::ChildInvolvement;
use complaints_core::outcome::{Outcome, SpsoOutcome};
use complaints_core::records::{AgeBand, ChildRecord, ConsentType, NotAComplaintReason, RestrictionScope};
use complaints_core::reference::CaseRef;
use complaints_core::roles::Role;

complaints_app::staff_contract_tests!(async { MemoryCaseStore::new() });

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_staff_contract_passes_when_all_share_one_memory_store() {
    let shared = MemoryCaseStore::new();
    complaints_app::staff_contract::run_all(|| {
        let shared = shared.clone();
        async move { shared }
    })
    .await;
}

/// One of every action, with plausible fields (whether the rules accept it on a new case does not
/// matter here: only whether the role check lets it through).
fn every_action() -> Vec<StaffAction> {
    let points =
        vec![complaints_core::case::PointOfComplaint { summary: "s".to_owned(), outcome_sought: "o".to_owned() }];
    vec![
        StaffAction::Assign { handler: "h".to_owned(), team: None, service_area: None },
        StaffAction::Classify {
            category: "c".to_owned(),
            lead_service: "l".to_owned(),
            contributing_services: Vec::new(),
            external_bodies: Vec::new(),
        },
        StaffAction::Respond {
            outcome: Outcome::Upheld,
            note: "n".to_owned(),
            route_given_by: None,
            staff_parts: Vec::new(),
        },
        StaffAction::Extend { reason: "r".to_owned(), new_due: date(2026, 2, 20), stage: None },
        StaffAction::Escalate { channel: Channel::Email, requested_on: None, points: None },
        StaffAction::Stage2 { how: Stage2How::Move, reason: "r".to_owned(), points: None },
        StaffAction::Acknowledge { points: points.clone(), agreed_on: None },
        StaffAction::AmendPoints { points, reason: "r".to_owned() },
        StaffAction::Update { note: "n".to_owned(), given_by: None },
        StaffAction::Close {
            point_outcomes: vec![Outcome::Upheld],
            outcome_override: None,
            note: "n".to_owned(),
            staff_parts: Vec::new(),
        },
        StaffAction::Withdraw { reason: None },
        StaffAction::NotAComplaint {
            reason: NotAComplaintReason::CompensationOnly,
            details: None,
            directed_to: "d".to_owned(),
        },
        StaffAction::Reopen { reason: "r".to_owned(), respond_by: date(2026, 2, 20) },
        StaffAction::ReferSpso { referred_on: None },
        StaffAction::SpsoOutcome { outcome: SpsoOutcome::NotUpheld, decided_on: None },
        StaffAction::Restrict {
            scope: RestrictionScope::ProcedureAccess,
            review_on: date(2026, 5, 1),
            reason: "r".to_owned(),
        },
        StaffAction::ReviewRestriction { restriction: 0, next_review_on: None },
        StaffAction::AcceptLate { reason: "r".to_owned() },
        StaffAction::StaffInvolved { staff_ref: "s".to_owned(), email: None },
        StaffAction::LinkLearning { action_id: "LA".to_owned() },
        StaffAction::CorrespondenceAfterFinal { channel: Channel::Email },
        StaffAction::RecordConsent {
            consent_type: ConsentType::Written,
            given_on: date(2026, 2, 3),
            given_by: "g".to_owned(),
        },
        StaffAction::AgreeAction { description: "d".to_owned(), owner: "o".to_owned(), due_on: date(2026, 2, 20) },
        StaffAction::CompleteAction { index: 0 },
        StaffAction::RecordChild {
            record: ChildRecord {
                involvement: ChildInvolvement::AdultAboutChild,
                age_band: AgeBand::Under8,
                capacity: None,
                parents: None,
                child_decision: None,
                protection_referral_on: None,
                response_format: None,
            },
        },
    ]
}

#[tokio::test]
async fn every_role_may_do_exactly_what_the_matrix_allows_through_the_use_case() {
    let store: Arc<dyn CaseStore> = Arc::new(MemoryCaseStore::new());
    let h = Harness::new(store);
    let logged = h.log(&user("h-log", Role::Handler), phoned("matrix@example.net"), at(2026, 2, 3, 10)).await;
    let actions = every_action();
    assert_eq!(actions.len(), 25, "one of every action");
    for role in Role::ALL {
        let actor = user(&format!("u-{role}"), role);
        for action in &actions {
            let allowed = role.may(action.permission());
            let result = h.perform(&actor, &logged.reference, action.clone(), at(2026, 2, 4, 10)).await;
            let forbidden = matches!(result, Err(ActionError::Forbidden { .. }));
            assert_eq!(forbidden, !allowed, "{role} {}: {result:?}", action.name());
            // Only the refused case is certain to change nothing; the others may or may not apply.
            if forbidden {
                let stored = h.actions.store.get(&logged.reference).await.map(|s| s.version).ok();
                assert!(stored.is_some());
            }
        }
        // Logging a complaint, and reading.
        let logged_by = h.actions.log_complaint(&actor, phoned("matrix2@example.net"), Some(at(2026, 2, 4, 10))).await;
        assert_eq!(
            matches!(logged_by, Err(ActionError::Forbidden { .. })),
            !matches!(role, Role::Handler | Role::Manager)
        );
        assert!(h.actions.view(&actor, &logged.reference).await.is_ok(), "every role reads");
    }
    // Refused attempts are audited too.
    assert!(h.audit.entries().iter().any(|entry| entry.access == complaints_app::staff::Access::Refused));
}

#[test]
fn actions_read_and_write_the_documented_json() {
    let json = r#"{"action":"respond","outcome":"partially-upheld","note":"We found…","route_given_by":"phone"}"#;
    let action: StaffAction = serde_json::from_str(json).unwrap_or_else(|e| panic!("parses: {e}"));
    assert_eq!(
        action,
        StaffAction::Respond {
            outcome: Outcome::PartiallyUpheld,
            note: "We found…".to_owned(),
            route_given_by: Some(Channel::Phone),
            staff_parts: Vec::new()
        }
    );
    let stage2: StaffAction = serde_json::from_str(r#"{"action":"stage2","how":"direct","reason":"asked"}"#)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stage2.name(), "stage2");
    let unknown =
        serde_json::from_str::<StaffAction>(r#"{"action":"respond","outcome":"upheld","note":"n","extra":1}"#);
    assert!(unknown.is_err(), "unknown fields are refused");
    let back = serde_json::to_value(&action).unwrap_or_default();
    assert_eq!(back["action"], "respond");
    assert_eq!(back["route_given_by"], "phone");
}

#[tokio::test]
async fn illegal_moves_are_refused_naming_their_rule_and_write_nothing() {
    let store: Arc<dyn CaseStore> = Arc::new(MemoryCaseStore::new());
    let h = Harness::new(store);
    let handler = user("h-illegal", Role::Handler);
    let manager = user("m-illegal", Role::Manager);
    let open = h.log(&handler, phoned("open@example.net"), at(2026, 2, 3, 10)).await.reference;
    let closed = h.log(&handler, phoned("closed@example.net"), at(2026, 2, 3, 10)).await.reference;
    let respond = || StaffAction::Respond {
        outcome: Outcome::Upheld,
        note: "Sorry.".to_owned(),
        route_given_by: None,
        staff_parts: Vec::new(),
    };
    h.must(&handler, &closed, respond(), at(2026, 2, 4, 10)).await;
    let day = at(2026, 2, 5, 10);
    let cases: Vec<(&CaseRef, &StaffUser, StaffAction, &str, u16)> = vec![
        // A stage 1 response given twice.
        (&closed, &handler, respond(), "R40", 409),
        // Points at stage 1.
        (&open, &handler, StaffAction::Acknowledge { points: vec![point()], agreed_on: None }, "R22", 409),
        // A progress update without an extension.
        (&open, &handler, StaffAction::Update { note: "n".to_owned(), given_by: None }, "R22", 409),
        // The SPSO before the final response.
        (&closed, &handler, StaffAction::ReferSpso { referred_on: None }, "R18", 409),
        // Reopening an open case.
        (&open, &handler, StaffAction::Reopen { reason: "r".to_owned(), respond_by: date(2026, 2, 13) }, "R40", 409),
        // An extension far beyond the policy's cap.
        (
            &open,
            &manager,
            StaffAction::Extend { reason: "r".to_owned(), new_due: date(2026, 6, 1), stage: None },
            "R21",
            422,
        ),
        // Not a complaint once answered.
        (
            &closed,
            &handler,
            StaffAction::NotAComplaint {
                reason: NotAComplaintReason::CompensationOnly,
                details: None,
                directed_to: "d".to_owned(),
            },
            "R40",
            409,
        ),
    ];
    for (reference, actor, action, rule, status) in cases {
        let before = h.actions.store.get(reference).await.map(|stored| stored.version).ok();
        let name = action.name();
        let result = h.perform(actor, reference, action, day).await;
        let Err(error) = result else { panic!("{name} was accepted") };
        assert_eq!((error.rule_id(), error.kind().http_status()), (Some(rule), status), "{name}: {error}");
        assert!(error.to_string().starts_with(&format!("refused by {rule}: ")), "{error}");
        let after = h.actions.store.get(reference).await.map(|stored| stored.version).ok();
        assert_eq!(before, after, "{name} wrote nothing");
    }
}

fn point() -> complaints_core::case::PointOfComplaint {
    complaints_core::case::PointOfComplaint { summary: "s".to_owned(), outcome_sought: "o".to_owned() }
}

#[tokio::test]
async fn a_complainant_with_no_address_can_still_be_extended_and_is_recorded_as_told_the_way_they_called() {
    let store: Arc<dyn CaseStore> = Arc::new(MemoryCaseStore::new());
    let h = Harness::new(store);
    let mut phone_only = phoned("unused@example.net");
    phone_only.email = None;
    let logged = h.log(&user("h-phone", Role::Handler), phone_only, at(2026, 2, 3, 10)).await;
    let extended = h
        .must(
            &user("m-phone", Role::Manager),
            &logged.reference,
            StaffAction::Extend { reason: "Waiting for records".to_owned(), new_due: date(2026, 2, 13), stage: None },
            at(2026, 2, 5, 10),
        )
        .await;
    assert!(extended.letters.is_empty());
    let told = extended
        .case
        .stage1()
        .and_then(|stage| stage.response.extensions.last())
        .map(|extension| extension.customer_told.channel);
    assert_eq!(told, Some(Channel::Phone));
    // A restriction must be in writing: refused, naming why.
    let restrict = StaffAction::Restrict {
        scope: RestrictionScope::Subjects { subjects: "the bins".to_owned() },
        review_on: date(2026, 5, 1),
        reason: "r".to_owned(),
    };
    let refused = h.perform(&user("m-phone", Role::Manager), &logged.reference, restrict, at(2026, 2, 5, 11)).await;
    assert!(matches!(&refused, Err(ActionError::Invalid(message)) if message.contains("in writing")), "{refused:?}");
}

#[tokio::test]
async fn a_response_whose_signposting_letter_cannot_be_written_is_refused_and_saves_nothing() {
    let store: Arc<dyn CaseStore> = Arc::new(MemoryCaseStore::new());
    let h = Harness::new(Arc::clone(&store));
    let handler = user("h-broken", Role::Handler);
    let logged = h.log(&handler, phoned("broken@example.net"), at(2026, 2, 3, 10)).await;
    // The same store, with the organisation's sender address broken.
    let mut broken_config = (*h.actions.config).clone();
    broken_config.mail.from = "not an address".to_owned();
    let broken = Harness::with_config(store, broken_config);
    let before = h.actions.store.get(&logged.reference).await.map(|stored| stored.version).ok();
    let respond = StaffAction::Respond {
        outcome: Outcome::NotUpheld,
        note: "Checked.".to_owned(),
        route_given_by: None,
        staff_parts: Vec::new(),
    };
    let refused = broken.perform(&handler, &logged.reference, respond.clone(), at(2026, 2, 4, 10)).await;
    let Err(error) = refused else { panic!("a response without its letter was saved") };
    assert!(matches!(error, ActionError::LetterNotComposed { .. }), "{error:?}");
    assert_eq!(error.kind().http_status(), 500);
    let after = h.actions.store.get(&logged.reference).await.map(|stored| stored.version).ok();
    assert_eq!(before, after, "R23: no record of signposting without the letter");
    // With the configuration mended, the same response goes out with its letter.
    let responded = h.must(&handler, &logged.reference, respond, at(2026, 2, 4, 11)).await;
    assert_eq!(responded.letters.len(), 1);
}
