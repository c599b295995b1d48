//! Case clocks: what they record, whether they are running, met, missed or stopped, the KPI
//! helpers built on them, and recomputation after a calendar change (R7, R13, R19–R29, R46).

mod support;

use complaints_core::calendar::{Calendar, CalendarChange, DayKind, NonWorkingDay};
use complaints_core::case::{Case, CaseEvent, Rules, Stage};
use complaints_core::command::Command;
use complaints_core::complaint::IntakeRoute;
use complaints_core::deadlines::{ClockKind, ClockStatus};
use complaints_core::outcome::Outcome;
use complaints_core::policy::Policy;
use complaints_core::workdays::DayOneRule;
use support::*;

fn with_closure_on(day: &str) -> Calendar {
    Calendar::scotland().with_changes(&[CalendarChange::Add(NonWorkingDay {
        date: date(day),
        name: "Office closure".to_owned().into(),
        kind: DayKind::Closure,
        source: "test".into(),
    })])
}

fn close_stage1_on(day: &str, case: &Case) -> Case {
    step(
        case,
        Command::CloseStage1 {
            responded_on: date(day),
            outcome: Outcome::Upheld,
            signposting: stage2_signposting(day),
        },
        day,
    )
}

#[test]
fn every_clock_records_the_calendar_version_and_day_one_rule_it_was_computed_with() {
    let case = stage2_extended();
    let kinds: Vec<ClockKind> = case.clocks().iter().map(|clock| clock.kind).collect();
    assert_eq!(
        kinds,
        [
            ClockKind::Stage1Response,
            ClockKind::Stage2Acknowledgement,
            ClockKind::Stage2Response,
            ClockKind::ProgressUpdate
        ]
    );
    for clock in case.clocks() {
        assert_eq!(&clock.calendar_version, CALENDAR.version(), "{:?}", clock.kind);
        let rule = if clock.kind == ClockKind::ProgressUpdate { DayOneRule::B } else { DayOneRule::A };
        assert_eq!(clock.day_one_rule, rule, "{:?}", clock.kind);
    }
}

#[test]
fn an_organisation_on_day_one_rule_b_gets_the_later_deadlines() {
    let policy = Policy { day_one_rule: DayOneRule::B, ..Policy::default() };
    let rules = Rules { calendar: &CALENDAR, policy: &policy };
    let reference = complaints_core::reference::CaseRef::new("CMP", 2025, 1).expect("reference");
    let open = |route| {
        Case::open(
            reference.clone(),
            complaint(route, None),
            midday("2025-11-27"),
            "Team".to_owned(),
            None,
            rules,
            complaints_core::timeline::Actor::System,
        )
        .0
    };
    let stage1 = open(IntakeRoute::Stage1);
    assert_eq!(stage1.stage1_due(), date("2025-12-05"));
    let direct = open(IntakeRoute::DirectStage2 { reason: "Serious".to_owned() });
    let stage2 = direct.stage2().expect("stage 2");
    assert_eq!((stage2.acknowledgement.due, stage2.response.due), (date("2025-12-03"), date("2025-12-30")));
    assert!(direct.clocks().iter().all(|clock| clock.day_one_rule == DayOneRule::B));
}

#[test]
fn a_clock_is_running_met_missed_or_stopped() {
    let table = [
        ("still open", stage1_open(), ClockStatus::Running),
        (
            "answered on day 5",
            close_stage1_on("2025-12-04", &stage1_open()),
            ClockStatus::Met { on: date("2025-12-04") },
        ),
        (
            "answered on day 6",
            close_stage1_on("2025-12-05", &stage1_open()),
            ClockStatus::Missed { on: date("2025-12-05") },
        ),
        (
            "answered by the extended date",
            close_stage1_on("2025-12-10", &stage1_extended()),
            ClockStatus::Met { on: date("2025-12-10") },
        ),
        ("moved to stage 2", moved_to_stage2(), ClockStatus::Stopped { on: date("2025-12-02") }),
        ("withdrawn", withdrawn_at_stage1(), ClockStatus::Stopped { on: date("2025-12-01") }),
    ];
    for (name, case, status) in table {
        assert_eq!(case.stage1().expect("stage 1").response.status(), status, "{name}");
    }
}

