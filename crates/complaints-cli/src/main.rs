//! The `complaints` command: the MCHP rules from a shell, and `serve`, the local all-in-one run.

mod calendar_cmd;
mod case_cmd;
mod serve;

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
    /// Run everything locally on the embedded default (SQLite, outbox folder, web form).
    Serve(serve::ServeArgs),
    /// Look at cases in the local store.
    #[command(subcommand)]
    Case(case_cmd::CaseCommand),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // Help and version go to stdout with success; bad arguments get exit code 2.
            let _ = err.print();
            return if err.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    match cli.command {
        Command::Calendar(command) => calendar_cmd::run(command),
        Command::Serve(args) => serve::run(args),
        Command::Case(command) => case_cmd::run(command),
    }
}
