//! Large base64 bodies taken out of a raw message before it is parsed, so a 40 MB message with
//! big attachments never holds the decoded attachment beside the whole raw message (issue 13's
//! memory target: peak at most 1.5 x the message size + 16 MiB). mail-parser 0.11 borrows the
//! raw bytes and decodes every base64 part into a new buffer while they are alive; here each
//! large run of base64 lines is decoded in chunks first (SHA-256, size, the first bytes, and the
//! decoded bytes written to a temporary file when they may be stored), then replaced in place by
//! the base64 of a short sentinel naming it. The parse of the shrunken message sees the sentinel
//! as the part's content; [`crate::Parsed::with_extraction`] puts the extracted figures back, and
//! says when a sentinel did not come out as exactly one attachment's content, in which case the
//! caller parses the original message instead (correctness over memory).
//!
//! A sentinel carries a random nonce drawn for each message, so mail cannot forge one.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use sha2::{Digest, Sha256};
use tempfile::TempPath;

/// Runs of base64 lines at least this long (bytes, line endings included) are taken out by
/// default: smaller ones cost little memory, and each one taken out costs a temporary file.
pub const DEFAULT_MIN_RUN_BYTES: usize = 256 * 1024;

/// How many decoded bytes are kept from the start of each extracted body: what
/// [`crate::attachments::is_executable`] reads (a Windows `MZ` or an ELF header), with room to spare.
pub const PREFIX_BYTES: usize = 4096;

/// At most this many runs are taken out of one message (the rest stay in place).
const MAX_RUNS: usize = 10_000;

/// How far back from a run its part's header block is looked for.
const MAX_HEADER_BLOCK: usize = 64 * 1024;

/// Base64 characters read per decoding step (a multiple of 4): 48 KiB decoded at a time.
const CHUNK_CHARS: usize = 64 * 1024;

/// `complaints:part:` + 32 hex digits of nonce + `:` + 8 digits of index: 57 bytes, a multiple
/// of 3, so its base64 has no padding (mail-parser's decoder does not stop at padding, so a
/// padded sentinel followed by stray characters could still decode to exactly the sentinel).
const SENTINEL_LEN: usize = 57;
/// The length of a sentinel's base64.
const SENTINEL_B64_LEN: usize = SENTINEL_LEN / 3 * 4;
const SENTINEL_TAG: &[u8] = b"complaints:part:";

/// When and where runs are taken out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractSettings {
    /// Runs of base64 lines shorter than this (bytes, line endings included) stay in place.
    /// `usize::MAX`: nothing is taken out.
    pub min_run_bytes: usize,
    /// Where the decoded bodies are written; `None`: the system's temporary folder (`/tmp` on
    /// Lambda, whose ephemeral storage holds them).
    pub temp_dir: Option<PathBuf>,
}

impl Default for ExtractSettings {
    fn default() -> Self {
        Self { min_run_bytes: DEFAULT_MIN_RUN_BYTES, temp_dir: None }
    }
}

/// One body taken out of the raw message.
#[derive(Debug)]
pub struct ExtractedBody {
    /// Decoded length in bytes.
    pub size: u64,
    /// Lower-case hex SHA-256 of the decoded bytes.
    pub sha256: String,
    /// The first [`PREFIX_BYTES`] decoded bytes (fewer when the body is shorter).
    pub prefix: Vec<u8>,
    /// The decoded bytes, when there are at most the attachment size limit of them (a body over
    /// it is held back, so only its figures are needed). Deleted when dropped.
    pub(crate) file: Option<TempPath>,
    sentinel: [u8; SENTINEL_LEN],
}

/// The bodies taken out of one message, by the index their sentinels carry. Dropping it deletes
/// the temporary files that are still here.
#[derive(Debug, Default)]
pub struct Extraction {
    nonce: String,
    bodies: Vec<ExtractedBody>,
}

impl Extraction {
    /// Nothing taken out.
    #[must_use]
    pub fn none() -> Self {
        Self::default()
    }

