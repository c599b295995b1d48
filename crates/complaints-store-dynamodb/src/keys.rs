//! The single-table layout: typed keys, sparse index attributes and how a case becomes items.
//!
//! Every key is built here, so the layout is in one place and personal data can be checked to
//! stay out of keys: keys hold references, dates, counters and hashes only.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use complaints_core::case::{Case, CaseIndex, ContactKey};
use complaints_core::reference::CaseRef;
use complaints_core::timeline::TimelineEvent;
use sha2::{Digest, Sha256};

use crate::error::DynamoError;

/// An item as the SDK takes and returns it.
pub type Item = HashMap<String, AttributeValue>;

/// Table partition and sort key attribute names.
pub const PK: &str = "pk";
pub const SK: &str = "sk";

/// Sparse index of open cases by next due date: only open cases with a running clock carry
/// these attributes, so the breach scan never reads a closed case (architecture §4).
pub const GSI_DUE: &str = "gsi1-due";
pub const GSI1PK: &str = "gsi1pk";
pub const GSI1SK: &str = "gsi1sk";

/// Per-month partitions for exports: case items carry `RECEIVED#<yyyy-mm>`, closure items
/// `CLOSED#<yyyy-mm>`, so an export reads only its period's items.
pub const GSI_PERIOD: &str = "gsi2-period";
pub const GSI2PK: &str = "gsi2pk";
pub const GSI2SK: &str = "gsi2sk";

/// Contact lookup by the keyed hash of the normalised address (never the address itself).
pub const GSI_CONTACT: &str = "gsi3-contact";
pub const GSI3PK: &str = "gsi3pk";
pub const GSI3SK: &str = "gsi3sk";

/// Sparse index of open cases by the date the breach scan next needs them (issue 14): written as
/// the next due date with every case put, moved later (or removed) by the scan itself once the
/// case's current alert levels have fired, so an overdue case is not read on every run.
pub const GSI_ALERT: &str = "gsi4-alert";
pub const GSI4PK: &str = "gsi4pk";
pub const GSI4SK: &str = "gsi4sk";

/// The single partition of the alert index (sized like the due index: open cases only).
pub const ALERT_PARTITION: &str = "ALERTDUE";

/// Non-key attributes.
pub const ATTR_REF: &str = "ref";
pub const ATTR_VERSION: &str = "version";
pub const ATTR_CASE: &str = "case";
pub const ATTR_EVENT: &str = "event";
pub const ATTR_COUNTER: &str = "n";
pub const ATTR_RECEIVED_ON: &str = "received_on";
pub const ATTR_CLOSED_ON: &str = "closed_on";

/// The single partition of the due index. Complaint volumes (hundreds a day) are far below the
/// 1,000 writes/s a partition takes, so sharding would only add fan-out queries.
pub const DUE_PARTITION: &str = "DUE";

/// The sort key for a case item.
const CASE_SK: &str = "CASE";
/// A character that sorts after every character of a reference or date, for inclusive ranges.
pub const RANGE_END: char = '~';

#[must_use]
pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

