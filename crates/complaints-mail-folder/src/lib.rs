//! Mailer that writes each message as an .eml file into a folder, for local runs: the mail folder.
//!
//! Each message becomes `<UTC timestamp>-<Message-ID made safe>.eml`, exactly the bytes SES would
//! be given (`QueuedMessage::raw`). Files are written under a hidden temporary name and renamed
//! into place, so a reader (the dev `/mail` page, a mail client) never sees half a message.
//! A writer killed between the two leaves its hidden temporary file behind: harmless (nothing
//! lists or reads hidden files, and the retried delivery writes its own), and removed by the next
//! mailer on the folder once it is [`STALE_TEMPORARY_AGE`] old ([`remove_stale_temporaries`]).
//! Sending the same message again replaces its file, so a retried delivery stays one message.
//! A printable letter (a message marked `X-Complaint-Delivery: print`) is also written beside its
//! message as `<same name>.html`, ready to open in a browser and print.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use complaints_app::ports::{MailError, Mailer};
use complaints_core::reference::CaseRef;
use complaints_mail::{CASE_REFERENCE_HEADER, DELIVERY_HEADER, PRINT_DELIVERY, QueuedMessage};
use mail_parser::{Addr, HeaderValue, MessageParser};
use serde::Serialize;

/// The extension of every message file; anything else in the folder is ignored.
const EML_EXTENSION: &str = ".eml";
/// File names stay well under common file-system limits (255 bytes) whatever the Message-ID.
const MAX_ID_IN_FILE_NAME: usize = 120;

/// A hidden temporary file older than this was left by a writer killed between writing and
/// renaming (a write takes milliseconds); a younger one may be another process's write in
/// progress (the server and a CLI command can share the folder) and is left alone.
pub const STALE_TEMPORARY_AGE: Duration = Duration::from_secs(10 * 60);
/// How often a long-running mailer looks for leftovers again (the first send always looks).
const SWEEP_INTERVAL: Duration = Duration::from_secs(10 * 60);

/// Writes messages into a folder instead of sending them (the embedded default's mailer).
#[derive(Debug, Clone)]
pub struct MailFolder {
    dir: PathBuf,
    /// When this mailer (and its clones) last removed stale temporary files.
    last_sweep: Arc<Mutex<Option<Instant>>>,
    sweep_interval: Duration,
}

/// One message in the mail folder, as the dev `/mail` page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MailFolderEntry {
    /// The file's name inside the mail folder (pass it to [`MailFolder::read`]).
    pub file_name: String,
    /// The message's `Date` header.
    pub date: Option<DateTime<Utc>>,
    /// Recipients as `Name <address>` (or the bare address).
    pub to: Vec<String>,
    pub subject: String,
    /// The `X-Complaint-Reference` header.
    pub case_ref: Option<CaseRef>,
    pub message_id: Option<String>,
}

