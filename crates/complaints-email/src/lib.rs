//! Inbound email at the edge: raw MIME (as SES stored it, or an `.eml` file) becomes an
//! [`InboundEmail`] — sender, threading ids, the text (HTML converted when there is no plain
//! text), the reply without its quoted history, attachments with name, type, size and SHA-256,
//! and whether a robot or a delivery report sent it. Parsing never fails and never panics: a
//! message too broken to read still gives a model (with nothing in it), so the caller can always
//! record an outcome.

pub mod attachments;
pub mod extract;
pub mod quote;
pub mod robots;
pub mod token;

use chrono::{DateTime, TimeZone, Utc};
use std::collections::BTreeMap;

use mail_parser::{Address, HeaderValue, Message, MessageParser, MessagePart, MimeHeaders, PartType};
use tempfile::TempPath;

pub use attachments::{Attachment, Held};
pub use extract::{ExtractSettings, Extraction};
pub use robots::{Automated, Report, ReportKind};

/// SES receives messages up to 40 MB (its documented limit, headers included).
pub const SES_MAX_MESSAGE_BYTES: usize = 40 * 1024 * 1024;

/// What parsing accepts. Configurable per organisation; the defaults suit a council mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Larger messages are kept raw but not taken in (outcome `rejected`).
    pub max_message_bytes: usize,
    /// Larger attachments are recorded (name, type, size, hash) but held back.
    pub max_attachment_bytes: usize,
    /// Attachments after this many are recorded as held back.
    pub max_attachments: usize,
    /// File name extensions (lower case, no dot) that are never stored with a case: executables
    /// and scripts a member of staff could run by opening them.
    pub blocked_extensions: Vec<String>,
    /// Large base64 bodies taken out before the parse (only by [`Parsed::with_extraction`]'s
    /// callers; [`parse`] and [`Parsed::new`] never do).
    pub extract: extract::ExtractSettings,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_bytes: SES_MAX_MESSAGE_BYTES,
            max_attachment_bytes: 25 * 1024 * 1024,
            max_attachments: 50,
            blocked_extensions: attachments::DEFAULT_BLOCKED_EXTENSIONS.iter().map(|e| (*e).to_owned()).collect(),
            extract: extract::ExtractSettings::default(),
        }
    }
}

/// An address as the message gave it: the display name and the address (when it had a usable one).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sender {
    pub name: Option<String>,
    /// Lower-cased domain, as written otherwise; `None` when the header had no address at all.
    pub address: Option<String>,
}

/// One received message, parsed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InboundEmail {
    /// The message parsed at all (false: no headers or no body could be read).
    pub readable: bool,
    /// The parser panicked on it (a bug in the library on a hostile message): it is unreadable,
    /// and says so, instead of ending the process.
    pub parser_failed: bool,
    /// The sender's Message-ID, without angle brackets.
    pub message_id: Option<String>,
    /// In-Reply-To then References ids, without angle brackets, in order, each once.
    pub thread_ids: Vec<String>,
    pub from: Option<Sender>,
    /// Every address in To, Cc, Delivered-To and X-Original-To (lower case), each once.
    pub recipients: Vec<String>,
    pub date: Option<DateTime<Utc>>,
    pub subject: String,
    /// The whole text: the plain text part, else the HTML part as readable text, else the text of
    /// a forwarded message.
    pub text: String,
    /// The text without quoted history (what a reply adds).
    pub reply_text: String,
    pub attachments: Vec<Attachment>,
    /// Forwarded messages (`message/rfc822` parts) anywhere in the message.
    pub forwarded: usize,
    /// Why a robot sent it (RFC 3834 and friends), if one did.
    pub automated: Option<Automated>,
    /// A delivery status, feedback (abuse) or disposition report, with the ids it is about.
    pub report: Option<Report>,
}

/// Parses `raw` with `limits`. Never fails: see [`InboundEmail::readable`].
#[must_use]
pub fn parse(raw: &[u8], limits: &Limits) -> InboundEmail {
    Parsed::new(raw, limits).email
}

