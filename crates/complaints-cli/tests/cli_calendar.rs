//! The `complaints calendar` commands through the real binary: output formats, the worked examples,
//! configuration files, and one-line errors with exit code 2 for bad arguments.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::process::{Command, Output};

/// The project's own reference list (complaints-core's test fixture), so this runs on any clone.
const REFERENCE_CSV: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../complaints-core/tests/fixtures/scotland-holidays-2020-2030.csv");
const EXAMPLE_CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/example.toml");

fn complaints(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_complaints")).args(args).output().expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn deadlines(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["calendar", "deadlines"];
    all.extend_from_slice(args);
    serde_json::from_str(&stdout(&complaints(&all))).expect("deadlines print JSON")
}

fn config_file(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file
}

#[test]
fn holidays_prints_the_reference_dates_one_tab_separated_line_each() {
    let text = stdout(&complaints(&["calendar", "holidays", "--from", "2020", "--to", "2030"]));
    let csv = std::fs::read_to_string(REFERENCE_CSV).unwrap();
    let expected: Vec<&str> = csv
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .skip(1)
        .filter_map(|line| line.split(',').next())
        .collect();
    let mut dates = Vec::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(fields.len(), 3, "{line:?}");
        assert!(!fields[1].is_empty(), "{line:?}");
        assert!(["bank", "substitute", "one-off", "local", "closure"].contains(&fields[2]), "{line:?}");
        dates.push(fields[0]);
    }
    assert_eq!(dates, expected);
}

#[test]
fn holidays_include_the_organisations_changes_from_its_configuration() {
    let text =
        stdout(&complaints(&["calendar", "holidays", "--from", "2026", "--to", "2026", "--config", EXAMPLE_CONFIG]));
    assert!(text.lines().any(|line| line == "2026-04-06\tEaster Monday\tlocal"), "{text}");
    assert!(text.lines().any(|line| line == "2026-12-24\tFestive closure\tclosure"), "{text}");
    assert!(!text.contains("2026-06-15"), "the example removes 15 June: {text}");
    assert!(text.lines().any(|line| line.starts_with("2026-12-28\t") && line.ends_with("\tsubstitute")), "{text}");
}

#[test]
fn deadlines_reproduce_the_worked_examples() {
    let cases = [
        // (received, rule, effective, stage 1, stage 2 ack, stage 2)
        ("2025-11-27T10:15:00Z", "A", "2025-11-27", "2025-12-04", "2025-12-02", "2025-12-29"),
        ("2025-11-27T10:15:00Z", "B", "2025-11-27", "2025-12-05", "2025-12-03", "2025-12-30"),
        ("2025-11-29T09:00:00Z", "A", "2025-12-02", "2025-12-08", "2025-12-04", "2025-12-31"),
        ("2025-11-29", "B", "2025-12-02", "2025-12-08", "2025-12-04", "2025-12-31"),
        ("2025-12-19T16:45:00Z", "A", "2025-12-19", "2025-12-29", "2025-12-23", "2026-01-21"),
        ("2025-12-19", "B", "2025-12-19", "2025-12-30", "2025-12-24", "2026-01-22"),
    ];
    for (received, rule, effective, stage1, ack, stage2) in cases {
        let json = deadlines(&["--received", received, "--rule", rule]);
        let context = format!("{received} rule {rule}: {json}");
        assert_eq!(json["effective_receipt"], effective, "{context}");
        assert_eq!(json["stage1_due"], stage1, "{context}");
        assert_eq!(json["stage2_ack_due"], ack, "{context}");
        assert_eq!(json["stage2_due"], stage2, "{context}");
        assert_eq!(json["day_one_rule"], rule, "{context}");
    }
}

