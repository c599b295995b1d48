//! The records kept beside the two stages: each is a command validated by the state machine and
//! an entry on the timeline (R4, R25, R35, R36, R40, R44, R52–R56, R59).

mod support;

use complaints_core::case::{Case, Status};
use complaints_core::command::{Command, Rejected};
use complaints_core::complaint::{Channel, ChildInvolvement, ComplaintDraft, IntakeRoute, Representation};
use complaints_core::learning::{LearningAction, LearningError};
use complaints_core::outcome::Outcome;
use complaints_core::records::{
    AgeBand, CapacityDecision, ChildDecision, ChildRecord, ChildResponseFormat, ChildWish, ConsentType,
    NotAComplaintReason, ParentInvolvement, RestrictionScope, StaffContact,
};
use complaints_core::reference::CaseRef;
use complaints_core::timeline::{Actor, Authoriser, StaffRole};
use support::*;

#[test]
fn not_a_complaint_ends_the_case_with_its_reason_and_is_never_counted_as_received() {
    let command = Command::RecordNotAComplaint {
        decided_on: date("2025-11-28"),
        reason: NotAComplaintReason::InformationRequest,
        details: Some("A request for the file under FOI".to_owned()),
        directed_to: "Information governance team".to_owned(),
    };
    let (case, events) = try_step(&stage1_open(), command.clone(), "2025-11-28").expect("recorded");
    assert_eq!(case.status(), Status::NotAComplaint);
    assert!(!case.is_open());
    assert!(case.stage_reports().is_empty(), "never counted as a complaint (R4)");
    assert!(case.running_clocks().next().is_none());
    assert_eq!(event_types(&events), ["not-a-complaint"]);
    let record = case.records().not_a_complaint.as_ref().expect("kept");
    assert_eq!(
        (record.reason, record.directed_to.as_str()),
        (NotAComplaintReason::InformationRequest, "Information governance team")
    );
    assert_eq!(try_step(&stage1_closed(), command, "2025-12-04").err(), Some(Rejected::AlreadyClosed));
    let escalate = Command::Escalate { requested_on: date("2025-12-01"), channel: Channel::Email, received_at: None };
    assert_eq!(try_step(&case, escalate, "2025-12-01").err(), Some(Rejected::NotAComplaint));
}

fn restrict(scope: RestrictionScope, signposting: bool) -> Command {
    Command::RestrictContact {
        scope,
        approver: manager(),
        starts_on: date("2025-12-01"),
        review_on: date("2026-03-01"),
        appeal_information_sent: told("2025-12-01"),
        spso_signposting: if signposting { spso_signposting("2025-12-01") } else { None },
    }
}

#[test]
fn a_contact_restriction_records_scope_approver_review_and_appeal_and_restricting_access_signposts_the_spso() {
    let by_letter = RestrictionScope::Contact { allowed_channel: Some(Channel::Letter), allowed_contact: None };
    let (case, events) = try_step(&stage1_open(), restrict(by_letter, false), "2025-12-01").expect("restricted");
    let restriction = &case.records().restrictions[0];
    assert_eq!((restriction.approver.clone(), restriction.review_on), (manager(), date("2026-03-01")));
    assert!(restriction.applies_on(date("2025-12-02")));
    assert_eq!(event_types(&events), ["contact-restricted"]);
    assert!(case.is_open(), "the complaint goes on under the restriction");

    assert_eq!(
        try_step(&stage1_open(), restrict(RestrictionScope::ProcedureAccess, false), "2025-12-01").err(),
        Some(Rejected::SpsoSignpostingRequired),
        "R54: restricting access signposts the SPSO"
    );
    assert!(try_step(&stage1_open(), restrict(RestrictionScope::ProcedureAccess, true), "2025-12-01").is_ok());
    let handler = Command::RestrictContact {
        scope: RestrictionScope::Subjects { subjects: "Bin collections".to_owned() },
        approver: Authoriser { staff_id: "staff-17".to_owned(), role: StaffRole::Handler },
        starts_on: date("2025-12-01"),
        review_on: date("2026-03-01"),
        appeal_information_sent: told("2025-12-01"),
        spso_signposting: None,
    };
    assert_eq!(
        try_step(&stage1_open(), handler, "2025-12-01").err(),
        Some(Rejected::NeedsManager { role: StaffRole::Handler }),
        "manager approval"
    );

    let lift = Command::ReviewContactRestriction {
        restriction: 0,
        reviewed_on: date("2026-02-27"),
        reviewer: manager(),
        next_review_on: None,
    };
    let lifted = step(&case, lift.clone(), "2026-02-27");
    assert_eq!(lifted.records().restrictions[0].lifted_on, Some(date("2026-02-27")));
    assert!(!lifted.records().restrictions[0].applies_on(date("2026-02-27")));
    assert_eq!(try_step(&lifted, lift, "2026-02-28").err(), Some(Rejected::RestrictionLifted));
}

