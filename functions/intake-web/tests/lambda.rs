//! The real `intake-web` bootstrap, exactly as cargo-lambda builds it for Lambda, run against the
//! Runtime API stand-in (`lambda-harness`) and moto: API Gateway v2 events in, the case in DynamoDB
//! and the acknowledgement in SES out. Run by `scripts/test-lambda`, which builds the bootstrap,
//! starts moto and sets `INTAKE_WEB_BOOTSTRAP` and `MOTO_URL`.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_config::BehaviorVersion;
use aws_sdk_ssm::types::ParameterType;
use complaints_app::ports::CaseStore;
use complaints_core::reference::CaseRef;
use complaints_store_dynamodb::DynamoDbCaseStore;
use lambda_harness::{HarnessError, Launch, Outcome, RuntimeApi};
use serde_json::Value;

const TIMEOUT: Duration = Duration::from_secs(30);
/// An HTTP API (payload 2.0) request, `GET /`: complaints-web's fixture.
const EVENT: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../crates/complaints-web/tests/fixtures/apigw-v2-get-form.json");

/// Where the bootstrap and moto are; `None` (skip) only outside CI.
fn environment() -> Option<(PathBuf, String)> {
    match (std::env::var("INTAKE_WEB_BOOTSTRAP"), std::env::var("MOTO_URL")) {
        (Ok(bootstrap), Ok(moto)) => Some((PathBuf::from(bootstrap), moto)),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but INTAKE_WEB_BOOTSTRAP or MOTO_URL is not: run scripts/test-lambda"
            );
            eprintln!("skipped: INTAKE_WEB_BOOTSTRAP and MOTO_URL are not set (run scripts/test-lambda)");
            None
        }
    }
}

/// A name unique to this run, so runs can share one moto and filter its global state.
fn run_id() -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    format!("{}-{}", std::process::id(), nanos % 1_000_000_000)
}

/// The moto resources one run needs, and the function environment pointing at them.
struct Stack {
    table: String,
    sender: String,
    launch: Launch,
    dynamodb: aws_sdk_dynamodb::Client,
}

/// A service area only the organisation configuration in SSM offers (not a built-in one).
const ORG_ONLY_SERVICE_AREA: &str = "Parks and cemeteries";

async fn stack(bootstrap: &PathBuf, moto: &str, run: &str) -> Stack {
    let aws = aws_config::defaults(BehaviorVersion::latest())
        .http_client(complaints_aws::https_client(complaints_aws::TrustRoots::Amazon).unwrap())
        .load()
        .await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&aws);
    let table = format!("intake-web-it-{run}");
    complaints_store_dynamodb::create_table(&dynamodb, &table).await.unwrap();

    let ssm = aws_sdk_ssm::Client::new(&aws);
    let (contact_param, form_param) =
        (format!("/complaints-it/{run}/contact-key"), format!("/complaints-it/{run}/form-key"));
    for (name, value) in [(&contact_param, "c".repeat(64)), (&form_param, "f".repeat(64))] {
        ssm.put_parameter().name(name).value(value).r#type(ParameterType::SecureString).send().await.unwrap();
    }
    // The organisation's own configuration (the TOML `complaints serve --config` reads).
    let org_param = format!("/complaints-it/{run}/organisation");
    ssm.put_parameter()
        .name(&org_param)
        .value(format!("service_areas = [\"Bins and recycling\", \"{ORG_ONLY_SERVICE_AREA}\"]\n"))
        .r#type(ParameterType::String)
        .send()
        .await
        .unwrap();

    // A domain identity verifies every address at it (moto, like SES).
    let domain = format!("it-{run}.example.org");
    aws_sdk_sesv2::Client::new(&aws).create_email_identity().email_identity(&domain).send().await.unwrap();
    let sender = format!("complaints@{domain}");

    let log = std::env::temp_dir().join(format!("intake-web-{run}.log"));
    let mut launch = Launch::new(bootstrap)
        .envs(complaints_testkit::moto_process_env(moto))
        .env("TABLE_NAME", &table)
        .env("SENDER", &sender)
        .env("ORG_NAME", "Example Council")
        .env("REFERENCE_PREFIX", "EXC")
        .env("CONTACT_KEY_PARAM", &contact_param)
        .env("FORM_KEY_PARAM", &form_param)
        .env("ORG_CONFIG_PARAM", &org_param)
        .env("AWS_LAMBDA_LOG_LEVEL", "INFO");
    launch.log = Some(log);
    Stack { table, sender, launch, dynamodb }
}

