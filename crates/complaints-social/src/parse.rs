//! Payloads to intake events. Runs only on bodies whose signature was proved. Read as untyped JSON
//! on purpose: the platforms add fields and kinds freely, and a shape we do not know must become
//! an [`SocialEvent::Unknown`] for staff, never a panic or a 500 that makes the platform retry
//! for days.
//!
//! Meta: `object` = `page` (Messenger), `instagram` or `whatsapp_business_account`, every entry of
//! a batch. X: Account Activity (`for_user_id` + `direct_message_events`, …) and the Activity
//! API's `{"data":{"event_type":…}}` envelope.

use complaints_app::social::{InboundMessage, SocialAddress, SocialEvent, SocialTransport};
use complaints_app::social_attachments::{AttachmentSource, MediaRef};
use serde_json::Value;

/// Longest platform message id we keep (WhatsApp's `wamid.` ids are about 60 characters).
const MAX_MESSAGE_ID: usize = 256;

/// Why a genuine body could not be read at all (the whole delivery goes to staff).
pub type ParseFailure = String;

/// A platform id as a string: ids arrive as strings, and in older payloads as numbers.
fn id_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_owned()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// A person's id on Messenger, Instagram and X (page- and app-scoped ids, X user ids) and a
/// WhatsApp number: digits only, as the platforms issue them.
fn plain_user(id: &str) -> bool {
    id.len() <= 32 && !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())
}

/// A WhatsApp business-scoped user id (`US.1234…`): a country code, a dot, letters, digits, dots.
fn whatsapp_user_id(id: &str) -> bool {
    let Some((country, rest)) = id.split_once('.') else {
        return false;
    };
    country.len() == 2
        && country.bytes().all(|b| b.is_ascii_uppercase())
        && SocialAddress::new(SocialTransport::WhatsApp, "1", id).is_some()
        && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.')
}

/// One of our account ids as a reply address can hold it (digits, letters, `-`).
fn plain_account(id: &str) -> bool {
    SocialAddress::new(SocialTransport::X, id, "1").is_some()
}

/// A URL we will fetch an attachment from: `https://`, of sane length. (The fetcher checks it
/// again; plain `http://` is allowed there only to loopback, for tests.)
fn fetchable(url: &str) -> bool {
    url.len() <= 2048 && (url.starts_with("https://") || url.starts_with("http://127.0.0.1"))
}

fn unknown(reason: &str) -> SocialEvent {
    SocialEvent::Unknown { reason: reason.to_owned() }
}

fn ignored(kind: &str) -> SocialEvent {
    SocialEvent::Ignored { kind: kind.to_owned() }
}

fn message_id(value: Option<&Value>) -> Option<String> {
    id_of(value).filter(|id| id.len() <= MAX_MESSAGE_ID)
}

/// A Meta webhook body.
///
/// # Errors
/// [`ParseFailure`] when the body is not JSON or not a Meta webhook we know.
pub fn meta(body: &[u8]) -> Result<Vec<SocialEvent>, ParseFailure> {
    let root: Value = serde_json::from_slice(body).map_err(|_| "not JSON".to_owned())?;
    let transport = match root.get("object").and_then(Value::as_str) {
        Some("page") => SocialTransport::Messenger,
        Some("instagram") => SocialTransport::Instagram,
        Some("whatsapp_business_account") => SocialTransport::WhatsApp,
        Some(_) => return Err("unknown Meta object".to_owned()),
        None => return Err("no Meta object".to_owned()),
    };
    let entries = root.get("entry").and_then(Value::as_array).ok_or_else(|| "no entry list".to_owned())?;
    let mut events = Vec::new();
    for entry in entries {
        match transport {
            SocialTransport::WhatsApp => whatsapp_entry(entry, &mut events),
            _ => messaging_entry(transport, entry, &mut events),
        }
    }
    Ok(events)
}