/// Old Mac mail uses a bare CR as its line ending, which MIME parsers read as one long header line.
/// Returns the message with CRLF line endings when it has CRs and no LF at all, else `None` (parse
/// the bytes as they are).
#[must_use]
pub fn bare_cr_to_crlf(raw: &[u8]) -> Option<Vec<u8>> {
    if raw.contains(&b'\n') || !raw.contains(&b'\r') {
        return None;
    }
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 32);
    for &byte in raw {
        out.push(byte);
        if byte == b'\r' {
            out.push(b'\n');
        }
    }
    Some(out)
}

/// A parsed message that still borrows the raw bytes, so attachments can be stored without
/// copying the whole message again.
#[derive(Debug)]
pub struct Parsed<'x> {
    message: Option<Message<'x>>,
    pub email: InboundEmail,
    /// The bodies taken out before the parse, and which attachment each one is.
    extracted: Extracted,
}

/// The extraction a message was parsed with, and what its sentinels turned out to be.
#[derive(Debug, Default)]
struct Extracted {
    extraction: Extraction,
    /// Attachment index → extracted body index.
    by_attachment: BTreeMap<u32, usize>,
    /// Every extracted body came out as exactly one attachment's whole content.
    complete: bool,
}

impl<'x> Parsed<'x> {
    /// Parses `raw` with `limits`. Never fails: see [`InboundEmail::readable`].
    #[must_use]
    pub fn new(raw: &'x [u8], limits: &Limits) -> Self {
        Self::with_extraction(raw, limits, Extraction::none())
    }

    /// Parses `raw`, out of which [`Extraction::take_from`] took `extraction`'s bodies: an
    /// attachment whose decoded content is exactly one of its sentinels is described by the
    /// extracted body (size, SHA-256, executable check on its first bytes), so the model is the
    /// one the original bytes give. When a sentinel did not come out as exactly one attachment
    /// (it was inside a text part or a forwarded message, or had other bytes beside it), or the
    /// parser panicked, [`Parsed::extraction_complete`] is false and the caller must parse the
    /// original bytes instead.
    #[must_use]
    pub fn with_extraction(raw: &'x [u8], limits: &Limits, extraction: Extraction) -> Self {
        // mail-parser 0.11.9 can still panic on some malformed multiparts (our fuzz target found
        // "Invalid part ID, could not find multipart.", a `debug_assert!`, so only where debug
        // assertions are on; the test `the_fuzzers_nested_rfc822_message_...` replays it): such a
        // message is unreadable with `parser_failed` set, never a crash. Only the parse (and our
        // reading of its result) is caught: it touches nothing shared, so nothing is left half
        // changed. This needs unwinding (`complaints serve`, tests); the Lambda functions are
        // built with panic = "abort", where intake's marks around the parse make the retry
        // record the outcome instead (complaints-app's parse_guard; docs/email.md, "Parser panics").
        let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let message = MessageParser::default().parse(raw);
            let (email, by_attachment) =
                message.as_ref().map(|m| from_message(m, limits, &extraction)).unwrap_or_default();
            (message, email, by_attachment)
        }));
        match parsed {
            Ok((message, email, by_attachment)) => {
                let mut bodies: Vec<usize> = by_attachment.values().copied().collect();
                bodies.sort_unstable();
                bodies.dedup();
                let complete = by_attachment.len() == extraction.len() && bodies.len() == extraction.len();
                Self { message, email, extracted: Extracted { extraction, by_attachment, complete } }
            }
            Err(_) => {
                let complete = extraction.is_empty();
                Self {
                    message: None,
                    email: InboundEmail { parser_failed: true, ..InboundEmail::default() },
                    extracted: Extracted { extraction, by_attachment: BTreeMap::new(), complete },
                }
            }
        }
    }

    /// True when nothing was extracted, or every extracted body was found as exactly one
    /// attachment: the model is the one the original message gives. False: parse the original.
    #[must_use]
    pub fn extraction_complete(&self) -> bool {
        self.extracted.complete
    }

    /// The decoded content of the attachment at `index` ([`Attachment::index`]); `None` for one
    /// taken out before the parse (its content is in a file: [`Contents::take_content`]).
    #[must_use]
    pub fn attachment_bytes(&self, index: u32) -> Option<&[u8]> {
        if self.extracted.by_attachment.contains_key(&index) {
            return None;
        }
        self.message.as_ref()?.attachment(index).map(MessagePart::contents)
    }

    /// The model, and the parts' contents to take attachments from.
    #[must_use]
    pub fn split(self) -> (InboundEmail, Contents<'x>) {
        (self.email, Contents { message: self.message, extracted: self.extracted })
    }
}

