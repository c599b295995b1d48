//! The webhooks end to end over in-memory stores, with payloads we wrote: verification, CRC,
//! signatures, private messages to cases, replays, correspondence, deletions, triage, quarantine,
//! and the private replies as a fake platform on 127.0.0.1 receives them.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{APP_SECRET, Harness, VERIFY_TOKEN, X_CONSUMER, all_secrets, messenger, signed_meta};
use complaints_app::object_store::ObjectStore as _;
use complaints_app::outbound::{Delivered, Delivery};
use complaints_app::ports::CaseStore;
use complaints_app::staff_items::{StaffItemKind, StaffItemStore};
use complaints_core::case::{CaseEvent, StaffFlag};
use complaints_core::complaint::Channel;
use complaints_social::config::SocialSecrets;
use complaints_social::signature::{meta_signature, x_signature};

#[tokio::test]
async fn a_messenger_message_opens_a_case_and_the_acknowledgement_goes_back_privately() {
    let h = Harness::with_platform(all_secrets()).await;

    let (status, _) = h.meta(&messenger("5678", "m-1", "My bin was not collected")).await;

    assert_eq!(status, StatusCode::OK);
    let cases = h.cases().await;
    assert_eq!(cases.len(), 1);
    let case = &cases[0].case;
    assert_eq!(case.complaint().channel, Channel::Messenger);
    assert_eq!(case.complaint().description, "My bin was not collected");
    assert_eq!(case.complaint().source_ref.as_deref(), Some("m-1"));
    // The webhook answered without calling the platform: the reply waits, pending, for the sweep.
    assert!(h.platform.as_ref().unwrap().sent().is_empty(), "no platform call inside the webhook");
    let pending = h.store.pending_messages(common::now(), 10).await.unwrap();
    assert_eq!(pending.len(), 1, "the acknowledgement is pending in the case's transaction");
    assert_eq!(h.sweep().await.sent, 1);
    let sent = h.platform.as_ref().unwrap().sent();
    assert_eq!(sent.len(), 1, "one private reply: {sent:?}");
    assert_eq!(sent[0].path, "/v99.0/111/messages");
    assert_eq!(sent[0].authorization.as_deref(), Some("Bearer page-token"));
    assert_eq!(sent[0].body["recipient"]["id"], "5678");
    assert_eq!(sent[0].body["messaging_type"], "RESPONSE");
    let text = sent[0].body["message"]["text"].as_str().unwrap();
    assert!(text.contains(&case.reference().to_string()), "{text}");
    assert!(text.contains(&case.response_due().format("%-d %B %Y").to_string()), "{text}");
    assert!(text.contains("email address or phone number"), "{text}");
    assert!(h.email.sent().is_empty(), "nothing went out as email");
    let timeline = h.store.timeline(case.reference()).await.unwrap();
    assert!(timeline.iter().any(|e| matches!(e.what, CaseEvent::MessageSent { .. })), "{timeline:?}");
    assert_eq!(h.objects.keys("social/raw/meta/").len(), 1, "the raw delivery is kept");
}

#[tokio::test]
async fn a_replayed_delivery_makes_one_case_and_one_reply() {
    let h = Harness::with_platform(all_secrets()).await;
    let body = messenger("5678", "m-1", "Potholes on Main Street");

    for _ in 0..3 {
        assert_eq!(h.meta(&body).await.0, StatusCode::OK);
    }
    h.sweep().await;

    assert_eq!(h.cases().await.len(), 1);
    assert_eq!(h.platform.as_ref().unwrap().sent().len(), 1);
    assert_eq!(h.objects.keys("social/raw/").len(), 3, "every delivery is kept as received");
}

