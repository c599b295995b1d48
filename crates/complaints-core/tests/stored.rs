//! The stored form of a case: cases written by the previous release (schema 0, captured before the
//! types changed) still read, are migrated to the current schema version, and report as before.

mod support;

use complaints_core::case::{CASE_SCHEMA_VERSION, Case, ReportingBucket, Status};
use support::*;

const STORED_V0: &str = include_str!("fixtures/cases-v0.json");

#[test]
fn cases_stored_by_the_previous_release_still_read_and_are_migrated_to_the_current_schema() {
    let cases: Vec<Case> = serde_json::from_str(STORED_V0).expect("schema 0 cases read");
    assert_eq!(cases.len(), 7);
    assert!(cases.iter().all(|case| case.schema_version() == CASE_SCHEMA_VERSION));
    let statuses: Vec<Status> = cases.iter().map(Case::status).collect();
    assert_eq!(
        statuses,
        [
            Status::Stage1Extended,
            Status::Stage2AwaitingAcknowledgement,
            Status::Stage2AwaitingAcknowledgement,
            Status::Stage2Extended,
            Status::Withdrawn { stage: complaints_core::case::Stage::Two },
            Status::Stage2Acknowledged,
            Status::Stage2Closed,
        ]
    );
    // The same journeys walked by this release agree on what matters to the stores.
    for (stored, current) in cases.iter().zip([stage1_extended(), moved_to_stage2(), direct_stage2()]) {
        assert_eq!(stored.index().next_due, current.index().next_due);
        assert_eq!(stored.stage1_due(), current.stage1_due());
    }
}

#[test]
fn a_closure_set_aside_by_a_reopening_in_the_previous_release_is_reported_from_its_reopening() {
    let cases: Vec<Case> = serde_json::from_str(STORED_V0).expect("schema 0 cases read");
    let reopened = &cases[5];
    let reports = reopened.stage_reports();
    let stage2: Vec<_> = reports.iter().filter(|report| report.bucket == ReportingBucket::Escalated).collect();
    assert_eq!(stage2.len(), 2, "the set-aside closure and the reopened opening");
    assert_eq!(stage2[0].closed_on, Some(date("2026-01-27")));
    assert_eq!(stage2[0].working_days_taken, None, "not recorded in schema 0");
    assert_eq!((stage2[1].started_on, stage2[1].ended_on), (date("2026-02-02"), None));
}

#[test]
fn the_current_release_writes_its_schema_version_and_reads_it_back() {
    let case = stage2_closed();
    let json = serde_json::to_value(&case).expect("serialises");
    assert_eq!(json["schema_version"], CASE_SCHEMA_VERSION);
    let back: Case = serde_json::from_value(json).expect("reads");
    assert_eq!(back, case);
}

#[test]
fn a_case_from_a_newer_release_is_refused_rather_than_misread() {
    let mut json = serde_json::to_value(stage1_open()).expect("serialises");
    json["schema_version"] = serde_json::json!(CASE_SCHEMA_VERSION + 1);
    let error = serde_json::from_value::<Case>(json).expect_err("refused");
    assert!(error.to_string().contains("newer than this release reads"), "{error}");
}