#[test]
fn correspondence_after_the_final_response_is_recorded_with_spso_signposting() {
    let command = |signposting| Command::RecordCorrespondenceAfterFinalResponse {
        received_on: date("2026-02-10"),
        channel: Channel::Email,
        spso_signposting: signposting,
    };
    let (case, events) = try_step(&stage2_closed(), command(spso_signposting("2026-02-11")), "2026-02-11").expect("ok");
    assert_eq!(case.records().correspondence_after_final.len(), 1);
    assert_eq!(event_types(&events), ["correspondence-after-final-response"]);
    assert_eq!(try_step(&stage2_closed(), command(None), "2026-02-11").err(), Some(Rejected::SpsoSignpostingRequired));
    assert_eq!(
        try_step(&stage1_closed(), command(spso_signposting("2026-02-11")), "2026-02-11").err(),
        Some(Rejected::NoFinalResponse)
    );
}

#[test]
fn points_of_complaint_amended_after_the_acknowledgement_keep_the_previous_points_and_the_customer_told() {
    let command = |told_on: Option<&str>| Command::AmendPointsOfComplaint {
        amended_on: date("2025-12-18"),
        points: points(2),
        reason: "The customer withdrew point 3".to_owned(),
        customer_told: told_on.map(told),
    };
    let case = step(&stage2_acknowledged(), command(Some("2025-12-18")), "2025-12-18");
    let stage2 = case.stage2().expect("stage 2");
    assert_eq!(stage2.acknowledged.as_ref().map(|ack| ack.points.len()), Some(2));
    assert_eq!(stage2.amendments[0].previous, points(3));
    assert_eq!(try_step(&stage2_acknowledged(), command(None), "2025-12-18").err(), Some(Rejected::CustomerNotTold));
    assert_eq!(
        try_step(&escalated(), command(Some("2025-12-18")), "2025-12-18").err(),
        Some(Rejected::NotAcknowledged)
    );
    // The final response now answers the two amended points.
    let close = Command::CloseStage2 {
        responded_on: date("2026-01-14"),
        point_outcomes: vec![Outcome::Upheld; 2],
        outcome_override: None,
        signposting: spso_signposting("2026-01-14"),
    };
    assert!(try_step(&case, close, "2026-01-14").is_ok());
}

#[test]
fn category_lead_and_contributing_services_are_checked_against_configuration() {
    let classify = |category: &str, contributing: &[&str]| Command::Classify {
        category: category.to_owned(),
        lead_service: "Housing repairs".to_owned(),
        contributing_services: contributing.iter().map(|s| (*s).to_owned()).collect(),
        external_bodies: vec!["Gas contractor".to_owned()],
    };
    let (case, events) = try_step(&stage1_open(), classify("Delay", &["Customer services"]), "2025-11-28").expect("ok");
    let classification = case.records().classification.as_ref().expect("classified");
    assert_eq!((classification.category.as_str(), classification.lead_service.as_str()), ("Delay", "Housing repairs"));
    assert_eq!(event_types(&events), ["classified"]);
    assert_eq!(
        try_step(&stage1_open(), classify("Parking fines", &[]), "2025-11-28").err(),
        Some(Rejected::UnknownCategory { category: "Parking fines".to_owned() })
    );
    assert_eq!(
        try_step(&stage1_open(), classify("Delay", &["housing repairs"]), "2025-11-28").err(),
        Some(Rejected::LeadAlsoContributing)
    );
}

