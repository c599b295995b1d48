//! The message model every mailer sends, and its RFC 5322 rendering. STABLE: field set and `to_rfc5322`.
//!
//! Rendering goes through `mail-builder`; before anything reaches it, every free-text header value
//! (display names, subject) is flattened to one line and every identifier (Message-IDs) is reduced
//! to the characters RFC 5322 allows, so a hostile name or subject can never start a new header.

use chrono::{DateTime, Utc};
use complaints_core::complaint::EmailAddress;
use complaints_core::reference::CaseRef;
use mail_builder::MessageBuilder;
use mail_builder::headers::address::Address;
use mail_builder::headers::date::Date;
use mail_builder::headers::message_id::MessageId;
use mail_builder::headers::raw::Raw;
use mail_builder::headers::text::Text;

/// Header naming the case a message belongs to, so staff mail clients and the inbound matcher can
/// file replies without reading the body.
pub const CASE_REFERENCE_HEADER: &str = "X-Complaint-Reference";

/// Header marking a message whose HTML part is a letter to print and post (value `print`): it is
/// addressed to the organisation's own mailbox, and the mail folder writes the letter beside it
/// as an `.html` file (docs/roles-and-letters.md).
pub const DELIVERY_HEADER: &str = "X-Complaint-Delivery";

/// The [`DELIVERY_HEADER`] value of a printable letter.
pub const PRINT_DELIVERY: &str = "print";

/// A display name and address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub name: Option<String>,
    pub address: EmailAddress,
}

impl Mailbox {
    /// A mailbox with an optional display name.
    #[must_use]
    pub fn new(name: Option<&str>, address: EmailAddress) -> Self {
        Self { name: name.map(str::to_owned), address }
    }

    fn to_address(&self) -> Address<'_> {
        let name = self.name.as_deref().map(one_line).filter(|n| !n.is_empty());
        Address::new_address(name, self.address.as_str())
    }
}

/// One outgoing email, ready to render as MIME.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundEmail {
    /// Our own Message-ID, without angle brackets, e.g. `cmp-2026-00042.ack.5f3c…@complaints.example.org`.
    pub message_id: String,
    pub date: DateTime<Utc>,
    pub from: Mailbox,
    pub reply_to: Option<Mailbox>,
    pub to: Vec<Mailbox>,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Sets `Auto-Submitted: auto-replied` (RFC 3834) so other systems do not answer it.
    pub auto_submitted: bool,
    /// Message-ID this one answers, for threading.
    pub in_reply_to: Option<String>,
    /// The case the message belongs to (for the Message-ID → case index).
    pub case_ref: Option<CaseRef>,
}

impl OutboundEmail {
    /// The message as RFC 5322 bytes (CRLF line ends): `multipart/alternative` with a UTF-8 text
    /// part and a UTF-8 HTML part, our Message-ID and Date, and the headers described in
    /// the README, "Outgoing mail".
    #[must_use]
    pub fn to_rfc5322(&self) -> Vec<u8> {
        self.to_rfc5322_with(&[])
    }

