//! Time limits in calendar months: complaint, escalation and SPSO (mchp-rules §3, R14–R18).

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use chrono::NaiveDate;
use complaints_core::limits::{add_months, complaint_time_limit, escalation_deadline, is_late, spso_limit_estimate};

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn maybe(text: Option<&str>) -> Option<NaiveDate> {
    text.map(date)
}

#[test]
fn months_are_added_on_the_same_day_number_clamped_to_a_shorter_month() {
    let cases = [
        ("2025-08-31", 6, "2026-02-28"),
        ("2027-08-31", 6, "2028-02-29"), // leap year
        ("2025-03-15", 6, "2025-09-15"),
        ("2025-12-31", 2, "2026-02-28"),
        ("2026-01-31", 1, "2026-02-28"),
        ("2025-10-31", 2, "2025-12-31"),
        ("2024-02-29", 12, "2025-02-28"),
        ("2025-05-31", 6, "2025-11-30"),
        ("2025-07-01", 0, "2025-07-01"),
    ];
    for (from, months, expected) in cases {
        assert_eq!(add_months(date(from), months), date(expected), "{from} + {months} months");
    }
}

#[test]
fn complaint_time_limit_runs_six_months_from_awareness_else_the_event() {
    let cases = [
        // (event, awareness, limit)
        (Some("2025-01-10"), None, Some("2025-07-10")),
        (Some("2025-01-10"), Some("2025-03-01"), Some("2025-09-01")),
        (None, Some("2025-08-31"), Some("2026-02-28")),
        (None, None, None),
    ];
    for (event, awareness, limit) in cases {
        assert_eq!(complaint_time_limit(maybe(event), maybe(awareness)), maybe(limit), "{event:?} {awareness:?}");
    }
}

#[test]
fn a_late_complaint_is_flagged_only_after_the_limit_day() {
    let cases = [
        // (event, awareness, received, late)
        (Some("2025-01-10"), None, "2025-07-10", false), // on the last day: in time
        (Some("2025-01-10"), None, "2025-07-11", true),
        (Some("2025-01-10"), Some("2025-06-01"), "2025-07-11", false), // late awareness restarts the clock
        (None, None, "2030-01-01", false),                             // nothing known: never flagged
    ];
    for (event, awareness, received, late) in cases {
        assert_eq!(is_late(maybe(event), maybe(awareness), date(received)), late, "{event:?} {awareness:?} {received}");
    }
}

#[test]
fn escalation_deadline_is_the_later_of_six_months_and_two_months_after_stage_one() {
    let cases = [
        // (event, awareness, stage 1 response, deadline)
        (Some("2025-01-10"), None, "2025-02-03", "2025-07-10"), // six months from the event is later
        (Some("2025-01-10"), None, "2025-06-20", "2025-08-20"), // two months from the response is later
        (Some("2025-01-10"), Some("2025-04-01"), "2025-04-20", "2025-10-01"), // awareness beats event
        (None, None, "2025-12-31", "2026-02-28"),               // only the response known; clamped
        (Some("2025-08-31"), None, "2025-09-05", "2026-02-28"), // six months clamped to February
    ];
    for (event, awareness, response, deadline) in cases {
        assert_eq!(
            escalation_deadline(maybe(event), maybe(awareness), date(response)),
            date(deadline),
            "{event:?} {awareness:?} {response}"
        );
    }
}

#[test]
fn spso_estimate_runs_twelve_months_from_first_knowing_of_the_problem() {
    let cases = [
        // (event, awareness, received, estimate)
        (Some("2025-01-10"), None, "2025-02-01", "2026-01-10"),
        (Some("2025-01-10"), Some("2025-03-05"), "2025-04-01", "2026-03-05"),
        (None, None, "2025-04-01", "2026-04-01"), // nothing known: from receipt, as an estimate
        (None, Some("2024-02-29"), "2024-03-10", "2025-02-28"),
        // An awareness date after receipt cannot be right; the receipt date bounds it.
        (None, Some("2025-09-01"), "2025-04-01", "2026-04-01"),
    ];
    for (event, awareness, received, estimate) in cases {
        assert_eq!(
            spso_limit_estimate(maybe(event), maybe(awareness), date(received)),
            date(estimate),
            "{event:?} {awareness:?} {received}"
        );
    }
}
