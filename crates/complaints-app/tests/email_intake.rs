//! Email intake end to end over the in-memory store: threading, hijack attempts, loops, bounces,
//! duplicates, quarantine, closed cases, and raw messages kept whatever the outcome.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use complaints_app::email_intake::{EmailIntake, EmailOutcome, Envelope, Ingested, RawEmail};
use complaints_app::held_mail::{HeldMailStore, MemoryHeldMail};
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
    held: Arc<MemoryHeldMail>,
    intake: EmailIntake,
}

fn monday() -> DateTime<Utc> {
    "2026-03-02T10:00:00Z".parse().expect("instant")
}

fn world() -> World {
    let store = Arc::new(MemoryCaseStore::new());
    let mailer = Arc::new(RecordingMailer::new());
    let objects = Arc::new(MemoryObjectStore::new());
    let held = Arc::new(MemoryHeldMail::new());
    let intake = EmailIntake {
        intake: intake_service(store.clone(), mailer.clone(), monday()),
        objects: objects.clone(),
        limits: Limits::default(),
        reply_token_key: Arc::from(TOKEN_KEY),
        held: held.clone(),
        raw_retention_days: Some(30),
    };
    World { store, mailer, objects, held, intake }
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

    // The complainant themself, with only the reference in the subject, joins their case when
    // the receiving service verified the sender (SES: DMARC, or SPF and DKIM).
    let own = mail("jo@example.net", "own.5@mail.example.net", "", &format!("About {reference}"), "An update.");
    let verified = Envelope { sender_verified: Some(true), ..Envelope::default() };
    let outcome = w.take_with(&own, &verified).await.outcome;
    assert!(matches!(&outcome, EmailOutcome::Correspondence { reference: r, .. } if *r == reference), "{outcome:?}");
}

#[tokio::test]
async fn a_subject_reference_from_an_unverified_sender_never_joins_even_with_the_partys_address() {
    let w = world();
    let reference = w.new_case("jo@example.net", "first.5b@mail.example.net").await;
    // Anyone can write jo's address in From: without SES's verdicts passing, or with none at all
    // (the local inbox folder), the subject reference only flags the new case.
    for (n, verified) in [Some(false), None].into_iter().enumerate() {
        let spoof = mail(
            "jo@example.net",
            &format!("spoof.5b.{n}@evil.example"),
            "",
            &format!("Re: {reference}"),
            "Send it all.",
        );
        let envelope = Envelope { sender_verified: verified, ..Envelope::default() };
        let new = match w.take_with(&spoof, &envelope).await.outcome {
            EmailOutcome::Case { reference: new, .. } => new,
            other => panic!("expected a new case for {verified:?}, got {other:?}"),
        };
        assert_ne!(new, reference);
        assert!(w.events(&new).await.contains(&CaseEvent::PossiblyAbout { reference: reference.to_string() }));
    }
}

#[tokio::test]
async fn a_reply_naming_the_message_id_ses_gave_our_acknowledgement_threads_to_its_case() {
    use complaints_app::ports::CaseStore;
    let w = world();
    let reference = w.new_case("jo@example.net", "first.ses@mail.example.net").await;
    // What delivery records after SES's SendEmail (outbound tests cover that it does).
    let ses_id = "0102018c-abcdef-000000@eu-west-2.amazonses.com";
    w.store.record_message(&complaints_email::index_message_id(ses_id), &reference).await.expect("record");
    // The reply's client quotes the header it saw, in whichever SES domain form.
    let reply = mail(
        "jo@example.net",
        "reply.ses@mail.example.net",
        "In-Reply-To: <0102018c-abcdef-000000@email.amazonses.com>\r\n",
        "Re: your complaint",
        "Still not fixed.",
    );
    let outcome = w.take(&reply).await.outcome;
    assert!(matches!(&outcome, EmailOutcome::Correspondence { reference: r, .. } if *r == reference), "{outcome:?}");
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

fn recipients_recorded(events: &[CaseEvent], message_id: &str) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            CaseEvent::EmailReceived { email } if email.message_id.as_deref() == Some(message_id) => {
                Some(email.recipients.clone())
            }
            _ => None,
        })
        .flatten()
        .collect()
}

