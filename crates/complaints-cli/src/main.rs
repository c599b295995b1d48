//! The `complaints` command: the MCHP rules from a shell, and `serve`, the local all-in-one run.

mod calendar_cmd;
mod case_cmd;
mod end_sessions_cmd;
mod export_cmd;
mod ingest_email_cmd;
mod learning_cmd;
mod quality_cmd;
mod scan_cmd;
mod serve;
mod serve_rounds;
mod staff_ctx;
mod staff_pages;
mod users_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "complaints", version, about = "SPSO MCHP complaints handling")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Working-day calendar: holidays, deadlines, working days taken.
    #[command(subcommand)]
    Calendar(calendar_cmd::CalendarCommand),
    /// Run everything locally on the embedded default (SQLite, mail folder, web form).
    Serve(serve::ServeArgs),
    /// Handle cases in the local store: every staff action, lists, show, subject-access export.
    Case(case_cmd::CaseArgs),
    /// The learning-actions register (R35).
    Learning(learning_cmd::LearningArgs),
    /// The local users file: who may act, in which role, with a hashed API token each.
    #[command(subcommand)]
    Users(users_cmd::UsersCommand),
    /// Quarterly or annual export: indicators, cases.csv and the report, under the data directory.
    Export(export_cmd::ExportArgs),
    /// Run the breach scan now (or `--at`): print the deadline digests and send them to the mail folder.
    Scan(scan_cmd::ScanArgs),
    /// Take in .eml files through email intake; one line (or JSON object) per file.
    IngestEmail(ingest_email_cmd::IngestEmailArgs),
    /// The quality check of closed complaints: the month's sample, reviews and results (R48).
    Quality(quality_cmd::QualityArgs),
    /// End every staff-page session of one user (`--dry-run`: only count them).
    EndSessions(end_sessions_cmd::EndSessionsArgs),
}

/// clap's error without the usage block and hints, on one line.
fn one_line(err: &clap::Error) -> String {
    let rendered = err.render().to_string();
    let kept: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .take_while(|line| !line.starts_with("Usage:") && !line.starts_with("For more information"))
        .filter(|line| !line.starts_with("tip:"))
        .collect();
    kept.join(" ")
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) if !err.use_stderr() => {
            // Help and version go to stdout with success.
            let _ = err.print();
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            // Bad arguments: one line on stderr, exit code 2, so scripts can tell them apart.
            eprintln!("complaints: {}", one_line(&err));
            return ExitCode::from(2);
        }
    };
    match cli.command {
        Command::Calendar(command) => calendar_cmd::run(command),
        Command::Serve(args) => serve::run(args),
        Command::Case(args) => case_cmd::run(args),
        Command::Learning(args) => learning_cmd::run(args),
        Command::Quality(args) => quality_cmd::run(args),
        Command::Users(command) => users_cmd::run(command),
        Command::Export(args) => export_cmd::run(args),
        Command::Scan(args) => scan_cmd::run(args),
        Command::IngestEmail(args) => ingest_email_cmd::run(args),
        Command::EndSessions(args) => end_sessions_cmd::run(args),
    }
}
