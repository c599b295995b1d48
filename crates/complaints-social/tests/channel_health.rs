//! Channel health end to end (issue 15 §5): webhook deliveries in, the sweep sending the replies
//! through the real HTTP sender to a fake platform on 127.0.0.1, and the staff notices going out
//! through the same sweep as email. An auth failure tells staff once, not once per failed reply
//! nor again after a cold start; a run of platform failures is counted across a cold start; a
//! normally busy channel that goes quiet tells staff once per quiet spell.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use chrono::Duration;
use common::{Harness, all_secrets, messenger};
use complaints_app::channel_health_store::ChannelHealthStore as _;
use complaints_app::outbound::Delivery;
use complaints_app::ports::CaseStore as _;
use complaints_app::social::TransportMailer;
use complaints_app::social_health::{ChannelHealth, FAILURES_BEFORE_NOTICE, HealthSettings, QuietHours};
use complaints_core::case::MessagePurpose;
use complaints_core::complaint::EmailAddress;

fn team() -> EmailAddress {
    EmailAddress::parse("team@council.example.org").unwrap()
}

/// The staff notices the sweep has sent as email, as (recipient, text).
fn notices(h: &Harness) -> Vec<(String, String)> {
    h.email
        .sent()
        .into_iter()
        .filter(|m| m.purpose == MessagePurpose::StaffNotice)
        .map(|m| (m.to[0].as_str().to_owned(), String::from_utf8_lossy(&m.raw).into_owned()))
        .collect()
}

/// The sweep as a fresh process runs it: a new transport mailer with new channel health over the
/// same store (nothing kept in memory from before).
async fn sweep_after_cold_start(h: &Harness) {
    let settings = HealthSettings {
        organisation: "Example Council".to_owned(),
        from: EmailAddress::parse("complaints@council.example.org").unwrap(),
        recipients: vec![team()],
    };
    let platform = h.platform.as_ref().unwrap();
    let sender = complaints_social::sender::HttpSocialSender::new(platform.endpoints(), all_secrets().tokens).unwrap();
    let mailer = Arc::new(TransportMailer {
        email: h.email.clone(),
        social: Some(Arc::new(sender)),
        clock: h.intake.clock.clone(),
        health: Some(Arc::new(ChannelHealth::new(h.store.clone(), settings))),
        attachments: None,
    });
    Delivery::new(h.store.clone(), mailer, h.intake.clock.clone()).sweep().await.unwrap();
}

#[tokio::test]
async fn a_refused_token_sends_staff_one_email_not_one_per_reply_nor_again_after_a_cold_start() {
    let h = Harness::with_platform_and_health(all_secrets(), QuietHours::default()).await;
    let platform = h.platform.clone().unwrap();
    platform.answer(400, serde_json::json!({"error": {"code": 190, "message": "Error validating access token"}}));
    h.meta(&messenger("5678", "m-1", "My bin was not collected")).await;
    h.meta(&messenger("6789", "m-2", "The streetlight is out")).await;

    h.sweep().await;
    assert_eq!(platform.sent().len(), 2, "both replies were tried, and both refused");
    assert_eq!(notices(&h).len(), 1, "written by the first refusal and sent by the same sweep");
    h.clock.advance(Duration::minutes(30));
    h.sweep().await;
    h.clock.advance(Duration::minutes(30));
    sweep_after_cold_start(&h).await;
    h.clock.advance(Duration::minutes(30));
    h.sweep().await;

    assert!(platform.sent().len() >= 4, "the replies were retried: {}", platform.sent().len());
    let told = notices(&h);
    assert_eq!(told.len(), 1, "one staff email: {told:?}");
    assert_eq!(told[0].0, team().as_str());
    assert!(told[0].1.contains("Messenger replies are failing: our access token was refused"), "{}", told[0].1);
    assert!(!told[0].1.contains("bin"), "the notice says nothing of anyone's complaint");
    let pending = h.store.pending_messages(common::now() + Duration::days(1), 10).await.unwrap();
    assert_eq!(pending.len(), 2, "the replies wait for a renewed token");
}

#[tokio::test]
async fn platform_failures_are_counted_across_a_cold_start_until_staff_are_told() {
    let h = Harness::with_platform_and_health(all_secrets(), QuietHours::default()).await;
    let platform = h.platform.clone().unwrap();
    platform.answer(503, serde_json::json!({}));
    h.meta(&messenger("5678", "m-1", "Potholes on Main Street")).await;

    for _ in 1..FAILURES_BEFORE_NOTICE {
        h.sweep().await;
        h.clock.advance(Duration::hours(1));
    }
    assert_eq!(h.store.channel_state("messenger").await.unwrap().failures, FAILURES_BEFORE_NOTICE - 1);
    sweep_after_cold_start(&h).await;
    h.clock.advance(Duration::hours(1));
    h.sweep().await;

    let told = notices(&h);
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(told[0].1.contains("Messenger replies are failing"), "{}", told[0].1);
    platform.answer(200, serde_json::json!({"message_id": "mid.ok"}));
    h.clock.advance(Duration::hours(2));
    h.sweep().await;
    assert_eq!(h.store.channel_state("messenger").await.unwrap().failures, 0, "a success ends the run");
}

#[tokio::test]
async fn a_quiet_channel_tells_staff_once_per_quiet_spell_through_the_sweep() {
    let h = Harness::with_platform_and_health(all_secrets(), QuietHours::parse("messenger=6,x=6").unwrap()).await;
    let health = h.health.clone().unwrap();
    h.meta(&messenger("5678", "m-1", "My bin was not collected")).await;
    let heard = h.store.channel_state("messenger").await.unwrap().last_event_at;
    assert_eq!(heard, Some(common::now()), "the webhook keeps the time it heard from the channel");
    assert_eq!(h.store.channel_state("x").await.unwrap().last_event_at, None, "nothing came on X");

    h.clock.advance(Duration::hours(5));
    assert_eq!(health.check_quiet(h.intake.clock.now()).await, 0, "five hours is not quiet yet");
    h.clock.advance(Duration::hours(2));
    assert_eq!(health.check_quiet(h.intake.clock.now()).await, 1, "Messenger has gone quiet; X was never heard");
    assert_eq!(health.check_quiet(h.intake.clock.now()).await, 0, "once per quiet spell");
    h.sweep().await;
    let told = notices(&h);
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(told[0].1.contains("No Messenger messages for 6 hours"), "{}", told[0].1);

    // Heard from again, then quiet again: a new spell, told again.
    h.meta(&messenger("6789", "m-2", "The streetlight is out")).await;
    assert_eq!(health.check_quiet(h.intake.clock.now()).await, 0);
    h.clock.advance(Duration::hours(7));
    assert_eq!(health.check_quiet(h.intake.clock.now()).await, 1);
    h.sweep().await;
    assert_eq!(notices(&h).len(), 2);
}