/// The fixture event, turned into the request we want.
fn event(method: &str, path: &str, form_body: Option<&str>) -> Vec<u8> {
    let mut event: Value = serde_json::from_str(&std::fs::read_to_string(EVENT).unwrap()).unwrap();
    event["rawPath"] = path.into();
    event["requestContext"]["http"]["method"] = method.into();
    event["requestContext"]["http"]["path"] = path.into();
    event["headers"]["accept"] = "text/html".into();
    if let Some(body) = form_body {
        event["headers"]["content-type"] = "application/x-www-form-urlencoded".into();
        event["headers"]["content-length"] = body.len().to_string().into();
        event["body"] = body.into();
    }
    serde_json::to_vec(&event).unwrap()
}

/// The HTTP response inside the function's answer: status, headers, body.
fn http_response(outcome: Outcome) -> (u64, Value, String) {
    let body = match outcome {
        Outcome::Response(body) => body,
        Outcome::Error(body) => panic!("the function failed: {}", String::from_utf8_lossy(&body)),
    };
    let response: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(response["isBase64Encoded"], false, "text answers are not base64");
    let status = response["statusCode"].as_u64().unwrap();
    (status, response["headers"].clone(), response["body"].as_str().unwrap_or_default().to_owned())
}

/// The form token in the rendered form (attribute values are HTML-escaped).
fn form_token(html: &str) -> String {
    let marker = r#"name="token" value=""#;
    let start = html.find(marker).expect("the form has a token field") + marker.len();
    let raw = &html[start..start + html[start..].find('"').unwrap()];
    [("&#x2f;", "/"), ("&#x27;", "'"), ("&quot;", "\""), ("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&")]
        .iter()
        .fold(raw.to_owned(), |text, (entity, plain)| text.replace(entity, plain))
}

/// The reference in a confirmation redirect (`/confirmation?reference=EXC-2026-00001&...`).
fn redirected_reference(headers: &Value) -> CaseRef {
    let location = headers["location"].as_str().expect("a Location header");
    let query = location.split_once('?').map(|(_, q)| q).unwrap_or_default();
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
    let reference = pairs.iter().find(|(k, _)| k == "reference").map(|(_, v)| v.clone()).expect("a reference");
    reference.parse().unwrap()
}

