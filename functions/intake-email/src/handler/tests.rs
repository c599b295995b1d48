//! Handler tests: our own SES event (in the repo), the SES fixtures of the shared corpus (when it
//! is there; required under CI), and the raw message in S3 on moto (when `MOTO_URL` is set).

use std::path::{Path, PathBuf};

use complaints_app::memory_objects::MemoryObjectStore;
use complaints_app::testing::{MemoryCaseStore, RecordingMailer, intake_service};

use complaints_email::Limits;
use complaints_lambda::deployment::{ORG_NAME, REFERENCE_PREFIX, SENDER};

use super::*;

const OWN_EVENT: &str = include_str!("../../tests/data/ses-lambda-event.json");

fn config() -> Config {
    Config::from_env(&Env::from_lookup(|name| {
        Some(
            match name {
                TABLE_NAME => "t",
                SENDER => "complaints@example.org",
                ORG_NAME => "Example Council",
                REFERENCE_PREFIX => "CMP",
                CONTACT_KEY_PARAM => "/c/contact",
                REPLY_TOKEN_KEY_PARAM => "/c/reply",
                MAIL_BUCKET => "complaints-mail",
                MAIL_PREFIX => "inbound/",
                _ => return None,
            }
            .to_owned(),
        )
    }))
    .expect("test config")
}

fn email_intake(objects: Arc<dyn ObjectStore>) -> EmailIntake {
    let now = "2026-03-02T10:00:00Z".parse().expect("instant");
    EmailIntake {
        intake: intake_service(Arc::new(MemoryCaseStore::new()), Arc::new(RecordingMailer::new()), now),
        objects,
        limits: Limits::default(),
        reply_token_key: Arc::from(&b"handler-test-reply-token-key-32-bytes"[..]),
        held: Arc::new(complaints_app::held_mail::MemoryHeldMail::new()),
        raw_retention_days: None,
    }
}

const RAW: &[u8] = b"From: Jo Bloggs <jo@example.net>\r\nTo: complaints@example.org, housing@example.org\r\n\
Subject: Bins not collected\r\nMessage-ID: <handler.1@mail.example.net>\r\n\r\nThe bins were missed.\r\n";

#[test]
fn the_raw_message_is_found_by_the_rules_prefix_and_the_ses_message_id() {
    let event: SimpleEmailEvent = serde_json::from_str(OWN_EVENT).expect("our SES event");
    let record = &event.records[0];
    assert_eq!(
        config().object_of(record),
        Some(("complaints-mail".to_owned(), "inbound/test0message0id0one".to_owned()))
    );
}

#[test]
fn a_missing_variable_is_named() {
    let error = Config::from_env(&Env::from_lookup(|name| (name == TABLE_NAME).then(|| "t".to_owned())))
        .expect_err("incomplete");
    assert!(error.to_string().contains(SENDER), "{error}");
}

#[tokio::test]
async fn our_ses_event_opens_one_case_for_both_addresses_and_a_replay_finds_it() {
    let objects = Arc::new(MemoryObjectStore::new());
    objects.put("inbound/test0message0id0one", "message/rfc822", RAW.to_vec()).await.expect("put");
    let objects: Arc<dyn ObjectStore> = objects;
    let intake = email_intake(Arc::clone(&objects));
    let event: SimpleEmailEvent = serde_json::from_str(OWN_EVENT).expect("our SES event");

    let first = handle(&intake, &objects, &config(), &event).await.expect("handled");
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].outcome, "case");
    let reference: complaints_core::reference::CaseRef =
        first[0].reference.as_deref().expect("a reference").parse().expect("valid");
    let timeline = intake.intake.store.timeline(&reference).await.expect("timeline");
    let recorded = timeline.iter().find_map(|e| match &e.what {
        complaints_core::case::CaseEvent::EmailReceived { email } => Some(email.clone()),
        _ => None,
    });
    let recorded = recorded.expect("the email is recorded");
    assert_eq!(recorded.recipients, ["complaints@example.org", "housing@example.org"]);
    assert_eq!(recorded.raw_key, "inbound/test0message0id0one");

    let again = handle(&intake, &objects, &config(), &event).await.expect("handled");
    assert_eq!(again[0].reference, first[0].reference, "Lambda's retry makes no second case");
}

#[tokio::test]
async fn a_failed_virus_verdict_is_quarantined() {
    let objects = Arc::new(MemoryObjectStore::new());
    objects.put("inbound/test0message0id0one", "message/rfc822", RAW.to_vec()).await.expect("put");
    let objects: Arc<dyn ObjectStore> = objects;
    let intake = email_intake(Arc::clone(&objects));
    let mut event: SimpleEmailEvent = serde_json::from_str(OWN_EVENT).expect("our SES event");
    event.records[0].ses.receipt.virus_verdict.status = Some("FAIL".to_owned());
    let outcomes = handle(&intake, &objects, &config(), &event).await.expect("handled");
    assert_eq!((outcomes[0].outcome, outcomes[0].reason.as_deref()), ("quarantined", Some("virus")));
}