fn represented_case() -> Case {
    let representation = Representation {
        person_affected: "A tenant".to_owned(),
        relationship: "Daughter".to_owned(),
        consent_confirmed: true,
    };
    let complaint = valid(ComplaintDraft { representation: Some(representation), ..draft(IntakeRoute::Stage1, None) });
    let reference = CaseRef::new("CMP", 2025, 3).expect("reference");
    Case::open(reference, complaint, midday("2025-11-27"), "Complaints Team".to_owned(), None, rules(), Actor::System).0
}

#[test]
fn consent_for_a_representative_records_its_type_date_and_who_gave_it() {
    let command = Command::RecordRepresentativeConsent {
        consent_type: ConsentType::Written,
        given_on: date("2025-11-20"),
        given_by: "The tenant".to_owned(),
    };
    let case = step(&represented_case(), command.clone(), "2025-11-28");
    let consent = case.records().consent.as_ref().expect("recorded");
    assert_eq!((consent.consent_type, consent.given_on), (ConsentType::Written, date("2025-11-20")));
    assert_eq!(try_step(&stage1_open(), command, "2025-11-28").err(), Some(Rejected::NoRepresentative));
}

#[test]
fn agreed_actions_on_a_resolved_complaint_are_tracked_until_done() {
    let agree = Command::AgreeAction {
        description: "Replace the boiler".to_owned(),
        owner: "Repairs team".to_owned(),
        agreed_on: date("2025-12-03"),
        due_on: date("2026-01-30"),
    };
    let case = step(&stage1_closed(), agree.clone(), "2025-12-03");
    assert_eq!(case.records().agreed_actions[0].done_on, None);
    assert_eq!(case.status(), complaints_core::case::Status::Stage1Closed, "the closure does not wait for the action");
    let done = step(&case, Command::CompleteAgreedAction { action: 0, done_on: date("2026-01-20") }, "2026-01-20");
    assert_eq!(done.records().agreed_actions[0].done_on, Some(date("2026-01-20")));
    assert_eq!(try_step(&stage1_closed_as(Outcome::Upheld), agree, "2025-12-03").err(), Some(Rejected::NotResolved));
    assert_eq!(
        try_step(&case, Command::CompleteAgreedAction { action: 3, done_on: date("2026-01-20") }, "2026-01-20").err(),
        Some(Rejected::NoSuchRecord { index: 3 })
    );
}

#[test]
fn staff_involved_are_told_supported_at_stage_two_updated_and_shown_their_part_and_never_shown_to_the_complainant() {
    let add = Command::AddStaffInvolved { staff_ref: "staff-42".to_owned(), added_on: date("2025-12-15"), email: None };
    let (case, events) = try_step(&escalated(), add, "2025-12-15").expect("added");
    assert!(events.iter().all(|event| event.what.is_internal()), "internal entries");
    let contact = |contact| Command::RecordStaffContact { staff_ref: "staff-42".to_owned(), contact };
    let case = step(&case, contact(StaffContact::Told { on: date("2025-12-15") }), "2025-12-15");
    let case = step(&case, contact(StaffContact::SupportOffered { on: date("2025-12-16") }), "2025-12-16");
    let case = step(&case, contact(StaffContact::Updated { on: date("2026-01-05") }), "2026-01-05");
    let staff = &case.records().staff_involved[0];
    assert_eq!((staff.told_on(), staff.contacts.len()), (Some(date("2025-12-15")), 3));
    let share =
        contact(StaffContact::ResponseShared { on: date("2026-01-10"), part: "Findings on point 2".to_owned() });
    assert_eq!(try_step(&case, share, "2026-01-10").err(), Some(Rejected::StillOpen), "after a response");

    let at_stage1 = step(
        &stage1_open(),
        Command::AddStaffInvolved { staff_ref: "staff-42".to_owned(), added_on: date("2025-11-28"), email: None },
        "2025-11-28",
    );
    assert_eq!(
        try_step(&at_stage1, contact(StaffContact::SupportOffered { on: date("2025-11-28") }), "2025-11-28").err(),
        Some(Rejected::NotAtStage { expected: complaints_core::case::Stage::Two })
    );
}