#[tokio::test]
async fn forged_truncated_and_unsigned_posts_are_refused_counted_and_never_kept() {
    let h = Harness::with_platform(all_secrets()).await;
    let body = messenger("5678", "m-1", "Hello");
    let good = meta_signature(APP_SECRET.as_bytes(), &body);
    let forged = meta_signature(b"not the app secret", &body);
    let requests = [
        Some(forged),
        Some(good[..good.len() - 2].to_owned()),
        Some(good.replace("sha256=", "sha1=")),
        None,
        // The right signature over a body cut short in transit.
        Some(good.clone()),
    ];
    for (i, signature) in requests.into_iter().enumerate() {
        let sent_body = if i == 4 { body[..body.len() - 5].to_vec() } else { body.clone() };
        let mut request = Request::post("/webhooks/meta");
        if let Some(signature) = signature {
            request = request.header("x-hub-signature-256", signature);
        }
        let (status, _) = h.request(request.body(Body::from(sent_body)).unwrap()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "request {i}");
    }
    let x_body = br#"{"for_user_id":"1","direct_message_events":[]}"#;
    let x_forged = Request::post("/webhooks/x")
        .header("x-twitter-webhooks-signature", x_signature(b"wrong", x_body))
        .body(Body::from(x_body.to_vec()))
        .unwrap();
    assert_eq!(h.request(x_forged).await.0, StatusCode::UNAUTHORIZED);
    let x_unsigned = Request::post("/webhooks/x").body(Body::from(x_body.to_vec())).unwrap();
    assert_eq!(h.request(x_unsigned).await.0, StatusCode::UNAUTHORIZED);

    assert_eq!(h.state.rejected_signatures(), 7);
    assert!(h.objects.keys("").is_empty(), "nothing unproven is kept");
    assert!(h.cases().await.is_empty());
}

#[tokio::test]
async fn the_legacy_x_signature_with_the_consumer_secret_is_accepted() {
    let h = Harness::with_platform(all_secrets()).await;
    let body = br#"{"for_user_id":"100","direct_message_events":[{"type":"message_create","id":"9","message_create":{"sender_id":"7","target":{"recipient_id":"100"},"message_data":{"text":"Street light out"}}}]}"#;
    let request = Request::post("/webhooks/x")
        .header("x-twitter-webhooks-signature", x_signature(X_CONSUMER.as_bytes(), body))
        .body(Body::from(body.to_vec()))
        .unwrap();

    assert_eq!(h.request(request).await.0, StatusCode::OK);
    h.sweep().await;

    let cases = h.cases().await;
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].case.complaint().channel, Channel::X);
    let sent = h.platform.as_ref().unwrap().sent();
    assert_eq!(sent[0].path, "/2/dm_conversations/with/7/messages");
    assert_eq!(sent[0].authorization.as_deref(), Some("Bearer x-bearer"));
}

