//! The case timeline: every accepted change, who made it and when (R44, R57).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use crate::actor::{Actor, Authoriser, StaffRole};

/// One entry in a case's timeline. `what` is a [`crate::case::CaseEvent`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEvent {
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub what: crate::case::CaseEvent,
}
