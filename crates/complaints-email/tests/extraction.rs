//! Taking large base64 bodies out before the parse gives the model the original gives: for
//! generated messages of every shape the extraction must handle (and every message of the shared
//! corpus when it is there; required when `CI` is set), the shrunken message parses to the same
//! `InboundEmail` with the same attachment bytes, or says it did not (so the caller parses the
//! original). A forged sentinel is never honoured.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use complaints_email::{ExtractSettings, Extraction, Held, InboundEmail, Limits, Parsed};
use sha2::{Digest, Sha256};

fn limits(dir: &Path) -> Limits {
    Limits {
        max_attachment_bytes: 20_000,
        extract: ExtractSettings { min_run_bytes: 64, temp_dir: Some(dir.to_path_buf()) },
        ..Limits::default()
    }
}

fn base64_lines(bytes: &[u8], eol: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    encoded.as_bytes().chunks(76).map(|l| format!("{}{eol}", String::from_utf8_lossy(l))).collect()
}

/// Bytes that differ along their length, `seed` telling attachments apart.
fn content(length: usize, seed: u8) -> Vec<u8> {
    (0..length).map(|i| u8::try_from((i * 7 + usize::from(seed) * 13 + i / 251) % 256).unwrap_or(0)).collect()
}

fn base64_part(content_type: &str, name: &str, body: &[u8], eol: &str) -> String {
    format!(
        "--XX{eol}Content-Type: {content_type}; name=\"{name}\"{eol}Content-Disposition: attachment; filename=\"{name}\"{eol}\
Content-Transfer-Encoding: base64{eol}{eol}{}",
        base64_lines(body, eol)
    )
}

fn multipart(parts: &[String], eol: &str) -> Vec<u8> {
    format!(
        "From: Jo <jo@example.net>{eol}To: complaints@example.org{eol}Subject: Photos{eol}Message-ID: <m@example.net>{eol}\
MIME-Version: 1.0{eol}Content-Type: multipart/mixed; boundary=XX{eol}{eol}--XX{eol}Content-Type: text/plain{eol}{eol}\
The damp, in pictures.{eol}{}--XX--{eol}",
        parts.concat()
    )
    .into_bytes()
}

/// What the extraction path gives for `raw`: `None` when the parse said it was not complete (the
/// caller parses the original), else the model and the bytes of every attachment to store.
fn extracted(raw: &[u8], limits: &Limits) -> Option<(InboundEmail, Vec<Vec<u8>>)> {
    let mut shrunk = raw.to_vec();
    let extraction = Extraction::take_from(&mut shrunk, &limits.extract, limits.max_attachment_bytes, |_| {});
    let parsed = Parsed::with_extraction(&shrunk, limits, extraction);
    parsed.extraction_complete().then(|| stored(parsed))
}

/// The plain parse's model and the bytes of every attachment to store.
fn plain(raw: &[u8], limits: &Limits) -> (InboundEmail, Vec<Vec<u8>>) {
    stored(Parsed::new(raw, limits))
}

/// The model, and the content intake stores for each attachment not held back.
fn stored(parsed: Parsed<'_>) -> (InboundEmail, Vec<Vec<u8>>) {
    let (email, mut contents) = parsed.split();
    let bytes = email
        .attachments
        .iter()
        .filter(|a| a.held.is_none())
        .map(|a| contents.take_attachment(a.index).expect("an attachment to store has content"))
        .collect();
    (email, bytes)
}

/// Checks `raw` both ways; true when the extraction path was complete (and then the same).
fn same_or_fallback(raw: &[u8], limits: &Limits, what: &str) -> bool {
    let dir = limits.extract.temp_dir.clone().unwrap_or_default();
    let result = extracted(raw, limits);
    assert_eq!(std::fs::read_dir(&dir).map(Iterator::count).unwrap_or(0), 0, "temporary files left: {what}");
    match result {
        Some((email, bytes)) => {
            let (plain_email, plain_bytes) = plain(raw, limits);
            assert_eq!(email, plain_email, "{what}");
            let digest = |all: &[Vec<u8>]| all.iter().map(|b| hex::encode(Sha256::digest(b))).collect::<Vec<_>>();
            assert_eq!(digest(&bytes), digest(&plain_bytes), "the stored bytes: {what}");
            true
        }
        None => false,
    }
}

