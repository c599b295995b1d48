//! `complaints ingest-email [--json] FILE…`: takes `.eml` files in through email intake, one line
//! (or JSON object) per file with its outcome; and the inbox folder `complaints serve` watches
//! (`data/inbox/*.eml` → `data/inbox/done/` or `data/inbox/failed/` with the reason beside it).
//! Raw messages and attachments are kept in `data/objects/`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use clap::Args;
use complaints_app::email_intake::{EmailIntake, EmailOutcome, Envelope, Ingested, RawEmail};
use complaints_app::intake::IntakeService;
use complaints_app::object_store::{ObjectStore, ObjectStoreError};
use complaints_app::ports::{CaseStore, Mailer, SystemClock};
use complaints_mail::templates::Templates;
use complaints_mail_folder::MailFolder;
use complaints_store_sqlite::SqliteCaseStore;
use sha2::{Digest, Sha256};

use crate::serve::{DATABASE_FILE, MAIL_DIR, contact_key_secret, load_config, private_writable_dir};

/// The folder `serve` watches for `.eml` files, inside the data directory.
pub const INBOX_DIR: &str = "inbox";
/// Where raw messages and attachments are kept, inside the data directory.
pub const OBJECTS_DIR: &str = "objects";
/// How often `serve` looks in the inbox.
pub const INBOX_TICK: Duration = Duration::from_secs(2);

