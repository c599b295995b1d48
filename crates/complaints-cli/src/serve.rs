//! `complaints serve`: the local all-in-one run on the embedded default: SQLite, an outbox folder
//! of `.eml` files, the citizen web form, and a dev-only `/outbox` viewer, in one process.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use complaints_app::intake::IntakeService;
use complaints_app::ports::SystemClock;
use complaints_core::config::OrgConfig;
use complaints_mail::templates::Templates;
use complaints_outbox::OutboxMailer;
use complaints_store_sqlite::SqliteCaseStore;
use sha2::{Digest, Sha256};

/// File name of the SQLite database inside the data directory.
pub const DATABASE_FILE: &str = "complaints.sqlite3";
/// Folder of sent messages inside the data directory.
pub const OUTBOX_DIR: &str = "outbox";
/// The secret for keyed hashes of contact addresses, made on first run.
pub const CONTACT_KEY_FILE: &str = "contact-key.secret";

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (loopback only unless you mean otherwise). Port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    /// Where the database, outbox and secret live; created if missing.
    #[arg(long, default_value = "data")]
    pub data_dir: PathBuf,
    /// Organisation configuration (TOML); the built-in one is used when absent.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Folder of message templates overriding the built-in ones.
    #[arg(long)]
    pub templates: Option<PathBuf>,
}

pub fn run(args: ServeArgs) -> ExitCode {
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("complaints: could not start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("complaints: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr; `RUST_LOG` overrides the default level.
pub(crate) fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // A second call (tests in one process) keeps the first subscriber.
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

/// Reads the organisation configuration, or the built-in one.
pub(crate) fn load_config(path: Option<&Path>) -> anyhow::Result<OrgConfig> {
    let Some(path) = path else {
        return Ok(OrgConfig::builtin());
    };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("could not read configuration {}", path.display()))?;
    OrgConfig::from_toml_str(&text).with_context(|| format!("configuration {} is not valid", path.display()))
}

/// Length of a generated secret: 256 bits.
const SECRET_BYTES: usize = 32;

/// The contact-key secret from `data/contact-key.secret`, generated (mode 0600) on first run.
pub(crate) fn contact_key_secret(data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    let path = data_dir.join(CONTACT_KEY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let secret = hex::decode(text.trim()).with_context(|| format!("{} is not a hex secret", path.display()))?;
            anyhow::ensure!(secret.len() >= 16, "{} is too short to be a secret", path.display());
            return Ok(secret);
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => return Err(err).with_context(|| format!("could not read {}", path.display())),
    }
    let mut secret = vec![0u8; SECRET_BYTES];
    getrandom::fill(&mut secret).map_err(|e| anyhow::anyhow!("no randomness for a secret: {e}"))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&path).with_context(|| format!("could not create {}", path.display()))?;
    writeln!(file, "{}", hex::encode(&secret)).with_context(|| format!("could not write {}", path.display()))?;
    Ok(secret)
}

/// The form-token secret, derived from the contact-key secret so there is one file to keep safe.
fn form_secret(contact_secret: &[u8]) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(b"complaints-web form tokens v1\n");
    hasher.update(contact_secret);
    hasher.finalize().to_vec()
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let config = load_config(args.config.as_deref())?;
    let templates = match &args.templates {
        Some(dir) => {
            Templates::with_overrides(dir).with_context(|| format!("templates in {} are not valid", dir.display()))?
        }
        None => Templates::builtin(),
    };
    std::fs::create_dir_all(&args.data_dir).with_context(|| format!("could not create {}", args.data_dir.display()))?;
    let outbox_dir = args.data_dir.join(OUTBOX_DIR);
    std::fs::create_dir_all(&outbox_dir).with_context(|| format!("could not create {}", outbox_dir.display()))?;
    let secret = contact_key_secret(&args.data_dir)?;
    let database = args.data_dir.join(DATABASE_FILE);
    let store = SqliteCaseStore::open(&database).with_context(|| format!("could not open {}", database.display()))?;
    let mailer = OutboxMailer::new(&outbox_dir);

    let calendar = config.calendar();
    let org_name = config.organisation.name.clone();
    let intake = IntakeService {
        store: Arc::new(store),
        mailer: Arc::new(mailer),
        clock: Arc::new(SystemClock),
        config: Arc::new(config),
        calendar: Arc::new(calendar),
        templates: Arc::new(templates),
        contact_key_secret: Arc::from(secret.as_slice()),
    };
    let state =
        complaints_web::WebState::new(intake, &form_secret(&secret)).context("the web pages did not compile")?;
    let pages = state.pages();
    let app = complaints_web::router(state).merge(complaints_web::outbox::router(outbox_dir, pages, org_name));

    let listener =
        tokio::net::TcpListener::bind(args.addr).await.with_context(|| format!("could not listen on {}", args.addr))?;
    let local = listener.local_addr().context("could not read the listening address")?;
    // Tests and scripts read this line to find the port.
    println!(
        "complaints: serving the complaint form at http://{local}/ (sent mail at http://{local}/outbox); Ctrl-C stops"
    );
    let _ = std::io::stdout().flush();
    tracing::info!(addr = %local, data_dir = %args.data_dir.display(), "serving");
    axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await.context("the server failed")?;
    println!("complaints: stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM, so in-flight requests finish before the process exits.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