#[test]
fn large_base64_attachments_give_the_same_model_and_bytes_with_crlf_and_lf() {
    let dir = tempfile::tempdir().expect("dir");
    let limits = limits(dir.path());
    for eol in ["\r\n", "\n"] {
        let one = multipart(&[base64_part("application/pdf", "letter.pdf", &content(9_000, 1), eol)], eol);
        let several = multipart(
            &[
                base64_part("image/jpeg", "a.jpg", &content(5_001, 2), eol),
                base64_part("image/jpeg", "b.jpg", &content(5_002, 3), eol),
                base64_part("application/octet-stream", "c.bin", &content(12_345, 4), eol),
            ],
            eol,
        );
        assert!(same_or_fallback(&one, &limits, "one attachment"), "extracted, not fallen back");
        assert!(same_or_fallback(&several, &limits, "several attachments"), "extracted, not fallen back");
        let (email, bytes) = extracted(&several, &limits).expect("complete");
        assert_eq!(email.attachments.len(), 3);
        assert!(bytes[2] == content(12_345, 4), "the bytes are the decoded attachment");
    }
}

#[test]
fn held_attachments_over_the_limit_or_executable_give_the_same_model() {
    let dir = tempfile::tempdir().expect("dir");
    let limits = limits(dir.path());
    let mut program = b"MZ\x90\x00".to_vec();
    program.extend(content(3_000, 5));
    let raw = multipart(
        &[
            base64_part("image/png", "big.png", &content(30_000, 6), "\r\n"),
            base64_part("application/pdf", "letter.pdf", &program, "\r\n"),
        ],
        "\r\n",
    );
    assert!(same_or_fallback(&raw, &limits, "held"));
    let (email, _) = extracted(&raw, &limits).expect("complete");
    let held: Vec<_> = email.attachments.iter().map(|a| a.held).collect();
    assert_eq!(held, [Some(Held::TooLarge), Some(Held::Executable)]);
}

#[test]
fn a_whole_message_body_an_inline_image_and_padding_give_the_same_model() {
    let dir = tempfile::tempdir().expect("dir");
    let limits = limits(dir.path());
    let single = format!(
        "From: jo@example.net\r\nContent-Type: image/gif\r\nContent-Transfer-Encoding: base64\r\n\r\n{}",
        base64_lines(&content(4_000, 7), "\r\n")
    );
    let related = format!(
        "From: jo@example.net\nContent-Type: multipart/related; boundary=XX\n\n--XX\nContent-Type: text/html\n\n\
<p>see <img src=\"cid:i\"></p>\n--XX\nContent-Type: image/png\nContent-ID: <i>\nContent-Transfer-Encoding: base64\n\n{}--XX--\n",
        base64_lines(&content(2_000, 8), "\n")
    );
    // 1,000 bytes: the base64 ends with padding.
    let padded = multipart(&[base64_part("image/jpeg", "p.jpg", &content(1_000, 9), "\r\n")], "\r\n");
    for (raw, what) in
        [(single.as_bytes(), "single part"), (related.as_bytes(), "inline image"), (&padded[..], "padded")]
    {
        assert!(same_or_fallback(raw, &limits, what), "{what}: extracted, not fallen back");
    }
}

