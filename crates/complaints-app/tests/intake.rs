//! Intake end to end over the in-memory store and the recording mailer: references, the
//! acknowledgement through the durable outbound path, idempotency, anonymous complaints, the
//! per-recipient cap and mail failures.

use std::io::Write;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeZone, Utc};
use complaints_app::contact::contact_key;
use complaints_app::intake::{IntakeError, IntakeReceipt, IntakeRequest, IntakeService};
use complaints_app::outbound::{Delivery, DeliveryState};
use complaints_app::ports::CaseStore;
use complaints_app::testing::{
    MailFailure, ManualClock, MemoryCaseStore, RecordingMailer, TEST_CONTACT_KEY_SECRET, anonymous_complaint,
    intake_service, intake_service_with_config, sample_complaint,
};
use complaints_core::case::{CaseEvent, MessagePurpose, NotQueuedReason, StaffFlag};
use complaints_core::complaint::{Channel, NewComplaint};
use complaints_core::config::OrgConfig;
use complaints_mail::QueuedMessage;

const JO: &str = "jo.bloggs@example.net";

fn instant(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).single().expect("valid instant")
}

/// Monday 2 March 2026, 10:00: an ordinary working day.
fn monday() -> DateTime<Utc> {
    instant(2026, 3, 2, 10)
}

struct Harness {
    store: Arc<MemoryCaseStore>,
    mailer: Arc<RecordingMailer>,
    clock: Arc<ManualClock>,
    service: IntakeService,
}

impl Harness {
    fn clock_now(&self) -> DateTime<Utc> {
        use complaints_app::ports::Clock;
        self.clock.now()
    }

    fn delivery(&self) -> Delivery {
        Delivery::new(self.store.clone(), self.mailer.clone(), self.clock.clone())
    }
}

fn harness_with(mailer: RecordingMailer, at: DateTime<Utc>, config: OrgConfig) -> Harness {
    let store = Arc::new(MemoryCaseStore::new());
    let mailer = Arc::new(mailer);
    let clock = Arc::new(ManualClock::new(at));
    let mut service = intake_service_with_config(store.clone(), mailer.clone(), at, config);
    service.clock = clock.clone();
    Harness { store, mailer, clock, service }
}

fn parsed(message: &QueuedMessage) -> mail_parser::Message<'_> {
    mail_parser::MessageParser::default().parse(&message.raw).expect("the queued bytes are a message")
}

fn header<'a>(message: &'a mail_parser::Message<'a>, name: &'a str) -> Option<&'a str> {
    message.header(name).and_then(mail_parser::HeaderValue::as_text)
}

fn harness() -> Harness {
    harness_with(RecordingMailer::new(), monday(), OrgConfig::builtin())
}

async fn submit(service: &IntakeService, complaint: NewComplaint, source_key: Option<&str>) -> IntakeReceipt {
    service
        .submit(IntakeRequest { complaint, source_key: source_key.map(str::to_owned), possible_spam: false })
        .await
        .expect("intake succeeds")
}

async fn ack_events(store: &MemoryCaseStore, receipt: &IntakeReceipt) -> Vec<CaseEvent> {
    let timeline = store.timeline(&receipt.reference).await.expect("timeline");
    timeline
        .into_iter()
        .map(|event| event.what)
        .filter(|what| {
            matches!(
                what,
                CaseEvent::MessageQueued { .. }
                    | CaseEvent::MessageSent { .. }
                    | CaseEvent::MessageUndeliverable { .. }
                    | CaseEvent::MessageNotQueued { .. }
                    | CaseEvent::FlaggedForStaff { .. }
            )
        })
        .collect()
}

fn queued(message_id: &str) -> CaseEvent {
    CaseEvent::MessageQueued { message_id: message_id.to_owned(), purpose: MessagePurpose::Acknowledgement }
}

fn sent(message_id: &str) -> CaseEvent {
    CaseEvent::MessageSent { message_id: message_id.to_owned(), purpose: MessagePurpose::Acknowledgement }
}

