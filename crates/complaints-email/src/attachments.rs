//! Attachments: name, type, size and SHA-256 of each, and whether it may be stored with the case
//! (size and count limits; executable types are held back, never stored where staff open files).

use std::collections::BTreeMap;

use mail_parser::{Message, MessagePart, MimeHeaders, PartType};
use sha2::{Digest, Sha256};

use crate::Limits;
use crate::extract::Extraction;

/// Extensions of files that run when opened (Windows executables and scripts, installers,
/// shortcuts, Java and shell scripts): held back by default.
pub const DEFAULT_BLOCKED_EXTENSIONS: &[&str] = &[
    "exe", "com", "bat", "cmd", "scr", "pif", "cpl", "dll", "msi", "msp", "msc", "vbs", "vbe", "js", "jse", "wsf",
    "wsh", "ps1", "psm1", "hta", "jar", "lnk", "reg", "sh", "app", "apk", "scf", "inf", "iso", "img",
];

/// Content types that are programs, whatever the file is called.
const EXECUTABLE_TYPES: &[&str] = &[
    "application/x-msdownload",
    "application/x-msdos-program",
    "application/x-executable",
    "application/x-dosexec",
    "application/vnd.microsoft.portable-executable",
    "application/x-ms-installer",
    "application/java-archive",
    "application/x-sh",
    "application/hta",
];

/// Why an attachment was held back (recorded, not stored with the case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// A program or script (by extension, content type or content).
    Executable,
    /// Over [`Limits::max_attachment_bytes`].
    TooLarge,
    /// After [`Limits::max_attachments`].
    TooMany,
}

impl Held {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Executable => "executable",
            Self::TooLarge => "too-large",
            Self::TooMany => "too-many",
        }
    }
}

/// One attachment of a message (top level; a forwarded message counts as one, `message/rfc822`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Its position among the message's attachments ([`crate::Parsed::attachment_bytes`]).
    pub index: u32,
    /// The file name given, made safe (no path, no control characters), or `attachment-N`.
    pub name: String,
    pub content_type: String,
    pub size: u64,
    /// Lower-case hex SHA-256 of the decoded content.
    pub sha256: String,
    pub held: Option<Held>,
}

/// The attachments, how many forwarded messages there are anywhere, the text of the first
/// forwarded message (used when the outer message has no text of its own), and which attachments
/// are bodies taken out before the parse (attachment index → body index in `extraction`): a
/// binary part whose whole decoded content is one of `extraction`'s sentinels is described by
/// that body's figures instead, exactly as its original content would have been.
pub(crate) fn collect(
    message: &Message<'_>,
    limits: &Limits,
    extraction: &Extraction,
) -> (Vec<Attachment>, usize, Option<String>, BTreeMap<u32, usize>) {
    let mut by_attachment = BTreeMap::new();
    let mut list = Vec::new();
    let mut forwarded_text = None;
    let mut forwarded = 0;
    let mut kept = 0usize;
    for (index, part) in message.attachments().enumerate() {
        let index = u32::try_from(index).unwrap_or(u32::MAX);
        let bytes = part.contents();
        let extracted = match &part.body {
            PartType::Binary(_) | PartType::InlineBinary(_) if !extraction.is_empty() => {
                extraction.index_of(bytes).and_then(|body| Some((body, extraction.body(body)?)))
            }
            _ => None,
        };
        // What the checks read: the extracted body's first bytes, size and hash, else the part's.
        let (head, size, sha256) = match extracted {
            Some((body, found)) => {
                by_attachment.insert(index, body);
                (&found.prefix[..], found.size, found.sha256.clone())
            }
            None => (bytes, bytes.len() as u64, hex::encode(Sha256::digest(bytes))),
        };
        let content_type = if part.is_message() { "message/rfc822".to_owned() } else { crate::content_type_of(part) };
        if let PartType::Message(inner) = &part.body {
            forwarded += 1 + count_forwarded(inner, 1);
            if forwarded_text.is_none() {
                let text = crate::body_text(inner);
                forwarded_text = Some(text).filter(|t| !t.trim().is_empty());
            }
        }
        let name = safe_name(part, index, &content_type);
        let held = if is_executable(&name, &content_type, head, &limits.blocked_extensions) {
            Some(Held::Executable)
        } else if size > limits.max_attachment_bytes as u64 {
            Some(Held::TooLarge)
        } else if kept >= limits.max_attachments {
            Some(Held::TooMany)
        } else {
            kept += 1;
            None
        };
        list.push(Attachment { index, name, content_type, size, sha256, held });
    }
    (list, forwarded, forwarded_text, by_attachment)
}

