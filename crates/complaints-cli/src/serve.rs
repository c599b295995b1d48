//! `complaints serve`: the local all-in-one run on the embedded default: SQLite, a mail folder of
//! `.eml` files, the citizen web form, delivery of pending mail (at start and on a short tick),
//! the breach scan on its schedule (`scan_cmd`), and a dev-only `/mail` viewer on loopback addresses, in one process.
//!
//! Personal data stays private: the data directory is made 0700 and its files 0600. The server
//! refuses to start, saying why, when the data directory cannot be written or when the
//! contact-key secret is missing beside an existing store.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use complaints_app::intake::IntakeService;
use complaints_app::outbound::Delivery;
use complaints_app::ports::{CaseStore, Clock, Mailer, SystemClock};
use complaints_app::staff::StaffActions;
use complaints_core::config::OrgConfig;
use complaints_mail::templates::Templates;
use complaints_mail_folder::MailFolder;
use complaints_store_sqlite::SqliteCaseStore;
use complaints_web::api::auth::BearerUsers;
use sha2::{Digest, Sha256};

/// File name of the SQLite database inside the data directory.
pub const DATABASE_FILE: &str = "complaints.sqlite3";
/// Folder of sent messages (the mail folder) inside the data directory.
pub const MAIL_DIR: &str = "mail";
/// How often `serve` delivers pending mail (retries included) besides the delivery right after
/// each change.
pub const DELIVERY_TICK: Duration = Duration::from_secs(15);
/// Raw social media deliveries, quarantine and triage records, inside the data directory.
pub const OBJECTS_DIR: &str = "objects";
/// The secret for keyed hashes of contact addresses, made on first run.
pub const CONTACT_KEY_FILE: &str = "contact-key.secret";

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (loopback only unless you mean otherwise). Port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    /// Where the database, mail folder and secret live; created if missing (mode 0700).
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
///
/// A missing secret beside an existing store is an error, never a fresh secret: a new one would
/// silently unlink every earlier case from its contact (threading, subject access).
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
    let database = data_dir.join(DATABASE_FILE);
    anyhow::ensure!(
        !database.exists(),
        "{} is missing, but the case store {} exists. The secret links every case to its contact: restore the \
         file from your backup of the data directory (it holds one line of 64 hex digits), or move the store away \
         to start afresh. A new secret is not made, because it would unlink every earlier case.",
        path.display(),
        database.display()
    );
    let mut secret = vec![0u8; SECRET_BYTES];
    getrandom::fill(&mut secret).map_err(|e| anyhow::anyhow!("no randomness for a secret: {e}"))?;
    let mut file = private_file(&path).with_context(|| format!("could not create {}", path.display()))?;
    writeln!(file, "{}", hex::encode(&secret)).with_context(|| format!("could not write {}", path.display()))?;
    Ok(secret)
}

/// Creates a new file readable by its owner only (0600 on Unix).
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Makes `dir` (created if missing) private to its owner (0700) and proves it can be written, so
/// a read-only or foreign directory stops the start with its cause instead of failing every
/// submission later.
pub(crate) fn private_writable_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("could not create {}", dir.display()))?;
    // The write check comes first: a folder someone made read-only is refused, not quietly
    // made writable again.
    let probe = dir.join(format!(".write-check-{}", std::process::id()));
    private_file(&probe)
        .and_then(|mut file| file.write_all(b"ok"))
        .with_context(|| format!("{} cannot be written", dir.display()))?;
    std::fs::remove_file(&probe).with_context(|| format!("could not clean up {}", probe.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("could not make {} private (mode 0700)", dir.display()))?;
    }
    Ok(())
}

