//! The memory double's flag register and case indexes: the flags live beside the cases and are
//! raised under the same lock as the events that carry them (the double's "transaction"); the
//! name and referral lookups filter the cases held, as the stores' indexes would.

use async_trait::async_trait;
use chrono::NaiveDate;
use complaints_core::reference::CaseRef;
use complaints_core::timeline::TimelineEvent;

use super::{Memory, MemoryCaseStore};
use crate::case_indexes::{CaseIndexes, NamedCases, by_referral, case_name_tokens, newest_first, referred_on};
use crate::flagged::{DealtWith, FlagPage, FlagStore, FlaggedItem, flags_in_events};
use crate::name_fold::case_matches;
use crate::ports::{StoreError, StoredCase};
use crate::testing_registers::{deal_with_in, open_page, raise_in};

impl Memory {
    /// Puts the flags among `events` in the register (an id already there is left alone).
    pub(super) fn raise_flags(&mut self, reference: &CaseRef, events: &[TimelineEvent]) {
        for item in flags_in_events(reference, events) {
            self.flags.entry(item.id.clone()).or_insert(item);
        }
    }
}

#[async_trait]
impl FlagStore for MemoryCaseStore {
    async fn raise_flag(&self, item: &FlaggedItem) -> Result<bool, StoreError> {
        Ok(raise_in(&mut self.memory().flags, item))
    }

    async fn flag(&self, id: &str) -> Result<Option<FlaggedItem>, StoreError> {
        Ok(self.memory().flags.get(id).cloned())
    }

    async fn open_flags(&self, after: Option<&str>, limit: usize) -> Result<FlagPage, StoreError> {
        Ok(open_page(&self.memory().flags, after, limit))
    }

    async fn deal_with_flag(&self, id: &str, dealt_with: DealtWith) -> Result<FlaggedItem, StoreError> {
        deal_with_in(&mut self.memory().flags, id, dealt_with)
    }
}

#[async_trait]
impl CaseIndexes for MemoryCaseStore {
    async fn cases_named(&self, tokens: &[String], limit: usize) -> Result<NamedCases, StoreError> {
        if tokens.is_empty() {
            return Ok(NamedCases::default());
        }
        let found = self.matching(|case| case_matches(&case_name_tokens(case), tokens));
        Ok(newest_first(found, limit, false))
    }

    async fn referred_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<StoredCase>, StoreError> {
        Ok(by_referral(self.matching(|case| referred_on(case).is_some_and(|on| (from..=to).contains(&on)))))
    }
}
