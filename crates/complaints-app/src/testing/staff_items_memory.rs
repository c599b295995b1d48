//! [`StaffItemStore`] on the in-memory case store: items by id under the store's one lock.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::MemoryCaseStore;
use crate::ports::StoreError;
use crate::staff_items::{ItemWrite, MAX_STAFF_ITEMS_PAGE, StaffItem, StaffItemStore};

#[async_trait]
impl StaffItemStore for MemoryCaseStore {
    async fn record_staff_item(&self, item: &StaffItem) -> Result<ItemWrite, StoreError> {
        let mut memory = self.memory();
        if memory.staff_items.contains_key(&item.id) {
            return Ok(ItemWrite::AlreadyThere);
        }
        memory.staff_items.insert(item.id.clone(), item.clone());
        Ok(ItemWrite::Written)
    }

    async fn open_staff_items(&self, limit: usize) -> Result<Vec<StaffItem>, StoreError> {
        let memory = self.memory();
        let mut open: Vec<StaffItem> =
            memory.staff_items.values().filter(|i| i.resolved_at.is_none()).cloned().collect();
        open.sort_by(|a, b| (b.received_at, &b.id).cmp(&(a.received_at, &a.id)));
        open.truncate(limit.min(MAX_STAFF_ITEMS_PAGE));
        Ok(open)
    }

    async fn resolve_staff_item(&self, id: &str, by: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let mut memory = self.memory();
        match memory.staff_items.get_mut(id) {
            Some(item) if item.resolved_at.is_none() => {
                item.resolved_at = Some(at);
                item.resolved_by = Some(by.to_owned());
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn staff_item(&self, id: &str) -> Result<Option<StaffItem>, StoreError> {
        Ok(self.memory().staff_items.get(id).cloned())
    }
}