#[tokio::test]
async fn new_cases_get_consecutive_references_in_the_year_of_receipt() {
    let h = harness();
    let first = submit(&h.service, sample_complaint(Channel::WebForm, Some(JO)), Some("web:1")).await;
    let second = submit(&h.service, sample_complaint(Channel::WebForm, Some(JO)), Some("web:2")).await;
    assert_eq!(first.reference.to_string(), "CMP-2026-00001");
    assert_eq!(second.reference.to_string(), "CMP-2026-00002");
    assert!(!first.duplicate && !second.duplicate);
    // R1, R7: received Monday 2 March 2026 (rule A, day 1) → stage 1 response due Friday 6 March.
    assert_eq!(first.response_due, chrono::NaiveDate::from_ymd_opt(2026, 3, 6).expect("date"));
    assert_eq!(first.handler, OrgConfig::builtin().organisation.default_handler);
}

#[tokio::test]
async fn a_weekend_receipt_on_new_years_eve_is_numbered_in_the_year_it_counts_from() {
    // Saturday 31 December 2022: the next working day is Wednesday 4 January 2023 (R8, R9, R10).
    let h = harness_with(RecordingMailer::new(), instant(2022, 12, 31, 12), OrgConfig::builtin());
    let receipt = submit(&h.service, sample_complaint(Channel::WebForm, Some(JO)), None).await;
    assert_eq!(receipt.reference.to_string(), "CMP-2023-00001");
}

#[tokio::test]
async fn the_acknowledgement_goes_to_the_complainant_with_our_message_id_which_is_recorded() {
    let h = harness();
    let receipt = submit(&h.service, sample_complaint(Channel::WebForm, Some(JO)), Some("web:ack")).await;
    assert!(receipt.acknowledged);

    let sent_mail = h.mailer.sent();
    assert_eq!(sent_mail.len(), 1);
    let email = &sent_mail[0];
    let config = OrgConfig::builtin();
    assert_eq!(email.to.iter().map(|a| a.as_str()).collect::<Vec<_>>(), [JO]);
    assert_eq!(email.from.as_str(), config.mail.from);
    assert_eq!(email.case_ref.as_ref(), Some(&receipt.reference));
    let sender_domain = config.mail.from.rsplit_once('@').expect("domain").1;
    assert!(email.message_id.starts_with("cmp-2026-00001.ack."), "{}", email.message_id);
    assert!(email.message_id.ends_with(&format!("@{sender_domain}")), "{}", email.message_id);
    let message = parsed(email);
    assert_eq!(message.message_id(), Some(email.message_id.as_str()), "the bytes carry the same Message-ID");
    assert_eq!(header(&message, "Auto-Submitted"), Some("auto-replied"), "RFC 3834");
    assert!(message.subject().is_some_and(|s| s.contains("CMP-2026-00001")), "the reference is in the subject");

    let matched = h.store.case_for_message(&email.message_id).await.expect("lookup");
    assert_eq!(matched, Some(receipt.reference.clone()));
    assert_eq!(ack_events(&h.store, &receipt).await, [queued(&email.message_id), sent(&email.message_id)]);
    let record = h.store.message(&email.message_id).await.expect("lookup").expect("kept");
    assert!(matches!(record.state, DeliveryState::Sent { .. }), "{:?}", record.state);
    assert_eq!(record.attempts, 1);
}

#[tokio::test]
async fn every_acknowledgement_has_its_own_message_id() {
    let h = harness();
    submit(&h.service, sample_complaint(Channel::WebForm, Some(JO)), None).await;
    submit(&h.service, sample_complaint(Channel::WebForm, Some(JO)), None).await;
    let ids: Vec<String> = h.mailer.sent().into_iter().map(|e| e.message_id).collect();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
}

#[tokio::test]
async fn an_emailed_complaint_is_acknowledged_in_its_own_thread() {
    let h = harness();
    let mut complaint = sample_complaint(Channel::Email, Some(JO));
    complaint.source_ref = Some("<CAF1234@mail.example.net>".to_owned());
    submit(&h.service, complaint, Some("email:CAF1234@mail.example.net")).await;
    let sent = h.mailer.sent();
    assert_eq!(parsed(&sent[0]).in_reply_to().as_text(), Some("CAF1234@mail.example.net"));
}

