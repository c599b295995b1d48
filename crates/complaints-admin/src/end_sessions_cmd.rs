//! `complaints-admin end-sessions --table T --user ID [--by WHO] [--dry-run]`: ends every
//! workspace session of one member of staff on a deployment, so the next request of every
//! browser they are signed in on goes to the sign-in page. Sessions are found through their
//! keyed index items (one Query, no Scan; `complaints_store_dynamodb` sessions), and the change
//! is recorded in the staff audit log (action `end-sessions:<ID>`) before any is deleted.
//! `--dry-run` only counts them. Documented in docs/signing-in.md.

use anyhow::Context;
use complaints_app::end_sessions::{EndSessions, end_sessions};
use complaints_store_dynamodb::DynamoDbCaseStore;

#[derive(Debug, clap::Args)]
pub(crate) struct EndSessionsArgs {
    /// The DynamoDB table (the stack's CasesTable).
    #[arg(long)]
    table: String,
    /// The staff id whose sessions end: the Cognito user's `sub` (as on case timelines).
    #[arg(long)]
    user: String,
    /// Who is ending them, as the audit log should name them.
    #[arg(long, default_value = "complaints-admin")]
    by: String,
    /// Only count the sessions; end none.
    #[arg(long)]
    dry_run: bool,
}

pub(crate) async fn run(args: EndSessionsArgs) -> anyhow::Result<()> {
    anyhow::ensure!(!args.user.trim().is_empty(), "--user must name a staff id");
    let roots = complaints_aws::TrustRoots::from_env().context("AWS trust roots")?;
    let config = complaints_aws::lambda_sdk_config(roots).context("AWS configuration from the environment")?;
    let store = DynamoDbCaseStore::new(aws_sdk_dynamodb::Client::new(&config), args.table);
    let request = EndSessions { user: args.user.trim().to_owned(), by: args.by, dry_run: args.dry_run };
    let done = end_sessions(&store, &store, &request, chrono::Utc::now())
        .await
        .context("the sessions could not all be ended; run the same command again")?;
    println!("{}", complaints_app::end_sessions::summary(&request, &done));
    Ok(())
}