/// An attachment's content, to store.
#[derive(Debug)]
pub enum Content {
    /// In memory (moved out of the parsed message).
    Bytes(Vec<u8>),
    /// In a temporary file (a body taken out before the parse), deleted when this is dropped.
    File(TempPath),
}

/// The decoded parts of a parsed message, from which attachments are taken (moved out, not
/// copied: a 40 MB message must not be held three times over). Dropping it deletes the
/// temporary files of extracted bodies not taken.
#[derive(Debug)]
pub struct Contents<'x> {
    message: Option<Message<'x>>,
    extracted: Extracted,
}

impl Contents<'_> {
    /// The content of the attachment at `index`: its extracted file, else moved out of the
    /// message when it was decoded (base64, quoted-printable) and copied only when it is a slice
    /// of the raw bytes. A second call for the same index gives `None`.
    pub fn take_content(&mut self, index: u32) -> Option<Content> {
        if let Some(&body) = self.extracted.by_attachment.get(&index) {
            return self.extracted.extraction.take_file(body).map(Content::File);
        }
        let message = self.message.as_mut()?;
        let part_id = usize::try_from(*message.attachments.get(usize::try_from(index).ok()?)?).ok()?;
        let part = message.parts.get_mut(part_id)?;
        let bytes = match std::mem::replace(&mut part.body, PartType::Multipart(Vec::new())) {
            PartType::Binary(bytes) | PartType::InlineBinary(bytes) => bytes.into_owned(),
            PartType::Text(text) | PartType::Html(text) => text.into_owned().into_bytes(),
            // The forwarded message itself: mail-parser's `raw_message` field holds the whole
            // outer message, of which `raw_message()` is the forwarded part (what the recorded
            // size and SHA-256 describe).
            PartType::Message(inner) => inner.raw_message().to_vec(),
            PartType::Multipart(_) => return None,
        };
        Some(Content::Bytes(bytes))
    }

    /// The content of the attachment at `index` in memory (an extracted file is read back).
    pub fn take_attachment(&mut self, index: u32) -> Option<Vec<u8>> {
        match self.take_content(index)? {
            Content::Bytes(bytes) => Some(bytes),
            Content::File(path) => std::fs::read(&path).ok(),
        }
    }

    /// The temporary files still held (each is deleted when this is dropped).
    #[must_use]
    pub fn temp_files(&self) -> Vec<&std::path::Path> {
        self.extracted.extraction.files()
    }
}