#[tokio::test]
async fn a_message_missing_from_the_bucket_fails_the_invocation_for_a_retry() {
    let objects: Arc<dyn ObjectStore> = Arc::new(MemoryObjectStore::new());
    let intake = email_intake(Arc::clone(&objects));
    let event: SimpleEmailEvent = serde_json::from_str(OWN_EVENT).expect("our SES event");
    assert!(matches!(handle(&intake, &objects, &config(), &event).await, Err(HandleError::Raw(_))));
}

#[tokio::test]
async fn an_event_naming_another_bucket_fails_and_nothing_is_read_from_ours() {
    let objects = Arc::new(MemoryObjectStore::new());
    objects.put("inbound/elsewhere", "message/rfc822", RAW.to_vec()).await.expect("put");
    let objects: Arc<dyn ObjectStore> = objects;
    let intake = email_intake(Arc::clone(&objects));
    let mut event: SimpleEmailEvent = serde_json::from_str(OWN_EVENT).expect("our SES event");
    event.records[0].ses.receipt.action.bucket_name = Some("someone-elses-bucket".to_owned());
    event.records[0].ses.receipt.action.object_key = Some("inbound/elsewhere".to_owned());
    match handle(&intake, &objects, &config(), &event).await {
        Err(HandleError::WrongBucket { actual }) => assert_eq!(actual, "someone-elses-bucket"),
        other => panic!("expected WrongBucket, got {other:?}"),
    }
    event.records[0].ses.receipt.action.bucket_name = Some("complaints-mail".to_owned());
    let outcomes = handle(&intake, &objects, &config(), &event).await.expect("our own bucket is read");
    assert_eq!(outcomes[0].outcome, "case");
}

#[test]
fn the_sender_is_verified_by_dmarc_or_by_spf_and_dkim_together() {
    let event: SimpleEmailEvent = serde_json::from_str(OWN_EVENT).expect("our SES event");
    let cases = [
        (("PASS", "FAIL", "FAIL"), true),
        (("GRAY", "PASS", "PASS"), true),
        (("GRAY", "PASS", "FAIL"), false),
        (("FAIL", "FAIL", "PASS"), false),
        (("GRAY", "GRAY", "GRAY"), false),
    ];
    for ((dmarc, spf, dkim), verified) in cases {
        let mut receipt = event.records[0].ses.receipt.clone();
        receipt.dmarc_verdict.status = Some(dmarc.to_owned());
        receipt.spf_verdict.status = Some(spf.to_owned());
        receipt.dkim_verdict.status = Some(dkim.to_owned());
        assert_eq!(sender_verified(&receipt), verified, "DMARC {dmarc}, SPF {spf}, DKIM {dkim}");
    }
}

fn corpus_ses_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/events/ses")
}

#[tokio::test]
async fn every_ses_receipt_fixture_of_the_corpus_is_handled() {
    let dir = corpus_ses_dir();
    if !dir.is_dir() {
        assert!(std::env::var_os("CI").is_none(), "CI is set but the corpus is missing at {}", dir.display());
        return;
    }
    let mut handled = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir).expect("corpus folder").flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let text = std::fs::read_to_string(&path).expect("fixture");
        // The SAM sample is a template with unrendered placeholders, not an event.
        let Ok(event) = serde_json::from_str::<SimpleEmailEvent>(&text) else {
            assert!(text.contains("{{{"), "{} should parse as an SES event", path.display());
            continue;
        };
        // The raw messages in S3 on moto when it runs (scripts/test starts it), else in memory.
        let (objects, config) = match moto_bucket().await {
            Some((store, bucket)) => (store, Config { mail_bucket: bucket, ..config() }),
            None => (Arc::new(MemoryObjectStore::new()) as Arc<dyn ObjectStore>, config()),
        };
        let mut elsewhere = false;
        for record in &event.records {
            let (bucket, key) = config.object_of(record).expect("every fixture names its message");
            elsewhere |= bucket != config.mail_bucket;
            objects.put(&key, "message/rfc822", RAW.to_vec()).await.expect("put");
        }
        let intake = email_intake(Arc::clone(&objects));
        let handled_event = handle(&intake, &objects, &config, &event).await;
        if elsewhere {
            // An S3-action event naming another bucket than ours is refused, never read from ours.
            assert!(matches!(handled_event, Err(HandleError::WrongBucket { .. })), "{}", path.display());
        } else {
            let outcomes = handled_event.expect("handled");
            assert_eq!(outcomes.len(), event.records.len(), "{}", path.display());
        }
        handled += 1;
    }
    assert!(handled >= 4, "the corpus has its SES receipt events, handled {handled}");
}

