//! What the MCHP asks a case to record beside its two stages: the "not a complaint" disposition
//! (R4), contact restrictions (R54), correspondence after the final response (R40), amended points
//! of complaint (R25), category and services (R44, R53), representative consent (R52), agreed
//! actions (R36), staff involved (R59) and children and young people (R56). Each is changed only
//! through a [`crate::command::Command`] and lands on the timeline.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::actor::Authoriser;
use crate::complaint::{Channel, ChildInvolvement};
use crate::signposting::{CustomerTold, SpsoSignposting};

/// R25: one point (head) of complaint and the outcome the customer seeks on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointOfComplaint {
    pub summary: String,
    pub outcome_sought: String,
}

/// R4: why a contact is not a complaint (the model's "what can't I complain about" list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NotAComplaintReason {
    /// A routine first-time request for a service.
    RoutineServiceRequest,
    /// A request for compensation only.
    CompensationOnly,
    /// A matter that is, or has been, in court.
    CourtProceedings,
    /// A decision with its own statutory appeal route.
    StatutoryAppeal,
    /// A freedom of information or data protection request.
    InformationRequest,
    /// An attempt to reopen a complaint already concluded.
    ConcludedComplaint,
    /// Another procedure applies; `details` says which.
    OtherProcedure,
}

/// R4: the contact was not a complaint. The case ends; it is never counted as a complaint received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotAComplaint {
    pub decided_on: NaiveDate,
    pub reason: NotAComplaintReason,
    pub details: Option<String>,
    /// Where the person was directed (the other procedure, service or body).
    pub directed_to: String,
}

/// R54: what a contact restriction limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "scope")]
pub enum RestrictionScope {
    /// Contact only by one channel and/or through one named member of staff; the complaint goes on.
    Contact { allowed_channel: Option<Channel>, allowed_contact: Option<String> },
    /// No further contact about a limited set of subjects.
    Subjects { subjects: String },
    /// Access to the complaints procedure itself: a last resort, manager-approved, time-limited,
    /// and the customer must be signposted to the SPSO (R54, R40).
    ProcedureAccess,
}

/// R54: a restriction on contact under the organisation's Unacceptable Actions Policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRestriction {
    pub scope: RestrictionScope,
    /// A manager or above approved it.
    pub approver: Authoriser,
    pub starts_on: NaiveDate,
    /// When the decision is next reviewed.
    pub review_on: NaiveDate,
    /// When the customer was told of the decision and of their right of appeal.
    pub appeal_information_sent: CustomerTold,
    /// R40, R54: required when access to the procedure is restricted.
    pub spso_signposting: Option<SpsoSignposting>,
    /// Reviews held, in order.
    #[serde(default)]
    pub reviews: Vec<RestrictionReview>,
    /// The date the restriction ended, if it has.
    pub lifted_on: Option<NaiveDate>,
}

/// R54: a review of a contact restriction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestrictionReview {
    pub reviewed_on: NaiveDate,
    pub reviewer: Authoriser,
    /// The next review date, or `None` when the review lifted the restriction.
    pub next_review_on: Option<NaiveDate>,
}

impl ContactRestriction {
    /// True while the restriction applies on `date`.
    #[must_use]
    pub fn applies_on(&self, date: NaiveDate) -> bool {
        self.starts_on <= date && self.lifted_on.is_none_or(|lifted| date < lifted)
    }
}

/// R40: the customer wrote again after the final response; they were told the final response
/// stands and signposted to the SPSO.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrespondenceAfterFinalResponse {
    pub received_on: NaiveDate,
    pub channel: Channel,
    /// `None` only when nobody can be contacted (an anonymous complaint).
    pub spso_signposting: Option<SpsoSignposting>,
}

/// R25: the points of complaint changed after the stage 2 acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointsAmendment {
    pub amended_on: NaiveDate,
    pub reason: String,
    /// The points before the change.
    pub previous: Vec<PointOfComplaint>,
    /// `None` only when nobody can be contacted.
    pub customer_told: Option<CustomerTold>,
}

/// R44, R53: the category (theme) and the services involved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classification {
    /// One of the organisation's configured categories.
    pub category: String,
    /// R53: the service that leads and gives the one response.
    pub lead_service: String,
    /// R53: other services of the organisation that contribute.
    #[serde(default)]
    pub contributing_services: Vec<String>,
    /// R53: other organisations involved.
    #[serde(default)]
    pub external_bodies: Vec<String>,
}

/// R52: how the person affected consented to a representative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConsentType {
    Written,
    Verbal,
    /// Power of attorney, guardianship or another legal authority.
    LegalAuthority,
}

/// R52: consent for a representative to complain for the person affected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepresentativeConsent {
    pub consent_type: ConsentType,
    pub given_on: NaiveDate,
    /// Who gave it (the person affected, or who holds the legal authority).
    pub given_by: String,
}

/// R32, R36: an action agreed with the customer, tracked until done (the closure date does not wait for it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreedAction {
    pub description: String,
    pub owner: String,
    pub agreed_on: NaiveDate,
    pub due_on: NaiveDate,
    pub done_on: Option<NaiveDate>,
}