/// Why the mail folder could not be read.
#[derive(Debug, thiserror::Error)]
pub enum MailFolderError {
    #[error("could not read the mail folder")]
    Io(#[from] std::io::Error),
    /// The name is not that of a message file in the mail folder (e.g. it contains a path).
    #[error("{0:?} is not the name of a message in the mail folder")]
    BadName(String),
    #[error("no message {0:?} in the mail folder")]
    NotFound(String),
}

impl MailFolder {
    /// A mailer writing into `dir`, which is created on the first send if it is missing.
    #[must_use]
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into(), last_sweep: Arc::new(Mutex::new(None)), sweep_interval: SWEEP_INTERVAL }
    }

    /// True (and noted) when the folder is due a look for stale temporary files.
    fn sweep_due(&self) -> bool {
        let mut last = self.last_sweep.lock().unwrap_or_else(PoisonError::into_inner);
        let due = last.is_none_or(|at| at.elapsed() >= self.sweep_interval);
        if due {
            *last = Some(Instant::now());
        }
        due
    }

    /// The folder.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file name a message is written under: `20251127T103000Z-<message id>.eml`, the id
    /// reduced to letters, digits, `.`, `-` and `_` so it can never name another folder.
    #[must_use]
    pub fn file_name_for(email: &QueuedMessage) -> String {
        let safe_id: String = email
            .message_id
            .chars()
            .map(|c| match c {
                '@' => '_',
                c if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') => c,
                _ => '_',
            })
            .take(MAX_ID_IN_FILE_NAME)
            .collect();
        let safe_id = if safe_id.is_empty() { "message".to_owned() } else { safe_id };
        format!("{}-{safe_id}{EML_EXTENSION}", email.date.format("%Y%m%dT%H%M%SZ"))
    }

    /// Summaries of the messages in `dir`, newest first (by `Date`, then by file name). A folder
    /// that does not exist yet is empty.
    ///
    /// # Errors
    /// [`MailFolderError::Io`] when the folder or a file cannot be read.
    pub async fn list(dir: &Path) -> Result<Vec<MailFolderEntry>, MailFolderError> {
        let mut entries = Vec::new();
        let mut read_dir = match tokio::fs::read_dir(dir).await {
            Ok(read_dir) => read_dir,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(entries),
            Err(e) => return Err(e.into()),
        };
        while let Some(entry) = read_dir.next_entry().await? {
            let Ok(file_name) = entry.file_name().into_string() else { continue };
            if !is_message_file_name(&file_name) || !entry.file_type().await?.is_file() {
                continue;
            }
            let raw = tokio::fs::read(entry.path()).await?;
            entries.push(summarise(file_name, &raw));
        }
        entries.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| b.file_name.cmp(&a.file_name)));
        Ok(entries)
    }

    /// The raw bytes of one message in `dir`, by the file name [`Self::list`] gave.
    ///
    /// # Errors
    /// [`MailFolderError::BadName`] for anything that is not a plain message file name (no paths);
    /// [`MailFolderError::NotFound`]; [`MailFolderError::Io`].
    pub async fn read(dir: &Path, file_name: &str) -> Result<Vec<u8>, MailFolderError> {
        if !is_message_file_name(file_name) {
            return Err(MailFolderError::BadName(file_name.chars().take(80).collect()));
        }
        match tokio::fs::read(dir.join(file_name)).await {
            Ok(raw) => Ok(raw),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(MailFolderError::NotFound(file_name.to_owned())),
            Err(e) => Err(e.into()),
        }
    }
}

/// The hidden temporary name `raw` is written under before its rename to `file_name`.
fn temporary_name(file_name: &str) -> String {
    format!(".{file_name}.{}.tmp", std::process::id())
}

/// True for names [`temporary_name`] makes (`.<message or letter file>.<process id>.tmp`) and
/// nothing else: finished mail is never hidden, so it can never match.
fn is_temporary_file_name(name: &str) -> bool {
    let Some(inner) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")) else { return false };
    let Some((file_name, pid)) = inner.rsplit_once('.') else { return false };
    !pid.is_empty()
        && pid.bytes().all(|b| b.is_ascii_digit())
        && (is_message_file_name(file_name) || file_name.strip_suffix(".html").is_some_and(|stem| !stem.is_empty()))
}

/// Removes the temporary files in `dir` that killed writers left behind, once they are at least
/// `older_than` old (by modification time), and returns how many it removed. Touches nothing
/// else: not finished messages or letters, not other hidden files. A missing folder has none.
///
/// # Errors
/// When the folder cannot be read or a leftover cannot be removed.
pub fn remove_stale_temporaries(dir: &Path, older_than: Duration) -> std::io::Result<usize> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else { continue };
        if !is_temporary_file_name(&name) || !entry.file_type()?.is_file() {
            continue;
        }
        // A time in the future (a clock set back) is not old.
        let age = entry.metadata()?.modified()?.elapsed().unwrap_or(Duration::ZERO);
        if age < older_than {
            continue;
        }
        match std::fs::remove_file(entry.path()) {
            Ok(()) => removed += 1,
            // Another mailer on the folder removed it first.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(removed)
}