#[test]
fn a_running_clock_is_overdue_only_after_its_due_date() {
    let clock = stage1_open().stage1().expect("stage 1").response.clone();
    assert!(!clock.is_overdue_on(date("2025-12-04")));
    assert!(clock.is_overdue_on(date("2025-12-05")));
    let answered = close_stage1_on("2025-12-03", &stage1_open());
    assert!(
        !answered.stage1().expect("stage 1").response.is_overdue_on(date("2025-12-05")),
        "a stopped clock is never overdue"
    );
}

#[test]
fn the_index_gives_the_earliest_running_due_date() {
    let table = [
        ("stage 1", stage1_open(), Some("2025-12-04")),
        ("stage 1 extended", stage1_extended(), Some("2025-12-10")),
        ("stage 2 awaiting acknowledgement", escalated(), Some("2025-12-17")),
        ("stage 2 acknowledged", stage2_acknowledged(), Some("2026-01-15")),
        ("stage 2 extended", stage2_extended(), Some("2026-01-29")),
        ("closed", stage2_closed(), None),
    ];
    for (name, case, due) in table {
        assert_eq!(case.index().next_due, due.map(date), "{name}");
    }
}

#[test]
fn kpi_helpers_give_working_days_taken_within_base_timescale_and_extended_per_stage() {
    // (name, case, stage, working days taken, within the base timescale, extended)
    let table = [
        ("answered on the day of receipt", close_stage1_on("2025-11-27", &stage1_open()), Stage::One, 1, true, false),
        ("answered on day 4", close_stage1_on("2025-12-03", &stage1_open()), Stage::One, 4, true, false),
        ("answered on day 5", close_stage1_on("2025-12-04", &stage1_open()), Stage::One, 5, true, false),
        ("answered within an extension", close_stage1_on("2025-12-09", &stage1_extended()), Stage::One, 8, false, true),
        ("escalated and answered within an extension", stage2_closed(), Stage::Two, 28, false, true),
    ];
    for (name, case, stage, taken, within, extended) in table {
        let report =
            case.stage_reports().into_iter().find(|report| report.stage == stage).expect("a report for the stage");
        assert_eq!(report.working_days_taken, Some(taken), "{name}");
        assert_eq!(report.within_base_timescale, Some(within), "{name}: an extension never makes it within (K3)");
        assert_eq!(report.extended, extended, "{name}");
    }
}

#[test]
fn an_open_stage_is_reported_without_closure_figures() {
    let report = stage1_extended().stage_reports().remove(0);
    assert_eq!((report.closed_on, report.working_days_taken, report.within_base_timescale), (None, None, None));
    assert!(report.extended);
}

#[test]
fn recomputing_after_a_new_closure_day_moves_an_open_cases_running_clock_and_logs_it() {
    let calendar = with_closure_on("2025-12-03");
    let rules = Rules { calendar: &calendar, policy: &POLICY };
    let (case, event) = stage1_open().recompute(rules, midday("2025-12-01")).expect("an open case is recomputed");
    let clock = &case.stage1().expect("stage 1").response;
    assert_eq!((clock.base_due, clock.due), (date("2025-12-05"), date("2025-12-05")));
    assert_eq!(&clock.calendar_version, calendar.version());
    assert_eq!(case.index().next_due, Some(date("2025-12-05")));
    let CaseEvent::DeadlinesRecomputed { calendar_version, changes } = event.what else { panic!("a recompute event") };
    assert_eq!(&calendar_version, calendar.version());
    assert_eq!(changes.len(), 1);
    assert_eq!(
        (changes[0].clock, changes[0].previous_due, changes[0].due),
        (ClockKind::Stage1Response, date("2025-12-04"), date("2025-12-05"))
    );
    assert_eq!(&changes[0].previous_version, CALENDAR.version());
}

