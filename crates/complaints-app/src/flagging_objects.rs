//! [`FlaggingObjectStore`]: an [`ObjectStore`] that passes everything to the store it wraps and,
//! when social intake keeps a record for staff (`social/quarantine/…` for a delivery it could not
//! read, `social/triage/…` for a public mention), raises it in the [`FlagStore`] register, so it
//! shows on the flagged page with the other items for staff. Those records belong to no case.
//!
//! The item's id is the record's key (dates and a random id: no personal data) and its detail the
//! same key, where staff find the record and, through it, the raw delivery. A failure to raise is
//! logged: the record is kept either way.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::flagged::{FlagKind, FlagStore, FlaggedItem};
use crate::object_store::{ObjectStore, ObjectStoreError};

/// The prefixes of social intake's records for staff, and the kind each is.
const STAFF_RECORDS: [(&str, FlagKind); 2] =
    [("social/quarantine/", FlagKind::SocialQuarantine), ("social/triage/", FlagKind::SocialTriage)];

/// An object store that raises social intake's records for staff into the flagged register.
#[derive(Clone)]
pub struct FlaggingObjectStore {
    inner: Arc<dyn ObjectStore>,
    flags: Arc<dyn FlagStore>,
}

impl std::fmt::Debug for FlaggingObjectStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlaggingObjectStore").finish_non_exhaustive()
    }
}

impl FlaggingObjectStore {
    /// Wraps `inner`, raising records for staff into `flags`.
    #[must_use]
    pub fn new(inner: Arc<dyn ObjectStore>, flags: Arc<dyn FlagStore>) -> Self {
        Self { inner, flags }
    }
}

/// The register item for a record kept at `key`, if it is a record for staff: the time comes from
/// the record's `received_at`.
#[must_use]
pub fn staff_record_item(key: &str, bytes: &[u8]) -> Option<FlaggedItem> {
    let kind = STAFF_RECORDS.iter().find(|(prefix, _)| key.starts_with(prefix)).map(|(_, kind)| *kind)?;
    let record: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let raised_at: DateTime<Utc> = record.get("received_at")?.as_str()?.parse().ok()?;
    Some(FlaggedItem { id: key.to_owned(), kind, reference: None, raised_at, detail: key.to_owned(), dealt_with: None })
}

#[async_trait]
impl ObjectStore for FlaggingObjectStore {
    async fn put(&self, key: &str, content_type: &str, bytes: Vec<u8>) -> Result<(), ObjectStoreError> {
        let item = if STAFF_RECORDS.iter().any(|(prefix, _)| key.starts_with(prefix)) {
            let item = staff_record_item(key, &bytes);
            if item.is_none() {
                tracing::warn!(record_key = key, "a record for staff could not be read for the flagged register");
            }
            item
        } else {
            None
        };
        self.inner.put(key, content_type, bytes).await?;
        if let Some(item) = item
            && let Err(error) = self.flags.raise_flag(&item).await
        {
            tracing::warn!(
                error = %crate::error_chain(&error),
                record_key = key,
                "a record for staff is kept but not in the flagged register"
            );
        }
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>, ObjectStoreError> {
        self.inner.get(key).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_social_records_for_staff_become_items_dated_when_received() {
        let record = br#"{"kind":"triage","platform":"x","raw_key":"social/raw/x/1.json","reason":"x mention","received_at":"2026-03-02T10:00:00Z"}"#;
        let item = staff_record_item("social/triage/2026/03/02/abc.json", record).expect("an item");
        assert_eq!(item.kind, FlagKind::SocialTriage);
        assert_eq!(item.raised_at.to_rfc3339(), "2026-03-02T10:00:00+00:00");
        assert_eq!(item.reference, None);
        assert!(
            staff_record_item("social/raw/x/2026/03/02/abc.json", record).is_none(),
            "raw deliveries are not flags"
        );
        assert!(staff_record_item("social/quarantine/2026/03/02/abc.json", b"not json").is_none());
    }
}