    /// Takes the large base64 runs out of `raw` (see the module's documentation), shrinking it in
    /// place. `max_attachment_bytes` decides which bodies are written to a file. `before_change`
    /// sees the original bytes once, just before the first change, and only when something is
    /// taken out (for what must be computed from the original, such as its hash). A run that is
    /// not strict base64, or whose file cannot be written, stays where it is.
    pub fn take_from(
        raw: &mut Vec<u8>,
        settings: &ExtractSettings,
        max_attachment_bytes: usize,
        before_change: impl FnOnce(&[u8]),
    ) -> Self {
        let min = settings.min_run_bytes.max(SENTINEL_B64_LEN + 1);
        let candidates: Vec<Run> = base64_runs(raw, min)
            .into_iter()
            .filter(|run| part_is_base64_binary(raw, run.start))
            .take(MAX_RUNS)
            .collect();
        if candidates.is_empty() {
            return Self::none();
        }
        let mut nonce = [0u8; 16];
        if getrandom::fill(&mut nonce).is_err() {
            // Without a secret nonce a sentinel could be forged: take nothing out.
            return Self::none();
        }
        let nonce = hex::encode(nonce);
        let dir = settings.temp_dir.clone().unwrap_or_else(std::env::temp_dir);
        let mut taken = Vec::new();
        let mut bodies = Vec::new();
        for run in candidates {
            let index = bodies.len();
            let Some(mut body) = decode_run(&raw[run.start..run.end], &dir, max_attachment_bytes) else {
                continue;
            };
            body.sentinel = sentinel(&nonce, index);
            bodies.push(body);
            taken.push(run);
        }
        if taken.is_empty() {
            return Self::none();
        }
        before_change(raw);
        let mut write = 0;
        let mut read = 0;
        for (run, body) in taken.iter().zip(&bodies) {
            raw.copy_within(read..run.start, write);
            write += run.start - read;
            let encoded = base64::engine::general_purpose::STANDARD.encode(body.sentinel);
            // The run is longer than the sentinel's base64, so this never reaches unread bytes.
            raw[write..write + encoded.len()].copy_from_slice(encoded.as_bytes());
            write += encoded.len();
            read = run.end;
        }
        let len = raw.len();
        raw.copy_within(read..len, write);
        write += len - read;
        raw.truncate(write);
        // Give the freed tail back (a large buffer is its own mapping, which shrinks in place).
        raw.shrink_to_fit();
        Self { nonce, bodies }
    }

    /// How many bodies were taken out.
    #[must_use]
    pub fn len(&self) -> usize {
        self.bodies.len()
    }

    /// True when nothing was taken out.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.bodies.is_empty()
    }

    /// The index of the body whose sentinel `content` is exactly, if it is one of ours.
    pub(crate) fn index_of(&self, content: &[u8]) -> Option<usize> {
        if content.len() != SENTINEL_LEN || !content.starts_with(SENTINEL_TAG) {
            return None;
        }
        let digits = content.get(SENTINEL_LEN - 8..)?;
        let index: usize = std::str::from_utf8(digits).ok()?.parse().ok()?;
        let body = self.bodies.get(index)?;
        (body.sentinel[..] == *content).then_some(index)
    }

    pub(crate) fn body(&self, index: usize) -> Option<&ExtractedBody> {
        self.bodies.get(index)
    }

    /// Moves the file of the body at `index` out (the caller deletes it by dropping it).
    pub(crate) fn take_file(&mut self, index: usize) -> Option<TempPath> {
        self.bodies.get_mut(index)?.file.take()
    }

    /// The temporary files still held (for tests: each is deleted when this is dropped).
    #[must_use]
    pub fn files(&self) -> Vec<&Path> {
        self.bodies.iter().filter_map(|b| b.file.as_deref()).collect()
    }

    /// The nonce, for tests that check a forged sentinel is refused.
    #[doc(hidden)]
    #[must_use]
    pub fn nonce_for_tests(&self) -> &str {
        &self.nonce
    }
}

fn sentinel(nonce: &str, index: usize) -> [u8; SENTINEL_LEN] {
    let mut out = [0u8; SENTINEL_LEN];
    let text = format!("{}{nonce}:{:08}", std::str::from_utf8(SENTINEL_TAG).unwrap_or_default(), index % 100_000_000);
    let len = text.len().min(SENTINEL_LEN);
    out[..len].copy_from_slice(&text.as_bytes()[..len]);
    out
}

/// A run of base64 lines: from the first line's start to the end of the last line's characters
/// (its line ending, which may belong to a boundary delimiter, stays outside).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    pub start: usize,
    pub end: usize,
}

const fn base64_table() -> [bool; 256] {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        table[i] = c.is_ascii_alphanumeric() || c == b'+' || c == b'/' || c == b'=';
        i += 1;
    }
    table
}

static BASE64_CHAR: [bool; 256] = base64_table();