/// A fresh bucket on moto and a store on it, when moto runs.
async fn moto_bucket() -> Option<(Arc<dyn ObjectStore>, String)> {
    let client = s3_client(&complaints_testkit::moto_sdk_config()?);
    let bucket = format!("complaints-mail-{}", uuid::Uuid::new_v4().simple());
    let location = aws_sdk_s3::types::CreateBucketConfiguration::builder()
        .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest2)
        .build();
    client.create_bucket().bucket(&bucket).create_bucket_configuration(location).send().await.expect("bucket");
    Some((Arc::new(S3ObjectStore::new(client, bucket.clone())), bucket))
}

#[tokio::test]
async fn the_raw_message_is_read_from_s3_and_attachments_are_written_beside_it() {
    let Some((objects, bucket)) = moto_bucket().await else { return };
    let raw = b"From: jo@example.net\r\nMessage-ID: <moto.1@mail.example.net>\r\nSubject: photo\r\n\
Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nSee the photo.\r\n\
--XX\r\nContent-Type: image/jpeg; name=\"p.jpg\"\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--XX--\r\n";
    objects.put("inbound/test0message0id0one", "message/rfc822", raw.to_vec()).await.expect("raw in S3");
    let config = Config { mail_bucket: bucket.clone(), ..config() };
    let intake = email_intake(Arc::clone(&objects));
    let event: SimpleEmailEvent = serde_json::from_str(OWN_EVENT).expect("our SES event");
    let outcomes = handle(&intake, &objects, &config, &event).await.expect("handled");
    assert_eq!(outcomes[0].outcome, "case");
    // "hello" by its SHA-256.
    let key = "mail/attachments/2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
    assert_eq!(objects.get(key).await.expect("attachment in S3"), b"hello");
}

/// A message with `count` attachments, each with a 200-character name (the most a name keeps).
fn many_attachments(count: usize) -> Vec<u8> {
    let mut raw = String::from(
        "From: jo@example.net\r\nTo: complaints@example.org\r\nMessage-ID: <many.moto@mail.example.net>\r\n\
Subject: photos\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nAll the photos.\r\n",
    );
    for n in 0..count {
        let name = format!("{n:04}-{}.jpg", "é".repeat(191));
        raw.push_str(&format!(
            "--XX\r\nContent-Type: image/jpeg; name=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n"
        ));
    }
    raw.push_str("--XX--\r\n");
    raw.into_bytes()
}

#[tokio::test]
async fn a_message_with_a_thousand_attachments_is_one_case_in_dynamodb_on_moto() {
    use complaints_app::ports::CaseStore;
    let Some(sdk) = complaints_testkit::moto_sdk_config() else { return };
    let (objects, bucket) = moto_bucket().await.expect("moto runs");
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let table = format!("email-{}", uuid::Uuid::new_v4().simple());
    complaints_store_dynamodb::create_table(&dynamodb, &table).await.expect("table");
    let store: Arc<dyn CaseStore> = Arc::new(DynamoDbCaseStore::new(dynamodb, table));
    let now = "2026-03-02T10:00:00Z".parse().expect("instant");
    let intake = EmailIntake {
        intake: intake_service(Arc::clone(&store), Arc::new(RecordingMailer::new()), now),
        objects: Arc::clone(&objects),
        limits: Limits::default(),
        reply_token_key: Arc::from(&b"handler-test-reply-token-key-32-bytes"[..]),
        held: Arc::new(complaints_app::held_mail::MemoryHeldMail::new()),
        raw_retention_days: None,
    };
    objects.put("inbound/test0message0id0one", "message/rfc822", many_attachments(1_000)).await.expect("raw in S3");
    let config = Config { mail_bucket: bucket, ..config() };
    let event: SimpleEmailEvent = serde_json::from_str(OWN_EVENT).expect("our SES event");

    let outcomes = handle(&intake, &objects, &config, &event).await.expect("handled: the record fits one item");
    assert_eq!(outcomes[0].outcome, "case");
    let reference = outcomes[0].reference.as_deref().expect("a reference").parse().expect("valid");
    let record = store
        .timeline(&reference)
        .await
        .expect("timeline")
        .into_iter()
        .find_map(|e| match e.what {
            complaints_core::case::CaseEvent::EmailReceived { email } => Some(email),
            _ => None,
        })
        .expect("the email is recorded");
    assert_eq!(record.attachments.len(), complaints_app::email_intake::MAX_LISTED_ATTACHMENTS);
    assert_eq!(record.attachments_not_listed, 900);
}
