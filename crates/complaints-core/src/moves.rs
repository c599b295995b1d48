//! Which commands a case's state lets happen, decided once: [`Case::state_allows`] holds each
//! command's checks of where the case stands (open or closed, the stage, acknowledged, extended,
//! referred…), the functions of [`crate::command`] call it before anything else about the case
//! (all but those of the records kept beside the stages, which every state allows: contact
//! restrictions, classification, staff involved and their contacts, learning links, child
//! records), and [`Case::possible_moves`] lists the commands it allows. So the actions offered to staff and
//! the refusals of the state machine come from the same lines and cannot drift apart. What a
//! command's own data may still be refused for (a date, a blank reason, a second link to the same
//! learning action) is checked by the command itself.

use crate::case::{Case, Stage, Status};
use crate::command::Rejected;
use crate::deadlines::Clock;
use crate::policy::Policy;
use crate::records::ChildRecord;

/// A command without its data: what [`Case::state_allows`] judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Move {
    AcceptLateComplaint,
    ExtendStage1,
    CloseStage1,
    MoveToStage2,
    RouteDirectToStage2,
    Escalate,
    AcknowledgeStage2,
    AmendPointsOfComplaint,
    ExtendStage2,
    GiveProgressUpdate,
    CloseStage2,
    Withdraw,
    Reopen,
    ReferToSpso,
    RecordSpsoOutcome,
    RecordNotAComplaint,
    RestrictContact,
    ReviewContactRestriction,
    RecordCorrespondenceAfterFinalResponse,
    Classify,
    RecordRepresentativeConsent,
    AgreeAction,
    CompleteAgreedAction,
    AddStaffInvolved,
    RecordStaffContact,
    LinkLearningAction,
    RecordChild,
    Assign,
    NoteIntake,
}

impl Move {
    /// Every move, in the order of [`crate::command::Command`].
    pub const ALL: [Self; 29] = [
        Self::AcceptLateComplaint,
        Self::ExtendStage1,
        Self::CloseStage1,
        Self::MoveToStage2,
        Self::RouteDirectToStage2,
        Self::Escalate,
        Self::AcknowledgeStage2,
        Self::AmendPointsOfComplaint,
        Self::ExtendStage2,
        Self::GiveProgressUpdate,
        Self::CloseStage2,
        Self::Withdraw,
        Self::Reopen,
        Self::ReferToSpso,
        Self::RecordSpsoOutcome,
        Self::RecordNotAComplaint,
        Self::RestrictContact,
        Self::ReviewContactRestriction,
        Self::RecordCorrespondenceAfterFinalResponse,
        Self::Classify,
        Self::RecordRepresentativeConsent,
        Self::AgreeAction,
        Self::CompleteAgreedAction,
        Self::AddStaffInvolved,
        Self::RecordStaffContact,
        Self::LinkLearningAction,
        Self::RecordChild,
        Self::Assign,
        Self::NoteIntake,
    ];
}

/// The response clock running at a stage: a reopened stage's first (R40).
pub(crate) fn running<'c>(response: &'c Clock, reopened: Option<&'c Clock>) -> &'c Clock {
    match reopened {
        Some(clock) if clock.is_running() => clock,
        _ => response,
    }
}

/// [`running`], to change it: the same choice, made by [`running`].
pub(crate) fn running_mut<'c>(response: &'c mut Clock, reopened: &'c mut Option<Clock>) -> &'c mut Clock {
    let reopened_runs = reopened.as_ref().is_some_and(|clock| std::ptr::eq(running(response, Some(clock)), clock));
    match reopened {
        Some(clock) if reopened_runs => clock,
        _ => response,
    }
}