#[test]
fn a_learning_action_links_one_or_more_cases_whatever_the_outcome() {
    let first = CaseRef::new("CMP", 2025, 1).expect("reference");
    let second = CaseRef::new("CMP", 2025, 7).expect("reference");
    let mut action = LearningAction::new(
        "LA-1".to_owned(),
        "Repairs were booked without checking access".to_owned(),
        "Call the tenant before booking".to_owned(),
        "Repairs manager".to_owned(),
        date("2025-12-05"),
        date("2026-02-27"),
        vec![first.clone()],
    )
    .expect("valid");
    action.link(second.clone());
    action.link(first.clone());
    assert_eq!(action.cases, [first, second]);
    assert!(action.is_overdue_on(date("2026-03-02")));
    assert_eq!(
        action.complete(date("2025-12-01")),
        Err(LearningError::DoneBeforeRecorded { done_on: date("2025-12-01"), recorded_on: date("2025-12-05") })
    );
    action.complete(date("2026-02-20")).expect("done");
    assert!(!action.is_overdue_on(date("2026-03-02")));

    // Linked from a not-upheld case as from any other.
    let link = Command::LinkLearningAction { action_id: "LA-1".to_owned(), linked_on: date("2025-12-05") };
    let case = step(&stage1_closed_as(Outcome::NotUpheld), link.clone(), "2025-12-05");
    assert_eq!(case.records().learning[0].action_id, "LA-1");
    assert_eq!(
        try_step(&case, link, "2025-12-05").err(),
        Some(Rejected::AlreadyRecorded { what: "this learning action" })
    );
}

fn child_record(capacity: bool, wish: Option<ChildWish>) -> ChildRecord {
    ChildRecord {
        involvement: ChildInvolvement::AdultAtChildsRequest,
        age_band: AgeBand::From12To15,
        capacity: Some(CapacityDecision {
            has_capacity: capacity,
            decided_by: "Head of service".to_owned(),
            decided_on: date("2025-11-28"),
        }),
        parents: Some(ParentInvolvement {
            involved: true,
            reason: "The child asked for their mother to help".to_owned(),
            parent_asked_child_not_told: false,
            best_interests_decision: None,
        }),
        child_decision: wish.map(|wish| ChildDecision { wish, on: date("2025-11-28") }),
        protection_referral_on: None,
        response_format: Some(ChildResponseFormat::InPerson),
    }
}

#[test]
fn a_child_with_capacity_who_decided_to_go_on_controls_the_complaint() {
    let record = Command::RecordChild { record: child_record(true, Some(ChildWish::GoOn)) };
    let case = step(&stage1_open(), record, "2025-11-28");
    let withdraw = Command::Withdraw { withdrawn_on: date("2025-12-01"), reason: Some("Parent asked".to_owned()) };
    assert_eq!(try_step(&case, withdraw.clone(), "2025-12-01").err(), Some(Rejected::ChildDecidesToGoOn));
    // Without capacity, or once the child decides to withdraw, it may be withdrawn.
    let no_capacity =
        step(&stage1_open(), Command::RecordChild { record: child_record(false, Some(ChildWish::GoOn)) }, "2025-11-28");
    assert!(try_step(&no_capacity, withdraw.clone(), "2025-12-01").is_ok());
    let child_withdraws =
        step(&case, Command::RecordChild { record: child_record(true, Some(ChildWish::Withdraw)) }, "2025-11-30");
    assert!(try_step(&child_withdraws, withdraw, "2025-12-01").is_ok());
}

#[test]
fn a_parents_view_that_the_child_should_not_be_told_needs_a_best_interests_decision() {
    let mut record = child_record(true, None);
    record.parents = Some(ParentInvolvement {
        involved: true,
        reason: "Parent complained about the child's school placement".to_owned(),
        parent_asked_child_not_told: true,
        best_interests_decision: None,
    });
    assert_eq!(
        try_step(&stage1_open(), Command::RecordChild { record: record.clone() }, "2025-11-28").err(),
        Some(Rejected::BestInterestsDecisionRequired)
    );
    assert_eq!(Rejected::BestInterestsDecisionRequired.rule_id(), "R56", "the refusal names the child rule");
    if let Some(parents) = record.parents.as_mut() {
        parents.best_interests_decision = Some("Telling the child would cause distress; reviewed monthly".to_owned());
    }
    record.protection_referral_on = Some(date("2025-11-28"));
    let (case, events) = try_step(&stage1_open(), Command::RecordChild { record }, "2025-11-28").expect("recorded");
    assert_eq!(event_types(&events), ["child-recorded"]);
    assert_eq!(case.records().child.as_ref().and_then(|child| child.protection_referral_on), Some(date("2025-11-28")));
}

