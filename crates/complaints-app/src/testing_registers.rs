//! In-memory doubles of the registers' ports (feature `testing`): quality reviews and flagged items.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::NaiveDate;
use complaints_core::quality::QualityReview;

use crate::flagged::{DealtWith, FlagPage, FlagStore, FlaggedItem, MAX_FLAG_PAGE};
use crate::ports::StoreError;
use crate::quality::QualityStore;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A [`QualityStore`] in memory. Clones share the same data.
#[derive(Debug, Default, Clone)]
pub struct MemoryQualityStore {
    inner: Arc<Mutex<BTreeMap<String, QualityReview>>>,
}

#[async_trait]
impl QualityStore for MemoryQualityStore {
    async fn record_review(&self, review: &QualityReview) -> Result<(), StoreError> {
        let mut reviews = lock(&self.inner);
        if reviews.contains_key(&review.id()) {
            return Err(StoreError::AlreadyExists { existing: Some(review.closure.reference.clone()) });
        }
        reviews.insert(review.id(), review.clone());
        Ok(())
    }

    async fn review_of(&self, closure_id: &str) -> Result<Option<QualityReview>, StoreError> {
        Ok(lock(&self.inner).get(closure_id).cloned())
    }

    async fn reviews_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<QualityReview>, StoreError> {
        let mut found: Vec<QualityReview> =
            lock(&self.inner).values().filter(|r| (from..=to).contains(&r.closure.closed_on)).cloned().collect();
        found.sort_by_key(|r| (r.closure.closed_on, r.id()));
        Ok(found)
    }
}

/// A [`FlagStore`] in memory. Clones share the same data.
#[derive(Debug, Default, Clone)]
pub struct MemoryFlagStore {
    inner: Arc<Mutex<BTreeMap<String, FlaggedItem>>>,
}

#[async_trait]
impl FlagStore for MemoryFlagStore {
    async fn raise_flag(&self, item: &FlaggedItem) -> Result<bool, StoreError> {
        Ok(raise_in(&mut lock(&self.inner), item))
    }

    async fn flag(&self, id: &str) -> Result<Option<FlaggedItem>, StoreError> {
        Ok(lock(&self.inner).get(id).cloned())
    }

    async fn open_flags(&self, after: Option<&str>, limit: usize) -> Result<FlagPage, StoreError> {
        Ok(open_page(&lock(&self.inner), after, limit))
    }

    async fn deal_with_flag(&self, id: &str, dealt_with: DealtWith) -> Result<FlaggedItem, StoreError> {
        deal_with_in(&mut lock(&self.inner), id, dealt_with)
    }
}

// The register's rules over a map of items by id, shared by [`MemoryFlagStore`] and the flags
// the memory case store keeps beside its cases (`testing/index_memory.rs`).

/// Puts `item` in `items` unless its id is there already; `true` when it was put.
pub(crate) fn raise_in(items: &mut BTreeMap<String, FlaggedItem>, item: &FlaggedItem) -> bool {
    if items.contains_key(&item.id) {
        return false;
    }
    items.insert(item.id.clone(), item.clone());
    true
}

/// The open items after `after`, oldest raised first, at most `limit` (clamped to 1..=[`MAX_FLAG_PAGE`]).
pub(crate) fn open_page(items: &BTreeMap<String, FlaggedItem>, after: Option<&str>, limit: usize) -> FlagPage {
    let limit = limit.clamp(1, MAX_FLAG_PAGE);
    let mut open: Vec<&FlaggedItem> = items.values().filter(|i| i.dealt_with.is_none()).collect();
    open.sort_by(|a, b| (a.raised_at, &a.id).cmp(&(b.raised_at, &b.id)));
    let start = match after.and_then(|id| items.get(id)) {
        Some(last) => open.iter().position(|i| (i.raised_at, &i.id) > (last.raised_at, &last.id)).unwrap_or(open.len()),
        None => 0,
    };
    let page: Vec<FlaggedItem> = open.iter().skip(start).take(limit).map(|i| (*i).clone()).collect();
    let next = (open.len() > start + page.len()).then(|| page.last().map(|i| i.id.clone())).flatten();
    FlagPage { items: page, next }
}

/// Marks the item `id` dealt with; an item dealt with already is a version conflict.
pub(crate) fn deal_with_in(
    items: &mut BTreeMap<String, FlaggedItem>,
    id: &str,
    dealt_with: DealtWith,
) -> Result<FlaggedItem, StoreError> {
    let item = items.get_mut(id).ok_or(StoreError::NotFound)?;
    if item.dealt_with.is_some() {
        return Err(StoreError::VersionConflict { expected: 1 });
    }
    item.dealt_with = Some(dealt_with);
    Ok(item.clone())
}
