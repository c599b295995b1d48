//! Email intake with large base64 bodies taken out before the parse (`EmailIntake::ingest_owned`,
//! the path intake-email runs) gives exactly what the plain path gives: the same outcomes, case
//! records, held records, stored attachment keys and bytes, for generated messages of every shape
//! and for every message of the shared corpus (when it is there; required when `CI` is set). The
//! extraction threshold is set very low so every base64 attachment goes through it. Temporary
//! files are gone after every outcome, an error included.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use async_trait::async_trait;
use base64::Engine as _;
use complaints_app::email_intake::{EmailIntake, EmailIntakeError, Envelope, Ingested, RawEmail};
use complaints_app::held_mail::{HeldMailStore, MemoryHeldMail};
use complaints_app::memory_objects::MemoryObjectStore;
use complaints_app::object_store::{ObjectStore, ObjectStoreError};
use complaints_app::ports::CaseStore;
use complaints_app::testing::{MemoryCaseStore, RecordingMailer, intake_service};
use complaints_core::case::CaseEvent;
use complaints_email::{ExtractSettings, Limits};

/// The memory object store, counting files stored and reads, and able to fail file stores.
#[derive(Default)]
struct Objects {
    inner: MemoryObjectStore,
    from_file: AtomicUsize,
    gets: AtomicUsize,
    fail_files: AtomicBool,
}

#[derive(Debug, thiserror::Error)]
#[error("file stores fail (test)")]
struct FileStoresFail;

#[async_trait]
impl ObjectStore for Objects {
    async fn put(&self, key: &str, content_type: &str, bytes: Vec<u8>) -> Result<(), ObjectStoreError> {
        self.inner.put(key, content_type, bytes).await
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>, ObjectStoreError> {
        self.gets.fetch_add(1, Ordering::SeqCst);
        self.inner.get(key).await
    }

    async fn put_from_file(&self, key: &str, content_type: &str, path: &Path) -> Result<(), ObjectStoreError> {
        self.from_file.fetch_add(1, Ordering::SeqCst);
        if self.fail_files.load(Ordering::SeqCst) {
            return Err(ObjectStoreError::Unavailable(Box::new(FileStoresFail)));
        }
        let bytes = std::fs::read(path).map_err(|e| ObjectStoreError::Unavailable(Box::new(e)))?;
        self.inner.put(key, content_type, bytes).await
    }
}

struct World {
    store: Arc<MemoryCaseStore>,
    objects: Arc<Objects>,
    held: Arc<MemoryHeldMail>,
    intake: EmailIntake,
    temp: tempfile::TempDir,
}

fn world(extract_from: usize) -> World {
    let store = Arc::new(MemoryCaseStore::new());
    let objects = Arc::new(Objects::default());
    let held = Arc::new(MemoryHeldMail::new());
    let temp = tempfile::tempdir().expect("temp dir");
    let limits = Limits {
        max_attachment_bytes: 20_000,
        extract: ExtractSettings { min_run_bytes: extract_from, temp_dir: Some(temp.path().to_path_buf()) },
        ..Limits::default()
    };
    let intake = EmailIntake {
        intake: intake_service(
            store.clone(),
            Arc::new(RecordingMailer::new()),
            "2026-03-02T10:00:00Z".parse().expect("instant"),
        ),
        objects: objects.clone(),
        limits,
        reply_token_key: Arc::from(&b"extraction-test-reply-token-key-32"[..]),
        held: held.clone(),
        raw_retention_days: Some(30),
    };
    World { store, objects, held, intake, temp }
}

impl World {
    fn temp_files(&self) -> usize {
        std::fs::read_dir(self.temp.path()).expect("temp dir").count()
    }