#[test]
fn the_part_of_the_final_response_shared_with_staff_is_recorded_once_it_is_given() {
    let add = Command::AddStaffInvolved { staff_ref: "staff-42".to_owned(), added_on: date("2025-12-15"), email: None };
    let case = step(&stage2_closed(), add, "2026-01-28");
    let share = Command::RecordStaffContact {
        staff_ref: "staff-42".to_owned(),
        contact: StaffContact::ResponseShared { on: date("2026-01-28"), part: "Findings on point 2".to_owned() },
    };
    let shared = step(&case, share, "2026-01-28");
    assert!(matches!(&shared.records().staff_involved[0].contacts[..], [StaffContact::ResponseShared { .. }]));
}

#[test]
fn every_channel_shares_the_validating_constructor_of_a_new_complaint() {
    use complaints_core::complaint::IntakeProblem;
    let today = date("2025-11-27");
    let good =
        ComplaintDraft { description: "  The repair was not done  ".to_owned(), ..draft(IntakeRoute::Stage1, None) };
    let valid = good.validate(today).expect("valid");
    assert_eq!(valid.description, "The repair was not done", "trimmed");

    let social = ComplaintDraft { channel: Channel::X, ..draft(IntakeRoute::Stage1, None) };
    assert_eq!(social.validate(today).err(), Some(vec![IntakeProblem::SocialMediaWithoutReference]));
    let bad = ComplaintDraft {
        description: " ".to_owned(),
        event_date: Some(date("2025-11-20")),
        awareness_date: Some(date("2025-11-28")),
        preferred_contact: Some(complaints_core::complaint::ContactMethod::Email),
        ..anonymous_draft(IntakeRoute::DirectStage2 { reason: String::new() }, None)
    };
    assert_eq!(
        bad.validate(today).err(),
        Some(vec![
            IntakeProblem::Blank { field: "description" },
            IntakeProblem::Blank { field: "reason for stage 2" },
            IntakeProblem::InFuture { field: "awareness date" },
            IntakeProblem::AnonymousWithContactPreference,
        ])
    );
}

#[test]
fn every_record_event_round_trips_through_json_as_stored() {
    let mut events = Vec::new();
    let mut case = stage2_closed();
    let commands = [
        Command::Classify {
            category: "Delay".to_owned(),
            lead_service: "Housing repairs".to_owned(),
            contributing_services: vec![],
            external_bodies: vec![],
        },
        Command::AddStaffInvolved { staff_ref: "staff-42".to_owned(), added_on: date("2026-01-28"), email: None },
        Command::RecordStaffContact {
            staff_ref: "staff-42".to_owned(),
            contact: StaffContact::Told { on: date("2026-01-28") },
        },
        Command::LinkLearningAction { action_id: "LA-9".to_owned(), linked_on: date("2026-01-28") },
        Command::AgreeAction {
            description: "Apologise in writing".to_owned(),
            owner: "Housing manager".to_owned(),
            agreed_on: date("2026-01-27"),
            due_on: date("2026-02-06"),
        },
        Command::CompleteAgreedAction { action: 0, done_on: date("2026-01-29") },
        Command::RecordCorrespondenceAfterFinalResponse {
            received_on: date("2026-01-29"),
            channel: Channel::Letter,
            spso_signposting: spso_signposting("2026-01-29"),
        },
        restrict(RestrictionScope::ProcedureAccess, true),
        Command::ReviewContactRestriction {
            restriction: 0,
            reviewed_on: date("2026-01-29"),
            reviewer: manager(),
            next_review_on: Some(date("2026-04-29")),
        },
        Command::RecordChild { record: child_record(true, Some(ChildWish::GoOn)) },
    ];
    for command in commands {
        let (next, more) = try_step(&case, command, "2026-01-29").expect("accepted");
        case = next;
        events.extend(more);
    }
    assert_eq!(events.len(), 10);
    for event in &events {
        let json = serde_json::to_string(event).expect("serialises");
        assert_eq!(&serde_json::from_str::<complaints_core::timeline::TimelineEvent>(&json).expect("reads"), event);
    }
    let json = serde_json::to_string(&case).expect("serialises");
    assert_eq!(serde_json::from_str::<Case>(&json).expect("reads"), case);
}