impl Case {
    /// Whether the case's state lets `command` happen under `policy`: `Ok` when it does (the
    /// command's data may still be refused), else the refusal, naming its rule through
    /// [`Rejected::rule_id`]. The command itself answers with this same refusal.
    ///
    /// # Errors
    /// The [`Rejected`] the command would answer with for the state the case is in.
    pub fn state_allows(&self, command: Move, policy: &Policy) -> Result<(), Rejected> {
        match command {
            // R15: a late complaint is accepted once, while it is neither withdrawn nor set aside.
            Move::AcceptLateComplaint => {
                if self.withdrawal.is_some() {
                    Err(Rejected::Withdrawn)
                } else if self.records.not_a_complaint.is_some() {
                    Err(Rejected::NotAComplaint)
                } else if !self.looks_late() {
                    Err(Rejected::NotLate)
                } else if self.late_acceptance.is_some() {
                    Err(Rejected::LateAlreadyAccepted)
                } else {
                    Ok(())
                }
            }
            // R21 [U]: as many stage 1 extensions as the policy allows, per opening of the stage.
            Move::ExtendStage1 => {
                self.must_be_open_at(Stage::One)?;
                let stage1 = self.stage1.as_ref().ok_or(Rejected::NotAtStage { expected: Stage::One })?;
                let clock = running(&stage1.response, stage1.reopened_response.as_ref());
                if clock.extensions.len() >= usize::try_from(policy.stage1_max_extensions).unwrap_or(usize::MAX) {
                    return Err(Rejected::AlreadyExtended);
                }
                Ok(())
            }
            // R19, R23: the stage 1 response, on an open stage 1.
            Move::CloseStage1 => {
                self.must_be_open_at(Stage::One)?;
                self.stage1.as_ref().map(|_| ()).ok_or(Rejected::NotAtStage { expected: Stage::One })
            }
            // R22, R27: an open stage 1 complaint moves to stage 2.
            Move::MoveToStage2 => {
                if self.stage2.is_some() && self.withdrawal.is_none() {
                    return Err(Rejected::AlreadyAtStage2);
                }
                self.must_be_open_at(Stage::One)?;
                self.stage1.as_ref().map(|_| ()).ok_or(Rejected::NotAtStage { expected: Stage::One })
            }
            // R22, R27: straight to stage 2 only before any response at stage 1.
            Move::RouteDirectToStage2 => {
                self.state_allows(Move::MoveToStage2, policy)?;
                let answered = self.stage1.as_ref().is_some_and(|stage| stage.closures().next().is_some());
                if answered || self.reopenings.iter().any(|r| r.stage == Stage::One) {
                    return Err(Rejected::AlreadyResponded);
                }
                Ok(())
            }
            // R16, R22: the customer escalates after the stage 1 response.
            Move::Escalate => {
                match self.status() {
                    Status::Stage1Closed => {}
                    Status::Withdrawn { .. } => return Err(Rejected::Withdrawn),
                    Status::NotAComplaint => return Err(Rejected::NotAComplaint),
                    Status::Stage1Open | Status::Stage1Extended => return Err(Rejected::StillOpen),
                    _ => return Err(Rejected::AlreadyAtStage2),
                }
                self.stage1.as_ref().and_then(|stage| stage.closure.as_ref()).map(|_| ()).ok_or(Rejected::StillOpen)
            }
            // R24: stage 2 is acknowledged once.
            Move::AcknowledgeStage2 => {
                self.must_be_open_at(Stage::Two)?;
                if self.stage2.as_ref().is_some_and(|stage| stage.acknowledged.is_some()) {
                    return Err(Rejected::AlreadyAcknowledged);
                }
                Ok(())
            }
            // R25, R30: the points are amended, and answered, once they were agreed.
            Move::AmendPointsOfComplaint | Move::CloseStage2 => {
                self.must_be_open_at(Stage::Two)?;
                match &self.stage2 {
                    None => Err(Rejected::NotAtStage { expected: Stage::Two }),
                    Some(stage) if stage.acknowledged.is_none() => Err(Rejected::NotAcknowledged),
                    Some(_) => Ok(()),
                }
            }
            // R28: a stage 2 extension, on an open stage 2.
            Move::ExtendStage2 => {
                self.must_be_open_at(Stage::Two)?;
                self.stage2.as_ref().map(|_| ()).ok_or(Rejected::NotAtStage { expected: Stage::Two })
            }
            // R29: progress updates fall due once stage 2 is extended.
            Move::GiveProgressUpdate => {
                self.must_be_open_at(Stage::Two)?;
                let stage2 = self.stage2.as_ref().ok_or(Rejected::NotAtStage { expected: Stage::Two })?;
                if stage2.progress.as_ref().is_some_and(Clock::is_running) {
                    Ok(())
                } else {
                    Err(Rejected::NotExtended)
                }
            }
            // R33, R56: an open complaint is withdrawn, unless a child with capacity decided to go on.
            Move::Withdraw => {
                self.must_be_open()?;
                if self.records.child.as_ref().is_some_and(ChildRecord::child_controls_going_on) {
                    return Err(Rejected::ChildDecidesToGoOn);
                }
                Ok(())
            }
            // R40: a closed stage is reopened.
            Move::Reopen => match self.status() {
                Status::Withdrawn { .. } => Err(Rejected::Withdrawn),
                Status::NotAComplaint => Err(Rejected::NotAComplaint),
                _ => self.closed_stage().map(|_| ()).ok_or(Rejected::StillOpen),
            },
            // R18: the SPSO looks at complaints that completed the procedure, once.
            Move::ReferToSpso => {
                self.must_have_final_response()?;
                if self.spso.is_some() {
                    return Err(Rejected::AlreadyReferredToSpso);
                }
                Ok(())
            }
            Move::RecordSpsoOutcome => match &self.spso {
                None => Err(Rejected::NotReferredToSpso),
                Some(referral) if referral.outcome.is_some() => Err(Rejected::SpsoOutcomeAlreadyRecorded),
                Some(_) => Ok(()),
            },
            // R4: decided on an open case before any response.
            Move::RecordNotAComplaint => {
                self.must_be_open()?;
                let answered = self.stage1.as_ref().is_some_and(|stage| stage.closures().next().is_some())
                    || self.stage2.as_ref().is_some_and(|stage| stage.closures().next().is_some());
                if answered { Err(Rejected::AlreadyResponded) } else { Ok(()) }
            }
            // R54: a restriction in force is reviewed (which one is the command's to say).
            Move::ReviewContactRestriction => {
                let restrictions = &self.records.restrictions;
                if restrictions.is_empty() {
                    Err(Rejected::NoRestriction)
                } else if restrictions.iter().all(|restriction| restriction.lifted_on.is_some()) {
                    Err(Rejected::RestrictionLifted)
                } else {
                    Ok(())
                }
            }
            // R40: the final response stands.
            Move::RecordCorrespondenceAfterFinalResponse => self.must_have_final_response().map(|_| ()),
            // R52: consent is recorded for a representative.
            Move::RecordRepresentativeConsent => {
                if self.complaint.representation.is_none() {
                    Err(Rejected::NoRepresentative)
                } else {
                    Ok(())
                }
            }
            // R32, R36: actions are agreed when a complaint was resolved.
            Move::AgreeAction => self.resolved_on().map(|_| ()).ok_or(Rejected::NotResolved),
            // R36: an agreed action not yet done is completed (which one is the command's to say).
            Move::CompleteAgreedAction => {
                let actions = &self.records.agreed_actions;
                if actions.is_empty() {
                    Err(Rejected::NoAgreedAction)
                } else if actions.iter().all(|action| action.done_on.is_some()) {
                    Err(Rejected::AlreadyRecorded { what: "completion of the action" })
                } else {
                    Ok(())
                }
            }
            // R3: only complaints staff took in themselves have a conversation to note, once.
            Move::NoteIntake => {
                if !self.complaint.channel.is_staff_logged() {
                    Err(Rejected::NotStaffLogged)
                } else if self.records.intake_note.is_some() {
                    Err(Rejected::AlreadyRecorded { what: "the note of the conversation" })
                } else {
                    Ok(())
                }
            }
            // R42: reassigning a finished case changes nothing anyone is waiting for.
            Move::Assign => self.must_be_open(),
            // Records kept beside the stages, in any state; their data decides (R44, R53–R59).
            Move::RestrictContact
            | Move::Classify
            | Move::AddStaffInvolved
            | Move::RecordStaffContact
            | Move::LinkLearningAction
            | Move::RecordChild => Ok(()),
        }
    }

    /// The stage whose response stands (closed, with its closure) and that response's date and
    /// outcome: what a reopening sets aside (R40). `None` for an open, withdrawn or set-aside case.
    pub(crate) fn closed_stage(&self) -> Option<(Stage, chrono::NaiveDate, crate::outcome::Outcome)> {
        match self.status() {
            Status::Stage1Closed => {
                self.stage1.as_ref()?.closure.as_ref().map(|c| (Stage::One, c.responded_on, c.outcome))
            }
            Status::Stage2Closed => {
                self.stage2.as_ref()?.closure.as_ref().map(|c| (Stage::Two, c.responded_on, c.outcome))
            }
            _ => None,
        }
    }

    /// Every command the case's state lets happen under `policy` ([`Case::state_allows`]).
    #[must_use]
    pub fn possible_moves(&self, policy: &Policy) -> Vec<Move> {
        Move::ALL.into_iter().filter(|command| self.state_allows(*command, policy).is_ok()).collect()
    }
}
