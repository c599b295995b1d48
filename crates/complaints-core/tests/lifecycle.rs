//! The case lifecycle state machine: every transition, every refusal, the escalation warning, late
//! complaints, the reporting buckets, the index and serde round-trips (mchp-rules §1, §3–§6).

mod support;

use complaints_core::case::{Case, CaseEvent, ReportingBucket, Stage, Stage2Route, Status, Warning, warnings};
use complaints_core::command::{Command, Rejected};
use complaints_core::complaint::{Channel, IntakeRoute};
use complaints_core::deadlines::ClockStatus;
use complaints_core::outcome::{Outcome, OutcomeOverride, SpsoOutcome};
use complaints_core::timeline::{Actor, Authoriser, StaffRole};
use support::*;

/// Every state a case can be in, built by walking the lifecycle.
fn every_state() -> Vec<(&'static str, Case, Status, bool)> {
    vec![
        ("stage 1 open", stage1_open(), Status::Stage1Open, true),
        ("stage 1 extended", stage1_extended(), Status::Stage1Extended, true),
        ("stage 1 closed", stage1_closed(), Status::Stage1Closed, false),
        ("moved to stage 2", moved_to_stage2(), Status::Stage2AwaitingAcknowledgement, true),
        ("escalated", escalated(), Status::Stage2AwaitingAcknowledgement, true),
        ("direct stage 2", direct_stage2(), Status::Stage2AwaitingAcknowledgement, true),
        ("stage 2 acknowledged", stage2_acknowledged(), Status::Stage2Acknowledged, true),
        ("stage 2 extended", stage2_extended(), Status::Stage2Extended, true),
        ("stage 2 closed", stage2_closed(), Status::Stage2Closed, false),
        ("withdrawn at stage 1", withdrawn_at_stage1(), Status::Withdrawn { stage: Stage::One }, false),
        ("withdrawn at stage 2", withdrawn_at_stage2(), Status::Withdrawn { stage: Stage::Two }, false),
        // A reopened stage is measured from its reopening: not extended since (defect 10).
        ("reopened at stage 2", reopened_at_stage2(), Status::Stage2Acknowledged, true),
        ("referred to the SPSO", referred_to_spso(), Status::Stage2Closed, false),
        ("SPSO decided", spso_decided(), Status::Stage2Closed, false),
    ]
}

#[test]
fn each_walk_through_the_lifecycle_reaches_the_expected_status_and_openness() {
    for (name, case, status, open) in every_state() {
        assert_eq!(case.status(), status, "{name}");
        assert_eq!(case.is_open(), open, "{name}");
        assert_eq!(case.index().open, open, "{name}");
        assert_eq!(case.index().next_due.is_some(), open, "{name}: only open cases have a running clock");
    }
}

#[test]
fn a_case_in_every_state_round_trips_through_json() {
    for (name, case, _, _) in every_state() {
        let json = serde_json::to_string(&case).expect("serialises");
        let back: Case = serde_json::from_str(&json).expect("deserialises");
        assert_eq!(back, case, "{name}");
    }
}

#[test]
fn every_timeline_event_of_a_journey_round_trips_through_json() {
    let (case, mut events) = open_with("2025-11-27", IntakeRoute::Stage1, Some(date("2025-01-10")));
    let steps = [
        (Command::AcceptLateComplaint { reason: "Was in hospital".to_owned() }, "2025-11-28"),
        (
            Command::CloseStage1 {
                responded_on: date("2025-12-03"),
                outcome: Outcome::NotUpheld,
                signposting: stage2_signposting("2025-12-03"),
            },
            "2025-12-03",
        ),
        (
            Command::Escalate { requested_on: date("2026-04-01"), channel: Channel::Letter, received_at: None },
            "2026-04-01",
        ),
    ];
    let mut case = case;
    for (command, on) in steps {
        let (next, more) = try_step(&case, command, on).expect("accepted");
        case = next;
        events.extend(more);
    }
    assert_eq!(
        event_types(&events),
        ["received", "warned", "late-complaint-accepted", "stage1-closed", "stage2-started", "warned"],
        "received, warning, accepted, closed, started and a late-escalation warning"
    );
    for event in &events {
        let json = serde_json::to_string(event).expect("serialises");
        assert_eq!(
            &serde_json::from_str::<complaints_core::timeline::TimelineEvent>(&json).expect("deserialises"),
            event
        );
    }
}

#[test]
fn opening_a_stage_one_complaint_starts_the_five_working_day_clock() {
    for (received, due) in [("2025-11-27", "2025-12-04"), ("2025-11-29", "2025-12-08"), ("2025-12-19", "2025-12-29")] {
        let (case, events) = open_with(received, IntakeRoute::Stage1, None);
        assert_eq!(case.stage1_due(), date(due), "received {received}");
        assert_eq!(case.response_due(), date(due), "received {received}");
        assert_eq!(case.index().next_due, Some(date(due)), "received {received}");
        assert_eq!(event_types(&events), ["received"], "received {received}");
        assert_eq!(case.stage_reports().len(), 1);
        assert_eq!(case.stage_reports()[0].bucket, ReportingBucket::Stage1);
    }
}