#[tokio::test]
async fn a_repeated_source_key_returns_the_same_case_and_sends_no_second_mail() {
    let h = harness();
    let first = submit(&h.service, sample_complaint(Channel::WebForm, Some(JO)), Some("web:same")).await;
    let repeat = submit(&h.service, sample_complaint(Channel::WebForm, Some(JO)), Some("web:same")).await;
    assert!(repeat.duplicate);
    assert!(!repeat.acknowledged, "a duplicate sends nothing");
    assert_eq!(repeat.reference, first.reference);
    assert_eq!(repeat.response_due, first.response_due);
    assert_eq!(h.mailer.sent().len(), 1);
    let next = submit(&h.service, sample_complaint(Channel::WebForm, Some(JO)), Some("web:other")).await;
    assert_eq!(next.reference.number(), 2, "the duplicate used no number");
}

#[tokio::test]
async fn complaints_without_an_email_address_are_stored_and_nobody_is_messaged() {
    let cases = [
        ("anonymous (R51)", anonymous_complaint(Channel::WebForm)),
        ("no email given", sample_complaint(Channel::Phone, None)),
    ];
    for (label, complaint) in cases {
        let h = harness();
        let receipt = submit(&h.service, complaint, None).await;
        assert!(!receipt.acknowledged, "{label}");
        assert!(h.mailer.sent().is_empty(), "{label}");
        let stored = h.store.get(&receipt.reference).await.expect("case stored");
        assert_eq!(stored.case.reference(), &receipt.reference, "{label}");
        assert!(ack_events(&h.store, &receipt).await.is_empty(), "{label}: no acknowledgement to record");
    }
}

#[tokio::test]
async fn a_mail_service_outage_keeps_the_acknowledgement_pending_and_a_later_sweep_sends_it_once() {
    let h = harness_with(RecordingMailer::failing(MailFailure::Unavailable), monday(), OrgConfig::builtin());
    let receipt = submit(&h.service, sample_complaint(Channel::WebForm, Some(JO)), Some("web:fail")).await;
    assert!(receipt.acknowledged, "queued: it will go out");
    assert_eq!(receipt.reference.to_string(), "CMP-2026-00001");
    let events = ack_events(&h.store, &receipt).await;
    let [CaseEvent::MessageQueued { message_id, .. }] = events.as_slice() else { panic!("{events:?}") };
    let pending = h.store.message(message_id).await.expect("lookup").expect("kept");
    assert_eq!((pending.state.clone(), pending.attempts), (DeliveryState::Pending, 1));
    assert_eq!(pending.next_attempt_at, monday() + chrono::Duration::seconds(30), "first retry after 30 seconds");
    h.clock.advance(chrono::Duration::seconds(10));
    assert_eq!(h.delivery().sweep().await.expect("sweep").total(), 0, "not due yet");

    // Still down when it is due: the wait grows.
    h.clock.advance(chrono::Duration::seconds(20));
    assert_eq!(h.delivery().sweep().await.expect("sweep").will_retry, 1);
    let pending = h.store.message(message_id).await.expect("lookup").expect("kept");
    assert_eq!(pending.next_attempt_at, h.clock_now() + chrono::Duration::minutes(2));

    // The service is back: the next sweep sends it, and later sweeps send nothing more.
    h.mailer.set_failure(None);
    h.clock.advance(chrono::Duration::minutes(2));
    assert_eq!(h.delivery().sweep().await.expect("sweep").sent, 1);
    assert_eq!(h.delivery().sweep().await.expect("sweep").total(), 0);
    h.clock.advance(chrono::Duration::hours(1));
    assert_eq!(h.delivery().sweep().await.expect("sweep").total(), 0);
    assert_eq!(h.mailer.sent().len(), 1, "exactly once");
    assert_eq!(ack_events(&h.store, &receipt).await, [queued(message_id), sent(message_id)]);
}

