//! Every recorded Meta, WhatsApp and X payload in the shared corpus (`../shared/corpus` beside the
//! repository), signed with our test secrets and posted through the webhook router: each gets its
//! expected outcome and none gets a server error or panics. Runs when the corpus is there;
//! required (fails without it) when `CI` is set.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use axum::http::StatusCode;
use common::{Harness, all_secrets};

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/events");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(std::env::var_os("CI").is_none(), "CI is set but the shared corpus is missing at {}", dir.display());
    None
}

/// What a delivery should come to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// At least one case opened from a private message.
    Case,
    /// A public mention or comment kept as a triage item.
    Triage,
    /// Genuine but not understood (wholly or in part): kept for staff.
    Quarantine,
    /// Nothing to act on: echoes, receipts, statuses, reactions, other event kinds.
    Nothing,
}

/// The expectation for one file, by what its name says it holds (the upstream projects name
/// their fixtures by content).
fn expected(kind: &str, name: &str) -> Outcome {
    use Outcome::{Case, Nothing, Quarantine, Triage};
    let stem = name.trim_end_matches(".json");
    match kind {
        "meta-messenger" => match stem.trim_start_matches("courier__fba-") {
            "attachment"
            | "different_page"
            | "duplicate_msg"
            | "hello_msg"
            | "location_attachment"
            | "reel"
            | "thumbs_up"
            | "fallback" => Case,
            // A sender id that is not a plain id cannot be answered: kept for staff.
            "invalid_urn" => Quarantine,
            "echo"
            | "dlr"
            | "postback"
            | "postback_get_started"
            | "postback_referral"
            | "referral"
            | "referral_optin"
            | "referral_optin_user_ref"
            | "referral_seconds"
            | "notification_messages_optin"
            | "no_entries" => Nothing,
            "no_messaging_entries" | "unknown_messaging_entry" | "not_page" => Quarantine,
            other => panic!("no expectation for meta-messenger {other}"),
        },
        "meta-instagram" => match stem.trim_start_matches("courier__ig-") {
            "attachment" | "different_page" | "duplicate_msg" | "hello_msg" => Case,
            "story_mention" => Triage,
            "echo" | "like_heart" | "no_entries" | "icebreaker_get_started" => Nothing,
            // Unsent before we ever took it in: nothing to record it on.
            "unsent_msg" => Nothing,
            "invalid_urn" | "no_messaging_entries" | "unknown_messaging_entry" | "not_instagram" => Quarantine,
            other => panic!("no expectation for meta-instagram {other}"),
        },
        "whatsapp-cloud" => whatsapp(stem),
        "x-account-activity" => match stem.trim_start_matches("xdocs__aaa-") {
            "direct_message_events" => Case,
            "direct_message_indicate_typing_events" | "direct_message_mark_read_events" | "tweet_delete_events" => {
                Nothing
            }
            // The docs' placeholders are not JSON; a revoke needs someone to look.
            "user_event" => Quarantine,
            s if s.ends_with(".placeholder.invalid") => Quarantine,
            other => panic!("no expectation for x-account-activity {other}"),
        },
        "x-activity-api" => match stem.trim_start_matches("xdocs__xaa-") {
            "dm.received" => Case,
            "post.mention.create" | "post.reply.create" | "post.quote.create" => Triage,
            "oauth.revoke" => Quarantine,
            "dm.sent" | "chat.received" | "chat.sent" | "follow.follow" | "like.create" | "post.create"
            | "post.delete" | "profile.update.bio" => Nothing,
            other => panic!("no expectation for x-activity-api {other}"),
        },
        other => panic!("no expectations for {other}"),
    }
}

fn whatsapp(stem: &str) -> Outcome {
    use Outcome::{Case, Nothing, Quarantine};
    if let Some(courier) = stem.strip_prefix("courier__wac-") {
        return match courier {
            "audio"
            | "button"
            | "button_reply"
            | "document"
            | "duplicate"
            | "hello"
            | "hello_user_id"
            | "image"
            | "list_reply"
            | "location"
            | "video"
            | "voice"
            | "group_message"
            | "hello_bsuid_in_from"
            | "hello_from_bsuid"
            | "hello_invalid_user_id" => Case,
            "ignore_status" | "valid_status" | "invalid_status" | "nfm_reply" | "nfm_reply_non_object" => Nothing,
            // Meta reporting errors or a failed reply, and senders that are not numbers.
            "error_errors" | "error_msg" | "error_status" | "invalid_from" | "no_from" | "invalid_timestamp" => {
                Quarantine
            }
            other => panic!("no expectation for whatsapp courier {other}"),
        };
    }
    let pywa = stem.strip_prefix("pywa__").unwrap_or(stem);
    let (kind, variant) = pywa.split_once("--").unwrap_or((pywa, ""));
    match (kind, variant) {
        // Reactions, orders and Flows replies are not complaints.
        ("message", "order" | "reaction" | "unreaction_empty" | "unreaction_no_emoji") => Nothing,
        ("message", "unsupported" | "unsupported_with_type" | "interactive_message_with_err") => Quarantine,
        ("message" | "callback_button" | "callback_selection", _) => Case,
        ("flow_completion", _) => Nothing,
        // Edits we do not apply, and pywa's deletion keeps placeholder ids: kept for staff.
        ("edited_message" | "deleted_message", _) => Quarantine,
        ("message_status", "failed") => Quarantine,
        _ => Nothing,
    }
}

