//! `complaints case …`: look at cases in the local store. SKELETON.

use std::process::ExitCode;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum CaseCommand {
    /// Print a case and its timeline.
    Show { reference: String },
}

pub fn run(_command: CaseCommand) -> ExitCode {
    eprintln!("complaints: case commands are not built yet");
    ExitCode::from(1)
}
