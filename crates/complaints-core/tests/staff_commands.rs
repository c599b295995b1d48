//! The commands staff handling added to the state machine: assigning a case (R42) and the note of
//! a complaint staff took by phone, in person or by letter (R3, R44).

mod support;

use complaints_core::case::Case;
use complaints_core::command::{Command, Rejected};
use complaints_core::complaint::{Channel, IntakeRoute};
use complaints_core::reference::CaseRef;
use complaints_core::timeline::Actor;
use support::*;

fn assign(handler: &str, on: &str) -> Command {
    Command::Assign {
        handler: handler.to_owned(),
        team: Some("Housing repairs team".to_owned()),
        service_area: Some("Housing and repairs".to_owned()),
        assigned_on: date(on),
    }
}

#[test]
fn assigning_names_the_new_handler_and_keeps_the_team_and_service_area() {
    let (case, events) =
        try_step(&stage1_open(), assign(" Jamie Reid ", "2025-11-28"), "2025-11-28").expect("assigned");
    assert_eq!(case.handler(), "Jamie Reid");
    let assignment = case.records().assignment.as_ref().expect("recorded");
    assert_eq!(assignment.team.as_deref(), Some("Housing repairs team"));
    assert_eq!(assignment.service_area.as_deref(), Some("Housing and repairs"));
    assert_eq!(event_types(&events), ["assigned"]);
    // Reassigning replaces it.
    let again = step(&case, assign("Ailsa Mackay", "2025-12-01"), "2025-12-01");
    assert_eq!(again.handler(), "Ailsa Mackay");
}

#[test]
fn a_blank_handler_a_future_date_or_a_finished_case_is_refused() {
    assert_eq!(
        try_step(&stage1_open(), assign("  ", "2025-11-28"), "2025-11-28").err(),
        Some(Rejected::Blank { field: "handler" })
    );
    assert_eq!(
        try_step(&stage1_open(), assign("Jamie", "2025-12-05"), "2025-11-28").err(),
        Some(Rejected::DateInFuture { date: date("2025-12-05") })
    );
    assert_eq!(
        try_step(&stage1_closed(), assign("Jamie", "2025-12-04"), "2025-12-04").err(),
        Some(Rejected::AlreadyClosed)
    );
    assert_eq!(
        try_step(&withdrawn_at_stage1(), assign("Jamie", "2025-12-04"), "2025-12-04").err(),
        Some(Rejected::Withdrawn)
    );
}

fn phoned_case() -> Case {
    let mut draft = draft(IntakeRoute::Stage1, None);
    draft.channel = Channel::Phone;
    let reference = CaseRef::new("CMP", 2025, 1).expect("reference");
    Case::open(reference, valid(draft), midday("2025-11-27"), "Complaints Team".to_owned(), None, rules(), staff()).0
}

#[test]
fn the_note_of_a_phoned_complaint_is_kept_once_with_who_took_it() {
    let note = Command::NoteIntake {
        note: "Caller reported a leak since Monday".to_owned(),
        postal_address: Some("12 Brae Road, Exampletown".to_owned()),
    };
    let (case, events) = try_step(&phoned_case(), note.clone(), "2025-11-27").expect("noted");
    let kept = case.records().intake_note.as_ref().expect("kept");
    assert_eq!(
        (kept.noted_by.as_str(), kept.postal_address.as_deref()),
        ("staff-17", Some("12 Brae Road, Exampletown"))
    );
    assert_eq!(event_types(&events), ["intake-noted"]);
    assert_eq!(
        try_step(&case, note.clone(), "2025-11-27").err(),
        Some(Rejected::AlreadyRecorded { what: "the note of the conversation" })
    );
    // A web form or email complaint has no conversation to note; the service itself cannot note one.
    assert_eq!(try_step(&stage1_open(), note.clone(), "2025-11-27").err(), Some(Rejected::NotStaffLogged));
    assert_eq!(
        phoned_case().apply(note, midday("2025-11-27"), Actor::System, rules()).err(),
        Some(Rejected::NeedsStaff)
    );
    let blank = Command::NoteIntake { note: " ".to_owned(), postal_address: None };
    assert_eq!(
        try_step(&phoned_case(), blank, "2025-11-27").err(),
        Some(Rejected::Blank { field: "note of the conversation" })
    );
}

#[test]
fn each_refusal_of_the_new_commands_names_a_rule() {
    assert_eq!(Rejected::NotStaffLogged.rule_id(), "R3");
    assert_eq!(Rejected::Blank { field: "handler" }.rule_id(), "R44");
}
