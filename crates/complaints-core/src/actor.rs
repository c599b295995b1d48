//! Who acts on a case and in which role: a leaf module every other one may use.

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

/// A member of staff's role, for decisions only some roles may make.
/// Ordered: each role may do what the roles before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
    /// R21, R28: the default rule: extensions are authorised by a role above handler. The
    /// organisation's rule is [`crate::policy::Policy::may_authorise_extensions`].
    #[must_use]
    pub fn may_authorise_extensions(self) -> bool {
        self.is_above_handler()
    }

    /// True for managers and senior managers.
    #[must_use]
    pub fn is_above_handler(self) -> bool {
        self > Self::Handler
    }
}

/// The member of staff who authorised a decision, with the role they acted in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authoriser {
    pub staff_id: String,
    pub role: StaffRole,
}