/// R59: something done for a member of staff the complaint is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "contact")]
pub enum StaffContact {
    /// The complaint was shared with them.
    Told { on: NaiveDate },
    /// Signposted to support and information (at stage 2).
    SupportOffered { on: NaiveDate },
    /// Kept updated.
    Updated { on: NaiveDate },
    /// The relevant part of the response was shared with them.
    ResponseShared { on: NaiveDate, part: String },
}

impl StaffContact {
    #[must_use]
    pub fn on(&self) -> NaiveDate {
        match self {
            Self::Told { on }
            | Self::SupportOffered { on }
            | Self::Updated { on }
            | Self::ResponseShared { on, .. } => *on,
        }
    }
}

/// R59: a member of staff the complaint is about. Internal: never shown to the complainant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffInvolved {
    /// A staff id or role reference, never a name in logs.
    pub staff_ref: String,
    pub added_on: NaiveDate,
    #[serde(default)]
    pub contacts: Vec<StaffContact>,
    /// Where their notice and closure updates go, when known (internal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl StaffInvolved {
    /// The date they were first told of the complaint, if they were.
    #[must_use]
    pub fn told_on(&self) -> Option<NaiveDate> {
        self.contacts.iter().find_map(|contact| match contact {
            StaffContact::Told { on } => Some(*on),
            _ => None,
        })
    }
}

/// R35, K1: a case linked to a learning action ([`crate::learning::LearningAction`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LearningLink {
    pub action_id: String,
    pub linked_on: NaiveDate,
}

/// R56: the age band of a child or young person (under 18).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AgeBand {
    Under8,
    From8To11,
    From12To15,
    From16To17,
}

/// R56: the organisation's decision on whether the child can own the complaint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapacityDecision {
    pub has_capacity: bool,
    pub decided_by: String,
    pub decided_on: NaiveDate,
}

/// R56: whether parents or carers are involved, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParentInvolvement {
    pub involved: bool,
    pub reason: String,
    /// A parent's view that the child should not be told of the complaint.
    pub parent_asked_child_not_told: bool,
    /// The best-interests decision on that view (required with it; exceptional: S3 §2.4).
    pub best_interests_decision: Option<String>,
}

/// R56: what the child wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChildWish {
    GoOn,
    Withdraw,
}

/// R56: the child's own decision, which a child with capacity controls (S3 §2.11, §2.17).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildDecision {
    pub wish: ChildWish,
    pub on: NaiveDate,
}

/// R56: the response format chosen for the child.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChildResponseFormat {
    InPerson,
    Phone,
    VideoCall,
    ChildFriendlyLetter,
    ChildFriendlyEmail,
}

/// R56 (UNCRC): the record of a child or young person's involvement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildRecord {
    pub involvement: ChildInvolvement,
    pub age_band: AgeBand,
    pub capacity: Option<CapacityDecision>,
    pub parents: Option<ParentInvolvement>,
    pub child_decision: Option<ChildDecision>,
    /// Child protection concerns go to child protection procedures without delay (S3 §2.15).
    pub protection_referral_on: Option<NaiveDate>,
    pub response_format: Option<ChildResponseFormat>,
}

impl ChildRecord {
    /// True when a child with capacity has decided to go on: nobody else withdraws it (S3 §2.17).
    #[must_use]
    pub fn child_controls_going_on(&self) -> bool {
        self.capacity.as_ref().is_some_and(|c| c.has_capacity)
            && self.child_decision.is_some_and(|decision| decision.wish == ChildWish::GoOn)
    }
}

/// The records of a case beyond its stages. Every field defaults, so cases stored before these
/// records existed still read.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CaseRecords {
    pub not_a_complaint: Option<NotAComplaint>,
    pub restrictions: Vec<ContactRestriction>,
    pub correspondence_after_final: Vec<CorrespondenceAfterFinalResponse>,
    pub classification: Option<Classification>,
    pub consent: Option<RepresentativeConsent>,
    pub agreed_actions: Vec<AgreedAction>,
    pub staff_involved: Vec<StaffInvolved>,
    pub learning: Vec<LearningLink>,
    pub child: Option<ChildRecord>,
    /// R42: the latest assignment (the handler itself is on the case).
    pub assignment: Option<Assignment>,
    /// R3, R44: the note of the conversation for a complaint staff logged.
    pub intake_note: Option<IntakeNote>,
}

/// R42: who deals with the complaint, in which team and service area.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    /// A person or team, named in every letter (R42).
    pub handler: String,
    pub team: Option<String>,
    /// The service area the complaint now sits with (the complaint keeps the one it came with).
    pub service_area: Option<String>,
    pub assigned_on: NaiveDate,
}

/// R3, R44: what staff noted when they took a complaint by phone, in person or by letter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntakeNote {
    /// The note of the conversation (or a summary of the letter).
    pub note: String,
    /// Where to post letters, when the person gave an address (one line).
    pub postal_address: Option<String>,
    /// The staff id of who logged it.
    pub noted_by: String,
}
