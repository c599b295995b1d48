//! The marks around the parse of mail SES stored (`parse_guard`): two attempts in a row that
//! ended inside the parser (an aborting panic on Lambda, memory, time) make the next one record
//! the message `rejected` with `parser-failed` instead of parsing it again; one such attempt gets
//! one more parse; a parse that returned leaves a mark that lets every retry take the message in
//! as usual; and a `finished` mark the store refuses never makes a retry blame the parser.

mod email_guard_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use complaints_app::email_intake::{EmailOutcome, Envelope, Ingested, RawEmail};
use complaints_app::held_mail::HeldMailStore;
use complaints_app::memory_objects::MemoryObjectStore;
use complaints_app::object_store::{ObjectStore, ObjectStoreError};
use complaints_app::parse_guard::{Begun, begin, mark_key};
use email_guard_support::{World, monday, world};

const RAW_KEY: &str = "inbound/0102abcdef";
const RAW: &[u8] = b"From: Jo Bloggs <jo@example.net>\r\nTo: complaints@example.org\r\nSubject: Bins\r\n\
Message-ID: <guard.1@mail.example.net>\r\nDate: Mon, 2 Mar 2026 09:00:00 +0000\r\n\r\nThe bins were missed again.\r\n";
const STORED: RawEmail<'static> = RawEmail { bytes: RAW, stored_at: Some(RAW_KEY) };

/// The memory store, except that it refuses to write the `finished` mark the first `refusals`
/// times it is asked to (`usize::MAX`: always). Every other read and write works.
struct RefusesFinished {
    inner: Arc<MemoryObjectStore>,
    refusals: AtomicUsize,
}

#[derive(Debug, thiserror::Error)]
#[error("the finished mark was refused (test double)")]
struct Refused;

#[async_trait]
impl ObjectStore for RefusesFinished {
    async fn put(&self, key: &str, content_type: &str, bytes: Vec<u8>) -> Result<(), ObjectStoreError> {
        let refuse = key == mark_key(RAW_KEY)
            && bytes == b"finished"
            && self.refusals.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| left.checked_sub(1)).is_ok();
        if refuse {
            return Err(ObjectStoreError::Unavailable(Box::new(Refused)));
        }
        self.inner.put(key, content_type, bytes).await
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>, ObjectStoreError> {
        self.inner.get(key).await
    }
}

/// A world whose object store holds the raw message as SES's S3 action leaves it.
async fn stored_world(objects: Arc<dyn ObjectStore>) -> World {
    objects.put(RAW_KEY, "message/rfc822", RAW.to_vec()).await.expect("raw kept");
    world(objects, Some(30))
}

async fn ingest(w: &World) -> Ingested {
    w.intake.ingest(STORED, &Envelope::default()).await.expect("outcome")
}

fn parser_failed() -> EmailOutcome {
    EmailOutcome::Rejected { reason: "parser-failed".to_owned() }
}

#[tokio::test]
async fn a_message_whose_last_two_parses_never_returned_is_rejected_as_parser_failed_without_parsing_again() {
    let objects = Arc::new(MemoryObjectStore::new());
    let w = stored_world(objects.clone()).await;
    // Two attempts wrote their mark and each process ended inside the parser.
    for _ in 0..2 {
        assert_eq!(begin(&*objects, RAW_KEY).await.expect("mark"), Begun::Marked);
    }

    let ingested = ingest(&w).await;

    assert_eq!(ingested.outcome, parser_failed());
    assert_eq!(ingested.raw_key, RAW_KEY);
    assert_eq!(objects.bytes(RAW_KEY).as_deref(), Some(RAW), "the raw message is kept");
    assert!(w.mailer.sent().is_empty(), "not parsed, so no case and nobody answered");
    let held = w.held.held_mail(monday(), 10).await.expect("held");
    assert_eq!(held.len(), 1);
    assert_eq!((held[0].reason.as_str(), held[0].raw_key.as_str()), ("parser-failed", RAW_KEY));
}

#[tokio::test]
async fn one_attempt_that_recorded_no_return_from_the_parser_gets_one_more_parse() {
    let objects = Arc::new(MemoryObjectStore::new());
    let w = stored_world(objects.clone()).await;
    // One attempt wrote its mark and recorded nothing after it.
    assert_eq!(begin(&*objects, RAW_KEY).await.expect("mark"), Begun::Marked);

    let ingested = ingest(&w).await;

    assert_eq!(ingested.outcome.kind(), "case", "{:?}", ingested.outcome);
    assert_eq!(objects.bytes(&mark_key(RAW_KEY)).as_deref(), Some(&b"finished"[..]));
    assert_eq!(w.mailer.sent().len(), 1, "acknowledged");
    assert!(w.held.held_mail(monday(), 10).await.expect("held").is_empty());
}

