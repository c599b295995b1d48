//! The SES v2 mailer against a moto server (`scripts/test-aws` starts one and sets `MOTO_URL`):
//! the raw MIME arrives with our headers, an unverified sender is refused for good, and the
//! configuration set goes with every send. Each test uses its own sender, so they run in parallel.

use std::sync::{Arc, Mutex};

use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_sesv2::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_sesv2::error::BoxError;
use complaints_app::ports::{MailError, Mailer};
use complaints_core::case::MessagePurpose;
use complaints_core::complaint::EmailAddress;
use complaints_core::reference::CaseRef;
use complaints_mail::{Mailbox, OutboundEmail, QueuedMessage};
use complaints_mail_ses::SesMailer;
use mail_parser::{HeaderValue, MessageParser};

/// SES v2 client settings for the moto server, or `None` when none was started (a failure under CI).
fn config() -> Option<aws_sdk_sesv2::config::Builder> {
    Some(aws_sdk_sesv2::config::Builder::from(&complaints_testkit::moto_sdk_config()?))
}

/// A sender at a domain no other test uses.
fn unique_sender() -> EmailAddress {
    EmailAddress::parse(&format!("complaints@ses-{}.example.org", uuid::Uuid::new_v4().simple())).expect("address")
}

fn email(from: &EmailAddress) -> OutboundEmail {
    let domain = from.as_str().rsplit_once('@').map(|(_, d)| d.to_owned()).expect("domain");
    let address = |text: &str| EmailAddress::parse(text).expect("address");
    OutboundEmail {
        message_id: format!("cmp-2026-00042.ack.{}@{domain}", uuid::Uuid::new_v4().simple()),
        date: "2026-11-25T10:00:00Z".parse().expect("date"),
        from: Mailbox::new(Some("Fictional Council Complaints"), from.clone()),
        reply_to: Some(Mailbox::new(None, address(&format!("replies@{domain}")))),
        to: vec![Mailbox::new(Some("Morag Fictional"), address("morag.fictional@example.org"))],
        subject: "We have received your complaint: CMP-2026-00042".to_owned(),
        text: "Your reference is CMP-2026-00042.".to_owned(),
        html: "<p>Your reference is CMP-2026-00042.</p>".to_owned(),
        auto_submitted: true,
        in_reply_to: Some("original.123@mail.example.org".to_owned()),
        case_ref: Some(CaseRef::new("CMP", 2026, 42).expect("reference")),
    }
}

fn queued(email: &OutboundEmail) -> QueuedMessage {
    QueuedMessage::from_email(email, MessagePurpose::Acknowledgement)
}

async fn verify(client: &Client, sender: &EmailAddress) {
    client.create_email_identity().email_identity(sender.as_str()).send().await.expect("verify the sender");
}

/// The raw MIME moto kept for messages from `sender` (moto keeps SES v2 mail under `ses`).
async fn sent_raw(sender: &EmailAddress) -> Vec<String> {
    let url = complaints_testkit::moto_url().expect("moto is running");
    let data = complaints_testkit::moto_state(&url).await;
    let messages = data["ses"]["RawMessage"].as_array().cloned().unwrap_or_default();
    messages
        .iter()
        .filter(|m| m["source"].as_str() == Some(sender.as_str()))
        .filter_map(|m| m["raw_data"].as_str().map(str::to_owned))
        .collect()
}

fn header_text<'a>(message: &'a mail_parser::Message<'a>, name: &'a str) -> Option<&'a str> {
    match message.header(name)? {
        HeaderValue::Text(text) => Some(text.as_ref()),
        _ => None,
    }
}

