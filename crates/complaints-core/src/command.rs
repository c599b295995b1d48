//! The case lifecycle as a pure state machine: typed commands in, the next case and its timeline
//! events out, or a typed reason the move is not allowed (mchp-rules §1, §3–§6, R4, R15–R59).
//!
//! [`Case::apply`] only dispatches: each command is one small function below, which checks
//! everything first and changes the (cloned) case only once the move is allowed.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::actor::{Actor, Authoriser, StaffRole};
use crate::case::{
    Acknowledgement, Case, CaseEvent, LateAcceptance, PointOfComplaint, ProgressUpdate, Reopening, Rules, SpsoReferral,
    Stage, Stage1Closure, Stage2Closure, Stage2Route, Status, Warning, Withdrawal, start_stage2,
};
use crate::complaint::Channel;
use crate::deadlines::{Clock, ClockKind, Extension, StopReason};
use crate::limits;
use crate::moves::Move;
use crate::outcome::{Outcome, OutcomeOverride, SpsoOutcome, roll_up};
use crate::policy::{EscalatedStart, MovedStart, ProgressFrom};
use crate::records::{
    AgreedAction, Assignment, ChildRecord, Classification, ConsentType, ContactRestriction,
    CorrespondenceAfterFinalResponse, IntakeNote, LearningLink, NotAComplaint, NotAComplaintReason, PointsAmendment,
    RepresentativeConsent, RestrictionReview, RestrictionScope, StaffContact, StaffInvolved,
};
use crate::signposting::{CustomerTold, SpsoSignposting, Stage2Signposting};
use crate::timeline::TimelineEvent;
use crate::workdays::{ClockStart, local_date_time};

/// Something staff (or the complainant, for an escalation, a direct route or a withdrawal) asks to
/// do to a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "command")]
pub enum Command {
    /// R15: accept a complaint made after the normal time limit.
    AcceptLateComplaint { reason: String },
    /// R21: extend the stage 1 response date, as often as the policy allows, to at most the policy
    /// cap in total. `decided_on` defaults to the day the command is recorded.
    ExtendStage1 {
        authoriser: Authoriser,
        reason: String,
        new_due: NaiveDate,
        customer_told: CustomerTold,
        #[serde(default)]
        decided_on: Option<NaiveDate>,
    },
    /// R19, R23: give the stage 1 response. `signposting` is required unless nobody can be
    /// contacted (R51); it is optional here so a form without it gets a clear refusal.
    CloseStage1 { responded_on: NaiveDate, outcome: Outcome, signposting: Option<Stage2Signposting> },
    /// R22, R27: the organisation moves an open stage 1 complaint to stage 2.
    MoveToStage2 { decided_on: NaiveDate, reason: String },
    /// R22, R27: the customer asks for stage 2 straight away while stage 1 is open and before any
    /// response: stage 2 (direct), counted from the effective receipt date.
    RouteDirectToStage2 { routed_on: NaiveDate, reason: String },
    /// R16, R22: the customer asks for stage 2 after a stage 1 response (also after "resolved").
    /// `received_at`, when known, is the moment the request arrived: the same effective-date rule
    /// as intake applies to it (R8: weekends, holidays, the cut-off).
    Escalate {
        requested_on: NaiveDate,
        channel: Channel,
        #[serde(default)]
        received_at: Option<DateTime<Utc>>,
    },
    /// R24, R25: acknowledge stage 2 with the points of complaint agreed (for an anonymous
    /// complaint: record the points, nobody being contactable).
    AcknowledgeStage2 { acknowledged_on: NaiveDate, points: Vec<PointOfComplaint>, agreed_on: NaiveDate },
    /// R25: change the points of complaint after the acknowledgement, saying why and telling the customer.
    AmendPointsOfComplaint {
        amended_on: NaiveDate,
        points: Vec<PointOfComplaint>,
        reason: String,
        customer_told: Option<CustomerTold>,
    },
    /// R28: extend the stage 2 response date; progress updates then fall due (R29).
    ExtendStage2 {
        authoriser: Authoriser,
        reason: String,
        new_due: NaiveDate,
        customer_told: CustomerTold,
        #[serde(default)]
        decided_on: Option<NaiveDate>,
    },
    /// R29: a progress update was given on an extended stage 2 complaint.
    GiveProgressUpdate { given_on: NaiveDate, channel: Channel },
    /// R30, R34, R37: give the final response: one outcome per point, an optional override with
    /// its reason, and the SPSO signposting (required unless nobody can be contacted).
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
    /// The complainant took the complaint to the SPSO after the final response.
    ReferToSpso { referred_on: NaiveDate },
    /// The SPSO's decision.
    RecordSpsoOutcome { decided_on: NaiveDate, outcome: SpsoOutcome },
    /// R4: the contact is not a complaint; the person was directed elsewhere.
    RecordNotAComplaint {
        decided_on: NaiveDate,
        reason: NotAComplaintReason,
        details: Option<String>,
        directed_to: String,
    },
    /// R54: restrict contact under the Unacceptable Actions Policy.
    RestrictContact {
        scope: RestrictionScope,
        approver: Authoriser,
        starts_on: NaiveDate,
        review_on: NaiveDate,
        appeal_information_sent: CustomerTold,
        spso_signposting: Option<SpsoSignposting>,
    },
    /// R54: review restriction number `restriction` (0-based); `next_review_on: None` lifts it.
    ReviewContactRestriction {
        restriction: usize,
        reviewed_on: NaiveDate,
        reviewer: Authoriser,
        next_review_on: Option<NaiveDate>,
    },
    /// R40: the customer wrote again after the final response.
    RecordCorrespondenceAfterFinalResponse {
        received_on: NaiveDate,
        channel: Channel,
        spso_signposting: Option<SpsoSignposting>,
    },
    /// R44, R53: the category and the services involved (replaces an earlier classification).
    Classify {
        category: String,
        lead_service: String,
        contributing_services: Vec<String>,
        external_bodies: Vec<String>,
    },
    /// R52: the consent of the person affected for their representative.
    RecordRepresentativeConsent { consent_type: ConsentType, given_on: NaiveDate, given_by: String },
    /// R32, R36: an action agreed with the customer on a resolved complaint.
    AgreeAction { description: String, owner: String, agreed_on: NaiveDate, due_on: NaiveDate },
    /// R36: agreed action number `action` (0-based) was done.
    CompleteAgreedAction { action: usize, done_on: NaiveDate },
    /// R59: a member of staff the complaint is about; `email`, when known, is where their notice
    /// and updates go (internal: never shown to the complainant).
    AddStaffInvolved {
        staff_ref: String,
        added_on: NaiveDate,
        #[serde(default)]
        email: Option<String>,
    },
    /// R59: a member of staff involved was told, offered support, updated or shown part of the response.
    RecordStaffContact { staff_ref: String, contact: StaffContact },
    /// R35, K1: link the case to a learning action ([`crate::learning::LearningAction`]).
    LinkLearningAction { action_id: String, linked_on: NaiveDate },
    /// R56: set or update the record of a child or young person's involvement.
    RecordChild { record: ChildRecord },
    /// R42: assign or reassign who deals with the complaint (a person or team, named in every
    /// letter), with the team and the service area it now sits with.
    Assign {
        handler: String,
        #[serde(default)]
        team: Option<String>,
        #[serde(default)]
        service_area: Option<String>,
        assigned_on: NaiveDate,
    },
    /// R3, R44: the note of the conversation (or letter) for a complaint staff logged from a call,
    /// a visit or a letter, and the postal address to write to when one was given. Once per case.
    NoteIntake {
        note: String,
        #[serde(default)]
        postal_address: Option<String>,
    },
}

