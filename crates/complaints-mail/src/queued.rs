//! A message as it waits in the store's pending mail and as a mailer sends it: our Message-ID,
//! the envelope and the exact RFC 5322 bytes, rendered once when the change that causes it is
//! committed, so every delivery attempt sends the same bytes.

use chrono::{DateTime, Utc};
use complaints_core::case::MessagePurpose;
use complaints_core::complaint::EmailAddress;
use complaints_core::reference::CaseRef;

use crate::message::OutboundEmail;

/// One message ready to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMessage {
    /// Our Message-ID without angle brackets: the delivery's idempotency key.
    pub message_id: String,
    /// The case the message is about, if any.
    pub case_ref: Option<CaseRef>,
    pub purpose: MessagePurpose,
    /// Envelope sender (the `From` address).
    pub from: EmailAddress,
    /// Envelope recipients (the `To` addresses).
    pub to: Vec<EmailAddress>,
    /// The `Date` header.
    pub date: DateTime<Utc>,
    /// The whole message, CRLF line ends.
    pub raw: Vec<u8>,
}

impl QueuedMessage {
    /// Renders `email` for the queue.
    #[must_use]
    pub fn from_email(email: &OutboundEmail, purpose: MessagePurpose) -> Self {
        Self {
            message_id: email.message_id.clone(),
            case_ref: email.case_ref.clone(),
            purpose,
            from: email.from.address.clone(),
            to: email.to.iter().map(|mailbox| mailbox.address.clone()).collect(),
            date: email.date,
            raw: email.to_rfc5322(),
        }
    }
}