#[test]
fn a_direct_stage_two_complaint_starts_both_stage_two_clocks_at_the_effective_receipt() {
    let (case, events) = open_with("2025-11-27", IntakeRoute::DirectStage2 { reason: "High risk".to_owned() }, None);
    let stage2 = case.stage2().expect("at stage 2");
    assert!(case.stage1().is_none());
    assert_eq!(stage2.start.effective, date("2025-11-27"));
    assert_eq!(stage2.route, Stage2Route::Direct { reason: "High risk".to_owned(), routed_on: None });
    assert_eq!(stage2.acknowledgement.due, date("2025-12-02"));
    assert_eq!(stage2.response.due, date("2025-12-29"));
    assert_eq!(case.stage1_due(), date("2025-12-29"), "no stage 1: the response the customer waits for");
    assert_eq!(case.index().next_due, Some(date("2025-12-02")), "the acknowledgement is due first");
    assert_eq!(event_types(&events), ["received-at-stage2", "stage2-started"]);
    assert_eq!(case.stage_reports()[0].bucket, ReportingBucket::Stage2Direct);
}

#[test]
fn a_complaint_made_after_six_months_opens_with_a_warning_and_staff_may_accept_it() {
    let (case, events) = open_with("2025-11-27", IntakeRoute::Stage1, Some(date("2025-01-10")));
    assert!(case.looks_late());
    assert_eq!(warnings(&events), [&Warning::ComplaintMayBeLate { time_limit: date("2025-07-10") }]);
    assert!(case.is_open(), "a late complaint is never blocked (R15)");

    let (accepted, events) =
        try_step(&case, Command::AcceptLateComplaint { reason: "Was in hospital".to_owned() }, "2025-11-28")
            .expect("accepted");
    let record = accepted.late_acceptance().expect("recorded");
    assert_eq!(
        (record.staff_id.as_str(), record.reason.as_str(), record.at),
        ("staff-17", "Was in hospital", midday("2025-11-28"))
    );
    assert_eq!(event_types(&events), ["late-complaint-accepted"]);

    let again = try_step(&accepted, Command::AcceptLateComplaint { reason: "Again".to_owned() }, "2025-11-28");
    assert_eq!(again.err(), Some(Rejected::LateAlreadyAccepted));
}

#[test]
fn a_complaint_made_in_time_opens_without_a_warning() {
    let (case, events) = open_with("2025-11-27", IntakeRoute::Stage1, Some(date("2025-06-01")));
    assert!(!case.looks_late());
    assert!(warnings(&events).is_empty());
}

#[test]
fn a_manager_extends_stage_one_recording_who_why_the_new_date_and_when_the_customer_was_told() {
    let (case, events) = try_step(
        &stage1_open(),
        Command::ExtendStage1 {
            authoriser: manager(),
            reason: "Waiting for the contractor's report".to_owned(),
            new_due: date("2025-12-11"),
            customer_told: told("2025-12-03"),
            decided_on: None,
        },
        "2025-12-03",
    )
    .expect("a manager may extend up to the cap");
    let clock = &case.stage1().expect("stage 1").response;
    assert_eq!((clock.base_due, clock.due), (date("2025-12-04"), date("2025-12-11")));
    let extension = &clock.extensions[0];
    assert_eq!(extension.authoriser, manager());
    assert_eq!(extension.previous_due, date("2025-12-04"));
    assert_eq!(extension.customer_told, told("2025-12-03"));
    assert_eq!(event_types(&events), ["stage1-extended"]);
    assert_eq!(case.status(), Status::Stage1Extended);
}

#[test]
fn closing_stage_one_records_the_outcome_signposting_and_escalation_deadline_for_every_outcome() {
    for outcome in [Outcome::Upheld, Outcome::PartiallyUpheld, Outcome::NotUpheld, Outcome::Resolved] {
        let case = stage1_closed_as(outcome);
        let closure = case.stage1().and_then(|stage| stage.closure.clone()).expect("closed");
        assert_eq!(closure.outcome, outcome);
        assert_eq!(closure.signposting, stage2_signposting("2025-12-03"));
        assert_eq!(closure.escalation_deadline, date("2026-02-03"), "2 months after the response (R16)");
        assert_eq!(case.escalation_deadline(), Some(date("2026-02-03")));
        assert_eq!(case.index().closed_on, [date("2025-12-03")]);
        assert_eq!(case.stage1().expect("stage 1").response.status(), ClockStatus::Met { on: date("2025-12-03") });
    }
}

