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

/// R34 [U]: the default overall outcome of a stage 2 complaint from its point outcomes.
///
/// - every point resolved → resolved;
/// - otherwise resolved points are set aside (nothing was decided on them, R32) and the decided
///   points give the answer: all upheld → upheld; all not upheld → not upheld; anything else
///   (a mix, or any partially upheld point) → partially upheld.
///
/// So upheld + resolved → upheld, not upheld + resolved → not upheld, and upheld + not upheld
/// (+ resolved) → partially upheld. `None` when there are no points.
#[must_use]
pub fn roll_up(points: &[Outcome]) -> Option<Outcome> {
    if points.is_empty() {
        return None;
    }
    let decided: Vec<Outcome> = points.iter().copied().filter(|outcome| *outcome != Outcome::Resolved).collect();
    let all = |wanted: Outcome| decided.iter().all(|outcome| *outcome == wanted);
    Some(if decided.is_empty() {
        Outcome::Resolved
    } else if all(Outcome::Upheld) {
        Outcome::Upheld
    } else if all(Outcome::NotUpheld) {
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