#[tokio::test]
async fn a_refused_acknowledgement_is_recorded_on_the_case_and_flagged_for_staff() {
    let h = harness_with(RecordingMailer::failing(MailFailure::Rejected), monday(), OrgConfig::builtin());
    let receipt = submit(&h.service, sample_complaint(Channel::WebForm, Some(JO)), Some("web:fail")).await;
    let events = ack_events(&h.store, &receipt).await;
    let Some(CaseEvent::MessageQueued { message_id, .. }) = events.first() else { panic!("{events:?}") };
    assert_eq!(
        events,
        [
            queued(message_id),
            CaseEvent::MessageUndeliverable {
                message_id: message_id.clone(),
                purpose: MessagePurpose::Acknowledgement,
                reason: "rejected".to_owned(),
            },
            CaseEvent::FlaggedForStaff { reason: StaffFlag::UndeliverableMail },
        ]
    );
    let record = h.store.message(message_id).await.expect("lookup").expect("kept");
    assert!(matches!(record.state, DeliveryState::Failed { .. }), "{:?}", record.state);
    h.mailer.set_failure(None);
    h.clock.advance(chrono::Duration::days(1));
    assert_eq!(h.delivery().sweep().await.expect("sweep").total(), 0, "a refused message is never retried");
}

#[tokio::test]
async fn repeated_outages_give_up_after_the_last_attempt_and_tell_staff() {
    let h = harness_with(RecordingMailer::failing(MailFailure::Unavailable), monday(), OrgConfig::builtin());
    let receipt = submit(&h.service, sample_complaint(Channel::WebForm, Some(JO)), None).await;
    for _ in 0..20 {
        h.clock.advance(chrono::Duration::hours(13));
        h.delivery().sweep().await.expect("sweep");
    }
    let events = ack_events(&h.store, &receipt).await;
    assert!(
        events.iter().any(|e| matches!(e, CaseEvent::MessageUndeliverable { reason, .. } if reason == "unavailable")),
        "{events:?}"
    );
    assert!(events.contains(&CaseEvent::FlaggedForStaff { reason: StaffFlag::UndeliverableMail }));
    let CaseEvent::MessageQueued { message_id, .. } = &events[0] else { panic!("{events:?}") };
    let record = h.store.message(message_id).await.expect("lookup").expect("kept");
    assert_eq!(record.attempts, 10, "the default policy's last attempt");
}

#[tokio::test]
async fn the_fourth_automatic_message_to_one_address_in_24_hours_is_not_sent_and_the_case_is_flagged() {
    let h = harness();
    for n in 1..=3 {
        let receipt = submit(&h.service, sample_complaint(Channel::WebForm, Some(JO)), None).await;
        assert!(receipt.acknowledged, "message {n} is within the default cap of 3");
    }
    let fourth = submit(&h.service, sample_complaint(Channel::WebForm, Some("JO.BLOGGS@example.net")), None).await;
    assert!(!fourth.acknowledged, "the cap counts the address however it is written");
    assert_eq!(
        ack_events(&h.store, &fourth).await,
        [
            CaseEvent::MessageNotQueued {
                purpose: MessagePurpose::Acknowledgement,
                reason: NotQueuedReason::RecipientCap
            },
            CaseEvent::FlaggedForStaff { reason: StaffFlag::OverMailCap },
        ]
    );
    h.store.get(&fourth.reference).await.expect("the complaint is kept");
    let other = submit(&h.service, sample_complaint(Channel::WebForm, Some("someone.else@example.net")), None).await;
    assert!(other.acknowledged, "another address has its own count");
    assert_eq!(h.mailer.sent().len(), 4);

    h.clock.advance(chrono::Duration::hours(24) + chrono::Duration::minutes(1));
    let next_day = submit(&h.service, sample_complaint(Channel::WebForm, Some(JO)), None).await;
    assert!(next_day.acknowledged, "24 hours later the address may be written to again");
}

#[tokio::test]
async fn the_cap_is_configurable_and_zero_turns_automatic_messages_off() {
    let mut config = OrgConfig::builtin();
    config.mail.automatic_per_recipient_per_24h = 0;
    let h = harness_with(RecordingMailer::new(), monday(), config);
    let receipt = submit(&h.service, sample_complaint(Channel::WebForm, Some(JO)), None).await;
    assert!(!receipt.acknowledged);
    assert!(h.mailer.sent().is_empty());
    assert_eq!(
        ack_events(&h.store, &receipt).await,
        [CaseEvent::MessageNotQueued {
            purpose: MessagePurpose::Acknowledgement,
            reason: NotQueuedReason::RecipientCap
        }],
        "recorded, but not flagged: turning automatic mail off is the organisation's choice"
    );
}

