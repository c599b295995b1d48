//! [`NoticeStore`] on the in-memory case store: marker and messages under the store's one lock.

use async_trait::async_trait;

use super::{MemoryCaseStore, Outgoing};
use crate::notice_store::{MAX_NOTICE_MESSAGES, NoticeCommit, NoticeStore};
use crate::outbound::{DeliveryState, PendingMessage};
use crate::ports::StoreError;

/// Notice markers share the marker set under their own prefix (alert markers start with a
/// reference, calendar versions with `calendar#`).
const NOTICE_PREFIX: &str = "notice#";

#[async_trait]
impl NoticeStore for MemoryCaseStore {
    async fn queue_notice_once(
        &self,
        marker: &str,
        messages: Vec<crate::outbound::NewMessage>,
    ) -> Result<NoticeCommit, StoreError> {
        if messages.len() > MAX_NOTICE_MESSAGES {
            return Err(StoreError::Unavailable(format!("{} messages in one notice", messages.len()).into()));
        }
        let mut memory = self.memory();
        let key = format!("{NOTICE_PREFIX}{marker}");
        if memory.markers.contains(&key) {
            return Ok(NoticeCommit::AlreadyPlaced);
        }
        if messages.iter().any(|m| memory.outgoing.contains_key(&m.message.message_id)) {
            return Err(StoreError::Unavailable("a message with this Message-ID exists".into()));
        }
        memory.markers.insert(key);
        for new in messages {
            let record = PendingMessage {
                next_attempt_at: new.message.date,
                message: new.message,
                recipient_key: new.recipient_key,
                state: DeliveryState::Pending,
                attempts: 0,
                last_error: None,
            };
            let queued_at = record.next_attempt_at;
            memory
                .outgoing
                .insert(record.message.message_id.clone(), Outgoing { record, lease_until: None, queued_at });
        }
        Ok(NoticeCommit::Written)
    }
}
