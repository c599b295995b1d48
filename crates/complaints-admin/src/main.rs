//! `complaints-admin`: administration of a deployment (its DynamoDB table, its staff directory in
//! SSM), run from an operator's shell with the deployment's credentials in the environment (`AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, optionally `AWS_SESSION_TOKEN`, and `AWS_REGION`; `AWS_ENDPOINT_URL`
//! points it at a local endpoint). Progress goes to standard error on a terminal only.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use complaints_store_dynamodb::DynamoDbCaseStore;
use complaints_store_dynamodb::backfill::{BackfillProgress, MonthDone, Quiet};

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
    /// The DynamoDB table (the stack's CasesTable).
    #[arg(long)]
    table: String,
    /// The first month to walk (YYYY-MM): the month the oldest case was received.
    #[arg(long, value_parser = parse_month)]
    since: NaiveDate,
    /// The last month to walk (YYYY-MM); default: the current month.
    #[arg(long, value_parser = parse_month)]
    until: Option<NaiveDate>,
    /// Walk every month again, ignoring the progress an earlier run recorded.
    #[arg(long)]
    restart: bool,
}

fn parse_month(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d")
        .map_err(|_| format!("{text:?} is not a month (YYYY-MM)"))
}

/// A running line on a terminal's standard error.
struct Terminal;

impl BackfillProgress for Terminal {
    fn page(&mut self, month: NaiveDate, cases_so_far: u64) {
        eprint!("\r{}: {cases_so_far} cases read   ", month.format("%Y-%m"));
        let _ = std::io::stderr().flush();
    }

    fn month(&mut self, done: &MonthDone) {
        eprintln!(
            "\r{}: {} cases read, {} escalated, {} items added",
            done.month.format("%Y-%m"),
            done.cases_read,
            done.escalated,
            done.added
        );
    }
}

async fn backfill(args: BackfillArgs) -> anyhow::Result<()> {
    let roots = complaints_aws::TrustRoots::from_env().context("AWS trust roots")?;
    let config = complaints_aws::lambda_sdk_config(roots).context("AWS configuration from the environment")?;
    let store = DynamoDbCaseStore::new(aws_sdk_dynamodb::Client::new(&config), args.table);
    let until = args.until.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let mut progress: Box<dyn BackfillProgress> =
        if std::io::stderr().is_terminal() { Box::new(Terminal) } else { Box::new(Quiet) };
    let summary = store
        .backfill_escalations(args.since, until, args.restart, progress.as_mut())
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
