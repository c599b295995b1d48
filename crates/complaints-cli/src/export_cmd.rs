//! `complaints export --quarter 2026-27-Q2` / `--year 2026-27`: the period's indicators and report
//! from the local store, written under `<data dir>/exports/<year>/<quarter>/` (or `--out DIR`),
//! and the headline table printed. Progress goes to a terminal only; pipes get the table alone.
//! The reporting list (`[reporting] notify`) is told once per export, through the store's
//! outbound path, delivered to the mail folder at once.

use std::io::{BufWriter, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;
use clap::{ArgGroup, Args};
use complaints_app::export::{ExportError, feed_period, headline_table, read_history};
use complaints_app::export_notice::{NoticeSettings, Notified, notify_export};
use complaints_app::learning::LearningStore;
use complaints_app::object_store::{ObjectStore, ObjectStoreError};
use complaints_app::outbound::Delivery;
use complaints_app::ports::SystemClock;
use complaints_core::indicators::Period;
use complaints_mail_folder::MailFolder;
use complaints_reports::{CASES_CSV, ExportOptions, ExportWriter, export_prefix};
use complaints_store_sqlite::SqliteCaseStore;

use crate::serve::{DATABASE_FILE, MAIL_DIR, load_config};

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("period").required(true).args(["quarter", "year"])))]
pub struct ExportArgs {
    /// A quarter of the April–March reporting year, e.g. 2026-27-Q2 (July–September 2026).
    #[arg(long)]
    pub quarter: Option<String>,
    /// A whole reporting year, e.g. 2026-27 (April 2026 – March 2027).
    #[arg(long)]
    pub year: Option<String>,
    /// The data directory `complaints serve` uses.
    #[arg(long, default_value = "data")]
    pub data_dir: PathBuf,
    /// Write the files under this directory instead of the data directory.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Organisation configuration (TOML); the built-in one is used when absent.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

pub fn run(args: ExportArgs) -> ExitCode {
    let text = args.quarter.as_deref().or(args.year.as_deref()).unwrap_or_default();
    let period = match Period::parse(text) {
        Ok(period) if args.year.is_none() || period.quarter.is_none() => period,
        _ => {
            let wanted = if args.year.is_some() { "a year like 2026-27" } else { "a quarter like 2026-27-Q2" };
            eprintln!("complaints: {text:?} is not {wanted}");
            return ExitCode::from(2);
        }
    };
    match export(&args, period) {
        Ok(table) => {
            print!("{table}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("complaints: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// The export files as an object store over a local directory (keys are relative paths).
#[derive(Debug)]
struct DirectoryObjects {
    root: PathBuf,
}

#[async_trait]
impl ObjectStore for DirectoryObjects {
    async fn put(&self, key: &str, _content_type: &str, bytes: Vec<u8>) -> Result<(), ObjectStoreError> {
        let path = self.root.join(key);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| ObjectStoreError::Unavailable(Box::new(e)))?;
        }
        // Written beside, then renamed: a reader never sees half a file.
        let partial = path.with_extension("partial");
        std::fs::write(&partial, bytes).map_err(|e| ObjectStoreError::Unavailable(Box::new(e)))?;
        std::fs::rename(&partial, &path).map_err(|e| ObjectStoreError::Unavailable(Box::new(e)))
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>, ObjectStoreError> {
        match std::fs::read(self.root.join(key)) {
            Ok(bytes) => Ok(bytes),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Err(ObjectStoreError::NotFound),
            Err(err) => Err(ObjectStoreError::Unavailable(Box::new(err))),
        }
    }
}

fn export(args: &ExportArgs, period: Period) -> anyhow::Result<String> {
    let database = args.data_dir.join(DATABASE_FILE);
    anyhow::ensure!(
        database.exists(),
        "there is no case store at {} (run `complaints serve` first)",
        database.display()
    );
    let config = load_config(args.config.as_deref())?;
    let calendar = config.calendar();
    let options = ExportOptions {
        organisation: config.organisation.name.clone(),
        calendar_version: calendar.version().as_str().to_owned(),
        software_version: env!("CARGO_PKG_VERSION").to_owned(),
        population: config.reporting.per_thousand.clone(),
        learning_register: true,
    };
    let root = args.out.clone().unwrap_or_else(|| args.data_dir.clone());
    let objects = DirectoryObjects { root: root.clone() };
    let folder = root.join(export_prefix(period));
    std::fs::create_dir_all(&folder).with_context(|| format!("could not create {}", folder.display()))?;
    let progress = std::io::stderr().is_terminal();

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("no async runtime")?;
    runtime.block_on(async {
        let store = Arc::new(
            SqliteCaseStore::open(&database).with_context(|| format!("could not open {}", database.display()))?,
        );
        let learning =
            store.completed_between(period.from(), period.to()).await.context("could not read the learning actions")?;
        let history = read_history(&objects, period).await.context("could not read earlier exports")?;
        let cases_path = folder.join(CASES_CSV);
        let partial = cases_path.with_extension("partial");
        let file =
            std::fs::File::create(&partial).with_context(|| format!("could not create {}", partial.display()))?;
        let mut writer = ExportWriter::new(period, options.population.clone(), BufWriter::new(file))?;
        let mut fed: u64 = 0;
        feed_period(store.as_ref(), period, |case| {
            writer.add(case)?;
            fed += 1;
            if progress && fed.is_multiple_of(10_000) {
                eprint!("\rcases read: {fed}");
            }
            Ok::<(), ExportError>(())
        })
        .await
        .context("could not read the cases")?;
        if progress {
            eprintln!("\rcases read: {fed}");
        }
        let (finished, cases_out) = writer.finish(&learning, history, &options)?;
        cases_out.into_inner().map_err(|e| e.into_error()).context("could not write cases.csv")?.sync_all()?;
        std::fs::rename(&partial, &cases_path).context("could not finish cases.csv")?;
        let prefix = export_prefix(period);
        for (name, content_type, bytes) in &finished.files {
            objects.put(&format!("{prefix}{name}"), content_type, bytes.clone()).await?;
        }
        let mut table = headline_table(&finished);
        let location = display_dir(&folder);
        table.push_str(&format!("files: {location}\n"));
        let settings = NoticeSettings {
            organisation: &config.organisation.name,
            from: &config.mail.from,
            recipients: &config.reporting.notify,
        };
        let notified = notify_export(store.as_ref(), &finished, &location, settings, chrono::Utc::now())
            .await
            .context("could not write the email to the reporting list")?;
        match notified {
            Notified::NobodyToTell => {}
            Notified::AlreadySent => table.push_str("reporting list: told at an earlier run of this export\n"),
            Notified::Queued { message_ids } => {
                let mailer = Arc::new(MailFolder::new(args.data_dir.join(MAIL_DIR)));
                let delivery = Delivery::new(store.clone(), mailer, Arc::new(SystemClock));
                delivery.sweep().await.context("could not deliver the email to the reporting list")?;
                table.push_str(&format!("reporting list: {} email(s) to the mail folder\n", message_ids.len()));
            }
        }
        Ok(table)
    })
}

fn display_dir(path: &Path) -> String {
    path.display().to_string()
}
