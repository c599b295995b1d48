//! The port for social channel health kept in the store (issue 15 §5), so it survives a cold
//! start of the sweep: per channel (`messenger`, `instagram`, `whatsapp`, `x`) the time of the
//! last event the webhook took in from a person (a quiet channel is noticed by the sweep) and
//! the run of failed sends since the last success (staff are told when it grows). Keys are the
//! channel names only: no personal data.
//!
//! Every case store implements it; the same contract suite (`channel_health_contract`) runs
//! against each.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::ports::StoreError;

/// What the store holds for one channel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChannelState {
    /// The latest event taken in on the channel; `None` before the first.
    pub last_event_at: Option<DateTime<Utc>>,
    /// Failed sends since the last success.
    pub failures: u32,
}

/// Where channel health is kept.
#[async_trait]
pub trait ChannelHealthStore: Send + Sync {
    /// Records an event on `channel` at `at`; an earlier time than the one kept changes nothing
    /// (deliveries arrive out of order).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn record_channel_event(&self, channel: &str, at: DateTime<Utc>) -> Result<(), StoreError>;

    /// Counts one more failed send on `channel`, atomically (two sweeps at once both count), and
    /// returns the run so far.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn add_channel_failure(&self, channel: &str) -> Result<u32, StoreError>;

    /// A send on `channel` went through: the run of failures is over.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn clear_channel_failures(&self, channel: &str) -> Result<(), StoreError>;

    /// What is kept for `channel` (the default for one never seen).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn channel_state(&self, channel: &str) -> Result<ChannelState, StoreError>;
}
