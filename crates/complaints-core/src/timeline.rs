//! The case timeline: every accepted change, who made it and when (R44, R57).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Who did something to a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "id")]
pub enum Actor {
    /// The service itself (intake, scheduled scans, recalculations).
    System,
    /// The complainant or their representative.
    Complainant,
    /// A member of staff, by staff id (never a name in logs).
    Staff(String),
}

/// One entry in a case's timeline. `what` is a [`crate::case::CaseEvent`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEvent {
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub what: crate::case::CaseEvent,
}