#[must_use]
pub fn n(value: u64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// `CASE#<ref>`: the partition holding a case, its timeline, closures and alert markers, so a
/// retention job deletes one partition.
#[must_use]
pub fn case_pk(reference: &CaseRef) -> String {
    format!("CASE#{reference}")
}

/// Primary key of a case item.
#[must_use]
pub fn case_key(reference: &CaseRef) -> Item {
    key(case_pk(reference), CASE_SK.to_owned())
}

/// Primary key of the yearly reference counter for one prefix (`SEQ#CMP#2026`).
#[must_use]
pub fn counter_key(reference: &CaseRef) -> Item {
    key(format!("SEQ#{}#{}", reference.prefix(), reference.year()), "SEQ".to_owned())
}

/// Primary key of an idempotency record. The channel's message id is hashed: it can carry a
/// sender's domain or handle, which must not appear in a key.
#[must_use]
pub fn intake_key(source_key: &str) -> Item {
    key(format!("INTAKE#{}", sha256_hex(source_key)), "INTAKE".to_owned())
}

/// Primary key of the record that maps an outbound Message-ID to its case (hashed: Message-IDs
/// are long and may carry a host name).
#[must_use]
pub fn message_key(message_id: &str) -> Item {
    key(format!("MSG#{}", sha256_hex(normalise_message_id(message_id))), "MSG".to_owned())
}

/// Primary key of an alert marker; it lives in the case's partition. Markers are built by the
/// application from the reference, clock, level and deadline version: no personal data.
#[must_use]
pub fn alert_key(marker: &str, reference: &CaseRef) -> Item {
    key(case_pk(reference), format!("ALERT#{marker}"))
}

/// Sort-key prefix of timeline entries.
pub const EVENT_PREFIX: &str = "EVENT#";

/// Message-IDs arrive with or without angle brackets and surrounding space; compare bare.
#[must_use]
pub fn normalise_message_id(message_id: &str) -> &str {
    message_id.trim().trim_start_matches('<').trim_end_matches('>')
}

fn key(pk: String, sk: String) -> Item {
    HashMap::from([(PK.to_owned(), s(pk)), (SK.to_owned(), s(sk))])
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn month(date: NaiveDate) -> String {
    format!("{:04}-{:02}", date.year(), date.month())
}

/// `RECEIVED#<yyyy-mm>` partition of the period index.
#[must_use]
pub fn received_partition(date: NaiveDate) -> String {
    format!("RECEIVED#{}", month(date))
}

/// `CLOSED#<yyyy-mm>` partition of the period index.
#[must_use]
pub fn closed_partition(date: NaiveDate) -> String {
    format!("CLOSED#{}", month(date))
}

/// `CONTACT#<keyed hash>` partition of the contact index.
#[must_use]
pub fn contact_partition(key: &ContactKey) -> String {
    format!("CONTACT#{}", key.0)
}

/// The first day of each month that overlaps `from..=to`.
#[must_use]
pub fn months_between(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    let mut months = Vec::new();
    let mut current = from.with_day(1);
    while let Some(first) = current {
        if first > to {
            break;
        }
        months.push(first);
        current = first.checked_add_months(chrono::Months::new(1));
    }
    months
}

/// The case item: the case as JSON plus the index attributes that make it findable. Index
/// attributes are present only when they apply, which is what makes the indexes sparse.
///
/// # Errors
/// [`DynamoError::Encode`] when the case does not serialise.
pub fn case_item(case: &Case, index: &CaseIndex, version: u64) -> Result<Item, DynamoError> {
    let reference = case.reference();
    let json = serde_json::to_string(case).map_err(DynamoError::Encode)?;
    let mut item = case_key(reference);
    item.insert(ATTR_REF.to_owned(), s(reference.to_string()));
    item.insert(ATTR_VERSION.to_owned(), n(version));
    item.insert(ATTR_CASE.to_owned(), s(json));
    item.insert(ATTR_RECEIVED_ON.to_owned(), s(index.received_on.to_string()));
    if let (true, Some(due)) = (index.open, index.next_due) {
        item.insert(GSI1PK.to_owned(), s(DUE_PARTITION));
        item.insert(GSI1SK.to_owned(), s(format!("{due}#{reference}")));
        item.insert(GSI4PK.to_owned(), s(ALERT_PARTITION));
        item.insert(GSI4SK.to_owned(), s(format!("{due}#{reference}")));
    }
    item.insert(GSI2PK.to_owned(), s(received_partition(index.received_on)));
    item.insert(GSI2SK.to_owned(), s(format!("{}#{reference}", index.received_on)));
    if let Some(contact) = &index.contact_key {
        item.insert(GSI3PK.to_owned(), s(contact_partition(contact)));
        item.insert(GSI3SK.to_owned(), s(reference.to_string()));
    }
    Ok(item)
}

/// One item per stage closure, in the case's partition and in its month's `CLOSED#` partition.
/// Keyed by position so rewriting them on every update is idempotent.
#[must_use]
pub fn closure_items(reference: &CaseRef, index: &CaseIndex) -> Vec<Item> {
    index
        .closed_on
        .iter()
        .enumerate()
        .map(|(position, date)| {
            let mut item = key(case_pk(reference), format!("CLOSED#{position:03}"));
            item.insert(ATTR_REF.to_owned(), s(reference.to_string()));
            item.insert(ATTR_CLOSED_ON.to_owned(), s(date.to_string()));
            item.insert(GSI2PK.to_owned(), s(closed_partition(*date)));
            item.insert(GSI2SK.to_owned(), s(format!("{date}#{reference}#{position:03}")));
            item
        })
        .collect()
}

/// Timeline items for the events written with `version`. The sort key orders by time, then by
/// the write that added them, then by position, so the timeline reads back oldest first and two
/// writes at the same instant never collide.
///
/// # Errors
/// [`DynamoError::Encode`] when an event does not serialise.
pub fn event_items(reference: &CaseRef, version: u64, events: &[TimelineEvent]) -> Result<Vec<Item>, DynamoError> {
    events
        .iter()
        .enumerate()
        .map(|(position, event)| {
            let json = serde_json::to_string(event).map_err(DynamoError::Encode)?;
            let mut item = key(case_pk(reference), event_sk(event.at, version, position));
            item.insert(ATTR_EVENT.to_owned(), s(json));
            Ok(item)
        })
        .collect()
}

fn event_sk(at: DateTime<Utc>, version: u64, position: usize) -> String {
    // Fixed width so string order is time order.
    format!("{EVENT_PREFIX}{}#{version:010}#{position:04}", at.format("%Y-%m-%dT%H:%M:%S%.6fZ"))
}

/// A string attribute of an item.
///
/// # Errors
/// [`DynamoError::Malformed`] when it is missing or not a string.
pub fn get_s<'a>(item: &'a Item, name: &'static str) -> Result<&'a str, DynamoError> {
    match item.get(name) {
        Some(AttributeValue::S(value)) => Ok(value),
        _ => Err(DynamoError::Malformed(name)),
    }
}

/// A number attribute of an item.
///
/// # Errors
/// [`DynamoError::Malformed`] when it is missing or not a whole number.
pub fn get_n(item: &Item, name: &'static str) -> Result<u64, DynamoError> {
    match item.get(name) {
        Some(AttributeValue::N(value)) => value.parse().map_err(|_| DynamoError::Malformed(name)),
        _ => Err(DynamoError::Malformed(name)),
    }
}

/// A time attribute of an item, as [`ts`] wrote it (or any RFC 3339 text).
///
/// # Errors
/// [`DynamoError::Malformed`] when it is missing, not a string or not a time.
pub fn get_ts(item: &Item, name: &'static str) -> Result<DateTime<Utc>, DynamoError> {
    DateTime::parse_from_rfc3339(get_s(item, name)?).map(|t| t.to_utc()).map_err(|_| DynamoError::Malformed(name))
}

/// The reference an item names in its `ref` attribute.
///
/// # Errors
/// [`DynamoError::Malformed`].
pub fn get_ref(item: &Item) -> Result<CaseRef, DynamoError> {
    get_s(item, ATTR_REF)?.parse().map_err(|_| DynamoError::Malformed(ATTR_REF))
}

/// Decodes a case item.
///
/// # Errors
/// [`DynamoError::Malformed`] or [`DynamoError::Decode`].
pub fn decode_case(item: &Item) -> Result<(Case, u64), DynamoError> {
    let case = serde_json::from_str(get_s(item, ATTR_CASE)?).map_err(DynamoError::Decode)?;
    Ok((case, get_n(item, ATTR_VERSION)?))
}

/// The due index's partition for pending outbound messages: the sweep queries it by next attempt
/// time. Only pending messages carry it, so the sweep's cost follows what is pending.
pub const OUTBOX_PARTITION: &str = "OUTBOX";

/// Attributes of an outbound message (on its `MSG#` item, beside `ref`).
pub const ATTR_MESSAGE_ID: &str = "mid";
pub const ATTR_PURPOSE: &str = "purpose";
pub const ATTR_SENDER: &str = "sender";
pub const ATTR_RECIPIENTS: &str = "to";
pub const ATTR_DATE: &str = "date";
pub const ATTR_RAW: &str = "raw";
pub const ATTR_STATE: &str = "state";
pub const ATTR_ATTEMPTS: &str = "attempts";
pub const ATTR_NEXT_AT: &str = "next_at";
pub const ATTR_LEASE: &str = "lease";
pub const ATTR_ERROR: &str = "err";
pub const ATTR_FINISHED: &str = "finished_at";
pub const ATTR_RECIPIENT_KEY: &str = "rcpt";

/// Timestamps as fixed-width UTC text, so string order is time order.
#[must_use]
pub fn ts(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// The hash that keys a Message-ID (as in [`message_key`]).
#[must_use]
pub fn message_hash(message_id: &str) -> String {
    sha256_hex(normalise_message_id(message_id))
}

/// Sort key of the due index for a pending message due at `at`.
#[must_use]
pub fn outbox_sort_key(at: DateTime<Utc>, message_id: &str) -> String {
    format!("{}#{}", ts(at), message_hash(message_id))
}

/// Attributes of a recipient's cap window (`CAP#<keyed hash>`): when the 24-hour window began,
/// and a version every change moves (the condition of the next change).
pub const ATTR_WINDOW_START: &str = "window_start";
pub const ATTR_CAP_VERSION: &str = "v";

/// Primary key of a recipient's cap window: the keyed hash of the address, never the address.
#[must_use]
pub fn cap_key(recipient: &ContactKey) -> Item {
    key(format!("CAP#{}", recipient.0), "CAP".to_owned())
}

/// `RCPT#<keyed hash>` partition of the contact index: the automatic messages one recipient was
/// sent, by time (the per-recipient cap). The keyed hash never reveals the address.
#[must_use]
pub fn recipient_partition(key: &ContactKey) -> String {
    format!("RCPT#{}", key.0)
}

/// A pending outbound message: its `MSG#` item (so replies find the case), in the due index's
/// `OUTBOX` partition until it is sent, and in its recipient's partition of the contact index.
///
/// # Errors
/// [`DynamoError::Encode`] when the purpose does not serialise.
pub fn outgoing_item(
    message: &complaints_mail::QueuedMessage,
    recipient: Option<&ContactKey>,
    reference: &CaseRef,
) -> Result<Item, DynamoError> {
    let mut item = caseless_outgoing_item(message, recipient)?;
    let reference = message.case_ref.as_ref().unwrap_or(reference);
    item.insert(ATTR_REF.to_owned(), s(reference.to_string()));
    Ok(item)
}

/// A pending outbound message that belongs to no case (staff mail such as an export notice): as
/// [`outgoing_item`] without `ref`, so a reply can never be led to a case.
///
/// # Errors
/// [`DynamoError::Encode`] when the purpose does not serialise.
pub fn caseless_outgoing_item(
    message: &complaints_mail::QueuedMessage,
    recipient: Option<&ContactKey>,
) -> Result<Item, DynamoError> {
    let serde_json::Value::String(purpose) = serde_json::to_value(message.purpose).map_err(DynamoError::Encode)? else {
        return Err(DynamoError::Malformed(ATTR_PURPOSE));
    };
    let mut item = message_key(&message.message_id);
    item.insert(ATTR_MESSAGE_ID.to_owned(), s(message.message_id.clone()));
    item.insert(ATTR_PURPOSE.to_owned(), s(purpose));
    item.insert(ATTR_SENDER.to_owned(), s(message.from.as_str()));
    item.insert(ATTR_RECIPIENTS.to_owned(), AttributeValue::L(message.to.iter().map(|a| s(a.as_str())).collect()));
    item.insert(ATTR_DATE.to_owned(), s(ts(message.date)));
    item.insert(ATTR_RAW.to_owned(), AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(message.raw.clone())));
    item.insert(ATTR_STATE.to_owned(), s("pending"));
    item.insert(ATTR_ATTEMPTS.to_owned(), n(0));
    item.insert(ATTR_NEXT_AT.to_owned(), s(ts(message.date)));
    item.insert(GSI1PK.to_owned(), s(OUTBOX_PARTITION));
    item.insert(GSI1SK.to_owned(), s(outbox_sort_key(message.date, &message.message_id)));
    if let Some(key) = recipient {
        item.insert(ATTR_RECIPIENT_KEY.to_owned(), s(key.0.clone()));
        item.insert(GSI3PK.to_owned(), s(recipient_partition(key)));
        item.insert(GSI3SK.to_owned(), s(outbox_sort_key(message.date, &message.message_id)));
    }
    Ok(item)
}

/// Decodes an outbound message item; `None` for a bare Message-ID record (written by
/// `record_message`, with no message).
///
/// # Errors
/// [`DynamoError::Malformed`].
pub fn decode_outgoing(item: &Item) -> Result<Option<complaints_app::outbound::PendingMessage>, DynamoError> {
    use complaints_app::outbound::{DeliveryState, PendingMessage};
    use complaints_core::complaint::EmailAddress;
    if !item.contains_key(ATTR_MESSAGE_ID) {
        return Ok(None);
    }
    let time = |name: &'static str| get_ts(item, name);
    let address = |text: &str, name: &'static str| EmailAddress::parse(text).map_err(|_| DynamoError::Malformed(name));
    let purpose = serde_json::from_value(serde_json::Value::String(get_s(item, ATTR_PURPOSE)?.to_owned()))
        .map_err(|_| DynamoError::Malformed(ATTR_PURPOSE))?;
    let to = match item.get(ATTR_RECIPIENTS) {
        Some(AttributeValue::L(list)) => list
            .iter()
            .map(|value| match value {
                AttributeValue::S(text) => address(text, ATTR_RECIPIENTS),
                _ => Err(DynamoError::Malformed(ATTR_RECIPIENTS)),
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err(DynamoError::Malformed(ATTR_RECIPIENTS)),
    };
    let raw = match item.get(ATTR_RAW) {
        Some(AttributeValue::B(blob)) => blob.clone().into_inner(),
        _ => return Err(DynamoError::Malformed(ATTR_RAW)),
    };
    let last_error = get_s(item, ATTR_ERROR).ok().map(str::to_owned);
    let state = match get_s(item, ATTR_STATE)? {
        "pending" => DeliveryState::Pending,
        "sent" => DeliveryState::Sent { at: time(ATTR_FINISHED)? },
        "failed" => DeliveryState::Failed { at: time(ATTR_FINISHED)?, reason: last_error.clone().unwrap_or_default() },
        _ => return Err(DynamoError::Malformed(ATTR_STATE)),
    };
    let date = time(ATTR_DATE)?;
    Ok(Some(PendingMessage {
        message: complaints_mail::QueuedMessage {
            message_id: get_s(item, ATTR_MESSAGE_ID)?.to_owned(),
            // Staff digests (breach scan) belong to no case and carry no reference.
            case_ref: if item.contains_key(ATTR_REF) { Some(get_ref(item)?) } else { None },
            purpose,
            from: address(get_s(item, ATTR_SENDER)?, ATTR_SENDER)?,
            to,
            date,
            raw,
        },
        recipient_key: get_s(item, ATTR_RECIPIENT_KEY).ok().map(|k| ContactKey(k.to_owned())),
        state,
        attempts: u32::try_from(get_n(item, ATTR_ATTEMPTS)?).map_err(|_| DynamoError::Malformed(ATTR_ATTEMPTS))?,
        next_attempt_at: if item.contains_key(ATTR_NEXT_AT) { time(ATTR_NEXT_AT)? } else { date },
        last_error,
    }))
}

/// A timeline item for an event recorded by mail delivery (no case version goes with it): keyed
/// by time and the message, so it sorts with the case's other events and never collides.
///
/// # Errors
/// [`DynamoError::Encode`] when the event does not serialise.
pub fn delivery_event_item(reference: &CaseRef, message_id: &str, event: &TimelineEvent) -> Result<Item, DynamoError> {
    let json = serde_json::to_string(event).map_err(DynamoError::Encode)?;
    let sk = format!("{EVENT_PREFIX}{}#MAIL#{}", ts(event.at), &message_hash(message_id)[..16]);
    let mut item = key(case_pk(reference), sk);
    item.insert(ATTR_EVENT.to_owned(), s(json));
    Ok(item)
}

/// Decodes a timeline item.
///
/// # Errors
/// [`DynamoError::Malformed`] or [`DynamoError::Decode`].
pub fn decode_event(item: &Item) -> Result<TimelineEvent, DynamoError> {
    serde_json::from_str(get_s(item, ATTR_EVENT)?).map_err(DynamoError::Decode)
}

#[cfg(test)]
mod tests {
    use super::*;
    use complaints_core::calendar::Calendar;
    use complaints_core::case::Rules;
    use complaints_core::complaint::{Channel, Complainant, ComplaintDraft, EmailAddress, IntakeRoute};
    use complaints_core::policy::Policy;
    use complaints_core::timeline::Actor;

    const NAME: &str = "Morag Fictional";
    const EMAIL: &str = "morag.fictional@example.org";

    fn sample_case() -> (Case, Vec<TimelineEvent>) {
        let draft = ComplaintDraft {
            channel: Channel::Email,
            complainant: Some(Complainant {
                name: NAME.to_owned(),
                email: Some(EmailAddress::parse(EMAIL).expect("valid address")),
                phone: None,
                handle: None,
            }),
            service_area: "Waste".to_owned(),
            description: "The bins at 12 Fictional Road were not collected.".to_owned(),
            event_date: None,
            awareness_date: None,
            outcome_sought: None,
            preferred_contact: None,
            adjustments: None,
            representation: None,
            child: None,
            source_ref: Some("<abc@mail.example.org>".to_owned()),
            route: IntakeRoute::Stage1,
        };
        let at: DateTime<Utc> = "2026-11-25T10:00:00Z".parse().expect("timestamp");
        let complaint = draft.validate(at.date_naive()).expect("valid complaint");
        let calendar = Calendar::scotland();
        let policy = Policy::default();
        let reference = CaseRef::new("CMP", 2026, 7).expect("reference");
        Case::open(
            reference,
            complaint,
            at,
            "Waste team".to_owned(),
            Some(ContactKey("k3y3dh45h".to_owned())),
            Rules { calendar: &calendar, policy: &policy },
            Actor::System,
        )
    }

    fn date(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    fn keys_of(item: &Item) -> Vec<String> {
        [PK, SK, GSI1PK, GSI1SK, GSI2PK, GSI2SK, GSI3PK, GSI3SK]
            .iter()
            .filter_map(|name| item.get(*name).and_then(|v| v.as_s().ok()).cloned())
            .collect()
    }

    #[test]
    fn no_key_or_index_attribute_carries_personal_data() {
        let (case, events) = sample_case();
        let mut index = case.index();
        index.closed_on = vec![date("2026-12-01")];
        let mut items = vec![case_item(&case, &index, 1).expect("encodes")];
        items.extend(closure_items(case.reference(), &index));
        items.extend(event_items(case.reference(), 1, &events).expect("encodes"));
        items.push(intake_key("email:<abc@mail.example.org>"));
        items.push(message_key("<cmp-2026-00007.ack@complaints.example.org>"));
        for item in &items {
            for key in keys_of(item) {
                for secret in [NAME, "Morag", EMAIL, "example.org", "Fictional Road", "mail.example"] {
                    assert!(!key.contains(secret), "key {key:?} contains {secret:?}");
                }
            }
        }
    }

    #[test]
    fn due_index_attributes_exist_only_on_open_cases_with_a_due_date() {
        let (case, _) = sample_case();
        let open = case.index();
        let cases = [
            ("open with a due date", open.clone(), true),
            ("open, nothing running", CaseIndex { next_due: None, ..open.clone() }, false),
            ("closed", CaseIndex { open: false, closed_on: vec![date("2026-12-02")], ..open.clone() }, false),
        ];
        for (label, index, indexed) in cases {
            let item = case_item(&case, &index, 3).expect("encodes");
            assert_eq!(item.contains_key(GSI1PK), indexed, "{label}: gsi1pk");
            assert_eq!(item.contains_key(GSI1SK), indexed, "{label}: gsi1sk");
            if indexed {
                let expected = format!("{}#{}", index.next_due.expect("due"), case.reference());
                assert_eq!(get_s(&item, GSI1SK).expect("gsi1sk"), expected, "{label}");
            }
        }
    }

    #[test]
    fn contact_index_attributes_exist_only_when_there_is_a_contact_key() {
        let (case, _) = sample_case();
        let with = case.index();
        let without = CaseIndex { contact_key: None, ..with.clone() };
        let item = case_item(&case, &with, 1).expect("encodes");
        assert_eq!(get_s(&item, GSI3PK).expect("gsi3pk"), "CONTACT#k3y3dh45h");
        assert!(!case_item(&case, &without, 1).expect("encodes").contains_key(GSI3PK));
    }

    #[test]
    fn each_closure_lands_in_its_own_month_partition() {
        let (case, _) = sample_case();
        let index = CaseIndex { open: false, closed_on: vec![date("2026-11-30"), date("2027-01-04")], ..case.index() };
        let items = closure_items(case.reference(), &index);
        let partitions: Vec<&str> = items.iter().map(|i| get_s(i, GSI2PK).expect("gsi2pk")).collect();
        assert_eq!(partitions, ["CLOSED#2026-11", "CLOSED#2027-01"]);
        let sort_keys: Vec<&str> = items.iter().map(|i| get_s(i, SK).expect("sk")).collect();
        assert_eq!(sort_keys, ["CLOSED#000", "CLOSED#001"]);
    }

    #[test]
    fn a_case_item_decodes_to_the_case_and_version_it_was_built_from() {
        let (case, events) = sample_case();
        let item = case_item(&case, &case.index(), 4).expect("encodes");
        assert_eq!(decode_case(&item).expect("decodes"), (case.clone(), 4));
        let event_items = event_items(case.reference(), 4, &events).expect("encodes");
        let decoded: Vec<TimelineEvent> = event_items.iter().map(|i| decode_event(i).expect("decodes")).collect();
        assert_eq!(decoded, events);
    }

    #[test]
    fn event_sort_keys_order_by_time_then_write_then_position() {
        let early: DateTime<Utc> = "2026-11-25T09:59:59.5Z".parse().expect("ts");
        let late: DateTime<Utc> = "2026-11-25T10:00:00Z".parse().expect("ts");
        let in_order = [
            event_sk(early, 9, 0),
            event_sk(late, 1, 0),
            event_sk(late, 1, 1),
            event_sk(late, 2, 0),
            event_sk(late, 10, 0),
        ];
        let mut sorted = in_order.clone();
        sorted.sort();
        assert_eq!(sorted, in_order);
    }

    #[test]
    fn months_between_lists_every_month_the_period_touches() {
        let cases = [
            ("2026-07-15", "2026-09-01", vec!["2026-07-01", "2026-08-01", "2026-09-01"]),
            ("2026-12-31", "2027-01-01", vec!["2026-12-01", "2027-01-01"]),
            ("2026-03-05", "2026-03-05", vec!["2026-03-01"]),
            ("2026-04-01", "2026-03-31", vec![]),
        ];
        for (from, to, expected) in cases {
            let got: Vec<String> = months_between(date(from), date(to)).iter().map(ToString::to_string).collect();
            assert_eq!(got, expected, "{from}..={to}");
        }
    }

    #[test]
    fn message_ids_match_with_or_without_angle_brackets() {
        assert_eq!(message_key("<a.b@c>"), message_key(" a.b@c "));
        assert_ne!(message_key("a.b@c"), message_key("a.b@d"));
    }
}
