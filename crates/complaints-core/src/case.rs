//! The case aggregate: what is recorded about a complaint as it moves through the two stages, and
//! what it derives from that (status, clocks, index, reporting buckets) (mchp-rules §1, §3–§6).
//!
//! Changes go through [`Case::apply`] (in [`crate::command`]), a pure state machine over typed
//! commands that returns the next case and its timeline events, or a typed [`crate::command::Rejected`].
//! The records kept beside the stages are in [`crate::records`]; the stored form and its schema
//! version in [`crate::stored`].

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::calendar::CalendarVersion;
use crate::complaint::{Channel, IntakeRoute, NewComplaint};
use crate::deadlines::{ClockKind, DueDateChange, Extension};
use crate::limits;
use crate::outcome::{Outcome, SpsoOutcome};
use crate::policy::{ProgressFrom, STAGE1_WORKING_DAYS, STAGE2_ACK_WORKING_DAYS, STAGE2_WORKING_DAYS};
use crate::records::{
    AgreedAction, Assignment, CaseRecords, ChildRecord, Classification, ContactRestriction,
    CorrespondenceAfterFinalResponse, IntakeNote, NotAComplaint, PointsAmendment, RepresentativeConsent,
    RestrictionReview, StaffContact,
};
use crate::reference::CaseRef;
use crate::signposting::{SpsoSignposting, Stage2Signposting};
use crate::workdays::{ClockStart, local_date_time};

/// The clock type lives in [`crate::deadlines`]; re-exported here where it was first declared.
pub use crate::deadlines::Clock;
/// The rules type lives beside the policy; re-exported here where it was first declared. STABLE.
pub use crate::policy::Rules;
/// Points of complaint live with the other records; re-exported here where they were first declared.
pub use crate::records::PointOfComplaint;

pub mod stored;

/// The schema version of the stored case this release writes ([`crate::stored`]).
pub const CASE_SCHEMA_VERSION: u32 = 1;

/// A keyed hash of the complainant's normalised contact address, for finding cases by contact
/// without the address in a key (architecture §4). Computed outside the core. STABLE.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ContactKey(pub String);

/// What the stores index a case by. STABLE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseIndex {
    /// Not closed, withdrawn or otherwise finished.
    pub open: bool,
    /// The earliest due date among the case's running clocks (None when nothing is running).
    pub next_due: Option<NaiveDate>,
    /// The local (Europe/London) date the complaint was received: what "received in a period"
    /// counts by (K2). The clocks count from the effective receipt date instead (R8).
    pub received_on: NaiveDate,
    /// Dates on which a stage of this case ended (one per closure, including closures later set
    /// aside by a reopening), for period exports. A withdrawal or a move to stage 2 ends its stage
    /// and is listed too (R33: withdrawn is reported separately).
    pub closed_on: Vec<NaiveDate>,
    pub contact_key: Option<ContactKey>,
}

/// The two stages of the procedure (R1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// Frontline response.
    One,
    /// Investigation.
    Two,
}

/// Where a case stands, derived from what has been recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Stage1Open,
    Stage1Extended,
    /// Responded to at stage 1; the customer may still escalate (R16).
    Stage1Closed,
    Stage2AwaitingAcknowledgement,
    Stage2Acknowledged,
    Stage2Extended,
    /// The final response was given; next stop the SPSO.
    Stage2Closed,
    Withdrawn {
        stage: Stage,
    },
    /// R4: the contact was not a complaint; never counted as one.
    NotAComplaint,
}

/// R47: the three reporting buckets, kept apart in every KPI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReportingBucket {
    Stage1,
    /// Went straight to stage 2 (R22).
    Stage2Direct,
    /// Reached stage 2 after starting at stage 1: escalated by the customer, or moved there by the
    /// organisation (it started as a stage 1 complaint either way).
    Escalated,
}

/// R22, R27: how a complaint reached stage 2, with its basis and the date its clocks count from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "route")]
pub enum Stage2Route {
    /// Complex, serious or high-risk, or the customer asked: starts at the effective receipt.
    /// `routed_on` is the date it was sent there from an open stage 1 (None when received there).
    Direct {
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        routed_on: Option<NaiveDate>,
    },
    /// The customer asked after a stage 1 response: starts at the effective date of the request.
    EscalatedByCustomer {
        requested_on: NaiveDate,
        channel: Channel,
        /// R16: the escalation time limit that applied.
        escalation_deadline: NaiveDate,
        /// True when asked after `escalation_deadline`: accepted with a warning, never refused (R16).
        late: bool,
    },
    /// The organisation moved it (e.g. stage 1 cannot be finished in time): starts on the decision date.
    MovedByOrganisation { decided_on: NaiveDate, reason: String },
}

/// R24, R25: the stage 2 acknowledgement and the points agreed with the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledgement {
    pub acknowledged_on: NaiveDate,
    pub points: Vec<PointOfComplaint>,
    /// The date the points and outcomes sought were agreed or confirmed with the customer.
    pub agreed_on: NaiveDate,
    /// R51: nobody could be contacted (anonymous): the points were recorded, not acknowledged.
    #[serde(default)]
    pub no_contact_possible: bool,
}

/// R29: a progress update given on an extended stage 2 complaint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressUpdate {
    pub given_on: NaiveDate,
    pub channel: Channel,
    /// The date this update was due.
    pub due: NaiveDate,
}

/// A stage 1 response (R19, R23, R36: the closure date is the date the response is given).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage1Closure {
    pub responded_on: NaiveDate,
    pub outcome: Outcome,
    /// `None` only when nobody can be contacted (R51: an anonymous complaint).
    pub signposting: Option<Stage2Signposting>,
    /// Working days from the start of this opening of the stage to the response, counted like
    /// the deadline (K4).
    pub working_days_taken: u32,
    /// Responded by the base due date of this opening; an extension does not count (K3).
    pub within_base_timescale: bool,
    /// R16: the date by which the customer may normally still escalate.
    pub escalation_deadline: NaiveDate,
    /// The clock start of the opening this closure ended (the reopening for a reopened stage);
    /// `None` in cases stored before it was recorded: the stage start.
    #[serde(default)]
    pub opened_on: Option<NaiveDate>,
    /// K6: this opening's response timescale was extended; `None` in older cases.
    #[serde(default)]
    pub extended: Option<bool>,
}