    /// What the two paths must agree on: every case's email records and flags (acknowledgements
    /// carry a random nonce, so they are left out), the held records, and every stored object.
    async fn state(&self) -> (Vec<Vec<CaseEvent>>, Vec<complaints_app::held_mail::HeldMail>, Vec<(String, Vec<u8>)>) {
        let mut cases = Vec::new();
        for stored in self.store.all_cases() {
            let timeline = self.store.timeline(stored.case.reference()).await.expect("timeline");
            cases.push(
                timeline
                    .into_iter()
                    .map(|e| e.what)
                    .filter(|e| {
                        matches!(
                            e,
                            CaseEvent::EmailReceived { .. }
                                | CaseEvent::FlaggedForStaff { .. }
                                | CaseEvent::PossiblyAbout { .. }
                                | CaseEvent::MessageUndeliverable { .. }
                        )
                    })
                    .collect(),
            );
        }
        let held = self.held.held_mail("2026-03-03T00:00:00Z".parse().expect("instant"), 10_000).await.expect("held");
        let objects = self
            .objects
            .inner
            .keys("")
            .into_iter()
            .map(|k| (k.clone(), self.objects.inner.bytes(&k).unwrap_or_default()))
            .collect();
        (cases, held, objects)
    }
}

/// The plain world and the extracting one, fed the same messages in the same order.
struct Pair {
    plain: World,
    extracting: World,
}

impl Pair {
    fn new() -> Self {
        Self { plain: world(usize::MAX), extracting: world(64) }
    }

    /// Takes `raw` in both ways; checks the outcomes agree and no temporary file is left.
    async fn take(&self, raw: &[u8], envelope: &Envelope, what: &str) -> Ingested {
        let plain = self.plain.intake.ingest(RawEmail { bytes: raw, stored_at: None }, envelope).await.expect("plain");
        let extracted = self.extracting.intake.ingest_owned(raw.to_vec(), None, envelope).await.expect("extracting");
        assert_eq!(extracted, plain, "{what}");
        assert_eq!(self.extracting.temp_files(), 0, "temporary files left: {what}");
        assert_eq!(self.plain.objects.from_file.load(Ordering::SeqCst), 0, "the plain path stores no file");
        extracted
    }

