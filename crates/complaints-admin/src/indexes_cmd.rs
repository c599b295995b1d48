//! `complaints-admin backfill-indexes`: adds the name, SPSO referral and flag items that cases
//! written before those indexes existed lack (issue 12; `complaints_store_dynamodb::indexes`).
//! The name items are keyed with the deployment's contact key secret, read from standard input
//! so it never appears in a command line or the shell's history. Run it again after upgrading to
//! folded name prefixes: progress an earlier version recorded does not count.

use std::io::Read;

use anyhow::Context;

use crate::backfill_shell::{self, Months};

/// The shortest contact key secret the functions accept.
const MIN_KEY_LEN: usize = 32;

#[derive(Debug, clap::Args)]
pub(crate) struct IndexArgs {
    #[command(flatten)]
    months: Months,
    /// Read the contact key secret (the value of the stack's ContactKeyParameterName) from
    /// standard input, to add the name items; without it only referral and flag items are added.
    #[arg(long)]
    contact_key_stdin: bool,
}

fn read_key(input: &mut dyn Read) -> anyhow::Result<Vec<u8>> {
    let mut text = String::new();
    input.read_to_string(&mut text).context("could not read the contact key from standard input")?;
    let key = text.trim_end_matches(['\r', '\n']).as_bytes().to_vec();
    anyhow::ensure!(key.len() >= MIN_KEY_LEN, "the contact key is shorter than {MIN_KEY_LEN} bytes");
    Ok(key)
}

pub(crate) async fn run(args: IndexArgs) -> anyhow::Result<()> {
    let months = args.months;
    let mut store = months.store()?;
    if args.contact_key_stdin {
        store = store.with_search_key(&read_key(&mut std::io::stdin())?);
    } else {
        eprintln!("no --contact-key-stdin: name items are not added");
    }
    let mut progress =
        backfill_shell::progress(|done| format!("{} cases read, {} items added", done.cases_read, done.added));
    let summary = store
        .backfill_indexes(months.since, months.until(), months.restart, progress.as_mut())
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
