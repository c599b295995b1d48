//! What every staff command shares: the options (`--data-dir`, `--as`, `--at`, `--json`,
//! `--config`, `--templates`), opening the local data directory as `complaints serve` does
//! (SQLite, which keeps the audit log too, mail folder, contact-key secret, users file), and how failures end the
//! process: bad arguments exit 2 with one line; a refused action exits 1 naming the rule.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use clap::Args;
use complaints_app::ports::{Clock, FixedClock, StoreError, SystemClock};
use complaints_app::staff::{ActionError, StaffActions, StaffUser};
use complaints_app::users::{UsersError, UsersFile};
use complaints_mail::templates::Templates;
use complaints_mail_folder::MailFolder;
use complaints_store_sqlite::SqliteCaseStore;
use serde::de::DeserializeOwned;

use crate::serve::{DATABASE_FILE, MAIL_DIR};

/// The options every staff command takes.
#[derive(Debug, Clone, Args)]
pub struct StaffOpts {
    /// The data directory `complaints serve` uses.
    #[arg(long, default_value = "data", global = true)]
    pub data_dir: PathBuf,
    /// Act as this user from the users file (`complaints users add`).
    #[arg(long = "as", value_name = "USER", global = true)]
    pub as_user: Option<String>,
    /// The moment the action happened (RFC 3339, e.g. 2026-03-02T10:00:00Z); now by default.
    #[arg(long, value_name = "INSTANT", value_parser = parse_instant, global = true)]
    pub at: Option<DateTime<Utc>>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// Organisation configuration (TOML), as given to `complaints serve`.
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    /// Folder of message templates overriding the built-in ones, as given to `complaints serve`.
    #[arg(long, value_name = "DIR", global = true)]
    pub templates: Option<PathBuf>,
}

/// An RFC 3339 instant (`Z` or an offset).
pub fn parse_instant(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("{text:?} is not an RFC 3339 instant like 2026-03-02T10:00:00Z"))
}

/// A kebab-case name of one of the core's enums (an outcome, a reason), as the API spells it.
pub fn kebab<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(text.trim().to_owned()))
        .map_err(|_| format!("{text:?} is not one of the accepted values"))
}

/// Why a command stopped.
#[derive(Debug)]
pub enum Failure {
    /// Bad arguments: exit 2.
    Usage(String),
    /// The action failed or was refused; the exit code comes from its kind.
    Action(ActionError),
    /// Anything else (the data directory, the store): exit 1.
    Other(anyhow::Error),
}

impl From<ActionError> for Failure {
    fn from(error: ActionError) -> Self {
        Self::Action(error)
    }
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Self::Other(error)
    }
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        Self::Action(ActionError::from(error))
    }
}

impl From<UsersError> for Failure {
    fn from(error: UsersError) -> Self {
        Self::Other(error.into())
    }
}

/// Prints the failure on one line and picks the exit code.
pub fn finish(result: Result<String, Failure>) -> ExitCode {
    match result {
        Ok(text) => {
            print!("{text}");
            let _ = std::io::stdout().flush();
            ExitCode::SUCCESS
        }
        Err(Failure::Usage(message)) => {
            eprintln!("complaints: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Action(error)) => {
            eprintln!("complaints: {}", one_line(&error.to_string()));
            ExitCode::from(u8::try_from(error.kind().exit_code()).unwrap_or(1))
        }
        Err(Failure::Other(error)) => {
            eprintln!("complaints: {}", one_line(&format!("{error:#}")));
            ExitCode::FAILURE
        }
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Runs `work` on a current-thread runtime.
pub fn block_on<T>(work: impl std::future::Future<Output = Result<T, Failure>>) -> Result<T, Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Other(anyhow::anyhow!("no async runtime: {e}")))?;
    runtime.block_on(work)
}

/// An opened data directory, acting as one user.
pub struct Staff {
    pub actions: StaffActions,
    pub store: Arc<SqliteCaseStore>,
    pub user: StaffUser,
    pub at: DateTime<Utc>,
    pub json: bool,
}

impl Staff {
    /// Checks that a case exists.
    ///
    /// # Errors
    /// [`Failure::Action`] with not found, or the store's failure.
    pub async fn store_get(&self, reference: &complaints_core::reference::CaseRef) -> Result<(), Failure> {
        use complaints_app::ports::CaseStore;
        self.store.get(reference).await?;
        Ok(())
    }
}

impl StaffOpts {
    /// The user `--as` names, from the users file.
    ///
    /// # Errors
    /// [`Failure::Usage`] without `--as`; [`Failure::Other`] for an unknown user.
    pub fn user(&self) -> Result<StaffUser, Failure> {
        let Some(name) = self.as_user.as_deref() else {
            return Err(Failure::Usage("give --as USER (a user from `complaints users add`)".to_owned()));
        };
        let users = UsersFile::load(&self.data_dir)?;
        users.find(name).ok_or_else(|| {
            Failure::Other(anyhow::anyhow!(
                "there is no user {name:?} in {} (add one with `complaints users add {name} --role handler`)",
                users.path().display()
            ))
        })
    }

    /// Opens the data directory (created as `serve` creates it) and the staff actions over it.
    ///
    /// # Errors
    /// [`Failure`].
    pub fn open(&self) -> Result<Staff, Failure> {
        let user = self.user()?;
        let config = crate::serve::load_config(self.config.as_deref())?;
        let templates = match &self.templates {
            Some(dir) => Templates::with_overrides(dir)
                .map_err(|e| anyhow::anyhow!("templates in {} are not valid: {e}", dir.display()))?,
            None => Templates::builtin(),
        };
        crate::serve::private_writable_dir(&self.data_dir)?;
        let mail_dir = self.data_dir.join(MAIL_DIR);
        crate::serve::private_writable_dir(&mail_dir)?;
        let secret = crate::serve::contact_key_secret(&self.data_dir)?;
        let database = self.data_dir.join(DATABASE_FILE);
        crate::serve::private_database_file(&database)?;
        let store = Arc::new(
            SqliteCaseStore::open(&database)
                .map_err(|e| anyhow::anyhow!("could not open {}: {e}", database.display()))?,
        );
        let clock: Arc<dyn Clock> = match self.at {
            Some(at) => Arc::new(FixedClock(at)),
            None => Arc::new(SystemClock),
        };
        let at = clock.now();
        let calendar = config.calendar();
        let actions = StaffActions {
            store: Arc::clone(&store) as _,
            mailer: Arc::new(MailFolder::new(&mail_dir)),
            clock,
            config: Arc::new(config),
            calendar: Arc::new(calendar),
            templates: Arc::new(templates),
            contact_key_secret: Arc::from(secret.as_slice()),
            // The data file keeps the audit log too (table `staff_audit`), as for `serve`.
            audit: Arc::clone(&store) as _,
        };
        Ok(Staff { actions, store, user, at, json: self.json })
    }
}
