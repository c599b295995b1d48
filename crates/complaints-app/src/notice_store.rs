//! The port for staff mail that belongs to no case and must go out at most once per event (the
//! "export is ready" email, issue 16 §3): a once-only marker and the pending messages, written in
//! one transaction through the durable outbound path. A re-run of the same event finds the marker
//! placed and writes nothing, so nobody is told twice.
//!
//! The breach scan's [`crate::alert_store::AlertStore`] cannot carry these: its markers live in a
//! case's partition and its digests ride on alerts.

use async_trait::async_trait;

use crate::outbound::NewMessage;
use crate::ports::StoreError;

/// The most messages one notice may carry: with its marker, one DynamoDB transaction (100 actions).
pub const MAX_NOTICE_MESSAGES: usize = 99;

/// How writing a notice ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeCommit {
    /// The marker was placed and every message written, pending.
    Written,
    /// The marker was placed before (an earlier run of the same event): nothing was written.
    AlreadyPlaced,
}

/// Where once-only staff mail without a case is written. Every case store implements it; the same
/// contract suite (`export_contract`) runs against each.
#[async_trait]
pub trait NoticeStore: Send + Sync {
    /// Places `marker` (which must be new) and writes `messages` as pending mail with no case
    /// reference, in one transaction.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] on backend failure or more than [`MAX_NOTICE_MESSAGES`]
    /// messages (nothing written).
    async fn queue_notice_once(&self, marker: &str, messages: Vec<NewMessage>) -> Result<NoticeCommit, StoreError>;
}