/// Why a command was refused. The case is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejected {
    #[error("only a member of staff can do this")]
    NeedsStaff,
    #[error("an extension must be authorised by a more senior role than a {role:?}")]
    ExtensionNeedsManager { role: StaffRole },
    #[error("this needs a manager's approval, not a {role:?}'s")]
    NeedsManager { role: StaffRole },
    #[error("a stage 1 extension can go no later than {cap}")]
    ExtensionBeyondCap { cap: NaiveDate },
    #[error("the new due date must be after the current one, {current_due}")]
    ExtensionNotLater { current_due: NaiveDate },
    #[error("the new due date must be after the date the extension was decided, {decided_on}")]
    ExtensionNotAfterDecision { decided_on: NaiveDate },
    #[error("stage 1 has already been extended as often as allowed")]
    AlreadyExtended,
    #[error("{date} is not a working day")]
    NotAWorkingDay { date: NaiveDate },
    #[error("the customer must be signposted before stage {stage:?} can close")]
    SignpostingRequired { stage: Stage },
    #[error("stage 1 signposting must give the escalation time limit")]
    EscalationTimeLimitNotGiven,
    #[error("the customer must be signposted to the SPSO")]
    SpsoSignpostingRequired,
    #[error("the customer must be told")]
    CustomerNotTold,
    #[error("this needs the case to be at stage {expected:?}")]
    NotAtStage { expected: Stage },
    #[error("the case is already closed")]
    AlreadyClosed,
    #[error("the complaint was withdrawn")]
    Withdrawn,
    #[error("the contact was recorded as not a complaint")]
    NotAComplaint,
    #[error("the case is still open")]
    StillOpen,
    #[error("stage 1 has already been answered")]
    AlreadyResponded,
    #[error("the final (stage 2) response has not been given")]
    NoFinalResponse,
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
    #[error("{date} is not the local date of the moment given, {expected}")]
    DateMismatch { date: NaiveDate, expected: NaiveDate },
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
    #[error("{category:?} is not one of the configured categories")]
    UnknownCategory { category: String },
    #[error("the lead service is also listed as contributing")]
    LeadAlsoContributing,
    #[error("the complaint was not made by a representative")]
    NoRepresentative,
    #[error("agreed actions are tracked for resolved complaints")]
    NotResolved,
    #[error("there is no record number {index}")]
    NoSuchRecord { index: usize },
    #[error("{what} is already recorded")]
    AlreadyRecorded { what: &'static str },
    #[error("the restriction has already been lifted")]
    RestrictionLifted,
    #[error("the child has capacity and has decided to go on with the complaint")]
    ChildDecidesToGoOn,
    #[error("only a complaint received by phone, in person or by letter has a conversation to note")]
    NotStaffLogged,
    #[error("a parent asked that the child not be told: record the best-interests decision on that request")]
    BestInterestsDecisionRequired,
    #[error("no action was agreed on this case")]
    NoAgreedAction,
    #[error("no contact restriction was put on this case")]
    NoRestriction,
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

/// Staff or the service acting for them; the complainant may only escalate, ask for stage 2 or withdraw.
fn not_complainant(actor: &Actor) -> Result<(), Rejected> {
    if *actor == Actor::Complainant { Err(Rejected::NeedsStaff) } else { Ok(()) }
}

fn check_points(points: &[PointOfComplaint]) -> Result<(), Rejected> {
    if points.is_empty() {
        return Err(Rejected::NoPointsOfComplaint);
    }
    for point in points {
        not_blank(&point.summary, "point of complaint")?;
        not_blank(&point.outcome_sought, "outcome sought")?;
    }
    Ok(())
}

fn check_spso_signposting(signposting: &SpsoSignposting, after: NaiveDate, today: NaiveDate) -> Result<(), Rejected> {
    not_blank(&signposting.template_version, "SPSO signposting template version")?;
    happened(signposting.given_on, after, today)?;
    Ok(())
}

/// What every command is judged against: when and by whom it is recorded, under which rules.
struct Ctx<'r> {
    at: DateTime<Utc>,
    /// The local date the command is recorded: nothing it reports can be later.
    today: NaiveDate,
    actor: Actor,
    rules: Rules<'r>,
}