    async fn assert_same_state(&self) {
        let (plain, extracted) = (self.plain.state().await, self.extracting.state().await);
        assert_eq!(extracted.0, plain.0, "case records");
        assert_eq!(extracted.1, plain.1, "held records");
        let keys = |objects: &[(String, Vec<u8>)]| objects.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
        assert_eq!(keys(&extracted.2), keys(&plain.2), "stored keys");
        assert!(extracted.2 == plain.2, "stored bytes");
    }
}

fn base64_lines(bytes: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    encoded.as_bytes().chunks(76).map(|l| format!("{}\r\n", String::from_utf8_lossy(l))).collect()
}

fn content(length: usize, seed: u8) -> Vec<u8> {
    (0..length).map(|i| u8::try_from((i * 7 + usize::from(seed) * 13 + i / 251) % 256).unwrap_or(0)).collect()
}

fn attachment(content_type: &str, name: &str, body: &[u8]) -> String {
    format!(
        "--XX\r\nContent-Type: {content_type}; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\n{}",
        base64_lines(body)
    )
}

fn mail(id: &str, extra_headers: &str, parts: &[String]) -> Vec<u8> {
    format!(
        "From: Jo Bloggs <jo@example.net>\r\nTo: complaints@example.org\r\nSubject: Damp\r\nMessage-ID: <{id}@example.net>\r\n\
Date: Mon, 2 Mar 2026 09:00:00 +0000\r\n{extra_headers}MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n\
--XX\r\nContent-Type: text/plain\r\n\r\nThe damp is back; photos attached.\r\n{}--XX--\r\n",
        parts.concat()
    )
    .into_bytes()
}

#[tokio::test]
async fn large_attachments_stored_held_and_blocked_give_the_same_records_and_objects_from_files() {
    let pair = Pair::new();
    let mut program = b"MZ\x90\x00".to_vec();
    program.extend(content(3_000, 1));
    let shapes = [
        (
            "two stored",
            mail(
                "two",
                "",
                &[
                    attachment("image/jpeg", "a.jpg", &content(9_000, 2)),
                    attachment("image/jpeg", "b.jpg", &content(9_001, 3)),
                ],
            ),
        ),
        ("over the limit", mail("big", "", &[attachment("image/png", "big.png", &content(30_000, 4))])),
        ("executable", mail("exe", "", &[attachment("application/pdf", "letter.pdf", &program)])),
        (
            "robot",
            mail("robot", "Auto-Submitted: auto-replied\r\n", &[attachment("image/png", "r.png", &content(3_000, 5))]),
        ),
    ];
    for (what, raw) in &shapes {
        pair.take(raw, &Envelope::default(), what).await;
    }
    let spam = Envelope { spam_failed: true, ..Envelope::default() };
    pair.take(&mail("spam", "", &[attachment("image/png", "s.png", &content(3_000, 6))]), &spam, "quarantined").await;
    pair.assert_same_state().await;
    assert_eq!(
        pair.extracting.objects.from_file.load(Ordering::SeqCst),
        2,
        "the two stored attachments came from files"
    );
    assert_eq!(pair.extracting.objects.gets.load(Ordering::SeqCst), 0, "no message was read back");
}

#[tokio::test]
async fn a_forwarded_message_with_a_large_attachment_reads_the_original_back_and_gives_the_same_records() {
    let pair = Pair::new();
    let inner = String::from_utf8(mail("inner", "", &[attachment("image/png", "n.png", &content(5_000, 7))]))
        .expect("ascii")
        .replace("XX", "YY");
    let raw = mail("outer", "", &[format!("--XX\r\nContent-Type: message/rfc822\r\n\r\n{inner}")]);
    pair.take(&raw, &Envelope::default(), "nested").await;
    pair.assert_same_state().await;
    assert_eq!(pair.extracting.objects.gets.load(Ordering::SeqCst), 1, "the original was read back");
    // The same through the marks around the parse, as on Lambda (the raw message stored first).
    let key = "inbound/nested";
    for world in [&pair.plain, &pair.extracting] {
        world.objects.put(key, "message/rfc822", raw.clone()).await.expect("put");
    }
    let envelope = Envelope { ses_message_id: Some("nested".to_owned()), ..Envelope::default() };
    let plain =
        pair.plain.intake.ingest(RawEmail { bytes: &raw, stored_at: Some(key) }, &envelope).await.expect("plain");
    let extracted = pair.extracting.intake.ingest_owned(raw.clone(), Some(key), &envelope).await.expect("extracting");
    assert_eq!(extracted, plain);
    pair.assert_same_state().await;
}

#[tokio::test]
async fn when_an_attachment_cannot_be_stored_the_error_is_reported_and_no_temporary_file_is_left() {
    let w = world(64);
    w.objects.fail_files.store(true, Ordering::SeqCst);
    let raw = mail(
        "fails",
        "",
        &[attachment("image/jpeg", "a.jpg", &content(9_000, 8)), attachment("image/jpeg", "b.jpg", &content(9_001, 9))],
    );
    let result = w.intake.ingest_owned(raw.clone(), None, &Envelope::default()).await;
    assert!(matches!(result, Err(EmailIntakeError::Attachment(_))), "{result:?}");
    assert_eq!(w.temp_files(), 0, "both files are gone, the one tried and the one not reached");
    w.objects.fail_files.store(false, Ordering::SeqCst);
    let retried = w.intake.ingest_owned(raw, None, &Envelope::default()).await.expect("a retry takes it in");
    assert_eq!(retried.outcome.kind(), "case");
    assert_eq!(w.objects.from_file.load(Ordering::SeqCst), 3, "one failed, then both stored");
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/email")
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).expect("readable corpus folder").flatten() {
            let path = entry.path();
            if path.is_dir() { stack.push(path) } else { found.push(path) }
        }
    }
    found.sort();
    found
}

#[tokio::test]
async fn every_corpus_message_gives_the_same_outcome_records_and_objects_with_extraction() {
    let dir = corpus_dir();
    if !dir.is_dir() {
        assert!(std::env::var_os("CI").is_none(), "CI is set but the corpus is missing at {}", dir.display());
        eprintln!("skipped: no corpus at {}", dir.display());
        return;
    }
    let files = files_under(&dir);
    assert!(files.len() >= 300, "the corpus has its 308 messages, found {}", files.len());
    let pair = Pair::new();
    for file in &files {
        let raw = std::fs::read(file).expect("readable message");
        pair.take(&raw, &Envelope::default(), &file.display().to_string()).await;
    }
    pair.assert_same_state().await;
    let (from_file, gets) =
        (pair.extracting.objects.from_file.load(Ordering::SeqCst), pair.extracting.objects.gets.load(Ordering::SeqCst));
    println!("{} messages: {from_file} attachments stored from files, {gets} messages read back", files.len());
    assert!(from_file > 0, "some corpus attachment went through a file");
}