#[tokio::test]
async fn meta_verification_echoes_the_challenge_only_for_our_token() {
    let h = Harness::without_platform(all_secrets());
    let ok = format!("/webhooks/meta?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token={VERIFY_TOKEN}");
    assert_eq!(h.get(&ok).await, (StatusCode::OK, "1158201444".to_owned()));
    let wrong = "/webhooks/meta?hub.mode=subscribe&hub.challenge=1&hub.verify_token=guess";
    assert_eq!(h.get(wrong).await.0, StatusCode::FORBIDDEN);
    let no_mode = format!("/webhooks/meta?hub.challenge=1&hub.verify_token={VERIFY_TOKEN}");
    assert_eq!(h.get(&no_mode).await.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_x_crc_answer_is_the_hmac_of_the_token_with_the_consumer_secret() {
    let h = Harness::without_platform(all_secrets());
    let (status, body) = h.get("/webhooks/x?crc_token=challenge").await;
    assert_eq!(status, StatusCode::OK);
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["response_token"], x_signature(X_CONSUMER.as_bytes(), b"challenge"));
    assert_eq!(h.get("/webhooks/x").await.0, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_crc_check_cannot_be_used_to_sign_a_forged_delivery() {
    let h = Harness::without_platform(all_secrets());
    let forged = r#"{"for_user_id":"100","direct_message_events":[{"type":"message_create","id":"66","message_create":{"sender_id":"7","target":{"recipient_id":"100"},"message_data":{"text":"forged"}}}]}"#;
    let query: String = forged.bytes().map(|b| format!("%{b:02X}")).collect();
    let (status, body) = h.get(&format!("/webhooks/x?crc_token={query}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a token that is not plain is refused: {body}");
    assert_eq!(h.get("/webhooks/x?crc_token=abc%7B").await.0, StatusCode::BAD_REQUEST);
    assert_eq!(h.get(&format!("/webhooks/x?crc_token={}", "a".repeat(513))).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(h.get("/webhooks/x?crc_token=Zm9v-YmFy_b2s%2B%2F%3D").await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_platform_without_its_secret_answers_404() {
    let h = Harness::without_platform(SocialSecrets::default());
    assert_eq!(
        h.get("/webhooks/meta?hub.mode=subscribe&hub.challenge=1&hub.verify_token=x").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(h.get("/webhooks/x?crc_token=t").await.0, StatusCode::NOT_FOUND);
    assert_eq!(h.request(signed_meta(b"{}")).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_second_message_from_the_same_sender_is_correspondence_on_the_open_case() {
    let h = Harness::with_platform(all_secrets()).await;
    h.meta(&messenger("5678", "m-1", "My bin was not collected")).await;

    let (status, _) = h.meta(&messenger("5678", "m-2", "It is still not collected")).await;
    h.meta(&messenger("5678", "m-2", "It is still not collected")).await;
    h.sweep().await;

    assert_eq!(status, StatusCode::OK);
    let cases = h.cases().await;
    assert_eq!(cases.len(), 1, "no new case for the same sender");
    let timeline = h.store.timeline(cases[0].case.reference()).await.unwrap();
    let received: Vec<_> =
        timeline.iter().filter(|e| matches!(&e.what, CaseEvent::SocialMessageReceived { .. })).collect();
    assert_eq!(received.len(), 1, "recorded once despite the replay");
    assert!(
        matches!(&received[0].what, CaseEvent::SocialMessageReceived { text: Some(text), .. } if text == "It is still not collected"),
        "the follow-up's text is on the case: {received:?}"
    );
    assert_eq!(h.platform.as_ref().unwrap().sent().len(), 1, "no second acknowledgement");

    h.meta(&messenger("9999", "m-3", "Another person")).await;
    assert_eq!(h.cases().await.len(), 2, "another sender gets their own case");
}

#[tokio::test]
async fn an_unsent_message_is_recorded_on_its_case() {
    let h = Harness::with_platform(all_secrets()).await;
    h.meta(&messenger("5678", "m-1", "My bin was not collected")).await;
    let unsent = serde_json::to_vec(&serde_json::json!({"object": "page", "entry": [{"id": "111", "messaging": [
        {"sender": {"id": "5678"}, "recipient": {"id": "111"}, "message": {"mid": "m-1", "is_deleted": true}}]}]}))
    .unwrap();

    assert_eq!(h.meta(&unsent).await.0, StatusCode::OK);

    let cases = h.cases().await;
    let timeline = h.store.timeline(cases[0].case.reference()).await.unwrap();
    assert!(
        timeline
            .iter()
            .any(|e| matches!(&e.what, CaseEvent::SocialMessageDeleted { message_ref, .. } if message_ref == "m-1"))
    );
    assert_eq!(cases[0].case.complaint().description, "My bin was not collected", "what we took in stays");
}

#[tokio::test]
async fn an_instagram_comment_is_a_triage_item_and_never_answered() {
    let h = Harness::with_platform(all_secrets()).await;
    let comment = br#"{"object":"instagram","entry":[{"id":"178","time":1,"changes":[{"field":"comments","value":{"id":"c1","text":"@council my street is flooded","from":{"id":"42","username":"someone"}}}]}]}"#;

    assert_eq!(h.meta(comment).await.0, StatusCode::OK);
    h.sweep().await;

    assert!(h.cases().await.is_empty());
    assert!(h.platform.as_ref().unwrap().sent().is_empty(), "no public (or private) reply");
    assert_eq!(h.objects.keys("social/triage/").len(), 1);
    let items = h.store.open_staff_items(10).await.unwrap();
    assert_eq!(items.len(), 1, "listed for staff");
    assert_eq!((items[0].kind, items[0].source.as_str()), (StaffItemKind::Triage, "meta"));
    assert!(items[0].object_key.starts_with("social/raw/meta/"), "{:?}", items[0]);
}

#[tokio::test]
async fn a_genuine_payload_we_cannot_read_is_kept_for_staff_with_a_200() {
    let h = Harness::with_platform(all_secrets()).await;
    for body in
        [&b"{\"object\":\"page\",\"entry\":[{\"id\":\"1\",\"messaging\":[{\"surprise\":1}]}]}"[..], b"{not json", b"{}"]
    {
        assert_eq!(h.meta(body).await.0, StatusCode::OK);
    }
    assert_eq!(h.objects.keys("social/quarantine/").len(), 3);
    assert!(h.cases().await.is_empty());
    let items = h.store.open_staff_items(10).await.unwrap();
    assert_eq!(items.len(), 3, "each listed for staff");
    assert!(items.iter().all(|i| i.kind == StaffItemKind::Quarantine));
}

#[tokio::test]
async fn when_the_raw_delivery_cannot_be_kept_the_platform_is_asked_to_retry() {
    let h = Harness::with_platform(all_secrets()).await;
    h.objects.set_down(true);
    assert_eq!(h.meta(&messenger("5678", "m-1", "Hello")).await.0, StatusCode::SERVICE_UNAVAILABLE);
    assert!(h.cases().await.is_empty(), "nothing is processed before the raw delivery is kept");
    h.objects.set_down(false);
    assert_eq!(h.meta(&messenger("5678", "m-1", "Hello")).await.0, StatusCode::OK);
    assert_eq!(h.cases().await.len(), 1);
}

#[tokio::test]
async fn an_expired_token_keeps_the_reply_pending_and_outside_the_window_a_reply_is_owed() {
    let h = Harness::with_platform(all_secrets()).await;
    let platform = h.platform.clone().unwrap();
    platform.answer(400, serde_json::json!({"error": {"code": 190, "message": "token expired"}}));

    h.request(common::signed_meta(&serde_json::to_vec(&serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "880", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"phone_number_id": "555"},
            "contacts": [{"profile": {"name": "Kerry"}, "wa_id": "4470000"}],
            "messages": [{"from": "4470000", "id": "wamid.1", "timestamp": "1", "type": "text", "text": {"body": "Noise at night"}}]
        }}]}]
    })).unwrap())).await;
    assert!(platform.sent().is_empty(), "nothing is sent inside the webhook");
    h.sweep().await;

    let cases = h.cases().await;
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].case.complaint().complainant.as_ref().unwrap().name, "Kerry");
    let sent = platform.sent();
    assert_eq!(sent.len(), 1, "tried once by the sweep");
    assert_eq!(sent[0].path, "/v99.0/555/messages");
    assert_eq!(sent[0].body["to"], "4470000");
    let pending = h.store.pending_messages(common::now() + chrono::Duration::days(2), 10).await.unwrap();
    assert_eq!(pending.len(), 1, "an auth failure is retried, not given up");

    // Two days on, the WhatsApp window has closed: the sweep records the reply as owed.
    h.clock.advance(chrono::Duration::days(2));
    platform.answer(200, serde_json::json!({}));
    let delivery = Delivery::new(h.store.clone(), h.intake.mailer.clone(), h.intake.clock.clone());
    let message_id = pending[0].message.message_id.clone();
    assert_eq!(delivery.deliver(&message_id).await.unwrap(), Delivered::Failed);
    assert_eq!(platform.sent().len(), 1, "nothing sent outside the window");
    let timeline = h.store.timeline(cases[0].case.reference()).await.unwrap();
    assert!(timeline.iter().any(|e| matches!(e.what, CaseEvent::MessageUndeliverable { .. })));
    assert!(timeline.iter().any(|e| e.what == CaseEvent::FlaggedForStaff { reason: StaffFlag::UndeliverableMail }));
}