/// A stage 2 (final) response (R30, R34, R37).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage2Closure {
    pub responded_on: NaiveDate,
    /// One outcome per point of complaint, in the order the points were agreed.
    pub point_outcomes: Vec<Outcome>,
    /// The default roll-up of `point_outcomes` ([`crate::outcome::roll_up`]).
    pub rolled_up: Outcome,
    /// The overall outcome: the roll-up, or the handler's override.
    pub outcome: Outcome,
    /// Why the handler overrode the roll-up, when they did.
    pub override_reason: Option<String>,
    /// `None` only when nobody can be contacted (R51: an anonymous complaint).
    pub signposting: Option<SpsoSignposting>,
    pub working_days_taken: u32,
    pub within_base_timescale: bool,
    /// As [`Stage1Closure::opened_on`].
    #[serde(default)]
    pub opened_on: Option<NaiveDate>,
    /// As [`Stage1Closure::extended`].
    #[serde(default)]
    pub extended: Option<bool>,
}

/// Stage 1 of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage1 {
    pub start: ClockStart,
    pub response: Clock,
    /// The response date set when a closed stage 1 was reopened (the latest reopening).
    pub reopened_response: Option<Clock>,
    pub closure: Option<Stage1Closure>,
    /// Closures set aside by a reopening, oldest first: every closure given stays in the record.
    #[serde(default)]
    pub earlier_closures: Vec<Stage1Closure>,
}

/// Stage 2 of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage2 {
    pub route: Stage2Route,
    pub start: ClockStart,
    pub acknowledgement: Clock,
    pub acknowledged: Option<Acknowledgement>,
    pub response: Clock,
    /// The running progress-update cycle once the response clock is extended (R29).
    pub progress: Option<Clock>,
    #[serde(default)]
    pub progress_updates: Vec<ProgressUpdate>,
    pub reopened_response: Option<Clock>,
    pub closure: Option<Stage2Closure>,
    /// As [`Stage1::earlier_closures`].
    #[serde(default)]
    pub earlier_closures: Vec<Stage2Closure>,
    /// R25: changes to the points of complaint after the acknowledgement.
    #[serde(default)]
    pub amendments: Vec<PointsAmendment>,
}

/// R33: the complaint was withdrawn. Counted as received, left out of outcome percentages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withdrawal {
    pub stage: Stage,
    pub withdrawn_on: NaiveDate,
    pub reason: Option<String>,
}

/// R15: a decision to accept a complaint made after the normal time limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LateAcceptance {
    pub staff_id: String,
    pub reason: String,
    pub at: DateTime<Utc>,
}

/// A closed stage opened again after post-closure contact (R40: new evidence or a clear error).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reopening {
    pub stage: Stage,
    pub reopened_on: NaiveDate,
    pub reason: String,
    /// The closure this reopening set aside.
    pub previous_responded_on: NaiveDate,
    pub previous_outcome: Outcome,
    pub respond_by: NaiveDate,
}

/// A referral to the SPSO and, once known, its outcome (R43 item 12).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpsoReferral {
    pub referred_on: NaiveDate,
    pub outcome: Option<SpsoOutcome>,
    pub decided_on: Option<NaiveDate>,
}

/// Something staff should know about but that never blocks (R15, R16).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Warning {
    /// R14, R15: received after the normal 6-month limit; staff may accept it with a reason.
    ComplaintMayBeLate { time_limit: NaiveDate },
    /// R16: escalation asked for after the escalation time limit; accepted anyway.
    EscalationAfterTimeLimit { time_limit: NaiveDate, requested_on: NaiveDate },
}