#[tokio::test]
async fn a_second_delivery_for_another_of_our_addresses_adds_its_recipients_to_the_case() {
    let w = world();
    let bytes = mail("jo@example.net", "dup.10@mail.example.net", "Cc: housing@example.org\r\n", "Damp", "Damp flat.");
    let at = |ses: &str, to: &str| Envelope {
        ses_message_id: Some(ses.into()),
        recipients: vec![to.to_owned()],
        ..Envelope::default()
    };
    let first = w.take_with(&bytes, &at("ses-a", "complaints@example.org")).await;
    let EmailOutcome::Case { reference, .. } = first.outcome else { panic!("{:?}", first.outcome) };
    let mut second_copy = b"Received: from mx2.example.org\r\n".to_vec();
    second_copy.extend_from_slice(&bytes);
    let second = w.take_with(&second_copy, &at("ses-b", "Housing@example.org")).await;
    assert_eq!(
        second.outcome,
        EmailOutcome::Case { reference: reference.clone(), duplicate: true, acknowledged: false }
    );
    assert_eq!(
        recipients_recorded(&w.events(&reference).await, "dup.10@mail.example.net"),
        ["complaints@example.org", "housing@example.org"]
    );
    // Lambda's retry of the second delivery adds nothing more.
    w.take_with(&second_copy, &at("ses-b", "housing@example.org")).await;
    let records = w.events(&reference).await.iter().filter(|e| matches!(e, CaseEvent::EmailReceived { .. })).count();
    assert_eq!(records, 2, "the message and the one record of its second address");

    // Correspondence delivered twice does the same.
    let ours = w.ack_message_id();
    let reply =
        mail("jo@example.net", "reply.10@mail.example.net", &format!("In-Reply-To: <{ours}>\r\n"), "Re", "More.");
    w.take_with(&reply, &at("ses-c", "complaints@example.org")).await;
    let again = w.take_with(&reply, &at("ses-d", "housing@example.org")).await;
    assert!(matches!(again.outcome, EmailOutcome::Correspondence { duplicate: true, .. }), "{:?}", again.outcome);
    assert_eq!(
        recipients_recorded(&w.events(&reference).await, "reply.10@mail.example.net"),
        ["complaints@example.org", "housing@example.org"]
    );
}