    /// [`Self::to_rfc5322`] with extra headers; each name is a constant of ours and each value is
    /// flattened to one line.
    #[must_use]
    pub fn to_rfc5322_with(&self, extra_headers: &[(&'static str, &str)]) -> Vec<u8> {
        let mut builder = MessageBuilder::new();
        for (name, value) in extra_headers {
            builder = builder.header(*name, Raw::new(one_line(value)));
        }
        if let Some(id) = clean_message_id(&self.message_id) {
            builder = builder.message_id(MessageId::new(id));
        }
        builder = builder.date(Date::new(self.date.timestamp())).from(self.from.to_address());
        if let Some(reply_to) = &self.reply_to {
            builder = builder.reply_to(reply_to.to_address());
        }
        builder = builder
            .to(Address::new_list(self.to.iter().map(Mailbox::to_address).collect()))
            .subject(Text::new(one_line(&self.subject)));
        if let Some(parent) = self.in_reply_to.as_deref().and_then(clean_message_id) {
            // We only know the message we answer, so References is that one id (RFC 5322 §3.6.4).
            builder = builder.in_reply_to(MessageId::new(parent.clone())).references(MessageId::new(parent));
        }
        if self.auto_submitted {
            // RFC 3834 §5: an automatic response to a message; well-behaved systems do not answer it.
            builder = builder.header("Auto-Submitted", Raw::new("auto-replied"));
        }
        // Asks Exchange and Outlook not to send out-of-office and similar replies back to the
        // case mailbox, where they would be filed as correspondence.
        builder = builder.header("X-Auto-Response-Suppress", Raw::new("All"));
        if let Some(reference) = &self.case_ref {
            // A CaseRef is capitals, digits and hyphens only, so it is safe as a raw value.
            builder = builder.header(CASE_REFERENCE_HEADER, Raw::new(reference.to_string()));
        }
        let mut out = Vec::with_capacity(self.text.len() + self.html.len() + 1024);
        builder.text_body(self.text.as_str()).html_body(self.html.as_str()).serialize(&mut out);
        out
    }
}

/// Flattens free text for a header: every run of whitespace or control characters (CR, LF, NEL,
/// U+2028…) becomes one space, so the value stays on one logical line whatever the input.
#[must_use]
pub fn one_line(raw: &str) -> String {
    raw.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Reduces a Message-ID to the characters of an RFC 5322 `msg-id` (atext, `.` and one `@`), without
/// angle brackets; `None` when nothing usable is left.
#[must_use]
pub fn clean_message_id(raw: &str) -> Option<String> {
    let is_atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c);
    let trimmed = raw.trim().trim_start_matches('<').trim_end_matches('>');
    let (left, right) = trimmed.rsplit_once('@')?;
    let left: String = left.chars().filter(|c| is_atext(*c)).collect();
    let right: String = right.chars().filter(|c| is_atext(*c)).collect();
    (!left.is_empty() && !right.is_empty()).then(|| format!("{left}@{right}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use mail_parser::{DateTime, HeaderValue, Message, MessageParser, MimeHeaders};
    use proptest::prelude::*;

    fn address(raw: &str) -> EmailAddress {
        EmailAddress::parse(raw).expect("test address is valid")
    }

    fn sample() -> OutboundEmail {
        OutboundEmail {
            message_id: "cmp-2025-00042.ack.abc123@example.org".to_owned(),
            date: Utc.with_ymd_and_hms(2025, 11, 27, 10, 30, 0).single().expect("valid instant"),
            from: Mailbox::new(Some("Example Council"), address("complaints@example.org")),
            reply_to: Some(Mailbox::new(Some("Example Council Complaints"), address("reply@example.org"))),
            to: vec![Mailbox::new(Some("Mòrag Nic a' Ghobhainn"), address("morag@example.net"))],
            subject: "Your complaint CMP-2025-00042 – we have received it".to_owned(),
            text: "Dear Mòrag,\nYour reference is CMP-2025-00042.\n".to_owned(),
            html: "<p>Dear Mòrag,</p><p>Your reference is <strong>CMP-2025-00042</strong>.</p>".to_owned(),
            auto_submitted: true,
            in_reply_to: Some("original.123@mail.example.net".to_owned()),
            case_ref: Some(CaseRef::new("CMP", 2025, 42).expect("valid reference")),
        }
    }

    fn parse(raw: &[u8]) -> Message<'_> {
        MessageParser::default().parse(raw).expect("parses")
    }

    /// The names of the top-level header fields, in order.
    fn header_names(raw: &[u8]) -> Vec<String> {
        parse(raw).headers().iter().map(|h| h.name().to_owned()).collect()
    }

    /// The message ids of an In-Reply-To or References field.
    fn ids(value: &HeaderValue<'_>) -> Vec<String> {
        match (value.as_text(), value.as_text_list()) {
            (Some(one), _) => vec![one.to_owned()],
            (None, Some(many)) => many.iter().map(ToString::to_string).collect(),
            (None, None) => Vec::new(),
        }
    }

    fn text_header(message: &Message<'_>, name: &str) -> Option<String> {
        message.header(name).and_then(HeaderValue::as_text).map(|t| t.trim().to_owned())
    }

    #[test]
    fn rendered_message_parses_back_with_every_header_and_both_parts() {
        let email = sample();
        let raw = email.to_rfc5322();
        let message = parse(&raw);

        assert_eq!(message.message_id(), Some(email.message_id.as_str()));
        assert_eq!(message.date().map(DateTime::to_timestamp), Some(email.date.timestamp()));
        let from = message.from().and_then(|a| a.first()).expect("has From");
        assert_eq!((from.name(), from.address()), (Some("Example Council"), Some("complaints@example.org")));
        let reply_to = message.reply_to().and_then(|a| a.first()).expect("has Reply-To");
        assert_eq!(
            (reply_to.name(), reply_to.address()),
            (Some("Example Council Complaints"), Some("reply@example.org"))
        );
        let to = message.to().and_then(|a| a.first()).expect("has To");
        assert_eq!((to.name(), to.address()), (Some("Mòrag Nic a' Ghobhainn"), Some("morag@example.net")));
        assert_eq!(message.subject(), Some(email.subject.as_str()));
        assert_eq!(ids(message.in_reply_to()), ["original.123@mail.example.net"]);
        assert_eq!(ids(message.references()), ["original.123@mail.example.net"]);
        assert_eq!(text_header(&message, "Auto-Submitted").as_deref(), Some("auto-replied"));
        assert_eq!(text_header(&message, "X-Auto-Response-Suppress").as_deref(), Some("All"));
        assert_eq!(text_header(&message, CASE_REFERENCE_HEADER).as_deref(), Some("CMP-2025-00042"));
        assert_eq!(text_header(&message, "MIME-Version").as_deref(), Some("1.0"));

        let content_type = message.root_part().content_type().expect("has a content type");
        assert_eq!((content_type.ctype(), content_type.subtype()), ("multipart", Some("alternative")));
        assert_eq!((message.text_body_count(), message.html_body_count()), (1, 1));
        for part in [message.text_part(0), message.html_part(0)] {
            let charset = part.and_then(|p| p.content_type()).and_then(|c| c.attribute("charset"));
            assert_eq!(charset.map(str::to_ascii_lowercase).as_deref(), Some("utf-8"));
        }
        // Text travels with CRLF line ends, as RFC 5322 and MIME require.
        let text = message.body_text(0).map(|t| t.replace("\r\n", "\n")).expect("has a text part");
        assert_eq!(text.trim_end(), email.text.trim_end());
        assert_eq!(message.body_html(0).as_deref(), Some(email.html.as_str()));
    }

    #[test]
    fn optional_headers_are_left_out_when_not_set() {
        let email =
            OutboundEmail { reply_to: None, in_reply_to: None, case_ref: None, auto_submitted: false, ..sample() };
        let names = header_names(&email.to_rfc5322());
        for absent in ["Reply-To", "In-Reply-To", "References", "Auto-Submitted", CASE_REFERENCE_HEADER] {
            assert!(!names.iter().any(|n| n.eq_ignore_ascii_case(absent)), "{absent} should be absent: {names:?}");
        }
        assert!(names.iter().any(|n| n == "X-Auto-Response-Suppress"), "{names:?}");
    }

    #[test]
    fn crlf_in_names_subject_and_ids_never_creates_a_header() {
        let hostile = "Jo\r\nBcc: victim@example.com\r\n\r\n<b>body</b>";
        let email = OutboundEmail {
            message_id: "abc\r\nBcc: victim@example.com@example.org".to_owned(),
            from: Mailbox::new(Some(hostile), address("complaints@example.org")),
            to: vec![Mailbox::new(Some(hostile), address("jo@example.net"))],
            reply_to: Some(Mailbox::new(Some("X\nCc: victim@example.com"), address("reply@example.org"))),
            subject: format!("Hello{hostile}\u{2028}Cc: victim@example.com\u{85}Sender: x@y.z"),
            in_reply_to: Some(">\r\nBcc: victim@example.com<x@y.z".to_owned()),
            ..sample()
        };
        let raw = email.to_rfc5322();
        let names = header_names(&raw);
        for injected in ["Bcc", "Cc", "Sender"] {
            assert!(!names.iter().any(|n| n.eq_ignore_ascii_case(injected)), "{injected} was injected: {names:?}");
        }
        let message = parse(&raw);
        assert_eq!(message.subject().map(str::to_owned), Some(one_line(&email.subject)));
        let to = message.to().and_then(|a| a.first()).expect("has To");
        assert_eq!(to.name(), Some(one_line(hostile).as_str()));
        assert_eq!(to.address(), Some("jo@example.net"));
    }

    #[test]
    fn message_ids_are_reduced_to_rfc5322_characters() {
        let cases = [
            ("cmp-2025-00042.ack.x@example.org", Some("cmp-2025-00042.ack.x@example.org")),
            ("<abc@example.org>", Some("abc@example.org")),
            ("a b\r\nc@exa mple.org", Some("abc@example.org")),
            ("no-at-sign", None),
            ("@example.org", None),
            ("\r\n@\r\n", None),
        ];
        for (raw, expected) in cases {
            assert_eq!(clean_message_id(raw).as_deref(), expected, "{raw:?}");
        }
    }

    const EXPECTED_HEADERS: [&str; 14] = [
        "Message-ID",
        "Date",
        "From",
        "Reply-To",
        "To",
        "Subject",
        "In-Reply-To",
        "References",
        "Auto-Submitted",
        "X-Auto-Response-Suppress",
        CASE_REFERENCE_HEADER,
        "MIME-Version",
        "Content-Type",
        "Content-Transfer-Encoding",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_names_and_subjects_never_add_headers(
            name in "(\\PC|[\r\n\t\u{0}\u{85}\u{2028}:<>\"]){0,80}",
            subject in "(\\PC|[\r\n\t\u{0}\u{85}\u{2028}:]|\r\nBcc: a@b.c){0,120}",
        ) {
            let email = OutboundEmail {
                from: Mailbox::new(Some(&name), address("complaints@example.org")),
                to: vec![Mailbox::new(Some(&name), address("jo@example.net"))],
                subject: subject.clone(),
                ..sample()
            };
            let raw = email.to_rfc5322();
            let names = header_names(&raw);
            for found in &names {
                prop_assert!(EXPECTED_HEADERS.iter().any(|e| e.eq_ignore_ascii_case(found)), "unexpected header {found}: {names:?}");
            }
            prop_assert_eq!(names.iter().filter(|n| n.eq_ignore_ascii_case("Subject")).count(), 1);
            prop_assert_eq!(names.iter().filter(|n| n.eq_ignore_ascii_case("To")).count(), 1);
            let message = parse(&raw);
            let flat_subject = one_line(&subject);
            prop_assert_eq!(message.subject().unwrap_or_default(), flat_subject.as_str());
            let to = message.to().and_then(|a| a.first()).expect("has To");
            prop_assert_eq!(to.address(), Some("jo@example.net"));
        }
    }
}
