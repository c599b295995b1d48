//! The `complaints-admin` binary run as a process against a moto server, as an operator runs it.
#![allow(dead_code)] // each test binary uses a different part of this module

use std::process::{Command, Output};

/// `complaints-admin ARGS` pointed at the endpoint `url` with moto's dummy credentials, and no
/// session token from the caller's shell.
pub fn admin_command(url: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_complaints-admin"));
    command.args(args).envs(complaints_testkit::moto_process_env(url)).env_remove("AWS_SESSION_TOKEN");
    command
}

/// Runs `complaints-admin ARGS` against the endpoint `url` with moto's dummy credentials.
pub fn admin(url: &str, args: &[&str]) -> Output {
    admin_command(url, args).output().expect("the command runs")
}