/// Things that happen to a case; each becomes a timeline entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "type")]
pub enum CaseEvent {
    /// The complaint was received and the case opened at stage 1.
    Received {
        channel: crate::complaint::Channel,
        effective_receipt: NaiveDate,
        stage1_due: NaiveDate,
    },
    /// The acknowledgement was sent; `message_id` (ours, without angle brackets) threads replies.
    /// Written by releases before the durable outbound path; new cases record `MessageSent`.
    AcknowledgementSent {
        message_id: String,
    },
    /// The acknowledgement could not be rendered or sent. Written by releases before the durable
    /// outbound path; new cases record `MessageNotQueued` or `MessageUndeliverable`.
    AcknowledgementFailed {
        retryable: bool,
    },
    /// The complaint was received and the case opened directly at stage 2 (R22); a
    /// [`CaseEvent::Stage2Started`] follows.
    ReceivedAtStage2 {
        channel: crate::complaint::Channel,
        effective_receipt: NaiveDate,
    },
    /// Stage 2 began, by the route recorded (R22, R27).
    Stage2Started {
        route: Stage2Route,
        start: NaiveDate,
        acknowledgement_due: NaiveDate,
        response_due: NaiveDate,
    },
    /// Something to know that did not block the change.
    Warned {
        warning: Warning,
    },
    /// R15: a late complaint was accepted.
    LateComplaintAccepted {
        reason: String,
    },
    /// R21: the stage 1 response date was extended.
    Stage1Extended {
        extension: Extension,
    },
    /// R19, R23: the stage 1 response was given and the customer signposted to stage 2.
    Stage1Closed {
        closure: Stage1Closure,
    },
    /// R24, R25: stage 2 was acknowledged and its points of complaint agreed.
    Stage2Acknowledged {
        acknowledgement: Acknowledgement,
    },
    /// R28: the stage 2 response date was extended; progress updates are now due (R29).
    Stage2Extended {
        extension: Extension,
        progress_update_due: NaiveDate,
    },
    /// R29: a progress update was given.
    ProgressUpdateGiven {
        update: ProgressUpdate,
        next_due: NaiveDate,
    },
    /// R30, R34, R37: the final response was given and the customer signposted to the SPSO.
    Stage2Closed {
        closure: Stage2Closure,
    },
    /// R33: the complaint was withdrawn.
    Withdrawn {
        withdrawal: Withdrawal,
    },
    /// R40: a closed stage was reopened after post-closure contact.
    Reopened {
        reopening: Reopening,
    },
    ReferredToSpso {
        referred_on: NaiveDate,
    },
    SpsoOutcomeRecorded {
        outcome: SpsoOutcome,
        decided_on: NaiveDate,
    },
    /// R13: running clocks were recounted with a changed calendar.
    DeadlinesRecomputed {
        calendar_version: CalendarVersion,
        changes: Vec<DueDateChange>,
    },
    /// A message to the complainant (or staff) was written as pending mail in the same store
    /// transaction as the change that caused it; delivery follows (`MessageSent`).
    MessageQueued {
        message_id: String,
        purpose: MessagePurpose,
    },
    /// A pending message was handed to the mail service (or written to the mail folder).
    MessageSent {
        message_id: String,
        purpose: MessagePurpose,
    },
    /// A pending message was refused for good (or given up after repeated failures); staff must
    /// contact the person another way. `reason` is a log-safe kind, never the service's text.
    MessageUndeliverable {
        message_id: String,
        purpose: MessagePurpose,
        reason: String,
    },
    /// A message that would normally be sent was not (the per-recipient cap, a template or
    /// sender configuration error); staff decide what to do.
    MessageNotQueued {
        purpose: MessagePurpose,
        reason: NotQueuedReason,
    },
    /// Something staff should look at; shown in the workspace's "flagged" list.
    FlaggedForStaff {
        reason: StaffFlag,
    },
    /// R22: the customer asked for stage 2 straight away while stage 1 was open (before any
    /// response); a [`CaseEvent::Stage2Started`] follows.
    RoutedDirectToStage2 {
        routed_on: NaiveDate,
        reason: String,
    },
    /// R4: the contact was found not to be a complaint.
    NotAComplaint {
        record: NotAComplaint,
    },
    /// R54: contact was restricted.
    ContactRestricted {
        restriction: ContactRestriction,
    },
    /// R54: a contact restriction was reviewed (and lifted when `next_review_on` is `None`).
    ContactRestrictionReviewed {
        restriction: usize,
        review: RestrictionReview,
    },
    /// R40: correspondence after the final response, with the SPSO signposting given.
    CorrespondenceAfterFinalResponse {
        correspondence: CorrespondenceAfterFinalResponse,
    },
    /// An email was received for the case: the complaint's own message, or correspondence on it
    /// (the reply text without the quoted history). The raw message is kept at `raw_key`.
    EmailReceived {
        email: ReceivedEmail,
    },
    /// The mail that opened this case names another case in its subject, but its sender is not a
    /// party to that case, so it was not joined to it (threading cannot be hijacked by a subject).
    PossiblyAbout {
        reference: String,
    },
    /// R25: the points of complaint were amended after the acknowledgement.
    PointsOfComplaintAmended {
        amendment: PointsAmendment,
        points: Vec<PointOfComplaint>,
    },
    /// R44, R53: category, lead and contributing services recorded.
    Classified {
        classification: Classification,
    },
    /// R52: consent for the representative recorded.
    RepresentativeConsentRecorded {
        consent: RepresentativeConsent,
    },
    /// R36: an action agreed with the customer.
    ActionAgreed {
        action: AgreedAction,
    },
    /// R36: an agreed action was done.
    AgreedActionDone {
        action: usize,
        done_on: NaiveDate,
    },
    /// R59: a member of staff the complaint is about was recorded. Internal.
    StaffInvolvedAdded {
        staff_ref: String,
    },
    /// R59: a member of staff involved was told, offered support, updated or shown part of the
    /// response. Internal.
    StaffContacted {
        staff_ref: String,
        contact: StaffContact,
    },
    /// R35: the case was linked to a learning action.
    LearningLinked {
        action_id: String,
    },
    /// R56: the child or young person's record was set or updated.
    ChildRecorded {
        record: ChildRecord,
    },
    /// R50: a further private message from the complainant on a social media channel, kept as
    /// correspondence on their open case. `message_ref` is the platform's message id (repeats of
    /// it are not recorded twice); `raw_key` names the stored delivery holding the text.
    SocialMessageReceived {
        channel: crate::complaint::Channel,
        message_ref: String,
        raw_key: String,
        /// The message's text (with a line per attachment), as on the complaint for the first one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
    },
    /// R50: the complainant deleted (unsent) a private message we had taken in; what we took in
    /// stays on record, and staff know the platform no longer shows it.
    SocialMessageDeleted {
        channel: crate::complaint::Channel,
        message_ref: String,
    },
    /// R42: the case was assigned or reassigned.
    Assigned {
        assignment: Assignment,
    },
    /// R3, R44: the note of the conversation for a complaint staff logged.
    IntakeNoted {
        note: IntakeNote,
    },
    /// A breach alert about one of the case's clocks went to staff in the digest `message_id`
    /// (written with its once-only marker, `crate::alerts`). Indicators never read it.
    DeadlineAlerted {
        alert: crate::alerts::AlertRecord,
        message_ids: Vec<String>,
    },
    /// R50: the attachments of a private message (`message_ref`) are being fetched from the
    /// platform and stored with the case, each at its `stored_key`; each fetch is a pending
    /// `attachment-fetch` message of the durable outbound path (sent = stored; undeliverable =
    /// could not be fetched, and the case is flagged).
    SocialAttachmentsQueued {
        channel: crate::complaint::Channel,
        message_ref: String,
        attachments: Vec<SocialAttachment>,
    },
    /// A staff action was done from a form carrying a submission key (a random value in the
    /// confirm page): a repeat of that confirm (a double click, a retry after a lost response)
    /// finds this entry and is answered "already done" instead of being done twice or refused as
    /// a conflict. Written last, in the same transaction as the action; `message_ids` are the
    /// letters the action queued. Internal.
    ActionSubmitted {
        action: String,
        key: String,
        message_ids: Vec<String>,
    },
}

/// An attachment of a private social media message, stored with its case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SocialAttachment {
    /// The platform's kind (`image`, `video`, `audio`, `file`, `document`…).
    pub kind: String,
    /// Where the content is stored in the object store once fetched.
    pub stored_key: String,
    /// The Message-ID of the fetch (its `attachment-fetch` message).
    pub fetch_id: String,
}

/// What an automatic message is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MessagePurpose {
    /// The acknowledgement of a new complaint.
    Acknowledgement,
    /// R19, R23: the stage 1 response, with how to escalate and the escalation deadline.
    Stage1Response,
    /// R21, R28: the response date was extended.
    Extension,
    /// R24, R25: stage 2 acknowledged, with the points of complaint and the response date.
    Stage2Acknowledgement,
    /// R25: the points of complaint were changed.
    PointsAmended,
    /// R29: a progress update on an extended stage 2 complaint.
    ProgressUpdate,
    /// R30, R37: the final (stage 2) response with the SPSO signposting.
    FinalResponse,
    /// R33: confirmation that the complaint was withdrawn.
    WithdrawalConfirmation,
    /// R4: the contact is not a complaint, and where the person was directed.
    NotAComplaint,
    /// R40: a closed stage was reopened, with the new response date.
    Reopened,
    /// R54: contact was restricted, with the appeal and SPSO information.
    ContactRestriction,
    /// R59: internal notice to a member of staff the complaint is about.
    StaffNotice,
    /// R59: internal update to a member of staff involved when a stage closes.
    StaffClosureUpdate,
    /// R40: the customer wrote again after the final response: it stands; the SPSO block again.
    FinalResponseStands,
    /// Breach alerts: one digest of looming and missed deadlines to a member of staff or a mailbox.
    DeadlineDigest,
    /// A quarterly or annual export is ready: its headline figures and where its files are, to
    /// the reporting list (`[reporting] notify`), once per export.
    ExportReady,
    /// Not a message: fetching a social media attachment into the object store, queued through
    /// the durable outbound path for its retries (`SocialAttachmentsQueued`).
    AttachmentFetch,
}

