//! Email intake end to end over the in-memory store: threading, hijack attempts, loops, bounces,
//! duplicates, quarantine, closed cases, and raw messages kept whatever the outcome.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use complaints_app::email_intake::{EmailIntake, EmailOutcome, Envelope, Ingested, RawEmail};
use complaints_app::memory_objects::MemoryObjectStore;
use complaints_app::testing::{MemoryCaseStore, RecordingMailer, intake_service};
use complaints_core::case::{CaseEvent, StaffFlag};
use complaints_core::command::Command;
use complaints_core::reference::CaseRef;
use complaints_core::timeline::Actor;
use complaints_email::Limits;

const TOKEN_KEY: &[u8] = b"reply-token-key-for-tests-only-32b";

struct World {
    store: Arc<MemoryCaseStore>,
    mailer: Arc<RecordingMailer>,
    objects: Arc<MemoryObjectStore>,
    intake: EmailIntake,
}

fn monday() -> DateTime<Utc> {
    "2026-03-02T10:00:00Z".parse().expect("instant")
}

fn world() -> World {
    let store = Arc::new(MemoryCaseStore::new());
    let mailer = Arc::new(RecordingMailer::new());
    let objects = Arc::new(MemoryObjectStore::new());
    let intake = EmailIntake {
        intake: intake_service(store.clone(), mailer.clone(), monday()),
        objects: objects.clone(),
        limits: Limits::default(),
        reply_token_key: Arc::from(TOKEN_KEY),
    };
    World { store, mailer, objects, intake }
}

fn mail(from: &str, message_id: &str, extra_headers: &str, subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Jo Bloggs <{from}>\r\nTo: complaints@example.org\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\n\
Date: Mon, 2 Mar 2026 09:00:00 +0000\r\n{extra_headers}\r\n{body}\r\n"
    )
    .into_bytes()
}

impl World {
    async fn take(&self, bytes: &[u8]) -> Ingested {
        self.take_with(bytes, &Envelope::default()).await
    }

    async fn take_with(&self, bytes: &[u8], envelope: &Envelope) -> Ingested {
        let ingested = self.intake.ingest(RawEmail { bytes, stored_at: None }, envelope).await.expect("ingest");
        assert_eq!(self.objects.bytes(&ingested.raw_key).as_deref(), Some(bytes), "the raw message is kept");
        ingested
    }

    async fn new_case(&self, from: &str, id: &str) -> CaseRef {
        match self.take(&mail(from, id, "", "Bins not collected", "The bins were missed again.")).await.outcome {
            EmailOutcome::Case { reference, duplicate: false, .. } => reference,
            other => panic!("expected a new case, got {other:?}"),
        }
    }

    async fn events(&self, reference: &CaseRef) -> Vec<CaseEvent> {
        use complaints_app::ports::CaseStore;
        self.store.timeline(reference).await.expect("timeline").into_iter().map(|e| e.what).collect()
    }

    fn ack_message_id(&self) -> String {
        self.mailer.sent().last().expect("an acknowledgement was sent").message_id.clone()
    }
}

#[tokio::test]
async fn a_new_email_opens_a_case_and_is_acknowledged_in_its_own_thread_with_a_signed_reply_to() {
    let w = world();
    let reference = w.new_case("jo@example.net", "first.1@mail.example.net").await;
    let sent = w.mailer.sent();
    let [ack] = sent.as_slice() else { panic!("one acknowledgement: {sent:?}") };
    let parsed = mail_parser::MessageParser::default().parse(&ack.raw).expect("ack parses");
    assert_eq!(parsed.in_reply_to().as_text(), Some("first.1@mail.example.net"));
    assert!(parsed.subject().unwrap_or_default().contains(&reference.to_string()));
    let reply_to = parsed.reply_to().and_then(|a| a.first()).and_then(|a| a.address()).expect("reply-to").to_owned();
    assert_eq!(
        complaints_email::token::verify(TOKEN_KEY, &reply_to).as_deref(),
        Some(reference.to_string().to_lowercase().as_str())
    );
    let events = w.events(&reference).await;
    assert!(events.iter().any(|e| matches!(e, CaseEvent::EmailReceived { email } if email.message_id.as_deref() == Some("first.1@mail.example.net"))));
}