#[tokio::test]
async fn a_sent_message_arrives_as_our_own_mime_with_our_headers() {
    let Some(config) = config() else { return };
    let client = Client::from_conf(config.build());
    let sender = unique_sender();
    verify(&client, &sender).await;
    let outbound = email(&sender);

    let ses_id = SesMailer::new(client, None).send_and_identify(&queued(&outbound)).await.expect("send");

    let ses_id = ses_id.expect("SES returns its message id");
    assert!(ses_id.ends_with(&format!("@{}.amazonses.com", complaints_testkit::MOTO_REGION)), "{ses_id}");
    let raw = sent_raw(&sender).await;
    assert_eq!(raw.len(), 1, "exactly one message from this sender");
    let parsed = MessageParser::default().parse(raw[0].as_bytes()).expect("the raw message parses");
    assert_eq!(parsed.message_id(), Some(outbound.message_id.as_str()), "our Message-ID, not one SES made up");
    assert_eq!(parsed.in_reply_to().as_text(), outbound.in_reply_to.as_deref());
    let reply_to = parsed.reply_to().and_then(|r| r.first()).and_then(|a| a.address()).expect("Reply-To");
    assert_eq!(reply_to, outbound.reply_to.as_ref().expect("reply-to").address.as_str());
    assert_eq!(header_text(&parsed, "Auto-Submitted"), Some("auto-replied"));
    assert_eq!(header_text(&parsed, "X-Complaint-Reference"), Some("CMP-2026-00042"));
    assert_eq!(parsed.subject(), Some(outbound.subject.as_str()));
    assert_eq!(parsed.body_text(0).as_deref().map(str::trim), Some(outbound.text.as_str()));
}

#[tokio::test]
async fn an_unverified_sender_is_rejected_for_good() {
    let Some(config) = config() else { return };
    let client = Client::from_conf(config.build());
    let sender = unique_sender();

    match SesMailer::new(client, None).send(&queued(&email(&sender))).await {
        Err(MailError::Rejected(reason)) => {
            assert!(!reason.contains('@'), "the reason must not quote an address: {reason}")
        }
        other => panic!("an unverified sender must be Rejected, got {other:?}"),
    }
    assert!(sent_raw(&sender).await.is_empty(), "nothing was sent");
}

/// Keeps the body of every request the SDK transmits.
#[derive(Debug, Clone, Default)]
struct RecordBodies(Arc<Mutex<Vec<String>>>);

impl Intercept for RecordBodies {
    fn name(&self) -> &'static str {
        "RecordBodies"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let body =
            context.request().body().bytes().map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
        self.0.lock().map_err(|_| "poisoned")?.push(body);
        Ok(())
    }
}

#[tokio::test]
async fn the_configuration_set_goes_with_every_send() {
    let Some(config) = config() else { return };
    let bodies = RecordBodies::default();
    let client = Client::from_conf(config.interceptor(bodies.clone()).build());
    let sender = unique_sender();
    verify(&client, &sender).await;
    let set = format!("complaints-{}", uuid::Uuid::new_v4().simple());
    client.create_configuration_set().configuration_set_name(&set).send().await.expect("configuration set");

    SesMailer::new(client.clone(), Some(set.clone())).send(&queued(&email(&sender))).await.expect("send with the set");
    SesMailer::new(client, None).send(&queued(&email(&sender))).await.expect("send without a set");

    let sends: Vec<serde_json::Value> = bodies
        .0
        .lock()
        .expect("bodies")
        .iter()
        .filter_map(|b| serde_json::from_str::<serde_json::Value>(b).ok())
        .filter(|b| b.get("Content").is_some())
        .collect();
    let sets: Vec<Option<&str>> = sends.iter().map(|b| b["ConfigurationSetName"].as_str()).collect();
    assert_eq!(sets, [Some(set.as_str()), None]);
}

#[tokio::test]
async fn an_unreachable_endpoint_is_unavailable_and_retryable() {
    // Nothing listens on port 9 (discard) locally; no retries so the test is quick.
    let config = aws_sdk_sesv2::config::Builder::from(&complaints_testkit::sdk_config_at("http://127.0.0.1:9"))
        .retry_config(aws_sdk_sesv2::config::retry::RetryConfig::disabled())
        .build();
    let sender = unique_sender();
    match SesMailer::new(Client::from_conf(config), None).send(&queued(&email(&sender))).await {
        Err(MailError::Unavailable(_)) => {}
        other => panic!("expected Unavailable, got {other:?}"),
    }
}
