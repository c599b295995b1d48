//! A message that makes the mail parser panic is a recorded outcome, not a crash: rejected with
//! the reason `parser-failed`, its raw bytes kept and a record held for staff. The input is our
//! own, found by the fuzz target: mail-parser 0.11.9 reaches a `debug_assert!` on it, so it
//! panics wherever debug assertions are on (this test build); in an optimised build without them
//! the same bytes parse as far as they can, and the test checks that instead.

mod email_guard_support;

use std::sync::Arc;

use complaints_app::email_intake::{EmailOutcome, Envelope, RawEmail};
use complaints_app::held_mail::HeldMailStore;
use complaints_app::memory_objects::MemoryObjectStore;
use email_guard_support::{World, monday, world};

/// A message/rfc822 part whose body is another bare message/rfc822 header block, inside a
/// multipart that then ends (the same shape as complaints-email's regression input).
const PARSER_PANICS: &[u8] = b"From: a@b.example\r\n\
Content-Type: multipart/mixed; boundary=\"A\"\r\n\r\n--A\r\nContent-Type: message/rfc822\r\n\r\n\
Content-Type: message/rfc822\r\n\r\nContent-Type: text/plain\r\n\r\nhi\r\n--A--\r\n";

#[tokio::test]
async fn a_message_that_makes_the_parser_panic_is_rejected_as_parser_failed_kept_and_held_for_staff() {
    let objects = Arc::new(MemoryObjectStore::new());
    let World { held, mailer, intake } = world(objects.clone(), None);
    // The library's panic message would fill the test output; the outcome is what is checked.
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let ingested = intake.ingest(RawEmail { bytes: PARSER_PANICS, stored_at: None }, &Envelope::default()).await;
    std::panic::set_hook(quiet);
    let ingested = ingested.expect("an outcome, not an error");

    assert_eq!(objects.bytes(&ingested.raw_key).as_deref(), Some(PARSER_PANICS), "the raw message is kept");
    if !cfg!(debug_assertions) {
        // No panic to catch here: whatever the parser read, it is not a parser failure.
        assert_ne!(ingested.outcome, EmailOutcome::Rejected { reason: "parser-failed".to_owned() });
        return;
    }
    assert_eq!(ingested.outcome, EmailOutcome::Rejected { reason: "parser-failed".to_owned() });
    let records = held.held_mail(monday(), 10).await.expect("held mail");
    assert_eq!(records.len(), 1);
    assert_eq!((records[0].outcome.as_str(), records[0].reason.as_str()), ("rejected", "parser-failed"));
    assert_eq!(records[0].raw_key, ingested.raw_key);
    assert!(mailer.sent().is_empty(), "nobody is answered for a message we could not read");

    // A second delivery of the same bytes gives the same outcome (SES or the inbox retrying).
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let again = intake.ingest(RawEmail { bytes: PARSER_PANICS, stored_at: None }, &Envelope::default()).await;
    std::panic::set_hook(quiet);
    assert_eq!(again.expect("an outcome").outcome, ingested.outcome);
    assert_eq!(held.held_mail(monday(), 10).await.expect("held mail").len(), 1, "held once");
}