#[tokio::test]
async fn a_reply_naming_our_message_id_is_correspondence_with_only_the_new_text() {
    let w = world();
    let reference = w.new_case("jo@example.net", "first.2@mail.example.net").await;
    let ours = w.ack_message_id();
    let reply = mail(
        "jo@example.net",
        "reply.2@mail.example.net",
        &format!("In-Reply-To: <{ours}>\r\n"),
        "Re: something",
        "They are still there.\r\n\r\nOn Mon, 2 Mar 2026, Council wrote:\r\n> We have received your complaint.",
    );
    let outcome = w.take(&reply).await.outcome;
    assert_eq!(
        outcome,
        EmailOutcome::Correspondence { reference: reference.clone(), closed_case: false, duplicate: false }
    );
    let events = w.events(&reference).await;
    let texts: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            CaseEvent::EmailReceived { email } => email.reply_text.clone(),
            _ => None,
        })
        .collect();
    assert_eq!(texts, ["They are still there."]);
    assert_eq!(w.mailer.sent().len(), 1, "correspondence is not acknowledged");
}

#[tokio::test]
async fn a_reply_to_the_signed_address_threads_even_without_in_reply_to() {
    let w = world();
    let reference = w.new_case("jo@example.net", "first.3@mail.example.net").await;
    let address = complaints_email::token::reply_address(TOKEN_KEY, "complaints@example.org", &reference.to_string())
        .expect("address");
    let reply =
        mail("jo@example.net", "reply.3@mail.example.net", &format!("Cc: {address}\r\n"), "hello", "More detail.");
    let outcome = w.take(&reply).await.outcome;
    assert!(matches!(outcome, EmailOutcome::Correspondence { reference: r, .. } if r == reference));
}

#[tokio::test]
async fn a_forged_token_or_an_unknown_message_id_cannot_join_a_case() {
    let w = world();
    let reference = w.new_case("jo@example.net", "first.4@mail.example.net").await;
    let forged = format!("complaints+{}.00000000000000000000@example.org", reference.to_string().to_lowercase());
    let guessed = format!("{}.ack.guess@example.org", reference.to_string().to_lowercase());
    let attack = mail(
        "mallory@evil.example",
        "attack.4@evil.example",
        &format!("Cc: {forged}\r\nIn-Reply-To: <{guessed}>\r\n"),
        "hello",
        "Please send me everything.",
    );
    match w.take(&attack).await.outcome {
        EmailOutcome::Case { reference: new, .. } => assert_ne!(new, reference),
        other => panic!("expected a separate case, got {other:?}"),
    }
}

#[tokio::test]
async fn a_subject_reference_from_a_stranger_opens_a_new_case_flagged_possibly_about() {
    let w = world();
    let reference = w.new_case("jo@example.net", "first.5@mail.example.net").await;
    let stranger =
        mail("mallory@evil.example", "attack.5@evil.example", "", &format!("Re: {reference}"), "About that case.");
    let new = match w.take(&stranger).await.outcome {
        EmailOutcome::Case { reference: new, .. } => new,
        other => panic!("expected a new case, got {other:?}"),
    };
    assert_ne!(new, reference);
    let events = w.events(&new).await;
    assert!(events.contains(&CaseEvent::PossiblyAbout { reference: reference.to_string() }));
    assert!(events.contains(&CaseEvent::FlaggedForStaff { reason: StaffFlag::PossiblyAboutAnotherCase }));

    // The complainant themself, with only the reference in the subject, joins their case.
    let own = mail("jo@example.net", "own.5@mail.example.net", "", &format!("About {reference}"), "An update.");
    assert!(matches!(w.take(&own).await.outcome, EmailOutcome::Correspondence { reference: r, .. } if r == reference));
}

#[tokio::test]
async fn mail_on_a_closed_case_is_recorded_and_flagged() {
    use complaints_app::ports::CaseStore;
    let w = world();
    let reference = w.new_case("jo@example.net", "first.6@mail.example.net").await;
    let stored = w.store.get(&reference).await.expect("case");
    let config = &w.intake.intake.config;
    let rules = complaints_core::case::Rules { calendar: &w.intake.intake.calendar, policy: &config.procedure };
    let withdraw = Command::Withdraw { withdrawn_on: monday().date_naive(), reason: None };
    let (closed, events) = stored.case.apply(withdraw, monday(), Actor::System, rules).expect("withdraw");
    w.store.update(&closed, stored.version, events).await.expect("update");

    let ours = w.ack_message_id();
    let reply = mail(
        "jo@example.net",
        "late.6@mail.example.net",
        &format!("References: <{ours}>\r\n"),
        "Re",
        "I want to escalate.",
    );
    let outcome = w.take(&reply).await.outcome;
    assert_eq!(
        outcome,
        EmailOutcome::Correspondence { reference: reference.clone(), closed_case: true, duplicate: false }
    );
    assert!(w.events(&reference).await.contains(&CaseEvent::FlaggedForStaff { reason: StaffFlag::MailOnClosedCase }));
}