/// Creates the SQLite file 0600 before SQLite opens it (SQLite gives its -wal and -shm files the
/// database file's mode), and tightens an existing file left 0644 by an older release.
pub(crate) fn private_database_file(path: &Path) -> anyhow::Result<()> {
    match private_file(path) {
        Ok(_) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                for suffix in ["", "-wal", "-shm"] {
                    let file = PathBuf::from(format!("{}{suffix}", path.display()));
                    if file.exists() {
                        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                            .with_context(|| format!("could not make {} private (mode 0600)", file.display()))?;
                    }
                }
            }
            Ok(())
        }
        Err(err) => Err(err).with_context(|| format!("could not create {}", path.display())),
    }
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
    private_writable_dir(&args.data_dir)?;
    let mail_dir = args.data_dir.join(MAIL_DIR);
    private_writable_dir(&mail_dir)?;
    let secret = contact_key_secret(&args.data_dir)?;
    let database = args.data_dir.join(DATABASE_FILE);
    private_database_file(&database)?;
    let sqlite =
        Arc::new(SqliteCaseStore::open(&database).with_context(|| format!("could not open {}", database.display()))?);
    // The store raises flags written on a case (possible spam, over the mail cap, undeliverable
    // mail…) into the flagged register in the same transaction (docs/registers.md).
    let store: Arc<dyn CaseStore> = sqlite.clone();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    // Social replies (R50) go to the platforms, everything else to the mail folder.
    let social_secrets = complaints_social::SocialSecrets::from_env();
    let quiet = crate::serve_rounds::quiet_hours(|name| std::env::var(name).ok())?;
    let health = social_health(&sqlite, &config, quiet);
    let mailer: Arc<dyn Mailer> = Arc::new(complaints_app::social::TransportMailer {
        email: Arc::new(MailFolder::new(&mail_dir)),
        social: social_sender(&social_secrets)?,
        clock: Arc::clone(&clock),
        health: health.clone(),
        attachments: social_attachments(&social_secrets, &args.data_dir)?,
    });

    let calendar = config.calendar();
    // The breach scan on its schedule (docs/breach-scan.md).
    let scanner = tokio::spawn(crate::scan_cmd::scheduled(
        Arc::clone(&sqlite),
        Arc::clone(&mailer),
        Arc::new(config.clone()),
        args.data_dir.clone(),
    ));
    let org_name = config.organisation.name.clone();
    let intake = IntakeService {
        store: Arc::clone(&store),
        mailer: Arc::clone(&mailer),
        clock: Arc::clone(&clock),
        config: Arc::new(config),
        calendar: Arc::new(calendar),
        templates: Arc::new(templates),
        contact_key_secret: Arc::from(secret.as_slice()),
    };
    // The staff API under /api/: the same store, mail and clock; callers are the users file's.
    // Every read and change is recorded with its actor in the store's audit log (R57).
    let staff = StaffActions::from_intake(&intake, sqlite.clone());
    let users = BearerUsers::from_data_dir(&args.data_dir).context("the users file is not valid")?;
    let staff_items: Arc<dyn complaints_app::staff_items::StaffItemStore> = sqlite.clone();
    let social_channels: Arc<dyn complaints_app::channel_health_store::ChannelHealthStore> = sqlite.clone();
    // The staff pages under /staff/: signed in with users-file passwords, sessions in SQLite.
    let workspace = crate::staff_pages::router(staff.clone(), sqlite.clone(), &args.data_dir, &secret, &args.addr);
    let api = complaints_web::api::ApiState::new(staff, sqlite.clone(), sqlite, Arc::new(users));
    // Email intake watches data/inbox for .eml files (crate::ingest_email_cmd).
    let email_intake = crate::ingest_email_cmd::email_intake(intake.clone(), &args.data_dir, &secret)?;
    let social = complaints_app::social::SocialIntake {
        intake: intake.clone(),
        objects: Arc::new(complaints_social::folder::FolderObjectStore::new(args.data_dir.join(OBJECTS_DIR))),
        items: staff_items,
        accounts: complaints_app::social_accounts::SocialAccounts::from_lookup(|name| std::env::var(name).ok()),
        channels: social_channels,
    };
    let state =
        complaints_web::WebState::new(intake, &form_secret(&secret)).context("the web pages did not compile")?;
    let pages = state.pages();
    // The mail page shows every complainant's name, address and complaint: never to the network.
    let mail_page = mail_page_allowed(&args.addr);
    let mut app = complaints_web::router(state).merge(complaints_web::api::router(api)).merge(workspace);
    if mail_page {
        app = app.merge(complaints_web::mail_folder::router(mail_dir, pages, org_name));
    }
    // The webhooks answer 404 for a platform whose secrets are not set.
    tracing::info!(platforms = ?social_secrets, "social webhooks");
    app = app.merge(complaints_social::router(complaints_social::SocialState::new(social_secrets, social)));

    let listener =
        tokio::net::TcpListener::bind(args.addr).await.with_context(|| format!("could not listen on {}", args.addr))?;
    let local = listener.local_addr().context("could not read the listening address")?;
    let shutdown = shutdown_signal();
    // Delivers what an earlier run left pending (a crash, an outage), then keeps retrying.
    let delivery = Delivery::new(store, mailer, Arc::clone(&clock));
    let deliverer = tokio::spawn(deliver_pending(delivery, health, clock));
    let inbox = tokio::spawn(crate::ingest_email_cmd::watch_inbox(email_intake, args.data_dir.clone()));
    // Tests and scripts read this line to find the port.
    if mail_page {
        println!(
            "complaints: serving the complaint form at http://{local}/ (sent mail at http://{local}/mail); Ctrl-C stops"
        );
    } else {
        println!("complaints: serving the complaint form at http://{local}/; Ctrl-C stops");
        println!(
            "complaints: the sent-mail page /mail is off: {} is not a loopback address, and the page shows \
             every complainant's details (read the mail folder {} instead)",
            args.addr.ip(),
            args.data_dir.join(MAIL_DIR).display()
        );
    }
    println!(
        "complaints: the staff API is at http://{local}/api/ (Authorization: Bearer <token from `complaints users add`>; docs/api.md)"
    );
    println!("complaints: the staff pages are at http://{local}/staff/ (sign in: docs/signing-in.md)");
    let _ = std::io::stdout().flush();
    tracing::info!(addr = %local, data_dir = %args.data_dir.display(), "serving");
    let served = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await;
    deliverer.abort();
    scanner.abort();
    inbox.abort();
    served.context("the server failed")?;
    println!("complaints: stopped");
    Ok(())
}