#[test]
fn the_organisation_moves_an_open_stage_one_complaint_to_stage_two_from_its_decision_date() {
    let case = moved_to_stage2();
    let stage2 = case.stage2().expect("at stage 2");
    assert_eq!(stage2.start.effective, date("2025-12-02"));
    assert_eq!(
        stage2.route,
        Stage2Route::MovedByOrganisation {
            decided_on: date("2025-12-02"),
            reason: "Needs an investigation".to_owned()
        }
    );
    assert_eq!(stage2.acknowledgement.due, date("2025-12-04"));
    assert_eq!(case.stage1().expect("stage 1").response.status(), ClockStatus::Stopped { on: date("2025-12-02") });
    let buckets: Vec<_> = case.stage_reports().iter().map(|report| report.bucket).collect();
    assert_eq!(buckets, [ReportingBucket::Stage1, ReportingBucket::Escalated]);
    assert_eq!(case.index().closed_on, [date("2025-12-02")], "stage 1 ended on the move date");
}

#[test]
fn the_customer_escalates_after_a_resolved_stage_one_from_the_effective_date_of_the_request() {
    // Requested on Saturday 13 Dec 2025: the clocks count from Monday 15 Dec.
    let (case, events) = stage1_closed()
        .apply(
            Command::Escalate { requested_on: date("2025-12-13"), channel: Channel::Email, received_at: None },
            midday("2025-12-13"),
            Actor::Complainant,
            rules(),
        )
        .expect("the customer may escalate a resolved complaint");
    let stage2 = case.stage2().expect("at stage 2");
    assert_eq!(stage2.start.effective, date("2025-12-15"));
    assert_eq!((stage2.acknowledgement.due, stage2.response.due), (date("2025-12-17"), date("2026-01-15")));
    assert_eq!(event_types(&events), ["stage2-started"]);
    assert_eq!(events[0].actor, Actor::Complainant);
    let buckets: Vec<_> = case.stage_reports().iter().map(|report| report.bucket).collect();
    assert_eq!(buckets, [ReportingBucket::Stage1, ReportingBucket::Escalated], "counted at both stages (R49)");
}

#[test]
fn a_late_escalation_is_accepted_with_a_warning_never_refused() {
    // (event date, requested on, escalation deadline, late)
    let table = [
        (None, "2026-02-03", "2026-02-03", false),
        (None, "2026-02-04", "2026-02-03", true),
        (Some("2025-10-01"), "2026-03-31", "2026-04-01", false),
        (Some("2025-10-01"), "2026-04-02", "2026-04-01", true),
    ];
    for (event_date, requested, deadline, late) in table {
        let (case, _) = open_with("2025-11-27", IntakeRoute::Stage1, event_date.map(date));
        let command = Command::CloseStage1 {
            responded_on: date("2025-12-03"),
            outcome: Outcome::Upheld,
            signposting: stage2_signposting("2025-12-03"),
        };
        let closed = step(&case, command, "2025-12-03");
        let (escalated, events) = try_step(
            &closed,
            Command::Escalate { requested_on: date(requested), channel: Channel::Email, received_at: None },
            requested,
        )
        .expect("never refused for lateness");
        let route = escalated.stage2().map(|stage| stage.route.clone());
        assert_eq!(
            route,
            Some(Stage2Route::EscalatedByCustomer {
                requested_on: date(requested),
                channel: Channel::Email,
                escalation_deadline: date(deadline),
                late
            }),
            "requested {requested}"
        );
        let expected: Vec<Warning> = if late {
            vec![Warning::EscalationAfterTimeLimit { time_limit: date(deadline), requested_on: date(requested) }]
        } else {
            Vec::new()
        };
        assert_eq!(warnings(&events).into_iter().cloned().collect::<Vec<_>>(), expected, "requested {requested}");
    }
}

#[test]
fn stage_two_is_acknowledged_with_points_of_complaint_and_the_date_they_were_agreed() {
    let (case, events) = try_step(
        &escalated(),
        Command::AcknowledgeStage2 {
            acknowledged_on: date("2025-12-16"),
            points: points(2),
            agreed_on: date("2025-12-16"),
        },
        "2025-12-16",
    )
    .expect("accepted");
    let stage2 = case.stage2().expect("stage 2");
    let acknowledged = stage2.acknowledged.as_ref().expect("acknowledged");
    assert_eq!(acknowledged.points, points(2));
    assert_eq!(acknowledged.agreed_on, date("2025-12-16"));
    assert_eq!(stage2.acknowledgement.status(), ClockStatus::Met { on: date("2025-12-16") });
    assert_eq!(case.index().next_due, Some(date("2026-01-15")), "now only the response is running");
    assert_eq!(event_types(&events), ["stage2-acknowledged"]);
}

#[test]
fn extending_stage_two_starts_progress_updates_every_twenty_working_days_from_the_original_due_date() {
    let (case, events) = try_step(
        &stage2_acknowledged(),
        Command::ExtendStage2 {
            authoriser: manager(),
            reason: "A witness is on leave".to_owned(),
            new_due: date("2026-03-02"),
            customer_told: told("2026-01-12"),
            decided_on: None,
        },
        "2026-01-12",
    )
    .expect("accepted");
    let stage2 = case.stage2().expect("stage 2");
    assert_eq!((stage2.response.base_due, stage2.response.due), (date("2026-01-15"), date("2026-03-02")));
    let progress = stage2.progress.as_ref().expect("progress clock");
    assert_eq!(progress.due, date("2026-02-12"));
    assert_eq!(case.index().next_due, Some(date("2026-02-12")), "the progress update is due before the response");
    assert_eq!(event_types(&events), ["stage2-extended"]);

    // Stage 2 may be extended again; the progress cycle carries on.
    let again = Command::ExtendStage2 {
        authoriser: manager(),
        reason: "More evidence".to_owned(),
        new_due: date("2026-03-16"),
        customer_told: told("2026-02-20"),
        decided_on: None,
    };
    let twice = step(&case, again, "2026-02-20");
    assert_eq!(twice.stage2().expect("stage 2").response.extensions.len(), 2);
    assert_eq!(twice.response_due(), date("2026-03-16"));
}

