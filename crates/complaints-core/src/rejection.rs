//! The MCHP rule behind each refusal, so the HTTP API and the CLI can name it ("refused by R23")
//! without deciding it again, and whether the refusal is about the case's state (a conflict with
//! where the case stands) or about what was asked (an unprocessable request).

use crate::command::Rejected;

/// How a refusal reads to a client: the case is in the wrong state for the move, or the request
/// itself is incomplete or inconsistent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectionKind {
    /// The move is not allowed where the case stands (HTTP 409).
    State,
    /// The request is missing something the rules need, or contradicts them (HTTP 422).
    Request,
}

impl Rejected {
    /// The MCHP rule id (mchp-rules.md, R1–R59) that refuses the move.
    #[must_use]
    pub fn rule_id(&self) -> &'static str {
        match self {
            // R57: changes are made by identified staff.
            Self::NeedsStaff => "R57",
            Self::ExtensionNeedsManager { .. } | Self::ExtensionBeyondCap { .. } | Self::AlreadyExtended => "R21",
            Self::NeedsManager { .. } | Self::RestrictionLifted => "R54",
            Self::ExtensionNotLater { .. } | Self::ExtensionNotAfterDecision { .. } => "R21",
            // Dates are counted in working days (R6, R7).
            Self::NotAWorkingDay { .. } => "R7",
            Self::SignpostingRequired { .. } | Self::EscalationTimeLimitNotGiven => "R23",
            Self::SpsoSignpostingRequired => "R37",
            Self::CustomerNotTold => "R21",
            Self::NotAtStage { .. } | Self::AlreadyAtStage2 => "R22",
            Self::AlreadyClosed | Self::StillOpen => "R40",
            Self::Withdrawn => "R33",
            Self::NotAComplaint | Self::AlreadyResponded => "R4",
            Self::NoFinalResponse | Self::NotReferredToSpso | Self::AlreadyReferredToSpso => "R18",
            Self::SpsoOutcomeAlreadyRecorded => "R43",
            Self::NotAcknowledged | Self::AlreadyAcknowledged | Self::NoPointsOfComplaint => "R24",
            Self::PointOutcomesMismatch { .. } => "R34",
            Self::NotExtended => "R29",
            // The minimum record (R43, R44): what happened, when, by whom.
            Self::Blank { .. } | Self::DateInFuture { .. } | Self::DateTooEarly { .. } | Self::DateMismatch { .. } => {
                "R44"
            }
            Self::NotLate | Self::LateAlreadyAccepted => "R15",
            Self::UnknownCategory { .. } => "R44",
            Self::LeadAlsoContributing => "R53",
            Self::NoRepresentative => "R52",
            Self::NotResolved => "R36",
            Self::NoSuchRecord { .. } | Self::AlreadyRecorded { .. } => "R44",
            Self::ChildDecidesToGoOn | Self::BestInterestsDecisionRequired => "R56",
            Self::NoAgreedAction => "R36",
            Self::NoRestriction => "R54",
            Self::NotStaffLogged => "R3",
        }
    }

    /// Whether the case's state or the request is at fault.
    #[must_use]
    pub fn kind(&self) -> RejectionKind {
        match self {
            Self::ExtensionBeyondCap { .. }
            | Self::ExtensionNotLater { .. }
            | Self::ExtensionNotAfterDecision { .. }
            | Self::ExtensionNeedsManager { .. }
            | Self::NeedsManager { .. }
            | Self::NotAWorkingDay { .. }
            | Self::SignpostingRequired { .. }
            | Self::EscalationTimeLimitNotGiven
            | Self::SpsoSignpostingRequired
            | Self::CustomerNotTold
            | Self::NoPointsOfComplaint
            | Self::PointOutcomesMismatch { .. }
            | Self::Blank { .. }
            | Self::DateInFuture { .. }
            | Self::DateTooEarly { .. }
            | Self::DateMismatch { .. }
            | Self::UnknownCategory { .. }
            | Self::LeadAlsoContributing
            | Self::NoSuchRecord { .. }
            | Self::BestInterestsDecisionRequired => RejectionKind::Request,
            Self::NeedsStaff
            | Self::AlreadyExtended
            | Self::NotAtStage { .. }
            | Self::AlreadyClosed
            | Self::Withdrawn
            | Self::NotAComplaint
            | Self::StillOpen
            | Self::AlreadyResponded
            | Self::NoFinalResponse
            | Self::AlreadyAtStage2
            | Self::NotAcknowledged
            | Self::AlreadyAcknowledged
            | Self::NotExtended
            | Self::NotLate
            | Self::LateAlreadyAccepted
            | Self::NotReferredToSpso
            | Self::AlreadyReferredToSpso
            | Self::SpsoOutcomeAlreadyRecorded
            | Self::NoRepresentative
            | Self::NotResolved
            | Self::AlreadyRecorded { .. }
            | Self::RestrictionLifted
            | Self::ChildDecidesToGoOn
            | Self::NotStaffLogged
            | Self::NoAgreedAction
            | Self::NoRestriction => RejectionKind::State,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::case::Stage;

    #[test]
    fn every_rule_id_names_a_rule_of_the_procedure() {
        let day = NaiveDate::from_ymd_opt(2025, 12, 1).unwrap_or_default();
        let samples = [
            Rejected::SignpostingRequired { stage: Stage::One },
            Rejected::SpsoSignpostingRequired,
            Rejected::AlreadyClosed,
            Rejected::DateInFuture { date: day },
            Rejected::NotStaffLogged,
            Rejected::ExtensionBeyondCap { cap: day },
        ];
        for rejected in samples {
            let id = rejected.rule_id();
            let number: u32 = id.trim_start_matches('R').parse().unwrap_or(0);
            assert!(id.starts_with('R') && (1..=59).contains(&number), "{rejected:?} → {id}");
        }
    }

    #[test]
    fn a_missing_signposting_is_the_request_and_a_closed_case_is_the_state() {
        assert_eq!(Rejected::SignpostingRequired { stage: Stage::One }.kind(), RejectionKind::Request);
        assert_eq!(Rejected::SignpostingRequired { stage: Stage::One }.rule_id(), "R23");
        assert_eq!(Rejected::AlreadyClosed.kind(), RejectionKind::State);
        assert_eq!(Rejected::AlreadyAcknowledged.rule_id(), "R24");
    }
}
