//! Organisation configuration: the example file, defaults, calendar changes and one-line errors that
//! name the bad key.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use chrono::{NaiveDate, NaiveTime};
use complaints_core::calendar::{CalendarChange, DayKind};
use complaints_core::config::{ConfigError, OrgConfig};
use complaints_core::workdays::DayOneRule;

const EXAMPLE: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/example.toml"));

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

#[test]
fn example_file_loads_and_sets_every_section() {
    let config = OrgConfig::from_toml_str(EXAMPLE).unwrap();
    assert_eq!(config.organisation.reference_prefix, "CMP");
    assert_eq!(config.procedure.day_one_rule, DayOneRule::A);
    assert_eq!(config.procedure.cutoff, NaiveTime::from_hms_opt(17, 0, 0));
    assert_eq!(config.procedure.stage1_max_extensions, 1);
    assert_eq!(config.procedure.categories, complaints_core::policy::default_categories());
    assert_eq!(config.mail.reply_to.as_deref(), Some("complaints@example.org"));
    assert!(!config.service_areas.is_empty());
    assert_eq!(config.email.extra_blocked_extensions, ["docm", "xlsm"]);

    let calendar = config.calendar();
    assert!(!calendar.is_working_day(date("2026-04-06")), "Easter Monday added as a local holiday");
    assert_eq!(calendar.non_working_day(date("2026-12-24")).map(|d| d.kind), Some(DayKind::Closure));
    assert!(calendar.is_working_day(date("2026-06-15")), "World Cup day removed");
    assert_ne!(calendar.version(), OrgConfig::builtin().calendar().version());
}

#[test]
fn an_empty_file_gives_the_builtin_configuration() {
    assert_eq!(OrgConfig::from_toml_str("").unwrap(), OrgConfig::builtin());
    assert_eq!(OrgConfig::builtin().calendar().version(), complaints_core::calendar::Calendar::scotland().version());
}

#[test]
fn calendar_changes_accept_quoted_and_bare_toml_dates() {
    let text = r#"
        [[calendar.add]]
        date = 2026-04-06
        name = "Easter Monday"
        kind = "local"
        source = "Council decision 2025/17"

        [[calendar.add]]
        date = "2026-12-24"
        name = "Festive closure"
        kind = "closure"
        source = "Notice 4"

        [[calendar.remove]]
        date = 2026-06-15
        reason = "Open"
    "#;
    let config = OrgConfig::from_toml_str(text).unwrap();
    let dates: Vec<(NaiveDate, &str)> = config
        .calendar
        .iter()
        .map(|change| match change {
            CalendarChange::Add(day) => (day.date, day.kind.as_str()),
            CalendarChange::Remove { date, .. } => (*date, "removed"),
        })
        .collect();
    // Removals come first, then additions in file order.
    assert_eq!(
        dates,
        vec![(date("2026-06-15"), "removed"), (date("2026-04-06"), "local"), (date("2026-12-24"), "closure")]
    );
}

#[test]
fn configuration_round_trips_through_json() {
    let config = OrgConfig::from_toml_str(EXAMPLE).unwrap();
    let json = serde_json::to_string(&config).unwrap();
    let back: OrgConfig = serde_json::from_str(&json).unwrap();
    assert_eq!(back, config);
}