#[tokio::test]
async fn a_parse_that_returned_leaves_a_finished_mark_and_a_retry_takes_the_message_in_once() {
    let objects = Arc::new(MemoryObjectStore::new());
    let w = stored_world(objects.clone()).await;

    let first = ingest(&w).await;
    let EmailOutcome::Case { reference, duplicate: false, .. } = first.outcome else {
        panic!("expected a new case, got {:?}", first.outcome)
    };
    assert_eq!(objects.bytes(&mark_key(RAW_KEY)).as_deref(), Some(&b"finished"[..]));

    // Lambda delivers the event again (e.g. a later step failed): the same case, not a rejection.
    let again = ingest(&w).await;
    assert!(
        matches!(&again.outcome, EmailOutcome::Case { reference: r, duplicate: true, .. } if *r == reference),
        "{:?}",
        again.outcome
    );
    assert_eq!(w.mailer.sent().len(), 1, "acknowledged once");
    // `finished` is kept: the parse is deterministic, so no later attempt can blame the parser.
    assert_eq!(begin(&*objects, RAW_KEY).await.expect("mark"), Begun::ParsedBefore);
    assert_eq!(begin(&*objects, RAW_KEY).await.expect("mark"), Begun::ParsedBefore);
}

#[tokio::test]
async fn a_finished_mark_the_store_refused_once_never_makes_a_retry_blame_the_parser() {
    let memory = Arc::new(MemoryObjectStore::new());
    let objects = Arc::new(RefusesFinished { inner: memory.clone(), refusals: AtomicUsize::new(1) });
    let w = stored_world(objects).await;

    // The parse returned; the refused mark is logged and the attempt goes on to its outcome.
    let first = ingest(&w).await;
    let EmailOutcome::Case { reference, duplicate: false, .. } = first.outcome else {
        panic!("expected a new case, got {:?}", first.outcome)
    };
    assert_eq!(memory.bytes(&mark_key(RAW_KEY)).as_deref(), Some(&b"started"[..]), "the refusal left started");

    // The event comes again (a later step failed, or SES delivered twice): parsed once more.
    let retry = ingest(&w).await;
    assert!(
        matches!(&retry.outcome, EmailOutcome::Case { reference: r, duplicate: true, .. } if *r == reference),
        "{:?}",
        retry.outcome
    );
    assert_eq!(memory.bytes(&mark_key(RAW_KEY)).as_deref(), Some(&b"finished"[..]));
    // And every delivery after that, however many.
    for _ in 0..3 {
        assert_ne!(ingest(&w).await.outcome, parser_failed());
    }
    assert!(w.held.held_mail(monday(), 10).await.expect("held").is_empty(), "nothing held for staff");
    assert_eq!(w.mailer.sent().len(), 1, "acknowledged once");
}

#[tokio::test]
async fn a_finished_mark_the_store_always_refuses_never_makes_the_retry_blame_the_parser() {
    let memory = Arc::new(MemoryObjectStore::new());
    let objects = Arc::new(RefusesFinished { inner: memory.clone(), refusals: AtomicUsize::new(usize::MAX) });
    let w = stored_world(objects).await;

    let first = ingest(&w).await;
    let EmailOutcome::Case { reference, duplicate: false, .. } = first.outcome else {
        panic!("expected a new case, got {:?}", first.outcome)
    };
    let retry = ingest(&w).await;
    assert!(
        matches!(&retry.outcome, EmailOutcome::Case { reference: r, duplicate: true, .. } if *r == reference),
        "{:?}",
        retry.outcome
    );
    assert_eq!(memory.bytes(&mark_key(RAW_KEY)).as_deref(), Some(&b"started again"[..]), "never finished");
    assert!(w.held.held_mail(monday(), 10).await.expect("held").is_empty(), "nothing held for staff");
    assert_eq!(w.mailer.sent().len(), 1, "acknowledged once");
}

#[tokio::test]
async fn a_mark_that_cannot_be_read_fails_the_attempt_without_an_outcome() {
    let memory = Arc::new(MemoryObjectStore::new());
    let w = stored_world(memory.clone()).await;
    memory.set_down(true);
    assert!(w.intake.ingest(STORED, &Envelope::default()).await.is_err(), "Lambda retries it");
    memory.set_down(false);
    assert_eq!(memory.bytes(&mark_key(RAW_KEY)), None, "no mark written");
    assert!(w.held.held_mail(monday(), 10).await.expect("held").is_empty());
    assert_eq!(ingest(&w).await.outcome.kind(), "case", "the retry takes it in");
}

#[tokio::test]
async fn messages_kept_by_intake_itself_are_parsed_without_marks() {
    let objects = Arc::new(MemoryObjectStore::new());
    let w = world(objects.clone(), Some(30));
    let ingested =
        w.intake.ingest(RawEmail { bytes: RAW, stored_at: None }, &Envelope::default()).await.expect("outcome");
    assert_eq!(ingested.outcome.kind(), "case");
    assert_eq!(objects.bytes(&mark_key(&ingested.raw_key)), None, "the local inbox unwinds instead");
}
