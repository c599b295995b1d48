//! Email intake benchmarks (a command, not a test; `scripts/bench-email` runs it):
//!
//! - `throughput DIR [ROUNDS]`: every file under DIR parsed only (`complaints_email::parse`),
//!   then taken in through `EmailIntake` (fresh in-memory store per round, so no round is a run
//!   of duplicates), in the same process; prints both rates and their ratio.
//! - `generate FILE MB [stored]`: writes a message of about MB megabytes: text and one base64
//!   attachment over the attachment limit (held), or with `stored`, two attachments under it.
//! - `rss FILE`: takes FILE in as the Lambda function does (raw already stored; objects written
//!   are dropped, as S3 drops them once sent) and prints the peak RSS (VmHWM) of this process.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use complaints_app::email_intake::{EmailIntake, Envelope, RawEmail};
use complaints_app::memory_objects::MemoryObjectStore;
use complaints_app::object_store::{ObjectStore, ObjectStoreError};
use complaints_app::testing::{MemoryCaseStore, RecordingMailer, intake_service};
use complaints_email::Limits;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    match args.first().map(String::as_str) {
        Some("throughput") => {
            let dir = PathBuf::from(args.get(1).ok_or("throughput DIR [ROUNDS]")?);
            let rounds: usize = args.get(2).map_or(Ok(5), |r| r.parse())?;
            runtime.block_on(throughput(&dir, rounds))
        }
        Some("generate") => {
            let file = args.get(1).ok_or("generate FILE MB [stored]")?;
            let mb: usize = args.get(2).ok_or("generate FILE MB [stored]")?.parse()?;
            generate(Path::new(file), mb, args.get(3).is_some_and(|a| a == "stored"))
        }
        Some("rss") => runtime.block_on(rss(Path::new(args.get(1).ok_or("rss FILE")?))),
        _ => Err("usage: email_bench throughput DIR [ROUNDS] | generate FILE MB [stored] | rss FILE".into()),
    }
}

fn intake(objects: Arc<dyn ObjectStore>) -> EmailIntake {
    EmailIntake {
        intake: intake_service(
            Arc::new(MemoryCaseStore::new()),
            Arc::new(RecordingMailer::new()),
            "2026-03-02T10:00:00Z".parse().expect("a valid instant"),
        ),
        objects,
        limits: Limits::default(),
        reply_token_key: Arc::from(&b"benchmark-reply-token-key-32-bytes"[..]),
        held: Arc::new(complaints_app::held_mail::MemoryHeldMail::new()),
        raw_retention_days: None,
    }
}

fn files_under(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let path = entry?.path();
            if path.is_dir() { stack.push(path) } else { found.push(path) }
        }
    }
    found.sort();
    Ok(found)
}

async fn throughput(dir: &Path, rounds: usize) -> Result<(), Box<dyn std::error::Error>> {
    let messages: Vec<Vec<u8>> = files_under(dir)?.iter().map(std::fs::read).collect::<Result<_, _>>()?;
    let bytes: usize = messages.iter().map(Vec::len).sum();
    let limits = Limits::default();
    // Warm up both paths once.
    for m in &messages {
        std::hint::black_box(complaints_email::parse(m, &limits));
    }
    let started = Instant::now();
    for _ in 0..rounds {
        for m in &messages {
            std::hint::black_box(complaints_email::parse(m, &limits));
        }
    }
    let parse_s = started.elapsed().as_secs_f64();
    let mut ingest_s = 0.0;
    for _ in 0..rounds {
        let email = intake(Arc::new(MemoryObjectStore::new()));
        let started = Instant::now();
        for m in &messages {
            email.ingest(RawEmail { bytes: m, stored_at: None }, &Envelope::default()).await?;
        }
        ingest_s += started.elapsed().as_secs_f64();
    }
    let n = (messages.len() * rounds) as f64;
    let mb = (bytes * rounds) as f64 / 1_000_000.0;
    println!("messages: {} ({:.1} MB), rounds: {rounds}", messages.len(), bytes as f64 / 1_000_000.0);
    println!("parse only: {:.0} messages/s, {:.1} MB/s", n / parse_s, mb / parse_s);
    println!("ingest:     {:.0} messages/s, {:.1} MB/s", n / ingest_s, mb / ingest_s);
    println!("ingest / parse: {:.0} %", 100.0 * parse_s / ingest_s);
    Ok(())
}

fn generate(file: &Path, mb: usize, stored: bool) -> Result<(), Box<dyn std::error::Error>> {
    let target = mb * 1_000_000;
    let mut out = std::io::BufWriter::new(std::fs::File::create(file)?);
    write!(
        out,
        "From: Jo Bloggs <jo@example.net>\r\nTo: complaints@example.org\r\nSubject: Photos of the damp\r\n\
Message-ID: <big.{mb}@mail.example.net>\r\nDate: Mon, 2 Mar 2026 09:00:00 +0000\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=BOUNDARY\r\n\r\n--BOUNDARY\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
The flat is damp; the photos are attached.\r\n"
    )?;
    let parts = if stored { 2 } else { 1 };
    // Base64 lines of 76 characters (+ CRLF) until the message reaches its size.
    let per_part = target.saturating_sub(600) / parts;
    let line: String = (0..76)
        .map(|i| char::from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[(i * 7) % 64]))
        .collect();
    for part in 0..parts {
        write!(
            out,
            "--BOUNDARY\r\nContent-Type: image/jpeg; name=\"photo{part}.jpg\"\r\nContent-Disposition: attachment; filename=\"photo{part}.jpg\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        )?;
        for _ in 0..per_part / 78 {
            out.write_all(line.as_bytes())?;
            out.write_all(b"\r\n")?;
        }
    }
    out.write_all(b"--BOUNDARY--\r\n")?;
    out.flush()?;
    println!("wrote {} ({} bytes)", file.display(), std::fs::metadata(file)?.len());
    Ok(())
}

/// Drops what it is given, as S3 does once a put has been sent.
struct Discard;

#[async_trait]
impl ObjectStore for Discard {
    async fn put(&self, _key: &str, _content_type: &str, bytes: Vec<u8>) -> Result<(), ObjectStoreError> {
        drop(bytes);
        Ok(())
    }
    async fn get(&self, _key: &str) -> Result<Vec<u8>, ObjectStoreError> {
        Err(ObjectStoreError::NotFound)
    }
}

fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

async fn rss(file: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let before = vm_hwm_kib().unwrap_or(0);
    let bytes = std::fs::read(file)?;
    let size = bytes.len();
    let email = intake(Arc::new(Discard));
    let started = Instant::now();
    let ingested =
        email.ingest(RawEmail { bytes: &bytes, stored_at: Some("inbound/bench") }, &Envelope::default()).await?;
    let elapsed = started.elapsed();
    drop(bytes);
    let peak = vm_hwm_kib().unwrap_or(0);
    let mib = |kib: u64| kib as f64 / 1024.0;
    let size_mib = size as f64 / 1_048_576.0;
    let target = 1.5 * size_mib + 16.0;
    println!(
        "message: {size_mib:.1} MiB; outcome: {}; {:.0} ms",
        ingested.outcome.kind(),
        elapsed.as_secs_f64() * 1000.0
    );
    println!(
        "peak RSS: {:.1} MiB (before reading: {:.1} MiB); target 1.5 x size + 16 MiB = {target:.1} MiB: {}",
        mib(peak),
        mib(before),
        if mib(peak) <= target { "met" } else { "MISSED" }
    );
    Ok(())
}
