//! Who may do what: the staff access roles and the one role matrix every front end (the HTTP API,
//! the CLI) asks (R57: role-based access). Pure: the caller says who is acting.
//!
//! Two role types exist and answer different questions:
//!
//! - [`Role`] is an *account's access*: what a signed-in member of staff may do through the service
//!   (handler, manager, admin, auditor). It comes from the users file or the verified token, never
//!   from a request body.
//! - [`StaffRole`] is the *capacity recorded on a decision* inside the case record
//!   ([`crate::actor::Authoriser`]): the MCHP asks who authorised an extension or approved a
//!   restriction and in which role (R21, R28, R54). [`Role::authoriser_role`] maps an account to
//!   the capacity it authorises in: a manager account authorises as [`StaffRole::Manager`], a
//!   handler as [`StaffRole::Handler`] (which the core then refuses where a manager is needed);
//!   admins and auditors never authorise case decisions.

use serde::{Deserialize, Serialize};

use crate::actor::StaffRole;

/// A staff account's access role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Handles complaints day to day: every routine case action.
    Handler,
    /// A handler who may also extend (R21, R28), restrict contact (R54), accept a late complaint
    /// (R15) and export what is held about a contact.
    Manager,
    /// Configuration, templates and users; reads cases and exports for subject access; handles none.
    Admin,
    /// Reads everything, changes nothing (R57: oversight and audit).
    Auditor,
}

/// Something a member of staff may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Permission {
    /// Read one case, its clocks and its timeline.
    ViewCase,
    /// List and search cases.
    ListCases,
    /// Subject-access export of everything held about a contact.
    ExportContact,
    /// Log a complaint received by phone, in person or by letter (R3, R44).
    LogComplaint,
    /// Assign or reassign the handler, team and service area (R42); classify (R44, R53).
    Assign,
    /// Respond at stage 1 (R19, R23).
    Respond,
    /// Extend stage 1 or stage 2 (R21, R28).
    Extend,
    /// Take a case to stage 2: escalation, direct route, move (R16, R22, R27).
    Escalate,
    /// Acknowledge stage 2 with its points, or amend them (R24, R25).
    RecordPoints,
    /// Give a progress update (R29).
    ProgressUpdate,
    /// Give the final response (R30, R34, R37).
    CloseStage2,
    /// Record a withdrawal (R33).
    Withdraw,
    /// Record that a contact is not a complaint (R4).
    NotAComplaint,
    /// Reopen a closed stage (R40).
    Reopen,
    /// Record an SPSO referral or its outcome.
    Spso,
    /// Restrict contact or review a restriction (R54).
    RestrictContact,
    /// Accept a complaint made after the time limit (R15).
    AcceptLate,
    /// Record the staff the complaint is about and contact with them (R59).
    StaffInvolved,
    /// Create, link and complete learning actions (R35).
    Learning,
    /// Other records: representative consent (R52), agreed actions (R36), child record (R56),
    /// correspondence after the final response (R40).
    RecordOther,
    /// Change the organisation's configuration.
    Configure,
    /// Change the organisation's message templates.
    ManageTemplates,
    /// Add, list and remove staff users.
    ManageUsers,
    /// Read a closure as its second reader and record the review (R35, R48). Managers only: the
    /// quality check is oversight of handling, and a reader never reviews their own case.
    QualityReview,
    /// Mark an item flagged for staff (possible spam, over the mail cap, undeliverable mail,
    /// quarantined mail…) as dealt with.
    ClearFlag,
}

impl Permission {
    /// Every permission, for matrices and tests.
    pub const ALL: [Permission; 25] = [
        Self::ViewCase,
        Self::ListCases,
        Self::ExportContact,
        Self::LogComplaint,
        Self::Assign,
        Self::Respond,
        Self::Extend,
        Self::Escalate,
        Self::RecordPoints,
        Self::ProgressUpdate,
        Self::CloseStage2,
        Self::Withdraw,
        Self::NotAComplaint,
        Self::Reopen,
        Self::Spso,
        Self::RestrictContact,
        Self::AcceptLate,
        Self::StaffInvolved,
        Self::Learning,
        Self::RecordOther,
        Self::Configure,
        Self::ManageTemplates,
        Self::ManageUsers,
        Self::QualityReview,
        Self::ClearFlag,
    ];

    /// True for permissions that only read.
    #[must_use]
    pub fn is_read(self) -> bool {
        matches!(self, Self::ViewCase | Self::ListCases | Self::ExportContact)
    }