impl MessagePurpose {
    /// The short name used in Message-IDs and logs.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Acknowledgement => "ack",
            Self::Stage1Response => "s1-response",
            Self::Extension => "extension",
            Self::Stage2Acknowledgement => "s2-ack",
            Self::PointsAmended => "points",
            Self::ProgressUpdate => "update",
            Self::FinalResponse => "final",
            Self::WithdrawalConfirmation => "withdrawn",
            Self::NotAComplaint => "not-complaint",
            Self::Reopened => "reopened",
            Self::ContactRestriction => "restriction",
            Self::StaffNotice => "staff-notice",
            Self::StaffClosureUpdate => "staff-update",
            Self::FinalResponseStands => "stands",
            Self::DeadlineDigest => "deadlines",
            Self::ExportReady => "export-ready",
            Self::AttachmentFetch => "fetch",
        }
    }

    /// True for messages to staff rather than the complainant (R59).
    #[must_use]
    pub fn is_internal(self) -> bool {
        matches!(
            self,
            Self::StaffNotice
                | Self::StaffClosureUpdate
                | Self::DeadlineDigest
                | Self::ExportReady
                | Self::AttachmentFetch
        )
    }
}

/// Why a message was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NotQueuedReason {
    /// The recipient already had as many automatic messages as the cap allows in 24 hours.
    RecipientCap,
    /// The organisation's `mail.from` or `mail.reply_to` is not a valid address.
    SenderConfiguration,
    /// The message template failed to render.
    Template,
    /// The case was flagged as possible spam, so nothing automatic goes out.
    PossibleSpam,
    /// Nobody to write to: no email address and no postal address (e.g. given by phone only);
    /// staff tell the person another way.
    NoAddress,
}

/// An email as recorded on a case's timeline: enough for staff to find the raw message and its
/// attachments, and the text that matters.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReceivedEmail {
    /// The sender's Message-ID (without angle brackets), when it had one.
    pub message_id: Option<String>,
    /// Where the raw message is kept in the object store.
    pub raw_key: String,
    /// Our addresses it was sent to (one email to two addresses is one record).
    #[serde(default)]
    pub recipients: Vec<String>,
    /// For correspondence: the reply text, without the quoted history.
    #[serde(default)]
    pub reply_text: Option<String>,
    #[serde(default)]
    pub attachments: Vec<EmailAttachment>,
    /// Arrived on a case that was already closed.
    #[serde(default)]
    pub on_closed_case: bool,
    /// Attachments of the message not listed in `attachments` (a record names the first few
    /// hundred at most, so one record always fits a store item; the raw message has them all).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub attachments_not_listed: u64,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// An attachment of a received email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailAttachment {
    pub name: String,
    pub content_type: String,
    pub size: u64,
    /// Lower-case hex SHA-256 of the decoded content.
    pub sha256: String,
    /// Where the content is kept in the object store; `None` when it was held back.
    pub stored_key: Option<String>,
    /// Why it was held back (`executable`, `too-large`, `too-many`), if it was.
    pub held: Option<String>,
}

/// Why a case is flagged for staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StaffFlag {
    /// The web form's hidden honeypot field was filled: probably a bot, possibly a person.
    PossibleSpam,
    /// Not acknowledged: the recipient is over the per-recipient cap of automatic messages.
    OverMailCap,
    /// A message to the complainant could not be delivered.
    UndeliverableMail,
    /// Email intake: the mail names another case it was not joined to (see `PossiblyAbout`).
    PossiblyAboutAnotherCase,
    /// Email intake: mail arrived on a case that is closed (an escalation request or post-closure
    /// contact, R40).
    MailOnClosedCase,
    /// Email intake: the spam or virus scan failed; kept, never acknowledged.
    QuarantinedMail,
    /// Email intake: an attachment was held back (an executable type, or over the size limit).
    AttachmentHeld,
    /// A recipient reported mail we sent as abuse (a feedback-loop complaint).
    MailComplaint,
}

impl CaseEvent {
    /// True for entries never shown to the complainant (R57, R59: staff involved; flags for staff).
    #[must_use]
    pub fn is_internal(&self) -> bool {
        matches!(
            self,
            Self::StaffInvolvedAdded { .. }
                | Self::StaffContacted { .. }
                | Self::FlaggedForStaff { .. }
                | Self::DeadlineAlerted { .. }
                | Self::ActionSubmitted { .. }
        )
    }
}

/// One entry in a case's timeline (R44, R57): what happened, who did it and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEvent {
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub what: CaseEvent,
}

/// The warnings among `events`, for the caller to show.
#[must_use]
pub fn warnings(events: &[TimelineEvent]) -> Vec<&Warning> {
    events
        .iter()
        .filter_map(|event| match &event.what {
            CaseEvent::Warned { warning } => Some(warning),
            _ => None,
        })
        .collect()
}

/// How an opening of a stage ended (mchp-rules §4, §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Disposition {
    /// A response was given: it has an outcome (R31) and counts in K3–K6.
    Responded,
    /// R33: withdrawn; no outcome, reported separately.
    Withdrawn,
    /// R22: stage 1 ended when the organisation moved the complaint to stage 2; no outcome.
    MovedToStage2,
}