/// A Messenger or Instagram entry: `messaging[]` (private messages) and `changes[]` (comments,
/// mentions, page feed).
fn messaging_entry(transport: SocialTransport, entry: &Value, events: &mut Vec<SocialEvent>) {
    let Some(account) = id_of(entry.get("id")).filter(|id| plain_account(id)) else {
        events.push(unknown("entry without a plain account id"));
        return;
    };
    let messaging = entry.get("messaging").and_then(Value::as_array);
    let changes = entry.get("changes").and_then(Value::as_array);
    if messaging.is_none() && changes.is_none() {
        events.push(unknown("entry with neither messaging nor changes"));
        return;
    }
    for item in messaging.into_iter().flatten() {
        events.push(messaging_item(transport, &account, item));
    }
    for change in changes.into_iter().flatten() {
        let field = change.get("field").and_then(Value::as_str).unwrap_or_default();
        match field {
            // Public comments, mentions and page posts: a triage item, never a public reply (R50).
            "comments" | "mentions" | "feed" | "live_comments" => {
                let value = change.get("value");
                let item_id = id_of(value.and_then(|v| v.get("id")))
                    .or_else(|| id_of(value.and_then(|v| v.get("comment_id"))))
                    .or_else(|| id_of(value.and_then(|v| v.get("post_id"))))
                    .unwrap_or_default();
                events.push(SocialEvent::Mention { transport, account: account.clone(), item_id });
            }
            "" => events.push(unknown("change without a field")),
            _ => events.push(ignored("change")),
        }
    }
}

fn messaging_item(transport: SocialTransport, account: &str, item: &Value) -> SocialEvent {
    let sender = id_of(item.get("sender").and_then(|s| s.get("id")));
    if let Some(message) = item.get("message") {
        if message.get("is_echo").and_then(Value::as_bool) == Some(true) {
            return ignored("echo");
        }
        let Some(mid) = message_id(message.get("mid")) else {
            return unknown("message without an id");
        };
        let Some(sender) = sender.filter(|s| plain_user(s)) else {
            return unknown("message without a plain sender id");
        };
        if sender == account {
            return ignored("own message");
        }
        if message.get("is_deleted").and_then(Value::as_bool) == Some(true) {
            return SocialEvent::Deleted { transport, account: account.to_owned(), sender, message_id: mid };
        }
        let text = message.get("text").and_then(Value::as_str).map(str::to_owned).filter(|t| !t.trim().is_empty());
        let kinds: Vec<String> = message
            .get("attachments")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|a| a.get("type").and_then(Value::as_str).unwrap_or("unknown").to_owned())
            .collect();
        if text.is_none() && kinds.iter().any(|k| k == "story_mention") {
            return SocialEvent::Mention { transport, account: account.to_owned(), item_id: mid };
        }
        let attachments: Vec<String> = kinds.into_iter().filter(|k| k != "like_heart").collect();
        // Content we can fetch: the URL the platform gives for images, video, audio and files.
        let media: Vec<MediaRef> = message
            .get("attachments")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|a| {
                let kind = a.get("type").and_then(Value::as_str)?;
                if !matches!(kind, "image" | "video" | "audio" | "file") {
                    return None;
                }
                let url = a.get("payload")?.get("url")?.as_str()?;
                fetchable(url)
                    .then(|| MediaRef { kind: kind.to_owned(), source: AttachmentSource::Url(url.to_owned()) })
            })
            .collect();
        if text.is_none() && attachments.is_empty() {
            return ignored("reaction or empty message");
        }
        return SocialEvent::Message(InboundMessage {
            transport,
            account: account.to_owned(),
            sender,
            sender_name: None,
            message_id: mid,
            text,
            attachments,
            media,
        });
    }
    for kind in ["delivery", "read", "reaction", "postback", "referral", "optin", "message_edit", "policy_enforcement"]
    {
        if item.get(kind).is_some() {
            return ignored(kind);
        }
    }
    unknown("unknown messaging item")
}

/// A WhatsApp entry: `changes[].value` with `metadata`, `contacts`, `messages` or `statuses`.
fn whatsapp_entry(entry: &Value, events: &mut Vec<SocialEvent>) {
    let Some(changes) = entry.get("changes").and_then(Value::as_array) else {
        events.push(unknown("WhatsApp entry without changes"));
        return;
    };
    for change in changes {
        let field = change.get("field").and_then(Value::as_str).unwrap_or_default();
        let Some(value) = change.get("value") else {
            events.push(unknown("WhatsApp change without a value"));
            continue;
        };
        if field != "messages" {
            // Account, template, call and preference updates: not a complaint.
            events.push(ignored("whatsapp field"));
            continue;
        }
        if value.get("errors").is_some() {
            // Meta telling us something failed on our side: staff (or the operator) must see it.
            events.push(unknown("WhatsApp reported errors"));
        }
        for status in value.get("statuses").and_then(Value::as_array).into_iter().flatten() {
            // Receipts are ignored, except a reply of ours that failed: staff must know.
            if status.get("status").and_then(Value::as_str) == Some("failed") {
                events.push(unknown("WhatsApp reports a message of ours failed"));
            } else {
                events.push(ignored("status"));
            }
        }
        let Some(messages) = value.get("messages").and_then(Value::as_array) else {
            continue;
        };
        let Some(account) =
            id_of(value.get("metadata").and_then(|m| m.get("phone_number_id"))).filter(|a| plain_account(a))
        else {
            events.push(unknown("WhatsApp messages without a plain phone number id"));
            continue;
        };
        for message in messages {
            events.push(whatsapp_message(&account, value, message));
        }
    }
}