/// Forwarded messages inside a forwarded message, to a bounded depth (a message nested 3,000
/// times is counted, not recursed into without end).
fn count_forwarded(message: &Message<'_>, depth: usize) -> usize {
    if depth > 32 {
        return 0;
    }
    message
        .attachments()
        .filter_map(|part| match &part.body {
            PartType::Message(inner) => Some(1 + count_forwarded(inner, depth + 1)),
            _ => None,
        })
        .sum()
}

fn safe_name(part: &MessagePart<'_>, index: u32, content_type: &str) -> String {
    let given = part.attachment_name().unwrap_or_default();
    // Only the last path component, without control characters, at most 200 characters.
    let base = given.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    if cleaned.is_empty() {
        let extension = if content_type == "message/rfc822" { ".eml" } else { "" };
        format!("attachment-{}{extension}", index + 1)
    } else {
        cleaned
    }
}

/// True for programs and scripts: by extension (any of a double extension such as
/// `invoice.pdf.exe` counts by its last), by declared type, or by content (a Windows `MZ` or an ELF
/// header).
#[must_use]
pub fn is_executable(name: &str, content_type: &str, bytes: &[u8], blocked: &[String]) -> bool {
    let extension = name.rsplit_once('.').map(|(_, ext)| ext.trim().to_ascii_lowercase());
    if extension.is_some_and(|ext| blocked.contains(&ext)) {
        return true;
    }
    if EXECUTABLE_TYPES.contains(&content_type) {
        return true;
    }
    bytes.starts_with(b"MZ") || bytes.starts_with(b"\x7fELF")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Limits, parse};

    fn with_attachment(name: &str, content_type: &str, body_b64: &str) -> Vec<u8> {
        format!(
            "From: a@b.example\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n\
Content-Type: text/plain\r\n\r\nSee attached.\r\n--XX\r\nContent-Type: {content_type}; name=\"{name}\"\r\n\
Content-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{body_b64}\r\n--XX--\r\n"
        )
        .into_bytes()
    }

    #[test]
    fn an_attachment_is_recorded_with_its_name_type_size_and_hash() {
        // "hello" in base64; its SHA-256 is well known.
        let email = parse(&with_attachment("photo.jpg", "image/jpeg", "aGVsbG8="), &Limits::default());
        let [attachment] = email.attachments.as_slice() else { panic!("one attachment: {:?}", email.attachments) };
        assert_eq!(attachment.name, "photo.jpg");
        assert_eq!(attachment.content_type, "image/jpeg");
        assert_eq!(attachment.size, 5);
        assert_eq!(attachment.sha256, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
        assert_eq!(attachment.held, None);
        assert_eq!(email.text.trim(), "See attached.");
    }

    #[test]
    fn executables_are_held_by_name_type_or_content() {
        let by_name = parse(&with_attachment("invoice.pdf.exe", "application/pdf", "aGVsbG8="), &Limits::default());
        assert_eq!(by_name.attachments[0].held, Some(Held::Executable));
        let by_type = parse(&with_attachment("tool", "application/x-msdownload", "aGVsbG8="), &Limits::default());
        assert_eq!(by_type.attachments[0].held, Some(Held::Executable));
        // "MZ\x90\0" is the start of a Windows program.
        let by_content = parse(&with_attachment("letter.pdf", "application/pdf", "TVqQAA=="), &Limits::default());
        assert_eq!(by_content.attachments[0].held, Some(Held::Executable));
    }

    #[test]
    fn size_and_count_limits_hold_attachments_back() {
        let limits = Limits { max_attachment_bytes: 4, ..Limits::default() };
        assert_eq!(
            parse(&with_attachment("a.txt", "text/plain", "aGVsbG8="), &limits).attachments[0].held,
            Some(Held::TooLarge)
        );
        let limits = Limits { max_attachments: 0, ..Limits::default() };
        assert_eq!(
            parse(&with_attachment("a.txt", "text/plain", "aGVsbG8="), &limits).attachments[0].held,
            Some(Held::TooMany)
        );
    }

    #[test]
    fn a_path_in_a_file_name_is_dropped() {
        let email = parse(&with_attachment("../../windows/evil.txt", "text/plain", "aGVsbG8="), &Limits::default());
        assert_eq!(email.attachments[0].name, "evil.txt");
    }

    #[test]
    fn a_forwarded_message_gives_its_text_when_the_outer_mail_has_none() {
        let raw = b"From: a@b.example\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n\
Content-Type: message/rfc822\r\n\r\nFrom: c@d.example\r\nSubject: original\r\n\r\nThe original complaint.\r\n--XX--\r\n";
        let email = parse(raw, &Limits::default());
        assert_eq!(email.forwarded, 1);
        assert_eq!(email.attachments[0].content_type, "message/rfc822");
        assert!(email.text.contains("The original complaint."), "{}", email.text);
    }
}
