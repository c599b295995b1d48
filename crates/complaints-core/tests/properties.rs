//! Property test of the lifecycle state machine: random sequences of commands, legal or not, are
//! applied on advancing dates, and after every accepted one the invariants hold: dates never go
//! backwards, each opening of a stage ends at most once, a response on or after its opening's start
//! took at least one working day (rule A), and every closure given is in the reports.

mod support;

use chrono::{Duration, NaiveDate};
use complaints_core::case::{Case, Disposition, Rules, Stage};
use complaints_core::command::Command;
use complaints_core::complaint::{Channel, IntakeRoute};
use complaints_core::outcome::Outcome;
use complaints_core::policy::{EscalatedStart, MovedStart, Policy, ProgressFrom};
use complaints_core::reference::CaseRef;
use complaints_core::timeline::Actor;
use proptest::prelude::*;
use support::*;

#[derive(Debug, Clone, Copy)]
enum Action {
    Close1(usize),
    Extend1(u32),
    Move2,
    RouteDirect,
    Escalate,
    Acknowledge,
    Extend2(u32),
    Progress,
    Close2(usize),
    Withdraw,
    Reopen(u32),
    Refer,
    NotAComplaint,
}

const OUTCOMES: [Outcome; 4] = [Outcome::Upheld, Outcome::PartiallyUpheld, Outcome::NotUpheld, Outcome::Resolved];

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        8 => (0..4usize).prop_map(Action::Close1),
        4 => (1..6u32).prop_map(Action::Extend1),
        2 => Just(Action::Move2),
        2 => Just(Action::RouteDirect),
        8 => Just(Action::Escalate),
        8 => Just(Action::Acknowledge),
        4 => (1..30u32).prop_map(Action::Extend2),
        5 => Just(Action::Progress),
        10 => (0..4usize).prop_map(Action::Close2),
        1 => Just(Action::Withdraw),
        5 => (0..10u32).prop_map(Action::Reopen),
        3 => Just(Action::Refer),
        1 => Just(Action::NotAComplaint),
    ]
}

fn working_days_after(from: NaiveDate, days: u32) -> NaiveDate {
    CALENDAR.nth_working_day(CALENDAR.next_working_day_after(from), days)
}

/// The command for `action` on `case`, dated `on`.
fn command(case: &Case, action: Action, on: NaiveDate) -> Command {
    let points = case.stage2().and_then(|stage| stage.acknowledged.as_ref()).map_or(1, |ack| ack.points.len());
    match action {
        Action::Close1(i) => Command::CloseStage1 {
            responded_on: on,
            outcome: OUTCOMES[i],
            // Nobody to signpost on an anonymous complaint (R51).
            signposting: stage2_signposting(&on.to_string()).filter(|_| !case.no_contact_possible()),
        },
        Action::Extend1(days) => Command::ExtendStage1 {
            authoriser: manager(),
            reason: "More time".to_owned(),
            new_due: working_days_after(case.response_due(), days),
            customer_told: told(&on.to_string()),
            decided_on: Some(on),
        },
        Action::Move2 => Command::MoveToStage2 { decided_on: on, reason: "Complex".to_owned() },
        Action::RouteDirect => Command::RouteDirectToStage2 { routed_on: on, reason: "Asked".to_owned() },
        Action::Escalate => Command::Escalate { requested_on: on, channel: Channel::Email, received_at: None },
        Action::Acknowledge => Command::AcknowledgeStage2 { acknowledged_on: on, points: points_of(2), agreed_on: on },
        Action::Extend2(days) => Command::ExtendStage2 {
            authoriser: manager(),
            reason: "More time".to_owned(),
            new_due: working_days_after(case.response_due().max(on), days),
            customer_told: told(&on.to_string()),
            decided_on: Some(on),
        },
        Action::Progress => Command::GiveProgressUpdate { given_on: on, channel: Channel::Phone },
        Action::Close2(i) => Command::CloseStage2 {
            responded_on: on,
            point_outcomes: vec![OUTCOMES[i]; points],
            outcome_override: None,
            signposting: spso_signposting(&on.to_string()).filter(|_| !case.no_contact_possible()),
        },
        Action::Withdraw => Command::Withdraw { withdrawn_on: on, reason: None },
        Action::Reopen(days) => Command::Reopen {
            reopened_on: on,
            reason: "New evidence".to_owned(),
            respond_by: working_days_after(on, days),
        },
        Action::Refer => Command::ReferToSpso { referred_on: on },
        Action::NotAComplaint => Command::RecordNotAComplaint {
            decided_on: on,
            reason: complaints_core::records::NotAComplaintReason::RoutineServiceRequest,
            details: None,
            directed_to: "Repairs line".to_owned(),
        },
    }
}

