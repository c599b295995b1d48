//! `complaints-admin staff-directory`: writes the breach scan's staff directory on AWS (the SSM
//! String parameter the stack names `StaffDirectoryParameterName`: a JSON object of handler, as
//! cases name them, to address) from a local users file or a CSV of `handler,email[,full_name]`,
//! instead of by hand. It shows what changes first, and `--dry-run` stops there.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use aws_sdk_ssm::types::{ParameterTier, ParameterType};
use complaints_app::staff_directory::DirectoryMap;
use complaints_app::users::{USERS_FILE, UsersFile};
use complaints_core::complaint::EmailAddress;

/// SSM's limit for a Standard parameter's value; an Advanced one holds 8 KB (and is charged).
const STANDARD_LIMIT: usize = 4096;
const ADVANCED_LIMIT: usize = 8192;

#[derive(Debug, clap::Args)]
pub(crate) struct StaffDirectoryArgs {
    /// The SSM parameter (the stack's `StaffDirectoryParameterName`).
    #[arg(long)]
    parameter: String,
    /// A users file (`users.json`, or the data directory holding it): every user with an email,
    /// under their user name and their full name.
    #[arg(long, conflicts_with = "csv", required_unless_present = "csv")]
    users: Option<PathBuf>,
    /// A CSV with a header row naming the columns `handler` and `email` (and optionally
    /// `full_name`, under which the address is listed too).
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Show what would change and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Write an Advanced parameter (up to 8 KB, charged by AWS) when the directory is over the
    /// 4 KB of a Standard one.
    #[arg(long)]
    advanced: bool,
}

/// How one handler's entry changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    Added { handler: String, address: String },
    Removed { handler: String, address: String },
    Changed { handler: String, from: String, to: String },
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Added { handler, address } => write!(f, "+ {handler}: {address}"),
            Self::Removed { handler, address } => write!(f, "- {handler}: {address}"),
            Self::Changed { handler, from, to } => write!(f, "~ {handler}: {from} -> {to}"),
        }
    }
}

/// The changes from `old` to `new`, in handler order.
pub(crate) fn diff(old: &DirectoryMap, new: &DirectoryMap) -> Vec<Change> {
    let before: BTreeMap<&str, &str> = old.entries().map(|(h, a)| (h, a.as_str())).collect();
    let after: BTreeMap<&str, &str> = new.entries().map(|(h, a)| (h, a.as_str())).collect();
    let handlers: BTreeSet<&str> = before.keys().chain(after.keys()).copied().collect();
    handlers
        .into_iter()
        .filter_map(|handler| match (before.get(handler), after.get(handler)) {
            (None, Some(address)) => {
                Some(Change::Added { handler: handler.to_owned(), address: (*address).to_owned() })
            }
            (Some(address), None) => {
                Some(Change::Removed { handler: handler.to_owned(), address: (*address).to_owned() })
            }
            (Some(from), Some(to)) if from != to => {
                Some(Change::Changed { handler: handler.to_owned(), from: (*from).to_owned(), to: (*to).to_owned() })
            }
            _ => None,
        })
        .collect()
}

/// The directory of a users file: `path` is `users.json` itself or the data directory holding it.
pub(crate) fn from_users(path: &Path) -> anyhow::Result<DirectoryMap> {
    let data_dir = if path.is_dir() {
        path.to_path_buf()
    } else if path.file_name().is_some_and(|name| name == USERS_FILE) {
        path.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    } else {
        bail!("--users takes a data directory or its {USERS_FILE}, not {}", path.display());
    };
    if !UsersFile::path_in(&data_dir).is_file() {
        bail!("no {USERS_FILE} in {}", data_dir.display());
    }
    let users = UsersFile::load(&data_dir).context("reading the users file")?;
    Ok(DirectoryMap::from_users(&users))
}

/// The directory of a CSV with a header row naming `handler`, `email` and optionally `full_name`
/// (any order, any case); blank rows are skipped, a bad address names its row.
pub(crate) fn from_csv(text: &str) -> anyhow::Result<DirectoryMap> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(text.as_bytes());
    let headers = reader.headers().context("reading the CSV header row")?.clone();
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(handler_at), Some(email_at)) = (column("handler"), column("email")) else {
        bail!(
            "the CSV's header row must name the columns handler and email (found: {})",
            headers.iter().collect::<Vec<_>>().join(",")
        );
    };
    let full_name_at = column("full_name");
    let mut pairs = Vec::new();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for (index, record) in reader.records().enumerate() {
        // Row 1 is the header.
        let row = index + 2;
        let record = record.with_context(|| format!("reading CSV row {row}"))?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        let handler = record.get(handler_at).unwrap_or_default();
        let email = record.get(email_at).unwrap_or_default();
        if handler.is_empty() {
            bail!("CSV row {row} has no handler");
        }
        let address = EmailAddress::parse(email)
            .map_err(|_| anyhow::anyhow!("CSV row {row}: {email:?} is not an email address"))?;
        let mut names = vec![handler.to_owned()];
        if let Some(full) = full_name_at.and_then(|at| record.get(at)).filter(|f| !f.is_empty() && *f != handler) {
            names.push(full.to_owned());
        }
        for name in names {
            if let Some(other) = seen.get(&name).filter(|other| **other != address.as_str()) {
                bail!("CSV row {row}: {name:?} is listed with {other} already");
            }
            seen.insert(name.clone(), address.as_str().to_owned());
            pairs.push((name, address.clone()));
        }
    }
    Ok(DirectoryMap::from_pairs(pairs))
}

