//! Outcomes: the roll-up of stage 2 point outcomes, overrides, and signposting that every closure
//! needs whatever its outcome (R23, R31–R34, R37).

mod support;

use complaints_core::case::Stage;
use complaints_core::command::{Command, Rejected};
use complaints_core::outcome::{Outcome, roll_up};
use proptest::prelude::*;
use support::*;

use Outcome::{NotUpheld as N, PartiallyUpheld as P, Resolved as R, Upheld as U};

/// R34 [U] roll-up as mchp-rules §4 states it, including the mixed cases with "resolved".
const ROLL_UP: &[(&[Outcome], Outcome)] = &[
    (&[U], U),
    (&[U, U, U], U),
    (&[N], N),
    (&[N, N], N),
    (&[R], R),
    (&[R, R], R),
    (&[P], P),
    (&[U, N], P),
    (&[U, P], P),
    (&[N, P], P),
    (&[U, R], P),
    (&[N, R], N),
    (&[P, R], P),
    (&[U, N, R], P),
];

#[test]
fn point_outcomes_roll_up_to_the_documented_overall_outcome() {
    for (points, expected) in ROLL_UP {
        assert_eq!(roll_up(points), Some(*expected), "{points:?}");
    }
}

#[test]
fn no_points_have_no_roll_up() {
    assert_eq!(roll_up(&[]), None);
}

#[test]
fn a_stage_two_closure_takes_the_roll_up_when_not_overridden() {
    for (points, expected) in ROLL_UP.iter().filter(|(points, _)| points.len() == 3) {
        let command = Command::CloseStage2 {
            responded_on: date("2026-01-27"),
            point_outcomes: points.to_vec(),
            outcome_override: None,
            signposting: spso_signposting("2026-01-27"),
        };
        let case = step(&stage2_acknowledged(), command, "2026-01-27");
        let closure = case.stage2().and_then(|stage| stage.closure.clone()).expect("closed");
        assert_eq!(
            (closure.rolled_up, closure.outcome, closure.override_reason),
            (*expected, *expected, None),
            "{points:?}"
        );
    }
}

#[test]
fn a_resolved_stage_one_still_needs_its_signposting_record() {
    let without = Command::CloseStage1 { responded_on: date("2025-12-03"), outcome: R, signposting: None };
    assert_eq!(
        try_step(&stage1_open(), without, "2025-12-03").err(),
        Some(Rejected::SignpostingRequired { stage: Stage::One })
    );
    let with = Command::CloseStage1 {
        responded_on: date("2025-12-03"),
        outcome: R,
        signposting: stage2_signposting("2025-12-03"),
    };
    let case = step(&stage1_open(), with, "2025-12-03");
    let closure = case.stage1().and_then(|stage| stage.closure.clone()).expect("closed");
    assert!(closure.signposting.is_some_and(|given| given.time_limit_given));
}

#[test]
fn the_stage_two_closure_records_the_spso_template_version_used() {
    let closure = stage2_closed().stage2().and_then(|stage| stage.closure.clone()).expect("closed");
    assert_eq!(closure.signposting, spso_signposting("2026-01-27"));
}

fn outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![Just(U), Just(P), Just(N), Just(R)]
}

proptest! {
    #[test]
    fn any_non_empty_set_of_points_rolls_up_and_a_unanimous_one_to_its_own_outcome(points in prop::collection::vec(outcome(), 1..8), same in outcome(), count in 1usize..8) {
        prop_assert!(roll_up(&points).is_some());
        prop_assert_eq!(roll_up(&vec![same; count]), Some(same));
    }

    #[test]
    fn the_roll_up_ignores_the_order_of_the_points(mut points in prop::collection::vec(outcome(), 1..8)) {
        let before = roll_up(&points);
        points.reverse();
        prop_assert_eq!(roll_up(&points), before);
    }
}
