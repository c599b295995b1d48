//! Regression tests for the eleven lifecycle defects an independent review found (issue 9), each
//! with the review's own input.

mod support;

use chrono::{DateTime, NaiveTime, Utc};
use complaints_core::case::{Case, Disposition, ReportingBucket, Rules, Stage, Stage2Route, Status};
use complaints_core::command::{Command, Rejected};
use complaints_core::complaint::{Channel, IntakeRoute};
use complaints_core::dates::{reporting_quarter, reporting_year};
use complaints_core::deadlines::ClockStatus;
use complaints_core::outcome::Outcome;
use complaints_core::policy::Policy;
use complaints_core::reference::CaseRef;
use complaints_core::signposting::Stage2Signposting;
use complaints_core::timeline::Actor;
use support::*;

fn reopen(case: &Case, on: &str, respond_by: &str) -> Case {
    let command =
        Command::Reopen { reopened_on: date(on), reason: "New evidence".to_owned(), respond_by: date(respond_by) };
    step(case, command, on)
}

fn close1(on: &str) -> Command {
    Command::CloseStage1 { responded_on: date(on), outcome: Outcome::Upheld, signposting: stage2_signposting(on) }
}

/// Stage 1 closed on Wed 3 Dec 2025 and reopened on Mon 12 Jan 2026, respond by Fri 16 Jan.
fn stage1_reopened() -> Case {
    reopen(&stage1_closed(), "2026-01-12", "2026-01-16")
}

#[test]
fn defect_1_a_response_dated_before_the_reopening_is_refused_at_either_stage() {
    let before = Rejected::DateTooEarly { date: date("2025-11-28"), earliest: date("2026-01-12") };
    assert_eq!(try_step(&stage1_reopened(), close1("2025-11-28"), "2026-01-13").err(), Some(before.clone()));

    let stage2 = reopened_at_stage2(); // closed 27 Jan 2026, reopened 2 Feb
    let command = Command::CloseStage2 {
        responded_on: date("2026-01-28"),
        point_outcomes: vec![Outcome::Upheld; 3],
        outcome_override: None,
        signposting: spso_signposting("2026-01-28"),
    };
    assert_eq!(
        try_step(&stage2, command, "2026-02-03").err(),
        Some(Rejected::DateTooEarly { date: date("2026-01-28"), earliest: date("2026-02-02") })
    );
}

#[test]
fn defect_1_a_move_or_a_withdrawal_dated_before_the_reopening_is_refused() {
    let move2 = Command::MoveToStage2 { decided_on: date("2025-11-28"), reason: "Needs investigating".to_owned() };
    let withdraw = Command::Withdraw { withdrawn_on: date("2025-11-28"), reason: None };
    let before = Rejected::DateTooEarly { date: date("2025-11-28"), earliest: date("2026-01-12") };
    assert_eq!(try_step(&stage1_reopened(), move2, "2026-01-13").err(), Some(before.clone()));
    assert_eq!(try_step(&stage1_reopened(), withdraw, "2026-01-13").err(), Some(before));
    // On the reopening day itself it is fine.
    assert!(try_step(&stage1_reopened(), close1("2026-01-12"), "2026-01-13").is_ok());
}

#[test]
fn defect_2_every_closure_stays_in_the_record_and_a_reopened_stage_counts_from_its_reopening() {
    let reopened = stage1_reopened();
    assert_eq!(reopened.index().closed_on, [date("2025-12-03")], "the first closure is kept");
    let closed_again = step(&reopened, close1("2026-01-14"), "2026-01-14");
    assert_eq!(closed_again.index().closed_on, [date("2025-12-03"), date("2026-01-14")]);
    let reports = closed_again.stage_reports();
    assert_eq!(reports.len(), 2, "one report per opening");
    let (first, second) = (&reports[0], &reports[1]);
    assert_eq!((first.closed_on, first.reopened), (Some(date("2025-12-03")), false));
    // 27, 28 Nov, 2, 3 Dec (1 Dec is St Andrew's Day): 4 working days.
    assert_eq!((first.working_days_taken, first.within_base_timescale), (Some(4), Some(true)));
    assert_eq!(first.received_on, Some(date("2025-11-27")));
    assert_eq!(
        (second.started_on, second.closed_on, second.reopened),
        (date("2026-01-12"), Some(date("2026-01-14")), true)
    );
    // 12, 13, 14 Jan: 3 working days, not the weeks the case was closed.
    assert_eq!((second.working_days_taken, second.within_base_timescale), (Some(3), Some(true)));
    assert_eq!(second.received_on, None, "a reopening is not a new complaint received");
    let stage1 = closed_again.stage1().expect("stage 1");
    assert_eq!(
        stage1.closures().map(|closure| closure.responded_on).collect::<Vec<_>>(),
        [date("2025-12-03"), date("2026-01-14")]
    );
}

