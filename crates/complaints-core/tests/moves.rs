//! `Case::state_allows` and `Case::possible_moves`: the moves a case's state lets happen, decided
//! once, and the very refusal each command answers with when the state forbids it.

mod support;

use complaints_core::command::{Command, Rejected};
use complaints_core::complaint::Channel;
use complaints_core::moves::Move;
use complaints_core::outcome::Outcome;
use support::*;

#[test]
fn each_state_offers_its_own_moves() {
    let open = stage1_open().possible_moves(&POLICY);
    for possible in [Move::CloseStage1, Move::ExtendStage1, Move::MoveToStage2, Move::Withdraw, Move::Assign] {
        assert!(open.contains(&possible), "{possible:?} on an open stage 1");
    }
    for impossible in [Move::CloseStage2, Move::Escalate, Move::Reopen, Move::ReferToSpso, Move::AcknowledgeStage2] {
        assert!(!open.contains(&impossible), "{impossible:?} on an open stage 1");
    }
    let extended = stage1_extended().possible_moves(&POLICY);
    assert!(!extended.contains(&Move::ExtendStage1), "stage 1 is extended once by default (R21)");
    let closed = stage1_closed().possible_moves(&POLICY);
    for possible in [Move::Escalate, Move::Reopen, Move::AgreeAction] {
        assert!(closed.contains(&possible), "{possible:?} after the stage 1 response");
    }
    assert!(!closed.contains(&Move::Assign) && !closed.contains(&Move::Withdraw));
    let acknowledged = stage2_acknowledged().possible_moves(&POLICY);
    assert!(acknowledged.contains(&Move::CloseStage2) && !acknowledged.contains(&Move::AcknowledgeStage2));
    assert!(!acknowledged.contains(&Move::GiveProgressUpdate), "updates only once extended (R29)");
    assert!(stage2_extended().possible_moves(&POLICY).contains(&Move::GiveProgressUpdate));
    let final_response = stage2_closed().possible_moves(&POLICY);
    for possible in [Move::ReferToSpso, Move::RecordCorrespondenceAfterFinalResponse, Move::Reopen] {
        assert!(final_response.contains(&possible), "{possible:?} after the final response");
    }
    assert!(!final_response.contains(&Move::RecordSpsoOutcome), "not before the referral");
}

#[test]
fn a_command_the_state_forbids_is_refused_with_the_state_checks_own_reason() {
    let closed = stage1_closed();
    let close_stage2 = Command::CloseStage2 {
        responded_on: date("2025-12-04"),
        point_outcomes: vec![Outcome::Upheld],
        outcome_override: None,
        signposting: spso_signposting("2025-12-04"),
    };
    let respond_again = Command::CloseStage1 {
        responded_on: date("2025-12-04"),
        outcome: Outcome::Upheld,
        signposting: stage2_signposting("2025-12-04"),
    };
    let withdraw = Command::Withdraw { withdrawn_on: date("2025-12-04"), reason: None };
    for (command, kind) in
        [(close_stage2, Move::CloseStage2), (respond_again, Move::CloseStage1), (withdraw, Move::Withdraw)]
    {
        let expected = closed.state_allows(kind, &POLICY).expect_err("forbidden here");
        assert_eq!(try_step(&closed, command, "2025-12-04").err(), Some(expected), "{kind:?}");
    }
    let escalate = Command::Escalate { requested_on: date("2025-12-02"), channel: Channel::Email, received_at: None };
    assert_eq!(stage1_open().state_allows(Move::Escalate, &POLICY), Err(Rejected::StillOpen));
    assert_eq!(try_step(&stage1_open(), escalate, "2025-12-02").err(), Some(Rejected::StillOpen));
}

#[test]
fn completing_or_reviewing_needs_something_to_complete_or_review() {
    assert_eq!(stage1_closed().state_allows(Move::CompleteAgreedAction, &POLICY), Err(Rejected::NoAgreedAction));
    assert_eq!(stage1_open().state_allows(Move::ReviewContactRestriction, &POLICY), Err(Rejected::NoRestriction));
    assert_eq!(Rejected::NoAgreedAction.rule_id(), "R36");
    assert_eq!(Rejected::NoRestriction.rule_id(), "R54");
}
