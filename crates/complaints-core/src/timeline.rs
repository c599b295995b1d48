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

/// A member of staff's role, for decisions only some roles may make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StaffRole {
    /// Handles complaints day to day.
    Handler,
    /// A manager: may authorise extensions (R21, R28).
    Manager,
    /// A senior manager: may authorise anything a manager may (R21 cites senior managers, S19).
    SeniorManager,
}

impl StaffRole {
    /// R21, R28: extensions are authorised by a role above handler.
    #[must_use]
    pub fn may_authorise_extensions(self) -> bool {
        matches!(self, Self::Manager | Self::SeniorManager)
    }
}

/// The member of staff who authorised a decision, with the role they acted in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authoriser {
    pub staff_id: String,
    pub role: StaffRole,
}
