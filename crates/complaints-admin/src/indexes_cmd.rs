//! `complaints-admin backfill-indexes`: adds the name, SPSO referral and flag items that cases
//! written before those indexes existed lack (issue 12; `complaints_store_dynamodb::indexes`).
//! The name items are keyed with the deployment's contact key secret, read from standard input
//! so it never appears in a command line or the shell's history. Run it again after upgrading to
//! folded name prefixes: progress an earlier version recorded does not count.

use std::io::{IsTerminal, Read, Write};

use anyhow::Context;
use chrono::NaiveDate;
use complaints_store_dynamodb::DynamoDbCaseStore;
use complaints_store_dynamodb::backfill::{BackfillProgress, MonthDone, Quiet};

/// The shortest contact key secret the functions accept.
const MIN_KEY_LEN: usize = 32;

#[derive(Debug, clap::Args)]
pub(crate) struct IndexArgs {
    /// The DynamoDB table (the stack's CasesTable).
    #[arg(long)]
    table: String,
    /// The first month to walk (YYYY-MM): the month the oldest case was received.
    #[arg(long, value_parser = crate::parse_month)]
    since: NaiveDate,
    /// The last month to walk (YYYY-MM); default: the current month.
    #[arg(long, value_parser = crate::parse_month)]
    until: Option<NaiveDate>,
    /// Walk every month again, ignoring the progress an earlier run recorded.
    #[arg(long)]
    restart: bool,
    /// Read the contact key secret (the value of the stack's ContactKeyParameterName) from
    /// standard input, to add the name items; without it only referral and flag items are added.
    #[arg(long)]
    contact_key_stdin: bool,
}

/// A running line on a terminal's standard error.
struct Terminal;

impl BackfillProgress for Terminal {
    fn page(&mut self, month: NaiveDate, cases_so_far: u64) {
        eprint!("\r{}: {cases_so_far} cases read   ", month.format("%Y-%m"));
        let _ = std::io::stderr().flush();
    }

    fn month(&mut self, done: &MonthDone) {
        eprintln!("\r{}: {} cases read, {} items added", done.month.format("%Y-%m"), done.cases_read, done.added);
    }
}

fn read_key(input: &mut dyn Read) -> anyhow::Result<Vec<u8>> {
    let mut text = String::new();
    input.read_to_string(&mut text).context("could not read the contact key from standard input")?;
    let key = text.trim_end_matches(['\r', '\n']).as_bytes().to_vec();
    anyhow::ensure!(key.len() >= MIN_KEY_LEN, "the contact key is shorter than {MIN_KEY_LEN} bytes");
    Ok(key)
}

pub(crate) async fn run(args: IndexArgs) -> anyhow::Result<()> {
    let roots = complaints_aws::TrustRoots::from_env().context("AWS trust roots")?;
    let config = complaints_aws::lambda_sdk_config(roots).context("AWS configuration from the environment")?;
    let mut store = DynamoDbCaseStore::new(aws_sdk_dynamodb::Client::new(&config), args.table);
    if args.contact_key_stdin {
        store = store.with_search_key(&read_key(&mut std::io::stdin())?);
    } else {
        eprintln!("no --contact-key-stdin: name items are not added");
    }
    let until = args.until.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let mut progress: Box<dyn BackfillProgress> =
        if std::io::stderr().is_terminal() { Box::new(Terminal) } else { Box::new(Quiet) };
    let summary = store
        .backfill_indexes(args.since, until, args.restart, progress.as_mut())
        .await
        .context("the backfill stopped; run the same command again to carry on")?;
    println!(
        "months walked: {}, already done: {}, cases read: {}, items added: names {}, referrals {}, flags {}",
        summary.months_walked,
        summary.months_already_done,
        summary.cases_read,
        summary.name_items,
        summary.referral_items,
        summary.flag_items
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_read_without_its_line_end_and_a_short_one_is_refused() {
        let key = read_key(&mut "0123456789abcdef0123456789abcdef\n".as_bytes()).expect("key");
        assert_eq!(key, b"0123456789abcdef0123456789abcdef");
        assert!(read_key(&mut "short\n".as_bytes()).is_err());
    }
}
