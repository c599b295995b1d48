//! The real `intake-email` bootstrap through a parse that ends the process, as a panic does on
//! Lambda (panic = "abort"): served by the Runtime API stand-in (`lambda-harness`) against moto,
//! with the raw message in S3 as SES's S3 action leaves it. Each attempt is a new process, as
//! Lambda starts a new environment after a crash. The message is our own fuzz finding that
//! reaches a `debug_assert!` in mail-parser 0.11.9, so it panics in this test build (debug
//! assertions on); `INTAKE_EMAIL_TEST_PANIC_ABORT` makes that panic abort the bootstrap, a switch
//! compiled out of release builds. Runs in the nextest suite when `MOTO_URL` is set (required
//! under `CI`); docs/email.md, "Parser panics".

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_ssm::types::ParameterType;
use complaints_app::held_mail::HeldMailStore;
use complaints_app::object_store::ObjectStore;
use complaints_app::parse_guard::mark_key;
use complaints_s3::{S3ObjectStore, s3_client};
use complaints_store_dynamodb::DynamoDbCaseStore;
use lambda_harness::{HarnessError, Launch, Outcome, RuntimeApi};
use serde_json::Value;

const TIMEOUT: Duration = Duration::from_secs(60);
const EVENT: &str = include_str!("data/ses-lambda-event.json");
/// The input of complaints-app's `email_parser_panic.rs`: a message/rfc822 part whose body is
/// another bare message/rfc822 header block, inside a multipart that then ends.
const PARSER_PANICS: &[u8] = b"From: a@b.example\r\n\
Content-Type: multipart/mixed; boundary=\"A\"\r\n\r\n--A\r\nContent-Type: message/rfc822\r\n\r\n\
Content-Type: message/rfc822\r\n\r\nContent-Type: text/plain\r\n\r\nhi\r\n--A--\r\n";
const PREFIX: &str = "inbound/";

/// One attempt: a fresh bootstrap process takes the event once.
fn attempt(launch: &Launch, event: &[u8]) -> Result<Outcome, HarnessError> {
    let mut api = RuntimeApi::start().unwrap();
    // Dropped at the end: a process still running is stopped.
    let mut process = launch.spawn(&api.address()).unwrap();
    api.wait_first_next(TIMEOUT, &mut || process.is_running())?;
    api.invoke(event, TIMEOUT, &mut || process.is_running()).map(|timed| timed.value)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_abort_inside_the_parser_in_the_real_bootstrap_ends_as_parser_failed_with_the_raw_kept() {
    if !cfg!(debug_assertions) {
        // Without debug assertions mail-parser does not panic on this input and the bootstrap
        // has no switch to abort: nothing here to test (the memory store tests still run).
        eprintln!("skipped: needs a build with debug assertions (the test profile)");
        return;
    }
    let Some(moto) = complaints_testkit::moto_url() else { return };
    let aws = complaints_testkit::sdk_config_at(&moto);
    let run = {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
        format!("{}-{}", std::process::id(), nanos % 1_000_000_000)
    };

    let ssm = aws_sdk_ssm::Client::new(&aws);
    let (contact_param, reply_param) = (format!("/abort-it/{run}/contact"), format!("/abort-it/{run}/reply"));
    for (name, value) in [(&contact_param, "c".repeat(64)), (&reply_param, "r".repeat(64))] {
        ssm.put_parameter().name(name).value(value).r#type(ParameterType::SecureString).send().await.unwrap();
    }
    let (s3, bucket) = (s3_client(&aws), format!("intake-email-abort-{run}"));
    let here = aws_sdk_s3::types::BucketLocationConstraint::EuWest2;
    let location = aws_sdk_s3::types::CreateBucketConfiguration::builder().location_constraint(here).build();
    s3.create_bucket().bucket(&bucket).create_bucket_configuration(location).send().await.unwrap();
    let objects = S3ObjectStore::new(s3, bucket.clone());
    let ses_id = format!("abort0{}", run.replace('-', "0"));
    let raw_key = format!("{PREFIX}{ses_id}");
    // As SES's S3 action leaves it before invoking the function.
    objects.put(&raw_key, "message/rfc822", PARSER_PANICS.to_vec()).await.unwrap();
    let dynamodb = aws_sdk_dynamodb::Client::new(&aws);
    let table = format!("intake-email-abort-{run}");
    complaints_store_dynamodb::create_table(&dynamodb, &table).await.unwrap();
    let mut event: Value = serde_json::from_str(EVENT).unwrap();
    event["Records"][0]["ses"]["mail"]["messageId"] = ses_id.clone().into();
    let event = serde_json::to_vec(&event).unwrap();

    let mut launch = Launch::new(Path::new(env!("CARGO_BIN_EXE_intake-email")))
        .env("INTAKE_EMAIL_TEST_PANIC_ABORT", "1")
        .env("AWS_ENDPOINT_URL", &moto)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", complaints_testkit::MOTO_REGION)
        .env("TABLE_NAME", &table)
        .env("SENDER", "complaints@example.org")
        .env("ORG_NAME", "Example Council")
        .env("REFERENCE_PREFIX", "EXC")
        .env("CONTACT_KEY_PARAM", &contact_param)
        .env("REPLY_TOKEN_KEY_PARAM", &reply_param)
        .env("MAIL_BUCKET", &bucket)
        .env("MAIL_PREFIX", PREFIX)
        .env("AWS_LAMBDA_LOG_LEVEL", "WARN");
    // The panic message and the runtime's logs go to a file, not the test output (kept when the
    // test fails, removed when it passes).
    let log = std::env::temp_dir().join(format!("intake-email-abort-{run}.log"));
    launch.log = Some(log.clone());
    let mark = async |expected: &str| {
        assert_eq!(String::from_utf8_lossy(&objects.get(&mark_key(&raw_key)).await.unwrap()), expected);
    };

    // Lambda's first attempt and its first retry: the process ends inside the parser, no answer.
    for expected in ["started", "started again"] {
        let ended = attempt(&launch, &event);
        assert!(matches!(ended, Err(HarnessError::Exited)), "the bootstrap should abort: {ended:?}");
        mark(expected).await;
    }

    // The second retry records the outcome without parsing, and the event succeeds.
    let answer = match attempt(&launch, &event).unwrap() {
        Outcome::Response(body) => serde_json::from_slice::<Value>(&body).unwrap(),
        Outcome::Error(body) => panic!("the function failed: {}", String::from_utf8_lossy(&body)),
    };
    assert_eq!(answer[0]["outcome"], "rejected", "{answer}");
    assert_eq!(answer[0]["reason"], "parser-failed", "{answer}");
    assert_eq!(answer[0]["ses_message_id"], ses_id.as_str(), "{answer}");
    mark("started again").await;

    assert_eq!(objects.get(&raw_key).await.unwrap(), PARSER_PANICS, "the raw message is kept");
    let store = DynamoDbCaseStore::new(dynamodb, table);
    let held = store.held_mail(chrono::Utc::now(), 10).await.unwrap();
    assert_eq!(held.len(), 1, "held once for staff");
    assert_eq!((held[0].outcome.as_str(), held[0].reason.as_str()), ("rejected", "parser-failed"));
    assert_eq!(held[0].raw_key, raw_key);
    let _ = std::fs::remove_file(log);
}