#[test]
fn recomputing_keeps_an_extensions_revised_date_but_moves_its_base() {
    let calendar = with_closure_on("2025-12-03");
    let rules = Rules { calendar: &calendar, policy: &POLICY };
    let (case, event) = stage1_extended().recompute(rules, midday("2025-12-03")).expect("recomputed");
    let clock = &case.stage1().expect("stage 1").response;
    assert_eq!((clock.base_due, clock.due), (date("2025-12-05"), date("2025-12-10")));
    assert!(
        matches!(event.what, CaseEvent::DeadlinesRecomputed { ref changes, .. } if changes.is_empty()),
        "the live due date did not move"
    );
}

#[test]
fn recomputing_an_extended_stage_two_moves_only_running_clocks_and_the_progress_cycle() {
    let calendar = with_closure_on("2026-01-13");
    let rules = Rules { calendar: &calendar, policy: &POLICY };
    let before = stage2_extended();
    let (case, _) = before.recompute(rules, midday("2026-01-12")).expect("recomputed");
    let stage2 = case.stage2().expect("stage 2");
    assert_eq!((stage2.response.base_due, stage2.response.due), (date("2026-01-16"), date("2026-01-29")));
    assert_eq!(
        stage2.progress.as_ref().map(|clock| clock.due),
        Some(date("2026-02-13")),
        "anchored on the moved original due date"
    );
    assert_eq!(
        stage2.acknowledgement,
        before.stage2().expect("stage 2").acknowledgement,
        "a stopped clock keeps what was live"
    );
    assert_eq!(case.stage1(), before.stage1(), "the answered stage 1 keeps what was live");
}

#[test]
fn recomputing_leaves_closed_and_withdrawn_cases_and_current_ones_untouched() {
    let calendar = with_closure_on("2025-12-03");
    let changed = Rules { calendar: &calendar, policy: &POLICY };
    let table = [
        ("stage 1 closed", stage1_closed(), changed),
        ("stage 2 closed", stage2_closed(), changed),
        ("withdrawn", withdrawn_at_stage1(), changed),
        ("already on this calendar", stage1_open(), rules()),
    ];
    for (name, case, rules) in table {
        assert!(case.recompute(rules, midday("2025-12-01")).is_none(), "{name}");
    }
}

#[test]
fn recomputing_never_leaves_an_extended_due_date_before_the_moved_base_due_date() {
    // Stage 1 received Thu 27 Nov 2025, extended to Wed 10 Dec. A week's closure (2–10 Dec) is then
    // added: the base timescale alone now ends on Mon 15 Dec, and an extension only ever adds time (R13, R21).
    let closure: Vec<CalendarChange> =
        ["2025-12-02", "2025-12-03", "2025-12-04", "2025-12-05", "2025-12-08", "2025-12-09", "2025-12-10"]
            .into_iter()
            .map(|day| {
                CalendarChange::Add(NonWorkingDay {
                    date: date(day),
                    name: "Office closure".to_owned().into(),
                    kind: DayKind::Closure,
                    source: "test".into(),
                })
            })
            .collect();
    let calendar = Calendar::scotland().with_changes(&closure);
    let rules = Rules { calendar: &calendar, policy: &POLICY };
    let (case, event) = stage1_extended().recompute(rules, midday("2025-12-01")).expect("recomputed");
    let clock = &case.stage1().expect("stage 1").response;
    assert_eq!((clock.base_due, clock.due), (date("2025-12-15"), date("2025-12-15")));
    let CaseEvent::DeadlinesRecomputed { changes, .. } = event.what else { panic!("a recompute event") };
    assert_eq!(
        changes.iter().map(|change| (change.previous_due, change.due)).collect::<Vec<_>>(),
        [(date("2025-12-10"), date("2025-12-15"))]
    );
}