#[test]
fn a_progress_update_meets_the_current_cycle_and_starts_the_next_one() {
    let (case, events) = try_step(
        &stage2_extended(),
        Command::GiveProgressUpdate { given_on: date("2026-01-20"), channel: Channel::Phone },
        "2026-01-20",
    )
    .expect("accepted");
    let stage2 = case.stage2().expect("stage 2");
    assert_eq!(stage2.progress_updates.len(), 1);
    assert_eq!(stage2.progress_updates[0].due, date("2026-02-12"));
    assert_eq!(stage2.progress.as_ref().map(|clock| clock.due), Some(date("2026-02-17")));
    assert_eq!(event_types(&events), ["progress-update-given"]);
}

#[test]
fn closing_stage_two_rolls_up_point_outcomes_records_spso_signposting_and_stops_every_clock() {
    let case = stage2_closed();
    let stage2 = case.stage2().expect("stage 2");
    let closure = stage2.closure.as_ref().expect("closed");
    assert_eq!(closure.point_outcomes, [Outcome::Upheld, Outcome::NotUpheld, Outcome::Resolved]);
    assert_eq!((closure.rolled_up, closure.outcome), (Outcome::PartiallyUpheld, Outcome::PartiallyUpheld));
    assert_eq!(closure.signposting.as_ref().map(|given| given.template_version.as_str()), Some("spso-block-v3"));
    assert!(case.running_clocks().next().is_none());
    assert_eq!(
        stage2.progress.as_ref().map(|clock| clock.status()),
        Some(ClockStatus::Stopped { on: date("2026-01-27") })
    );
    assert_eq!(case.index().closed_on, [date("2025-12-03"), date("2026-01-27")], "one date per stage closure");
}

#[test]
fn a_handler_may_override_the_rolled_up_outcome_with_a_reason() {
    let command = Command::CloseStage2 {
        responded_on: date("2026-01-27"),
        point_outcomes: vec![Outcome::Upheld, Outcome::NotUpheld, Outcome::NotUpheld],
        outcome_override: Some(OutcomeOverride {
            outcome: Outcome::NotUpheld,
            reason: "The upheld point was trivial".to_owned(),
        }),
        signposting: spso_signposting("2026-01-27"),
    };
    let case = step(&stage2_extended(), command, "2026-01-27");
    let closure = case.stage2().and_then(|stage| stage.closure.clone()).expect("closed");
    assert_eq!((closure.rolled_up, closure.outcome), (Outcome::PartiallyUpheld, Outcome::NotUpheld));
    assert_eq!(closure.override_reason.as_deref(), Some("The upheld point was trivial"));
}

#[test]
fn withdrawal_is_its_own_disposition_at_either_stage_and_stops_the_clocks() {
    for (case, stage, on) in
        [(withdrawn_at_stage1(), Stage::One, "2025-12-01"), (withdrawn_at_stage2(), Stage::Two, "2025-12-18")]
    {
        let withdrawal = case.withdrawal().expect("withdrawn");
        assert_eq!((withdrawal.stage, withdrawal.withdrawn_on), (stage, date(on)));
        assert!(case.running_clocks().next().is_none());
        assert!(
            case.clocks()
                .iter()
                .all(|clock| matches!(clock.status(), ClockStatus::Stopped { .. } | ClockStatus::Met { .. }))
        );
        assert!(case.index().closed_on.contains(&date(on)));
        let report =
            case.stage_reports().into_iter().find(|report| report.stage == stage).expect("a report for the stage");
        assert_eq!(
            (report.withdrawn_on, report.outcome, report.closed_on),
            (Some(date(on)), None, None),
            "withdrawn has no outcome (R33)"
        );
    }
}

#[test]
fn a_closed_stage_two_is_reopened_with_a_new_response_date_and_closed_again() {
    let case = reopened_at_stage2();
    assert!(case.is_open());
    assert_eq!(case.response_due(), date("2026-02-16"));
    assert_eq!(case.index().next_due, Some(date("2026-02-16")));
    let reopening = &case.reopenings()[0];
    assert_eq!(
        (reopening.stage, reopening.previous_responded_on, reopening.previous_outcome),
        (Stage::Two, date("2026-01-27"), Outcome::PartiallyUpheld)
    );
    assert_eq!(
        case.index().closed_on,
        [date("2025-12-03"), date("2026-01-27")],
        "the set-aside closure stays a closure in its own period"
    );

    let command = Command::CloseStage2 {
        responded_on: date("2026-02-13"),
        point_outcomes: vec![Outcome::Upheld; 3],
        outcome_override: None,
        signposting: spso_signposting("2026-02-13"),
    };
    let closed = step(&case, command, "2026-02-13");
    assert_eq!(closed.status(), Status::Stage2Closed);
    let reopened_clock = closed.stage2().and_then(|stage| stage.reopened_response.clone()).expect("reopened clock");
    assert_eq!(reopened_clock.status(), ClockStatus::Met { on: date("2026-02-13") });
}