/// The maximal runs of base64 lines (non-empty lines of only `A-Z a-z 0-9 + / =`, each ended by
/// LF or CRLF, or by the end of the message) at least `min` bytes long.
#[must_use]
pub fn base64_runs(raw: &[u8], min: usize) -> Vec<Run> {
    let mut runs = Vec::new();
    let mut current: Option<Run> = None;
    let mut pos = 0;
    while pos < raw.len() {
        let newline = raw[pos..].iter().position(|&b| b == b'\n').map(|i| pos + i);
        let line_end = newline.unwrap_or(raw.len());
        let content_end =
            if newline.is_some() && line_end > pos && raw[line_end - 1] == b'\r' { line_end - 1 } else { line_end };
        let line = &raw[pos..content_end];
        if !line.is_empty() && line.iter().all(|&b| BASE64_CHAR[usize::from(b)]) {
            match &mut current {
                Some(run) => run.end = content_end,
                None => current = Some(Run { start: pos, end: content_end }),
            }
        } else if let Some(run) = current.take()
            && run.end - run.start >= min
        {
            runs.push(run);
        }
        pos = newline.map_or(raw.len(), |n| n + 1);
    }
    if let Some(run) = current
        && run.end - run.start >= min
    {
        runs.push(run);
    }
    runs
}

/// True when the run at `start` is the whole start of a part body whose header block says
/// `Content-Transfer-Encoding: base64` and names a content type that mail-parser keeps as bytes
/// (not `text/*`, `message/*` or `multipart/*`, and not missing, which means `text/plain`).
/// Anything else is left to the parser as it is.
#[must_use]
pub fn part_is_base64_binary(raw: &[u8], start: usize) -> bool {
    let before = &raw[..start];
    // The run follows the blank line that ends a header block.
    let Some(blank) = before.strip_suffix(b"\r\n").or_else(|| before.strip_suffix(b"\n")) else {
        return false;
    };
    if !(blank.ends_with(b"\n") || blank.is_empty()) {
        return false;
    }
    let block_end = blank.len();
    let floor = block_end.saturating_sub(MAX_HEADER_BLOCK);
    // Walk back line by line to the block's start: the message's start, a boundary line or a
    // blank line.
    let mut block_start = block_end;
    loop {
        if block_start == 0 {
            break;
        }
        if block_start <= floor {
            return false;
        }
        let line_start = raw[..block_start - 1].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let line = trim_line_end(&raw[line_start..block_start]);
        if line.is_empty() || line.starts_with(b"--") {
            break;
        }
        block_start = line_start;
    }
    let headers = unfolded(&raw[block_start..block_end]);
    let values = |name: &str| -> Vec<String> {
        headers
            .iter()
            .filter_map(|h| {
                let (n, v) = h.split_once(':')?;
                n.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
            })
            .collect()
    };
    let (encoding, content_type) = (values("content-transfer-encoding"), values("content-type"));
    let [encoding] = encoding.as_slice() else { return false };
    let [content_type] = content_type.as_slice() else { return false };
    let main_type = content_type.split(['/', ';']).next().unwrap_or_default().trim().to_ascii_lowercase();
    encoding.eq_ignore_ascii_case("base64")
        && content_type.contains('/')
        && !main_type.is_empty()
        && !matches!(main_type.as_str(), "text" | "message" | "multipart")
}

fn trim_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Header lines with their continuation lines joined (lossy UTF-8: only ASCII names matter).
fn unfolded(block: &[u8]) -> Vec<String> {
    let mut headers: Vec<String> = Vec::new();
    for line in block.split(|&b| b == b'\n') {
        let line = String::from_utf8_lossy(trim_line_end(line));
        if line.starts_with([' ', '\t']) {
            if let Some(last) = headers.last_mut() {
                last.push_str(&line);
            }
        } else if !line.is_empty() {
            headers.push(line.into_owned());
        }
    }
    headers
}

