//! Complaint outcomes, the roll-up of stage 2 point outcomes, and SPSO outcomes (mchp-rules §4,
//! R31–R34).

use serde::{Deserialize, Serialize};

/// R31: the four reportable outcomes, for a whole complaint or one point of complaint. Withdrawn
/// is not an outcome but its own disposition (R33: see `Command::Withdraw`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Upheld,
    PartiallyUpheld,
    NotUpheld,
    /// R32: both sides agree what will be done, without deciding upheld or not upheld.
    Resolved,
}

impl Outcome {
    /// A short stable name for exports.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Upheld => "upheld",
            Self::PartiallyUpheld => "partially-upheld",
            Self::NotUpheld => "not-upheld",
            Self::Resolved => "resolved",
        }
    }
}

/// R34 [U]: the default overall outcome of a stage 2 complaint from its point outcomes, as
/// mchp-rules §4 states it:
///
/// - every point resolved → resolved;
/// - every point upheld → upheld;
/// - no point upheld, not even partially → not upheld (resolved points count as not upheld here:
///   nothing was found against the organisation on them, R32);
/// - any other mix → partially upheld.
///
/// So upheld + resolved → partially upheld and not upheld + resolved → not upheld. A handler may
/// override the result with a reason. `None` when there are no points.
#[must_use]
pub fn roll_up(points: &[Outcome]) -> Option<Outcome> {
    if points.is_empty() {
        return None;
    }
    let every = |wanted: Outcome| points.iter().all(|outcome| *outcome == wanted);
    let none_upheld = points.iter().all(|outcome| matches!(outcome, Outcome::NotUpheld | Outcome::Resolved));
    Some(if every(Outcome::Resolved) {
        Outcome::Resolved
    } else if every(Outcome::Upheld) {
        Outcome::Upheld
    } else if none_upheld {
        Outcome::NotUpheld
    } else {
        Outcome::PartiallyUpheld
    })
}

/// R34: a handler's choice of overall outcome in place of the roll-up, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeOverride {
    pub outcome: Outcome,
    pub reason: String,
}

/// What the SPSO decided on a complaint referred to it (R43 item 12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SpsoOutcome {
    /// The SPSO did not take it forward (e.g. premature, out of time, out of jurisdiction).
    NotTakenForward,
    Upheld,
    SomeUpheld,
    NotUpheld,
    /// Resolved with the SPSO's help without a decision.
    Resolved,
    /// The person withdrew it at the SPSO.
    Withdrawn,
}