#[tokio::test]
async fn social_replies_go_through_the_per_recipient_cap() {
    let mut config = complaints_core::config::OrgConfig::builtin();
    // A cap of 0: the organisation has turned automatic messages off.
    config.mail.automatic_per_recipient_per_24h = 0;
    let h = Harness::with_platform_and_config(all_secrets(), config).await;

    h.meta(&messenger("5678", "m-1", "My bin was not collected")).await;
    h.sweep().await;

    let cases = h.cases().await;
    assert_eq!(cases.len(), 1);
    assert!(h.platform.as_ref().unwrap().sent().is_empty());
    let timeline = h.store.timeline(cases[0].case.reference()).await.unwrap();
    assert!(timeline.iter().any(|e| matches!(
        e.what,
        CaseEvent::MessageNotQueued { reason: complaints_core::case::NotQueuedReason::RecipientCap, .. }
    )));
}

#[tokio::test]
async fn a_message_for_an_account_that_is_not_ours_is_quarantined_visibly_and_never_answered() {
    let h = Harness::with_platform(all_secrets()).await;
    let other_page = serde_json::to_vec(&serde_json::json!({
        "object": "page",
        "entry": [{"id": "999", "time": 1, "messaging": [{
            "sender": {"id": "5678"}, "recipient": {"id": "999"}, "timestamp": 1,
            "message": {"mid": "m-9", "text": "For another page"}
        }]}]
    }))
    .unwrap();
    let other_x = br#"{"for_user_id":"4242","direct_message_events":[{"type":"message_create","id":"77","message_create":{"sender_id":"7","target":{"recipient_id":"4242"},"message_data":{"text":"Not for us"}}}]}"#;

    assert_eq!(h.meta(&other_page).await.0, StatusCode::OK);
    assert_eq!(h.x(other_x).await.0, StatusCode::OK);
    h.sweep().await;

    assert!(h.cases().await.is_empty(), "no case for another account's messages");
    assert!(h.platform.as_ref().unwrap().sent().is_empty(), "nobody is answered from an account we do not own");
    let items = h.store.open_staff_items(10).await.unwrap();
    let mut reasons: Vec<_> = items.iter().map(|i| (i.kind, i.reason.as_str())).collect();
    reasons.sort_by_key(|(_, reason)| *reason);
    assert_eq!(
        reasons,
        [
            (StaffItemKind::Quarantine, "messenger delivery for an account that is not ours"),
            (StaffItemKind::Quarantine, "x delivery for an account that is not ours"),
        ]
    );
    assert_eq!(h.objects.keys("social/quarantine/").len(), 2);
}