fn from_message(
    message: &Message<'_>,
    limits: &Limits,
    extraction: &Extraction,
) -> (InboundEmail, BTreeMap<u32, usize>) {
    let message_id = message.message_id().and_then(clean_id);
    let thread_ids = thread_ids(&header_ids(message.in_reply_to()), &header_ids(message.references()));
    let from = message.from().and_then(first_sender);
    let mut recipients = Vec::new();
    for address in [message.to(), message.cc()].into_iter().flatten() {
        for addr in address.iter() {
            push_address(&mut recipients, addr.address());
        }
    }
    for name in ["Delivered-To", "X-Original-To"] {
        for value in message.header_values(name) {
            if let Some(text) = value.as_text() {
                push_address(&mut recipients, Some(text.trim().trim_start_matches('<').trim_end_matches('>')));
            }
        }
    }
    let date = message.date().filter(|d| d.is_valid()).and_then(|d| Utc.timestamp_opt(d.to_timestamp(), 0).single());
    let subject = message.subject().map(one_line).unwrap_or_default();

    let mut text = body_text(message);
    let (attachments, forwarded, forwarded_text, by_attachment) = attachments::collect(message, limits, extraction);
    if text.trim().is_empty()
        && let Some(inner) = forwarded_text
    {
        text = inner;
    }
    let reply_text = quote::reply_part(&text);
    let report = robots::report(message);
    let automated = robots::automated(message, from.as_ref(), report.as_ref());

    let email = InboundEmail {
        readable: true,
        parser_failed: false,
        message_id,
        thread_ids,
        from,
        recipients,
        date,
        subject,
        text,
        reply_text,
        attachments,
        forwarded,
        automated,
        report,
    };
    (email, by_attachment)
}

/// The most text kept from one message, in characters. A case keeps at most 20,000 characters
/// of it (`MAX_COMPLAINT_TEXT_CHARS`, the reply part likewise) and the whole message stays in the
/// raw mail, so the text is cut here, well above that: the reply and quote split of the first
/// 20,000 characters is the same as on the whole text, and a 40 MB text body is never copied
/// whole (the issue's memory target: 1.5 x the message size + 16 MiB).
pub const MAX_TEXT_CHARS: usize = 100_000;

/// The most HTML converted to text from one part: enough markup for [`MAX_TEXT_CHARS`] of text
/// in any real message, without converting (and holding) a 40 MB HTML body whole.
const MAX_HTML_BYTES: usize = 2 * 1024 * 1024;

/// The readable text of a message: its text bodies joined; else its HTML bodies as text. Line
/// endings become `\n`, and NUL and other control characters (bar line breaks and tabs) never
/// reach a case. At most [`MAX_TEXT_CHARS`] characters.
pub(crate) fn body_text(message: &Message<'_>) -> String {
    let mut text = Text::default();
    for part in message.text_bodies() {
        match &part.body {
            PartType::Text(t) => text.push_block(t),
            PartType::Html(h) => text.push_block(&html_to_text(h)),
            _ => {}
        }
    }
    if text.is_blank() {
        text = Text::default();
        for part in message.html_bodies() {
            if let PartType::Html(h) = &part.body {
                text.push_block(&html_to_text(h));
            }
        }
    }
    text.out
}

/// HTML as readable text, from at most [`MAX_HTML_BYTES`] of it.
fn html_to_text(html: &str) -> String {
    let mut end = html.len().min(MAX_HTML_BYTES);
    while !html.is_char_boundary(end) {
        end -= 1;
    }
    mail_parser::decoders::html::html_to_text(&html[..end])
}

/// Text built block by block in one pass: no copy of a block is made beyond what is kept.
#[derive(Default)]
struct Text {
    out: String,
    chars: usize,
}

impl Text {
    fn is_blank(&self) -> bool {
        self.out.trim().is_empty()
    }

