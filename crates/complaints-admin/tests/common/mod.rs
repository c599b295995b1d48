//! The `complaints-admin` binary run as a process against a moto server, as an operator runs it.

use std::process::{Command, Output};

/// Runs `complaints-admin ARGS` against the endpoint `url` with moto's dummy credentials.
pub fn admin(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_complaints-admin"))
        .args(args)
        .env("AWS_ENDPOINT_URL", url)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", complaints_testkit::MOTO_REGION)
        .env_remove("AWS_SESSION_TOKEN")
        .output()
        .expect("the command runs")
}