#[tokio::test]
async fn a_very_long_display_name_is_cut_and_the_message_still_opens_a_case() {
    let h = Harness::with_platform(all_secrets()).await;
    let long_name = "K".repeat(5_000);
    let body = serde_json::to_vec(&serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "880", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"phone_number_id": "555"},
            "contacts": [{"profile": {"name": long_name}, "wa_id": "4470000"}],
            "messages": [{"from": "4470000", "id": "wamid.long", "timestamp": "1", "type": "text", "text": {"body": "Noise"}}]
        }}]}]
    }))
    .unwrap();

    assert_eq!(h.meta(&body).await.0, StatusCode::OK);

    let cases = h.cases().await;
    assert_eq!(cases.len(), 1);
    let name = &cases[0].case.complaint().complainant.as_ref().unwrap().name;
    assert_eq!(name.chars().count(), complaints_core::complaint::MAX_COMPLAINT_SHORT_CHARS);
    assert!(name.chars().all(|c| c == 'K'));
}

#[tokio::test]
async fn attachments_are_fetched_by_the_sweep_and_stored_with_the_case() {
    let h = Harness::with_platform(all_secrets()).await;
    let base = h.platform.as_ref().unwrap().base.clone();
    let with_image = serde_json::to_vec(&serde_json::json!({
        "object": "page",
        "entry": [{"id": "111", "time": 1, "messaging": [{
            "sender": {"id": "5678"}, "recipient": {"id": "111"}, "timestamp": 1,
            "message": {"mid": "m-img", "text": "The broken swing", "attachments": [
                {"type": "image", "payload": {"url": format!("{base}/media/photo")}},
                {"type": "location", "payload": {"coordinates": {"lat": 55.9, "long": -3.2}}}
            ]}
        }]}]
    }))
    .unwrap();

    assert_eq!(h.meta(&with_image).await.0, StatusCode::OK);
    assert!(h.objects.keys("social/attachments/").is_empty(), "nothing is fetched inside the webhook");
    let cases = h.cases().await;
    let reference = cases[0].case.reference().clone();
    assert_eq!(cases[0].case.complaint().description, "The broken swing\n[attachment: image]\n[attachment: location]");

    h.sweep().await;

    let timeline = h.store.timeline(&reference).await.unwrap();
    let queued: Vec<_> = timeline
        .iter()
        .filter_map(|e| match &e.what {
            CaseEvent::SocialAttachmentsQueued { message_ref, attachments, .. } => Some((message_ref, attachments)),
            _ => None,
        })
        .collect();
    assert_eq!(queued.len(), 1, "{timeline:?}");
    let (message_ref, attachments) = queued[0];
    assert_eq!((message_ref.as_str(), attachments.len()), ("m-img", 1), "only the image has content");
    let stored = h.objects.get(&attachments[0].stored_key).await.expect("stored with the case");
    assert_eq!(String::from_utf8_lossy(&stored), "content of photo (no token)", "no token is sent to Meta's CDN");
    assert!(timeline.iter().any(
        |e| matches!(&e.what, CaseEvent::MessageSent { message_id, .. } if *message_id == attachments[0].fetch_id)
    ));

    // A repeat of the delivery queues nothing twice.
    h.meta(&with_image).await;
    h.sweep().await;
    let timeline = h.store.timeline(&reference).await.unwrap();
    assert_eq!(timeline.iter().filter(|e| matches!(e.what, CaseEvent::SocialAttachmentsQueued { .. })).count(), 1);
}

