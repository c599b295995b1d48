//! The marks around the parse of mail SES stored (`parse_guard`): an attempt that ended inside
//! the parser (an aborting panic on Lambda, memory, time) makes the retry record the message
//! `rejected` with `parser-failed` instead of parsing it again; a parse that returned leaves a
//! mark that lets the retry take the message in as usual.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use complaints_app::email_intake::{EmailIntake, EmailOutcome, Envelope, RawEmail};
use complaints_app::held_mail::{HeldMailStore, MemoryHeldMail};
use complaints_app::memory_objects::MemoryObjectStore;
use complaints_app::object_store::ObjectStore;
use complaints_app::parse_guard::{mark_key, mark_started};
use complaints_app::testing::{MemoryCaseStore, RecordingMailer, intake_service};
use complaints_email::Limits;

const RAW_KEY: &str = "inbound/0102abcdef";
const RAW: &[u8] = b"From: Jo Bloggs <jo@example.net>\r\nTo: complaints@example.org\r\nSubject: Bins\r\n\
Message-ID: <guard.1@mail.example.net>\r\nDate: Mon, 2 Mar 2026 09:00:00 +0000\r\n\r\nThe bins were missed again.\r\n";

fn monday() -> DateTime<Utc> {
    "2026-03-02T10:00:00Z".parse().expect("instant")
}

struct World {
    objects: Arc<MemoryObjectStore>,
    held: Arc<MemoryHeldMail>,
    mailer: Arc<RecordingMailer>,
    intake: EmailIntake,
}

async fn world() -> World {
    let objects = Arc::new(MemoryObjectStore::new());
    // As SES's S3 action leaves it before the function runs.
    objects.put(RAW_KEY, "message/rfc822", RAW.to_vec()).await.expect("raw kept");
    let held = Arc::new(MemoryHeldMail::new());
    let mailer = Arc::new(RecordingMailer::new());
    let intake = EmailIntake {
        intake: intake_service(Arc::new(MemoryCaseStore::new()), mailer.clone(), monday()),
        objects: objects.clone(),
        limits: Limits::default(),
        reply_token_key: Arc::from(&b"parse-guard-test-reply-token-key-32"[..]),
        held: held.clone(),
        raw_retention_days: Some(30),
    };
    World { objects, held, mailer, intake }
}

#[tokio::test]
async fn a_message_whose_last_parse_never_returned_is_rejected_as_parser_failed_without_parsing_again() {
    let w = world().await;
    // The last attempt wrote its mark and the process ended inside the parser.
    mark_started(&*w.objects, RAW_KEY).await.expect("mark");

    let ingested = w
        .intake
        .ingest(RawEmail { bytes: RAW, stored_at: Some(RAW_KEY) }, &Envelope::default())
        .await
        .expect("outcome");

    assert_eq!(ingested.outcome, EmailOutcome::Rejected { reason: "parser-failed".to_owned() });
    assert_eq!(ingested.raw_key, RAW_KEY);
    assert!(w.mailer.sent().is_empty(), "not parsed, so no case and nobody answered");
    let held = w.held.held_mail(monday(), 10).await.expect("held");
    assert_eq!(held.len(), 1);
    assert_eq!((held[0].reason.as_str(), held[0].raw_key.as_str()), ("parser-failed", RAW_KEY));
}

#[tokio::test]
async fn a_parse_that_returned_leaves_a_finished_mark_and_a_retry_takes_the_message_in_once() {
    let w = world().await;
    let stored = RawEmail { bytes: RAW, stored_at: Some(RAW_KEY) };

    let first = w.intake.ingest(stored, &Envelope::default()).await.expect("outcome");
    let EmailOutcome::Case { reference, duplicate: false, .. } = first.outcome else {
        panic!("expected a new case, got {:?}", first.outcome)
    };
    assert_eq!(w.objects.bytes(&mark_key(RAW_KEY)).as_deref(), Some(&b"finished"[..]));

    // Lambda delivers the event again (e.g. a later step failed): the same case, not a rejection.
    let again = w.intake.ingest(stored, &Envelope::default()).await.expect("outcome");
    assert!(
        matches!(&again.outcome, EmailOutcome::Case { reference: r, duplicate: true, .. } if *r == reference),
        "{:?}",
        again.outcome
    );
    assert_eq!(w.mailer.sent().len(), 1, "acknowledged once");
}

#[tokio::test]
async fn messages_kept_by_intake_itself_are_parsed_without_marks() {
    let w = world().await;
    let ingested =
        w.intake.ingest(RawEmail { bytes: RAW, stored_at: None }, &Envelope::default()).await.expect("outcome");
    assert_eq!(ingested.outcome.kind(), "case");
    assert_eq!(w.objects.bytes(&mark_key(&ingested.raw_key)), None, "the local inbox unwinds instead");
}
