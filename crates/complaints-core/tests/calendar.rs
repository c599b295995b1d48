//! The generated Scottish calendar against the independent reference list, the substitute-day
//! rules, Easter, and calendar versions (mchp-rules §2, R9–R13).

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate, Weekday};
use complaints_core::calendar::{
    Calendar, CalendarChange, DayKind, FIRST_YEAR, LAST_YEAR, NonWorkingDay, easter_sunday, scottish_bank_holidays,
};

/// Our own reference list, in the repository, so the test runs on any clone.
const REFERENCE_CSV: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/scotland-holidays-2020-2030.csv");
/// The independent list in the shared specification folder beside the repository: compared too
/// when it is there, and required when `CI` is set.
const SHARED_REFERENCE_CSV: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/reference/scotland-holidays-2020-2030.csv");

/// The dates of a reference list: the first column of every line after the header, skipping
/// `#` comment lines.
fn reference_dates(csv: &str, header: &str) -> Vec<NaiveDate> {
    let mut lines = csv.lines().filter(|line| !line.starts_with('#') && !line.trim().is_empty());
    assert_eq!(lines.next(), Some(header));
    lines.map(|line| date(line.split(',').next().unwrap())).collect()
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn local_day(text: &str, name: &str, kind: DayKind) -> CalendarChange {
    CalendarChange::Add(NonWorkingDay {
        date: date(text),
        name: name.to_owned().into(),
        kind,
        source: "Council decision 2025/17".into(),
    })
}

#[test]
fn generated_calendar_equals_the_reference_list_for_2020_to_2030() {
    let csv = std::fs::read_to_string(REFERENCE_CSV).expect("the reference list is readable");
    let reference = reference_dates(&csv, "date,weekday,name");
    assert!(reference.len() > 100, "the reference list looks truncated");

    let calendar = Calendar::scotland();
    let generated: Vec<NaiveDate> =
        calendar.non_working_days(date("2020-01-01"), date("2030-12-31")).map(|day| day.date).collect();
    assert_eq!(generated, reference);
}

#[test]
fn generated_calendar_equals_the_shared_independent_list_when_it_is_there() {
    let csv = match std::fs::read_to_string(SHARED_REFERENCE_CSV) {
        Ok(csv) => csv,
        Err(_) if std::env::var_os("CI").is_none() => {
            eprintln!("not compared: the shared reference list is not beside the repository");
            return;
        }
        Err(err) => panic!("CI is set, so the shared reference list must be there: {err}"),
    };
    let reference = reference_dates(&csv, "date,name");
    let calendar = Calendar::scotland();
    let generated: Vec<NaiveDate> =
        calendar.non_working_days(date("2020-01-01"), date("2030-12-31")).map(|day| day.date).collect();
    assert_eq!(generated, reference);
}

#[test]
fn substitute_days_fall_where_the_research_says() {
    // mchp-research §12 substitute-day checks (R10): each listed weekday is a holiday, and the
    // working days either side of the run are not.
    let cases: &[(&str, &[&str])] = &[
        ("2021 New Year", &["2021-01-04"]),
        ("2022 New Year", &["2022-01-03", "2022-01-04"]),
        ("2023 New Year", &["2023-01-02", "2023-01-03"]),
        ("2024 St Andrew's Day", &["2024-12-02"]),
        ("2025 St Andrew's Day", &["2025-12-01"]),
        ("2026 Boxing Day", &["2026-12-28"]),
        ("2027 Christmas", &["2027-12-27", "2027-12-28"]),
    ];
    let calendar = Calendar::scotland();
    for (what, days) in cases {
        for day in *days {
            assert!(!calendar.is_working_day(date(day)), "{what}: {day} should be a holiday");
        }
        let last = date(days.last().unwrap());
        let next = last.succ_opt().unwrap();
        assert!(calendar.is_working_day(next), "{what}: {next} should be a working day");
    }
}

#[test]
fn weekend_holidays_are_listed_on_their_own_date_and_on_the_substitute() {
    let calendar = Calendar::scotland();
    let boxing_day = calendar.non_working_day(date("2026-12-26")).unwrap();
    assert_eq!(boxing_day.kind, DayKind::Bank);
    let substitute = calendar.non_working_day(date("2026-12-28")).unwrap();
    assert_eq!(substitute.kind, DayKind::Substitute);
    assert!(substitute.name.starts_with("Boxing Day"), "{}", substitute.name);
}

#[test]
fn st_andrews_day_at_a_weekend_moves_to_the_following_monday_in_every_year() {
    let calendar = Calendar::scotland();
    for year in 2007..=LAST_YEAR {
        let day = date(&format!("{year}-11-30"));
        let (observed, kind) = match day.weekday() {
            Weekday::Sat => (day + chrono::Days::new(2), DayKind::Substitute),
            Weekday::Sun => (day + chrono::Days::new(1), DayKind::Substitute),
            _ => (day, DayKind::Bank),
        };
        assert!(!calendar.is_working_day(observed), "{year}: {observed}");
        assert_eq!(calendar.non_working_day(observed).map(|d| d.kind), Some(kind), "{year}: {observed}");
    }
}

#[test]
fn st_andrews_day_is_an_ordinary_working_day_before_the_2007_act() {
    let calendar = Calendar::scotland();
    // 2006-11-30 was a Thursday; 2007-11-30 a Friday.
    assert!(calendar.is_working_day(date("2006-11-30")));
    assert!(!calendar.is_working_day(date("2007-11-30")));
}

#[test]
fn every_year_has_nine_bank_holidays_and_each_weekend_one_gets_a_weekday_substitute() {
    for year in FIRST_YEAR..=LAST_YEAR {
        let days = scottish_bank_holidays(year);
        let bank = days.iter().filter(|d| d.kind == DayKind::Bank).count();
        let expected_bank = if year >= 2007 { 9 } else { 8 };
        let moved_away = [1995, 2002, 2012, 2020, 2022].contains(&year);
        assert_eq!(bank + usize::from(moved_away), expected_bank, "{year}");

        let weekend_days = days
            .iter()
            .filter(|d| d.kind != DayKind::Substitute && matches!(d.date.weekday(), Weekday::Sat | Weekday::Sun))
            .count();
        let substitutes: Vec<_> = days.iter().filter(|d| d.kind == DayKind::Substitute).collect();
        assert_eq!(substitutes.len(), weekend_days, "{year}");
        for substitute in substitutes {
            assert!(!matches!(substitute.date.weekday(), Weekday::Sat | Weekday::Sun), "{year}: {}", substitute.date);
        }
        let dates: BTreeSet<_> = days.iter().map(|d| d.date).collect();
        assert_eq!(dates.len(), days.len(), "{year}: two entries on one date");
    }
}

#[test]
fn easter_monday_is_not_a_scottish_bank_holiday_but_good_friday_is() {
    let calendar = Calendar::scotland();
    for year in FIRST_YEAR..=LAST_YEAR {
        let easter = easter_sunday(year);
        assert_eq!(easter.weekday(), Weekday::Sun, "{year}");
        assert!(!calendar.is_working_day(easter - chrono::Days::new(2)), "{year} Good Friday");
        let easter_monday = easter + chrono::Days::new(1);
        // Only a proclaimed day could make Easter Monday a holiday, and none ever did.
        assert!(calendar.is_working_day(easter_monday), "{year} Easter Monday");
    }
}

#[test]
fn easter_sunday_matches_published_dates() {
    let cases = [
        (1990, "1990-04-15"),
        (2000, "2000-04-23"),
        (2008, "2008-03-23"),
        (2011, "2011-04-24"),
        (2019, "2019-04-21"),
        (2024, "2024-03-31"),
        (2025, "2025-04-20"),
        (2026, "2026-04-05"),
        (2038, "2038-04-25"),
        (2049, "2049-04-18"),
        (2100, "2100-03-28"),
    ];
    for (year, expected) in cases {
        assert_eq!(easter_sunday(year), date(expected), "{year}");
    }
}

#[test]
fn proclaimed_days_replace_the_holiday_they_moved() {
    let calendar = Calendar::scotland();
    let cases = [
        ("2020-05-08", Some("2020-05-04")),
        ("2022-06-02", Some("2022-05-30")),
        ("2022-06-03", None),
        ("2022-09-19", None),
        ("2023-05-08", None),
        ("2026-06-15", None),
        ("2012-06-05", Some("2012-05-28")),
    ];
    for (one_off, replaced) in cases {
        assert!(!calendar.is_working_day(date(one_off)), "{one_off}");
        if let Some(replaced) = replaced {
            assert!(calendar.is_working_day(date(replaced)), "{replaced} should be a working day again");
        }
    }
}

#[test]
fn organisation_changes_add_and_remove_days() {
    let changes = [
        local_day("2026-04-06", "Easter Monday", DayKind::Local),
        local_day("2026-12-24", "Festive closure", DayKind::Closure),
        CalendarChange::Remove { date: date("2026-06-15"), reason: "Offices open".to_owned() },
    ];
    let calendar = Calendar::scotland().with_changes(&changes);
    assert!(!calendar.is_working_day(date("2026-04-06")));
    assert_eq!(calendar.non_working_day(date("2026-12-24")).map(|d| d.kind), Some(DayKind::Closure));
    assert!(calendar.is_working_day(date("2026-06-15")));
    assert_eq!(calendar.removed_days().collect::<Vec<_>>(), vec![(date("2026-06-15"), "Offices open")]);
}

#[test]
fn calendar_version_changes_whenever_the_changes_do() {
    let base = Calendar::scotland();
    let easter = [local_day("2026-04-06", "Easter Monday", DayKind::Local)];
    let renamed = [local_day("2026-04-06", "Spring holiday", DayKind::Local)];
    let closure = [local_day("2026-04-06", "Easter Monday", DayKind::Closure)];
    let removed = [CalendarChange::Remove { date: date("2026-06-15"), reason: "Offices open".to_owned() }];

    let versions = [
        base.version().clone(),
        base.clone().with_changes(&easter).version().clone(),
        base.clone().with_changes(&renamed).version().clone(),
        base.clone().with_changes(&closure).version().clone(),
        base.clone().with_changes(&removed).version().clone(),
        base.clone().with_changes(&easter).with_changes(&removed).version().clone(),
    ];
    let distinct: BTreeSet<_> = versions.iter().collect();
    assert_eq!(distinct.len(), versions.len(), "{versions:?}");
    // The same changes give the same version, so unchanged configuration never triggers a recompute.
    assert_eq!(base.clone().with_changes(&easter).version(), &versions[1]);
    assert_eq!(base.clone().with_changes(&[]).version(), base.version());
    assert!(versions[1].as_str().starts_with(base.version().as_str()), "{}", versions[1]);
}

#[test]
fn calendar_covers_exactly_the_generated_years() {
    assert!(Calendar::covers(date("1990-01-01")));
    assert!(Calendar::covers(date("2100-12-31")));
    assert!(!Calendar::covers(date("1989-12-31")));
    assert!(!Calendar::covers(date("2101-01-01")));
}

#[test]
fn bank_holidays_of_a_year_chrono_cannot_represent_are_empty_rather_than_a_panic() {
    for year in [i32::MIN, -300_000, 300_000, i32::MAX] {
        assert!(scottish_bank_holidays(year).is_empty(), "{year}");
    }
    assert_eq!(scottish_bank_holidays(2026).len(), 11, "nine bank holidays, the Boxing Day substitute and 15 June");
}