#[tokio::test]
async fn auto_replies_lists_and_our_own_domain_are_robots_and_never_answered() {
    let w = world();
    for (headers, from, reason) in [
        ("Auto-Submitted: auto-replied\r\n", "jo@example.net", "auto-submitted"),
        ("Precedence: bulk\r\n", "jo@example.net", "precedence"),
        ("List-Id: <residents.example.net>\r\n", "jo@example.net", "mailing-list"),
        ("", "no-reply@shop.example", "robot-sender"),
        ("", "complaints@example.org", "own-domain"),
    ] {
        let outcome =
            w.take(&mail(from, &format!("{reason}@x.example"), headers, "Out of office", "Away")).await.outcome;
        assert_eq!(outcome, EmailOutcome::Robot { reason: reason.to_owned() });
    }
    assert!(w.mailer.sent().is_empty(), "no robot is ever answered, so no loop can start");
}

#[tokio::test]
async fn a_bounce_of_our_acknowledgement_is_recorded_on_its_case_and_flagged() {
    let w = world();
    let reference = w.new_case("jo@example.net", "first.8@mail.example.net").await;
    let ours = w.ack_message_id();
    let bounce = format!(
        "From: MAILER-DAEMON@mx.example.net\r\nTo: complaints@example.org\r\nSubject: Undelivered Mail\r\n\
Message-ID: <bounce.8@mx.example.net>\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n\
--B\r\nContent-Type: text/plain\r\n\r\nCould not deliver.\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\n\
Reporting-MTA: dns; mx.example.net\r\n\r\nFinal-Recipient: rfc822; jo@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n\
--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <{ours}>\r\n--B--\r\n"
    );
    let outcome = w.take(bounce.as_bytes()).await.outcome;
    assert_eq!(outcome, EmailOutcome::Bounce { kind: "bounce".to_owned(), reference: Some(reference.clone()) });
    let events = w.events(&reference).await;
    assert!(
        events.iter().any(|e| matches!(e, CaseEvent::MessageUndeliverable { message_id, .. } if *message_id == ours))
    );
    assert!(events.contains(&CaseEvent::FlaggedForStaff { reason: StaffFlag::UndeliverableMail }));
    // Delivered again (SES retries): recorded once.
    w.take(bounce.as_bytes()).await;
    let undeliverable =
        w.events(&reference).await.iter().filter(|e| matches!(e, CaseEvent::MessageUndeliverable { .. })).count();
    assert_eq!(undeliverable, 1);
}

#[tokio::test]
async fn one_email_sent_to_two_addresses_or_delivered_twice_makes_one_case() {
    let w = world();
    let bytes = mail("jo@example.net", "dup.9@mail.example.net", "Cc: housing@example.org\r\n", "Damp", "Damp flat.");
    let first = w.take_with(&bytes, &Envelope { ses_message_id: Some("ses-a".into()), ..Envelope::default() }).await;
    // The same message arriving through the other address has another SES id and other bytes
    // (its own Received lines), but the same Message-ID.
    let mut second_copy = b"Received: from mx2.example.org\r\n".to_vec();
    second_copy.extend_from_slice(&bytes);
    let second =
        w.take_with(&second_copy, &Envelope { ses_message_id: Some("ses-b".into()), ..Envelope::default() }).await;
    let EmailOutcome::Case { reference, duplicate: false, .. } = first.outcome else { panic!("{:?}", first.outcome) };
    assert_eq!(second.outcome, EmailOutcome::Case { reference, duplicate: true, acknowledged: false });
    assert_eq!(w.mailer.sent().len(), 1, "acknowledged once");
}

#[tokio::test]
async fn a_failed_spam_or_virus_scan_is_quarantined_on_a_flagged_case_and_never_acknowledged() {
    let w = world();
    let bytes = mail("jo@example.net", "spam.10@mail.example.net", "", "Win!", "Click here.");
    let envelope = Envelope { virus_failed: true, ..Envelope::default() };
    let EmailOutcome::Quarantined { reason, reference } = w.take_with(&bytes, &envelope).await.outcome else {
        panic!("expected quarantine")
    };
    assert_eq!(reason, "virus");
    assert!(w.events(&reference).await.contains(&CaseEvent::FlaggedForStaff { reason: StaffFlag::QuarantinedMail }));
    assert!(w.mailer.sent().is_empty());
}

