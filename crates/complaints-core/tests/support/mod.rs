//! Shared fixtures for the case tests: dates, rules, actors and cases walked to each state.
#![allow(dead_code)] // each test binary uses a different part of this module

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use complaints_core::calendar::Calendar;
use complaints_core::case::{Case, PointOfComplaint, Rules};
use complaints_core::command::{Command, Rejected};
use complaints_core::complaint::{Channel, Complainant, ComplaintDraft, EmailAddress, IntakeRoute, NewComplaint};
use complaints_core::outcome::{Outcome, SpsoOutcome};
use complaints_core::policy::Policy;
use complaints_core::reference::CaseRef;
use complaints_core::signposting::{CustomerTold, SpsoSignposting, Stage2Signposting};
use complaints_core::timeline::{Actor, Authoriser, StaffRole, TimelineEvent};

pub static CALENDAR: LazyLock<Calendar> = LazyLock::new(Calendar::scotland);
pub static POLICY: LazyLock<Policy> = LazyLock::new(Policy::default);

pub fn rules() -> Rules<'static> {
    Rules { calendar: &CALENDAR, policy: &POLICY }
}

pub fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
}

/// Midday UTC on `day` (midday or 13:00 in Scotland: the same local date all year).
pub fn midday(day: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{day}T12:00:00Z")).expect("test instant").with_timezone(&Utc)
}

pub fn staff() -> Actor {
    Actor::Staff("staff-17".to_owned())
}

pub fn manager() -> Authoriser {
    Authoriser { staff_id: "manager-3".to_owned(), role: StaffRole::Manager }
}

pub fn told(on: &str) -> CustomerTold {
    CustomerTold { on: date(on), channel: Channel::Email }
}

pub fn stage2_signposting(on: &str) -> Option<Stage2Signposting> {
    Some(Stage2Signposting { given_on: date(on), channel: Channel::Phone, time_limit_given: true })
}

pub fn spso_signposting(on: &str) -> Option<SpsoSignposting> {
    Some(SpsoSignposting { given_on: date(on), channel: Channel::Email, template_version: "spso-block-v3".to_owned() })
}

pub fn points(count: usize) -> Vec<PointOfComplaint> {
    (1..=count)
        .map(|n| PointOfComplaint { summary: format!("point {n}"), outcome_sought: format!("remedy {n}") })
        .collect()
}

/// The day fixtures are validated on: the worked example's Thursday 27 November 2025. Every
/// fixture's event date is on or before it (a later one would be refused as in the future).
pub fn intake_day() -> NaiveDate {
    date("2025-11-27")
}

/// Validates a fixture draft on [`intake_day`].
pub fn valid(draft: ComplaintDraft) -> NewComplaint {
    draft.validate(intake_day()).expect("test complaint is valid")
}

/// A complaint from someone who can be contacted by email.
pub fn complaint(route: IntakeRoute, event_date: Option<NaiveDate>) -> NewComplaint {
    valid(draft(route, event_date))
}

/// The draft of [`complaint`], to derive variants from.
pub fn draft(route: IntakeRoute, event_date: Option<NaiveDate>) -> ComplaintDraft {
    let complainant = Complainant {
        name: "Jo Bloggs".to_owned(),
        email: Some(EmailAddress::parse("jo@example.org").expect("test address")),
        phone: None,
        handle: None,
    };
    ComplaintDraft { complainant: Some(complainant), ..anonymous_draft(route, event_date) }
}

/// A complaint nobody can be contacted about (R51).
pub fn anonymous_complaint(route: IntakeRoute, event_date: Option<NaiveDate>) -> NewComplaint {
    valid(anonymous_draft(route, event_date))
}

/// The draft of [`anonymous_complaint`], to derive variants from.
pub fn anonymous_draft(route: IntakeRoute, event_date: Option<NaiveDate>) -> ComplaintDraft {
    ComplaintDraft {
        channel: Channel::Email,
        complainant: None,
        service_area: "Housing repairs".to_owned(),
        description: "The repair was not done".to_owned(),
        event_date,
        awareness_date: None,
        outcome_sought: None,
        preferred_contact: None,
        adjustments: None,
        representation: None,
        child: None,
        source_ref: None,
        route,
    }
}

/// Opens a case received at midday on `received`.
pub fn open_with(received: &str, route: IntakeRoute, event_date: Option<NaiveDate>) -> (Case, Vec<TimelineEvent>) {
    let reference = CaseRef::new("CMP", 2025, 1).expect("reference");
    Case::open(
        reference,
        complaint(route, event_date),
        midday(received),
        "Complaints Team".to_owned(),
        None,
        rules(),
        Actor::System,
    )
}

pub fn open(received: &str) -> Case {
    open_with(received, IntakeRoute::Stage1, None).0
}