/// How one opening of a stage counts in the KPIs (mchp-rules §7). A stage reopened after a
/// closure has one report per opening: every closure counts in its own period (R40).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageReport {
    pub stage: Stage,
    pub bucket: ReportingBucket,
    /// K2: the local date the complaint (or, for the escalated bucket, the request) was received;
    /// `None` for a reopening, which is not a new complaint.
    pub received_on: Option<NaiveDate>,
    /// True for the opening of a stage after a reopening.
    pub reopened: bool,
    /// The date this opening's clock counts from (the effective date: R8, R27; a reopening's date).
    pub started_on: NaiveDate,
    /// The date this opening ended, however it ended.
    pub ended_on: Option<NaiveDate>,
    pub disposition: Option<Disposition>,
    /// The date the stage was answered (its closure), if it was.
    pub closed_on: Option<NaiveDate>,
    pub outcome: Option<Outcome>,
    /// The date the complaint was withdrawn at this stage, if it was (reported apart: R33).
    pub withdrawn_on: Option<NaiveDate>,
    /// K4: working days from the start of the opening to the response (responses only).
    pub working_days_taken: Option<u32>,
    /// K3: responded by the base due date (responses only).
    pub within_base_timescale: Option<bool>,
    /// K6: this opening's response timescale was extended.
    pub extended: bool,
}

impl StageReport {
    fn open(stage: Stage, bucket: ReportingBucket, started_on: NaiveDate, extended: bool) -> Self {
        Self {
            stage,
            bucket,
            received_on: None,
            reopened: false,
            started_on,
            ended_on: None,
            disposition: None,
            closed_on: None,
            outcome: None,
            withdrawn_on: None,
            working_days_taken: None,
            within_base_timescale: None,
            extended,
        }
    }

    fn responded(mut self, on: NaiveDate, outcome: Outcome, days: Option<u32>, within: Option<bool>) -> Self {
        self.ended_on = Some(on);
        self.disposition = Some(Disposition::Responded);
        self.closed_on = Some(on);
        self.outcome = Some(outcome);
        self.working_days_taken = days;
        self.within_base_timescale = within;
        self
    }

    fn ended(mut self, on: NaiveDate, disposition: Disposition) -> Self {
        self.ended_on = Some(on);
        self.disposition = Some(disposition);
        if disposition == Disposition::Withdrawn {
            self.withdrawn_on = Some(on);
        }
        self
    }
}

/// A complaint case. STABLE: `open`, `reference`, `assign_number`, `complaint`, `received_at`,
/// `handler`, `index`, `stage1_due` and serde round-tripping. Read through [`crate::stored`], which
/// migrates older stored forms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "stored::StoredCase")]
pub struct Case {
    pub(crate) reference: CaseRef,
    pub(crate) complaint: NewComplaint,
    pub(crate) received_at: DateTime<Utc>,
    pub(crate) receipt: ClockStart,
    pub(crate) handler: String,
    pub(crate) contact_key: Option<ContactKey>,
    /// `None` for a complaint that went directly to stage 2.
    pub(crate) stage1: Option<Stage1>,
    pub(crate) stage2: Option<Stage2>,
    pub(crate) withdrawal: Option<Withdrawal>,
    pub(crate) late_acceptance: Option<LateAcceptance>,
    #[serde(default)]
    pub(crate) reopenings: Vec<Reopening>,
    pub(crate) spso: Option<SpsoReferral>,
    /// The records kept beside the stages ([`crate::records`]).
    #[serde(default)]
    pub(crate) records: CaseRecords,
    /// The stored form's schema version: [`CASE_SCHEMA_VERSION`] once read ([`crate::stored`]).
    pub(crate) schema_version: u32,
}

/// What a report needs of a closure at either stage.
#[derive(Clone)]
struct Closed {
    opened_on: Option<NaiveDate>,
    responded_on: NaiveDate,
    outcome: Outcome,
    working_days_taken: Option<u32>,
    within_base_timescale: Option<bool>,
    extended: Option<bool>,
}

impl From<&Stage1Closure> for Closed {
    fn from(closure: &Stage1Closure) -> Self {
        Self {
            opened_on: closure.opened_on,
            responded_on: closure.responded_on,
            outcome: closure.outcome,
            working_days_taken: Some(closure.working_days_taken),
            within_base_timescale: Some(closure.within_base_timescale),
            extended: closure.extended,
        }
    }
}

impl From<&Stage2Closure> for Closed {
    fn from(closure: &Stage2Closure) -> Self {
        Self {
            opened_on: closure.opened_on,
            responded_on: closure.responded_on,
            outcome: closure.outcome,
            working_days_taken: Some(closure.working_days_taken),
            within_base_timescale: Some(closure.within_base_timescale),
            extended: closure.extended,
        }
    }
}

/// A fresh stage 2 from `start`, by `route` (R24, R26, R27: both clocks count from the same start).
pub(crate) fn start_stage2(route: Stage2Route, start: ClockStart, rules: Rules<'_>) -> Stage2 {
    let rule = rules.policy.day_one_rule;
    Stage2 {
        route,
        start,
        acknowledgement: Clock::counting(
            ClockKind::Stage2Acknowledgement,
            start,
            STAGE2_ACK_WORKING_DAYS,
            rules.calendar,
            rule,
        ),
        acknowledged: None,
        response: Clock::counting(ClockKind::Stage2Response, start, STAGE2_WORKING_DAYS, rules.calendar, rule),
        progress: None,
        progress_updates: Vec::new(),
        reopened_response: None,
        closure: None,
        earlier_closures: Vec::new(),
        amendments: Vec::new(),
    }
}

impl Stage1 {
    /// The response clock of the current opening: the latest reopening's, else the original.
    #[must_use]
    pub fn current_response(&self) -> &Clock {
        self.reopened_response.as_ref().unwrap_or(&self.response)
    }

    /// Every closure given at stage 1, oldest first, the standing one last.
    pub fn closures(&self) -> impl Iterator<Item = &Stage1Closure> {
        self.earlier_closures.iter().chain(self.closure.as_ref())
    }
}

impl Stage2 {
    /// The response clock of the current opening: the latest reopening's, else the original.
    #[must_use]
    pub fn current_response(&self) -> &Clock {
        self.reopened_response.as_ref().unwrap_or(&self.response)
    }

    /// Every closure given at stage 2, oldest first, the standing one last.
    pub fn closures(&self) -> impl Iterator<Item = &Stage2Closure> {
        self.earlier_closures.iter().chain(self.closure.as_ref())
    }

    /// The date stage 2 actually began, before any move to a working day: the local date of
    /// receipt for a direct complaint, the date of the customer's request or of the decision.
    /// Nothing done at stage 2 can predate it.
    pub(crate) fn began_on(&self, received_on: NaiveDate) -> NaiveDate {
        match &self.route {
            Stage2Route::Direct { routed_on, .. } => routed_on.unwrap_or(received_on),
            Stage2Route::EscalatedByCustomer { requested_on, .. } => *requested_on,
            Stage2Route::MovedByOrganisation { decided_on, .. } => *decided_on,
        }
    }