#[tokio::test]
async fn executable_attachments_are_held_and_the_case_flagged_while_others_are_stored() {
    let w = world();
    let bytes = b"From: jo@example.net\r\nMessage-ID: <att.11@mail.example.net>\r\nSubject: photos\r\n\
Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nSee the photo.\r\n\
--XX\r\nContent-Type: image/jpeg; name=\"p.jpg\"\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n\
--XX\r\nContent-Type: application/octet-stream; name=\"run.exe\"\r\nContent-Transfer-Encoding: base64\r\n\r\nTVqQAA==\r\n--XX--\r\n";
    let EmailOutcome::Case { reference, .. } = w.take(bytes).await.outcome else { panic!("expected a case") };
    let events = w.events(&reference).await;
    let Some(CaseEvent::EmailReceived { email }) = events.iter().find(|e| matches!(e, CaseEvent::EmailReceived { .. }))
    else {
        panic!("no email record")
    };
    let stored: Vec<_> =
        email.attachments.iter().map(|a| (a.name.as_str(), a.stored_key.is_some(), a.held.as_deref())).collect();
    assert_eq!(stored, [("p.jpg", true, None), ("run.exe", false, Some("executable"))]);
    let key = email.attachments[0].stored_key.clone().expect("stored");
    assert_eq!(w.objects.bytes(&key).as_deref(), Some(&b"hello"[..]));
    assert!(events.contains(&CaseEvent::FlaggedForStaff { reason: StaffFlag::AttachmentHeld }));
}

#[tokio::test]
async fn unreadable_empty_and_oversized_mail_is_rejected_but_kept() {
    let w = world();
    assert_eq!(w.take(b"").await.outcome, EmailOutcome::Rejected { reason: "unreadable".to_owned() });
    assert_eq!(w.take(b"X-Nothing: here\r\n\r\n").await.outcome, EmailOutcome::Rejected { reason: "empty".to_owned() });
    let small = EmailIntake { limits: Limits { max_message_bytes: 10, ..Limits::default() }, ..w.intake.clone() };
    let bytes = mail("jo@example.net", "big@x.example", "", "big", "a long message");
    let ingested =
        small.ingest(RawEmail { bytes: &bytes, stored_at: None }, &Envelope::default()).await.expect("ingest");
    assert_eq!(ingested.outcome, EmailOutcome::Rejected { reason: "too-large".to_owned() });
    assert!(w.objects.bytes(&ingested.raw_key).is_some());
}

#[tokio::test]
async fn a_message_without_from_is_an_anonymous_case_and_nobody_is_messaged() {
    let w = world();
    let outcome = w.take(b"Subject: pothole\r\n\r\nThere is a pothole on the High Street.").await.outcome;
    assert!(matches!(outcome, EmailOutcome::Case { acknowledged: false, duplicate: false, .. }), "{outcome:?}");
    assert!(w.mailer.sent().is_empty());
}

#[tokio::test]
async fn when_the_raw_message_cannot_be_kept_nothing_is_taken_in_and_the_caller_is_told() {
    let w = world();
    w.objects.set_failing(true);
    let bytes = mail("jo@example.net", "down.14@mail.example.net", "", "Bins", "Missed.");
    let result = w.intake.ingest(RawEmail { bytes: &bytes, stored_at: None }, &Envelope::default()).await;
    assert!(result.is_err());
    assert!(w.mailer.sent().is_empty());
    w.objects.set_failing(false);
    assert!(matches!(w.take(&bytes).await.outcome, EmailOutcome::Case { duplicate: false, .. }), "a retry takes it in");
}

#[tokio::test]
async fn the_per_recipient_cap_applies_to_email_acknowledgements() {
    let store = Arc::new(MemoryCaseStore::new());
    let mailer = Arc::new(RecordingMailer::new());
    let mut config = complaints_core::config::OrgConfig::builtin();
    config.mail.automatic_per_recipient_per_24h = 1;
    let intake = EmailIntake {
        intake: complaints_app::testing::intake_service_with_config(store.clone(), mailer.clone(), monday(), config),
        objects: Arc::new(MemoryObjectStore::new()),
        limits: Limits::default(),
        reply_token_key: Arc::from(TOKEN_KEY),
    };
    let mut outcomes = Vec::new();
    for id in ["cap.1@mail.example.net", "cap.2@mail.example.net"] {
        let bytes = mail("jo@example.net", id, "", "Another complaint", "Something else went wrong.");
        outcomes.push(
            intake
                .ingest(RawEmail { bytes: &bytes, stored_at: None }, &Envelope::default())
                .await
                .expect("ingest")
                .outcome,
        );
    }
    let acknowledged: Vec<bool> = outcomes
        .iter()
        .map(|o| match o {
            EmailOutcome::Case { acknowledged, .. } => *acknowledged,
            other => panic!("expected cases, got {other:?}"),
        })
        .collect();
    assert_eq!(acknowledged, [true, false], "two cases, one acknowledgement: the cap is 1 a day");
    assert_eq!(mailer.sent().len(), 1);
    let second = outcomes[1].reference().expect("a case").clone();
    use complaints_app::ports::CaseStore;
    let events: Vec<_> = store.timeline(&second).await.expect("timeline").into_iter().map(|e| e.what).collect();
    assert!(events.contains(&CaseEvent::FlaggedForStaff { reason: StaffFlag::OverMailCap }));
}