type Events = Result<Vec<CaseEvent>, Rejected>;

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
        let ctx = Ctx { at, today: local_date_time(at).date(), actor, rules };
        let mut next = self.clone();
        let whats = match command {
            Command::AcceptLateComplaint { reason } => next.accept_late(&ctx, reason),
            Command::ExtendStage1 { authoriser, reason, new_due, customer_told, decided_on } => {
                next.extend_stage1(&ctx, authoriser, reason, new_due, customer_told, decided_on)
            }
            Command::CloseStage1 { responded_on, outcome, signposting } => {
                next.close_stage1(&ctx, responded_on, outcome, signposting)
            }
            Command::MoveToStage2 { decided_on, reason } => next.move_to_stage2(&ctx, decided_on, reason),
            Command::RouteDirectToStage2 { routed_on, reason } => next.route_direct(&ctx, routed_on, reason),
            Command::Escalate { requested_on, channel, received_at } => {
                next.escalate(&ctx, requested_on, channel, received_at)
            }
            Command::AcknowledgeStage2 { acknowledged_on, points, agreed_on } => {
                next.acknowledge_stage2(&ctx, acknowledged_on, points, agreed_on)
            }
            Command::AmendPointsOfComplaint { amended_on, points, reason, customer_told } => {
                next.amend_points(&ctx, amended_on, points, reason, customer_told)
            }
            Command::ExtendStage2 { authoriser, reason, new_due, customer_told, decided_on } => {
                next.extend_stage2(&ctx, authoriser, reason, new_due, customer_told, decided_on)
            }
            Command::GiveProgressUpdate { given_on, channel } => next.give_progress_update(&ctx, given_on, channel),
            Command::CloseStage2 { responded_on, point_outcomes, outcome_override, signposting } => {
                next.close_stage2(&ctx, responded_on, point_outcomes, outcome_override, signposting)
            }
            Command::Withdraw { withdrawn_on, reason } => next.withdraw(&ctx, withdrawn_on, reason),
            Command::Reopen { reopened_on, reason, respond_by } => next.reopen(&ctx, reopened_on, reason, respond_by),
            Command::ReferToSpso { referred_on } => next.refer_to_spso(&ctx, referred_on),
            Command::RecordSpsoOutcome { decided_on, outcome } => next.record_spso_outcome(&ctx, decided_on, outcome),
            Command::RecordNotAComplaint { decided_on, reason, details, directed_to } => {
                next.record_not_a_complaint(&ctx, NotAComplaint { decided_on, reason, details, directed_to })
            }
            Command::RestrictContact {
                scope,
                approver,
                starts_on,
                review_on,
                appeal_information_sent,
                spso_signposting,
            } => next.restrict_contact(
                &ctx,
                ContactRestriction {
                    scope,
                    approver,
                    starts_on,
                    review_on,
                    appeal_information_sent,
                    spso_signposting,
                    reviews: Vec::new(),
                    lifted_on: None,
                },
            ),
            Command::ReviewContactRestriction { restriction, reviewed_on, reviewer, next_review_on } => {
                next.review_restriction(&ctx, restriction, RestrictionReview { reviewed_on, reviewer, next_review_on })
            }
            Command::RecordCorrespondenceAfterFinalResponse { received_on, channel, spso_signposting } => next
                .record_correspondence_after_final(
                    &ctx,
                    CorrespondenceAfterFinalResponse { received_on, channel, spso_signposting },
                ),
            Command::Classify { category, lead_service, contributing_services, external_bodies } => {
                next.classify(&ctx, Classification { category, lead_service, contributing_services, external_bodies })
            }
            Command::RecordRepresentativeConsent { consent_type, given_on, given_by } => {
                next.record_consent(&ctx, RepresentativeConsent { consent_type, given_on, given_by })
            }
            Command::AgreeAction { description, owner, agreed_on, due_on } => {
                next.agree_action(&ctx, AgreedAction { description, owner, agreed_on, due_on, done_on: None })
            }
            Command::CompleteAgreedAction { action, done_on } => next.complete_agreed_action(&ctx, action, done_on),
            Command::AddStaffInvolved { staff_ref, added_on, email } => {
                next.add_staff_involved(&ctx, staff_ref, added_on, email)
            }
            Command::RecordStaffContact { staff_ref, contact } => next.record_staff_contact(&ctx, staff_ref, contact),
            Command::LinkLearningAction { action_id, linked_on } => next.link_learning(&ctx, action_id, linked_on),
            Command::RecordChild { record } => next.record_child(&ctx, record),
            Command::Assign { handler, team, service_area, assigned_on } => {
                next.assign(&ctx, Assignment { handler, team, service_area, assigned_on })
            }
            Command::NoteIntake { note, postal_address } => next.note_intake(&ctx, note, postal_address),
        }?;
        let events =
            whats.into_iter().map(|what| TimelineEvent { at: ctx.at, actor: ctx.actor.clone(), what }).collect();
        Ok((next, events))
    }

    /// Refuses anything but an open case.
    pub(crate) fn must_be_open(&self) -> Result<(), Rejected> {
        match self.status() {
            Status::Withdrawn { .. } => Err(Rejected::Withdrawn),
            Status::NotAComplaint => Err(Rejected::NotAComplaint),
            Status::Stage1Closed | Status::Stage2Closed => Err(Rejected::AlreadyClosed),
            _ => Ok(()),
        }
    }

    /// Refuses anything but an open case at `stage`.
    pub(crate) fn must_be_open_at(&self, stage: Stage) -> Result<(), Rejected> {
        self.must_be_open()?;
        if self.stage() == stage { Ok(()) } else { Err(Rejected::NotAtStage { expected: stage }) }
    }

    /// Refuses anything but a case whose final (stage 2) response stands.
    pub(crate) fn must_have_final_response(&self) -> Result<NaiveDate, Rejected> {
        match self.status() {
            Status::Withdrawn { .. } => Err(Rejected::Withdrawn),
            Status::NotAComplaint => Err(Rejected::NotAComplaint),
            Status::Stage2Closed => self.final_response_on().ok_or(Rejected::NoFinalResponse),
            Status::Stage1Closed => Err(Rejected::NoFinalResponse),
            _ => Err(Rejected::StillOpen),
        }
    }

    /// The date of the stage 2 response on record. Whether it stands is
    /// [`Self::must_have_final_response`]'s to say (through [`Case::state_allows`]).
    fn final_response_on(&self) -> Option<NaiveDate> {
        self.stage2.as_ref()?.closure.as_ref().map(|closure| closure.responded_on)
    }

    /// R21, R28: the organisation's rule on who may authorise an extension.
    fn check_authoriser(&self, ctx: &Ctx<'_>, authoriser: &Authoriser) -> Result<(), Rejected> {
        not_blank(&authoriser.staff_id, "authoriser")?;
        if ctx.rules.policy.may_authorise_extensions(authoriser.role) {
            Ok(())
        } else {
            Err(Rejected::ExtensionNeedsManager { role: authoriser.role })
        }
    }

    /// R3: the extension's decision date: on or after the latest event, not in the future; the
    /// new date must be after it, and the customer told of it no earlier (defect: extensions into the past).
    fn check_extension_dates(
        &self,
        ctx: &Ctx<'_>,
        new_due: NaiveDate,
        customer_told: CustomerTold,
        decided_on: Option<NaiveDate>,
    ) -> Result<NaiveDate, Rejected> {
        let decided_on = happened(decided_on.unwrap_or(ctx.today), self.latest_event_on(), ctx.today)?;
        if new_due <= decided_on {
            return Err(Rejected::ExtensionNotAfterDecision { decided_on });
        }
        happened(customer_told.on, decided_on, ctx.today)?;
        Ok(decided_on)
    }

    fn accept_late(&mut self, ctx: &Ctx<'_>, reason: String) -> Events {
        let staff = staff_id(&ctx.actor)?;
        not_blank(&reason, "reason")?;
        self.state_allows(Move::AcceptLateComplaint, ctx.rules.policy)?;
        self.late_acceptance = Some(LateAcceptance { staff_id: staff.to_owned(), reason: reason.clone(), at: ctx.at });
        Ok(vec![CaseEvent::LateComplaintAccepted { reason }])
    }

    fn extend_stage1(
        &mut self,
        ctx: &Ctx<'_>,
        authoriser: Authoriser,
        reason: String,
        new_due: NaiveDate,
        customer_told: CustomerTold,
        decided_on: Option<NaiveDate>,
    ) -> Events {
        not_complainant(&ctx.actor)?;
        self.state_allows(Move::ExtendStage1, ctx.rules.policy)?;
        self.check_authoriser(ctx, &authoriser)?;
        not_blank(&reason, "reason")?;
        let calendar = ctx.rules.calendar;
        let policy = ctx.rules.policy;
        let floor_case = self.clone();
        let Some(stage1) = self.stage1.as_mut() else {
            return Err(Rejected::NotAtStage { expected: Stage::One });
        };
        // R21 [U]: as many extensions as the policy allows, per opening of the stage (checked
        // with the state above).
        let clock = crate::moves::running_mut(&mut stage1.response, &mut stage1.reopened_response);
        if new_due <= clock.due {
            return Err(Rejected::ExtensionNotLater { current_due: clock.due });
        }
        if !calendar.is_working_day(new_due) {
            return Err(Rejected::NotAWorkingDay { date: new_due });
        }
        // R21 [U]: at most the policy's total, counted from the start of this opening (the stage
        // start, or the reopening) like the base timescale, under the rule the clock was computed with.
        let cap = clock.start.due_after(calendar, clock.day_one_rule, policy.stage1_extension_cap_working_days);
        if new_due > cap {
            return Err(Rejected::ExtensionBeyondCap { cap });
        }
        let decided_on = floor_case.check_extension_dates(ctx, new_due, customer_told, decided_on)?;
        let extension = Extension {
            authoriser,
            reason,
            previous_due: clock.due,
            new_due,
            customer_told,
            decided_on: Some(decided_on),
        };
        clock.extend(extension.clone());
        Ok(vec![CaseEvent::Stage1Extended { extension }])
    }

    fn close_stage1(
        &mut self,
        ctx: &Ctx<'_>,
        responded_on: NaiveDate,
        outcome: Outcome,
        signposting: Option<Stage2Signposting>,
    ) -> Events {
        not_complainant(&ctx.actor)?;
        self.state_allows(Move::CloseStage1, ctx.rules.policy)?;
        happened(responded_on, self.latest_event_on(), ctx.today)?;
        // R23, R39: every closure signposts stage 2 with the escalation time limit, on or after
        // the response; R51: unless nobody can be contacted.
        match &signposting {
            Some(given) => {
                happened(given.given_on, responded_on, ctx.today)?;
                if !given.time_limit_given {
                    return Err(Rejected::EscalationTimeLimitNotGiven);
                }
            }
            None if self.no_contact_possible() => {}
            None => return Err(Rejected::SignpostingRequired { stage: Stage::One }),
        }
        let calendar = ctx.rules.calendar;
        let (event, awareness) = (self.complaint.event_date, self.complaint.awareness_date);
        let Some(stage1) = self.stage1.as_mut() else {
            return Err(Rejected::NotAtStage { expected: Stage::One });
        };
        for clock in [Some(&mut stage1.response), stage1.reopened_response.as_mut()].into_iter().flatten() {
            clock.stop(responded_on, StopReason::Done);
        }
        // A reopened stage is measured from its reopening (R40).
        let current = stage1.current_response();
        let closure = Stage1Closure {
            responded_on,
            outcome,
            signposting,
            working_days_taken: current.working_days_taken(calendar, responded_on),
            within_base_timescale: responded_on <= current.base_due,
            escalation_deadline: limits::escalation_deadline_with(
                event,
                awareness,
                responded_on,
                ctx.rules.policy.month_end,
            ),
            opened_on: Some(current.start.effective),
            extended: Some(current.is_extended()),
        };
        stage1.closure = Some(closure.clone());
        Ok(vec![CaseEvent::Stage1Closed { closure }])
    }

    fn move_to_stage2(&mut self, ctx: &Ctx<'_>, decided_on: NaiveDate, reason: String) -> Events {
        not_complainant(&ctx.actor)?;
        self.state_allows(Move::MoveToStage2, ctx.rules.policy)?;
        not_blank(&reason, "reason")?;
        happened(decided_on, self.latest_event_on(), ctx.today)?;
        // R27 [U]: from the decision (default) or from the effective receipt.
        let start = match ctx.rules.policy.moved_stage2_start {
            MovedStart::Decision => ClockStart::on_date(ctx.rules.calendar, decided_on),
            MovedStart::Receipt => self.receipt,
        };
        let Some(stage1) = self.stage1.as_mut() else {
            return Err(Rejected::NotAtStage { expected: Stage::One });
        };
        for clock in [Some(&mut stage1.response), stage1.reopened_response.as_mut()].into_iter().flatten() {
            clock.stop(decided_on, StopReason::Superseded);
        }
        let stage2 = start_stage2(Stage2Route::MovedByOrganisation { decided_on, reason }, start, ctx.rules);
        let started = stage2.started_event();
        self.stage2 = Some(stage2);
        Ok(vec![started])
    }

    fn route_direct(&mut self, ctx: &Ctx<'_>, routed_on: NaiveDate, reason: String) -> Events {
        // Only before any response: once stage 1 was answered, stage 2 is an escalation.
        self.state_allows(Move::RouteDirectToStage2, ctx.rules.policy)?;
        not_blank(&reason, "reason")?;
        happened(routed_on, self.latest_event_on(), ctx.today)?;
        let Some(stage1) = self.stage1.as_mut() else {
            return Err(Rejected::NotAtStage { expected: Stage::One });
        };
        stage1.response.stop(routed_on, StopReason::Superseded);
        // R22, R27: direct to stage 2 counts from the effective receipt date.
        let route = Stage2Route::Direct { reason: reason.clone(), routed_on: Some(routed_on) };
        let stage2 = start_stage2(route, self.receipt, ctx.rules);
        let started = stage2.started_event();
        self.stage2 = Some(stage2);
        Ok(vec![CaseEvent::RoutedDirectToStage2 { routed_on, reason }, started])
    }

    fn escalate(
        &mut self,
        ctx: &Ctx<'_>,
        requested_on: NaiveDate,
        channel: Channel,
        received_at: Option<DateTime<Utc>>,
    ) -> Events {
        self.state_allows(Move::Escalate, ctx.rules.policy)?;
        let Some(closure) = self.stage1.as_ref().and_then(|stage| stage.closure.as_ref()) else {
            return Err(Rejected::StillOpen);
        };
        let deadline = closure.escalation_deadline;
        happened(requested_on, self.latest_event_on(), ctx.today)?;
        let calendar = ctx.rules.calendar;
        // R8, R27: the effective date of the request by the same rule as intake: a moment received
        // after the cut-off or on a non-working day counts from the next working day.
        let start = match received_at {
            Some(at) => {
                let local = local_date_time(at).date();
                if local != requested_on {
                    return Err(Rejected::DateMismatch { date: requested_on, expected: local });
                }
                ClockStart::received_at(calendar, at, ctx.rules.policy.cutoff)
            }
            None => ClockStart::on_date(calendar, requested_on),
        };
        let start = match ctx.rules.policy.escalated_stage2_start {
            EscalatedStart::Request => start,
            EscalatedStart::NextWorkingDay => {
                ClockStart { effective: calendar.next_working_day_after(start.effective), deferred: true }
            }
        };
        // R16: a late escalation is accepted with a warning, never refused.
        let late = requested_on > deadline;
        let route = Stage2Route::EscalatedByCustomer { requested_on, channel, escalation_deadline: deadline, late };
        let stage2 = start_stage2(route, start, ctx.rules);
        let mut whats = vec![stage2.started_event()];
        if late {
            whats.push(CaseEvent::Warned {
                warning: Warning::EscalationAfterTimeLimit { time_limit: deadline, requested_on },
            });
        }
        self.stage2 = Some(stage2);
        Ok(whats)
    }

    fn acknowledge_stage2(
        &mut self,
        ctx: &Ctx<'_>,
        acknowledged_on: NaiveDate,
        points: Vec<PointOfComplaint>,
        agreed_on: NaiveDate,
    ) -> Events {
        not_complainant(&ctx.actor)?;
        self.state_allows(Move::AcknowledgeStage2, ctx.rules.policy)?;
        check_points(&points)?;
        let floor = self.latest_event_on();
        happened(acknowledged_on, floor, ctx.today)?;
        happened(agreed_on, floor, ctx.today)?;
        let no_contact = self.no_contact_possible();
        let Some(stage2) = self.stage2.as_mut() else {
            return Err(Rejected::NotAtStage { expected: Stage::Two });
        };
        // R51: nobody can be acknowledged; the points are recorded and the clock lapses.
        let why = if no_contact { StopReason::Superseded } else { StopReason::Done };
        stage2.acknowledgement.stop(acknowledged_on, why);
        let acknowledgement = Acknowledgement { acknowledged_on, points, agreed_on, no_contact_possible: no_contact };
        stage2.acknowledged = Some(acknowledgement.clone());
        Ok(vec![CaseEvent::Stage2Acknowledged { acknowledgement }])
    }

    fn amend_points(
        &mut self,
        ctx: &Ctx<'_>,
        amended_on: NaiveDate,
        points: Vec<PointOfComplaint>,
        reason: String,
        customer_told: Option<CustomerTold>,
    ) -> Events {
        not_complainant(&ctx.actor)?;
        self.state_allows(Move::AmendPointsOfComplaint, ctx.rules.policy)?;
        check_points(&points)?;
        not_blank(&reason, "reason")?;
        happened(amended_on, self.latest_event_on(), ctx.today)?;
        match customer_told {
            Some(told) => {
                happened(told.on, amended_on, ctx.today)?;
            }
            None if self.no_contact_possible() => {}
            None => return Err(Rejected::CustomerNotTold),
        }
        let Some(acknowledged) = self.stage2.as_mut().and_then(|stage| stage.acknowledged.as_mut()) else {
            return Err(Rejected::NotAcknowledged);
        };
        let previous = std::mem::replace(&mut acknowledged.points, points.clone());
        let amendment = PointsAmendment { amended_on, reason, previous, customer_told };
        if let Some(stage2) = self.stage2.as_mut() {
            stage2.amendments.push(amendment.clone());
        }
        Ok(vec![CaseEvent::PointsOfComplaintAmended { amendment, points }])
    }

    fn extend_stage2(
        &mut self,
        ctx: &Ctx<'_>,
        authoriser: Authoriser,
        reason: String,
        new_due: NaiveDate,
        customer_told: CustomerTold,
        decided_on: Option<NaiveDate>,
    ) -> Events {
        not_complainant(&ctx.actor)?;
        self.state_allows(Move::ExtendStage2, ctx.rules.policy)?;
        self.check_authoriser(ctx, &authoriser)?;
        not_blank(&reason, "reason")?;
        let calendar = ctx.rules.calendar;
        let policy = ctx.rules.policy;
        let floor_case = self.clone();
        let Some(stage2) = self.stage2.as_mut() else {
            return Err(Rejected::NotAtStage { expected: Stage::Two });
        };
        let clock = crate::moves::running_mut(&mut stage2.response, &mut stage2.reopened_response);
        if new_due <= clock.due {
            return Err(Rejected::ExtensionNotLater { current_due: clock.due });
        }
        if !calendar.is_working_day(new_due) {
            return Err(Rejected::NotAWorkingDay { date: new_due });
        }
        let decided_on = floor_case.check_extension_dates(ctx, new_due, customer_told, decided_on)?;
        let extension = Extension {
            authoriser,
            reason,
            previous_due: clock.due,
            new_due,
            customer_told,
            decided_on: Some(decided_on),
        };
        clock.extend(extension.clone());
        // R29 [U]: updates fall due every N working days from the original due date of this
        // opening (or from the extension decision); a reopened stage starts a fresh cycle.
        let anchor = match policy.progress_updates_from {
            ProgressFrom::OriginalDue => clock.base_due,
            ProgressFrom::Extension => decided_on,
        };
        if stage2.progress.as_ref().is_none_or(|progress| !progress.is_running()) {
            stage2.progress = Some(Clock::progress_after(anchor, policy.progress_update_working_days, calendar));
        }
        let progress_update_due = stage2.progress.as_ref().map_or(anchor, |progress| progress.due);
        Ok(vec![CaseEvent::Stage2Extended { extension, progress_update_due }])
    }

    fn give_progress_update(&mut self, ctx: &Ctx<'_>, given_on: NaiveDate, channel: Channel) -> Events {
        not_complainant(&ctx.actor)?;
        self.state_allows(Move::GiveProgressUpdate, ctx.rules.policy)?;
        let floor = self.latest_event_on();
        let Some(stage2) = self.stage2.as_mut() else {
            return Err(Rejected::NotAtStage { expected: Stage::Two });
        };
        let Some(progress) = stage2.progress.as_mut().filter(|progress| progress.is_running()) else {
            return Err(Rejected::NotExtended);
        };
        happened(given_on, floor, ctx.today)?;
        progress.stop(given_on, StopReason::Done);
        let update = ProgressUpdate { given_on, channel, due: progress.due };
        let following =
            Clock::progress_after(given_on, ctx.rules.policy.progress_update_working_days, ctx.rules.calendar);
        let next_due = following.due;
        stage2.progress = Some(following);
        stage2.progress_updates.push(update);
        Ok(vec![CaseEvent::ProgressUpdateGiven { update, next_due }])
    }

    fn close_stage2(
        &mut self,
        ctx: &Ctx<'_>,
        responded_on: NaiveDate,
        point_outcomes: Vec<Outcome>,
        outcome_override: Option<OutcomeOverride>,
        signposting: Option<SpsoSignposting>,
    ) -> Events {
        not_complainant(&ctx.actor)?;
        self.state_allows(Move::CloseStage2, ctx.rules.policy)?;
        let no_contact = self.no_contact_possible();
        if signposting.is_none() && !no_contact {
            return Err(Rejected::SignpostingRequired { stage: Stage::Two });
        }
        if let Some(given) = &signposting {
            not_blank(&given.template_version, "SPSO signposting template version")?;
        }
        let floor = self.latest_event_on();
        let calendar = ctx.rules.calendar;
        let Some(stage2) = self.stage2.as_mut() else {
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
        // R25, R30: the response answers the points agreed at acknowledgement, so it comes after
        // it, and after everything else that happened (the floor includes the acknowledgement).
        happened(responded_on, floor, ctx.today)?;
        if let Some(given) = &signposting {
            check_spso_signposting(given, responded_on, ctx.today)?;
        }
        for clock in [Some(&mut stage2.response), stage2.reopened_response.as_mut()].into_iter().flatten() {
            clock.stop(responded_on, StopReason::Done);
        }
        // The final response answers everything, so a pending acknowledgement or update lapses.
        for clock in [Some(&mut stage2.acknowledgement), stage2.progress.as_mut()].into_iter().flatten() {
            clock.stop(responded_on, StopReason::Superseded);
        }
        let current = stage2.current_response();
        let closure = Stage2Closure {
            responded_on,
            rolled_up,
            outcome: outcome_override.as_ref().map_or(rolled_up, |chosen| chosen.outcome),
            override_reason: outcome_override.map(|chosen| chosen.reason),
            point_outcomes,
            signposting,
            working_days_taken: current.working_days_taken(calendar, responded_on),
            within_base_timescale: responded_on <= current.base_due,
            opened_on: Some(current.start.effective),
            extended: Some(current.is_extended()),
        };
        stage2.closure = Some(closure.clone());
        Ok(vec![CaseEvent::Stage2Closed { closure }])
    }

    fn withdraw(&mut self, ctx: &Ctx<'_>, withdrawn_on: NaiveDate, reason: Option<String>) -> Events {
        // R56: a child with capacity who decided to go on controls the complaint.
        self.state_allows(Move::Withdraw, ctx.rules.policy)?;
        happened(withdrawn_on, self.latest_event_on(), ctx.today)?;
        let stage = self.stage();
        let stop = |clock: &mut Clock| clock.stop(withdrawn_on, StopReason::Superseded);
        if let Some(stage1) = self.stage1.as_mut() {
            stop(&mut stage1.response);
            stage1.reopened_response.as_mut().map(stop);
        }
        if let Some(stage2) = self.stage2.as_mut() {
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
        self.withdrawal = Some(withdrawal.clone());
        Ok(vec![CaseEvent::Withdrawn { withdrawal }])
    }

    fn reopen(&mut self, ctx: &Ctx<'_>, reopened_on: NaiveDate, reason: String, respond_by: NaiveDate) -> Events {
        not_complainant(&ctx.actor)?;
        not_blank(&reason, "reason")?;
        self.state_allows(Move::Reopen, ctx.rules.policy)?;
        // Which stage's response is set aside: the one `state_allows` found standing.
        let (stage, previous_responded_on, previous_outcome) = self.closed_stage().ok_or(Rejected::StillOpen)?;
        let calendar = ctx.rules.calendar;
        happened(reopened_on, self.latest_event_on(), ctx.today)?;
        if respond_by < reopened_on {
            return Err(Rejected::DateTooEarly { date: respond_by, earliest: reopened_on });
        }
        if !calendar.is_working_day(respond_by) {
            return Err(Rejected::NotAWorkingDay { date: respond_by });
        }
        let start = ClockStart::on_date(calendar, reopened_on);
        let clock =
            Clock::set_by_hand(ClockKind::ReopenedResponse, start, respond_by, calendar, ctx.rules.policy.day_one_rule);
        // R40: the closure is set aside, never erased: it stays in the record and in its period.
        match stage {
            Stage::One => {
                if let Some(stage1) = self.stage1.as_mut() {
                    stage1.earlier_closures.extend(stage1.closure.take());
                    stage1.reopened_response = Some(clock);
                }
            }
            Stage::Two => {
                if let Some(stage2) = self.stage2.as_mut() {
                    stage2.earlier_closures.extend(stage2.closure.take());
                    stage2.reopened_response = Some(clock);
                }
            }
        }
        let reopening = Reopening { stage, reopened_on, reason, previous_responded_on, previous_outcome, respond_by };
        self.reopenings.push(reopening.clone());
        Ok(vec![CaseEvent::Reopened { reopening }])
    }

    fn refer_to_spso(&mut self, ctx: &Ctx<'_>, referred_on: NaiveDate) -> Events {
        not_complainant(&ctx.actor)?;
        // The SPSO looks at complaints that completed the procedure (R18, S10): after the final response.
        self.state_allows(Move::ReferToSpso, ctx.rules.policy)?;
        let responded_on = self.final_response_on().ok_or(Rejected::NoFinalResponse)?;
        happened(referred_on, responded_on, ctx.today)?;
        self.spso = Some(SpsoReferral { referred_on, outcome: None, decided_on: None });
        Ok(vec![CaseEvent::ReferredToSpso { referred_on }])
    }

    fn record_spso_outcome(&mut self, ctx: &Ctx<'_>, decided_on: NaiveDate, outcome: SpsoOutcome) -> Events {
        not_complainant(&ctx.actor)?;
        self.state_allows(Move::RecordSpsoOutcome, ctx.rules.policy)?;
        let Some(referral) = self.spso.as_mut() else { return Err(Rejected::NotReferredToSpso) };
        happened(decided_on, referral.referred_on, ctx.today)?;
        referral.outcome = Some(outcome);
        referral.decided_on = Some(decided_on);
        Ok(vec![CaseEvent::SpsoOutcomeRecorded { outcome, decided_on }])
    }

    fn record_not_a_complaint(&mut self, ctx: &Ctx<'_>, record: NotAComplaint) -> Events {
        not_complainant(&ctx.actor)?;
        // R4: decided before any response: a complaint answered at a stage was a complaint.
        self.state_allows(Move::RecordNotAComplaint, ctx.rules.policy)?;
        not_blank(&record.directed_to, "directed to")?;
        if let Some(details) = &record.details {
            not_blank(details, "details")?;
        }
        happened(record.decided_on, self.latest_event_on(), ctx.today)?;
        let on = record.decided_on;
        if let Some(stage1) = self.stage1.as_mut() {
            stage1.response.stop(on, StopReason::Superseded);
        }
        if let Some(stage2) = self.stage2.as_mut() {
            for clock in [Some(&mut stage2.acknowledgement), Some(&mut stage2.response), stage2.progress.as_mut()]
                .into_iter()
                .flatten()
            {
                clock.stop(on, StopReason::Superseded);
            }
        }
        self.records.not_a_complaint = Some(record.clone());
        Ok(vec![CaseEvent::NotAComplaint { record }])
    }

    fn restrict_contact(&mut self, ctx: &Ctx<'_>, restriction: ContactRestriction) -> Events {
        not_complainant(&ctx.actor)?;
        not_blank(&restriction.approver.staff_id, "approver")?;
        // R54: restrictions need manager approval.
        if !restriction.approver.role.is_above_handler() {
            return Err(Rejected::NeedsManager { role: restriction.approver.role });
        }
        match &restriction.scope {
            RestrictionScope::Contact { allowed_channel: None, allowed_contact: None } => {
                return Err(Rejected::Blank { field: "allowed channel or contact" });
            }
            RestrictionScope::Contact { allowed_contact: Some(contact), .. } => {
                not_blank(contact, "allowed contact")?;
            }
            RestrictionScope::Subjects { subjects } => not_blank(subjects, "subjects")?,
            RestrictionScope::Contact { .. } | RestrictionScope::ProcedureAccess => {}
        }
        let received = self.received_on();
        happened(restriction.starts_on, received, ctx.today)?;
        if restriction.review_on <= restriction.starts_on {
            return Err(Rejected::DateTooEarly {
                date: restriction.review_on,
                earliest: restriction.starts_on.succ_opt().unwrap_or(restriction.starts_on),
            });
        }
        happened(restriction.appeal_information_sent.on, received, ctx.today)?;
        // R40, R54: restricting access to the procedure signposts the SPSO.
        match (&restriction.scope, &restriction.spso_signposting) {
            (RestrictionScope::ProcedureAccess, None) => return Err(Rejected::SpsoSignpostingRequired),
            (_, Some(given)) => check_spso_signposting(given, received, ctx.today)?,
            (_, None) => {}
        }
        self.records.restrictions.push(restriction.clone());
        Ok(vec![CaseEvent::ContactRestricted { restriction }])
    }

    fn review_restriction(&mut self, ctx: &Ctx<'_>, index: usize, review: RestrictionReview) -> Events {
        not_complainant(&ctx.actor)?;
        if !review.reviewer.role.is_above_handler() {
            return Err(Rejected::NeedsManager { role: review.reviewer.role });
        }
        self.state_allows(Move::ReviewContactRestriction, ctx.rules.policy)?;
        let Some(restriction) = self.records.restrictions.get_mut(index) else {
            return Err(Rejected::NoSuchRecord { index });
        };
        if restriction.lifted_on.is_some() {
            return Err(Rejected::RestrictionLifted);
        }
        let earliest = restriction.reviews.last().map_or(restriction.starts_on, |last| last.reviewed_on);
        happened(review.reviewed_on, earliest, ctx.today)?;
        match review.next_review_on {
            Some(next) if next <= review.reviewed_on => {
                return Err(Rejected::DateTooEarly {
                    date: next,
                    earliest: review.reviewed_on.succ_opt().unwrap_or(review.reviewed_on),
                });
            }
            Some(next) => restriction.review_on = next,
            None => restriction.lifted_on = Some(review.reviewed_on),
        }
        restriction.reviews.push(review.clone());
        Ok(vec![CaseEvent::ContactRestrictionReviewed { restriction: index, review }])
    }

    fn record_correspondence_after_final(
        &mut self,
        ctx: &Ctx<'_>,
        correspondence: CorrespondenceAfterFinalResponse,
    ) -> Events {
        not_complainant(&ctx.actor)?;
        self.state_allows(Move::RecordCorrespondenceAfterFinalResponse, ctx.rules.policy)?;
        let responded_on = self.final_response_on().ok_or(Rejected::NoFinalResponse)?;
        happened(correspondence.received_on, responded_on, ctx.today)?;
        // R40: the final response stands; signpost the SPSO (R51: unless nobody can be contacted).
        match &correspondence.spso_signposting {
            Some(given) => check_spso_signposting(given, correspondence.received_on, ctx.today)?,
            None if self.no_contact_possible() => {}
            None => return Err(Rejected::SpsoSignpostingRequired),
        }
        self.records.correspondence_after_final.push(correspondence.clone());
        Ok(vec![CaseEvent::CorrespondenceAfterFinalResponse { correspondence }])
    }

    fn classify(&mut self, ctx: &Ctx<'_>, classification: Classification) -> Events {
        not_complainant(&ctx.actor)?;
        not_blank(&classification.category, "category")?;
        if !ctx.rules.policy.knows_category(&classification.category) {
            return Err(Rejected::UnknownCategory { category: classification.category });
        }
        not_blank(&classification.lead_service, "lead service")?;
        for service in &classification.contributing_services {
            not_blank(service, "contributing service")?;
            if service.trim().eq_ignore_ascii_case(classification.lead_service.trim()) {
                return Err(Rejected::LeadAlsoContributing);
            }
        }
        for body in &classification.external_bodies {
            not_blank(body, "external body")?;
        }
        self.records.classification = Some(classification.clone());
        Ok(vec![CaseEvent::Classified { classification }])
    }

    fn record_consent(&mut self, ctx: &Ctx<'_>, consent: RepresentativeConsent) -> Events {
        not_complainant(&ctx.actor)?;
        self.state_allows(Move::RecordRepresentativeConsent, ctx.rules.policy)?;
        not_blank(&consent.given_by, "given by")?;
        // Consent may predate the complaint; it cannot be in the future.
        happened(consent.given_on, NaiveDate::MIN, ctx.today)?;
        self.records.consent = Some(consent.clone());
        Ok(vec![CaseEvent::RepresentativeConsentRecorded { consent }])
    }

    /// The latest closure whose outcome (or one of whose points) is "resolved".
    pub(crate) fn resolved_on(&self) -> Option<NaiveDate> {
        let stage1 = self.stage1.iter().flat_map(|stage| stage.closures()).filter(|c| c.outcome == Outcome::Resolved);
        let stage2 = self
            .stage2
            .iter()
            .flat_map(|stage| stage.closures())
            .filter(|c| c.outcome == Outcome::Resolved || c.point_outcomes.contains(&Outcome::Resolved));
        stage1.map(|c| c.responded_on).chain(stage2.map(|c| c.responded_on)).max()
    }

    fn agree_action(&mut self, ctx: &Ctx<'_>, action: AgreedAction) -> Events {
        not_complainant(&ctx.actor)?;
        not_blank(&action.description, "action")?;
        not_blank(&action.owner, "owner")?;
        self.state_allows(Move::AgreeAction, ctx.rules.policy)?;
        let Some(resolved_on) = self.resolved_on() else { return Err(Rejected::NotResolved) };
        // The action may have been agreed in the conversation that resolved it.
        happened(action.agreed_on, self.received_on().min(resolved_on), ctx.today)?;
        if action.due_on < action.agreed_on {
            return Err(Rejected::DateTooEarly { date: action.due_on, earliest: action.agreed_on });
        }
        self.records.agreed_actions.push(action.clone());
        Ok(vec![CaseEvent::ActionAgreed { action }])
    }

    fn complete_agreed_action(&mut self, ctx: &Ctx<'_>, index: usize, done_on: NaiveDate) -> Events {
        not_complainant(&ctx.actor)?;
        self.state_allows(Move::CompleteAgreedAction, ctx.rules.policy)?;
        let Some(action) = self.records.agreed_actions.get_mut(index) else {
            return Err(Rejected::NoSuchRecord { index });
        };
        if action.done_on.is_some() {
            return Err(Rejected::AlreadyRecorded { what: "completion of the action" });
        }
        happened(done_on, action.agreed_on, ctx.today)?;
        action.done_on = Some(done_on);
        Ok(vec![CaseEvent::AgreedActionDone { action: index, done_on }])
    }

    fn add_staff_involved(
        &mut self,
        ctx: &Ctx<'_>,
        staff_ref: String,
        added_on: NaiveDate,
        email: Option<String>,
    ) -> Events {
        not_complainant(&ctx.actor)?;
        not_blank(&staff_ref, "staff reference")?;
        if self.records.staff_involved.iter().any(|staff| staff.staff_ref == staff_ref) {
            return Err(Rejected::AlreadyRecorded { what: "this member of staff" });
        }
        happened(added_on, self.received_on(), ctx.today)?;
        self.records.staff_involved.push(StaffInvolved {
            staff_ref: staff_ref.clone(),
            added_on,
            contacts: Vec::new(),
            email,
        });
        Ok(vec![CaseEvent::StaffInvolvedAdded { staff_ref }])
    }

    fn record_staff_contact(&mut self, ctx: &Ctx<'_>, staff_ref: String, contact: StaffContact) -> Events {
        not_complainant(&ctx.actor)?;
        match &contact {
            // R59: support and information are signposted at stage 2.
            StaffContact::SupportOffered { .. } if self.stage2.is_none() => {
                return Err(Rejected::NotAtStage { expected: Stage::Two });
            }
            StaffContact::ResponseShared { part, .. } => {
                not_blank(part, "part of the response")?;
                // The response of the stage the case is at.
                let answered = match self.stage() {
                    Stage::One => self.stage1.as_ref().is_some_and(|stage| stage.closures().next().is_some()),
                    Stage::Two => self.stage2.as_ref().is_some_and(|stage| stage.closures().next().is_some()),
                };
                if !answered {
                    return Err(Rejected::StillOpen);
                }
            }
            _ => {}
        }
        let index = self.records.staff_involved.iter().position(|staff| staff.staff_ref == staff_ref);
        let Some(staff) = index.and_then(|i| self.records.staff_involved.get_mut(i)) else {
            return Err(Rejected::NoSuchRecord { index: self.records.staff_involved.len() });
        };
        happened(contact.on(), staff.added_on, ctx.today)?;
        staff.contacts.push(contact.clone());
        Ok(vec![CaseEvent::StaffContacted { staff_ref, contact }])
    }

    fn link_learning(&mut self, ctx: &Ctx<'_>, action_id: String, linked_on: NaiveDate) -> Events {
        not_complainant(&ctx.actor)?;
        not_blank(&action_id, "learning action")?;
        if self.records.learning.iter().any(|link| link.action_id == action_id) {
            return Err(Rejected::AlreadyRecorded { what: "this learning action" });
        }
        happened(linked_on, self.received_on(), ctx.today)?;
        self.records.learning.push(LearningLink { action_id: action_id.clone(), linked_on });
        Ok(vec![CaseEvent::LearningLinked { action_id }])
    }

    fn record_child(&mut self, ctx: &Ctx<'_>, record: ChildRecord) -> Events {
        not_complainant(&ctx.actor)?;
        let received = self.received_on();
        if let Some(capacity) = &record.capacity {
            not_blank(&capacity.decided_by, "capacity decided by")?;
            happened(capacity.decided_on, received, ctx.today)?;
        }
        if let Some(parents) = &record.parents {
            not_blank(&parents.reason, "parent involvement reason")?;
            // S3 §2.4: not telling the child at a parent's request needs a best-interests decision.
            if parents.parent_asked_child_not_told
                && parents.best_interests_decision.as_deref().is_none_or(|decision| decision.trim().is_empty())
            {
                return Err(Rejected::BestInterestsDecisionRequired);
            }
        }
        if let Some(decision) = &record.child_decision {
            happened(decision.on, received, ctx.today)?;
        }
        if let Some(referred) = record.protection_referral_on {
            happened(referred, received, ctx.today)?;
        }
        self.records.child = Some(record.clone());
        Ok(vec![CaseEvent::ChildRecorded { record }])
    }

    fn assign(&mut self, ctx: &Ctx<'_>, assignment: Assignment) -> Events {
        not_complainant(&ctx.actor)?;
        not_blank(&assignment.handler, "handler")?;
        if let Some(team) = &assignment.team {
            not_blank(team, "team")?;
        }
        if let Some(area) = &assignment.service_area {
            not_blank(area, "service area")?;
        }
        // Reassigning a finished case changes nothing anyone is waiting for.
        self.state_allows(Move::Assign, ctx.rules.policy)?;
        happened(assignment.assigned_on, self.received_on(), ctx.today)?;
        self.handler = assignment.handler.trim().to_owned();
        self.records.assignment = Some(assignment.clone());
        Ok(vec![CaseEvent::Assigned { assignment }])
    }

    fn note_intake(&mut self, ctx: &Ctx<'_>, note: String, postal_address: Option<String>) -> Events {
        let staff = staff_id(&ctx.actor)?.to_owned();
        not_blank(&note, "note of the conversation")?;
        if let Some(address) = &postal_address {
            not_blank(address, "postal address")?;
        }
        // Only complaints staff took in themselves have a conversation to note.
        self.state_allows(Move::NoteIntake, ctx.rules.policy)?;
        let record = IntakeNote { note, postal_address, noted_by: staff };
        self.records.intake_note = Some(record.clone());
        Ok(vec![CaseEvent::IntakeNoted { note: record }])
    }
}
