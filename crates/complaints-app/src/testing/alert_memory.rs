//! [`AlertStore`] on the in-memory case store: the same all-or-nothing batch as the real stores,
//! under the store's one lock.

use async_trait::async_trait;
use chrono::NaiveDate;
use complaints_core::reference::CaseRef;

use super::{MemoryCaseStore, Outgoing};
use crate::alert_store::{AlertBatch, AlertCommit, AlertStore, DigestDraft, DigestSent, MAX_BATCH_ACTIONS};
use crate::outbound::{DeliveryState, NewMessage, PendingMessage};
use crate::ports::{StoreError, StoredCase};

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
        for alert in batch.alerts {
            memory.markers.insert(alert.marker);
            memory.timelines.entry(alert.reference).or_default().push(alert.event);
        }
        for lines in batch.drafts {
            let draft = memory.drafts.entry(lines.key.clone()).or_insert_with(|| DigestDraft {
                key: lines.key,
                lines: Vec::new(),
                version: 0,
                updated: batch.at,
            });
            draft.lines.extend(lines.lines);
            draft.version += 1;
            draft.updated = batch.at;
        }
        Ok(AlertCommit::Written)
    }

    async fn digest_drafts(&self) -> Result<Vec<DigestDraft>, StoreError> {
        Ok(self.memory().drafts.values().cloned().collect())
    }

    async fn send_digest(&self, draft: &DigestDraft, message: NewMessage) -> Result<DigestSent, StoreError> {
        let mut memory = self.memory();
        let current = memory.drafts.get(&draft.key).map(|d| d.version);
        if current != Some(draft.version) || memory.outgoing.contains_key(&message.message.message_id) {
            return Ok(DigestSent::Changed);
        }
        memory.drafts.remove(&draft.key);
        let record = PendingMessage {
            next_attempt_at: message.message.date,
            message: message.message,
            recipient_key: message.recipient_key,
            state: DeliveryState::Pending,
            attempts: 0,
            last_error: None,
        };
        let queued_at = record.next_attempt_at;
        memory.outgoing.insert(record.message.message_id.clone(), Outgoing { record, lease_until: None, queued_at });
        Ok(DigestSent::Sent)
    }

    async fn alert_due_by(&self, horizon: NaiveDate) -> Result<Vec<StoredCase>, StoreError> {
        let memory = self.memory();
        let mut due: Vec<(NaiveDate, StoredCase)> = memory
            .cases
            .values()
            .filter(|stored| stored.case.index().open)
            .filter_map(|stored| {
                let date = match memory.alert_dates.get(stored.case.reference()) {
                    Some((version, date)) if *version == stored.version => *date,
                    _ => stored.case.index().next_due,
                };
                date.filter(|d| *d <= horizon).map(|d| (d, stored.clone()))
            })
            .collect();
        due.sort_by(|(a, x), (b, y)| a.cmp(b).then_with(|| x.case.reference().cmp(y.case.reference())));
        Ok(due.into_iter().map(|(_, stored)| stored).collect())
    }

    async fn set_alert_date(
        &self,
        reference: &CaseRef,
        version: u64,
        date: Option<NaiveDate>,
    ) -> Result<(), StoreError> {
        let mut memory = self.memory();
        if memory.cases.get(reference).is_some_and(|stored| stored.version == version) {
            memory.alert_dates.insert(reference.clone(), (version, date));
        }
        Ok(())
    }

    async fn calendar_applied(&self, version: &str) -> Result<bool, StoreError> {
        Ok(self.memory().markers.contains(&format!("{CALENDAR_PREFIX}{version}")))
    }

    async fn mark_calendar_applied(&self, version: &str) -> Result<(), StoreError> {
        self.memory().markers.insert(format!("{CALENDAR_PREFIX}{version}"));
        Ok(())
    }
}
