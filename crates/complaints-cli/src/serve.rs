//! `complaints serve`: the local all-in-one run on the embedded default. SKELETON.

use std::process::ExitCode;

use clap::Args;

#[derive(Debug, Args)]
pub struct ServeArgs {}

pub fn run(_args: ServeArgs) -> ExitCode {
    eprintln!("complaints: serve is not built yet");
    ExitCode::from(1)
}
