//! The form cannot be used to send mail to strangers: JSON needs a form token or an API key, one
//! client may send only so many complaints in a window, and the acknowledgement quotes nothing a
//! stranger typed.

mod support;

use axum::http::{StatusCode, header};
use complaints_core::config::OrgConfig;
use serde_json::json;
use sha2::{Digest, Sha256};
use support::{Harness, form_body};

const PHISH_NAME: &str = "Your account is locked visit http://phish.example/refund";

fn complaint(token: Option<&str>) -> serde_json::Value {
    let mut body = json!({
        "name": "Jo Bloggs", "email": "victim@example.net", "service_area": "Something else",
        "description": "Visit http://phish.example/refund to unlock your account."
    });
    if let Some(token) = token {
        body["token"] = json!(token);
    }
    body
}

const INTEGRATION_KEY: &str = "integration-key-for-tests-0123456789";

fn with_api_key() -> Harness {
    let mut config = OrgConfig::builtin();
    config.intake.api_key_sha256 = vec![hex::encode(Sha256::digest(INTEGRATION_KEY.as_bytes()))];
    Harness::with_config(config)
}

#[tokio::test]
async fn json_submission_without_a_token_is_refused_and_sends_nothing() {
    let harness = Harness::new();
    for (token, why) in [(None, "A token is required"), (Some("1.abc.def"), "not one we issued")] {
        let reply = harness.post_json(&complaint(token)).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{token:?}");
        assert_eq!(reply.content_type(), "application/problem+json");
        let problem = reply.json();
        assert_eq!(problem["errors"][0]["field"], "token");
        assert!(problem["errors"][0]["message"].as_str().is_some_and(|m| m.contains(why)), "{problem}");
        assert!(problem["errors"][0]["message"].as_str().is_some_and(|m| m.contains("GET /token")), "{problem}");
    }
    assert!(harness.cases().await.is_empty());
    assert!(harness.mailer.sent().is_empty());
}

#[tokio::test]
async fn a_token_from_get_token_lets_a_json_client_submit_once() {
    let harness = Harness::new();
    let reply = harness.get("/token").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.headers[header::CACHE_CONTROL], "no-store");
    assert!(reply.json()["expires_at"].as_str().is_some_and(|t| t.starts_with("2026-11-26T10:00:00")));
    let token = reply.json()["token"].as_str().expect("token").to_owned();
    let first = harness.post_json(&complaint(Some(&token))).await;
    let again = harness.post_json(&complaint(Some(&token))).await;
    assert_eq!((first.status, again.status), (StatusCode::CREATED, StatusCode::OK));
    assert_eq!(first.json()["reference"], again.json()["reference"]);
    assert_eq!(harness.cases().await.len(), 1);
    assert_eq!(harness.mailer.sent().len(), 1, "one complaint, one message");
}

#[tokio::test]
async fn twenty_form_posts_from_one_client_make_at_most_ten_cases_and_the_rest_get_429() {
    let harness = Harness::new();
    let mut statuses = Vec::new();
    for _ in 0..20 {
        let token = harness.token().await;
        let body = form_body(&token, &[("name", PHISH_NAME), ("email", "victim@example.net")]);
        statuses.push(harness.post_form_from("198.51.100.7:40000", &body).await);
    }
    let accepted = statuses.iter().filter(|r| r.status == StatusCode::SEE_OTHER).count();
    assert_eq!(accepted, 10);
    let limited = statuses.last().expect("twenty replies");
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: i64 = limited.headers[header::RETRY_AFTER].to_str().expect("ascii").parse().expect("seconds");
    assert!((1..=600).contains(&retry), "{retry}");
    assert!(limited.body.contains("Sorry, you cannot send another complaint yet"), "{}", limited.body);
    assert!(limited.body.contains("has not been sent") && limited.body.contains("10 minutes"));
    assert!(limited.body.contains("03069 990 123"), "says how to contact us");
    assert_eq!(harness.cases().await.len(), 10);

    // Another client is not held up by the first.
    let token = harness.token().await;
    let other = harness.post_form_from("[2001:db8::1]:40000", &form_body(&token, &[])).await;
    assert_eq!(other.status, StatusCode::SEE_OTHER);

    // The per-recipient cap holds the victim's inbox to a few messages, and what the stranger typed
    // never reaches it: not in the subject, the text, the HTML or the To display name.
    let sent = harness.mailer.sent();
    let to_victim: Vec<_> = sent.iter().filter(|m| m.to.iter().any(|a| a.as_str() == "victim@example.net")).collect();
    let cap = OrgConfig::builtin().mail.automatic_per_recipient_per_24h as usize;
    assert!(!to_victim.is_empty() && to_victim.len() <= cap, "{} messages to the victim", to_victim.len());
    for message in to_victim {
        let parsed = mail_parser::MessageParser::default().parse(&message.raw).expect("sent mail parses");
        let text = parsed.body_text(0).expect("a text part").replace("\r\n", "\n");
        let html = parsed.body_html(0).expect("an HTML part").into_owned();
        let subject = parsed.subject().unwrap_or_default().to_owned();
        let to_name = parsed.to().and_then(|to| to.first()).and_then(|a| a.name()).map(str::to_owned);
        assert!(text.starts_with("Dear customer,\n"), "{text}");
        assert_eq!(to_name, None, "no display name from what the stranger typed");
        for part in [&text, &html, &subject] {
            assert!(!part.contains("phish") && !part.contains("locked") && !part.contains("http://"), "{part}");
        }
    }
}

