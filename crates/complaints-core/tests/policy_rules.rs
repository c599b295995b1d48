//! The configurable defaults for rules the MCHP text could not confirm (R17, R21, R27, R28, R29),
//! each changed in the procedure configuration and followed by the lifecycle.

mod support;

use complaints_core::case::{Case, Rules};
use complaints_core::command::{Command, Rejected};
use complaints_core::complaint::Channel;
use complaints_core::limits::{add_months_with, escalation_deadline_with};
use complaints_core::outcome::Outcome;
use complaints_core::policy::{EscalatedStart, MonthEnd, MovedStart, Policy, ProgressFrom};
use complaints_core::timeline::{Authoriser, StaffRole};
use support::*;

fn under(policy: &Policy, case: &Case, command: Command, on: &str) -> Result<Case, Rejected> {
    let rules = Rules { calendar: &CALENDAR, policy };
    case.apply(command, midday(on), staff(), rules).map(|(next, _)| next)
}

fn extend1(new_due: &str, by: Authoriser) -> Command {
    Command::ExtendStage1 {
        authoriser: by,
        reason: "Waiting for a report".to_owned(),
        new_due: date(new_due),
        customer_told: told("2025-12-03"),
        decided_on: None,
    }
}

#[test]
fn r27_a_moved_complaint_may_count_stage_two_from_the_effective_receipt() {
    let policy = Policy { moved_stage2_start: MovedStart::Receipt, ..Policy::default() };
    let command = Command::MoveToStage2 { decided_on: date("2025-12-02"), reason: "Complex".to_owned() };
    let moved = under(&policy, &stage1_open(), command, "2025-12-02").expect("moved");
    let stage2 = moved.stage2().expect("stage 2");
    assert_eq!((stage2.start.effective, stage2.response.due), (date("2025-11-27"), date("2025-12-29")));
    assert_eq!(
        moved_to_stage2().stage2().expect("stage 2").start.effective,
        date("2025-12-02"),
        "default: the decision"
    );
}

#[test]
fn r27_an_escalation_may_count_stage_two_from_the_next_working_day() {
    let policy = Policy { escalated_stage2_start: EscalatedStart::NextWorkingDay, ..Policy::default() };
    let command = Command::Escalate { requested_on: date("2025-12-15"), channel: Channel::Email, received_at: None };
    let escalated_next = under(&policy, &stage1_closed(), command, "2025-12-15").expect("escalated");
    assert_eq!(escalated_next.stage2().expect("stage 2").start.effective, date("2025-12-16"));
    assert_eq!(escalated().stage2().expect("stage 2").start.effective, date("2025-12-15"), "default: the request");
}

#[test]
fn r21_the_number_of_stage_one_extensions_is_configurable() {
    let twice = Policy { stage1_max_extensions: 2, ..Policy::default() };
    let once = under(&twice, &stage1_open(), extend1("2025-12-08", manager()), "2025-12-03").expect("first");
    let again = under(&twice, &once, extend1("2025-12-10", manager()), "2025-12-03").expect("a second is allowed");
    assert_eq!(again.stage1().expect("stage 1").response.extensions.len(), 2);
    assert_eq!(
        under(&twice, &again, extend1("2025-12-11", manager()), "2025-12-03").err(),
        Some(Rejected::AlreadyExtended)
    );
    let none = Policy { stage1_max_extensions: 0, ..Policy::default() };
    assert_eq!(
        under(&none, &stage1_open(), extend1("2025-12-08", manager()), "2025-12-03").err(),
        Some(Rejected::AlreadyExtended)
    );
}

#[test]
fn r28_the_role_that_may_authorise_an_extension_is_configurable() {
    let senior = Policy { extension_authoriser: StaffRole::SeniorManager, ..Policy::default() };
    assert_eq!(
        under(&senior, &stage1_open(), extend1("2025-12-08", manager()), "2025-12-03").err(),
        Some(Rejected::ExtensionNeedsManager { role: StaffRole::Manager })
    );
    let director = Authoriser { staff_id: "senior-1".to_owned(), role: StaffRole::SeniorManager };
    assert!(under(&senior, &stage1_open(), extend1("2025-12-08", director), "2025-12-03").is_ok());
}

#[test]
fn r29_progress_updates_may_count_from_the_extension_decision() {
    let policy = Policy { progress_updates_from: ProgressFrom::Extension, ..Policy::default() };
    let command = Command::ExtendStage2 {
        authoriser: manager(),
        reason: "A witness is on leave".to_owned(),
        new_due: date("2026-01-29"),
        customer_told: told("2026-01-12"),
        decided_on: None,
    };
    let extended = under(&policy, &stage2_acknowledged(), command, "2026-01-12").expect("extended");
    // 20 working days after Mon 12 Jan 2026, against Thu 12 Feb from the original due date.
    let progress = extended.stage2().and_then(|stage| stage.progress.clone()).expect("progress");
    assert_eq!(progress.due, date("2026-02-09"));
    assert_eq!(stage2_extended().stage2().and_then(|s| s.progress.clone()).map(|p| p.due), Some(date("2026-02-12")));
}

#[test]
fn r17_month_end_may_roll_over_to_the_next_month_and_the_escalation_deadline_follows() {
    assert_eq!(add_months_with(date("2025-08-31"), 6, MonthEnd::Clamp), date("2026-02-28"));
    assert_eq!(add_months_with(date("2025-08-31"), 6, MonthEnd::NextMonth), date("2026-03-01"));
    assert_eq!(add_months_with(date("2025-08-15"), 6, MonthEnd::NextMonth), date("2026-02-15"), "no change mid-month");
    assert_eq!(escalation_deadline_with(None, None, date("2025-12-31"), MonthEnd::NextMonth), date("2026-03-01"));
    let policy = Policy { month_end: MonthEnd::NextMonth, ..Policy::default() };
    let (case, _) = open_with("2025-12-29", complaints_core::complaint::IntakeRoute::Stage1, None);
    let command = Command::CloseStage1 {
        responded_on: date("2025-12-31"),
        outcome: Outcome::NotUpheld,
        signposting: stage2_signposting("2025-12-31"),
    };
    let closed = under(&policy, &case, command, "2025-12-31").expect("closed");
    assert_eq!(closed.escalation_deadline(), Some(date("2026-03-01")), "31 Dec + 2 months rolls to 1 March");
}