#[tokio::test]
async fn a_bad_sender_address_keeps_the_case_and_records_that_no_acknowledgement_was_queued() {
    let mut config = OrgConfig::builtin();
    config.mail.from = "not an address".to_owned();
    let h = harness_with(RecordingMailer::new(), monday(), config);
    let receipt = submit(&h.service, sample_complaint(Channel::WebForm, Some(JO)), None).await;
    assert!(!receipt.acknowledged);
    assert!(h.mailer.sent().is_empty());
    assert_eq!(
        ack_events(&h.store, &receipt).await,
        [CaseEvent::MessageNotQueued {
            purpose: MessagePurpose::Acknowledgement,
            reason: NotQueuedReason::SenderConfiguration
        }]
    );
}

#[tokio::test]
async fn a_bad_reference_prefix_is_a_configuration_error_and_stores_nothing() {
    let mut config = OrgConfig::builtin();
    config.organisation.reference_prefix = "bad-prefix".to_owned();
    let h = harness_with(RecordingMailer::new(), monday(), config);
    let result = h
        .service
        .submit(IntakeRequest {
            complaint: sample_complaint(Channel::WebForm, Some(JO)),
            source_key: None,
            possible_spam: false,
        })
        .await;
    assert!(matches!(result, Err(IntakeError::Config(_))), "{result:?}");
    let day = monday().date_naive();
    assert!(h.store.received_between(day, day + chrono::Days::new(30)).await.expect("query").is_empty());
    assert!(h.mailer.sent().is_empty());
}

#[tokio::test]
async fn the_case_is_found_by_the_keyed_hash_of_the_complainants_address() {
    let h = harness();
    let complaint = sample_complaint(Channel::WebForm, Some(JO));
    let key = contact_key(TEST_CONTACT_KEY_SECRET, Channel::WebForm, complaint.complainant.as_ref().expect("named"))
        .expect("an email address gives a key");
    let receipt = submit(&h.service, complaint, None).await;
    assert_eq!(h.store.find_by_contact(&key).await.expect("lookup"), [receipt.reference]);
}

/// Collects formatted log output for one test.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for LogBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn intake_logs_name_the_case_and_channel_but_never_the_complainant() {
    let logs = LogBuffer::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).finish();
    // A process-wide subscriber: a thread-local one can miss events whose callsites another test
    // thread already cached as uninteresting. Logs of concurrent tests land here too, which only
    // widens the privacy check below.
    tracing::subscriber::set_global_default(subscriber).expect("only this test sets a subscriber");

    for failure in [None, Some(MailFailure::Rejected)] {
        let mailer = RecordingMailer::new();
        mailer.set_failure(failure);
        let h = harness_with(mailer, monday(), OrgConfig::builtin());
        submit(&h.service, sample_complaint(Channel::WebForm, Some(JO)), Some("web:log")).await;
        submit(&h.service, sample_complaint(Channel::WebForm, Some(JO)), Some("web:log")).await;
    }

    let text = String::from_utf8(logs.0.lock().expect("log buffer").clone()).expect("utf-8 logs");
    assert!(text.contains("case opened") && text.contains("CMP-2026-00001") && text.contains("web-form"), "{text}");
    assert!(text.contains("message undeliverable"), "{text}");
    let complaint = sample_complaint(Channel::WebForm, Some(JO));
    let person = complaint.complainant.expect("named");
    for secret in [person.name.as_str(), JO, "jo.bloggs", complaint.description.as_str()] {
        assert!(!text.contains(secret), "logs contain personal data {secret:?}:\n{text}");
    }
}

#[tokio::test]
async fn the_test_service_uses_the_built_in_configuration() {
    let store = Arc::new(MemoryCaseStore::new());
    let service = intake_service(store, Arc::new(RecordingMailer::new()), monday());
    assert_eq!(*service.config, OrgConfig::builtin());
    assert_eq!(service.clock.now(), monday());
}