#[tokio::test]
async fn a_message_with_a_thousand_attachments_records_the_first_hundred_and_a_count() {
    let w = world();
    let mut raw = String::from(
        "From: jo@example.net\r\nTo: complaints@example.org\r\nMessage-ID: <many.11@mail.example.net>\r\n\
Subject: photos\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nAll the photos.\r\n",
    );
    for n in 0..1_000 {
        let name = format!("{n:04}-{}.jpg", "x".repeat(190));
        raw.push_str(&format!(
            "--XX\r\nContent-Type: image/jpeg; name=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8{n:04}\r\n"
        ));
    }
    raw.push_str("--XX--\r\n");
    let EmailOutcome::Case { reference, .. } = w.take(raw.as_bytes()).await.outcome else { panic!("a case") };
    let record = w
        .events(&reference)
        .await
        .into_iter()
        .find_map(|e| match e {
            CaseEvent::EmailReceived { email } => Some(email),
            _ => None,
        })
        .expect("recorded");
    assert_eq!(record.attachments.len(), complaints_app::email_intake::MAX_LISTED_ATTACHMENTS);
    assert_eq!(record.attachments_not_listed, 900);
    let size = serde_json::to_vec(&record).expect("json").len();
    assert!(size < 200 * 1024, "the record is {size} bytes");
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
    w.objects.set_down(true);
    let bytes = mail("jo@example.net", "down.14@mail.example.net", "", "Bins", "Missed.");
    let result = w.intake.ingest(RawEmail { bytes: &bytes, stored_at: None }, &Envelope::default()).await;
    assert!(result.is_err());
    assert!(w.mailer.sent().is_empty());
    w.objects.set_down(false);
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
        held: Arc::new(complaints_app::held_mail::MemoryHeldMail::new()),
        raw_retention_days: None,
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

#[tokio::test]
async fn robots_rejected_mail_and_bounces_naming_no_case_are_held_for_staff_until_their_raw_mail_expires() {
    let w = world();
    let robot =
        mail("jo@example.net", "away.12@mail.example.net", "Auto-Submitted: auto-replied\r\n", "Out of office", "Away");
    let robot_key = w.take(&robot).await.raw_key;
    let rejected_key = w.take(b"").await.raw_key;
    let bounce = "From: MAILER-DAEMON@mx.example.net\r\nTo: complaints@example.org\r\nSubject: Undelivered\r\n\
Message-ID: <bounce.12@mx.example.net>\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n\
--B\r\nContent-Type: text/plain\r\n\r\nCould not deliver.\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\n\
Reporting-MTA: dns; mx.example.net\r\n\r\nFinal-Recipient: rfc822; x@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n\
--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <not-ours@elsewhere.example>\r\n--B--\r\n";
    let bounce_key = w.take(bounce.as_bytes()).await.raw_key;
    // A case is not held: it is on the case already.
    w.new_case("jo@example.net", "case.12@mail.example.net").await;
    // Lambda's retry of the robot records nothing twice.
    w.take(&robot).await;

    let held = w.held.held_mail(monday(), 100).await.expect("held");
    let mut seen: Vec<_> = held.iter().map(|h| (h.raw_key.clone(), h.outcome.as_str(), h.reason.as_str())).collect();
    seen.sort();
    let mut expected = vec![
        (robot_key, "robot", "auto-submitted"),
        (rejected_key, "rejected", "unreadable"),
        (bounce_key, "bounce", "bounce"),
    ];
    expected.sort();
    assert_eq!(seen, expected);
    let robot_record = held.iter().find(|h| h.outcome == "robot").expect("robot");
    assert_eq!(robot_record.from.as_deref(), Some("jo@example.net"));
    assert_eq!(robot_record.subject, "Out of office");
    assert_eq!(robot_record.message_id.as_deref(), Some("away.12@mail.example.net"));
    // The records expire with the raw mail (RawMailRetentionDays, 30 here).
    assert_eq!(robot_record.expires_at, Some(monday() + chrono::Duration::days(30)));
    assert!(w.held.held_mail(monday() + chrono::Duration::days(31), 100).await.expect("held").is_empty());
}

#[tokio::test]
async fn the_organisations_email_settings_set_the_limits() {
    let settings = complaints_core::email_settings::EmailSettings {
        max_message_mb: 5,
        max_attachment_mb: 2,
        max_attachments: 3,
        extra_blocked_extensions: vec!["DOCM".to_owned()],
    };
    let limits = complaints_app::email_intake::limits(&settings);
    assert_eq!((limits.max_message_bytes, limits.max_attachment_bytes, limits.max_attachments), (5 << 20, 2 << 20, 3));
    assert!(limits.blocked_extensions.contains(&"docm".to_owned()));
    assert!(limits.blocked_extensions.contains(&"exe".to_owned()), "the built-in list stays");
    let defaults = complaints_app::email_intake::limits(&complaints_core::email_settings::EmailSettings::default());
    assert_eq!(defaults, Limits::default());

    // And they apply: a 6 MB message is over a 5 MB limit.
    let w = world();
    let small = EmailIntake { limits, ..w.intake.clone() };
    let big = mail("jo@example.net", "big.13@mail.example.net", "", "Big", &"x".repeat(6 << 20));
    let outcome = small.ingest(RawEmail { bytes: &big, stored_at: None }, &Envelope::default()).await.expect("ingest");
    assert_eq!(outcome.outcome, EmailOutcome::Rejected { reason: "too-large".to_owned() });
}
