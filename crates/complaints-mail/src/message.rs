//! The message model every mailer sends. STABLE: field set and `to_rfc5322`.

use chrono::{DateTime, Utc};
use complaints_core::complaint::EmailAddress;
use complaints_core::reference::CaseRef;

/// A display name and address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub name: Option<String>,
    pub address: EmailAddress,
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