#[tokio::test]
async fn a_whatsapp_media_id_is_looked_up_with_the_token_and_an_oversized_file_is_flagged_not_lost() {
    let h = Harness::with_platform(all_secrets()).await;
    let base = h.platform.as_ref().unwrap().base.clone();
    let whatsapp = |id: &str, media: serde_json::Value| {
        serde_json::to_vec(&serde_json::json!({
            "object": "whatsapp_business_account",
            "entry": [{"id": "880", "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"phone_number_id": "555"},
                "contacts": [{"profile": {"name": "Kerry"}, "wa_id": "4470000"}],
                "messages": [{"from": "4470000", "id": id, "timestamp": "1", "type": "image", "image": media}]
            }}]}]
        }))
        .unwrap()
    };
    h.meta(&whatsapp("wamid.a", serde_json::json!({"id": "abc", "mime_type": "image/jpeg", "caption": "Fly-tipping"})))
        .await;
    h.sweep().await;

    let cases = h.cases().await;
    let reference = cases[0].case.reference().clone();
    let stored = h.objects.keys("social/attachments/");
    assert_eq!(stored.len(), 1, "{stored:?}");
    let content = h.objects.get(&stored[0]).await.unwrap();
    assert_eq!(String::from_utf8_lossy(&content), "content of wa-abc (Bearer whatsapp-token)");

    // A Messenger image over the limit: refused for good, recorded, and the case flagged.
    let big = serde_json::to_vec(&serde_json::json!({
        "object": "page",
        "entry": [{"id": "111", "messaging": [{"sender": {"id": "4470000"}, "recipient": {"id": "111"},
            "message": {"mid": "m-big", "attachments": [{"type": "video", "payload": {"url": format!("{base}/media/big")}}]}}]}]
    }))
    .unwrap();
    h.meta(&big).await;
    h.sweep().await;
    let big_case = h.cases().await.into_iter().find(|c| c.case.reference() != &reference).expect("a Messenger case");
    let timeline = h.store.timeline(big_case.case.reference()).await.unwrap();
    assert!(timeline.iter().any(|e| matches!(e.what, CaseEvent::MessageUndeliverable { .. })), "{timeline:?}");
    assert!(timeline.iter().any(|e| e.what == CaseEvent::FlaggedForStaff { reason: StaffFlag::UndeliverableMail }));
    assert_eq!(h.objects.keys("social/attachments/").len(), 1, "nothing partial is stored");
}
