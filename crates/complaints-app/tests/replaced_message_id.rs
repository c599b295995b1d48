//! SES replaces the Message-ID of what we send with its own: delivery records the id the mail
//! service returns, so a reply or a bounce that names it still finds the case.

use std::sync::Arc;

use async_trait::async_trait;
use complaints_app::email_intake::{EmailIntake, EmailOutcome, Envelope, RawEmail};
use complaints_app::held_mail::MemoryHeldMail;
use complaints_app::memory_objects::MemoryObjectStore;
use complaints_app::ports::{CaseStore, MailError, Mailer};
use complaints_app::testing::{MemoryCaseStore, RecordingMailer, intake_service};
use complaints_core::case::CaseEvent;
use complaints_email::Limits;
use complaints_mail::QueuedMessage;

/// Sends like SES: keeps the message and answers with an id of its own making.
struct SesLikeMailer {
    inner: RecordingMailer,
}

fn ses_id(message: &QueuedMessage) -> String {
    let short: String = message.message_id.chars().filter(char::is_ascii_alphanumeric).take(20).collect();
    format!("0102{short}-000000@eu-west-2.amazonses.com")
}

#[async_trait]
impl Mailer for SesLikeMailer {
    async fn send(&self, message: &QueuedMessage) -> Result<(), MailError> {
        self.inner.send(message).await
    }

    async fn send_and_identify(&self, message: &QueuedMessage) -> Result<Option<String>, MailError> {
        self.inner.send(message).await?;
        Ok(Some(ses_id(message)))
    }
}

async fn take(intake: &EmailIntake, bytes: &[u8]) -> EmailOutcome {
    intake.ingest(RawEmail { bytes, stored_at: None }, &Envelope::default()).await.expect("ingest").outcome
}

#[tokio::test]
async fn a_reply_and_a_bounce_naming_the_id_ses_gave_our_acknowledgement_find_its_case() {
    let store = Arc::new(MemoryCaseStore::new());
    let mailer = Arc::new(SesLikeMailer { inner: RecordingMailer::new() });
    let now = "2026-03-02T10:00:00Z".parse().expect("instant");
    let intake = EmailIntake {
        intake: intake_service(store.clone(), mailer.clone(), now),
        objects: Arc::new(MemoryObjectStore::new()),
        limits: Limits::default(),
        reply_token_key: Arc::from(&b"replaced-id-test-reply-token-key-32"[..]),
        held: Arc::new(MemoryHeldMail::new()),
        raw_retention_days: None,
    };
    let first =
        b"From: Jo <jo@example.net>\r\nTo: complaints@example.org\r\nMessage-ID: <first.ses@mail.example.net>\r\n\
Subject: Bins\r\n\r\nThe bins were missed.\r\n";
    let EmailOutcome::Case { reference, acknowledged: true, .. } = take(&intake, first).await else {
        panic!("a new, acknowledged case")
    };
    let sent = mailer.inner.sent();
    let ack = sent.last().expect("the acknowledgement went out");
    let header_id = ses_id(ack);
    // The store knows the id SES gave, in its indexed form.
    assert_eq!(
        store.case_for_message(&complaints_email::index_message_id(&header_id)).await.expect("lookup"),
        Some(reference.clone())
    );

    // The citizen's client quotes SES's header; a client behind another SES region form too.
    let local = header_id.split('@').next().expect("local part");
    let reply = format!(
        "From: Jo <jo@example.net>\r\nTo: complaints@example.org\r\nMessage-ID: <reply.ses@mail.example.net>\r\n\
In-Reply-To: <{local}@email.amazonses.com>\r\nSubject: Re: Bins\r\n\r\nStill not collected.\r\n"
    );
    let outcome = take(&intake, reply.as_bytes()).await;
    assert!(matches!(&outcome, EmailOutcome::Correspondence { reference: r, .. } if *r == reference), "{outcome:?}");

    let bounce = format!(
        "From: MAILER-DAEMON@mx.example.net\r\nTo: complaints@example.org\r\nSubject: Undelivered\r\n\
Message-ID: <bounce.ses@mx.example.net>\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n\
--B\r\nContent-Type: text/plain\r\n\r\nCould not deliver.\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\n\
Reporting-MTA: dns; mx.example.net\r\n\r\nFinal-Recipient: rfc822; jo@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n\
--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <{header_id}>\r\n--B--\r\n"
    );
    let outcome = take(&intake, bounce.as_bytes()).await;
    assert_eq!(outcome, EmailOutcome::Bounce { kind: "bounce".to_owned(), reference: Some(reference.clone()) });
    let timeline = store.timeline(&reference).await.expect("timeline");
    assert!(timeline.iter().any(|e| matches!(e.what, CaseEvent::MessageUndeliverable { .. })));
}