#[derive(Debug, Args)]
pub struct IngestEmailArgs {
    /// One JSON object per file instead of a line of text.
    #[arg(long)]
    pub json: bool,
    /// Where the database, mail folder and secret live (as for `serve`).
    #[arg(long, default_value = "data")]
    pub data_dir: PathBuf,
    /// Organisation configuration (TOML); the built-in one is used when absent.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// The messages to take in.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

pub fn run(args: IngestEmailArgs) -> ExitCode {
    crate::serve::init_tracing();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("complaints: could not start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(ingest_files(&args)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("complaints: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// True when every file got an outcome.
async fn ingest_files(args: &IngestEmailArgs) -> anyhow::Result<bool> {
    let config = load_config(args.config.as_deref())?;
    private_writable_dir(&args.data_dir)?;
    let secret = contact_key_secret(&args.data_dir)?;
    let database = args.data_dir.join(DATABASE_FILE);
    let sqlite =
        Arc::new(SqliteCaseStore::open(&database).with_context(|| format!("could not open {}", database.display()))?);
    // Flags email intake writes (quarantine, held attachments, bounces) go to the flagged
    // register with the case write itself.
    let store: Arc<dyn CaseStore> = sqlite;
    let mail_dir = args.data_dir.join(MAIL_DIR);
    private_writable_dir(&mail_dir)?;
    let calendar = config.calendar();
    let intake = IntakeService {
        store,
        mailer: Arc::new(MailFolder::new(&mail_dir)) as Arc<dyn Mailer>,
        clock: Arc::new(SystemClock),
        config: Arc::new(config),
        calendar: Arc::new(calendar),
        templates: Arc::new(Templates::builtin()),
        contact_key_secret: Arc::from(secret.as_slice()),
    };
    let email = email_intake(intake, &args.data_dir, &secret)?;
    let mut all_ok = true;
    for file in &args.files {
        let result = match std::fs::read(file) {
            Ok(bytes) => email
                .ingest(RawEmail { bytes: &bytes, stored_at: None }, &Envelope::default())
                .await
                .map_err(|e| complaints_app::error_chain(&e)),
            Err(err) => Err(format!("could not read the file: {err}")),
        };
        all_ok &= result.is_ok();
        println!("{}", describe(file, &result, args.json));
    }
    Ok(all_ok)
}

/// Email intake over `intake`, keeping objects in `data_dir/objects`, with the limits of the
/// organisation's `[email]` settings. Mail held for staff without a case is recorded in the data
/// folder's database (its own connection) and kept for good, as the raw mail is.
///
/// # Errors
/// When the objects folder cannot be made or the database opened.
pub fn email_intake(intake: IntakeService, data_dir: &Path, contact_secret: &[u8]) -> anyhow::Result<EmailIntake> {
    let objects = data_dir.join(OBJECTS_DIR);
    private_writable_dir(&objects)?;
    let database = data_dir.join(DATABASE_FILE);
    let held = SqliteCaseStore::open(&database).with_context(|| format!("could not open {}", database.display()))?;
    Ok(EmailIntake {
        limits: complaints_app::email_intake::limits(&intake.config.email),
        intake,
        objects: Arc::new(FolderObjectStore { root: objects }),
        reply_token_key: Arc::from(reply_token_key(contact_secret).as_slice()),
        held: Arc::new(held),
        raw_retention_days: None,
    })
}

/// The Reply-To token key, derived from the local secret (on AWS it is its own SSM parameter).
fn reply_token_key(contact_secret: &[u8]) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(b"complaints email reply-to tokens v1\n");
    hasher.update(contact_secret);
    hasher.finalize().to_vec()
}

/// One line (or JSON object) for a file.
fn describe(file: &Path, result: &Result<Ingested, String>, json: bool) -> String {
    let name = file.display().to_string();
    match (result, json) {
        (Ok(ingested), true) => serde_json::json!({
            "file": name,
            "outcome": ingested.outcome.kind(),
            "reference": ingested.outcome.reference().map(ToString::to_string),
            "reason": ingested.outcome.reason(),
            "duplicate": matches!(ingested.outcome, EmailOutcome::Case { duplicate: true, .. } | EmailOutcome::Correspondence { duplicate: true, .. }),
            "raw": ingested.raw_key,
        })
        .to_string(),
        (Err(error), true) => serde_json::json!({ "file": name, "outcome": null, "error": error }).to_string(),
        (Ok(ingested), false) => {
            let detail = ingested
                .outcome
                .reference()
                .map(ToString::to_string)
                .or_else(|| ingested.outcome.reason().map(str::to_owned))
                .unwrap_or_default();
            let detail = match ingested.outcome.reason().filter(|_| ingested.outcome.reference().is_some()) {
                Some(reason) => format!("{detail} ({reason})"),
                None => detail,
            };
            let repeat = matches!(
                ingested.outcome,
                EmailOutcome::Case { duplicate: true, .. } | EmailOutcome::Correspondence { duplicate: true, .. }
            );
            let detail = if repeat { format!("{detail} (already taken in)") } else { detail };
            format!("{name}\t{}\t{detail}", ingested.outcome.kind())
        }
        (Err(error), false) => format!("{name}\terror\t{error}"),
    }
}

/// Watches `data_dir/inbox` for `.eml` files for `serve`: each is taken in and moved to `done/`,
/// or to `failed/` (rejected, or unreadable) with `<name>.reason.txt` beside it. A file whose
/// intake failed for a passing reason (the store) stays for the next look.
pub async fn watch_inbox(intake: EmailIntake, data_dir: PathBuf) {
    let inbox = data_dir.join(INBOX_DIR);
    for dir in [inbox.clone(), inbox.join("done"), inbox.join("failed")] {
        if let Err(err) = private_writable_dir(&dir) {
            tracing::error!(error = %err, "the inbox folder cannot be used; email files are not taken in");
            return;
        }
    }
    let mut tick = tokio::time::interval(INBOX_TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut sizes = Sightings::default();
    loop {
        tick.tick().await;
        for file in sizes.complete(&inbox_files(&inbox)) {
            process_inbox_file(&intake, &inbox, &file).await;
        }
    }
}

/// What the watcher saw of each inbox file on its last look. A file is taken only when its size
/// and modification time are the same on two looks a tick apart, so a file still being copied in
/// is left alone; writers that can should write to a name not ending `.eml` (`x.eml.tmp`) and
/// rename it when complete, which the watcher never sees half-written.
#[derive(Debug, Default)]
pub struct Sightings {
    seen: std::collections::HashMap<PathBuf, (u64, Option<std::time::SystemTime>)>,
}

impl Sightings {
    /// The files of `files` that have not changed since the last call (forgetting files gone).
    pub fn complete(&mut self, files: &[PathBuf]) -> Vec<PathBuf> {
        let mut now = std::collections::HashMap::new();
        let mut ready = Vec::new();
        for file in files {
            let Ok(meta) = std::fs::metadata(file) else { continue };
            let look = (meta.len(), meta.modified().ok());
            if self.seen.get(file) == Some(&look) {
                ready.push(file.clone());
            }
            now.insert(file.clone(), look);
        }
        self.seen = now;
        ready
    }
}

/// A name in `folder` that no file has: `name`, else `stem-2.ext`, `stem-3.ext`…, so a second
/// message with the same file name never replaces the first in `done/` or `failed/`.
fn unused_name(folder: &Path, name: &std::ffi::OsStr) -> PathBuf {
    let first = folder.join(name);
    if !first.exists() {
        return first;
    }
    let path = Path::new(name);
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let extension = path.extension().map(|e| format!(".{}", e.to_string_lossy())).unwrap_or_default();
    (2u64..)
        .map(|n| folder.join(format!("{stem}-{n}{extension}")))
        .find(|candidate| !candidate.exists())
        .unwrap_or(first)
}

fn inbox_files(inbox: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(inbox) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e.eq_ignore_ascii_case("eml")))
        .collect();
    files.sort();
    files
}

/// Takes in one inbox file and moves it; returns where it went (`None`: left for a retry).
pub async fn process_inbox_file(intake: &EmailIntake, inbox: &Path, file: &Path) -> Option<PathBuf> {
    let name = file.file_name()?.to_owned();
    let (folder, reason) = match std::fs::read(file) {
        Err(err) => ("failed", Some(format!("could not read the file: {err}"))),
        Ok(bytes) => match intake.ingest(RawEmail { bytes: &bytes, stored_at: None }, &Envelope::default()).await {
            Ok(Ingested { outcome: EmailOutcome::Rejected { reason }, raw_key }) => {
                ("failed", Some(format!("rejected: {reason}\nraw message kept at {raw_key}\n")))
            }
            Ok(_) => ("done", None),
            Err(err) => {
                tracing::warn!(error = %complaints_app::error_chain(&err), "inbox file left for the next try");
                return None;
            }
        },
    };
    let target = unused_name(&inbox.join(folder), &name);
    if let Some(reason) = reason {
        let mut note = target.clone().into_os_string();
        note.push(".reason.txt");
        if let Err(err) = std::fs::write(&note, reason) {
            tracing::warn!(error = %err, "could not write the reason beside a failed inbox file");
        }
    }
    match std::fs::rename(file, &target) {
        Ok(()) => Some(target),
        Err(err) => {
            tracing::error!(error = %err, "could not move an inbox file");
            None
        }
    }
}

/// Objects as files under one folder (the local stand-in for the S3 bucket). Keys are our own
/// (`mail/raw/<sha256>.eml`, `mail/attachments/<sha256>`), never a sender's file name.
#[derive(Debug, Clone)]
pub struct FolderObjectStore {
    pub root: PathBuf,
}

#[derive(Debug, thiserror::Error)]
#[error("object key is not a safe relative path")]
struct UnsafeKey;

impl FolderObjectStore {
    fn path(&self, key: &str) -> Result<PathBuf, ObjectStoreError> {
        let safe = !key.is_empty()
            && key.split('/').all(|part| !part.is_empty() && part != "." && part != ".." && !part.contains('\\'));
        if safe { Ok(self.root.join(key)) } else { Err(ObjectStoreError::Unavailable(Box::new(UnsafeKey))) }
    }
}

#[async_trait]
impl ObjectStore for FolderObjectStore {
    async fn put(&self, key: &str, _content_type: &str, bytes: Vec<u8>) -> Result<(), ObjectStoreError> {
        let path = self.path(key)?;
        let unavailable = |e: std::io::Error| ObjectStoreError::Unavailable(Box::new(e));
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await.map_err(unavailable)?;
        }
        // Written aside and renamed, so a reader never sees half an object.
        let mut partial = path.clone().into_os_string();
        partial.push(".partial");
        tokio::fs::write(&partial, bytes).await.map_err(unavailable)?;
        tokio::fs::rename(&partial, &path).await.map_err(unavailable)
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>, ObjectStoreError> {
        match tokio::fs::read(self.path(key)?).await {
            Ok(bytes) => Ok(bytes),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Err(ObjectStoreError::NotFound),
            Err(err) => Err(ObjectStoreError::Unavailable(Box::new(err))),
        }
    }
}

#[cfg(test)]
mod tests {
    use complaints_core::config::OrgConfig;

