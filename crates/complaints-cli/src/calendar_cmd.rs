//! `complaints calendar …`: holidays, deadlines and working days from the shell, so anyone can
//! check the working-day rules (mchp-rules §2) against an organisation's configuration.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Subcommand};
use complaints_core::calendar::{Calendar, FIRST_YEAR, LAST_YEAR};
use complaints_core::config::OrgConfig;
use complaints_core::dates::StageDates;
use complaints_core::workdays::{ClockStart, DayOneRule, local_date_time};
use serde::Serialize;

#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// One line per non-working day: date, name and kind, separated by tabs.
    Holidays {
        /// First year to list.
        #[arg(long, value_name = "YEAR", value_parser = year)]
        from: i32,
        /// Last year to list (defaults to the first).
        #[arg(long, value_name = "YEAR", value_parser = year)]
        to: Option<i32>,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// The due dates of a complaint received at a moment, as JSON. Stage 2 dates are those of a
    /// complaint that goes straight to stage 2 on receipt.
    Deadlines {
        /// When it was received: an RFC 3339 instant (2025-11-27T10:15:00Z) or a date (2025-11-27).
        #[arg(long, value_name = "WHEN", value_parser = received)]
        received: Received,
        #[command(flatten)]
        rule: RuleArg,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Working days taken from a start date to an end date, counted like the deadlines (under rule
    /// A a case closed on its start day took 1 day).
    WorkingDays {
        /// Start date of the timescale (e.g. the effective receipt date).
        #[arg(long, value_name = "DATE", value_parser = date)]
        from: NaiveDate,
        /// End date (e.g. the date the response was given).
        #[arg(long, value_name = "DATE", value_parser = date)]
        to: NaiveDate,
        #[command(flatten)]
        rule: RuleArg,
        #[command(flatten)]
        config: ConfigArg,
    },
}

#[derive(Debug, Args)]
pub struct ConfigArg {
    /// Organisation configuration file (TOML); without it the built-in configuration is used.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RuleArg {
    /// Day-one rule, A or B; overrides the configuration's `procedure.day_one_rule`.
    #[arg(long, value_name = "A|B", value_parser = rule)]
    rule: Option<DayOneRule>,
}

/// A receipt given on the command line.
#[derive(Debug, Clone, Copy)]
pub enum Received {
    /// A moment: its local date and the cut-off decide the effective receipt date.
    At(DateTime<Utc>),
    /// A local date with no time of day: the cut-off does not apply.
    On(NaiveDate),
}

fn date(text: &str) -> Result<NaiveDate, String> {
    let parsed = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("expected a date like 2025-11-27, not {text:?}"))?;
    if Calendar::covers(parsed) {
        Ok(parsed)
    } else {
        Err(format!("{parsed} is outside the years the calendar covers ({FIRST_YEAR}–{LAST_YEAR})"))
    }
}

fn year(text: &str) -> Result<i32, String> {
    match text.parse::<i32>() {
        Ok(year) if (FIRST_YEAR..=LAST_YEAR).contains(&year) => Ok(year),
        _ => Err(format!("expected a year from {FIRST_YEAR} to {LAST_YEAR}, not {text:?}")),
    }
}

fn received(text: &str) -> Result<Received, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        let at = at.with_timezone(&Utc);
        return date(&local_date_time(at).date().to_string()).map(|_| Received::At(at));
    }
    date(text)
        .map(Received::On)
        .map_err(|_| format!("expected an instant like 2025-11-27T10:15:00Z or a date like 2025-11-27, not {text:?}"))
}

fn rule(text: &str) -> Result<DayOneRule, String> {
    text.parse().map_err(|e: complaints_core::workdays::UnknownDayOneRule| e.to_string())
}

/// What `calendar deadlines` prints.
#[derive(Debug, Serialize)]
struct Deadlines {
    /// The raw receipt instant, when one was given (R8: stored as well as the effective date).
    received_at: Option<DateTime<Utc>>,
    /// The receipt in Europe/London wall-clock time.
    received_local: Option<String>,
    effective_receipt: NaiveDate,
    /// True when the receipt was moved to the next working day (non-working day or after cut-off).
    deferred: bool,
    cutoff: Option<String>,
    day_one_rule: DayOneRule,
    day_one: NaiveDate,
    stage1_due: NaiveDate,
    stage1_extended_cap: NaiveDate,
    stage1_extension_cap_working_days: u32,
    stage2_ack_due: NaiveDate,
    stage2_due: NaiveDate,
    calendar_version: String,
}