#[test]
fn a_closed_stage_one_is_reopened_after_a_clear_error_and_its_new_date_runs() {
    let command = Command::Reopen {
        reopened_on: date("2025-12-08"),
        reason: "Wrong address on file".to_owned(),
        respond_by: date("2025-12-12"),
    };
    let (case, events) = try_step(&stage1_closed(), command, "2025-12-08").expect("accepted");
    assert_eq!(case.status(), Status::Stage1Open);
    assert_eq!((case.response_due(), case.index().next_due), (date("2025-12-12"), Some(date("2025-12-12"))));
    assert_eq!(case.escalation_deadline(), None, "no stage 1 response stands until it is answered again");
    assert_eq!(event_types(&events), ["reopened"]);
    for (respond_by, expected) in [
        ("2025-12-05", Rejected::DateTooEarly { date: date("2025-12-05"), earliest: date("2025-12-08") }),
        ("2025-12-13", Rejected::NotAWorkingDay { date: date("2025-12-13") }),
    ] {
        let command = Command::Reopen {
            reopened_on: date("2025-12-08"),
            reason: "Error".to_owned(),
            respond_by: date(respond_by),
        };
        assert_eq!(try_step(&stage1_closed(), command, "2025-12-08").err(), Some(expected), "respond by {respond_by}");
    }
}

#[test]
fn an_spso_referral_and_its_outcome_are_recorded_after_the_final_response() {
    let case = spso_decided();
    let referral = case.spso_referral().expect("referred");
    assert_eq!(referral.referred_on, date("2026-03-02"));
    assert_eq!((referral.outcome, referral.decided_on), (Some(SpsoOutcome::NotUpheld), Some(date("2026-06-01"))));
}

#[test]
fn accepted_commands_record_who_did_what_and_when() {
    let at = midday("2025-12-03");
    let command = Command::CloseStage1 {
        responded_on: date("2025-12-03"),
        outcome: Outcome::Upheld,
        signposting: stage2_signposting("2025-12-03"),
    };
    let (_, events) = stage1_open().apply(command, at, staff(), rules()).expect("accepted");
    assert_eq!(events.len(), 1);
    assert_eq!((events[0].at, &events[0].actor), (at, &staff()));
    assert!(matches!(&events[0].what, CaseEvent::Stage1Closed { closure } if closure.outcome == Outcome::Upheld));
}

fn handler_authoriser() -> Authoriser {
    Authoriser { staff_id: "staff-17".to_owned(), role: StaffRole::Handler }
}

fn extend1(by: Authoriser, new_due: &str) -> Command {
    Command::ExtendStage1 {
        authoriser: by,
        reason: "Need more time".to_owned(),
        new_due: date(new_due),
        customer_told: told("2025-12-03"),
        decided_on: None,
    }
}

fn close2(outcomes: Vec<Outcome>, outcome_override: Option<OutcomeOverride>, template: &str) -> Command {
    Command::CloseStage2 {
        responded_on: date("2026-01-27"),
        point_outcomes: outcomes,
        outcome_override,
        signposting: spso_signposting("2026-01-27").map(|mut given| {
            given.template_version = template.to_owned();
            given
        }),
    }
}