#[test]
fn deadlines_report_the_extension_cap_calendar_version_and_local_time() {
    let json = deadlines(&["--received", "2026-06-30T23:30:00Z"]);
    assert_eq!(json["received_local"], "2026-07-01T00:30:00", "{json}");
    assert_eq!(json["effective_receipt"], "2026-07-01", "{json}");
    // Ten working days from Wed 1 July 2026 under rule A: Tue 14 July.
    assert_eq!(json["stage1_extended_cap"], "2026-07-14", "{json}");
    assert_eq!(json["day_one_rule"], "A", "{json}");
    let builtin = json["calendar_version"].as_str().unwrap().to_owned();

    let configured = deadlines(&["--received", "2026-06-30T23:30:00Z", "--config", EXAMPLE_CONFIG]);
    assert_ne!(configured["calendar_version"].as_str().unwrap(), builtin, "{configured}");
    assert_eq!(configured["cutoff"], "17:00", "{configured}");
}

#[test]
fn deadlines_apply_the_configured_cut_off_and_day_one_rule() {
    let config = config_file("[procedure]\nday_one_rule = \"B\"\ncutoff = \"16:00\"\n");
    let path = config.path().to_str().unwrap();
    // 16:30 BST on Wednesday 13 May 2026 is after the cut-off: Thursday 14 May is day 1 under rule B too.
    let json = deadlines(&["--received", "2026-05-13T15:30:00Z", "--config", path]);
    assert_eq!(json["effective_receipt"], "2026-05-14", "{json}");
    assert_eq!(json["deferred"], true, "{json}");
    assert_eq!(json["day_one_rule"], "B", "{json}");
    assert_eq!(json["stage1_due"], "2026-05-20", "{json}");
    // --rule overrides the configuration.
    let json = deadlines(&["--received", "2026-05-13T10:00:00Z", "--config", path, "--rule", "A"]);
    assert_eq!(json["stage1_due"], "2026-05-19", "{json}");
}

#[test]
fn working_days_counts_like_the_deadlines() {
    let cases = [
        (&["--from", "2025-11-27", "--to", "2025-11-27"][..], "1"),
        (&["--from", "2025-11-27", "--to", "2025-11-27", "--rule", "B"][..], "0"),
        (&["--from", "2025-11-27", "--to", "2025-12-04"][..], "5"),
        (&["--from", "2025-12-19", "--to", "2026-01-21"][..], "20"),
        (&["--from", "2025-12-19", "--to", "2026-01-22", "--rule", "B"][..], "20"),
    ];
    for (args, expected) in cases {
        let mut all = vec!["calendar", "working-days"];
        all.extend_from_slice(args);
        assert_eq!(stdout(&complaints(&all)).trim(), expected, "{args:?}");
    }
}

#[test]
fn bad_arguments_get_one_line_on_stderr_and_exit_code_2() {
    let broken_config = config_file("[procedure]\ncutoff = \"25:00\"\n");
    let broken = broken_config.path().to_str().unwrap().to_owned();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["calendar", "working-days", "--from", "2025-13-01", "--to", "2025-12-04"], "2025-13-01"),
        (vec!["calendar", "working-days", "--from", "2025-12-04", "--to", "2025-11-27"], "after"),
        (vec!["calendar", "working-days", "--from", "2025-11-27"], "--to"),
        (vec!["calendar", "holidays", "--from", "2026", "--to", "2024"], "after"),
        (vec!["calendar", "holidays", "--from", "1850"], "1850"),
        (vec!["calendar", "deadlines", "--received", "yesterday"], "yesterday"),
        (vec!["calendar", "deadlines", "--received", "2025-11-27T10:15:00Z", "--rule", "C"], "A or B"),
        (
            vec!["calendar", "deadlines", "--received", "2025-11-27", "--config", "/nonexistent/complaints.toml"],
            "cannot read",
        ),
        (vec!["calendar", "deadlines", "--received", "2025-11-27", "--config", broken.as_str()], "procedure.cutoff"),
        (vec!["calendar", "deadlines"], "--received"),
        (vec!["calendar", "no-such-command"], "no-such-command"),
    ];
    for (args, mentions) in cases {
        let output = complaints(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}: nothing on stdout");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr:?}");
        assert!(stderr.contains(mentions), "{args:?}: {stderr:?} should mention {mentions}");
    }
}

#[test]
fn help_is_printed_on_stdout_with_success() {
    let output = complaints(&["calendar", "deadlines", "--help"]);
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("--received"));
}