/// Mail moto accepted from `sender`: (destinations, raw MIME or HTML body) per message.
async fn sent_mail(moto: &str, sender: &str) -> Vec<(String, String)> {
    let data = complaints_testkit::moto_state(moto).await;
    let mut found = Vec::new();
    for kind in ["RawMessage", "Message"] {
        for message in data["ses"][kind].as_array().into_iter().flatten() {
            if message["source"].as_str().is_some_and(|s| s.contains(sender)) {
                let text = message["raw_data"].as_str().or(message["body"].as_str()).unwrap_or_default();
                found.push((message["destinations"].to_string(), text.to_owned()));
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_serves_the_form_takes_in_a_complaint_once_and_acknowledges_it() {
    let Some((bootstrap, moto)) = environment() else { return };
    let run = run_id();
    let stack = stack(&bootstrap, &moto, &run).await;
    let complainant = format!("jo.{run}@example.org");
    let mut api = RuntimeApi::start().unwrap();
    let mut process = stack.launch.spawn(&api.address()).unwrap();
    let mut alive = || process.is_running();

    api.wait_first_next(TIMEOUT, &mut alive).unwrap();
    let (status, headers, html) =
        http_response(api.invoke(&event("GET", "/", None), TIMEOUT, &mut alive).unwrap().value);
    assert_eq!(status, 200, "{html}");
    assert!(headers["content-type"].as_str().unwrap().starts_with("text/html"));
    assert!(html.contains("Example Council"));
    assert!(html.contains(ORG_ONLY_SERVICE_AREA), "the form offers the configured service areas");
    assert!(!html.contains("Council tax and benefits"), "and only those");
    let token = form_token(&html);

    let form = serde_urlencoded::to_string([
        ("token", token.as_str()),
        ("name", "Jo Bloggs"),
        ("email", complainant.as_str()),
        ("service_area", "Bins and recycling"),
        ("description", "My bin was not collected for three weeks."),
    ])
    .unwrap();
    let post = event("POST", "/", Some(&form));
    let (status, headers, body) = http_response(api.invoke(&post, TIMEOUT, &mut alive).unwrap().value);
    assert_eq!(status, 303, "{body}");
    let reference = redirected_reference(&headers);
    assert_eq!(reference.prefix(), "EXC");

    // The browser sends the same form again (double click, back button): same case, no new mail.
    let (status, headers, _) = http_response(api.invoke(&post, TIMEOUT, &mut alive).unwrap().value);
    assert_eq!(status, 303);
    assert_eq!(redirected_reference(&headers), reference);

    let store = DynamoDbCaseStore::new(stack.dynamodb.clone(), stack.table.clone());
    let stored = store.get(&reference).await.unwrap();
    assert_eq!(stored.case.reference(), &reference);
    assert!(!store.timeline(&reference).await.unwrap().is_empty(), "the intake is on the case's timeline");

    let mail = sent_mail(&moto, &stack.sender).await;
    assert_eq!(mail.len(), 1, "one acknowledgement: {mail:?}");
    assert!(mail[0].0.contains(&complainant), "sent to the complainant: {}", mail[0].0);
    assert!(mail[0].1.contains(&reference.to_string()), "the acknowledgement quotes the reference");
    process.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_refuses_to_start_and_names_a_missing_variable() {
    let Some((bootstrap, moto)) = environment() else { return };
    let run = run_id();
    let mut launch = stack(&bootstrap, &moto, &run).await.launch;
    launch.env.remove("TABLE_NAME");
    let log = launch.log.clone().unwrap();
    let api = RuntimeApi::start().unwrap();
    let mut process = launch.spawn(&api.address()).unwrap();

    let outcome = api.wait_first_next(TIMEOUT, &mut || process.is_running());

    assert!(matches!(outcome, Err(HarnessError::Exited)), "{outcome:?}");
    assert_ne!(process.exit_code(), Some(0));
    let written = std::fs::read_to_string(log).unwrap();
    assert!(written.contains("TABLE_NAME"), "the log names the variable: {written}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_answers_503_while_ssm_is_unreachable_and_stays_up_to_try_again() {
    let Some((bootstrap, moto)) = environment() else { return };
    let run = run_id();
    // Nothing listens on port 9 (discard): every AWS call fails to connect.
    let launch = stack(&bootstrap, &moto, &run).await.launch.env("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    let log = launch.log.clone().unwrap();
    let mut api = RuntimeApi::start().unwrap();
    let mut process = launch.spawn(&api.address()).unwrap();
    let mut alive = || process.is_running();

    api.wait_first_next(TIMEOUT, &mut alive).unwrap();
    for attempt in 1..=2 {
        let (status, headers, html) =
            http_response(api.invoke(&event("GET", "/", None), TIMEOUT, &mut alive).unwrap().value);

        assert_eq!(status, 503, "attempt {attempt}: {html}");
        assert_eq!(headers["retry-after"], "30", "attempt {attempt}");
        assert!(html.contains("Try again in a few minutes"), "{html}");
    }
    assert!(process.is_running(), "a passing outage does not end the environment");
    process.stop();
    let written = std::fs::read_to_string(log).unwrap();
    assert!(written.matches("will try again on the next request").count() >= 2, "each attempt is logged: {written}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_stops_and_names_a_key_parameter_that_does_not_exist() {
    let Some((bootstrap, moto)) = environment() else { return };
    let run = run_id();
    let missing = format!("/complaints-it/{run}/no-such-key");
    let launch = stack(&bootstrap, &moto, &run).await.launch.env("FORM_KEY_PARAM", &missing);
    let log = launch.log.clone().unwrap();
    let mut api = RuntimeApi::start().unwrap();
    let mut process = launch.spawn(&api.address()).unwrap();
    let mut alive = || process.is_running();

    // Init succeeds (the variables are all there); the first request finds the key missing, gets
    // no answer, and the process ends, as a failed init would.
    api.wait_first_next(TIMEOUT, &mut alive).unwrap();
    let outcome = api.invoke(&event("GET", "/", None), TIMEOUT, &mut alive);
    assert!(matches!(outcome, Err(HarnessError::Exited)), "{:?}", outcome.map(|o| o.value));

    assert_ne!(process.exit_code(), Some(0));
    let written = std::fs::read_to_string(log).unwrap();
    assert!(written.contains("cannot start") && written.contains(&missing), "the log names the parameter: {written}");
}
