//! What staff ask to do to a case: the JSON body of the HTTP API (`{"action": "respond", …}`) and
//! what each CLI subcommand builds. Each action becomes one or more core commands
//! ([`complaints_core::command::Command`]) and, for most, a letter.
//!
//! Dates the action happened on are the local (Europe/London) date of the action's moment (the
//! `at` given to [`super::StaffActions::perform`], else now), unless a field below says otherwise.

use chrono::{DateTime, NaiveDate, Utc};
use complaints_core::case::{PointOfComplaint, Stage};
use complaints_core::complaint::{Channel, ChildInvolvement, ContactMethod, Representation};
use complaints_core::outcome::{Outcome, OutcomeOverride, SpsoOutcome};
use complaints_core::records::{ChildRecord, ConsentType, NotAComplaintReason, RestrictionScope};
use complaints_core::roles::Permission;
use serde::{Deserialize, Serialize};

/// One staff action on an existing case. Field names are snake_case; the `action` tag is kebab-case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case", deny_unknown_fields)]
pub enum StaffAction {
    /// R42: assign or reassign the handler (a person or team), team and service area. No letter.
    Assign {
        handler: String,
        #[serde(default)]
        team: Option<String>,
        #[serde(default)]
        service_area: Option<String>,
    },
    /// R44, R53: category, lead and contributing services, other bodies involved. No letter.
    Classify {
        category: String,
        lead_service: String,
        #[serde(default)]
        contributing_services: Vec<String>,
        #[serde(default)]
        external_bodies: Vec<String>,
    },
    /// R19, R23: the stage 1 response → the stage 1 response letter, with how to escalate and
    /// the escalation deadline. `note` is the response itself (what we found and will do), put in
    /// the letter. `route_given_by` is how the stage 2 route was given: defaults to the letter's
    /// own channel (email or letter); give it when it was said another way (e.g. `phone`).
    /// `staff_parts`: the part of the response that concerns each member of staff involved (R59).
    Respond {
        outcome: Outcome,
        note: String,
        #[serde(default)]
        route_given_by: Option<Channel>,
        #[serde(default)]
        staff_parts: Vec<StaffPart>,
    },
    /// R21, R28 (manager): extend the open stage's response date → the extension letter.
    Extend {
        reason: String,
        new_due: NaiveDate,
        /// Which stage; defaults to the stage the case is at.
        #[serde(default)]
        stage: Option<Stage>,
    },
    /// R16, R22: the customer asked for stage 2 after the stage 1 response. With `points`, stage 2
    /// is acknowledged at once and the stage 2 acknowledgement letter goes; without, it follows
    /// with [`StaffAction::Acknowledge`].
    Escalate {
        /// How the customer asked.
        channel: Channel,
        /// The day they asked, when earlier than the action's date.
        #[serde(default)]
        requested_on: Option<NaiveDate>,
        #[serde(default)]
        points: Option<Vec<PointOfComplaint>>,
    },
    /// R22, R27: take an open stage 1 complaint to stage 2: `move` (the organisation's decision)
    /// or `direct` (the customer asked for stage 2 straight away). `points` as for escalate.
    Stage2 {
        how: Stage2How,
        reason: String,
        #[serde(default)]
        points: Option<Vec<PointOfComplaint>>,
    },
    /// R24, R25: acknowledge stage 2 with the points of complaint and outcomes sought → the stage 2
    /// acknowledgement letter (handler, points, the 20-working-day date).
    Acknowledge {
        points: Vec<PointOfComplaint>,
        /// When the points were agreed with the customer, when earlier than the action's date.
        #[serde(default)]
        agreed_on: Option<NaiveDate>,
    },
    /// R25: change the points after the acknowledgement → a letter with the new points.
    AmendPoints { points: Vec<PointOfComplaint>, reason: String },
    /// R29: a progress update on an extended stage 2 complaint → the update letter. `note` is the
    /// news, put in the letter.
    Update {
        note: String,
        /// How the update was given, when not by this letter (e.g. `phone`).
        #[serde(default)]
        given_by: Option<Channel>,
    },
    /// R30, R34, R37: the final response: one outcome per point, an optional override with its
    /// reason → the final response letter with the SPSO signposting block.
    Close {
        point_outcomes: Vec<Outcome>,
        #[serde(default)]
        outcome_override: Option<OutcomeOverride>,
        note: String,
        #[serde(default)]
        staff_parts: Vec<StaffPart>,
    },
    /// R33: the complainant withdrew the complaint → a confirmation letter.
    Withdraw {
        #[serde(default)]
        reason: Option<String>,
    },
    /// R4: not a complaint; where the person was directed → a letter saying so.
    NotAComplaint {
        reason: NotAComplaintReason,
        #[serde(default)]
        details: Option<String>,
        directed_to: String,
    },
    /// R40: reopen the last closed stage with the date a new response is due → a letter.
    Reopen { reason: String, respond_by: NaiveDate },
    /// The complainant took the complaint to the SPSO. No letter.
    ReferSpso {
        #[serde(default)]
        referred_on: Option<NaiveDate>,
    },
    /// The SPSO's decision. No letter.
    SpsoOutcome {
        outcome: SpsoOutcome,
        #[serde(default)]
        decided_on: Option<NaiveDate>,
    },
    /// R54 (manager): restrict contact → the restriction letter with the appeal information and
    /// the SPSO signposting.
    Restrict {
        scope: RestrictionScope,
        review_on: NaiveDate,
        /// What the person did and why contact is restricted, put in the letter.
        reason: String,
    },
    /// R54 (manager): review restriction number `restriction` (0-based); no `next_review_on` lifts it.
    ReviewRestriction {
        restriction: usize,
        #[serde(default)]
        next_review_on: Option<NaiveDate>,
    },
    /// R15 (manager): accept a complaint made after the time limit. No letter.
    AcceptLate { reason: String },
    /// R59: record a member of staff the complaint is about → an internal notice to them (where
    /// to find support at stage 2). `email` defaults to none (no notice; record it by hand).
    StaffInvolved {
        staff_ref: String,
        #[serde(default)]
        email: Option<String>,
    },
    /// R35: link the case to a learning action (the register is kept beside the cases). No letter.
    LinkLearning { action_id: String },
    /// R40: the customer wrote again after the final response; they are told it stands and
    /// signposted to the SPSO → the final response's SPSO block again, in a letter.
    CorrespondenceAfterFinal { channel: Channel },
    /// R52: consent for the representative. No letter.
    RecordConsent { consent_type: ConsentType, given_on: NaiveDate, given_by: String },
    /// R32, R36: an action agreed on a resolved complaint. No letter.
    AgreeAction { description: String, owner: String, due_on: NaiveDate },
    /// R36: agreed action number `index` (0-based) was done. No letter.
    CompleteAction { index: usize },
    /// R56: the child or young person's record. No letter.
    RecordChild { record: ChildRecord },
}