/// Decodes one run strictly (standard alphabet, canonical padding only at its very end) in
/// chunks, hashing it, keeping its first bytes and writing it to a temporary file in `dir` while
/// it stays within `max_file_bytes`. `None` when it is not strict base64 or the file failed.
fn decode_run(run: &[u8], dir: &Path, max_file_bytes: usize) -> Option<ExtractedBody> {
    let engine = &base64::engine::general_purpose::STANDARD;
    let mut file = Some(tempfile::Builder::new().prefix("complaints-part-").tempfile_in(dir).ok()?);
    let mut hasher = Sha256::new();
    let mut prefix = Vec::new();
    let mut size: u64 = 0;
    let mut chunk = Vec::with_capacity(CHUNK_CHARS);
    let mut decoded = vec![0u8; CHUNK_CHARS / 4 * 3];
    let mut padding = 0usize;
    let mut flush = |chunk: &mut Vec<u8>, file: &mut Option<tempfile::NamedTempFile>| -> Option<()> {
        let n = engine.decode_slice(&chunk[..], &mut decoded).ok()?;
        let out = &decoded[..n];
        hasher.update(out);
        if prefix.len() < PREFIX_BYTES {
            let room = PREFIX_BYTES - prefix.len();
            prefix.extend_from_slice(&out[..n.min(room)]);
        }
        size += n as u64;
        if size > max_file_bytes as u64 {
            // Held back for its size: only the figures are needed (dropping deletes the file).
            *file = None;
        } else if let Some(f) = file.as_mut() {
            f.write_all(out).ok()?;
        }
        chunk.clear();
        Some(())
    };
    for &byte in run {
        match byte {
            b'\r' | b'\n' => continue,
            b'=' => padding += 1,
            _ if padding > 0 => return None,
            _ => {}
        }
        chunk.push(byte);
        if chunk.len() == CHUNK_CHARS {
            flush(&mut chunk, &mut file)?;
        }
    }
    if padding > 2 || chunk.len() % 4 != 0 {
        return None;
    }
    if !chunk.is_empty() {
        flush(&mut chunk, &mut file)?;
    }
    let file = match file {
        Some(mut f) => {
            f.flush().ok()?;
            Some(f.into_temp_path())
        }
        None => None,
    };
    Some(ExtractedBody { size, sha256: hex::encode(hasher.finalize()), prefix, file, sentinel: [0; SENTINEL_LEN] })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(dir: &Path, min: usize) -> ExtractSettings {
        ExtractSettings { min_run_bytes: min, temp_dir: Some(dir.to_path_buf()) }
    }

    fn base64_lines(bytes: &[u8], eol: &str) -> String {
        let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
        encoded.as_bytes().chunks(76).map(|l| format!("{}{eol}", String::from_utf8_lossy(l))).collect()
    }

    #[test]
    fn runs_are_the_maximal_blocks_of_base64_lines_with_lf_or_crlf() {
        let raw = b"Header: x\r\n\r\nQUJD\r\nREVG\r\n--b\nAAAA\nBBBB\nCC==\n\nnot base64!\nZZZZ";
        let runs = base64_runs(raw, 1);
        let texts: Vec<&[u8]> = runs.iter().map(|r| &raw[r.start..r.end]).collect();
        assert_eq!(texts, [&b"QUJD\r\nREVG"[..], b"AAAA\nBBBB\nCC==", b"ZZZZ"]);
    }

    #[test]
    fn a_run_shorter_than_the_minimum_or_broken_by_a_space_is_not_a_run() {
        let raw = b"QUJDREVG\nQUJD REVG\nQUJD\n";
        let runs = base64_runs(raw, 9);
        assert!(runs.is_empty(), "{runs:?}");
        assert_eq!(base64_runs(raw, 8).len(), 1, "the first line alone is eight bytes");
    }

    #[test]
    fn only_a_base64_part_of_a_binary_type_qualifies() {
        let part = |headers: &str| format!("--b\r\n{headers}\r\n\r\nQUJD\r\n");
        let yes = part("Content-Type: image/png;\r\n name=a.png\r\nContent-Transfer-Encoding: BASE64");
        let start = yes.find("QUJD").expect("run");
        assert!(part_is_base64_binary(yes.as_bytes(), start));
        for no in [
            part("Content-Type: text/plain\r\nContent-Transfer-Encoding: base64"),
            part("Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64"),
            part("Content-Transfer-Encoding: base64"),
            part("Content-Type: image/png"),
            part("Content-Type: image/png\r\nContent-Transfer-Encoding: quoted-printable"),
            part("Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\nContent-Type: text/plain"),
        ] {
            let start = no.find("QUJD").expect("run");
            assert!(!part_is_base64_binary(no.as_bytes(), start), "{no}");
        }
        // Not right after the header block's blank line.
        let text = "Content-Type: image/png\nContent-Transfer-Encoding: base64\n\nhello\nQUJD\n";
        assert!(!part_is_base64_binary(text.as_bytes(), text.find("QUJD").expect("run")));
    }

    #[test]
    fn a_run_is_decoded_hashed_written_and_replaced_by_a_sentinel() {
        let dir = tempfile::tempdir().expect("dir");
        let body: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        for eol in ["\r\n", "\n"] {
            let mut raw = format!(
                "Content-Type: multipart/mixed; boundary=b{eol}{eol}--b{eol}Content-Type: application/pdf{eol}\
Content-Transfer-Encoding: base64{eol}{eol}{}--b--{eol}",
                base64_lines(&body, eol)
            )
            .into_bytes();
            let original = raw.clone();
            let mut seen = None;
            let extraction = Extraction::take_from(&mut raw, &settings(dir.path(), 64), 1 << 20, |o| {
                seen = Some(o.to_vec());
            });
            assert_eq!(seen.as_deref(), Some(&original[..]), "the original is seen before the change");
            assert_eq!(extraction.len(), 1);
            let extracted = extraction.body(0).expect("body");
            assert_eq!(extracted.size, body.len() as u64);
            assert_eq!(extracted.sha256, hex::encode(Sha256::digest(&body)));
            assert_eq!(extracted.prefix, body[..PREFIX_BYTES]);
            let path = extraction.files()[0].to_path_buf();
            assert_eq!(std::fs::read(&path).expect("file"), body);
            assert!(raw.len() < 300, "shrunk to {} bytes", raw.len());
            let sentinel_b64 = base64::engine::general_purpose::STANDARD.encode(extracted.sentinel);
            let expected = format!("Transfer-Encoding: base64{eol}{eol}{sentinel_b64}{eol}--b--{eol}");
            assert!(String::from_utf8_lossy(&raw).ends_with(&expected), "{}", String::from_utf8_lossy(&raw));
            drop(extraction);
            assert!(!path.exists(), "the file goes with the extraction");
        }
    }

    #[test]
    fn a_body_over_the_file_limit_keeps_its_figures_without_a_file() {
        let dir = tempfile::tempdir().expect("dir");
        let body = vec![7u8; 5000];
        let mut raw = format!(
            "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n{}",
            base64_lines(&body, "\n")
        )
        .into_bytes();
        let extraction = Extraction::take_from(&mut raw, &settings(dir.path(), 64), 4000, |_| {});
        assert_eq!(extraction.len(), 1);
        assert_eq!(extraction.body(0).map(|b| b.size), Some(5000));
        assert!(extraction.files().is_empty());
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0, "no file left behind");
    }

    #[test]
    fn runs_that_are_not_strict_base64_stay_in_place() {
        let dir = tempfile::tempdir().expect("dir");
        let line = "QUJD".repeat(19);
        for run in [
            format!("{line}\n{line}=\n"),       // a length that is not a multiple of four
            format!("{line}\nQQ==\n{line}\n"),  // padding in the middle
            format!("{line}\nQR==\n"),          // non-canonical trailing bits
            format!("{line}\n{line}\nQQ===\n"), // too much padding
        ] {
            let mut raw = format!("Content-Type: image/gif\nContent-Transfer-Encoding: base64\n\n{run}").into_bytes();
            let original = raw.clone();
            let extraction = Extraction::take_from(&mut raw, &settings(dir.path(), 64), 1 << 20, |_| {});
            assert!(extraction.is_empty(), "{run}");
            assert_eq!(raw, original);
        }
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0, "no file left behind");
    }

    #[test]
    fn each_message_draws_its_own_nonce_and_only_exact_sentinels_are_recognised() {
        let dir = tempfile::tempdir().expect("dir");
        let make = || {
            format!("Content-Type: image/gif\nContent-Transfer-Encoding: base64\n\n{}", base64_lines(&[1u8; 300], "\n"))
                .into_bytes()
        };
        let (mut a, mut b) = (make(), make());
        let first = Extraction::take_from(&mut a, &settings(dir.path(), 64), 1 << 20, |_| {});
        let second = Extraction::take_from(&mut b, &settings(dir.path(), 64), 1 << 20, |_| {});
        assert_ne!(first.nonce_for_tests(), second.nonce_for_tests());
        let own = first.body(0).expect("body").sentinel;
        assert_eq!(first.index_of(&own), Some(0));
        assert_eq!(second.index_of(&own), None, "another message's sentinel is not ours");
        let mut altered = own;
        altered[20] ^= 1;
        assert_eq!(first.index_of(&altered), None);
    }
}