/// The platforms' send APIs when any send token is set (`META_GRAPH_BASE`, `META_GRAPH_VERSION`
/// and `X_API_BASE` point them elsewhere, e.g. a local fake).
fn social_sender(
    secrets: &complaints_social::SocialSecrets,
) -> anyhow::Result<Option<Arc<dyn complaints_app::social::SocialSender>>> {
    let tokens = &secrets.tokens;
    if tokens.page.is_none() && tokens.whatsapp.is_none() && tokens.x_bearer.is_none() {
        return Ok(None);
    }
    let endpoints = complaints_social::sender::Endpoints::from_lookup(|name| std::env::var(name).ok());
    let sender = complaints_social::sender::HttpSocialSender::new(endpoints, tokens.clone())
        .context("could not build the HTTPS client for the social media platforms")?;
    Ok(Some(Arc::new(sender)))
}

/// Fetches social media attachments into `data/objects/social/attachments/` (Messenger and
/// Instagram need no token; WhatsApp and X use theirs).
fn social_attachments(
    secrets: &complaints_social::SocialSecrets,
    data_dir: &std::path::Path,
) -> anyhow::Result<Option<Arc<dyn complaints_app::social_attachments::AttachmentFetcher>>> {
    if !secrets.any() {
        return Ok(None);
    }
    let endpoints = complaints_social::sender::Endpoints::from_lookup(|name| std::env::var(name).ok());
    let objects = Arc::new(complaints_social::folder::FolderObjectStore::new(data_dir.join(OBJECTS_DIR)));
    let fetcher =
        complaints_social::attachments::HttpAttachmentFetcher::new(endpoints, secrets.tokens.clone(), objects)
            .context("could not build the HTTPS client for the social media platforms")?;
    Ok(Some(Arc::new(fetcher)))
}

/// Staff are told by email when a platform's replies keep failing or a channel watched in
/// `quiet` goes quiet (the team mailbox and the complaints manager of `[alerts]`; nobody
/// configured: logs only).
fn social_health(
    store: &Arc<SqliteCaseStore>,
    config: &complaints_core::config::OrgConfig,
    quiet: complaints_app::social_health::QuietHours,
) -> Option<Arc<complaints_app::social_health::ChannelHealth>> {
    let settings = complaints_app::social_health::HealthSettings::from_config(config)?;
    Some(Arc::new(complaints_app::social_health::ChannelHealth::new(store.clone(), settings).with_quiet_hours(quiet)))
}

/// The dev `/mail` page (every complainant's name, address and complaint) is served only when
/// the server listens on a loopback address.
fn mail_page_allowed(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}

/// Delivers pending mail now and every [`DELIVERY_TICK`], each time then checking for quiet
/// social channels ([`crate::serve_rounds::round`]); a failure is logged with its cause chain and
/// the next tick tries again.
async fn deliver_pending(
    delivery: Delivery,
    health: Option<Arc<complaints_app::social_health::ChannelHealth>>,
    clock: Arc<dyn Clock>,
) {
    let mut tick = tokio::time::interval(DELIVERY_TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        crate::serve_rounds::round(&delivery, health.as_deref(), clock.as_ref()).await;
    }
}

/// Resolves on Ctrl-C or SIGTERM, so in-flight requests finish before the process exits. The
/// handlers are installed when this is called (before the server says it is ready), so a signal
/// that arrives straight after start-up is never taken by the default action.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    #[cfg(unix)]
    let interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok();
    async move {
        #[cfg(unix)]
        {
            let wait = |signal: Option<tokio::signal::unix::Signal>| async move {
                match signal {
                    Some(mut signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(terminate) => {},
                () = wait(interrupt) => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mail_page_is_served_on_loopback_addresses_only() {
        for (addr, allowed) in [
            ("127.0.0.1:3000", true),
            ("127.0.0.2:0", true),
            ("[::1]:3000", true),
            ("0.0.0.0:3000", false),
            ("[::]:3000", false),
            ("192.168.1.10:3000", false),
        ] {
            let addr: SocketAddr = addr.parse().expect("valid address");
            assert_eq!(mail_page_allowed(&addr), allowed, "{addr}");
        }
    }
}