/// R22, R27: how a stage 1 complaint reaches stage 2 on the organisation's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage2How {
    /// The organisation moves it (e.g. it cannot be finished at stage 1): counted from today.
    Move,
    /// The customer asked for stage 2 straight away, before any response: counted from receipt.
    Direct,
}

/// R59: the part of a response that concerns one member of staff involved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffPart {
    pub staff_ref: String,
    pub part: String,
}

impl StaffAction {
    /// What the role matrix must allow ([`complaints_core::roles::Role::may`]).
    #[must_use]
    pub fn permission(&self) -> Permission {
        match self {
            Self::Assign { .. } | Self::Classify { .. } => Permission::Assign,
            Self::Respond { .. } => Permission::Respond,
            Self::Extend { .. } => Permission::Extend,
            Self::Escalate { .. } | Self::Stage2 { .. } => Permission::Escalate,
            Self::Acknowledge { .. } | Self::AmendPoints { .. } => Permission::RecordPoints,
            Self::Update { .. } => Permission::ProgressUpdate,
            Self::Close { .. } => Permission::CloseStage2,
            Self::Withdraw { .. } => Permission::Withdraw,
            Self::NotAComplaint { .. } => Permission::NotAComplaint,
            Self::Reopen { .. } => Permission::Reopen,
            Self::ReferSpso { .. } | Self::SpsoOutcome { .. } => Permission::Spso,
            Self::Restrict { .. } | Self::ReviewRestriction { .. } => Permission::RestrictContact,
            Self::AcceptLate { .. } => Permission::AcceptLate,
            Self::StaffInvolved { .. } => Permission::StaffInvolved,
            Self::LinkLearning { .. } => Permission::Learning,
            Self::CorrespondenceAfterFinal { .. }
            | Self::RecordConsent { .. }
            | Self::AgreeAction { .. }
            | Self::CompleteAction { .. }
            | Self::RecordChild { .. } => Permission::RecordOther,
        }
    }

