//! [`FlaggingCaseStore`]: a [`CaseStore`] that passes everything to the store it wraps and, after
//! a write that put a `FlaggedForStaff` event on a case's timeline (intake's honeypot and mail
//! cap, email intake's quarantine and held attachments, undeliverable mail, abuse reports),
//! raises the flag in the [`FlagStore`] register so staff see it on the flagged page.
//!
//! The flag is raised after the case write, not in its transaction: the timeline stays the record
//! and the register is the work list. Raising is idempotent (the flag's id comes from the case,
//! the time and the flag), and a failure to raise is logged, never turned into a failed case
//! write (which would make intake retry a complaint that was stored).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use complaints_core::case::{Case, ContactKey};
use complaints_core::reference::CaseRef;
use complaints_core::timeline::TimelineEvent;

use crate::flagged::{FlagStore, raise_case_flags};
use crate::outbound::{DeliveryResult, NewMessage, PendingMessage};
use crate::ports::{CaseStore, NewCase, StoreError, StoredCase};

/// A case store that raises the flags it writes into the flagged register.
#[derive(Clone)]
pub struct FlaggingCaseStore {
    inner: Arc<dyn CaseStore>,
    flags: Arc<dyn FlagStore>,
}

impl std::fmt::Debug for FlaggingCaseStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlaggingCaseStore").finish_non_exhaustive()
    }
}

impl FlaggingCaseStore {
    /// Wraps `inner`, raising flags into `flags`.
    #[must_use]
    pub fn new(inner: Arc<dyn CaseStore>, flags: Arc<dyn FlagStore>) -> Self {
        Self { inner, flags }
    }

    async fn raise(&self, reference: &CaseRef, events: &[TimelineEvent]) {
        if let Err(error) = raise_case_flags(self.flags.as_ref(), reference, events).await {
            tracing::warn!(
                error = %crate::error_chain(&error),
                reference = %reference,
                "a flag for staff is on the case's timeline but not in the flagged register"
            );
        }
    }
}

#[async_trait]
impl CaseStore for FlaggingCaseStore {
    async fn create(&self, new: NewCase) -> Result<StoredCase, StoreError> {
        let mut events = new.events.clone();
        let has_mail = new.mail.is_some();
        let stored = self.inner.create(new).await?;
        // The mail composer adds its own entries (the over-the-cap flag) inside the create
        // transaction: the new case's short timeline has them all.
        if has_mail && let Ok(timeline) = self.inner.timeline(stored.case.reference()).await {
            events = timeline;
        }
        self.raise(stored.case.reference(), &events).await;
        Ok(stored)
    }

    async fn get(&self, reference: &CaseRef) -> Result<StoredCase, StoreError> {
        self.inner.get(reference).await
    }

    async fn update_with_messages(
        &self,
        case: &Case,
        expected_version: u64,
        events: Vec<TimelineEvent>,
        messages: Vec<NewMessage>,
    ) -> Result<u64, StoreError> {
        let copy = events.clone();
        let version = self.inner.update_with_messages(case, expected_version, events, messages).await?;
        self.raise(case.reference(), &copy).await;
        Ok(version)
    }

    async fn timeline(&self, reference: &CaseRef) -> Result<Vec<TimelineEvent>, StoreError> {
        self.inner.timeline(reference).await
    }

    async fn open_due_by(&self, date: NaiveDate) -> Result<Vec<StoredCase>, StoreError> {
        self.inner.open_due_by(date).await
    }

    async fn received_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<StoredCase>, StoreError> {
        self.inner.received_between(from, to).await
    }

    async fn closed_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<StoredCase>, StoreError> {
        self.inner.closed_between(from, to).await
    }

    async fn find_by_contact(&self, key: &ContactKey) -> Result<Vec<CaseRef>, StoreError> {
        self.inner.find_by_contact(key).await
    }

    async fn record_message(&self, message_id: &str, reference: &CaseRef) -> Result<(), StoreError> {
        self.inner.record_message(message_id, reference).await
    }

    async fn case_for_message(&self, message_id: &str) -> Result<Option<CaseRef>, StoreError> {
        self.inner.case_for_message(message_id).await
    }

    async fn place_alert_marker(&self, marker: &str, reference: &CaseRef) -> Result<bool, StoreError> {
        self.inner.place_alert_marker(marker, reference).await
    }

    async fn pending_messages(&self, due_by: DateTime<Utc>, limit: usize) -> Result<Vec<PendingMessage>, StoreError> {
        self.inner.pending_messages(due_by, limit).await
    }

    async fn claim_message(
        &self,
        message_id: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<PendingMessage>, StoreError> {
        self.inner.claim_message(message_id, now, lease_until).await
    }

    async fn finish_message(
        &self,
        message_id: &str,
        result: DeliveryResult,
        event: Option<TimelineEvent>,
    ) -> Result<(), StoreError> {
        let copy = event.clone();
        self.inner.finish_message(message_id, result, event).await?;
        if let Some(event) = copy
            && let Ok(Some(reference)) = self.inner.case_for_message(message_id).await
        {
            self.raise(&reference, std::slice::from_ref(&event)).await;
        }
        Ok(())
    }

    async fn message(&self, message_id: &str) -> Result<Option<PendingMessage>, StoreError> {
        self.inner.message(message_id).await
    }

    async fn automatic_messages_since(&self, recipient: &ContactKey, since: DateTime<Utc>) -> Result<u32, StoreError> {
        self.inner.automatic_messages_since(recipient, since).await
    }
}