#[test]
fn defect_3_an_extension_to_a_date_before_its_decision_is_refused_and_the_decision_date_is_recorded() {
    // Stage 1 due Thu 4 Dec; on Mon 15 Dec a manager extends to Tue 9 Dec.
    let command = Command::ExtendStage1 {
        authoriser: manager(),
        reason: "Late".to_owned(),
        new_due: date("2025-12-09"),
        customer_told: told("2025-12-15"),
        decided_on: None,
    };
    assert_eq!(
        try_step(&stage1_open(), command, "2025-12-15").err(),
        Some(Rejected::ExtensionNotAfterDecision { decided_on: date("2025-12-15") })
    );
    // The customer cannot be told before the decision.
    let command = Command::ExtendStage1 {
        authoriser: manager(),
        reason: "Waiting for a report".to_owned(),
        new_due: date("2025-12-10"),
        customer_told: told("2025-12-02"),
        decided_on: Some(date("2025-12-03")),
    };
    assert_eq!(
        try_step(&stage1_open(), command, "2025-12-03").err(),
        Some(Rejected::DateTooEarly { date: date("2025-12-02"), earliest: date("2025-12-03") })
    );
    let extended = stage1_extended();
    let extension = &extended.stage1().expect("stage 1").response.extensions[0];
    assert_eq!((extension.decided_on, extension.customer_told), (Some(date("2025-12-03")), told("2025-12-03")));
}

#[test]
fn defect_4_the_customer_asks_for_stage_two_straight_away_from_an_open_stage_one() {
    let command =
        Command::RouteDirectToStage2 { routed_on: date("2025-12-02"), reason: "Asked for stage 2".to_owned() };
    let (case, events) = stage1_open()
        .apply(command.clone(), midday("2025-12-02"), Actor::Complainant, rules())
        .expect("the customer may ask for stage 2 before any response");
    let stage2 = case.stage2().expect("at stage 2");
    assert_eq!(stage2.start.effective, date("2025-11-27"), "from the effective receipt date");
    assert_eq!((stage2.acknowledgement.due, stage2.response.due), (date("2025-12-02"), date("2025-12-29")));
    assert!(matches!(stage2.route, Stage2Route::Direct { routed_on: Some(on), .. } if on == date("2025-12-02")));
    assert_eq!(event_types(&events), ["routed-direct-to-stage2", "stage2-started"]);
    let reports = case.stage_reports();
    assert_eq!(reports.len(), 1, "counted once, as stage 2 (direct)");
    assert_eq!((reports[0].bucket, reports[0].received_on), (ReportingBucket::Stage2Direct, Some(date("2025-11-27"))));
    assert_eq!(case.stage1().expect("kept").response.status(), ClockStatus::Stopped { on: date("2025-12-02") });
    // Not once stage 1 has been answered (that is an escalation), even after a reopening.
    assert_eq!(try_step(&stage1_closed(), command.clone(), "2025-12-04").err(), Some(Rejected::AlreadyClosed));
    let reopened = stage1_reopened();
    let again = Command::RouteDirectToStage2 { routed_on: date("2026-01-13"), reason: "Asked".to_owned() };
    assert_eq!(try_step(&reopened, again, "2026-01-13").err(), Some(Rejected::AlreadyResponded));
}

#[test]
fn defect_5_a_case_moved_to_stage_two_ends_its_stage_one_on_the_move_date_without_an_outcome() {
    let case = moved_to_stage2();
    let reports = case.stage_reports();
    let stage1 = &reports[0];
    assert_eq!(stage1.bucket, ReportingBucket::Stage1);
    assert_eq!((stage1.ended_on, stage1.disposition), (Some(date("2025-12-02")), Some(Disposition::MovedToStage2)));
    assert_eq!((stage1.outcome, stage1.closed_on, stage1.working_days_taken), (None, None, None));
    assert_eq!(reports[1].bucket, ReportingBucket::Escalated);
    assert_eq!(reports[1].ended_on, None, "stage 2 is still open");
}

