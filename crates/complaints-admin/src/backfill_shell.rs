//! What the two backfill commands (`backfill-escalations`, `backfill-indexes`) share: the months
//! to walk, the store from the operator's environment, and the running line on a terminal (none
//! in a pipe, so a script sees the summary alone).

use std::io::{IsTerminal, Write};

use anyhow::Context;
use chrono::NaiveDate;
use complaints_store_dynamodb::DynamoDbCaseStore;
use complaints_store_dynamodb::backfill::{BackfillProgress, MonthDone, Quiet};

/// The table and the months a backfill walks.
#[derive(Debug, clap::Args)]
pub(crate) struct Months {
    /// The DynamoDB table (the stack's CasesTable).
    #[arg(long)]
    pub(crate) table: String,
    /// The first month to walk (YYYY-MM): the month the oldest case was received.
    #[arg(long, value_parser = parse_month)]
    pub(crate) since: NaiveDate,
    /// The last month to walk (YYYY-MM); default: the current month.
    #[arg(long, value_parser = parse_month)]
    until: Option<NaiveDate>,
    /// Walk every month again, ignoring the progress an earlier run recorded.
    #[arg(long)]
    pub(crate) restart: bool,
}

impl Months {
    /// The last month to walk: the one given, or the current month.
    pub(crate) fn until(&self) -> NaiveDate {
        self.until.unwrap_or_else(|| chrono::Utc::now().date_naive())
    }

    /// The store on the table, with the AWS configuration of the operator's environment.
    pub(crate) fn store(&self) -> anyhow::Result<DynamoDbCaseStore> {
        let roots = complaints_aws::TrustRoots::from_env().context("AWS trust roots")?;
        let config = complaints_aws::lambda_sdk_config(roots).context("AWS configuration from the environment")?;
        Ok(DynamoDbCaseStore::new(aws_sdk_dynamodb::Client::new(&config), self.table.clone()))
    }
}

fn parse_month(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d")
        .map_err(|_| format!("{text:?} is not a month (YYYY-MM)"))
}

/// A running line on a terminal's standard error; `month_line` says what a finished month did.
struct Terminal {
    month_line: fn(&MonthDone) -> String,
}

impl BackfillProgress for Terminal {
    fn page(&mut self, month: NaiveDate, cases_so_far: u64) {
        eprint!("\r{}: {cases_so_far} cases read   ", month.format("%Y-%m"));
        let _ = std::io::stderr().flush();
    }

    fn month(&mut self, done: &MonthDone) {
        eprintln!("\r{}: {}", done.month.format("%Y-%m"), (self.month_line)(done));
    }
}

/// The progress a backfill reports: the running line on a terminal, nothing in a pipe.
pub(crate) fn progress(month_line: fn(&MonthDone) -> String) -> Box<dyn BackfillProgress> {
    if std::io::stderr().is_terminal() { Box::new(Terminal { month_line }) } else { Box::new(Quiet) }
}