#[tokio::test]
async fn a_json_client_over_the_limit_gets_problem_details_with_retry_after() {
    let mut config = OrgConfig::builtin();
    config.intake.rate_limit_submissions = 1;
    let harness = Harness::with_config(config);
    let peer = "198.51.100.7:40000";
    let first = harness.post_json_with(peer, &[], &complaint(Some(&harness.json_token().await))).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let token = harness.json_token().await;
    let second = harness.post_json_with(peer, &[], &complaint(Some(&token))).await;
    assert_eq!(second.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(second.content_type(), "application/problem+json");
    assert_eq!(second.json()["type"], "/problems/too-many-submissions");
    assert!(second.headers.contains_key(header::RETRY_AFTER));
    assert_eq!(harness.cases().await.len(), 1);
}

#[tokio::test]
async fn a_repeated_submission_does_not_use_up_the_limit() {
    let mut config = OrgConfig::builtin();
    config.intake.rate_limit_submissions = 2;
    let harness = Harness::with_config(config);
    let token = harness.token().await;
    let body = form_body(&token, &[]);
    for _ in 0..3 {
        let reply = harness.post_form_from("198.51.100.7:1", &body).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
    }
    let fresh = harness.token().await;
    let reply = harness.post_form_from("198.51.100.7:1", &form_body(&fresh, &[])).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "the repeats of the first were given back");
    assert_eq!(harness.cases().await.len(), 2);
}

#[tokio::test]
async fn a_configured_api_key_submits_without_a_token_with_its_idempotency_key() {
    let harness = with_api_key();
    let bearer = format!("Bearer {INTEGRATION_KEY}");
    let headers = [("authorization", bearer.as_str()), ("idempotency-key", "crm-case-77")];
    let first = harness.post_json_with("203.0.113.9:1", &headers, &complaint(None)).await;
    let again = harness.post_json_with("203.0.113.9:1", &headers, &complaint(None)).await;
    assert_eq!((first.status, again.status), (StatusCode::CREATED, StatusCode::OK), "{}", first.body);
    assert_eq!(first.json()["reference"], again.json()["reference"]);
    // Without an Idempotency-Key every request is a new complaint, and integrations are not rate limited.
    for _ in 0..12 {
        let reply = harness.post_json_with("203.0.113.9:1", &[("authorization", &bearer)], &complaint(None)).await;
        assert_eq!(reply.status, StatusCode::CREATED);
    }
    assert_eq!(harness.cases().await.len(), 13);
}

#[tokio::test]
async fn a_wrong_api_key_is_refused_with_401_and_sends_nothing() {
    let harness = with_api_key();
    for authorization in ["Bearer not-the-key", "Basic aW50ZWdyYXRpb24=", "Bearer"] {
        let token = harness.json_token().await;
        // A wrong key is refused even when a valid token is also sent: the header was meant.
        let reply = harness
            .post_json_with("203.0.113.9:1", &[("authorization", authorization)], &complaint(Some(&token)))
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{authorization}");
        assert_eq!(reply.content_type(), "application/problem+json");
        assert_eq!(reply.headers[header::WWW_AUTHENTICATE], "Bearer");
        assert!(!reply.body.contains(INTEGRATION_KEY));
    }
    let no_keys = Harness::new();
    let reply = no_keys
        .post_json_with("203.0.113.9:1", &[("authorization", &format!("Bearer {INTEGRATION_KEY}"))], &complaint(None))
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "no keys configured, none accepted");
    assert!(harness.cases().await.is_empty() && no_keys.cases().await.is_empty());
    assert!(harness.mailer.sent().is_empty());
}

#[tokio::test]
async fn a_bad_idempotency_key_is_refused_before_anything_is_stored() {
    let harness = with_api_key();
    let bearer = format!("Bearer {INTEGRATION_KEY}");
    let headers = [("authorization", bearer.as_str()), ("idempotency-key", "has space")];
    let reply = harness.post_json_with("203.0.113.9:1", &headers, &complaint(None)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json()["type"], "/problems/bad-idempotency-key");
    assert!(harness.cases().await.is_empty());
}
