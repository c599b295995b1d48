//! Every message of the shared corpus (`../shared/corpus/email` beside the repository) through
//! email intake: zero panics, an outcome for every message, the raw bytes always kept. Prints the
//! table of outcomes per source. Runs when the corpus is there; required when `CI` is set.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use complaints_app::email_intake::{EmailIntake, Envelope, RawEmail};
use complaints_app::memory_objects::MemoryObjectStore;
use complaints_app::testing::{MemoryCaseStore, RecordingMailer, intake_service};
use complaints_email::Limits;

const KINDS: [&str; 6] = ["case", "correspondence", "robot", "bounce", "quarantined", "rejected"];

fn corpus_dir() -> PathBuf {
    // crates/complaints-app → the repository root → the folder beside it.
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/email")
}

fn messages(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).expect("readable corpus folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

#[tokio::test]
async fn every_corpus_message_gets_one_outcome_without_a_panic_and_its_raw_bytes_kept() {
    let dir = corpus_dir();
    if !dir.is_dir() {
        assert!(std::env::var_os("CI").is_none(), "CI is set but the corpus is missing at {}", dir.display());
        eprintln!("skipped: no corpus at {}", dir.display());
        return;
    }
    let objects = Arc::new(MemoryObjectStore::new());
    let intake = EmailIntake {
        intake: intake_service(
            Arc::new(MemoryCaseStore::new()),
            Arc::new(RecordingMailer::new()),
            "2026-03-02T10:00:00Z".parse().expect("instant"),
        ),
        objects: objects.clone(),
        limits: Limits::default(),
        reply_token_key: Arc::from(&b"corpus-test-reply-token-key-32-bytes"[..]),
        held: Arc::new(complaints_app::held_mail::MemoryHeldMail::new()),
        raw_retention_days: None,
    };
    let files = messages(&dir);
    assert!(files.len() >= 300, "the corpus has its 308 messages, found {}", files.len());
    let mut table: BTreeMap<String, BTreeMap<&str, usize>> = BTreeMap::new();
    let mut panics = Vec::new();
    let mut errors = Vec::new();
    for file in &files {
        let bytes = std::fs::read(file).expect("readable message");
        let source =
            file.parent().and_then(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let task_intake = intake.clone();
        let task_bytes = bytes.clone();
        let joined = tokio::spawn(async move {
            task_intake.ingest(RawEmail { bytes: &task_bytes, stored_at: None }, &Envelope::default()).await
        })
        .await;
        match joined {
            Err(join) if join.is_panic() => panics.push(file.display().to_string()),
            Err(other) => errors.push(format!("{}: {other}", file.display())),
            Ok(Err(error)) => errors.push(format!("{}: {error}", file.display())),
            Ok(Ok(ingested)) => {
                assert_eq!(
                    objects.bytes(&ingested.raw_key).as_deref(),
                    Some(&bytes[..]),
                    "raw kept: {}",
                    file.display()
                );
                *table.entry(source).or_default().entry(ingested.outcome.kind()).or_default() += 1;
            }
        }
    }
    println!("| source | {} | total |", KINDS.join(" | "));
    println!("|---|{}---|", "---|".repeat(KINDS.len()));
    let mut totals = [0usize; KINDS.len()];
    for (source, counts) in &table {
        let cells: Vec<String> = KINDS.iter().map(|k| counts.get(k).copied().unwrap_or(0).to_string()).collect();
        for (i, k) in KINDS.iter().enumerate() {
            totals[i] += counts.get(k).copied().unwrap_or(0);
        }
        println!("| {source} | {} | {} |", cells.join(" | "), counts.values().sum::<usize>());
    }
    let total_cells: Vec<String> = totals.iter().map(ToString::to_string).collect();
    println!("| **all** | {} | {} |", total_cells.join(" | "), totals.iter().sum::<usize>());
    assert!(panics.is_empty(), "panicked on: {panics:?}");
    assert!(errors.is_empty(), "no outcome for: {errors:?}");
    assert_eq!(totals.iter().sum::<usize>(), files.len(), "every message has an outcome");
}