fn open_anonymous(route: IntakeRoute) -> Case {
    let reference = CaseRef::new("CMP", 2025, 2).expect("reference");
    Case::open(
        reference,
        anonymous_complaint(route, None),
        midday("2025-11-27"),
        "Complaints Team".to_owned(),
        None,
        rules(),
        Actor::System,
    )
    .0
}

#[test]
fn defect_6_an_anonymous_complaint_closes_with_no_contact_possible_instead_of_signposting() {
    let case = open_anonymous(IntakeRoute::Stage1);
    let command =
        Command::CloseStage1 { responded_on: date("2025-12-03"), outcome: Outcome::NotUpheld, signposting: None };
    let closed = step(&case, command.clone(), "2025-12-03");
    let closure = closed.stage1().and_then(|stage| stage.closure.clone()).expect("closed");
    assert_eq!(closure.signposting, None, "nobody to signpost: recorded as no contact possible");
    assert!(closed.no_contact_possible());
    // Someone who can be contacted must still be signposted.
    assert_eq!(
        try_step(&stage1_open(), command, "2025-12-03").err(),
        Some(Rejected::SignpostingRequired { stage: Stage::One })
    );
}

#[test]
fn defect_6_an_anonymous_direct_stage_two_records_its_points_without_an_acknowledgement_and_closes() {
    let case = open_anonymous(IntakeRoute::DirectStage2 { reason: "Serious".to_owned() });
    let command = Command::AcknowledgeStage2 {
        acknowledged_on: date("2025-11-28"),
        points: points(2),
        agreed_on: date("2025-11-28"),
    };
    let recorded = step(&case, command, "2025-11-28");
    let stage2 = recorded.stage2().expect("stage 2");
    assert!(stage2.acknowledged.as_ref().is_some_and(|ack| ack.no_contact_possible));
    assert_eq!(
        stage2.acknowledgement.status(),
        ClockStatus::Stopped { on: date("2025-11-28") },
        "not met: nobody acknowledged"
    );
    let close = Command::CloseStage2 {
        responded_on: date("2025-12-19"),
        point_outcomes: vec![Outcome::Upheld, Outcome::NotUpheld],
        outcome_override: None,
        signposting: None,
    };
    let closed = step(&recorded, close, "2025-12-19");
    assert_eq!(closed.status(), Status::Stage2Closed);
}

#[test]
fn defect_7_an_escalation_received_after_the_cut_off_counts_from_the_next_working_day() {
    let cutoff = Policy { cutoff: NaiveTime::from_hms_opt(17, 0, 0), ..Policy::default() };
    let rules = Rules { calendar: &CALENDAR, policy: &cutoff };
    let at: DateTime<Utc> = DateTime::parse_from_rfc3339("2025-12-12T17:30:00Z").expect("instant").with_timezone(&Utc);
    let escalate =
        |received_at| Command::Escalate { requested_on: date("2025-12-12"), channel: Channel::Email, received_at };
    let (late_in_day, _) = stage1_closed().apply(escalate(Some(at)), at, Actor::Complainant, rules).expect("escalated");
    assert_eq!(late_in_day.stage2().expect("stage 2").start.effective, date("2025-12-15"), "Friday 17:30 → Monday");
    let (date_only, _) = stage1_closed().apply(escalate(None), at, Actor::Complainant, rules).expect("escalated");
    assert_eq!(date_only.stage2().expect("stage 2").start.effective, date("2025-12-12"), "no time known: the date");
    let wrong_day =
        Command::Escalate { requested_on: date("2025-12-11"), channel: Channel::Email, received_at: Some(at) };
    assert_eq!(
        stage1_closed().apply(wrong_day, at, Actor::Complainant, rules).err(),
        Some(Rejected::DateMismatch { date: date("2025-12-11"), expected: date("2025-12-12") })
    );
}

#[test]
fn defect_8_an_spso_referral_needs_the_final_response_and_is_refused_on_withdrawn_cases() {
    let refer = |on: &str| Command::ReferToSpso { referred_on: date(on) };
    assert_eq!(try_step(&stage1_closed(), refer("2025-12-10"), "2025-12-10").err(), Some(Rejected::NoFinalResponse));
    assert_eq!(try_step(&withdrawn_at_stage2(), refer("2025-12-20"), "2025-12-20").err(), Some(Rejected::Withdrawn));
    assert_eq!(
        try_step(&stage2_closed(), refer("2026-01-20"), "2026-02-20").err(),
        Some(Rejected::DateTooEarly { date: date("2026-01-20"), earliest: date("2026-01-27") })
    );
    assert!(try_step(&stage2_closed(), refer("2026-01-27"), "2026-02-20").is_ok());
}