    pub(crate) fn started_event(&self) -> CaseEvent {
        CaseEvent::Stage2Started {
            route: self.route.clone(),
            start: self.start.effective,
            acknowledgement_due: self.acknowledgement.due,
            response_due: self.response.due,
        }
    }
}

impl Case {
    /// Opens a case for a new complaint received at `received_at`, handled by `handler` (a person
    /// or team, named in acknowledgements: R42). A complaint routed directly to stage 2 starts
    /// there (R22, R27); one that looks out of time gets a [`Warning::ComplaintMayBeLate`] event
    /// (R15: never refused). STABLE.
    #[must_use]
    pub fn open(
        reference: CaseRef,
        complaint: NewComplaint,
        received_at: DateTime<Utc>,
        handler: String,
        contact_key: Option<ContactKey>,
        rules: Rules<'_>,
        actor: Actor,
    ) -> (Self, Vec<TimelineEvent>) {
        let receipt = ClockStart::received_at(rules.calendar, received_at, rules.policy.cutoff);
        let rule = rules.policy.day_one_rule;
        let event = |what| TimelineEvent { at: received_at, actor: actor.clone(), what };
        let mut events = Vec::new();
        let (stage1, stage2) = match &complaint.route {
            IntakeRoute::Stage1 => {
                let response =
                    Clock::counting(ClockKind::Stage1Response, receipt, STAGE1_WORKING_DAYS, rules.calendar, rule);
                events.push(event(CaseEvent::Received {
                    channel: complaint.channel,
                    effective_receipt: receipt.effective,
                    stage1_due: response.due,
                }));
                let stage1 = Stage1 {
                    start: receipt,
                    response,
                    reopened_response: None,
                    closure: None,
                    earlier_closures: Vec::new(),
                };
                (Some(stage1), None)
            }
            IntakeRoute::DirectStage2 { reason } => {
                let route = Stage2Route::Direct { reason: reason.clone(), routed_on: None };
                let stage2 = start_stage2(route, receipt, rules);
                events.push(event(CaseEvent::ReceivedAtStage2 {
                    channel: complaint.channel,
                    effective_receipt: receipt.effective,
                }));
                events.push(event(stage2.started_event()));
                (None, Some(stage2))
            }
        };
        // R14: the time limit is about when the customer complained: the local date of receipt,
        // not the working day the clock starts on (R8).
        let received_on = local_date_time(received_at).date();
        if limits::is_late(complaint.event_date, complaint.awareness_date, received_on)
            && let Some(time_limit) = limits::complaint_time_limit(complaint.event_date, complaint.awareness_date)
        {
            events.push(event(CaseEvent::Warned { warning: Warning::ComplaintMayBeLate { time_limit } }));
        }
        let case = Self {
            reference,
            complaint,
            received_at,
            receipt,
            handler,
            contact_key,
            stage1,
            stage2,
            withdrawal: None,
            late_acceptance: None,
            reopenings: Vec::new(),
            spso: None,
            records: CaseRecords::default(),
            schema_version: CASE_SCHEMA_VERSION,
        };
        (case, events)
    }

    /// STABLE.
    #[must_use]
    pub fn reference(&self) -> &CaseRef {
        &self.reference
    }

    /// Gives the case its final counter value; stores call this when they allocate the number. STABLE.
    pub fn assign_number(&mut self, number: u32) {
        self.reference = self.reference.with_number(number);
    }

    /// STABLE.
    #[must_use]
    pub fn complaint(&self) -> &NewComplaint {
        &self.complaint
    }

    /// The raw receipt timestamp (R8). STABLE.
    #[must_use]
    pub fn received_at(&self) -> DateTime<Utc> {
        self.received_at
    }

    /// The effective receipt date (R8). STABLE.
    #[must_use]
    pub fn effective_receipt(&self) -> NaiveDate {
        self.receipt.effective
    }

    /// The local (Europe/London) date the complaint arrived, before any move to a working day
    /// (R8). Time limits (R14) and "not before the complaint" checks use this date.
    #[must_use]
    pub fn received_on(&self) -> NaiveDate {
        local_date_time(self.received_at).date()
    }

    /// Who is handling the case (R42). STABLE.
    #[must_use]
    pub fn handler(&self) -> &str {
        &self.handler
    }

    /// The current stage 1 due date (with any extension). A complaint that went directly to
    /// stage 2 has no stage 1: this then gives the stage 2 response due date, like
    /// [`Case::response_due`]. STABLE.
    #[must_use]
    pub fn stage1_due(&self) -> NaiveDate {
        self.stage1.as_ref().map_or_else(|| self.response_due(), |stage1| stage1.response.due)
    }

    /// The due date of the response the customer is waiting for (or last waited for): the
    /// current stage's response clock, a reopened stage's set date first.
    #[must_use]
    pub fn response_due(&self) -> NaiveDate {
        if let Some(stage2) = &self.stage2 {
            return stage2.current_response().due;
        }
        match &self.stage1 {
            Some(stage1) => stage1.current_response().due,
            None => self.receipt.effective,
        }
    }

    /// What stores index this case by. STABLE.
    #[must_use]
    pub fn index(&self) -> CaseIndex {
        let mut closed_on: Vec<NaiveDate> = self.stage_reports().iter().filter_map(|report| report.ended_on).collect();
        closed_on.extend(self.records.not_a_complaint.as_ref().map(|record| record.decided_on));
        closed_on.sort_unstable();
        CaseIndex {
            open: self.is_open(),
            next_due: self.running_clocks().map(|clock| clock.due).min(),
            received_on: self.received_on(),
            closed_on,
            contact_key: self.contact_key.clone(),
        }
    }

    /// The stage the case is at (or ended at).
    #[must_use]
    pub fn stage(&self) -> Stage {
        if self.stage2.is_some() { Stage::Two } else { Stage::One }
    }

