//! The case lifecycle as a pure state machine: typed commands in, the next case and its timeline
//! events out, or a typed reason the move is not allowed (mchp-rules §1, §3–§6, R15–R44).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::case::{
    Acknowledgement, Case, CaseEvent, LateAcceptance, PointOfComplaint, ProgressUpdate, Reopening, Rules, SpsoReferral,
    Stage, Stage1Closure, Stage2Closure, Stage2Route, Status, Warning, Withdrawal, start_stage2,
};
use crate::complaint::Channel;
use crate::deadlines::{Clock, ClockKind, Extension, StopReason};
use crate::limits;
use crate::outcome::{Outcome, OutcomeOverride, SpsoOutcome, roll_up};
use crate::signposting::{CustomerTold, SpsoSignposting, Stage2Signposting};
use crate::timeline::{Actor, Authoriser, StaffRole, TimelineEvent};
use crate::workdays::{ClockStart, local_date_time};

/// Something staff (or the complainant, for an escalation or a withdrawal) asks to do to a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "command")]
pub enum Command {
    /// R15: accept a complaint made after the normal time limit.
    AcceptLateComplaint { reason: String },
    /// R21: extend the stage 1 response date, once, to at most the policy cap in total.
    ExtendStage1 { authoriser: Authoriser, reason: String, new_due: NaiveDate, customer_told: CustomerTold },
    /// R19, R23: give the stage 1 response. `signposting` is required; it is optional here only so
    /// a form without it gets a clear refusal.
    CloseStage1 { responded_on: NaiveDate, outcome: Outcome, signposting: Option<Stage2Signposting> },
    /// R22, R27: the organisation moves an open stage 1 complaint to stage 2.
    MoveToStage2 { decided_on: NaiveDate, reason: String },
    /// R16, R22: the customer asks for stage 2 after a stage 1 response (also after "resolved").
    Escalate { requested_on: NaiveDate, channel: Channel },
    /// R24, R25: acknowledge stage 2 with the points of complaint agreed.
    AcknowledgeStage2 { acknowledged_on: NaiveDate, points: Vec<PointOfComplaint>, agreed_on: NaiveDate },
    /// R28: extend the stage 2 response date; progress updates then fall due (R29).
    ExtendStage2 { authoriser: Authoriser, reason: String, new_due: NaiveDate, customer_told: CustomerTold },
    /// R29: a progress update was given on an extended stage 2 complaint.
    GiveProgressUpdate { given_on: NaiveDate, channel: Channel },
    /// R30, R34, R37: give the final response: one outcome per point, an optional override with
    /// its reason, and the SPSO signposting (required).
    CloseStage2 {
        responded_on: NaiveDate,
        point_outcomes: Vec<Outcome>,
        outcome_override: Option<OutcomeOverride>,
        signposting: Option<SpsoSignposting>,
    },
    /// R33: the complainant withdrew the complaint, at whichever stage is open.
    Withdraw { withdrawn_on: NaiveDate, reason: Option<String> },
    /// R40: reopen the last closed stage after post-closure contact (new evidence or a clear
    /// error), with the date a new response is due.
    Reopen { reopened_on: NaiveDate, reason: String, respond_by: NaiveDate },
    /// The complainant took the complaint to the SPSO.
    ReferToSpso { referred_on: NaiveDate },
    /// The SPSO's decision.
    RecordSpsoOutcome { decided_on: NaiveDate, outcome: SpsoOutcome },
}

