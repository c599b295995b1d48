//! The real `mail-delivery` bootstrap, as cargo-lambda builds it, against the Runtime API
//! stand-in (`lambda-harness`) and moto: an acknowledgement left pending in DynamoDB (the mail
//! service was down when the complaint came in) is delivered through SES by one scheduled sweep,
//! exactly once. Run by `scripts/test-lambda`, which sets `MAIL_DELIVERY_BOOTSTRAP` and `MOTO_URL`.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_config::BehaviorVersion;
use complaints_app::intake::IntakeRequest;
use complaints_app::outbound::DeliveryState;
use complaints_app::ports::CaseStore;
use complaints_app::testing::{MailFailure, RecordingMailer, intake_service_with_config, sample_complaint};
use complaints_core::case::CaseEvent;
use complaints_core::complaint::Channel;
use complaints_core::config::OrgConfig;
use complaints_store_dynamodb::DynamoDbCaseStore;
use lambda_harness::{Launch, Outcome, RuntimeApi};
use serde_json::Value;

const TIMEOUT: Duration = Duration::from_secs(30);

/// Where the bootstrap and moto are; `None` (skip) only outside CI.
fn environment() -> Option<(PathBuf, String)> {
    match (std::env::var("MAIL_DELIVERY_BOOTSTRAP"), std::env::var("MOTO_URL")) {
        (Ok(bootstrap), Ok(moto)) => Some((PathBuf::from(bootstrap), moto)),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but MAIL_DELIVERY_BOOTSTRAP or MOTO_URL is not: run scripts/test-lambda"
            );
            eprintln!("not run: MAIL_DELIVERY_BOOTSTRAP and MOTO_URL are not set (run scripts/test-lambda)");
            None
        }
    }
}

fn run_id() -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    format!("{}-{}", std::process::id(), nanos % 1_000_000_000)
}

/// Raw messages moto's SES accepted from `sender`.
async fn sent_raw(moto: &str, sender: &str) -> Vec<String> {
    let data = complaints_testkit::moto_state(moto).await;
    data["ses"]["RawMessage"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["source"].as_str().is_some_and(|s| s.contains(sender)))
        .filter_map(|m| m["raw_data"].as_str().map(str::to_owned))
        .collect()
}

fn swept(outcome: Outcome) -> Value {
    match outcome {
        Outcome::Response(body) => serde_json::from_slice(&body).unwrap(),
        Outcome::Error(body) => panic!("the sweep failed: {}", String::from_utf8_lossy(&body)),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_scheduled_sweep_delivers_a_pending_acknowledgement_through_ses_exactly_once() {
    let Some((bootstrap, moto)) = environment() else { return };
    let run = run_id();
    let aws = aws_config::defaults(BehaviorVersion::latest())
        .http_client(complaints_aws::https_client(complaints_aws::TrustRoots::Amazon).unwrap())
        .load()
        .await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&aws);
    let table = format!("mail-delivery-it-{run}");
    complaints_store_dynamodb::create_table(&dynamodb, &table).await.unwrap();
    let domain = format!("md-{run}.example.org");
    aws_sdk_sesv2::Client::new(&aws).create_email_identity().email_identity(&domain).send().await.unwrap();
    let sender = format!("complaints@{domain}");

    // A complaint taken in an hour ago while the mail service was down: its acknowledgement is
    // pending in the table, its first retry long due.
    let store = Arc::new(DynamoDbCaseStore::new(dynamodb, table.clone()));
    let mut config = OrgConfig::builtin();
    config.mail.from = sender.clone();
    let an_hour_ago = chrono::Utc::now() - chrono::Duration::hours(1);
    let intake = intake_service_with_config(
        store.clone(),
        Arc::new(RecordingMailer::failing(MailFailure::Unavailable)),
        an_hour_ago,
        config,
    );
    let complaint = sample_complaint(Channel::WebForm, Some(&format!("jo.{run}@example.org")));
    let receipt = intake.submit(IntakeRequest { complaint, source_key: None, possible_spam: false }).await.unwrap();
    let timeline = store.timeline(&receipt.reference).await.unwrap();
    let message_id = timeline
        .iter()
        .find_map(|e| match &e.what {
            CaseEvent::MessageQueued { message_id, .. } => Some(message_id.clone()),
            _ => None,
        })
        .expect("the acknowledgement was queued");
    assert_eq!(store.message(&message_id).await.unwrap().unwrap().state, DeliveryState::Pending);
    assert!(sent_raw(&moto, &sender).await.is_empty());

    let mut launch = Launch::new(&bootstrap)
        .envs(complaints_testkit::moto_process_env(&moto))
        .env("TABLE_NAME", &table)
        .env("AWS_LAMBDA_LOG_LEVEL", "INFO");
    launch.log = Some(std::env::temp_dir().join(format!("mail-delivery-{run}.log")));
    let mut api = RuntimeApi::start().unwrap();
    let mut process = launch.spawn(&api.address()).unwrap();
    let mut alive = || process.is_running();
    api.wait_first_next(TIMEOUT, &mut alive).unwrap();

    let event = br#"{"scheduledTime":"2026-12-01T08:00:00Z"}"#;
    let first = swept(api.invoke(event, TIMEOUT, &mut alive).unwrap().value);
    assert_eq!(first["sent"], 1, "{first}");
    let raw = sent_raw(&moto, &sender).await;
    assert_eq!(raw.len(), 1);
    assert!(raw[0].contains(&message_id), "SES got our bytes, with our Message-ID");
    assert!(matches!(store.message(&message_id).await.unwrap().unwrap().state, DeliveryState::Sent { .. }));
    let timeline = store.timeline(&receipt.reference).await.unwrap();
    assert!(
        timeline.iter().any(|e| matches!(&e.what, CaseEvent::MessageSent { message_id: id, .. } if *id == message_id))
    );

    let second = swept(api.invoke(event, TIMEOUT, &mut alive).unwrap().value);
    assert_eq!(second["sent"], 0, "{second}");
    assert_eq!(sent_raw(&moto, &sender).await.len(), 1, "exactly once");
    drop(alive);
    process.stop();
}