    use super::*;

    fn intake_in(dir: &Path) -> EmailIntake {
        let store = SqliteCaseStore::open(dir.join(DATABASE_FILE)).expect("store");
        let config = OrgConfig::builtin();
        let calendar = config.calendar();
        let intake = IntakeService {
            store: Arc::new(store),
            mailer: Arc::new(MailFolder::new(dir.join(MAIL_DIR))),
            clock: Arc::new(SystemClock),
            config: Arc::new(config),
            calendar: Arc::new(calendar),
            templates: Arc::new(Templates::builtin()),
            contact_key_secret: Arc::from(&b"cli-test-contact-key-secret-32-bytes"[..]),
        };
        email_intake(intake, dir, b"cli-test-contact-key-secret-32-bytes").expect("email intake")
    }

    #[tokio::test]
    async fn inbox_files_move_to_done_or_to_failed_with_their_reason() {
        let dir = tempfile::tempdir().expect("temp dir");
        let intake = intake_in(dir.path());
        let inbox = dir.path().join(INBOX_DIR);
        for sub in ["done", "failed"] {
            std::fs::create_dir_all(inbox.join(sub)).expect("inbox");
        }
        let good = inbox.join("good.eml");
        std::fs::write(
            &good,
            "From: jo@example.net\r\nMessage-ID: <cli.1@example.net>\r\nSubject: Bins\r\n\r\nMissed again.\r\n",
        )
        .expect("write");
        let empty = inbox.join("empty.eml");
        std::fs::write(&empty, "").expect("write");

        assert_eq!(process_inbox_file(&intake, &inbox, &good).await, Some(inbox.join("done/good.eml")));
        assert_eq!(process_inbox_file(&intake, &inbox, &empty).await, Some(inbox.join("failed/empty.eml")));
        let reason = std::fs::read_to_string(inbox.join("failed/empty.eml.reason.txt")).expect("reason");
        assert!(reason.starts_with("rejected: unreadable"), "{reason}");
        assert_eq!(inbox_files(&inbox), Vec::<PathBuf>::new(), "the inbox is empty");
        // The raw message of the rejected file is kept too.
        let raw_key = complaints_app::email_intake::raw_key_for(b"");
        assert!(dir.path().join(OBJECTS_DIR).join(raw_key).is_file());
    }