#[test]
fn illegal_moves_are_refused_with_a_reason_that_says_why() {
    let close1 =
        |signposting| Command::CloseStage1 { responded_on: date("2025-12-03"), outcome: Outcome::Upheld, signposting };
    let three = || vec![Outcome::Upheld; 3];
    let table: Vec<(&str, Case, Command, Actor, Rejected)> = vec![
        (
            "a handler cannot authorise an extension",
            stage1_open(),
            extend1(handler_authoriser(), "2025-12-08"),
            staff(),
            Rejected::ExtensionNeedsManager { role: StaffRole::Handler },
        ),
        (
            "stage 1 cannot go past ten working days",
            stage1_open(),
            extend1(manager(), "2025-12-12"),
            staff(),
            Rejected::ExtensionBeyondCap { cap: date("2025-12-11") },
        ),
        (
            "an extension must move the date later",
            stage1_open(),
            extend1(manager(), "2025-12-04"),
            staff(),
            Rejected::ExtensionNotLater { current_due: date("2025-12-04") },
        ),
        (
            "stage 1 is extended only once",
            stage1_extended(),
            extend1(manager(), "2025-12-11"),
            staff(),
            Rejected::AlreadyExtended,
        ),
        (
            "an extension ends on a working day",
            stage1_open(),
            extend1(manager(), "2025-12-06"),
            staff(),
            Rejected::NotAWorkingDay { date: date("2025-12-06") },
        ),
        (
            "stage 1 cannot close without signposting",
            stage1_open(),
            close1(None),
            staff(),
            Rejected::SignpostingRequired { stage: Stage::One },
        ),
        (
            "stage 2 cannot close without SPSO signposting",
            stage2_acknowledged(),
            Command::CloseStage2 {
                responded_on: date("2026-01-27"),
                point_outcomes: three(),
                outcome_override: None,
                signposting: None,
            },
            staff(),
            Rejected::SignpostingRequired { stage: Stage::Two },
        ),
        (
            "stage 2 signposting names its template version",
            stage2_acknowledged(),
            close2(three(), None, " "),
            staff(),
            Rejected::Blank { field: "SPSO signposting template version" },
        ),
        (
            "a stage 1 extension needs stage 1",
            escalated(),
            extend1(manager(), "2025-12-11"),
            staff(),
            Rejected::NotAtStage { expected: Stage::One },
        ),
        (
            "a stage 2 acknowledgement needs stage 2",
            stage1_open(),
            Command::AcknowledgeStage2 {
                acknowledged_on: date("2025-12-01"),
                points: points(1),
                agreed_on: date("2025-12-01"),
            },
            staff(),
            Rejected::NotAtStage { expected: Stage::Two },
        ),
        (
            "a closed stage cannot close again",
            stage1_closed(),
            close1(stage2_signposting("2025-12-03")),
            staff(),
            Rejected::AlreadyClosed,
        ),
        (
            "a withdrawn complaint cannot close",
            withdrawn_at_stage1(),
            close1(stage2_signposting("2025-12-03")),
            staff(),
            Rejected::Withdrawn,
        ),
        (
            "a withdrawn complaint cannot be escalated",
            withdrawn_at_stage1(),
            Command::Escalate { requested_on: date("2025-12-03"), channel: Channel::Email, received_at: None },
            Actor::Complainant,
            Rejected::Withdrawn,
        ),
        (
            "escalation waits for the stage 1 response",
            stage1_open(),
            Command::Escalate { requested_on: date("2025-12-03"), channel: Channel::Email, received_at: None },
            Actor::Complainant,
            Rejected::StillOpen,
        ),
        (
            "a stage 2 complaint cannot be escalated again",
            stage2_closed(),
            Command::Escalate { requested_on: date("2026-02-03"), channel: Channel::Email, received_at: None },
            Actor::Complainant,
            Rejected::AlreadyAtStage2,
        ),
        (
            "a stage 2 complaint cannot be moved to stage 2",
            escalated(),
            Command::MoveToStage2 { decided_on: date("2025-12-16"), reason: "Again".to_owned() },
            staff(),
            Rejected::AlreadyAtStage2,
        ),
        (
            "stage 2 closes only once acknowledged",
            escalated(),
            close2(three(), None, "v1"),
            staff(),
            Rejected::NotAcknowledged,
        ),
        (
            "stage 2 is acknowledged once",
            stage2_acknowledged(),
            Command::AcknowledgeStage2 {
                acknowledged_on: date("2025-12-17"),
                points: points(1),
                agreed_on: date("2025-12-17"),
            },
            staff(),
            Rejected::AlreadyAcknowledged,
        ),
        (
            "an acknowledgement needs points of complaint",
            escalated(),
            Command::AcknowledgeStage2 {
                acknowledged_on: date("2025-12-16"),
                points: Vec::new(),
                agreed_on: date("2025-12-16"),
            },
            staff(),
            Rejected::NoPointsOfComplaint,
        ),
        (
            "the final response cannot predate the acknowledgement that agreed its points",
            stage2_acknowledged(),
            Command::CloseStage2 {
                responded_on: date("2025-12-15"),
                point_outcomes: three(),
                outcome_override: None,
                signposting: spso_signposting("2025-12-15"),
            },
            staff(),
            Rejected::DateTooEarly { date: date("2025-12-15"), earliest: date("2025-12-16") },
        ),
        (
            "every point gets an outcome",
            stage2_acknowledged(),
            close2(vec![Outcome::Upheld; 2], None, "v1"),
            staff(),
            Rejected::PointOutcomesMismatch { points: 3, outcomes: 2 },
        ),
        (
            "an override needs a reason",
            stage2_acknowledged(),
            close2(three(), Some(OutcomeOverride { outcome: Outcome::NotUpheld, reason: String::new() }), "v1"),
            staff(),
            Rejected::Blank { field: "override reason" },
        ),
        (
            "progress updates need an extension",
            stage2_acknowledged(),
            Command::GiveProgressUpdate { given_on: date("2025-12-18"), channel: Channel::Phone },
            staff(),
            Rejected::NotExtended,
        ),
        (
            "moving to stage 2 needs a reason",
            stage1_open(),
            Command::MoveToStage2 { decided_on: date("2025-12-02"), reason: "  ".to_owned() },
            staff(),
            Rejected::Blank { field: "reason" },
        ),
        (
            "a response cannot be dated in the future",
            stage1_open(),
            Command::CloseStage1 {
                responded_on: date("2026-07-02"),
                outcome: Outcome::Upheld,
                signposting: stage2_signposting("2025-12-03"),
            },
            staff(),
            Rejected::DateInFuture { date: date("2026-07-02") },
        ),
        (
            "a response cannot predate the stage",
            stage1_open(),
            Command::CloseStage1 {
                responded_on: date("2025-11-26"),
                outcome: Outcome::Upheld,
                signposting: stage2_signposting("2025-12-03"),
            },
            staff(),
            Rejected::DateTooEarly { date: date("2025-11-26"), earliest: date("2025-11-27") },
        ),
        (
            "an in-time complaint needs no late acceptance",
            stage1_open(),
            Command::AcceptLateComplaint { reason: "Just in case".to_owned() },
            staff(),
            Rejected::NotLate,
        ),
        (
            "only staff accept a late complaint",
            stage1_open(),
            Command::AcceptLateComplaint { reason: "Just in case".to_owned() },
            Actor::System,
            Rejected::NeedsStaff,
        ),
        (
            "the complainant cannot close a stage",
            stage1_open(),
            close1(stage2_signposting("2025-12-03")),
            Actor::Complainant,
            Rejected::NeedsStaff,
        ),
        (
            "an open case cannot be reopened",
            stage1_open(),
            Command::Reopen {
                reopened_on: date("2025-12-03"),
                reason: "Error".to_owned(),
                respond_by: date("2025-12-05"),
            },
            staff(),
            Rejected::StillOpen,
        ),
        (
            "a withdrawn complaint is not reopened",
            withdrawn_at_stage1(),
            Command::Reopen {
                reopened_on: date("2025-12-03"),
                reason: "Error".to_owned(),
                respond_by: date("2025-12-05"),
            },
            staff(),
            Rejected::Withdrawn,
        ),
        (
            "an open case is not referred to the SPSO",
            escalated(),
            Command::ReferToSpso { referred_on: date("2025-12-16") },
            staff(),
            Rejected::StillOpen,
        ),
        (
            "an SPSO outcome needs a referral",
            stage2_closed(),
            Command::RecordSpsoOutcome { decided_on: date("2026-03-02"), outcome: SpsoOutcome::Upheld },
            staff(),
            Rejected::NotReferredToSpso,
        ),
        (
            "a case is referred to the SPSO once",
            referred_to_spso(),
            Command::ReferToSpso { referred_on: date("2026-03-03") },
            staff(),
            Rejected::AlreadyReferredToSpso,
        ),
        (
            "the SPSO outcome is recorded once",
            spso_decided(),
            Command::RecordSpsoOutcome { decided_on: date("2026-06-02"), outcome: SpsoOutcome::Upheld },
            staff(),
            Rejected::SpsoOutcomeAlreadyRecorded,
        ),
        (
            "a closed case cannot be withdrawn",
            stage2_closed(),
            Command::Withdraw { withdrawn_on: date("2026-01-28"), reason: None },
            Actor::Complainant,
            Rejected::AlreadyClosed,
        ),
    ];
    for (name, case, command, actor, expected) in table {
        // Recorded well after every date in the table, so only the row's own dates can be "in the future".
        let result = case.apply(command, midday("2026-07-01"), actor, rules());
        assert_eq!(result.err(), Some(expected), "{name}");
    }
}