/// Why a command was refused. The case is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejected {
    #[error("only a member of staff can do this")]
    NeedsStaff,
    #[error("an extension must be authorised by a manager, not a {role:?}")]
    ExtensionNeedsManager { role: StaffRole },
    #[error("a stage 1 extension can go no later than {cap}")]
    ExtensionBeyondCap { cap: NaiveDate },
    #[error("the new due date must be after the current one, {current_due}")]
    ExtensionNotLater { current_due: NaiveDate },
    #[error("stage 1 has already been extended once")]
    AlreadyExtended,
    #[error("{date} is not a working day")]
    NotAWorkingDay { date: NaiveDate },
    #[error("the customer must be signposted before stage {stage:?} can close")]
    SignpostingRequired { stage: Stage },
    #[error("this needs the case to be at stage {expected:?}")]
    NotAtStage { expected: Stage },
    #[error("the case is already closed")]
    AlreadyClosed,
    #[error("the complaint was withdrawn")]
    Withdrawn,
    #[error("the case is still open")]
    StillOpen,
    #[error("the complaint is already at stage 2")]
    AlreadyAtStage2,
    #[error("stage 2 must be acknowledged, with its points of complaint, first")]
    NotAcknowledged,
    #[error("stage 2 has already been acknowledged")]
    AlreadyAcknowledged,
    #[error("at least one point of complaint is needed")]
    NoPointsOfComplaint,
    #[error("{outcomes} outcomes were given for {points} points of complaint")]
    PointOutcomesMismatch { points: usize, outcomes: usize },
    #[error("progress updates are due only once stage 2 has been extended")]
    NotExtended,
    #[error("{field} must not be blank")]
    Blank { field: &'static str },
    #[error("{date} is in the future")]
    DateInFuture { date: NaiveDate },
    #[error("{date} is before {earliest}")]
    DateTooEarly { date: NaiveDate, earliest: NaiveDate },
    #[error("the complaint was made within the time limit; there is nothing to accept")]
    NotLate,
    #[error("the late complaint has already been accepted")]
    LateAlreadyAccepted,
    #[error("the case has not been referred to the SPSO")]
    NotReferredToSpso,
    #[error("the case has already been referred to the SPSO")]
    AlreadyReferredToSpso,
    #[error("the SPSO outcome has already been recorded")]
    SpsoOutcomeAlreadyRecorded,
}

/// Checks a date the command says something happened on: not after `today`, not before `earliest`.
fn happened(date: NaiveDate, earliest: NaiveDate, today: NaiveDate) -> Result<NaiveDate, Rejected> {
    if date > today {
        Err(Rejected::DateInFuture { date })
    } else if date < earliest {
        Err(Rejected::DateTooEarly { date, earliest })
    } else {
        Ok(date)
    }
}

fn not_blank(text: &str, field: &'static str) -> Result<(), Rejected> {
    if text.trim().is_empty() { Err(Rejected::Blank { field }) } else { Ok(()) }
}

fn staff_id(actor: &Actor) -> Result<&str, Rejected> {
    match actor {
        Actor::Staff(id) => Ok(id),
        Actor::System | Actor::Complainant => Err(Rejected::NeedsStaff),
    }
}

/// Staff or the service acting for them; the complainant may only escalate or withdraw.
fn not_complainant(actor: &Actor) -> Result<(), Rejected> {
    if *actor == Actor::Complainant { Err(Rejected::NeedsStaff) } else { Ok(()) }
}

/// Refuses anything but an open case.
fn must_be_open(case: &Case) -> Result<(), Rejected> {
    match case.status() {
        Status::Withdrawn { .. } => Err(Rejected::Withdrawn),
        Status::Stage1Closed | Status::Stage2Closed => Err(Rejected::AlreadyClosed),
        _ => Ok(()),
    }
}

/// Refuses anything but an open case at `stage`.
fn must_be_open_at(case: &Case, stage: Stage) -> Result<(), Rejected> {
    must_be_open(case)?;
    if case.stage() == stage { Ok(()) } else { Err(Rejected::NotAtStage { expected: stage }) }
}

fn check_authoriser(authoriser: &Authoriser) -> Result<(), Rejected> {
    not_blank(&authoriser.staff_id, "authoriser")?;
    if authoriser.role.may_authorise_extensions() {
        Ok(())
    } else {
        Err(Rejected::ExtensionNeedsManager { role: authoriser.role })
    }
}

/// The response clock that is running at a stage: a reopened stage's one first.
fn running_response<'c>(response: &'c mut Clock, reopened: &'c mut Option<Clock>) -> &'c mut Clock {
    match reopened {
        Some(clock) if clock.is_running() => clock,
        _ => response,
    }
}

