//! `complaints calendar …`: holidays, deadlines and working days from the shell. SKELETON.

use std::process::ExitCode;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// One line per non-working day: date, name, kind.
    Holidays,
}

pub fn run(_command: CalendarCommand) -> ExitCode {
    eprintln!("complaints: calendar commands are not built yet");
    ExitCode::from(2)
}