#[test]
fn bad_values_are_refused_with_the_key_they_are_about() {
    let add = |date: &str, kind: &str| {
        format!("[[calendar.add]]\ndate = {date}\nname = \"Day\"\nkind = \"{kind}\"\nsource = \"Decision 1\"\n")
    };
    let cases: Vec<(&str, String, &str)> = vec![
        ("bad prefix", "[organisation]\nreference_prefix = \"cmp-1\"".into(), "organisation.reference_prefix"),
        ("empty name", "[organisation]\nname = \"  \"".into(), "organisation.name"),
        ("empty handler", "[organisation]\ndefault_handler = \"\"".into(), "organisation.default_handler"),
        ("bad day-one rule", "[procedure]\nday_one_rule = \"C\"".into(), "procedure.day_one_rule"),
        ("too many extensions", "[procedure]\nstage1_max_extensions = 6".into(), "procedure.stage1_max_extensions"),
        (
            "handler authorises",
            "[procedure]\nextension_authoriser = \"handler\"".into(),
            "procedure.extension_authoriser",
        ),
        ("unknown role", "[procedure]\nextension_authoriser = \"director\"".into(), "procedure.extension_authoriser"),
        ("unknown R27 start", "[procedure]\nmoved_stage2_start = \"later\"".into(), "procedure.moved_stage2_start"),
        (
            "unknown escalation start",
            "[procedure]\nescalated_stage2_start = \"receipt\"".into(),
            "procedure.escalated_stage2_start",
        ),
        ("unknown R29 anchor", "[procedure]\nprogress_updates_from = \"x\"".into(), "procedure.progress_updates_from"),
        ("unknown month end", "[procedure]\nmonth_end = \"round\"".into(), "procedure.month_end"),
        ("blank category", "[procedure]\ncategories = [\"Delay\", \" \"]".into(), "procedure.categories"),
        ("category twice", "[procedure]\ncategories = [\"Delay\", \"delay\"]".into(), "procedure.categories"),
        ("cut-off 25:00", "[procedure]\ncutoff = \"25:00\"".into(), "procedure.cutoff"),
        ("cut-off as a number", "[procedure]\ncutoff = 17".into(), "procedure.cutoff"),
        (
            "extension cap below 5",
            "[procedure]\nstage1_extension_cap_working_days = 4".into(),
            "procedure.stage1_extension_cap_working_days",
        ),
        (
            "negative cap",
            "[procedure]\nstage1_extension_cap_working_days = -1".into(),
            "procedure.stage1_extension_cap_working_days",
        ),
        (
            "extension cap too long to count",
            "[procedure]\nstage1_extension_cap_working_days = 4000000000".into(),
            "procedure.stage1_extension_cap_working_days",
        ),
        (
            "progress cycle too long to count",
            "[procedure]\nprogress_update_working_days = 4000000000".into(),
            "procedure.progress_update_working_days",
        ),
        (
            "progress cycle 0",
            "[procedure]\nprogress_update_working_days = 0".into(),
            "procedure.progress_update_working_days",
        ),
        ("unknown procedure key", "[procedure]\ncutof = \"17:00\"".into(), "procedure.cutof"),
        ("unknown top-level key", "colour = \"blue\"".into(), "colour"),
        ("unknown table", "[organization]\nname = \"x\"".into(), "organization"),
        ("bad from address", "[mail]\nfrom = \"complaints\"".into(), "mail.from"),
        ("bad reply-to", "[mail]\nreply_to = \"a@b\"".into(), "mail.reply_to"),
        ("no service areas", "service_areas = []".into(), "service_areas"),
        ("duplicate service area", "service_areas = [\"Housing\", \"housing\"]".into(), "service_areas[1]"),
        ("calendar date not a date", add("\"2026-13-01\"", "local"), "calendar.add[0].date"),
        ("calendar date with time", add("2026-04-06T10:00:00", "local"), "calendar.add[0].date"),
        ("calendar date out of range", add("\"2150-01-01\"", "local"), "calendar.add[0].date"),
        ("unknown calendar kind", add("\"2026-04-06\"", "holiday"), "calendar.add[0].kind"),
        ("bank kind cannot be added", add("\"2026-04-06\"", "bank"), "calendar.add[0].kind"),
        (
            "added twice",
            format!("{}{}", add("\"2026-04-06\"", "local"), add("\"2026-04-06\"", "closure")),
            "calendar.add[1].date",
        ),
        (
            "missing source",
            "[[calendar.add]]\ndate = \"2026-04-06\"\nname = \"Day\"\nkind = \"local\"".into(),
            "calendar.add[0].source",
        ),
        (
            "empty source",
            "[[calendar.add]]\ndate = \"2026-04-06\"\nname = \"Day\"\nkind = \"local\"\nsource = \"\"".into(),
            "calendar.add[0].source",
        ),
        ("unknown calendar key", "[[calendar.add]]\nday = \"2026-04-06\"".into(), "calendar.add[0].day"),
        (
            "removing a working day",
            "[[calendar.remove]]\ndate = \"2026-03-03\"\nreason = \"typo\"".into(),
            "calendar.remove[0].date",
        ),
        (
            "removal without reason",
            "[[calendar.remove]]\ndate = \"2026-06-15\"\nreason = \" \"".into(),
            "calendar.remove[0].reason",
        ),
        (
            "removed and added",
            format!(
                "[[calendar.remove]]\ndate = \"2026-06-15\"\nreason = \"Open\"\n{}",
                add("\"2026-06-15\"", "closure")
            ),
            "calendar.add[0].date",
        ),
    ];
    for (what, text, field) in cases {
        let error = OrgConfig::from_toml_str(&text).expect_err(what);
        assert_eq!(error.field(), Some(field), "{what}: {error}");
        let message = error.to_string();
        assert!(message.contains(field), "{what}: {message}");
        assert!(!message.contains('\n'), "{what}: message spans lines: {message}");
    }
}

#[test]
fn a_syntax_error_is_reported_on_one_line_with_its_line_number() {
    let error = OrgConfig::from_toml_str("[organisation]\nname = \"unterminated\n").unwrap_err();
    assert!(matches!(error, ConfigError::Syntax(_)), "{error}");
    let message = error.to_string();
    assert!(message.contains("line 2"), "{message}");
    assert!(!message.contains('\n'), "{message}");
}

#[test]
fn the_procedure_defaults_for_unconfirmed_rules_can_each_be_changed() {
    use complaints_core::policy::{EscalatedStart, MonthEnd, MovedStart, ProgressFrom};
    use complaints_core::timeline::StaffRole;
    let text = "[procedure]\nstage1_max_extensions = 2\nextension_authoriser = \"senior-manager\"\n\
                escalated_stage2_start = \"next-working-day\"\nmoved_stage2_start = \"receipt\"\n\
                progress_updates_from = \"extension\"\nmonth_end = \"next-month\"\ncategories = []\n";
    let policy = OrgConfig::from_toml_str(text).unwrap().procedure;
    assert_eq!(policy.stage1_max_extensions, 2);
    assert_eq!(policy.extension_authoriser, StaffRole::SeniorManager);
    assert!(!policy.may_authorise_extensions(StaffRole::Manager));
    assert_eq!(policy.escalated_stage2_start, EscalatedStart::NextWorkingDay);
    assert_eq!(policy.moved_stage2_start, MovedStart::Receipt);
    assert_eq!(policy.progress_updates_from, ProgressFrom::Extension);
    assert_eq!(policy.month_end, MonthEnd::NextMonth);
    assert!(policy.knows_category("anything at all"), "no list: any category");
}