    /// Appends `block` after a blank line, with CRLF and bare CR as `\n` and other control
    /// characters dropped, until [`MAX_TEXT_CHARS`].
    fn push_block(&mut self, block: &str) {
        if self.chars >= MAX_TEXT_CHARS {
            return;
        }
        if !self.out.is_empty() {
            self.out.push_str("\n\n");
            self.chars += 2;
        }
        self.out.reserve(block.len().min(MAX_TEXT_CHARS.saturating_sub(self.chars) * 4));
        let mut chars = block.chars().peekable();
        while let Some(c) = chars.next() {
            if self.chars >= MAX_TEXT_CHARS {
                break;
            }
            let c = match c {
                '\r' => {
                    if chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    '\n'
                }
                c if c.is_control() && c != '\n' && c != '\t' => continue,
                c => c,
            };
            self.out.push(c);
            self.chars += 1;
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn first_sender(address: &Address<'_>) -> Option<Sender> {
    let addr = address.iter().next()?;
    let name = addr.name().map(one_line).filter(|n| !n.is_empty());
    let address = addr.address().map(normalise_address).filter(|a| a.contains('@'));
    (name.is_some() || address.is_some()).then_some(Sender { name, address })
}

/// `Jo@Example.ORG` → `Jo@example.org`: the domain is case-insensitive, the local part may not be.
#[must_use]
pub fn normalise_address(address: &str) -> String {
    let trimmed = address.trim();
    match trimmed.rsplit_once('@') {
        Some((local, domain)) => format!("{local}@{}", domain.to_ascii_lowercase()),
        None => trimmed.to_owned(),
    }
}

fn push_address(list: &mut Vec<String>, address: Option<&str>) {
    if let Some(address) = address.map(|a| a.trim().to_lowercase()).filter(|a| a.contains('@'))
        && !list.contains(&address)
    {
        list.push(address);
    }
}

/// At most this many thread ids are kept from one message: each is a store lookup, and a message
/// with thousands of References must not cost thousands of reads (or fill a record).
pub const MAX_THREAD_IDS: usize = 20;

/// In-Reply-To ids, then References from the newest back (the message a reply answers is last in
/// References, RFC 5322 3.6.4), then the thread's first message; each once, at most
/// [`MAX_THREAD_IDS`].
fn thread_ids(in_reply_to: &[String], references: &[String]) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    let newest_first = references.iter().rev();
    for id in in_reply_to.iter().chain(newest_first.take(MAX_THREAD_IDS - 2)).chain(references.first()) {
        if ids.len() == MAX_THREAD_IDS {
            break;
        }
        if !ids.contains(id) {
            ids.push(id.clone());
        }
    }
    ids
}

/// The message ids in an In-Reply-To or References value, cleaned.
fn header_ids(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(id) => clean_id(id).into_iter().collect(),
        HeaderValue::TextList(ids) => ids.iter().filter_map(|id| clean_id(id)).collect(),
        _ => Vec::new(),
    }
}

/// A Message-ID without angle brackets or spaces; `None` when nothing is left or it is absurd.
#[must_use]
pub fn clean_id(id: &str) -> Option<String> {
    let id = id.trim().trim_start_matches('<').trim_end_matches('>').trim();
    (!id.is_empty() && id.len() <= 998 && !id.chars().any(|c| c.is_whitespace() || c.is_control()))
        .then(|| id.to_owned())
}

/// The form a Message-ID is indexed under: as written, except ids SES wrote, which are indexed
/// as `<id>@amazonses.com` so a reply matches whatever SES domain its headers carry.
///
/// What AWS documents: SES replaces the Message-ID of every message it sends with its own value
/// ("Amazon SES header fields", <https://docs.aws.amazon.com/ses/latest/dg/header-fields.html>),
/// and SES v2 `SendEmail` returns "a unique identifier for the message that is generated when the
/// message is accepted" (`MessageId`, <https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html>).
/// The domain of the header is not documented. Headers seen in the wild carry the returned id
/// before `@email.amazonses.com` (us-east-1) or `@<region>.amazonses.com` (e.g. eu-west-1,
/// eu-west-2), so the match is on the id under `amazonses.com` or any subdomain of it, never on
/// one region's form; the id itself is random and unguessable, as our own ids are.
#[must_use]
pub fn index_message_id(id: &str) -> String {
    match id.rsplit_once('@') {
        Some((local, domain))
            if domain.eq_ignore_ascii_case("amazonses.com")
                || domain.to_ascii_lowercase().ends_with(".amazonses.com") =>
        {
            format!("{local}@amazonses.com")
        }
        _ => id.to_owned(),
    }
}

/// The content type of a part as `type/subtype`, lower case; `text/plain` when it has none.
pub(crate) fn content_type_of<'x>(part: &impl MimeHeaders<'x>) -> String {
    part.content_type().map_or_else(
        || "text/plain".to_owned(),
        |ct| match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub).to_lowercase(),
            None => ct.ctype().to_lowercase(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_message_gives_its_sender_ids_text_and_reply() {
        let raw = b"From: Jo Bloggs <Jo@Example.ORG>\r\nTo: complaints@council.example\r\n\
Subject: Bins\r\n  not collected\r\nMessage-ID: <abc@mail.example>\r\nIn-Reply-To: <ours.1@council.example>\r\n\
References: <older@council.example> <ours.1@council.example>\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\n\r\n\
The bins were missed again.\r\n\r\nOn Mon, 2 Mar 2026, Council wrote:\r\n> We have received your complaint.\r\n";
        let email = parse(raw, &Limits::default());
        assert!(email.readable);
        assert_eq!(email.message_id.as_deref(), Some("abc@mail.example"));
        assert_eq!(email.thread_ids, ["ours.1@council.example", "older@council.example"]);
        let from = email.from.expect("from");
        assert_eq!((from.name.as_deref(), from.address.as_deref()), (Some("Jo Bloggs"), Some("Jo@example.org")));
        assert_eq!(email.recipients, ["complaints@council.example"]);
        assert_eq!(email.subject, "Bins not collected");
        assert_eq!(email.reply_text, "The bins were missed again.");
        assert!(email.text.contains("We have received"));
        assert!(email.date.is_some());
        assert!(email.automated.is_none() && email.report.is_none());
    }

    #[test]
    fn html_only_mail_becomes_readable_text() {
        let raw = b"From: a@b.example\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>The <b>road</b> is broken.</p></body></html>";
        let email = parse(raw, &Limits::default());
        assert!(email.text.contains("The road is broken."), "{}", email.text);
        assert!(!email.text.contains('<'));
    }

    #[test]
    fn a_message_without_from_date_or_message_id_still_parses() {
        let email = parse(b"Subject: hello\r\n\r\nJust text", &Limits::default());
        assert!(email.readable);
        assert_eq!((email.from, email.date, email.message_id), (None, None, None));
        assert_eq!(email.text, "Just text");
    }

    #[test]
    fn bare_cr_line_endings_are_read_as_lines() {
        let raw = b"From: jo@example.org\rSubject: old mac\rAuto-Submitted: auto-replied\r\rHello\r";
        let fixed = bare_cr_to_crlf(raw).expect("converted");
        let email = parse(&fixed, &Limits::default());
        assert_eq!(email.subject, "old mac");
        assert!(email.automated.is_some());
        assert_eq!(bare_cr_to_crlf(b"a\r\nb"), None);
    }

    #[test]
    fn a_text_body_longer_than_the_cap_keeps_its_first_characters_with_lf_line_endings() {
        let line = "Damp in the café.\r\n";
        let body = line.repeat(MAX_TEXT_CHARS / 10);
        let raw = format!("From: a@b.example\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}");
        let email = parse(raw.as_bytes(), &Limits::default());
        assert_eq!(email.text.chars().count(), MAX_TEXT_CHARS);
        assert!(email.text.starts_with("Damp in the café.\nDamp in the café.\n"));
        assert!(!email.text.contains('\r'));
        assert!(email.reply_text.len() <= email.text.len());
    }

    #[test]
    fn bare_cr_and_control_characters_inside_a_body_are_normalised() {
        let raw = b"From: a@b.example\r\nContent-Type: text/plain\r\n\r\none\rtwo\x00\x07\r\nthree\tfour";
        assert_eq!(parse(raw, &Limits::default()).text, "one\ntwo\nthree\tfour");
    }

    #[test]
    fn nothing_at_all_is_unreadable_rather_than_an_error() {
        assert!(!parse(b"", &Limits::default()).readable);
    }

    #[test]
    fn encoded_words_and_legacy_charsets_are_decoded() {
        let raw = "From: =?ISO-8859-1?Q?Andr=E9?= <a@b.example>\r\nSubject: =?koi8-r?B?8NLJ18XU?=\r\n\
Content-Type: text/plain; charset=windows-1252\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=E9\r\n";
        let email = parse(raw.as_bytes(), &Limits::default());
        assert_eq!(email.from.and_then(|f| f.name).as_deref(), Some("André"));
        assert_eq!(email.subject, "Привет");
        assert_eq!(email.text.trim(), "café");
    }

    #[test]
    fn ses_message_ids_are_indexed_without_their_region_and_others_as_written() {
        assert_eq!(index_message_id("0102abc-0@eu-west-2.amazonses.com"), "0102abc-0@amazonses.com");
        assert_eq!(index_message_id("0102abc-0@EU-WEST-1.AmazonSES.com"), "0102abc-0@amazonses.com");
        assert_eq!(index_message_id("0102abc-0@amazonses.com"), "0102abc-0@amazonses.com");
        assert_eq!(index_message_id("0100abc-0@email.amazonses.com"), "0100abc-0@amazonses.com");
        assert_eq!(index_message_id("cmp.ack.1@council.example"), "cmp.ack.1@council.example");
        assert_eq!(index_message_id("x@notamazonses.com"), "x@notamazonses.com");
    }

    #[test]
    fn thousands_of_references_keep_in_reply_to_the_newest_and_the_first_only() {
        let refs = (0..5_000).map(|n| format!("<r{n}@mail.example>")).collect::<Vec<_>>().join(" ");
        let raw =
            format!("From: a@b.example\r\nIn-Reply-To: <answered@council.example>\r\nReferences: {refs}\r\n\r\nHi");
        let email = parse(raw.as_bytes(), &Limits::default());
        assert_eq!(email.thread_ids.len(), MAX_THREAD_IDS);
        assert_eq!(email.thread_ids[0], "answered@council.example");
        assert_eq!(email.thread_ids[1], "r4999@mail.example");
        assert!(email.thread_ids.contains(&"r0@mail.example".to_owned()), "the thread's first message");
        assert!(!email.thread_ids.contains(&"r2500@mail.example".to_owned()));
    }

    /// Found by the fuzz target, reduced and rewritten by hand: a message/rfc822 part whose
    /// body is another bare message/rfc822 header block, inside a multipart that then ends.
    /// mail-parser 0.11.9 reaches `debug_assert!(false, "Invalid part ID, could not find
    /// multipart.")` (src/parsers/message.rs) on it: a panic in builds with debug assertions
    /// (tests, the fuzzer), nothing in release builds (the Lambda functions and `complaints
    /// serve` built with --release), where the message parses as far as it can.
    const NESTED_RFC822_IN_MULTIPART: &[u8] = b"From: a@b.example\r\n\
Content-Type: multipart/mixed; boundary=\"A\"\r\n\r\n--A\r\nContent-Type: message/rfc822\r\n\r\n\
Content-Type: message/rfc822\r\n\r\nContent-Type: text/plain\r\n\r\nhi\r\n--A--\r\n";

    #[test]
    fn the_fuzzers_nested_rfc822_message_gives_a_model_instead_of_a_panic() {
        let quiet = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let direct = std::panic::catch_unwind(|| MessageParser::default().parse(NESTED_RFC822_IN_MULTIPART).is_some());
        std::panic::set_hook(quiet);
        // The input reproduces the library's panic wherever debug assertions are on.
        assert_eq!(direct.is_err(), cfg!(debug_assertions), "mail-parser's behaviour on this input changed");
        // Ours never panics: unreadable where the library panicked, else what it could read.
        let email = parse(NESTED_RFC822_IN_MULTIPART, &Limits::default());
        assert_eq!(email.readable, !cfg!(debug_assertions));
        assert_eq!(email.parser_failed, cfg!(debug_assertions), "a caught panic is told apart");
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_parse_without_panicking(raw in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048)) {
            let email = parse(&raw, &Limits::default());
            proptest::prop_assert!(email.reply_text.len() <= email.text.len());
        }
    }
}