    /// Where the case stands.
    #[must_use]
    pub fn status(&self) -> Status {
        if let Some(withdrawal) = &self.withdrawal {
            return Status::Withdrawn { stage: withdrawal.stage };
        }
        if self.records.not_a_complaint.is_some() {
            return Status::NotAComplaint;
        }
        // R21, R28, K6: "extended" is about the current opening of the stage (a reopened stage is
        // measured from its reopening).
        match (&self.stage1, &self.stage2) {
            (_, Some(stage2)) if stage2.closure.is_some() => Status::Stage2Closed,
            (_, Some(stage2)) if stage2.current_response().is_extended() => Status::Stage2Extended,
            (_, Some(stage2)) if stage2.acknowledged.is_some() => Status::Stage2Acknowledged,
            (_, Some(_)) => Status::Stage2AwaitingAcknowledgement,
            (Some(stage1), None) if stage1.closure.is_some() => Status::Stage1Closed,
            (Some(stage1), None) if stage1.current_response().is_extended() => Status::Stage1Extended,
            _ => Status::Stage1Open,
        }
    }

    /// True while a stage is in progress: not answered, not withdrawn.
    #[must_use]
    pub fn is_open(&self) -> bool {
        !matches!(
            self.status(),
            Status::Stage1Closed | Status::Stage2Closed | Status::Withdrawn { .. } | Status::NotAComplaint
        )
    }

    /// Stage 1, unless the complaint went directly to stage 2.
    #[must_use]
    pub fn stage1(&self) -> Option<&Stage1> {
        self.stage1.as_ref()
    }

    /// Stage 2, once the complaint reached it.
    #[must_use]
    pub fn stage2(&self) -> Option<&Stage2> {
        self.stage2.as_ref()
    }

    #[must_use]
    pub fn withdrawal(&self) -> Option<&Withdrawal> {
        self.withdrawal.as_ref()
    }

    #[must_use]
    pub fn late_acceptance(&self) -> Option<&LateAcceptance> {
        self.late_acceptance.as_ref()
    }

    #[must_use]
    pub fn reopenings(&self) -> &[Reopening] {
        &self.reopenings
    }

    #[must_use]
    pub fn spso_referral(&self) -> Option<&SpsoReferral> {
        self.spso.as_ref()
    }

    /// The records kept beside the stages (R4, R25, R36, R40, R44, R52–R56, R59).
    #[must_use]
    pub fn records(&self) -> &CaseRecords {
        &self.records
    }

    /// The stored form's schema version this case was read as (after migration: the current one).
    #[must_use]
    pub fn schema_version(&self) -> u32 {
        self.schema_version
    }

    /// R51: true when nobody can be contacted about the complaint (it is anonymous), so a
    /// signposting or acknowledgement record is replaced by "no contact possible".
    #[must_use]
    pub fn no_contact_possible(&self) -> bool {
        self.complaint.is_anonymous()
    }

    /// The date of the latest lifecycle event: every dated command that follows it must be on or
    /// after it (the receipt, a stage start, an acknowledgement, an extension decision, a progress
    /// update, an amendment, a closure, a reopening, a withdrawal).
    #[must_use]
    pub fn latest_event_on(&self) -> NaiveDate {
        let received = self.received_on();
        let mut dates = vec![received];
        if let Some(stage1) = &self.stage1 {
            dates.extend(stage1.closures().map(|closure| closure.responded_on));
            dates.extend(stage1.current_response().extensions.iter().filter_map(|e| e.decided_on));
        }
        if let Some(stage2) = &self.stage2 {
            dates.push(stage2.began_on(received));
            dates.extend(stage2.closures().map(|closure| closure.responded_on));
            dates.extend(stage2.acknowledged.as_ref().map(|ack| ack.acknowledged_on));
            dates.extend(stage2.progress_updates.iter().map(|update| update.given_on));
            dates.extend(stage2.amendments.iter().map(|amendment| amendment.amended_on));
            dates.extend(stage2.current_response().extensions.iter().filter_map(|e| e.decided_on));
        }
        dates.extend(self.reopenings.iter().map(|reopening| reopening.reopened_on));
        dates.extend(self.withdrawal.as_ref().map(|withdrawal| withdrawal.withdrawn_on));
        dates.into_iter().max().unwrap_or(received)
    }

    /// R14, R15: true when the complaint was made (its local date of receipt) after the normal time limit.
    #[must_use]
    pub fn looks_late(&self) -> bool {
        limits::is_late(self.complaint.event_date, self.complaint.awareness_date, self.received_on())
    }

    /// Every clock of the case, running or stopped, stage 1 first.
    #[must_use]
    pub fn clocks(&self) -> Vec<&Clock> {
        let stage1 = self.stage1.iter().flat_map(|stage| [Some(&stage.response), stage.reopened_response.as_ref()]);
        // (A reopening replaces the previous reopened clock; the closures keep what it measured.)
        let stage2 = self.stage2.iter().flat_map(|stage| {
            [
                Some(&stage.acknowledgement),
                Some(&stage.response),
                stage.progress.as_ref(),
                stage.reopened_response.as_ref(),
            ]
        });
        stage1.chain(stage2).flatten().collect()
    }

    /// The clocks still counting down.
    pub fn running_clocks(&self) -> impl Iterator<Item = &Clock> {
        self.clocks().into_iter().filter(|clock| clock.is_running())
    }

    /// R47: how each opening of each stage counts in the KPIs (K2–K6). An escalated case has
    /// reports at both stages (stage 1, then escalated), as the Scottish Housing Regulator counts it
    /// (R49); a reopened stage has one report per opening, each closure in its own period; a case
    /// routed straight to stage 2 from an open stage 1 counts only as stage 2 (direct); a contact
    /// that was not a complaint has none (R4).
    #[must_use]
    pub fn stage_reports(&self) -> Vec<StageReport> {
        if self.records.not_a_complaint.is_some() {
            return Vec::new();
        }
        let mut reports = Vec::new();
        let routed_direct = matches!(self.stage2.as_ref().map(|s| &s.route), Some(Stage2Route::Direct { .. }));
        if let Some(stage1) = self.stage1.as_ref().filter(|_| !routed_direct) {
            let mut report = StageReport::open(
                Stage::One,
                ReportingBucket::Stage1,
                stage1.start.effective,
                stage1.response.is_extended(),
            );
            report.received_on = Some(self.received_on());
            let end = match self.stage2.as_ref().map(|stage2| &stage2.route) {
                Some(Stage2Route::MovedByOrganisation { decided_on, .. }) => {
                    Some((*decided_on, Disposition::MovedToStage2))
                }
                _ => None,
            };
            let closures: Vec<Closed> = stage1.closures().map(Closed::from).collect();
            self.push_openings(&mut reports, report, Stage::One, &closures, stage1.closure.is_some(), end);
        }
        if let Some(stage2) = &self.stage2 {
            let bucket = match stage2.route {
                Stage2Route::Direct { .. } => ReportingBucket::Stage2Direct,
                Stage2Route::EscalatedByCustomer { .. } | Stage2Route::MovedByOrganisation { .. } => {
                    ReportingBucket::Escalated
                }
            };
            let mut report =
                StageReport::open(Stage::Two, bucket, stage2.start.effective, stage2.response.is_extended());
            report.received_on = Some(match &stage2.route {
                Stage2Route::Direct { .. } => self.received_on(),
                Stage2Route::EscalatedByCustomer { requested_on, .. } => *requested_on,
                Stage2Route::MovedByOrganisation { decided_on, .. } => *decided_on,
            });
            let closures: Vec<Closed> = stage2.closures().map(Closed::from).collect();
            self.push_openings(&mut reports, report, Stage::Two, &closures, stage2.closure.is_some(), None);
        }
        reports
    }