/// Reads the source, compares it with the parameter, prints the changes and (unless `--dry-run`)
/// writes the parameter when anything changed.
pub(crate) async fn run(args: StaffDirectoryArgs) -> anyhow::Result<()> {
    let new = match (&args.users, &args.csv) {
        (Some(users), _) => from_users(users)?,
        (None, Some(csv)) => {
            let text = std::fs::read_to_string(csv).with_context(|| format!("reading {}", csv.display()))?;
            from_csv(&text)?
        }
        (None, None) => bail!("name a source: --users or --csv"),
    };
    let document = new.to_json();
    let limit = if args.advanced { ADVANCED_LIMIT } else { STANDARD_LIMIT };
    if document.len() > limit {
        bail!(
            "the directory is {} bytes, over the {limit} bytes of {} SSM parameter{}",
            document.len(),
            if args.advanced { "an Advanced" } else { "a Standard" },
            if args.advanced { "" } else { " (--advanced allows 8 KB)" }
        );
    }

    let roots = complaints_aws::TrustRoots::from_env().context("AWS trust roots")?;
    let config = complaints_aws::lambda_sdk_config(roots).context("AWS configuration from the environment")?;
    let ssm = aws_sdk_ssm::Client::new(&config);
    let current = match ssm.get_parameter().name(&args.parameter).send().await {
        Ok(output) => output.parameter.and_then(|p| p.value),
        Err(error) if error.as_service_error().is_some_and(|e| e.is_parameter_not_found()) => None,
        Err(error) => {
            return Err(anyhow::Error::new(error).context(format!("reading the parameter {}", args.parameter)));
        }
    };
    let old = match &current {
        Some(text) => DirectoryMap::from_json(text)
            .with_context(|| format!("the parameter {} holds no staff directory now", args.parameter))?,
        None => DirectoryMap::default(),
    };

    let changes = diff(&old, &new);
    for change in &changes {
        println!("{change}");
    }
    let count = |f: fn(&Change) -> bool| changes.iter().filter(|c| f(c)).count();
    let added = count(|c| matches!(c, Change::Added { .. }));
    let removed = count(|c| matches!(c, Change::Removed { .. }));
    let changed = count(|c| matches!(c, Change::Changed { .. }));
    let summary =
        format!("{added} added, {removed} removed, {changed} changed, {} unchanged", new.len() - added - changed);
    if args.dry_run {
        println!("{summary}; dry run: {} not written", args.parameter);
        return Ok(());
    }
    if changes.is_empty() && current.is_some() {
        println!("{summary}; {} already up to date", args.parameter);
        return Ok(());
    }
    ssm.put_parameter()
        .name(&args.parameter)
        .value(document)
        .r#type(ParameterType::String)
        .tier(if args.advanced { ParameterTier::Advanced } else { ParameterTier::Standard })
        .overwrite(true)
        .send()
        .await
        .with_context(|| format!("writing the parameter {}", args.parameter))?;
    println!("{summary}; {} written (the breach scan reads it when it next starts)", args.parameter);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> DirectoryMap {
        DirectoryMap::from_pairs(pairs.iter().map(|(h, a)| ((*h).to_owned(), EmailAddress::parse(a).expect("address"))))
    }

    #[test]
    fn a_csv_lists_each_handler_and_their_full_name_and_skips_blank_rows() {
        let directory = from_csv(
            "Email,Handler,Full_Name\nalex@example.org, alex ,\n\nsam@example.org,sam,Sam Smith\npat@example.org,pat,pat\n",
        )
        .expect("a valid CSV");
        assert_eq!(
            directory,
            map(&[
                ("alex", "alex@example.org"),
                ("sam", "sam@example.org"),
                ("Sam Smith", "sam@example.org"),
                ("pat", "pat@example.org")
            ])
        );
    }

    #[test]
    fn a_csv_with_a_bad_address_a_missing_column_or_a_name_listed_twice_is_refused_naming_the_row() {
        let bad = from_csv("handler,email\nalex,alex@example.org\nsam,not-an-address\n").expect_err("bad address");
        assert!(bad.to_string().contains("row 3"), "{bad}");
        let missing = from_csv("name,email\nalex,alex@example.org\n").expect_err("no handler column");
        assert!(missing.to_string().contains("handler and email"), "{missing}");
        let twice =
            from_csv("handler,email\nalex,alex@example.org\nalex,alex2@example.org\n").expect_err("listed twice");
        assert!(twice.to_string().contains("row 3"), "{twice}");
    }

    #[test]
    fn the_diff_names_added_removed_and_changed_handlers_in_name_order() {
        let old = map(&[("alex", "alex@example.org"), ("kim", "kim@example.org"), ("sam", "sam.old@example.org")]);
        let new = map(&[("alex", "alex@example.org"), ("pat", "pat@example.org"), ("sam", "sam@example.org")]);
        let lines: Vec<String> = diff(&old, &new).iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            vec!["- kim: kim@example.org", "+ pat: pat@example.org", "~ sam: sam.old@example.org -> sam@example.org"]
        );
        assert!(diff(&new, &new).is_empty());
    }
}
