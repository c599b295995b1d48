//! Intake end to end over the in-memory store and the recording mailer: references, the
//! acknowledgement, idempotency, anonymous complaints and mail failures.

use std::io::Write;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeZone, Utc};
use complaints_app::contact::contact_key;
use complaints_app::intake::{IntakeError, IntakeReceipt, IntakeRequest, IntakeService};
use complaints_app::ports::CaseStore;
use complaints_app::testing::{
    MailFailure, MemoryCaseStore, RecordingMailer, TEST_CONTACT_KEY_SECRET, anonymous_complaint, intake_service,
    intake_service_with_config, sample_complaint,
};
use complaints_core::case::CaseEvent;
use complaints_core::complaint::{Channel, NewComplaint};
use complaints_core::config::OrgConfig;

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
    service: IntakeService,
}

fn harness_with(mailer: RecordingMailer, at: DateTime<Utc>, config: OrgConfig) -> Harness {
    let store = Arc::new(MemoryCaseStore::new());
    let mailer = Arc::new(mailer);
    let service = intake_service_with_config(store.clone(), mailer.clone(), at, config);
    Harness { store, mailer, service }
}

fn harness() -> Harness {
    harness_with(RecordingMailer::new(), monday(), OrgConfig::builtin())
}

async fn submit(service: &IntakeService, complaint: NewComplaint, source_key: Option<&str>) -> IntakeReceipt {
    service
        .submit(IntakeRequest { complaint, source_key: source_key.map(str::to_owned) })
        .await
        .expect("intake succeeds")
}

async fn ack_events(store: &MemoryCaseStore, receipt: &IntakeReceipt) -> Vec<CaseEvent> {
    let timeline = store.timeline(&receipt.reference).await.expect("timeline");
    timeline
        .into_iter()
        .map(|event| event.what)
        .filter(|what| matches!(what, CaseEvent::AcknowledgementSent { .. } | CaseEvent::AcknowledgementFailed { .. }))
        .collect()
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

    let sent = h.mailer.sent();
    assert_eq!(sent.len(), 1);
    let email = &sent[0];
    let config = OrgConfig::builtin();
    assert_eq!(email.to.iter().map(|m| m.address.as_str()).collect::<Vec<_>>(), [JO]);
    assert_eq!(email.from.address.as_str(), config.mail.from);
    assert!(email.auto_submitted, "acknowledgements are Auto-Submitted (RFC 3834)");
    assert_eq!(email.case_ref.as_ref(), Some(&receipt.reference));
    let sender_domain = config.mail.from.rsplit_once('@').expect("domain").1;
    assert!(email.message_id.starts_with("cmp-2026-00001.ack."), "{}", email.message_id);
    assert!(email.message_id.ends_with(&format!("@{sender_domain}")), "{}", email.message_id);
    assert!(email.subject.contains("CMP-2026-00001") || email.text.contains("CMP-2026-00001"));

    let matched = h.store.case_for_message(&email.message_id).await.expect("lookup");
    assert_eq!(matched, Some(receipt.reference.clone()));
    assert_eq!(
        ack_events(&h.store, &receipt).await,
        [CaseEvent::AcknowledgementSent { message_id: email.message_id.clone() }]
    );
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
    assert_eq!(sent[0].in_reply_to.as_deref(), Some("CAF1234@mail.example.net"));
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
async fn a_failed_send_keeps_the_case_and_records_the_failure_for_a_retry() {
    for (failure, retryable) in [(MailFailure::Unavailable, true), (MailFailure::Rejected, false)] {
        let h = harness_with(RecordingMailer::failing(failure), monday(), OrgConfig::builtin());
        let receipt = submit(&h.service, sample_complaint(Channel::WebForm, Some(JO)), Some("web:fail")).await;
        assert!(!receipt.acknowledged, "{failure:?}");
        assert_eq!(receipt.reference.to_string(), "CMP-2026-00001", "{failure:?}");
        let stored = h.store.get(&receipt.reference).await.expect("case kept");
        assert_eq!(stored.version, 2, "{failure:?}: the failure was written to the case");
        assert_eq!(
            ack_events(&h.store, &receipt).await,
            [CaseEvent::AcknowledgementFailed { retryable }],
            "{failure:?}"
        );
    }
}

#[tokio::test]
async fn a_bad_sender_address_keeps_the_case_and_records_a_retryable_failure() {
    let mut config = OrgConfig::builtin();
    config.mail.from = "not an address".to_owned();
    let h = harness_with(RecordingMailer::new(), monday(), config);
    let receipt = submit(&h.service, sample_complaint(Channel::WebForm, Some(JO)), None).await;
    assert!(!receipt.acknowledged);
    assert!(h.mailer.sent().is_empty());
    assert_eq!(ack_events(&h.store, &receipt).await, [CaseEvent::AcknowledgementFailed { retryable: true }]);
}

#[tokio::test]
async fn a_bad_reference_prefix_is_a_configuration_error_and_stores_nothing() {
    let mut config = OrgConfig::builtin();
    config.organisation.reference_prefix = "bad-prefix".to_owned();
    let h = harness_with(RecordingMailer::new(), monday(), config);
    let result = h
        .service
        .submit(IntakeRequest { complaint: sample_complaint(Channel::WebForm, Some(JO)), source_key: None })
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
    assert!(text.contains("acknowledgement not sent"), "{text}");
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