    /// One report per opening of `stage`: the first from `first`, then one per reopening; each
    /// closure ends the opening it belongs to, and the last opening may end by `end` or a withdrawal.
    /// `closures` lists every closure given, oldest first; `current_closed` says whether the last
    /// opening's own closure is among them.
    fn push_openings(
        &self,
        reports: &mut Vec<StageReport>,
        first: StageReport,
        stage: Stage,
        closures: &[Closed],
        current_closed: bool,
        end: Option<(NaiveDate, Disposition)>,
    ) {
        let reopenings: Vec<&Reopening> = self.reopenings.iter().filter(|r| r.stage == stage).collect();
        let current = match stage {
            Stage::One => self.stage1.as_ref().map(Stage1::current_response),
            Stage::Two => self.stage2.as_ref().map(Stage2::current_response),
        };
        let current_extended = current.is_some_and(Clock::is_extended);
        let earlier_known = closures.len() - usize::from(current_closed);
        // Cases stored before set-aside closures were kept (schema 0) know them only from the
        // reopening that set each aside: those are the oldest ones.
        let missing = reopenings.len().saturating_sub(earlier_known);
        let openings = reopenings.len() + 1;
        let mut report = first;
        for opening in 0..openings {
            let last = opening + 1 == openings;
            let closure = if last {
                closures.last().filter(|_| current_closed).cloned()
            } else if opening < missing {
                reopenings.get(opening).map(|reopening| Closed {
                    opened_on: None,
                    responded_on: reopening.previous_responded_on,
                    outcome: reopening.previous_outcome,
                    working_days_taken: None,
                    within_base_timescale: None,
                    extended: None,
                })
            } else {
                closures.get(opening - missing).cloned()
            };
            if opening > 0 {
                // A reopened opening counts from its clock's (effective) start.
                let reopened_on = reopenings[opening - 1].reopened_on;
                let started_on = match (&closure, last) {
                    (Some(Closed { opened_on: Some(on), .. }), _) => *on,
                    (_, true) => current.map_or(reopened_on, |clock| clock.start.effective),
                    _ => reopened_on,
                };
                report = StageReport::open(stage, report.bucket, started_on, false);
                report.reopened = true;
            }
            if last {
                report.extended = current_extended;
            }
            report = match closure {
                Some(closed) => {
                    if let Some(extended) = closed.extended {
                        report.extended = extended;
                    }
                    report.responded(
                        closed.responded_on,
                        closed.outcome,
                        closed.working_days_taken,
                        closed.within_base_timescale,
                    )
                }
                None if last => match (&self.withdrawal, end) {
                    (Some(withdrawal), _) if withdrawal.stage == stage => {
                        report.ended(withdrawal.withdrawn_on, Disposition::Withdrawn)
                    }
                    (_, Some((on, disposition))) => report.ended(on, disposition),
                    _ => report,
                },
                None => report,
            };
            reports.push(report.clone());
        }
    }

    /// R13: recomputes an open case's running clocks with the current calendar. Closed and withdrawn
    /// cases keep what was live (`None`), as do cases already computed with this calendar version.
    /// Start dates are facts and stay; extensions' revised dates were set explicitly and stay (unless
    /// the base timescale now ends later still).
    #[must_use]
    pub fn recompute(&self, rules: Rules<'_>, at: DateTime<Utc>) -> Option<(Case, TimelineEvent)> {
        let calendar = rules.calendar;
        let version = calendar.version();
        let stale = self.clocks().into_iter().any(|clock| clock.is_running() && clock.calendar_version != *version);
        if !self.is_open() || !stale {
            return None;
        }
        let mut next = self.clone();
        let mut changes = Vec::new();
        if let Some(stage1) = next.stage1.as_mut() {
            for clock in [Some(&mut stage1.response), stage1.reopened_response.as_mut()].into_iter().flatten() {
                if clock.is_running() {
                    changes.extend(clock.recount(calendar));
                }
            }
        }
        if let Some(stage2) = next.stage2.as_mut() {
            for clock in
                [Some(&mut stage2.acknowledgement), Some(&mut stage2.response), stage2.reopened_response.as_mut()]
                    .into_iter()
                    .flatten()
            {
                if clock.is_running() {
                    changes.extend(clock.recount(calendar));
                }
            }
            // R29: a first progress cycle anchored on the original response due date follows it if
            // it just moved; a cycle anchored on an update or an extension decision keeps its anchor.
            let follows_due = rules.policy.progress_updates_from == ProgressFrom::OriginalDue
                && stage2.progress_updates.is_empty()
                && stage2.reopened_response.is_none();
            let base_due = stage2.response.base_due;
            if let Some(progress) = stage2.progress.as_mut().filter(|clock| clock.is_running()) {
                if follows_due {
                    progress.start = ClockStart { effective: base_due, deferred: false };
                }
                changes.extend(progress.recount(calendar));
            }
        }
        let event = TimelineEvent {
            at,
            actor: Actor::System,
            what: CaseEvent::DeadlinesRecomputed { calendar_version: version.clone(), changes },
        };
        Some((next, event))
    }

    /// R16: the date by which the customer may normally escalate, once stage 1 was answered.
    #[must_use]
    pub fn escalation_deadline(&self) -> Option<NaiveDate> {
        self.stage1.as_ref().and_then(|stage| stage.closure.as_ref()).map(|closure| closure.escalation_deadline)
    }

    /// R18: an estimate (never a fact) of the SPSO's 12-month limit.
    #[must_use]
    pub fn spso_limit_estimate(&self) -> NaiveDate {
        limits::spso_limit_estimate(self.complaint.event_date, self.complaint.awareness_date, self.receipt.effective)
    }
}
