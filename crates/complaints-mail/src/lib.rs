//! Outgoing messages: the message model, RFC 5322 rendering and the organisation's overridable
//! templates. Nothing here sends anything: a `Mailer` adapter does (mail folder, SES v2).

pub mod digests;
pub mod letters;
pub mod message;
pub mod queued;
pub mod templates;

pub use message::{CASE_REFERENCE_HEADER, DELIVERY_HEADER, Mailbox, OutboundEmail, PRINT_DELIVERY};
pub use queued::QueuedMessage;
pub use templates::{RenderedMessage, TemplateError, Templates};