    /// The action's name, as its `action` tag.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Self::Assign { .. } => "assign",
            Self::Classify { .. } => "classify",
            Self::Respond { .. } => "respond",
            Self::Extend { .. } => "extend",
            Self::Escalate { .. } => "escalate",
            Self::Stage2 { .. } => "stage2",
            Self::Acknowledge { .. } => "acknowledge",
            Self::AmendPoints { .. } => "amend-points",
            Self::Update { .. } => "update",
            Self::Close { .. } => "close",
            Self::Withdraw { .. } => "withdraw",
            Self::NotAComplaint { .. } => "not-a-complaint",
            Self::Reopen { .. } => "reopen",
            Self::ReferSpso { .. } => "refer-spso",
            Self::SpsoOutcome { .. } => "spso-outcome",
            Self::Restrict { .. } => "restrict",
            Self::ReviewRestriction { .. } => "review-restriction",
            Self::AcceptLate { .. } => "accept-late",
            Self::StaffInvolved { .. } => "staff-involved",
            Self::LinkLearning { .. } => "link-learning",
            Self::CorrespondenceAfterFinal { .. } => "correspondence-after-final",
            Self::RecordConsent { .. } => "record-consent",
            Self::AgreeAction { .. } => "agree-action",
            Self::CompleteAction { .. } => "complete-action",
            Self::RecordChild { .. } => "record-child",
        }
    }
}

/// A complaint staff took by phone, in person or by letter (R3, R44), with the note of the
/// conversation. Validated by [`complaints_core::complaint::ComplaintDraft::validate`] like every
/// channel. The JSON body of `POST /api/cases`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogComplaint {
    /// `phone`, `in-person` or `letter`.
    pub channel: Channel,
    /// `None` for an anonymous complaint (R51).
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    /// Where to post letters (one line), when the person gave an address.
    #[serde(default)]
    pub postal_address: Option<String>,
    pub service_area: String,
    /// What happened, in the complainant's words as noted.
    pub description: String,
    #[serde(default)]
    pub event_date: Option<NaiveDate>,
    #[serde(default)]
    pub awareness_date: Option<NaiveDate>,
    #[serde(default)]
    pub outcome_sought: Option<String>,
    #[serde(default)]
    pub preferred_contact: Option<ContactMethod>,
    #[serde(default)]
    pub adjustments: Option<String>,
    #[serde(default)]
    pub representation: Option<Representation>,
    #[serde(default)]
    pub child: Option<ChildInvolvement>,
    /// R22: take it straight to stage 2, with the reason.
    #[serde(default)]
    pub direct_stage2_reason: Option<String>,
    /// The note of the conversation (or a summary of the letter).
    pub note: String,
    /// The moment the complaint was received, when earlier than the action (a letter opened
    /// today that arrived yesterday); defaults to the action's moment.
    #[serde(default)]
    pub received_at: Option<DateTime<Utc>>,
}