/// Writes `raw` as `dir/file_name` via a hidden temporary file in the same folder, so the rename
/// is atomic and readers never see a partial message. Blocking: run it off the async runtime.
fn write_atomically(dir: &Path, file_name: &str, raw: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    let temporary = dir.join(temporary_name(file_name));
    let written = (|| {
        // Messages hold names, addresses and complaints: readable by the owner only.
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&temporary)?;
        file.write_all(raw)?;
        file.sync_all()?;
        std::fs::rename(&temporary, dir.join(file_name))
    })();
    if written.is_err() {
        // Best effort: a leftover temporary file is hidden from readers anyway.
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

#[async_trait]
impl Mailer for MailFolder {
    async fn send(&self, message: &QueuedMessage) -> Result<(), MailError> {
        if message.to.is_empty() {
            return Err(MailError::Rejected("the message has no recipients".to_owned()));
        }
        let file_name = Self::file_name_for(message);
        let letter = printable_letter(&message.raw);
        let (dir, name, raw) = (self.dir.clone(), file_name.clone(), message.raw.clone());
        let sweep = self.sweep_due();
        tokio::task::spawn_blocking(move || {
            if sweep {
                // Best effort: a leftover is hidden from readers whether or not it goes now.
                match remove_stale_temporaries(&dir, STALE_TEMPORARY_AGE) {
                    Ok(0) => {}
                    Ok(removed) => tracing::info!(removed, "stale temporary files removed from the mail folder"),
                    Err(error) => tracing::warn!(%error, "could not look for stale temporary files in the mail folder"),
                }
            }
            // The printable letter first: once the .eml is there, its letter is too.
            if let Some(html) = letter {
                write_atomically(&dir, &letter_file_name(&name), html.as_bytes())?;
            }
            write_atomically(&dir, &name, &raw)
        })
        .await
        .map_err(|e| MailError::Unavailable(Box::new(e)))?
        .map_err(|e| MailError::Unavailable(Box::new(e)))?;
        let case_ref = message.case_ref.as_ref().map(ToString::to_string);
        tracing::info!(case_ref = case_ref.as_deref(), file = %file_name, "message written to the mail folder");
        Ok(())
    }
}

/// The HTML letter of a message marked for printing (`X-Complaint-Delivery: print`), if it is one.
fn printable_letter(raw: &[u8]) -> Option<String> {
    let message = MessageParser::default().parse(raw)?;
    let marked = message
        .header(DELIVERY_HEADER)
        .and_then(HeaderValue::as_text)
        .is_some_and(|value| value.trim().eq_ignore_ascii_case(PRINT_DELIVERY));
    if !marked {
        return None;
    }
    message.body_html(0).map(std::borrow::Cow::into_owned)
}

/// `20251127T103000Z-<id>.eml` → `20251127T103000Z-<id>.html`: the printable letter beside its message.
#[must_use]
pub fn letter_file_name(message_file_name: &str) -> String {
    format!("{}.html", message_file_name.strip_suffix(EML_EXTENSION).unwrap_or(message_file_name))
}

/// Message files only: `*.eml`, not hidden (temporary files start with a dot), no path separators.
fn is_message_file_name(name: &str) -> bool {
    name.ends_with(EML_EXTENSION)
        && name.len() > EML_EXTENSION.len()
        && !name.starts_with('.')
        && !name.contains(['/', '\\', '\0'])
}

fn summarise(file_name: String, raw: &[u8]) -> MailFolderEntry {
    let Some(message) = MessageParser::default().parse(raw) else {
        return MailFolderEntry {
            file_name,
            date: None,
            to: Vec::new(),
            subject: String::new(),
            case_ref: None,
            message_id: None,
        };
    };
    let to = message
        .to()
        .and_then(|to| to.as_list())
        .map(|list| list.iter().filter_map(display_address).collect())
        .unwrap_or_default();
    MailFolderEntry {
        file_name,
        date: message.date().and_then(|d| DateTime::from_timestamp(d.to_timestamp(), 0)),
        to,
        subject: message.subject().unwrap_or_default().to_owned(),
        case_ref: message
            .header(CASE_REFERENCE_HEADER)
            .and_then(HeaderValue::as_text)
            .and_then(|t| t.trim().parse().ok()),
        message_id: message.message_id().map(str::to_owned),
    }
}

fn display_address(addr: &Addr<'_>) -> Option<String> {
    let address = addr.address()?;
    Some(match addr.name() {
        Some(name) if !name.is_empty() => format!("{name} <{address}>"),
        _ => address.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use complaints_core::case::MessagePurpose;
    use complaints_core::complaint::EmailAddress;
    use complaints_mail::{Mailbox, OutboundEmail};
    use mail_parser::MessageParser;

    fn address(raw: &str) -> EmailAddress {
        EmailAddress::parse(raw).expect("test address is valid")
    }

    fn email(number: u32, minute: u32) -> QueuedMessage {
        queued(&outbound(number, minute))
    }

    fn queued(email: &OutboundEmail) -> QueuedMessage {
        QueuedMessage::from_email(email, MessagePurpose::Acknowledgement)
    }

    fn outbound(number: u32, minute: u32) -> OutboundEmail {
        let reference = CaseRef::new("CMP", 2025, number).expect("valid reference");
        OutboundEmail {
            message_id: format!("cmp-2025-{number:05}.ack.abc{number}@example.org"),
            date: Utc.with_ymd_and_hms(2025, 11, 27, 10, minute, 0).single().expect("valid instant"),
            from: Mailbox::new(Some("Example Council"), address("complaints@example.org")),
            reply_to: None,
            to: vec![Mailbox::new(Some("Ailsa Mackay"), address("ailsa@example.net"))],
            subject: format!("Your complaint {reference}: we have received it"),
            text: "Your reference is in the subject.\n".to_owned(),
            html: "<p>Your reference is in the subject.</p>".to_owned(),
            auto_submitted: true,
            in_reply_to: None,
            case_ref: Some(reference),
        }
    }

    fn file_names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("outbox exists")
            .map(|e| e.expect("entry").file_name().into_string().expect("utf-8 name"))
            .collect();
        names.sort();
        names
    }

    #[tokio::test]
    async fn a_letter_marked_for_printing_is_written_beside_its_message_as_html() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mailer = MailFolder::new(dir.path());
        let mut letter = outbound(7, 5);
        letter.html = "<p>Dear Ailsa Mackay, this is the letter.</p>".to_owned();
        let mut message = queued(&letter);
        message.raw = letter.to_rfc5322_with(&[(DELIVERY_HEADER, PRINT_DELIVERY)]);
        mailer.send(&message).await.expect("sent");
        let eml = MailFolder::file_name_for(&message);
        let html = letter_file_name(&eml);
        let mut expected = vec![eml, html.clone()];
        expected.sort();
        assert_eq!(file_names(dir.path()), expected);
        let written = std::fs::read_to_string(dir.path().join(&html)).expect("letter written");
        assert!(written.contains("Dear Ailsa Mackay, this is the letter."), "{written}");
        // An ordinary email gets no .html file, and the letter is not listed as a message.
        mailer.send(&email(8, 6)).await.expect("sent");
        assert_eq!(file_names(dir.path()).iter().filter(|name| name.ends_with(".html")).count(), 1);
        assert_eq!(MailFolder::list(dir.path()).await.expect("listed").len(), 2);
    }

    #[tokio::test]
    async fn each_sent_message_becomes_one_eml_file_that_parses_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let outbox = dir.path().join("outbox");
        let mailer = MailFolder::new(&outbox);
        let sent = outbound(42, 30);
        mailer.send(&queued(&sent)).await.expect("sent");

        assert_eq!(file_names(&outbox), ["20251127T103000Z-cmp-2025-00042.ack.abc42_example.org.eml"]);
        let raw = std::fs::read(outbox.join(MailFolder::file_name_for(&queued(&sent)))).expect("file exists");
        let message = MessageParser::default().parse(&raw).expect("parses");
        assert_eq!(message.message_id(), Some(sent.message_id.as_str()));
        assert_eq!(message.subject(), Some(sent.subject.as_str()));
        assert_eq!(message.to().and_then(|t| t.first()).and_then(|a| a.address()), Some("ailsa@example.net"));
        assert_eq!(message.header(CASE_REFERENCE_HEADER).and_then(HeaderValue::as_text), Some("CMP-2025-00042"));
        assert_eq!(message.body_html(0).as_deref(), Some(sent.html.as_str()));
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn message_files_are_readable_by_their_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let message = email(11, 0);
        MailFolder::new(dir.path()).send(&message).await.expect("sent");
        let metadata = std::fs::metadata(dir.path().join(MailFolder::file_name_for(&message))).expect("file");
        assert_eq!(metadata.permissions().mode() & 0o777, 0o600);
    }

    #[tokio::test]
    async fn list_summarises_messages_newest_first_and_skips_other_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mailer = MailFolder::new(dir.path());
        for (number, minute) in [(1, 10), (3, 50), (2, 30)] {
            mailer.send(&email(number, minute)).await.expect("sent");
        }
        std::fs::write(dir.path().join(".half-written.eml.1.tmp"), b"Subject: partial").expect("write");
        std::fs::write(dir.path().join("notes.txt"), b"not a message").expect("write");
        std::fs::create_dir(dir.path().join("folder.eml")).expect("mkdir");

        let entries = MailFolder::list(dir.path()).await.expect("lists");
        let references: Vec<String> =
            entries.iter().filter_map(|e| e.case_ref.as_ref().map(ToString::to_string)).collect();
        assert_eq!(references, ["CMP-2025-00003", "CMP-2025-00002", "CMP-2025-00001"]);
        let newest = &entries[0];
        let expected = outbound(3, 50);
        assert_eq!(newest.file_name, MailFolder::file_name_for(&queued(&expected)));
        assert_eq!(newest.date, Some(expected.date));
        assert_eq!(newest.to, ["Ailsa Mackay <ailsa@example.net>"]);
        assert_eq!(newest.subject, expected.subject);
        assert_eq!(newest.message_id.as_deref(), Some(expected.message_id.as_str()));
    }

    #[tokio::test]
    async fn a_missing_outbox_folder_lists_as_empty() {
        let dir = tempfile::tempdir().expect("tempdir");
        let entries = MailFolder::list(&dir.path().join("never-created")).await.expect("lists");
        assert!(entries.is_empty());
    }

    #[tokio::test]
    async fn sending_the_same_message_twice_keeps_one_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mailer = MailFolder::new(dir.path());
        mailer.send(&email(5, 0)).await.expect("sent");
        mailer.send(&email(5, 0)).await.expect("sent again");
        assert_eq!(file_names(dir.path()).len(), 1);
    }

    #[tokio::test]
    async fn hostile_message_ids_cannot_write_outside_the_outbox() {
        let dir = tempfile::tempdir().expect("tempdir");
        let outbox = dir.path().join("outbox");
        let mailer = MailFolder::new(&outbox);
        for id in ["../../escape@example.org", "/etc/passwd", "..\\..\\x@y", "", "\r\n"] {
            mailer.send(&QueuedMessage { message_id: id.to_owned(), ..email(7, 0) }).await.expect("sent");
        }
        assert_eq!(file_names(dir.path()), ["outbox"]);
        for name in file_names(&outbox) {
            assert!(is_message_file_name(&name), "{name}");
            assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')), "{name}");
        }
    }

    #[tokio::test]
    async fn read_returns_a_listed_message_and_refuses_paths() {
        let dir = tempfile::tempdir().expect("tempdir");
        let outbox = dir.path().join("outbox");
        let sent = outbound(9, 0);
        MailFolder::new(&outbox).send(&queued(&sent)).await.expect("sent");
        std::fs::write(dir.path().join("secret.eml"), b"Subject: outside").expect("write");

        let listed = MailFolder::list(&outbox).await.expect("lists");
        let raw = MailFolder::read(&outbox, &listed[0].file_name).await.expect("reads");
        assert_eq!(raw, std::fs::read(outbox.join(&listed[0].file_name)).expect("file exists"));
        let parsed = MessageParser::default().parse(&raw).expect("parses");
        assert_eq!(parsed.subject(), Some(sent.subject.as_str()));

        for bad in ["../secret.eml", "..\\secret.eml", "/etc/hosts.eml", ".hidden.eml", "message.txt", ".eml"] {
            let error = MailFolder::read(&outbox, bad).await.expect_err("refused");
            assert!(matches!(error, MailFolderError::BadName(_)), "{bad}: {error}");
        }
        let error = MailFolder::read(&outbox, "20990101T000000Z-none.eml").await.expect_err("absent");
        assert!(matches!(error, MailFolderError::NotFound(_)), "{error}");
    }

    #[tokio::test]
    async fn a_message_without_recipients_is_rejected_and_nothing_is_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mailer = MailFolder::new(dir.path());
        let error = mailer.send(&QueuedMessage { to: Vec::new(), ..email(1, 0) }).await.expect_err("rejected");
        assert!(matches!(error, MailError::Rejected(_)), "{error}");
        assert!(file_names(dir.path()).is_empty());
    }

    #[tokio::test]
    async fn an_unwritable_outbox_is_reported_as_unavailable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let not_a_folder = dir.path().join("file");
        std::fs::write(&not_a_folder, b"").expect("write");
        let error = MailFolder::new(&not_a_folder).send(&email(1, 0)).await.expect_err("cannot write");
        assert!(matches!(error, MailError::Unavailable(_)), "{error}");
    }

    /// Sets `path`'s modification time `age` ago.
    fn age(path: &Path, age: Duration) {
        let file = std::fs::File::options().write(true).open(path).expect("open");
        file.set_modified(std::time::SystemTime::now() - age).expect("set modified");
    }

    const HOUR: Duration = Duration::from_secs(3600);

    #[tokio::test]
    async fn leftovers_of_a_killed_writer_are_removed_on_the_first_send_and_nothing_else_is_touched() {
        let dir = tempfile::tempdir().expect("tempdir");
        let earlier = email(1, 0);
        MailFolder::new(dir.path()).send(&earlier).await.expect("sent");
        let finished = dir.path().join(MailFolder::file_name_for(&earlier));
        let finished_bytes = std::fs::read(&finished).expect("written");
        let killed_message = dir.path().join(temporary_name(&MailFolder::file_name_for(&email(2, 0))));
        let killed_letter = dir.path().join(".20251127T100000Z-letter.html.4242.tmp");
        let in_progress = dir.path().join(".20251127T100000Z-other.eml.4243.tmp");
        let others = [".keep", "notes.tmp", ".notes.tmp", ".x.eml.12ab.tmp"].map(|name| dir.path().join(name));
        for path in [&killed_message, &killed_letter, &in_progress].into_iter().chain(&others) {
            std::fs::write(path, b"Subject: partial").expect("write");
        }
        // Everything is old except the write another process may still be making.
        for path in [&finished, &killed_message, &killed_letter].into_iter().chain(&others) {
            age(path, HOUR);
        }
        age(&in_progress, Duration::from_secs(5));

        // A new mailer on the folder (the next run) looks on its first send.
        MailFolder::new(dir.path()).send(&email(3, 0)).await.expect("sent");

        assert!(!killed_message.exists() && !killed_letter.exists(), "{:?}", file_names(dir.path()));
        assert!(in_progress.exists(), "a young temporary file may be a write in progress");
        for path in &others {
            assert!(path.exists(), "{} is not ours to remove", path.display());
        }
        assert_eq!(std::fs::read(&finished).expect("kept"), finished_bytes, "finished mail is never touched");
        assert_eq!(MailFolder::list(dir.path()).await.expect("listed").len(), 2);
    }

    #[tokio::test]
    async fn a_message_whose_writer_was_killed_is_delivered_exactly_once_and_its_partial_copy_is_never_mail() {
        let dir = tempfile::tempdir().expect("tempdir");
        let message = email(4, 0);
        let name = MailFolder::file_name_for(&message);
        // The writer died after writing half the message under its temporary name.
        let partial = dir.path().join(temporary_name(&name));
        std::fs::write(&partial, &message.raw[..message.raw.len() / 2]).expect("write");
        age(&partial, HOUR);
        let partial_name = partial.file_name().and_then(|n| n.to_str()).expect("name").to_owned();
        assert!(MailFolder::list(dir.path()).await.expect("listed").is_empty(), "half a message is not mail");
        let refused = MailFolder::read(dir.path(), &partial_name).await.expect_err("not a message");
        assert!(matches!(refused, MailFolderError::BadName(_)), "{refused}");

        // The delivery is retried (the outbound queue still holds it): one whole message.
        MailFolder::new(dir.path()).send(&message).await.expect("sent");

        assert_eq!(file_names(dir.path()), std::slice::from_ref(&name), "one file, the leftover gone");
        let listed = MailFolder::list(dir.path()).await.expect("listed");
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].message_id.as_deref(), Some(message.message_id.as_str()));
        assert_eq!(MailFolder::read(dir.path(), &name).await.expect("read"), message.raw);
    }

    #[tokio::test]
    async fn a_long_running_mailer_looks_for_leftovers_again_once_the_interval_has_passed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut mailer = MailFolder::new(dir.path());
        mailer.send(&email(5, 0)).await.expect("sent");
        let leftover = dir.path().join(temporary_name(&MailFolder::file_name_for(&email(6, 0))));
        std::fs::write(&leftover, b"Subject: partial").expect("write");
        age(&leftover, HOUR);

        // Within the interval a send does not read the folder again...
        mailer.send(&email(7, 0)).await.expect("sent");
        assert!(leftover.exists());
        // ...after it, the next send does (clones share the time of the last look).
        mailer.sweep_interval = Duration::ZERO;
        mailer.clone().send(&email(8, 0)).await.expect("sent");
        assert!(!leftover.exists());
    }

    #[test]
    fn a_missing_folder_has_no_leftovers() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(remove_stale_temporaries(&dir.path().join("never-created"), Duration::ZERO).expect("looked"), 0);
    }
}