fn whatsapp_message(account: &str, value: &Value, message: &Value) -> SocialEvent {
    let kind = message.get("type").and_then(Value::as_str).unwrap_or_default();
    let Some(id) = message_id(message.get("id")) else {
        return unknown("WhatsApp message without an id");
    };
    // A phone number, or (for people who hide theirs) a business-scoped user id.
    let sender = match id_of(message.get("from")) {
        Some(from) => Some(from).filter(|s| plain_user(s) || whatsapp_user_id(s)),
        None => id_of(message.get("from_user_id")).filter(|s| whatsapp_user_id(s)),
    };
    let Some(sender) = sender else {
        return unknown("WhatsApp message without a plain sender");
    };
    let transport = SocialTransport::WhatsApp;
    let text_at = |path: &[&str]| {
        let mut at = message;
        for key in path {
            at = at.get(*key)?;
        }
        at.as_str().map(str::to_owned).filter(|t| !t.trim().is_empty())
    };
    let (text, attachments) = match kind {
        "text" => (text_at(&["text", "body"]), Vec::new()),
        "image" | "video" | "document" => (text_at(&[kind, "caption"]), vec![kind.to_owned()]),
        "audio" | "voice" | "sticker" | "location" | "contacts" => (None, vec![kind.to_owned()]),
        "button" => (text_at(&["button", "text"]), Vec::new()),
        "interactive" => {
            let reply = text_at(&["interactive", "button_reply", "title"])
                .or_else(|| text_at(&["interactive", "list_reply", "title"]));
            match reply {
                Some(text) => (Some(text), Vec::new()),
                None => return ignored("interactive reply"),
            }
        }
        "revoke" => {
            let original = message_id(message.get("revoke").and_then(|r| r.get("original_message_id")));
            return SocialEvent::Deleted {
                transport,
                account: account.to_owned(),
                sender,
                message_id: original.unwrap_or(id),
            };
        }
        "reaction" | "system" | "order" | "request_welcome" | "ephemeral" => return ignored("whatsapp message kind"),
        // `unsupported` and kinds we do not know: a person wrote something we cannot read.
        _ => return unknown("WhatsApp message of a kind we do not read"),
    };
    if text.is_none() && attachments.is_empty() {
        return unknown("WhatsApp message without text");
    }
    let media: Vec<MediaRef> = match kind {
        "image" | "video" | "document" | "audio" | "voice" | "sticker" => message
            .get(kind)
            .and_then(|m| id_of(m.get("id")))
            .filter(|id| id.len() <= 128 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
            .map(|id| vec![MediaRef { kind: kind.to_owned(), source: AttachmentSource::WhatsAppMedia(id) }])
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let sender_name = value
        .get("contacts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|c| {
            id_of(c.get("wa_id")).as_deref() == Some(sender.as_str())
                || id_of(c.get("user_id")).as_deref() == Some(sender.as_str())
        })
        .and_then(|c| c.get("profile")?.get("name")?.as_str().map(str::to_owned));
    SocialEvent::Message(InboundMessage {
        transport,
        account: account.to_owned(),
        sender,
        sender_name,
        message_id: id,
        text,
        attachments,
        media,
    })
}

/// An X webhook body: Account Activity or the Activity API envelope.
///
/// # Errors
/// [`ParseFailure`] when the body is not JSON or not an X webhook we know.
pub fn x(body: &[u8]) -> Result<Vec<SocialEvent>, ParseFailure> {
    let root: Value = serde_json::from_slice(body).map_err(|_| "not JSON".to_owned())?;
    if let Some(data) = root.get("data").filter(|d| d.get("event_type").is_some()) {
        return Ok(activity_event(data));
    }
    let Some(account) = id_of(root.get("for_user_id")) else {
        return Err("neither an Account Activity nor an Activity API body".to_owned());
    };
    if !plain_account(&account) {
        return Err("for_user_id is not a plain id".to_owned());
    }
    let mut events = Vec::new();
    let Some(object) = root.as_object() else {
        return Err("not an object".to_owned());
    };
    for (key, value) in object {
        match key.as_str() {
            "for_user_id" | "users" | "apps" | "source" => {}
            "direct_message_events" => {
                for event in value.as_array().into_iter().flatten() {
                    events.push(x_dm(&account, event, root.get("users"), false));
                }
            }
            "direct_message_indicate_typing_events"
            | "direct_message_mark_read_events"
            | "tweet_delete_events"
            | "favorite_events"
            | "follow_events"
            | "unfollow_events"
            | "block_events"
            | "unblock_events"
            | "mute_events"
            | "unmute_events" => events.push(ignored(key)),
            "tweet_create_events" => {
                for _ in value.as_array().into_iter().flatten() {
                    // A public post about us: a triage item, never a public reply (R50).
                    events.push(SocialEvent::Mention {
                        transport: SocialTransport::X,
                        account: account.clone(),
                        item_id: String::new(),
                    });
                }
            }
            // Someone revoked our app's access, or a kind we do not know: staff must see it.
            _ => events.push(unknown("X event kind we do not read")),
        }
    }
    Ok(events)
}

/// The Activity API's `data` envelope.
fn activity_event(data: &Value) -> Vec<SocialEvent> {
    let kind = data.get("event_type").and_then(Value::as_str).unwrap_or_default();
    match kind {
        "dm.received" => {
            let Some(account) = id_of(data.get("filter").and_then(|f| f.get("user_id"))).filter(|a| plain_account(a))
            else {
                return vec![unknown("dm.received without a plain filter user id")];
            };
            let payload = data.get("payload");
            let dms = payload.and_then(|p| p.get("direct_message_events")).and_then(Value::as_array);
            let Some(dms) = dms else {
                return vec![unknown("dm.received without direct_message_events")];
            };
            let users = payload.and_then(|p| p.get("users"));
            dms.iter().map(|event| x_dm(&account, event, users, true)).collect()
        }
        "post.mention.create" | "post.reply.create" | "post.quote.create" => {
            vec![SocialEvent::Mention { transport: SocialTransport::X, account: String::new(), item_id: String::new() }]
        }
        "oauth.revoke" => vec![unknown("X access revoked")],
        "" => vec![unknown("Activity API event without a type")],
        _ => vec![ignored("x activity event")],
    }
}

/// One `message_create` event.
fn x_dm(account: &str, event: &Value, users: Option<&Value>, envelope: bool) -> SocialEvent {
    if event.get("type").and_then(Value::as_str) != Some("message_create") {
        return ignored("x dm event");
    }
    let Some(id) = message_id(event.get("id")) else {
        return unknown("X DM without an id");
    };
    let create = event.get("message_create");
    let Some(sender) = id_of(create.and_then(|c| c.get("sender_id"))).filter(|s| plain_user(s)) else {
        return unknown("X DM without a plain sender");
    };
    if sender == account {
        return ignored("own message");
    }
    let text = create
        .and_then(|c| c.get("message_data")?.get("text")?.as_str())
        .map(str::to_owned)
        .filter(|t| !t.trim().is_empty());
    let attachment = create.and_then(|c| c.get("message_data")?.get("attachment"));
    let attachments =
        attachment.and_then(|a| a.get("type")?.as_str()).map(|kind| vec![kind.to_owned()]).unwrap_or_default();
    let media: Vec<MediaRef> = attachment
        .and_then(|a| a.get("media"))
        .and_then(|m| m.get("media_url_https").and_then(Value::as_str))
        .filter(|url| fetchable(url))
        .map(|url| vec![MediaRef { kind: "media".to_owned(), source: AttachmentSource::Url(url.to_owned()) }])
        .unwrap_or_default();
    if text.is_none() && attachments.is_empty() {
        return unknown("X DM without text");
    }
    let user = users.and_then(|u| u.get(&sender));
    let sender_name = if envelope { user.and_then(|u| u.get("data")) } else { user }
        .and_then(|u| u.get("name")?.as_str())
        .map(str::to_owned);
    SocialEvent::Message(InboundMessage {
        transport: SocialTransport::X,
        account: account.to_owned(),
        sender,
        sender_name,
        message_id: id,
        text,
        attachments,
        media,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(events: &[SocialEvent]) -> Vec<&InboundMessage> {
        events
            .iter()
            .filter_map(|e| match e {
                SocialEvent::Message(m) => Some(m),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn every_entry_of_a_batched_messenger_post_is_read() {
        let body = br#"{"object":"page","entry":[
            {"id":"111","messaging":[{"sender":{"id":"5"},"recipient":{"id":"111"},"message":{"mid":"m1","text":"Bins not collected"}}]},
            {"id":"111","messaging":[{"sender":{"id":"6"},"recipient":{"id":"111"},"message":{"mid":"m2","text":"Pothole"}},
                                     {"sender":{"id":"6"},"recipient":{"id":"111"},"delivery":{"mids":["x"]}}]}]}"#;
        let events = meta(body).expect("a page webhook");
        let found = messages(&events);
        assert_eq!(found.iter().map(|m| m.message_id.as_str()).collect::<Vec<_>>(), ["m1", "m2"]);
        assert_eq!(found[1].sender, "6");
        assert!(events.contains(&SocialEvent::Ignored { kind: "delivery".to_owned() }));
    }

    #[test]
    fn instagram_comments_are_triage_items_and_unsent_messages_deletions() {
        let body = br#"{"object":"instagram","entry":[{"id":"178","time":1,
            "changes":[{"field":"comments","value":{"id":"c1","text":"@council the bins!"}}],
            "messaging":[{"sender":{"id":"9"},"recipient":{"id":"178"},"message":{"mid":"m9","is_deleted":true}}]}]}"#;
        let events = meta(body).expect("an instagram webhook");
        assert!(events.iter().any(|e| matches!(e, SocialEvent::Mention { item_id, .. } if item_id == "c1")));
        assert!(events.iter().any(|e| matches!(e, SocialEvent::Deleted { message_id, .. } if message_id == "m9")));
        assert!(messages(&events).is_empty(), "a comment never becomes a private conversation by itself");
    }

    #[test]
    fn our_own_x_messages_are_ignored_and_the_activity_envelope_is_read() {
        let aaa = br#"{"for_user_id":"100","direct_message_events":[
            {"type":"message_create","id":"1","message_create":{"sender_id":"100","target":{"recipient_id":"7"},"message_data":{"text":"our reply"}}},
            {"type":"message_create","id":"2","message_create":{"sender_id":"7","target":{"recipient_id":"100"},"message_data":{"text":"my bins"}}}],
            "users":{"7":{"name":"Sam"}}}"#;
        let events = x(aaa).expect("account activity");
        let found = messages(&events);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].message_id.as_str(), found[0].sender_name.as_deref()), ("2", Some("Sam")));

        let xaa = br#"{"data":{"event_type":"dm.received","filter":{"user_id":"100"},"payload":{"direct_message_events":[
            {"type":"message_create","id":"3","message_create":{"sender_id":"8","target":{"recipient_id":"100"},"message_data":{"text":"hi"}}}],
            "users":{"8":{"data":{"name":"Ali"}}}}}}"#;
        let events = x(xaa).expect("activity api");
        assert_eq!(messages(&events)[0].sender_name.as_deref(), Some("Ali"));
        assert_eq!(messages(&events)[0].account, "100");
    }

    #[test]
    fn shapes_we_do_not_know_become_unknown_not_errors_or_panics() {
        assert!(meta(b"not json").is_err());
        assert!(meta(br#"{"object":"user","entry":[]}"#).is_err());
        assert!(x(br#"{"hello":1}"#).is_err());
        let odd = meta(br#"{"object":"page","entry":[{"id":"1","messaging":[{"sender":{"id":"2"},"surprise":{}}]}]}"#)
            .expect("genuine page webhook");
        assert_eq!(odd, [SocialEvent::Unknown { reason: "unknown messaging item".to_owned() }]);
        let placeholder = meta(br#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"<ID>"},"messages":[{"id":"w","from":"1","type":"text","text":{"body":"x"}}]}}]}]}"#)
            .expect("genuine");
        assert!(matches!(placeholder[0], SocialEvent::Unknown { .. }), "{placeholder:?}");
    }
}