impl Case {
    /// Applies `command`, done by `actor` and recorded at `at`, under `rules`. Pure: the case is
    /// not changed; the next case and the timeline events to append come back together.
    ///
    /// # Errors
    /// [`Rejected`] saying why the move is not allowed; nothing changes.
    pub fn apply(
        &self,
        command: Command,
        at: DateTime<Utc>,
        actor: Actor,
        rules: Rules<'_>,
    ) -> Result<(Case, Vec<TimelineEvent>), Rejected> {
        let today = local_date_time(at).date();
        // Nothing can predate the complaint or the stage: their raw dates, not the working days
        // their clocks count from (a receipt after the cut-off may be answered that evening: R8).
        let received_on = self.received_on();
        let calendar = rules.calendar;
        let rule = rules.policy.day_one_rule;
        let mut next = self.clone();
        let mut whats = Vec::new();
        match command {
            Command::AcceptLateComplaint { reason } => {
                let staff = staff_id(&actor)?;
                not_blank(&reason, "reason")?;
                if self.withdrawal.is_some() {
                    return Err(Rejected::Withdrawn);
                }
                if !self.looks_late() {
                    return Err(Rejected::NotLate);
                }
                if self.late_acceptance.is_some() {
                    return Err(Rejected::LateAlreadyAccepted);
                }
                next.late_acceptance = Some(LateAcceptance { staff_id: staff.to_owned(), reason: reason.clone(), at });
                whats.push(CaseEvent::LateComplaintAccepted { reason });
            }
            Command::ExtendStage1 { authoriser, reason, new_due, customer_told } => {
                not_complainant(&actor)?;
                must_be_open_at(self, Stage::One)?;
                check_authoriser(&authoriser)?;
                not_blank(&reason, "reason")?;
                let Some(stage1) = next.stage1.as_mut() else {
                    return Err(Rejected::NotAtStage { expected: Stage::One });
                };
                let start = stage1.start;
                let clock = running_response(&mut stage1.response, &mut stage1.reopened_response);
                // R7: the cap counts the same way as the timescale it extends, under the rule the
                // clock was computed with (the organisation may have changed its rule since).
                let counted_under = clock.day_one_rule;
                if clock.is_extended() {
                    return Err(Rejected::AlreadyExtended);
                }
                if new_due <= clock.due {
                    return Err(Rejected::ExtensionNotLater { current_due: clock.due });
                }
                if !calendar.is_working_day(new_due) {
                    return Err(Rejected::NotAWorkingDay { date: new_due });
                }
                // R21 [U]: at most the policy's total, counted from the stage start like the base timescale.
                let cap = start.due_after(calendar, counted_under, rules.policy.stage1_extension_cap_working_days);
                if clock.kind == ClockKind::Stage1Response && new_due > cap {
                    return Err(Rejected::ExtensionBeyondCap { cap });
                }
                happened(customer_told.on, received_on, today)?;
                let extension = Extension { authoriser, reason, previous_due: clock.due, new_due, customer_told };
                clock.extend(extension.clone());
                whats.push(CaseEvent::Stage1Extended { extension });
            }
            Command::CloseStage1 { responded_on, outcome, signposting } => {
                not_complainant(&actor)?;
                must_be_open_at(self, Stage::One)?;
                let signposting = signposting.ok_or(Rejected::SignpostingRequired { stage: Stage::One })?;
                let Some(stage1) = next.stage1.as_mut() else {
                    return Err(Rejected::NotAtStage { expected: Stage::One });
                };
                happened(responded_on, received_on, today)?;
                happened(signposting.given_on, received_on, today)?;
                for clock in [Some(&mut stage1.response), stage1.reopened_response.as_mut()].into_iter().flatten() {
                    clock.stop(responded_on, StopReason::Done);
                }
                let closure = Stage1Closure {
                    responded_on,
                    outcome,
                    signposting,
                    working_days_taken: stage1.start.working_days_taken(
                        calendar,
                        stage1.response.day_one_rule,
                        responded_on,
                    ),
                    within_base_timescale: responded_on <= stage1.response.base_due,
                    escalation_deadline: limits::escalation_deadline(
                        self.complaint.event_date,
                        self.complaint.awareness_date,
                        responded_on,
                    ),
                };
                stage1.closure = Some(closure.clone());
                whats.push(CaseEvent::Stage1Closed { closure });
            }
            Command::MoveToStage2 { decided_on, reason } => {
                not_complainant(&actor)?;
                if self.stage2.is_some() && self.withdrawal.is_none() {
                    return Err(Rejected::AlreadyAtStage2);
                }
                must_be_open_at(self, Stage::One)?;
                not_blank(&reason, "reason")?;
                let Some(stage1) = next.stage1.as_mut() else {
                    return Err(Rejected::NotAtStage { expected: Stage::One });
                };
                happened(decided_on, received_on, today)?;
                for clock in [Some(&mut stage1.response), stage1.reopened_response.as_mut()].into_iter().flatten() {
                    clock.stop(decided_on, StopReason::Superseded);
                }
                let start = ClockStart::on_date(calendar, decided_on);
                let stage2 = start_stage2(Stage2Route::MovedByOrganisation { decided_on, reason }, start, rules);
                whats.push(stage2.started_event());
                next.stage2 = Some(stage2);
            }
            Command::Escalate { requested_on, channel } => {
                match self.status() {
                    Status::Stage1Closed => {}
                    Status::Withdrawn { .. } => return Err(Rejected::Withdrawn),
                    Status::Stage1Open | Status::Stage1Extended => return Err(Rejected::StillOpen),
                    _ => return Err(Rejected::AlreadyAtStage2),
                }
                let Some(closure) = self.stage1.as_ref().and_then(|stage| stage.closure.as_ref()) else {
                    return Err(Rejected::StillOpen);
                };
                happened(requested_on, closure.responded_on, today)?;
                // R16: a late escalation is accepted with a warning, never refused.
                let deadline = closure.escalation_deadline;
                let late = requested_on > deadline;
                let start = ClockStart::on_date(calendar, requested_on);
                let route =
                    Stage2Route::EscalatedByCustomer { requested_on, channel, escalation_deadline: deadline, late };
                let stage2 = start_stage2(route, start, rules);
                whats.push(stage2.started_event());
                if late {
                    whats.push(CaseEvent::Warned {
                        warning: Warning::EscalationAfterTimeLimit { time_limit: deadline, requested_on },
                    });
                }
                next.stage2 = Some(stage2);
            }
            Command::AcknowledgeStage2 { acknowledged_on, points, agreed_on } => {
                not_complainant(&actor)?;
                must_be_open_at(self, Stage::Two)?;
                let Some(stage2) = next.stage2.as_mut() else {
                    return Err(Rejected::NotAtStage { expected: Stage::Two });
                };
                if stage2.acknowledged.is_some() {
                    return Err(Rejected::AlreadyAcknowledged);
                }
                if points.is_empty() {
                    return Err(Rejected::NoPointsOfComplaint);
                }
                for point in &points {
                    not_blank(&point.summary, "point of complaint")?;
                    not_blank(&point.outcome_sought, "outcome sought")?;
                }
                let began = stage2.began_on(received_on);
                happened(acknowledged_on, began, today)?;
                happened(agreed_on, began, today)?;
                stage2.acknowledgement.stop(acknowledged_on, StopReason::Done);
                let acknowledgement = Acknowledgement { acknowledged_on, points, agreed_on };
                stage2.acknowledged = Some(acknowledgement.clone());
                whats.push(CaseEvent::Stage2Acknowledged { acknowledgement });
            }
            Command::ExtendStage2 { authoriser, reason, new_due, customer_told } => {
                not_complainant(&actor)?;
                must_be_open_at(self, Stage::Two)?;
                check_authoriser(&authoriser)?;
                not_blank(&reason, "reason")?;
                let Some(stage2) = next.stage2.as_mut() else {
                    return Err(Rejected::NotAtStage { expected: Stage::Two });
                };
                let began = stage2.began_on(received_on);
                let clock = running_response(&mut stage2.response, &mut stage2.reopened_response);
                if new_due <= clock.due {
                    return Err(Rejected::ExtensionNotLater { current_due: clock.due });
                }
                if !calendar.is_working_day(new_due) {
                    return Err(Rejected::NotAWorkingDay { date: new_due });
                }
                happened(customer_told.on, began, today)?;
                let extension = Extension { authoriser, reason, previous_due: clock.due, new_due, customer_told };
                clock.extend(extension.clone());
                // R29 [U]: updates fall due every N working days from the original due date.
                let base_due = stage2.response.base_due;
                let progress = stage2.progress.get_or_insert_with(|| {
                    Clock::progress_after(base_due, rules.policy.progress_update_working_days, calendar)
                });
                whats.push(CaseEvent::Stage2Extended { extension, progress_update_due: progress.due });
            }
            Command::GiveProgressUpdate { given_on, channel } => {
                not_complainant(&actor)?;
                must_be_open_at(self, Stage::Two)?;
                let Some(stage2) = next.stage2.as_mut() else {
                    return Err(Rejected::NotAtStage { expected: Stage::Two });
                };
                let earliest =
                    stage2.progress_updates.last().map_or(stage2.began_on(received_on), |update| update.given_on);
                let Some(progress) = stage2.progress.as_mut() else { return Err(Rejected::NotExtended) };
                happened(given_on, earliest, today)?;
                progress.stop(given_on, StopReason::Done);
                let update = ProgressUpdate { given_on, channel, due: progress.due };
                let following = Clock::progress_after(given_on, rules.policy.progress_update_working_days, calendar);
                let next_due = following.due;
                stage2.progress = Some(following);
                stage2.progress_updates.push(update);
                whats.push(CaseEvent::ProgressUpdateGiven { update, next_due });
            }
            Command::CloseStage2 { responded_on, point_outcomes, outcome_override, signposting } => {
                not_complainant(&actor)?;
                must_be_open_at(self, Stage::Two)?;
                let signposting = signposting.ok_or(Rejected::SignpostingRequired { stage: Stage::Two })?;
                not_blank(&signposting.template_version, "SPSO signposting template version")?;
                let Some(stage2) = next.stage2.as_mut() else {
                    return Err(Rejected::NotAtStage { expected: Stage::Two });
                };
                let Some(acknowledged) = &stage2.acknowledged else { return Err(Rejected::NotAcknowledged) };
                if point_outcomes.len() != acknowledged.points.len() {
                    return Err(Rejected::PointOutcomesMismatch {
                        points: acknowledged.points.len(),
                        outcomes: point_outcomes.len(),
                    });
                }
                let rolled_up = roll_up(&point_outcomes).ok_or(Rejected::NoPointsOfComplaint)?;
                if let Some(chosen) = &outcome_override {
                    not_blank(&chosen.reason, "override reason")?;
                }
                let began = stage2.began_on(received_on);
                // R25, R30: the response answers the points agreed at acknowledgement, so it comes after it.
                happened(responded_on, acknowledged.acknowledged_on.max(began), today)?;
                happened(signposting.given_on, began, today)?;
                for clock in [Some(&mut stage2.response), stage2.reopened_response.as_mut()].into_iter().flatten() {
                    clock.stop(responded_on, StopReason::Done);
                }
                // The final response answers everything, so a pending acknowledgement or update lapses.
                for clock in [Some(&mut stage2.acknowledgement), stage2.progress.as_mut()].into_iter().flatten() {
                    clock.stop(responded_on, StopReason::Superseded);
                }
                let closure = Stage2Closure {
                    responded_on,
                    rolled_up,
                    outcome: outcome_override.as_ref().map_or(rolled_up, |chosen| chosen.outcome),
                    override_reason: outcome_override.map(|chosen| chosen.reason),
                    point_outcomes,
                    signposting,
                    working_days_taken: stage2.start.working_days_taken(
                        calendar,
                        stage2.response.day_one_rule,
                        responded_on,
                    ),
                    within_base_timescale: responded_on <= stage2.response.base_due,
                };
                stage2.closure = Some(closure.clone());
                whats.push(CaseEvent::Stage2Closed { closure });
            }
            Command::Withdraw { withdrawn_on, reason } => {
                must_be_open(self)?;
                let stage = self.stage();
                let started = self.stage2.as_ref().map_or(received_on, |stage2| stage2.began_on(received_on));
                happened(withdrawn_on, started, today)?;
                let stop = |clock: &mut Clock| clock.stop(withdrawn_on, StopReason::Superseded);
                if let Some(stage1) = next.stage1.as_mut() {
                    stop(&mut stage1.response);
                    stage1.reopened_response.as_mut().map(stop);
                }
                if let Some(stage2) = next.stage2.as_mut() {
                    for clock in [
                        Some(&mut stage2.acknowledgement),
                        Some(&mut stage2.response),
                        stage2.progress.as_mut(),
                        stage2.reopened_response.as_mut(),
                    ]
                    .into_iter()
                    .flatten()
                    {
                        stop(clock);
                    }
                }
                let withdrawal = Withdrawal { stage, withdrawn_on, reason };
                next.withdrawal = Some(withdrawal.clone());
                whats.push(CaseEvent::Withdrawn { withdrawal });
            }
            Command::Reopen { reopened_on, reason, respond_by } => {
                not_complainant(&actor)?;
                not_blank(&reason, "reason")?;
                let (stage, previous_responded_on, previous_outcome) = match self.status() {
                    Status::Withdrawn { .. } => return Err(Rejected::Withdrawn),
                    Status::Stage1Closed => match self.stage1.as_ref().and_then(|stage| stage.closure.as_ref()) {
                        Some(closure) => (Stage::One, closure.responded_on, closure.outcome),
                        None => return Err(Rejected::StillOpen),
                    },
                    Status::Stage2Closed => match self.stage2.as_ref().and_then(|stage| stage.closure.as_ref()) {
                        Some(closure) => (Stage::Two, closure.responded_on, closure.outcome),
                        None => return Err(Rejected::StillOpen),
                    },
                    _ => return Err(Rejected::StillOpen),
                };
                happened(reopened_on, previous_responded_on, today)?;
                if respond_by < reopened_on {
                    return Err(Rejected::DateTooEarly { date: respond_by, earliest: reopened_on });
                }
                if !calendar.is_working_day(respond_by) {
                    return Err(Rejected::NotAWorkingDay { date: respond_by });
                }
                let start = ClockStart::on_date(calendar, reopened_on);
                let clock = Clock::set_by_hand(ClockKind::ReopenedResponse, start, respond_by, calendar, rule);
                match stage {
                    Stage::One => {
                        if let Some(stage1) = next.stage1.as_mut() {
                            stage1.closure = None;
                            stage1.reopened_response = Some(clock);
                        }
                    }
                    Stage::Two => {
                        if let Some(stage2) = next.stage2.as_mut() {
                            stage2.closure = None;
                            stage2.reopened_response = Some(clock);
                        }
                    }
                }
                let reopening =
                    Reopening { stage, reopened_on, reason, previous_responded_on, previous_outcome, respond_by };
                next.reopenings.push(reopening.clone());
                whats.push(CaseEvent::Reopened { reopening });
            }
            Command::ReferToSpso { referred_on } => {
                not_complainant(&actor)?;
                if self.is_open() {
                    return Err(Rejected::StillOpen);
                }
                if self.spso.is_some() {
                    return Err(Rejected::AlreadyReferredToSpso);
                }
                happened(referred_on, received_on, today)?;
                next.spso = Some(SpsoReferral { referred_on, outcome: None, decided_on: None });
                whats.push(CaseEvent::ReferredToSpso { referred_on });
            }
            Command::RecordSpsoOutcome { decided_on, outcome } => {
                not_complainant(&actor)?;
                let Some(referral) = next.spso.as_mut() else { return Err(Rejected::NotReferredToSpso) };
                if referral.outcome.is_some() {
                    return Err(Rejected::SpsoOutcomeAlreadyRecorded);
                }
                happened(decided_on, referral.referred_on, today)?;
                referral.outcome = Some(outcome);
                referral.decided_on = Some(decided_on);
                whats.push(CaseEvent::SpsoOutcomeRecorded { outcome, decided_on });
            }
        }
        let events = whats.into_iter().map(|what| TimelineEvent { at, actor: actor.clone(), what }).collect();
        Ok((next, events))
    }
}
