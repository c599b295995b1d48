//! `complaints-admin`: administration of a deployment (its DynamoDB table, its staff directory in
//! SSM), run from an operator's shell with the deployment's credentials in the environment (`AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, optionally `AWS_SESSION_TOKEN`, and `AWS_REGION`; `AWS_ENDPOINT_URL`
//! points it at a local endpoint). Progress goes to standard error on a terminal only.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

mod backfill_shell;
mod end_sessions_cmd;
mod indexes_cmd;
mod staff_directory;

#[derive(Debug, Parser)]
#[command(name = "complaints-admin", version, about = "Administration of a deployed complaints service")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Add the ESCALATED items that cases escalated before they existed lack, so the quarterly
    /// export finds them (idempotent; a re-run carries on after the last month finished).
    BackfillEscalations(BackfillArgs),
    /// Add the name, SPSO referral and flag items that cases written before those indexes
    /// existed lack (idempotent; a re-run carries on after the last month finished).
    BackfillIndexes(indexes_cmd::IndexArgs),
    /// Write the breach scan's staff directory (the SSM parameter `StaffDirectoryParameterName`)
    /// from a users file or a CSV, showing what changes (`--dry-run`: only that).
    StaffDirectory(staff_directory::StaffDirectoryArgs),
    /// End every workspace session of one member of staff (`--dry-run`: only count them).
    EndSessions(end_sessions_cmd::EndSessionsArgs),
}

#[derive(Debug, clap::Args)]
struct BackfillArgs {
    #[command(flatten)]
    months: backfill_shell::Months,
}

async fn backfill(args: BackfillArgs) -> anyhow::Result<()> {
    let months = args.months;
    let store = months.store()?;
    let mut progress = backfill_shell::progress(|done| {
        format!("{} cases read, {} escalated, {} items added", done.cases_read, done.escalated, done.added)
    });
    let summary = store
        .backfill_escalations(months.since, months.until(), months.restart, progress.as_mut())
        .await
        .context("the backfill stopped; run the same command again to carry on")?;
    println!(
        "months walked: {}, already done: {}, cases read: {}, escalated: {}, ESCALATED items added: {}",
        summary.months_walked, summary.months_already_done, summary.cases_read, summary.escalated, summary.added
    );
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::BackfillEscalations(args) => backfill(args).await,
        Command::BackfillIndexes(args) => indexes_cmd::run(args).await,
        Command::StaffDirectory(args) => staff_directory::run(args).await,
        Command::EndSessions(args) => end_sessions_cmd::run(args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