fn points_of(count: usize) -> Vec<complaints_core::case::PointOfComplaint> {
    points(count)
}

fn check_invariants(case: &Case, closures_given: usize, previous_latest: NaiveDate) -> Result<(), TestCaseError> {
    let latest = case.latest_event_on();
    prop_assert!(latest >= previous_latest, "the latest event went back from {previous_latest} to {latest}");
    let reports = case.stage_reports();
    let responded = reports.iter().filter(|r| r.disposition == Some(Disposition::Responded)).count();
    prop_assert_eq!(responded, closures_given, "every closure given is in the reports");
    for stage in [Stage::One, Stage::Two] {
        let openings: Vec<_> = reports.iter().filter(|r| r.stage == stage).collect();
        for pair in openings.windows(2) {
            // Each opening but the last ended (once), before the next began.
            let ended = pair[0].ended_on;
            prop_assert!(ended.is_some(), "an earlier opening of {:?} never ended", stage);
            prop_assert!(ended <= Some(pair[1].started_on), "{:?} reopened before it ended", stage);
        }
        prop_assert!(
            openings.iter().filter(|r| r.reopened).count() + usize::from(!openings.is_empty()) == openings.len()
        );
    }
    for report in &reports {
        if let (Some(days), Some(closed)) = (report.working_days_taken, report.closed_on)
            && closed >= report.started_on
        {
            prop_assert!(days >= 1, "a response on or after its start took {days} working days under rule A");
        }
        prop_assert_eq!(report.disposition.is_some(), report.ended_on.is_some());
        prop_assert!(report.ended_on.is_none_or(|ended| ended <= latest), "an end after the latest event");
    }
    let closed_on = case.index().closed_on;
    prop_assert!(closed_on.windows(2).all(|pair| pair[0] <= pair[1]), "closure dates sorted");
    Ok(())
}

/// The organisation's settings for the unconfirmed rules, drawn at random.
fn policy() -> impl Strategy<Value = Policy> {
    (0..4u32, any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(extensions, next_day, receipt, from_decision)| {
        Policy {
            stage1_max_extensions: extensions,
            escalated_stage2_start: if next_day { EscalatedStart::NextWorkingDay } else { EscalatedStart::Request },
            moved_stage2_start: if receipt { MovedStart::Receipt } else { MovedStart::Decision },
            progress_updates_from: if from_decision { ProgressFrom::Extension } else { ProgressFrom::OriginalDue },
            ..Policy::default()
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_command_sequences_keep_the_lifecycle_invariants(
        start in 0..300i64,
        anonymous in any::<bool>(),
        policy in policy(),
        steps in proptest::collection::vec((action(), 0..12i64), 1..30),
    ) {
        let received = CALENDAR.working_day_on_or_after(date("2025-04-01") + Duration::days(start));
        let rules = Rules { calendar: &CALENDAR, policy: &policy };
        let new = if anonymous { anonymous_complaint } else { complaint };
        let reference = CaseRef::new("CMP", 2025, 1).expect("reference");
        let (mut case, _) = Case::open(
            reference,
            new(IntakeRoute::Stage1, None),
            midday(&received.to_string()),
            "Complaints Team".to_owned(),
            None,
            rules,
            Actor::System,
        );
        let mut now = received;
        let mut closures = 0;
        let mut last_at = midday(&received.to_string());
        for (action, gap) in steps {
            now += Duration::days(gap);
            let previous_latest = case.latest_event_on();
            let command = command(&case, action, now);
            let closes = matches!(command, Command::CloseStage1 { .. } | Command::CloseStage2 { .. });
            if let Ok((next, events)) = case.apply(command, midday(&now.to_string()), staff(), rules) {
                for event in &events {
                    prop_assert!(event.at >= last_at, "timeline went backwards");
                    last_at = event.at;
                }
                case = next;
                closures += usize::from(closes);
                check_invariants(&case, closures, previous_latest)?;
            }
        }
        // Whatever happened, the case still round-trips through its stored form.
        let json = serde_json::to_string(&case).expect("serialises");
        let back: Case = serde_json::from_str(&json).expect("reads back");
        prop_assert_eq!(back, case);
    }
}