#[tokio::test]
async fn every_recorded_platform_payload_gets_its_expected_outcome() {
    let Some(dir) = corpus() else {
        return;
    };
    let mut checked = 0;
    let mut failures = Vec::new();
    for kind in ["meta-messenger", "meta-instagram", "whatsapp-cloud", "x-account-activity", "x-activity-api"] {
        let mut files: Vec<_> = std::fs::read_dir(dir.join(kind)).expect("corpus folder").flatten().collect();
        files.sort_by_key(std::fs::DirEntry::file_name);
        for file in files {
            let name = file.file_name().to_string_lossy().into_owned();
            if !name.ends_with(".json") || name.starts_with("xdocs__crc-") {
                continue;
            }
            let body = std::fs::read(file.path()).expect("read");
            let h = Harness::without_platform(all_secrets());
            let (status, _) = if kind.starts_with("x-") { h.x(&body).await } else { h.meta(&body).await };
            let got = if status != StatusCode::OK {
                failures.push(format!("{kind}/{name}: status {status}"));
                continue;
            } else if !h.cases().await.is_empty() {
                Outcome::Case
            } else if !h.objects.keys("social/quarantine/").is_empty() {
                Outcome::Quarantine
            } else if !h.objects.keys("social/triage/").is_empty() {
                Outcome::Triage
            } else {
                Outcome::Nothing
            };
            let want = expected(kind, &name);
            if got != want {
                failures.push(format!("{kind}/{name}: expected {want:?}, got {got:?}"));
            }
            assert_eq!(h.objects.keys("social/raw/").len(), 1, "{kind}/{name}: the raw delivery is kept");
            checked += 1;
        }
    }
    assert!(failures.is_empty(), "{} of {checked}:\n{}", failures.len(), failures.join("\n"));
    assert!(checked > 140, "only {checked} payloads found");
}

#[tokio::test]
async fn the_documented_verification_and_crc_requests_are_answered() {
    let Some(dir) = corpus() else {
        return;
    };
    let h = Harness::without_platform(all_secrets());
    let meta = std::fs::read_to_string(dir.join("meta-webhook-verification/meta-docs__verification-get-request.txt"))
        .expect("meta verification request");
    let query = meta.trim().split_once('?').expect("a query").1;
    assert_eq!(h.get(&format!("/webhooks/meta?{query}")).await, (StatusCode::OK, "1158201444".to_owned()));

    let crc = std::fs::read_to_string(dir.join("x-account-activity/xdocs__crc-get-request-example.txt")).expect("crc");
    let token = crc.split("crc_token=").nth(1).expect("a crc_token").split_whitespace().next().unwrap();
    let (status, body) = h.get(&format!("/webhooks/x?crc_token={token}")).await;
    assert_eq!(status, StatusCode::OK);
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    let shape: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.join("x-account-activity/xdocs__crc-response-example.json")).expect("crc response"),
    )
    .expect("the documented answer is JSON");
    assert!(shape.get("response_token").is_some() && answer["response_token"].as_str().unwrap().starts_with("sha256="));
}

#[test]
fn the_published_signature_vector_in_the_corpus_verifies() {
    let Some(dir) = corpus() else {
        return;
    };
    let vector: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.join("signature-test-vectors/github-docs__x-hub-signature-256-vector.json"))
            .expect("vector"),
    )
    .expect("JSON");
    let secret = vector["secret"].as_str().unwrap().as_bytes();
    let payload = vector["payload"].as_str().unwrap().as_bytes();
    let header = vector["expected_header_value"].as_str().unwrap();
    assert_eq!(complaints_social::signature::verify_meta(secret, Some(header), payload), Ok(()));
    assert_eq!(complaints_social::signature::meta_signature(secret, payload), header);
}
