//! [`ChannelHealthStore`] on the in-memory case store: one state per channel under the store's
//! one lock.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::MemoryCaseStore;
use crate::channel_health_store::{ChannelHealthStore, ChannelState};
use crate::ports::StoreError;

#[async_trait]
impl ChannelHealthStore for MemoryCaseStore {
    async fn record_channel_event(&self, channel: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let mut memory = self.memory();
        let state = memory.channel_health.entry(channel.to_owned()).or_default();
        if state.last_event_at.is_none_or(|last| last < at) {
            state.last_event_at = Some(at);
        }
        Ok(())
    }

    async fn add_channel_failure(&self, channel: &str) -> Result<u32, StoreError> {
        let mut memory = self.memory();
        let state = memory.channel_health.entry(channel.to_owned()).or_default();
        state.failures = state.failures.saturating_add(1);
        Ok(state.failures)
    }

    async fn clear_channel_failures(&self, channel: &str) -> Result<(), StoreError> {
        if let Some(state) = self.memory().channel_health.get_mut(channel) {
            state.failures = 0;
        }
        Ok(())
    }

    async fn channel_state(&self, channel: &str) -> Result<ChannelState, StoreError> {
        Ok(self.memory().channel_health.get(channel).copied().unwrap_or_default())
    }
}