/// Applies `command` as staff at midday on `on`.
pub fn try_step(case: &Case, command: Command, on: &str) -> Result<(Case, Vec<TimelineEvent>), Rejected> {
    case.apply(command, midday(on), staff(), rules())
}

pub fn step(case: &Case, command: Command, on: &str) -> Case {
    try_step(case, command, on).expect("command accepted").0
}

/// The `type` tag of each event, as stored.
pub fn event_types(events: &[TimelineEvent]) -> Vec<String> {
    events
        .iter()
        .map(|event| {
            let json = serde_json::to_value(&event.what).expect("event serialises");
            json["type"].as_str().expect("tagged").to_owned()
        })
        .collect()
}

// The journeys below start from a complaint received on Thu 27 Nov 2025 (Mon 1 Dec is St Andrew's
// Day): stage 1 due Thu 4 Dec, cap of 10 working days Thu 11 Dec (mchp-rules §2 worked example).

pub fn stage1_open() -> Case {
    open("2025-11-27")
}

pub fn stage1_extended() -> Case {
    let command = Command::ExtendStage1 {
        authoriser: manager(),
        reason: "Waiting for the contractor's report".to_owned(),
        new_due: date("2025-12-10"),
        customer_told: told("2025-12-03"),
        decided_on: None,
    };
    step(&stage1_open(), command, "2025-12-03")
}

pub fn stage1_closed_as(outcome: Outcome) -> Case {
    let command = Command::CloseStage1 {
        responded_on: date("2025-12-03"),
        outcome,
        signposting: stage2_signposting("2025-12-03"),
    };
    step(&stage1_open(), command, "2025-12-03")
}

pub fn stage1_closed() -> Case {
    stage1_closed_as(Outcome::Resolved)
}

/// Escalated on Mon 15 Dec 2025: acknowledgement due Wed 17 Dec, response due Thu 15 Jan 2026.
pub fn escalated() -> Case {
    step(
        &stage1_closed(),
        Command::Escalate { requested_on: date("2025-12-15"), channel: Channel::Email, received_at: None },
        "2025-12-15",
    )
}

pub fn moved_to_stage2() -> Case {
    let command = Command::MoveToStage2 { decided_on: date("2025-12-02"), reason: "Needs an investigation".to_owned() };
    step(&stage1_open(), command, "2025-12-02")
}

pub fn direct_stage2() -> Case {
    open_with("2025-11-27", IntakeRoute::DirectStage2 { reason: "Serious and high risk".to_owned() }, None).0
}

pub fn stage2_acknowledged() -> Case {
    let command = Command::AcknowledgeStage2 {
        acknowledged_on: date("2025-12-16"),
        points: points(3),
        agreed_on: date("2025-12-16"),
    };
    step(&escalated(), command, "2025-12-16")
}

/// Extended on 12 Jan 2026 to Thu 29 Jan; the first progress update is due Thu 12 Feb.
pub fn stage2_extended() -> Case {
    let command = Command::ExtendStage2 {
        authoriser: manager(),
        reason: "A witness is on leave".to_owned(),
        new_due: date("2026-01-29"),
        customer_told: told("2026-01-12"),
        decided_on: None,
    };
    step(&stage2_acknowledged(), command, "2026-01-12")
}

pub fn stage2_closed() -> Case {
    let command = Command::CloseStage2 {
        responded_on: date("2026-01-27"),
        point_outcomes: vec![Outcome::Upheld, Outcome::NotUpheld, Outcome::Resolved],
        outcome_override: None,
        signposting: spso_signposting("2026-01-27"),
    };
    step(&stage2_extended(), command, "2026-01-27")
}

pub fn withdrawn_at_stage1() -> Case {
    step(&stage1_open(), Command::Withdraw { withdrawn_on: date("2025-12-01"), reason: None }, "2025-12-02")
}

pub fn withdrawn_at_stage2() -> Case {
    let command = Command::Withdraw { withdrawn_on: date("2025-12-18"), reason: Some("Sorted out".to_owned()) };
    step(&stage2_acknowledged(), command, "2025-12-18")
}

pub fn reopened_at_stage2() -> Case {
    let command = Command::Reopen {
        reopened_on: date("2026-02-02"),
        reason: "New evidence".to_owned(),
        respond_by: date("2026-02-16"),
    };
    step(&stage2_closed(), command, "2026-02-02")
}

pub fn referred_to_spso() -> Case {
    step(&stage2_closed(), Command::ReferToSpso { referred_on: date("2026-03-02") }, "2026-03-02")
}

pub fn spso_decided() -> Case {
    let command = Command::RecordSpsoOutcome { decided_on: date("2026-06-01"), outcome: SpsoOutcome::NotUpheld };
    step(&referred_to_spso(), command, "2026-06-01")
}
