//! Use cases over ports: intake, the durable outbound path (and later staff actions, breach scan,
//! export). Adapters for the ports live in their own crates (SQLite, DynamoDB, mail folder, SES, S3).

pub mod contact;
pub mod intake;
pub mod object_store;
pub mod outbound;
pub mod ports;

#[cfg(feature = "testing")]
pub mod testing;

#[cfg(feature = "contract-tests")]
pub mod contract;

/// An error and its sources on one line (`outer: inner: innermost`), for logs. Store and mail
/// errors name kinds of failure, never personal data, so their chains are safe to log.
#[must_use]
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