/// Opens a stage 1 case at `received` (an RFC 3339 instant) under `policy`, with `event_date`.
fn open_at(
    received: &str,
    policy: &complaints_core::policy::Policy,
    event_date: Option<&str>,
) -> (Case, Vec<complaints_core::timeline::TimelineEvent>) {
    let reference = complaints_core::reference::CaseRef::new("CMP", 2025, 1).expect("reference");
    let at = chrono::DateTime::parse_from_rfc3339(received).expect("instant").with_timezone(&chrono::Utc);
    let rules = complaints_core::case::Rules { calendar: &CALENDAR, policy };
    Case::open(
        reference,
        complaint(IntakeRoute::Stage1, event_date.map(date)),
        at,
        "Complaints Team".to_owned(),
        None,
        rules,
        Actor::System,
    )
}

#[test]
fn a_complaint_made_on_the_last_day_of_the_time_limit_is_in_time_even_when_its_clock_starts_later() {
    // R14, R15: the time limit is about when the customer complained, not when our clock starts (R8).
    let cutoff =
        complaints_core::policy::Policy { cutoff: chrono::NaiveTime::from_hms_opt(17, 0, 0), ..POLICY.clone() };
    // (received, policy, event date, late)
    let table = [
        ("2025-11-29T12:00:00Z", POLICY.clone(), "2025-05-29", false), // Saturday, the last day: counts from Tue 2 Dec
        ("2025-11-29T12:00:00Z", POLICY.clone(), "2025-05-28", true),  // a day after the limit
        ("2026-01-16T17:30:00Z", cutoff.clone(), "2025-07-16", false), // last day, after the cut-off: counts from Monday
        ("2026-01-16T17:30:00Z", cutoff, "2025-07-15", true),
    ];
    for (received, policy, event, late) in table {
        let (case, events) = open_at(received, &policy, Some(event));
        assert_eq!(case.looks_late(), late, "received {received}, event {event}");
        assert_eq!(warnings(&events).is_empty(), !late, "received {received}, event {event}");
    }
}