    /// The short kebab-case name (as serialised), for errors and logs.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ViewCase => "view-case",
            Self::ListCases => "list-cases",
            Self::ExportContact => "export-contact",
            Self::LogComplaint => "log-complaint",
            Self::Assign => "assign",
            Self::Respond => "respond",
            Self::Extend => "extend",
            Self::Escalate => "escalate",
            Self::RecordPoints => "record-points",
            Self::ProgressUpdate => "progress-update",
            Self::CloseStage2 => "close-stage2",
            Self::Withdraw => "withdraw",
            Self::NotAComplaint => "not-a-complaint",
            Self::Reopen => "reopen",
            Self::Spso => "spso",
            Self::RestrictContact => "restrict-contact",
            Self::AcceptLate => "accept-late",
            Self::StaffInvolved => "staff-involved",
            Self::Learning => "learning",
            Self::RecordOther => "record-other",
            Self::Configure => "configure",
            Self::ManageTemplates => "manage-templates",
            Self::ManageUsers => "manage-users",
            Self::QualityReview => "quality-review",
            Self::ClearFlag => "clear-flag",
        }
    }
}

impl Role {
    /// Every role, for matrices and tests.
    pub const ALL: [Role; 4] = [Self::Handler, Self::Manager, Self::Admin, Self::Auditor];

    /// The role matrix: whether this role may do `permission`. The only place it is decided.
    #[must_use]
    pub fn may(self, permission: Permission) -> bool {
        use Permission as P;
        match permission {
            // Everyone reads cases (R57: every read is recorded with the actor).
            P::ViewCase | P::ListCases => true,
            // Subject access is a data-protection task: managers and admins.
            P::ExportContact => matches!(self, Self::Manager | Self::Admin),
            // R15, R21, R28, R54: decisions the MCHP gives to managers.
            P::Extend | P::RestrictContact | P::AcceptLate => self == Self::Manager,
            // Routine handling: handlers and managers.
            P::LogComplaint
            | P::Assign
            | P::Respond
            | P::Escalate
            | P::RecordPoints
            | P::ProgressUpdate
            | P::CloseStage2
            | P::Withdraw
            | P::NotAComplaint
            | P::Reopen
            | P::Spso
            | P::StaffInvolved
            | P::Learning
            | P::RecordOther => matches!(self, Self::Handler | Self::Manager),
            // Running the service.
            P::Configure | P::ManageTemplates | P::ManageUsers => self == Self::Admin,
            // R48: the second reader of a closure oversees handling.
            P::QualityReview => self == Self::Manager,
            // Flags are work for whoever handles complaints.
            P::ClearFlag => matches!(self, Self::Handler | Self::Manager),
        }
    }

    /// The capacity this account authorises case decisions in ([`crate::actor::Authoriser`]):
    /// `None` for admins and auditors, who make no case decisions.
    #[must_use]
    pub fn authoriser_role(self) -> Option<StaffRole> {
        match self {
            Self::Handler => Some(StaffRole::Handler),
            Self::Manager => Some(StaffRole::Manager),
            Self::Admin | Self::Auditor => None,
        }
    }

    /// The short kebab-case name (as serialised).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Handler => "handler",
            Self::Manager => "manager",
            Self::Admin => "admin",
            Self::Auditor => "auditor",
        }
    }

    /// Parses the kebab-case name.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str().eq_ignore_ascii_case(name.trim()))
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The matrix written out by hand, row by row, so a change to [`Role::may`] must change it too.
    fn expected(role: Role, permission: Permission) -> bool {
        use Permission as P;
        let handler = [
            P::ViewCase,
            P::ListCases,
            P::LogComplaint,
            P::Assign,
            P::Respond,
            P::Escalate,
            P::RecordPoints,
            P::ProgressUpdate,
            P::CloseStage2,
            P::Withdraw,
            P::NotAComplaint,
            P::Reopen,
            P::Spso,
            P::StaffInvolved,
            P::Learning,
            P::RecordOther,
            P::ClearFlag,
        ];
        let manager_extra = [P::Extend, P::RestrictContact, P::AcceptLate, P::ExportContact, P::QualityReview];
        let admin = [P::ViewCase, P::ListCases, P::ExportContact, P::Configure, P::ManageTemplates, P::ManageUsers];
        let auditor = [P::ViewCase, P::ListCases];
        match role {
            Role::Handler => handler.contains(&permission),
            Role::Manager => handler.contains(&permission) || manager_extra.contains(&permission),
            Role::Admin => admin.contains(&permission),
            Role::Auditor => auditor.contains(&permission),
        }
    }

    #[test]
    fn every_role_and_permission_matches_the_written_matrix() {
        for role in Role::ALL {
            for permission in Permission::ALL {
                assert_eq!(role.may(permission), expected(role, permission), "{role} × {permission}");
            }
        }
    }

    #[test]
    fn auditors_only_read_and_admins_make_no_case_decisions() {
        for permission in Permission::ALL {
            if Role::Auditor.may(permission) {
                assert!(permission.is_read(), "auditor may {permission}");
            }
        }
        assert_eq!(Role::Admin.authoriser_role(), None);
        assert_eq!(Role::Auditor.authoriser_role(), None);
        assert!(Role::Manager.authoriser_role().is_some_and(StaffRole::may_authorise_extensions));
        assert!(!Role::Handler.authoriser_role().is_some_and(StaffRole::may_authorise_extensions));
    }

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            let json = serde_json::to_string(&role).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
        }
        assert_eq!(Role::parse("superuser"), None);
    }
}
