//! The authenticated member of staff every staff use case acts as. Made by the users file (local
//! runs) or from a verified token (on AWS), never from a request body.

use complaints_core::actor::{Actor, Authoriser};
use complaints_core::complaint::EmailAddress;
use complaints_core::roles::{Permission, Role};
use serde::{Deserialize, Serialize};

/// A signed-in member of staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffUser {
    /// Staff id: what the timeline and the audit log record (never a name in logs).
    pub id: String,
    /// Display name, for letters that are signed by the handler.
    pub name: String,
    pub role: Role,
    /// Where internal notices to this member of staff go.
    #[serde(default)]
    pub email: Option<EmailAddress>,
}

impl StaffUser {
    /// The actor the timeline records.
    #[must_use]
    pub fn actor(&self) -> Actor {
        Actor::Staff(self.id.clone())
    }

    /// Whether this user's role allows `permission` ([`Role::may`]).
    #[must_use]
    pub fn may(&self, permission: Permission) -> bool {
        self.role.may(permission)
    }

    /// This user as the authoriser of a decision (an extension, a restriction), in the capacity
    /// their role gives ([`Role::authoriser_role`]); `None` for admins and auditors.
    #[must_use]
    pub fn authoriser(&self) -> Option<Authoriser> {
        self.role.authoriser_role().map(|role| Authoriser { staff_id: self.id.clone(), role })
    }
}
