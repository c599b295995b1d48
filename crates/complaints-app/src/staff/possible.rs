//! Which staff actions a case's state lets happen, for the staff workspace to offer only those.
//! The decision is the core's ([`Case::state_allows`], the same lines the state machine refuses
//! with); this file only says which core command each action starts with, as
//! [`StaffActions::perform`] plans it, so the list offered and the refusal cannot drift apart
//! (the `staff_possible` tests plan every action in a sample of states against it).

use complaints_core::case::Case;
use complaints_core::moves::Move;

use super::service::StaffActions;

/// Every staff action (`StaffAction::name`) with the core commands it may start with: the action
/// is possible when one of them is (the rest of its plan follows from that one).
pub const ACTION_MOVES: [(&str, &[Move]); 25] = [
    ("respond", &[Move::CloseStage1]),
    // At the stage the case is at (a form may name the stage; the state machine checks it).
    ("extend", &[Move::ExtendStage1, Move::ExtendStage2]),
    ("escalate", &[Move::Escalate]),
    ("stage2", &[Move::MoveToStage2, Move::RouteDirectToStage2]),
    ("acknowledge", &[Move::AcknowledgeStage2]),
    ("amend-points", &[Move::AmendPointsOfComplaint]),
    ("update", &[Move::GiveProgressUpdate]),
    ("close", &[Move::CloseStage2]),
    ("withdraw", &[Move::Withdraw]),
    ("not-a-complaint", &[Move::RecordNotAComplaint]),
    ("reopen", &[Move::Reopen]),
    ("refer-spso", &[Move::ReferToSpso]),
    ("spso-outcome", &[Move::RecordSpsoOutcome]),
    ("restrict", &[Move::RestrictContact]),
    ("review-restriction", &[Move::ReviewContactRestriction]),
    ("accept-late", &[Move::AcceptLateComplaint]),
    ("staff-involved", &[Move::AddStaffInvolved]),
    ("link-learning", &[Move::LinkLearningAction]),
    ("correspondence-after-final", &[Move::RecordCorrespondenceAfterFinalResponse]),
    ("record-consent", &[Move::RecordRepresentativeConsent]),
    ("agree-action", &[Move::AgreeAction]),
    ("complete-action", &[Move::CompleteAgreedAction]),
    ("record-child", &[Move::RecordChild]),
    ("assign", &[Move::Assign]),
    ("classify", &[Move::Classify]),
];

impl StaffActions {
    /// Whether the state of `case` lets the action named `action` happen under the organisation's
    /// procedure (false for a name that is no action). The role is checked apart
    /// ([`complaints_core::roles::Role::may`]), and the action's answers by the action itself.
    #[must_use]
    pub fn state_permits(&self, case: &Case, action: &str) -> bool {
        ACTION_MOVES.iter().find(|(name, _)| *name == action).is_some_and(|(_, moves)| {
            moves.iter().any(|command| case.state_allows(*command, &self.config.procedure).is_ok())
        })
    }
}
