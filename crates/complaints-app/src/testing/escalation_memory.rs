//! [`EscalatedCases`] on the in-memory case store: a filter over every case by its escalation date.

use async_trait::async_trait;
use chrono::NaiveDate;

use super::MemoryCaseStore;
use crate::escalations::{EscalatedCases, escalated_on};
use crate::ports::{StoreError, StoredCase};

#[async_trait]
impl EscalatedCases for MemoryCaseStore {
    async fn escalated_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<StoredCase>, StoreError> {
        Ok(self.matching(|case| escalated_on(case).is_some_and(|on| from <= on && on <= to)))
    }
}