#[test]
fn base64_outside_a_binary_part_is_left_alone_or_falls_back_to_the_original() {
    let dir = tempfile::tempdir().expect("dir");
    let limits = limits(dir.path());
    let run = base64_lines(&content(3_000, 10), "\r\n");
    // A text part quoting a header block and base64 (extracted by the scan, found in the text).
    let in_text = multipart(
        &[format!(
            "--XX\r\nContent-Type: text/plain\r\n\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n{run}"
        )],
        "\r\n",
    );
    // Trailing garbage after the run: mail-parser cannot decode the part.
    let garbage = multipart(
        &[format!("{}!not base64!\r\n", base64_part("image/png", "g.png", &content(3_000, 11), "\r\n"))],
        "\r\n",
    );
    // A forwarded message with a large attachment: its parts are not the outer message's.
    let inner = String::from_utf8(multipart(&[base64_part("image/png", "n.png", &content(3_000, 12), "\r\n")], "\r\n"))
        .expect("ascii")
        .replace("XX", "YY");
    let nested = multipart(&[format!("--XX\r\nContent-Type: message/rfc822\r\n\r\n{inner}")], "\r\n");
    // A base64 text part: mail-parser decodes it as text (with its charset), so it is left alone.
    let text_b64 = multipart(
        &[format!(
            "--XX\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: base64\r\n\r\n{run}"
        )],
        "\r\n",
    );
    for (raw, what) in [(&in_text, "in a text part"), (&garbage, "trailing garbage"), (&nested, "nested rfc822")] {
        assert!(!same_or_fallback(raw, &limits, what), "{what}: the caller must parse the original");
    }
    let mut shrunk = text_b64.clone();
    assert!(Extraction::take_from(&mut shrunk, &limits.extract, limits.max_attachment_bytes, |_| {}).is_empty());
    assert_eq!(shrunk, text_b64, "a text part is never taken out");
    assert!(same_or_fallback(&text_b64, &limits, "base64 text"));
}

#[test]
fn a_forged_sentinel_in_the_mail_is_not_honoured() {
    let dir = tempfile::tempdir().expect("dir");
    let limits = limits(dir.path());
    // The sentinel a real extraction used (nonce and all) is written into another message.
    let first = multipart(&[base64_part("image/png", "a.png", &content(3_000, 13), "\r\n")], "\r\n");
    let mut shrunk = first.clone();
    let extraction = Extraction::take_from(&mut shrunk, &limits.extract, limits.max_attachment_bytes, |_| {});
    let sentinel = format!("complaints:part:{}:00000000", extraction.nonce_for_tests());
    assert_eq!(sentinel.len(), 57);
    drop(extraction);
    let forged = multipart(
        &[
            base64_part("image/png", "forged.png", sentinel.as_bytes(), "\r\n"),
            base64_part("image/png", "real.png", &content(3_000, 14), "\r\n"),
        ],
        "\r\n",
    );
    assert!(same_or_fallback(&forged, &limits, "forged"));
    let (email, bytes) = extracted(&forged, &limits).expect("complete");
    assert!(bytes[0] == sentinel.as_bytes(), "the forged part is described and stored as its own bytes");
    assert_eq!(email.attachments[0].size, 57);
    // The same message again, whose extraction draws another nonce: its own sentinel also fails.
    let again = Parsed::with_extraction(&shrunk, &limits, Extraction::none());
    assert_eq!(again.email.attachments[0].size, 57, "without its extraction a sentinel is plain content");
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

#[test]
fn every_corpus_message_gives_the_same_model_with_extraction_or_falls_back() {
    let dir = corpus_dir();
    if !dir.is_dir() {
        assert!(std::env::var_os("CI").is_none(), "CI is set but the corpus is missing at {}", dir.display());
        eprintln!("skipped: no corpus at {}", dir.display());
        return;
    }
    let temp = tempfile::tempdir().expect("dir");
    let limits = limits(temp.path());
    let files = files_under(&dir);
    assert!(files.len() >= 300, "the corpus has its 308 messages, found {}", files.len());
    let (mut taken, mut fallen_back) = (0, 0);
    for file in &files {
        let raw = std::fs::read(file).expect("readable message");
        let mut shrunk = raw.clone();
        let found =
            !Extraction::take_from(&mut shrunk, &limits.extract, limits.max_attachment_bytes, |_| {}).is_empty();
        if same_or_fallback(&raw, &limits, &file.display().to_string()) {
            taken += usize::from(found);
        } else {
            fallen_back += 1;
        }
    }
    println!("{} messages: {taken} with bodies taken out and the same model, {fallen_back} fell back", files.len());
    assert!(taken > 0, "some corpus message has a base64 attachment to take out");
}