/// A failure worth one line on stderr and exit code 2.
#[derive(Debug)]
struct Refusal(String);

pub fn run(command: CalendarCommand) -> ExitCode {
    let mut out = std::io::stdout().lock();
    let result = match command {
        CalendarCommand::Holidays { from, to, config } => holidays(&mut out, from, to.unwrap_or(from), &config),
        CalendarCommand::Deadlines { received, rule, config } => deadlines(&mut out, received, &rule, &config),
        CalendarCommand::WorkingDays { from, to, rule, config } => working_days(&mut out, from, to, &rule, &config),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Refusal(why)) => {
            eprintln!("complaints: error: {why}");
            ExitCode::from(2)
        }
    }
}

fn load(arg: &ConfigArg) -> Result<OrgConfig, Refusal> {
    let Some(path) = &arg.config else {
        return Ok(OrgConfig::builtin());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| Refusal(format!("cannot read configuration {}: {e}", path.display())))?;
    OrgConfig::from_toml_str(&text).map_err(|e| Refusal(format!("{}: {e}", path.display())))
}

fn written(result: std::io::Result<()>) -> Result<(), Refusal> {
    match result {
        // A closed pipe (`| head`) is the reader's choice, not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|e| Refusal(format!("cannot write output: {e}"))),
    }
}

fn holidays(out: &mut impl Write, from: i32, to: i32, config: &ConfigArg) -> Result<(), Refusal> {
    if from > to {
        return Err(Refusal(format!("--from {from} is after --to {to}")));
    }
    let calendar = load(config)?.calendar();
    let (Some(first), Some(last)) = (NaiveDate::from_ymd_opt(from, 1, 1), NaiveDate::from_ymd_opt(to, 12, 31)) else {
        return Err(Refusal(format!("years {from}–{to} are not representable")));
    };
    written((|| {
        for day in calendar.non_working_days(first, last) {
            // Tabs separate fields, so keep any stray tab or newline in a configured name out of them.
            let name = day.name.replace(['\t', '\n', '\r'], " ");
            writeln!(out, "{}\t{name}\t{}", day.date, day.kind)?;
        }
        out.flush()
    })())
}

fn deadlines(out: &mut impl Write, received: Received, rule: &RuleArg, config: &ConfigArg) -> Result<(), Refusal> {
    let config = load(config)?;
    let calendar = config.calendar();
    let policy = &config.procedure;
    let day_one_rule = rule.rule.unwrap_or(policy.day_one_rule);
    let start = match received {
        Received::At(at) => ClockStart::received_at(&calendar, at, policy.cutoff),
        Received::On(on) => ClockStart::on_date(&calendar, on),
    };
    let due = |working_days| start.due_after(&calendar, day_one_rule, working_days);
    let stage_dates = StageDates::from_start(start, &calendar, day_one_rule);
    let report = Deadlines {
        received_at: match received {
            Received::At(at) => Some(at),
            Received::On(_) => None,
        },
        received_local: match received {
            Received::At(at) => Some(local_date_time(at).format("%Y-%m-%dT%H:%M:%S").to_string()),
            Received::On(_) => None,
        },
        effective_receipt: start.effective,
        deferred: start.deferred,
        cutoff: policy.cutoff.map(|cut| cut.format("%H:%M").to_string()),
        day_one_rule,
        day_one: start.day_one(&calendar, day_one_rule),
        stage1_due: stage_dates.stage1_due,
        stage1_extended_cap: due(policy.stage1_extension_cap_working_days),
        stage1_extension_cap_working_days: policy.stage1_extension_cap_working_days,
        stage2_ack_due: stage_dates.stage2_acknowledgement_due,
        stage2_due: stage_dates.stage2_due,
        calendar_version: calendar.version().to_string(),
    };
    let json = serde_json::to_string_pretty(&report).map_err(|e| Refusal(format!("cannot format deadlines: {e}")))?;
    written(writeln!(out, "{json}").and_then(|()| out.flush()))
}

fn working_days(
    out: &mut impl Write,
    from: NaiveDate,
    to: NaiveDate,
    rule: &RuleArg,
    config: &ConfigArg,
) -> Result<(), Refusal> {
    if from > to {
        return Err(Refusal(format!("--from {from} is after --to {to}")));
    }
    let config = load(config)?;
    let calendar = config.calendar();
    let day_one_rule = rule.rule.unwrap_or(config.procedure.day_one_rule);
    let taken = ClockStart::on_date(&calendar, from).working_days_taken(&calendar, day_one_rule, to);
    written(writeln!(out, "{taken}").and_then(|()| out.flush()))
}
