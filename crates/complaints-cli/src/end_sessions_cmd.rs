//! `complaints end-sessions --user NAME [--by WHO] [--dry-run] [--data-dir DIR]`: ends every
//! staff-page session of one user in the local data file (the `staff_sessions` table that
//! `complaints serve` keeps; a running server notices at the user's next request), recording it
//! in the audit log (`staff_audit`, action `end-sessions:NAME`) first. `--dry-run` only counts.
//! The AWS equivalent is `complaints-admin end-sessions`. Documented in docs/signing-in.md.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use complaints_app::end_sessions::{EndSessions, end_sessions, summary};
use complaints_store_sqlite::SqliteCaseStore;

use crate::serve::DATABASE_FILE;
use crate::staff_ctx::{Failure, block_on, finish};

#[derive(Debug, Args)]
pub struct EndSessionsArgs {
    /// The user whose sessions end: their user name in the users file (also a removed one).
    #[arg(long)]
    user: String,
    /// Who is ending them, as the audit log should name them.
    #[arg(long, default_value = "complaints")]
    by: String,
    /// Only count the sessions; end none.
    #[arg(long)]
    dry_run: bool,
    /// The data directory `complaints serve` uses.
    #[arg(long, default_value = "data")]
    data_dir: PathBuf,
}

pub fn run(args: EndSessionsArgs) -> ExitCode {
    finish(block_on(end(args)))
}

async fn end(args: EndSessionsArgs) -> Result<String, Failure> {
    let user = args.user.trim().to_owned();
    if user.is_empty() {
        return Err(Failure::Usage("--user must name a user".to_owned()));
    }
    let database = args.data_dir.join(DATABASE_FILE);
    if !database.exists() {
        // Nothing was ever served from here, so no one is signed in: say so rather than create it.
        return Err(Failure::Other(anyhow::anyhow!("there is no data file {}", database.display())));
    }
    crate::serve::private_database_file(&database)?;
    let store =
        SqliteCaseStore::open(&database).map_err(|e| anyhow::anyhow!("could not open {}: {e}", database.display()))?;
    let request = EndSessions { user, by: args.by, dry_run: args.dry_run };
    let done = end_sessions(&store, &store, &request, chrono::Utc::now()).await?;
    Ok(format!("{}\n", summary(&request, &done)))
}
