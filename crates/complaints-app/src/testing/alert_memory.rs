//! [`AlertStore`] on the in-memory case store: the same all-or-nothing batch as the real stores,
//! under the store's one lock.

use async_trait::async_trait;

use super::{MemoryCaseStore, Outgoing};
use crate::alert_store::{AlertBatch, AlertCommit, AlertStore, MAX_BATCH_ACTIONS};
use crate::outbound::{DeliveryState, PendingMessage};
use crate::ports::StoreError;

/// Calendar versions share the marker set under their own prefix (markers start with a reference).
const CALENDAR_PREFIX: &str = "calendar#";

#[async_trait]
impl AlertStore for MemoryCaseStore {
    async fn commit_alerts(&self, batch: AlertBatch) -> Result<AlertCommit, StoreError> {
        if batch.actions() > MAX_BATCH_ACTIONS {
            return Err(StoreError::Unavailable(format!("{} actions in one alert batch", batch.actions()).into()));
        }
        let mut memory = self.memory();
        let placed: Vec<String> =
            batch.alerts.iter().filter(|a| memory.markers.contains(&a.marker)).map(|a| a.marker.clone()).collect();
        if !placed.is_empty() {
            return Ok(AlertCommit::AlreadyPlaced { markers: placed });
        }
        if batch.alerts.iter().any(|a| !memory.cases.contains_key(&a.reference)) {
            return Err(StoreError::NotFound);
        }
        if batch.digests.iter().any(|d| memory.outgoing.contains_key(&d.message.message_id)) {
            return Err(StoreError::Unavailable("a digest with this Message-ID exists".into()));
        }
        for alert in batch.alerts {
            memory.markers.insert(alert.marker);
            memory.timelines.entry(alert.reference).or_default().push(alert.event);
        }
        for digest in batch.digests {
            let record = PendingMessage {
                next_attempt_at: digest.message.date,
                message: digest.message,
                recipient_key: digest.recipient_key,
                state: DeliveryState::Pending,
                attempts: 0,
                last_error: None,
            };
            let queued_at = record.next_attempt_at;
            memory
                .outgoing
                .insert(record.message.message_id.clone(), Outgoing { record, lease_until: None, queued_at });
        }
        Ok(AlertCommit::Written)
    }

    async fn calendar_applied(&self, version: &str) -> Result<bool, StoreError> {
        Ok(self.memory().markers.contains(&format!("{CALENDAR_PREFIX}{version}")))
    }

    async fn mark_calendar_applied(&self, version: &str) -> Result<(), StoreError> {
        self.memory().markers.insert(format!("{CALENDAR_PREFIX}{version}"));
        Ok(())
    }
}
