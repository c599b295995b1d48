//! Subject access (UK GDPR Article 15): one JSON bundle of everything held about a contact, found
//! by the keyed hash of their address (never the address in a key): each of their cases as
//! stored, its whole timeline (internal entries included: the requester is entitled to them,
//! subject to redaction by the organisation before release), and every message we sent about it.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use complaints_core::case::{Case, CaseEvent, ContactKey, MessagePurpose};
use complaints_core::reference::CaseRef;
use complaints_core::timeline::TimelineEvent;
use serde::Serialize;

use crate::outbound::DeliveryState;
use crate::ports::{CaseStore, StoreError};

/// The bundle's format name, so a reader can tell versions apart.
pub const FORMAT: &str = "complaints-subject-access/1";

/// Everything held about one contact.
#[derive(Debug, Clone, Serialize)]
pub struct SubjectAccessExport {
    pub format: &'static str,
    pub generated_at: DateTime<Utc>,
    /// The keyed hash the cases were found by.
    pub contact_key: ContactKey,
    pub cases: Vec<CaseBundle>,
}

/// One case, as held.
#[derive(Debug, Clone, Serialize)]
pub struct CaseBundle {
    pub reference: CaseRef,
    pub version: u64,
    pub case: Case,
    pub timeline: Vec<TimelineEvent>,
    pub messages: Vec<MessageRecord>,
}

/// One message we sent (or queued) about the case, with its whole content.
#[derive(Debug, Clone, Serialize)]
pub struct MessageRecord {
    pub message_id: String,
    pub purpose: MessagePurpose,
    pub to: Vec<String>,
    pub date: DateTime<Utc>,
    /// `pending`, `sent` or `failed`.
    pub state: &'static str,
    pub sent_at: Option<DateTime<Utc>>,
    /// The message as sent (MIME, CRLF line ends).
    pub content: String,
}

/// The Message-IDs a timeline names, in order of first mention.
fn message_ids(timeline: &[TimelineEvent]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    timeline
        .iter()
        .filter_map(|event| match &event.what {
            CaseEvent::MessageQueued { message_id, .. }
            | CaseEvent::MessageSent { message_id, .. }
            | CaseEvent::MessageUndeliverable { message_id, .. }
            | CaseEvent::AcknowledgementSent { message_id } => Some(message_id.clone()),
            _ => None,
        })
        .filter(|id| seen.insert(id.clone()))
        .collect()
}

/// Collects everything held about the contact with `key`, as at `at`.
///
/// # Errors
/// [`StoreError::Unavailable`].
pub async fn export_contact(
    store: &dyn CaseStore,
    key: &ContactKey,
    at: DateTime<Utc>,
) -> Result<SubjectAccessExport, StoreError> {
    let mut references = store.find_by_contact(key).await?;
    references.sort();
    references.dedup();
    let mut cases = Vec::with_capacity(references.len());
    for reference in references {
        let stored = match store.get(&reference).await {
            Ok(stored) => stored,
            // Deleted under a retention policy between the lookup and the read: nothing held.
            Err(StoreError::NotFound) => continue,
            Err(err) => return Err(err),
        };
        let timeline = store.timeline(&reference).await?;
        let mut messages = Vec::new();
        for id in message_ids(&timeline) {
            let Some(pending) = store.message(&id).await? else { continue };
            let (state, sent_at) = match pending.state {
                DeliveryState::Pending => ("pending", None),
                DeliveryState::Sent { at } => ("sent", Some(at)),
                DeliveryState::Failed { .. } => ("failed", None),
            };
            let message = pending.message;
            messages.push(MessageRecord {
                message_id: message.message_id,
                purpose: message.purpose,
                to: message.to.iter().map(|a| a.as_str().to_owned()).collect(),
                date: message.date,
                state,
                sent_at,
                content: String::from_utf8_lossy(&message.raw).into_owned(),
            });
        }
        cases.push(CaseBundle { reference, version: stored.version, case: stored.case, timeline, messages });
    }
    Ok(SubjectAccessExport { format: FORMAT, generated_at: at, contact_key: key.clone(), cases })
}
