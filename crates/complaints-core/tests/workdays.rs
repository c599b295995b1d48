//! Effective receipt dates and working-day counting: the worked examples of mchp-rules §2, every
//! row of mchp-research §12 under both day-one rules, and properties over the whole calendar (R5, R7, R8).

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use complaints_core::calendar::{Calendar, CalendarChange, DayKind, NonWorkingDay};
use complaints_core::policy::{STAGE1_WORKING_DAYS, STAGE2_ACK_WORKING_DAYS, STAGE2_WORKING_DAYS};
use complaints_core::workdays::{ClockStart, DayOneRule};
use proptest::prelude::*;

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn instant(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

/// One row of the mchp-research §12 table: received date, then (rule A, rule B) due dates.
struct Row {
    received: &'static str,
    stage1: (&'static str, &'static str),
    stage2_ack: (&'static str, &'static str),
    stage2: (&'static str, &'static str),
}

const RESEARCH_TABLE: &[Row] = &[
    Row {
        received: "2025-11-27",
        stage1: ("2025-12-04", "2025-12-05"),
        stage2_ack: ("2025-12-02", "2025-12-03"),
        stage2: ("2025-12-29", "2025-12-30"),
    },
    Row {
        received: "2025-11-29",
        stage1: ("2025-12-08", "2025-12-08"),
        stage2_ack: ("2025-12-04", "2025-12-04"),
        stage2: ("2025-12-31", "2025-12-31"),
    },
    Row {
        received: "2025-12-19",
        stage1: ("2025-12-29", "2025-12-30"),
        stage2_ack: ("2025-12-23", "2025-12-24"),
        stage2: ("2026-01-21", "2026-01-22"),
    },
];

#[test]
fn research_table_due_dates_hold_under_both_rules() {
    let calendar = Calendar::scotland();
    for row in RESEARCH_TABLE {
        let start = ClockStart::on_date(&calendar, date(row.received));
        for (rule, pick) in [(DayOneRule::A, 0), (DayOneRule::B, 1)] {
            let expect = |pair: (&str, &str)| date(if pick == 0 { pair.0 } else { pair.1 });
            let context = format!("received {} rule {rule}", row.received);
            assert_eq!(start.due_after(&calendar, rule, STAGE1_WORKING_DAYS), expect(row.stage1), "stage 1, {context}");
            assert_eq!(
                start.due_after(&calendar, rule, STAGE2_ACK_WORKING_DAYS),
                expect(row.stage2_ack),
                "stage 2 ack, {context}"
            );
            assert_eq!(start.due_after(&calendar, rule, STAGE2_WORKING_DAYS), expect(row.stage2), "stage 2, {context}");
        }
    }
}

#[test]
fn research_table_due_dates_are_exactly_the_timescale_in_working_days_taken() {
    let calendar = Calendar::scotland();
    for row in RESEARCH_TABLE {
        let start = ClockStart::on_date(&calendar, date(row.received));
        for (rule, due) in [(DayOneRule::A, row.stage2.0), (DayOneRule::B, row.stage2.1)] {
            assert_eq!(start.working_days_taken(&calendar, rule, date(due)), STAGE2_WORKING_DAYS, "{}", row.received);
        }
    }
}

#[test]
fn worked_examples_of_the_rules_hold_from_a_receipt_timestamp() {
    // mchp-rules §2, rule A, bank holidays only.
    let calendar = Calendar::scotland();
    let cases = [
        ("2025-11-27T10:15:00Z", "2025-11-27", "2025-12-04"),
        ("2025-11-29T09:00:00Z", "2025-12-02", "2025-12-08"),
        ("2025-12-19T16:45:00Z", "2025-12-19", "2025-12-29"),
    ];
    for (received, effective, stage1_due) in cases {
        let start = ClockStart::received_at(&calendar, instant(received), None);
        assert_eq!(start.effective, date(effective), "{received}");
        assert_eq!(start.due_after(&calendar, DayOneRule::A, STAGE1_WORKING_DAYS), date(stage1_due), "{received}");
    }
}

#[test]
fn effective_receipt_follows_local_time_cut_off_and_non_working_days() {
    let calendar = Calendar::scotland();
    let cases = [
        // (instant, cut-off, effective date, deferred)
        ("2026-06-30T23:30:00Z", None, "2026-07-01", false), // BST: already 1 July in Scotland
        ("2026-01-14T23:30:00Z", None, "2026-01-14", false), // GMT: still 14 January
        ("2026-03-28T23:30:00Z", None, "2026-03-30", true),  // Saturday night → Monday
        ("2026-03-29T00:30:00Z", None, "2026-03-30", true),  // the night the clocks go forward
        ("2025-10-25T23:30:00Z", None, "2025-10-27", true),  // BST Sunday 00:30 → Monday
        ("2026-05-13T15:59:00Z", Some(hm(17, 0)), "2026-05-13", false), // 16:59 BST, before cut-off
        ("2026-05-13T16:00:00Z", Some(hm(17, 0)), "2026-05-14", true), // 17:00 BST, at cut-off
        ("2026-01-14T16:59:59Z", Some(hm(17, 0)), "2026-01-14", false),
        ("2026-01-14T17:00:00Z", Some(hm(17, 0)), "2026-01-15", true),
        ("2025-12-24T17:30:00Z", Some(hm(17, 0)), "2025-12-29", true), // after cut-off before Christmas
        ("2025-11-28T18:00:00Z", Some(hm(17, 0)), "2025-12-02", true), // Friday evening before St Andrew's Monday
        ("2025-12-25T10:00:00Z", None, "2025-12-29", true),
    ];
    for (received, cutoff, effective, deferred) in cases {
        let start = ClockStart::received_at(&calendar, instant(received), cutoff);
        assert_eq!(start.effective, date(effective), "{received} cut-off {cutoff:?}");
        assert_eq!(start.deferred, deferred, "{received} cut-off {cutoff:?}");
    }
}

#[test]
fn a_deferred_receipt_is_day_one_under_both_rules() {
    // R8: a receipt moved to the next working day makes that day day 1, so rule B adds no day.
    let calendar = Calendar::scotland();
    let friday_evening = ClockStart::received_at(&calendar, instant("2026-01-16T18:00:00Z"), Some(hm(17, 0)));
    assert_eq!(friday_evening.effective, date("2026-01-19"));
    for rule in [DayOneRule::A, DayOneRule::B] {
        assert_eq!(friday_evening.day_one(&calendar, rule), date("2026-01-19"), "rule {rule}");
        assert_eq!(friday_evening.due_after(&calendar, rule, STAGE1_WORKING_DAYS), date("2026-01-23"), "rule {rule}");
    }
}

#[test]
fn working_days_taken_counts_like_the_deadline() {
    let calendar = Calendar::scotland();
    let thursday = ClockStart::on_date(&calendar, date("2025-11-27"));
    let cases = [
        (DayOneRule::A, "2025-11-27", 1), // closed on the day of receipt: 1 day under rule A
        (DayOneRule::B, "2025-11-27", 0),
        (DayOneRule::A, "2025-11-28", 2),
        (DayOneRule::A, "2025-12-01", 2), // St Andrew's Day (observed) does not count
        (DayOneRule::A, "2025-12-04", 5),
        (DayOneRule::B, "2025-12-04", 4),
        (DayOneRule::B, "2025-12-05", 5),
        (DayOneRule::A, "2025-11-20", 0), // before the start
    ];
    for (rule, end, taken) in cases {
        assert_eq!(thursday.working_days_taken(&calendar, rule, date(end)), taken, "rule {rule} to {end}");
    }
}

#[test]
fn day_one_rule_parses_from_its_configuration_spelling() {
    let cases =
        [("A", Some(DayOneRule::A)), ("b", Some(DayOneRule::B)), (" B ", Some(DayOneRule::B)), ("C", None), ("", None)];
    for (text, expected) in cases {
        assert_eq!(text.parse::<DayOneRule>().ok(), expected, "{text:?}");
    }
}

#[test]
fn clock_start_round_trips_through_json_as_cases_store_it() {
    let calendar = Calendar::scotland();
    let start = ClockStart::received_at(&calendar, instant("2025-11-29T09:00:00Z"), None);
    let json = serde_json::to_string(&(start, DayOneRule::B)).unwrap();
    let back: (ClockStart, DayOneRule) = serde_json::from_str(&json).unwrap();
    assert_eq!(back, (start, DayOneRule::B));
}

// ---------------------------------------------------------------------------------------------
// Properties over the whole generated range.

fn any_date() -> impl Strategy<Value = NaiveDate> {
    // 1990-01-01 .. 2099-06-30, leaving room for deadlines to land inside the generated years.
    let first = date("1990-01-01");
    (0u64..40_000).prop_map(move |offset| first + Days::new(offset))
}

fn any_rule() -> impl Strategy<Value = DayOneRule> {
    prop_oneof![Just(DayOneRule::A), Just(DayOneRule::B)]
}

fn any_instant() -> impl Strategy<Value = DateTime<Utc>> {
    let first = instant("1990-01-01T00:00:00Z").timestamp();
    (0i64..40_000 * 86_400).prop_map(move |offset| DateTime::from_timestamp(first + offset, 0).unwrap())
}

fn any_cutoff() -> impl Strategy<Value = Option<NaiveTime>> {
    prop_oneof![Just(None), (0u32..24, 0u32..60).prop_map(|(h, m)| Some(hm(h, m)))]
}

proptest! {
    #[test]
    fn a_due_date_is_always_a_working_day(received in any_date(), rule in any_rule(), n in 1u32..60) {
        let calendar = Calendar::scotland();
        let due = ClockStart::on_date(&calendar, received).due_after(&calendar, rule, n);
        prop_assert!(calendar.is_working_day(due));
        prop_assert!(due >= received);
    }

    #[test]
    fn one_more_working_day_always_gives_a_later_due_date(received in any_date(), rule in any_rule(), n in 1u32..60) {
        let calendar = Calendar::scotland();
        let start = ClockStart::on_date(&calendar, received);
        prop_assert!(start.due_after(&calendar, rule, n + 1) > start.due_after(&calendar, rule, n));
    }

    #[test]
    fn working_days_taken_to_a_due_date_is_the_timescale(received in any_date(), rule in any_rule(), n in 1u32..60) {
        let calendar = Calendar::scotland();
        let start = ClockStart::on_date(&calendar, received);
        let due = start.due_after(&calendar, rule, n);
        prop_assert_eq!(start.working_days_taken(&calendar, rule, due), n);
    }

    #[test]
    fn effective_receipt_is_a_working_day_on_or_after_the_local_date(at in any_instant(), cutoff in any_cutoff()) {
        let calendar = Calendar::scotland();
        let start = ClockStart::received_at(&calendar, at, cutoff);
        let local = at.with_timezone(&chrono_tz::Europe::London).date_naive();
        prop_assert!(calendar.is_working_day(start.effective));
        prop_assert!(start.effective >= local);
        prop_assert_eq!(start.deferred, start.effective != local);
        // Nothing between the local date and the effective date is a working day we skipped,
        // except the local date itself when the cut-off had passed.
        let mut day = local.succ_opt().unwrap();
        while day < start.effective {
            prop_assert!(!calendar.is_working_day(day), "skipped working day {}", day);
            day = day.succ_opt().unwrap();
        }
    }

    #[test]
    fn adding_a_closure_never_makes_a_deadline_earlier(
        received in any_date(),
        rule in any_rule(),
        n in 1u32..30,
        closure_offset in 0u64..60,
    ) {
        let calendar = Calendar::scotland();
        let closed = calendar.clone().with_changes(&[CalendarChange::Add(NonWorkingDay {
            date: received + Days::new(closure_offset),
            name: "Closure".to_owned().into(),
            kind: DayKind::Closure,
            source: "test".into(),
        })]);
        let before = ClockStart::on_date(&calendar, received).due_after(&calendar, rule, n);
        let after = ClockStart::on_date(&closed, received).due_after(&closed, rule, n);
        prop_assert!(after >= before);
    }

    #[test]
    fn working_days_inclusive_matches_a_day_by_day_count(from in any_date(), len in 0u64..400) {
        let calendar = Calendar::scotland();
        let to = from + Days::new(len);
        let counted = (0..=len).filter(|i| calendar.is_working_day(from + Days::new(*i))).count();
        prop_assert_eq!(calendar.working_days_inclusive(from, to) as usize, counted);
    }
}

#[test]
fn receipt_instants_at_the_ends_of_time_give_a_date_rather_than_a_panic() {
    // Before 1847 London kept local mean time (UTC−0:01:15), which chrono cannot show for its first
    // instant; a corrupt stored timestamp must not bring a case page down.
    let calendar = Calendar::scotland();
    for at in [DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC] {
        let local = complaints_core::workdays::local_date_time(at);
        let start = ClockStart::received_at(&calendar, at, None);
        assert!(start.effective >= local.date(), "{at}");
    }
}

#[test]
fn dates_for_people_today_in_scotland_and_the_stage_dates_have_one_home() {
    use complaints_core::dates::{StageDates, long_date, today_in_scotland};
    use complaints_core::workdays::{ClockStart, DayOneRule};
    let day = |text: &str| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date");
    assert_eq!(long_date(day("2025-12-04")), "Thursday 4 December 2025");
    let late_june: chrono::DateTime<chrono::Utc> = "2026-06-30T23:30:00Z".parse().expect("instant");
    assert_eq!(today_in_scotland(late_june), day("2026-07-01"), "British Summer Time");
    let calendar = complaints_core::calendar::Calendar::scotland();
    let start = ClockStart::on_date(&calendar, day("2025-11-27"));
    let dates = StageDates::from_start(start, &calendar, DayOneRule::A);
    assert_eq!(
        (dates.stage1_due, dates.stage2_acknowledgement_due, dates.stage2_due),
        (day("2025-12-04"), day("2025-12-02"), day("2025-12-29"))
    );
}