#[test]
fn a_stage_one_extension_cap_counts_under_the_day_one_rule_its_clock_was_computed_with() {
    // Opened under rule A (due Thu 4 Dec, cap Thu 11 Dec); the organisation has since moved to rule B,
    // which would put the cap a day later. Ten working days in total stay ten (R7, R21).
    let rule_b =
        complaints_core::policy::Policy { day_one_rule: complaints_core::workdays::DayOneRule::B, ..POLICY.clone() };
    let rules = complaints_core::case::Rules { calendar: &CALENDAR, policy: &rule_b };
    let result = stage1_open().apply(extend1(manager(), "2025-12-12"), midday("2025-12-03"), staff(), rules);
    assert_eq!(result.err(), Some(Rejected::ExtensionBeyondCap { cap: date("2025-12-11") }));
}

#[test]
fn staff_may_act_on_the_day_a_complaint_arrived_after_the_cut_off() {
    // Received Fri 16 Jan 2026 at 17:30 with a 17:00 cut-off: the clock counts from Mon 19 Jan, but a
    // handler still at work may answer, move or record a withdrawal that same evening (R8, R19).
    let cutoff =
        complaints_core::policy::Policy { cutoff: chrono::NaiveTime::from_hms_opt(17, 0, 0), ..POLICY.clone() };
    let (case, _) = open_at("2026-01-16T17:30:00Z", &cutoff, None);
    assert_eq!(case.effective_receipt(), date("2026-01-19"));
    let rules = complaints_core::case::Rules { calendar: &CALENDAR, policy: &cutoff };
    let evening =
        chrono::DateTime::parse_from_rfc3339("2026-01-16T17:45:00Z").expect("instant").with_timezone(&chrono::Utc);
    let commands = [
        (
            "answered",
            Command::CloseStage1 {
                responded_on: date("2026-01-16"),
                outcome: Outcome::Resolved,
                signposting: stage2_signposting("2026-01-16"),
            },
        ),
        (
            "moved to stage 2",
            Command::MoveToStage2 { decided_on: date("2026-01-16"), reason: "Needs an investigation".to_owned() },
        ),
        ("withdrawn", Command::Withdraw { withdrawn_on: date("2026-01-16"), reason: None }),
    ];
    for (name, command) in commands {
        let result = case.apply(command, evening, staff(), rules);
        assert!(result.is_ok(), "{name}: {:?}", result.err());
    }
    let answered = case
        .apply(
            Command::CloseStage1 {
                responded_on: date("2026-01-16"),
                outcome: Outcome::Resolved,
                signposting: stage2_signposting("2026-01-16"),
            },
            evening,
            staff(),
            rules,
        )
        .expect("answered")
        .0;
    let report = answered.stage_reports().remove(0);
    assert_eq!(
        (report.working_days_taken, report.within_base_timescale),
        (Some(0), Some(true)),
        "answered before day 1"
    );
    // A response still cannot predate the complaint itself.
    let earlier = Command::CloseStage1 {
        responded_on: date("2026-01-15"),
        outcome: Outcome::Resolved,
        signposting: stage2_signposting("2026-01-15"),
    };
    assert_eq!(
        case.apply(earlier, evening, staff(), rules).err(),
        Some(Rejected::DateTooEarly { date: date("2026-01-15"), earliest: date("2026-01-16") })
    );
}

#[test]
fn a_stage_two_escalated_at_the_weekend_may_be_acknowledged_on_the_day_of_the_request() {
    // Requested on Saturday 13 Dec 2025: the clocks count from Monday 15 Dec, but an acknowledgement
    // sent on the Saturday itself is not "before the stage" (R24, R27).
    let (case, _) = stage1_closed()
        .apply(
            Command::Escalate { requested_on: date("2025-12-13"), channel: Channel::Email, received_at: None },
            midday("2025-12-13"),
            Actor::Complainant,
            rules(),
        )
        .expect("escalated");
    let command = Command::AcknowledgeStage2 {
        acknowledged_on: date("2025-12-13"),
        points: points(1),
        agreed_on: date("2025-12-13"),
    };
    let (acknowledged, _) = try_step(&case, command, "2025-12-13").expect("acknowledged on the day of the request");
    let acknowledgement = &acknowledged.stage2().expect("stage 2").acknowledgement;
    assert_eq!(acknowledgement.status(), ClockStatus::Met { on: date("2025-12-13") });
    let before = Command::AcknowledgeStage2 {
        acknowledged_on: date("2025-12-12"),
        points: points(1),
        agreed_on: date("2025-12-12"),
    };
    assert_eq!(
        try_step(&case, before, "2025-12-13").err(),
        Some(Rejected::DateTooEarly { date: date("2025-12-12"), earliest: date("2025-12-13") })
    );
}