    #[tokio::test]
    async fn a_second_file_of_the_same_name_never_replaces_the_first_in_done() {
        let dir = tempfile::tempdir().expect("temp dir");
        let intake = intake_in(dir.path());
        let inbox = dir.path().join(INBOX_DIR);
        for sub in ["done", "failed"] {
            std::fs::create_dir_all(inbox.join(sub)).expect("inbox");
        }
        let file = inbox.join("mail.eml");
        let mut moved = Vec::new();
        for n in 1..=3 {
            let body = format!(
                "From: jo@example.net\r\nMessage-ID: <same.{n}@example.net>\r\nSubject: Bins {n}\r\n\r\nMissed.\r\n"
            );
            std::fs::write(&file, &body).expect("write");
            moved.push(process_inbox_file(&intake, &inbox, &file).await.expect("moved"));
            assert_eq!(std::fs::read_to_string(moved.last().expect("moved")).expect("kept"), body);
        }
        assert_eq!(moved, [inbox.join("done/mail.eml"), inbox.join("done/mail-2.eml"), inbox.join("done/mail-3.eml")]);
    }

    #[test]
    fn a_file_is_taken_only_once_its_size_has_stayed_the_same_for_a_tick() {
        let dir = tempfile::tempdir().expect("temp dir");
        let growing = dir.path().join("growing.eml");
        let still = dir.path().join("still.eml");
        std::fs::write(&growing, "From: jo@").expect("write");
        std::fs::write(&still, "From: jo@example.net\r\n\r\nHello").expect("write");
        let mut sightings = Sightings::default();
        let files = [growing.clone(), still.clone()];
        assert!(sightings.complete(&files).is_empty(), "nothing is taken on first sight");
        std::fs::write(&growing, "From: jo@example.net\r\n\r\nStill being written").expect("append");
        assert_eq!(sightings.complete(&files), std::slice::from_ref(&still), "the growing file waits");
        assert_eq!(sightings.complete(&files), [growing, still], "now both are complete");
        // A temporary name is never an inbox file.
        std::fs::write(dir.path().join("x.eml.tmp"), "From: a@b").expect("write");
        assert!(!inbox_files(dir.path()).iter().any(|p| p.ends_with("x.eml.tmp")));
    }

    #[tokio::test]
    async fn the_folder_store_keeps_objects_and_refuses_keys_that_leave_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = FolderObjectStore { root: dir.path().to_path_buf() };
        store.put("mail/raw/a.eml", "message/rfc822", b"abc".to_vec()).await.expect("put");
        assert_eq!(store.get("mail/raw/a.eml").await.expect("get"), b"abc");
        assert!(matches!(store.get("mail/raw/none.eml").await, Err(ObjectStoreError::NotFound)));
        for bad in ["../escape", "/abs", "a//b", "a/./b", ""] {
            assert!(store.put(bad, "x", Vec::new()).await.is_err(), "{bad}");
        }
    }

    #[test]
    fn each_file_is_described_with_its_outcome_reference_or_reason() {
        let reference: complaints_core::reference::CaseRef = "CMP-2026-00007".parse().expect("reference");
        let case = Ok(Ingested {
            outcome: EmailOutcome::Case { reference, duplicate: false, acknowledged: true },
            raw_key: "mail/raw/x.eml".to_owned(),
        });
        assert_eq!(describe(Path::new("a.eml"), &case, false), "a.eml\tcase\tCMP-2026-00007");
        let json: serde_json::Value = serde_json::from_str(&describe(Path::new("a.eml"), &case, true)).expect("json");
        assert_eq!((json["outcome"].as_str(), json["reference"].as_str()), (Some("case"), Some("CMP-2026-00007")));
        let robot = Ok(Ingested {
            outcome: EmailOutcome::Robot { reason: "auto-submitted".to_owned() },
            raw_key: "mail/raw/y.eml".to_owned(),
        });
        assert_eq!(describe(Path::new("b.eml"), &robot, false), "b.eml\trobot\tauto-submitted");
    }
}