#[test]
fn defect_9_stage_one_signposting_before_the_response_or_without_the_time_limit_is_refused() {
    let with = |given_on: &str, time_limit_given| Command::CloseStage1 {
        responded_on: date("2025-12-03"),
        outcome: Outcome::Resolved,
        signposting: Some(Stage2Signposting { given_on: date(given_on), channel: Channel::Phone, time_limit_given }),
    };
    assert_eq!(
        try_step(&stage1_open(), with("2025-12-02", true), "2025-12-03").err(),
        Some(Rejected::DateTooEarly { date: date("2025-12-02"), earliest: date("2025-12-03") })
    );
    assert_eq!(
        try_step(&stage1_open(), with("2025-12-03", false), "2025-12-03").err(),
        Some(Rejected::EscalationTimeLimitNotGiven)
    );
    assert!(try_step(&stage1_open(), with("2025-12-04", true), "2025-12-04").is_ok(), "signposted the day after");
}

#[test]
fn defect_10_a_reopened_stage_one_extension_is_capped_from_the_reopening_and_shows_as_extended() {
    let reopened = stage1_reopened(); // reopened Mon 12 Jan 2026: ten working days end Fri 23 Jan
    let extend = |new_due: &str| Command::ExtendStage1 {
        authoriser: manager(),
        reason: "Waiting for the new evidence".to_owned(),
        new_due: date(new_due),
        customer_told: told("2026-01-13"),
        decided_on: None,
    };
    assert_eq!(
        try_step(&reopened, extend("2026-01-26"), "2026-01-13").err(),
        Some(Rejected::ExtensionBeyondCap { cap: date("2026-01-23") })
    );
    let extended = step(&reopened, extend("2026-01-21"), "2026-01-13");
    assert_eq!(extended.status(), Status::Stage1Extended);
    assert_eq!(try_step(&extended, extend("2026-01-22"), "2026-01-13").err(), Some(Rejected::AlreadyExtended));
    let closed = step(&extended, close1("2026-01-20"), "2026-01-20");
    let last = closed.stage_reports().pop().expect("a report");
    assert!(last.extended, "K6 counts the reopened stage's extension");
    assert_eq!(last.within_base_timescale, Some(false), "after the set date of 16 Jan: not within");
    assert!(!closed.stage_reports()[0].extended, "the first opening was not extended");
}

#[test]
fn defect_10_a_reopened_and_extended_stage_two_has_a_progress_update_due() {
    let reopened = reopened_at_stage2(); // respond by Mon 16 Feb 2026
    let command = Command::ExtendStage2 {
        authoriser: manager(),
        reason: "Another witness".to_owned(),
        new_due: date("2026-03-16"),
        customer_told: told("2026-02-10"),
        decided_on: None,
    };
    let extended = step(&reopened, command, "2026-02-10");
    assert_eq!(extended.status(), Status::Stage2Extended);
    let progress = extended.stage2().and_then(|stage| stage.progress.clone()).expect("a progress clock");
    assert!(progress.is_running());
    // 20 working days after 16 Feb 2026.
    assert_eq!(progress.due, date("2026-03-16"));
    assert_eq!(extended.index().next_due, Some(date("2026-03-16")));
    assert!(extended.stage_reports().last().is_some_and(|report| report.extended));
}

#[test]
fn defect_11_a_complaint_received_on_saturday_31_march_counts_in_that_reporting_year() {
    let reference = CaseRef::new("CMP", 2029, 1).expect("reference");
    let (case, _) = Case::open(
        reference,
        complaint(IntakeRoute::Stage1, None),
        midday("2029-03-31"),
        "Complaints Team".to_owned(),
        None,
        rules(),
        Actor::System,
    );
    assert_eq!(case.effective_receipt(), date("2029-04-02"), "the clock starts on Monday 2 April");
    assert_eq!(case.index().received_on, date("2029-03-31"), "received on the Saturday");
    let report = &case.stage_reports()[0];
    assert_eq!(report.received_on, Some(date("2029-03-31")));
    assert_eq!(report.started_on, date("2029-04-02"));
    let received = report.received_on.expect("received");
    assert_eq!((reporting_year(received), reporting_quarter(received)), (2028, 4), "2028/29, Q4");
}
