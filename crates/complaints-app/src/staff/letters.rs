//! The letters staff actions send: who gets them and how (email, or a printable letter for staff
//! to post), their facts from the case after the change, and the pending messages and timeline
//! entries written with the change.
//!
//! - Anonymous complaints get none (R51).
//! - A complainant who prefers letters (R55), or gave a postal address but no email, gets a
//!   printable HTML letter: a message to the organisation's own mailbox (`mail.reply_to`, else
//!   `mail.from`) whose HTML part is the letter, marked with `X-Complaint-Delivery: print`. The
//!   mail folder writes that letter beside the `.eml` as an `.html` file; with SES it arrives in
//!   the organisation's mailbox to be printed. Either way it goes through the durable outbound path.
//! - A complainant with neither address gets none, and the timeline says so
//!   ([`NotQueuedReason::NoAddress`]): staff tell them another way.
//! - Internal notices to staff involved (R59) go to the address recorded for them.

use chrono::{DateTime, NaiveDate, Utc};
use complaints_core::case::{Case, CaseEvent, MessagePurpose, NotQueuedReason, Stage, TimelineEvent};
use complaints_core::complaint::{Channel, ChildInvolvement, ContactMethod, EmailAddress};
use complaints_core::config::OrgConfig;
use complaints_core::dates::long_date;
use complaints_core::outcome::Outcome;
use complaints_core::policy::{ESCALATION_AFTER_EVENT_MONTHS, ESCALATION_AFTER_STAGE1_MONTHS, STAGE2_WORKING_DAYS};
use complaints_core::records::{NotAComplaintReason, RestrictionScope};
use complaints_core::text::looks_like_a_name;
use complaints_mail::letters::{LetterContext, PointContext, PrintContext, letter_name};
use complaints_mail::templates::{OrganisationContext, Templates};
use complaints_mail::{DELIVERY_HEADER, Mailbox, OutboundEmail, PRINT_DELIVERY, QueuedMessage};
use tracing::error;

use super::error::ActionError;
use super::service::{LetterDelivery, LetterQueued};
use super::user::StaffUser;
use crate::outbound::NewMessage;

/// A letter an action sends, with what only the action knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Letter {
    /// The acknowledgement of a complaint staff logged, for a complainant who prefers letters
    /// (emails are acknowledged by intake itself).
    Acknowledgement,
    Stage1Response {
        note: String,
    },
    Extension {
        reason: String,
        new_due: NaiveDate,
    },
    Stage2Acknowledgement,
    PointsAmended {
        reason: String,
    },
    ProgressUpdate {
        note: String,
    },
    FinalResponse {
        note: String,
    },
    WithdrawalConfirmation,
    NotAComplaint,
    Reopened {
        reason: String,
    },
    ContactRestriction {
        reason: String,
    },
    FinalResponseStands,
    StaffNotice,
    StaffClosureUpdate {
        part: Option<String>,
    },
}

impl Letter {
    /// Whether the letter is how the complainant is signposted, so that the change records the
    /// signposting as given: the stage 1 route to stage 2 (R23), the SPSO (R37).
    fn carries_signposting(&self) -> bool {
        matches!(
            self,
            Self::Stage1Response { .. }
                | Self::FinalResponse { .. }
                | Self::ContactRestriction { .. }
                | Self::FinalResponseStands
        )
    }

    fn purpose(&self) -> MessagePurpose {
        match self {
            Self::Acknowledgement => MessagePurpose::Acknowledgement,
            Self::Stage1Response { .. } => MessagePurpose::Stage1Response,
            Self::Extension { .. } => MessagePurpose::Extension,
            Self::Stage2Acknowledgement => MessagePurpose::Stage2Acknowledgement,
            Self::PointsAmended { .. } => MessagePurpose::PointsAmended,
            Self::ProgressUpdate { .. } => MessagePurpose::ProgressUpdate,
            Self::FinalResponse { .. } => MessagePurpose::FinalResponse,
            Self::WithdrawalConfirmation => MessagePurpose::WithdrawalConfirmation,
            Self::NotAComplaint => MessagePurpose::NotAComplaint,
            Self::Reopened { .. } => MessagePurpose::Reopened,
            Self::ContactRestriction { .. } => MessagePurpose::ContactRestriction,
            Self::FinalResponseStands => MessagePurpose::FinalResponseStands,
            Self::StaffNotice => MessagePurpose::StaffNotice,
            Self::StaffClosureUpdate { .. } => MessagePurpose::StaffClosureUpdate,
        }
    }
}

/// A letter and who it is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LetterPlan {
    /// `None`: the complainant; else the member of staff involved.
    staff_ref: Option<String>,
    letter: Letter,
}

impl LetterPlan {
    pub(crate) fn citizen(letter: Letter) -> Self {
        Self { staff_ref: None, letter }
    }

    pub(crate) fn staff(staff_ref: String, letter: Letter) -> Self {
        Self { staff_ref: Some(staff_ref), letter }
    }
}

/// Composes letters for one organisation.
pub(crate) struct Letters<'a> {
    pub config: &'a OrgConfig,
    pub templates: &'a Templates,
}

/// Where a complainant's letter goes.
enum Destination {
    Email(Mailbox),
    Print(PrintContext),
}

/// What the timeline, the store and the caller get from composing.
type Queued = (Vec<TimelineEvent>, Vec<NewMessage>, Vec<LetterQueued>);

impl Letters<'_> {
    /// How the complainant is written to: `Some(Email)`, `Some(Letter)` (printed and posted), or
    /// `None` (anonymous, or no address to write to).
    pub(crate) fn citizen_channel(&self, case: &Case) -> Option<Channel> {
        match destination(case)? {
            Destination::Email(_) => Some(Channel::Email),
            Destination::Print(_) => Some(Channel::Letter),
        }
    }

    /// The SPSO block version in use (R38).
    pub(crate) fn spso_block_version(&self) -> String {
        self.templates.spso_block_version()
    }

    /// The timeline entries, pending messages and summaries for `plans` on `case` (after the change).
    ///
    /// # Errors
    /// [`ActionError::LetterNotComposed`] when a letter to the complainant that carries the
    /// signposting (R23, R37) has an address but cannot be written: the change records the
    /// signposting as given, so it must not be saved without the letter. Other letters that
    /// cannot be written are left on the timeline as not queued.
    pub(crate) fn queue(
        &self,
        case: &Case,
        plans: Vec<LetterPlan>,
        at: DateTime<Utc>,
        actor: &StaffUser,
    ) -> Result<Queued, ActionError> {
        let mut queued: Queued = (Vec::new(), Vec::new(), Vec::new());
        let event = |what| TimelineEvent { at, actor: actor.actor(), what };
        for plan in plans {
            let purpose = plan.letter.purpose();
            let composed = match &plan.staff_ref {
                None => {
                    // R51: nobody is written to about an anonymous complaint; nothing to record.
                    if case.no_contact_possible() {
                        continue;
                    }
                    match destination(case) {
                        Some(to) => self.compose(case, &plan.letter, to, at),
                        None => Err(NotQueuedReason::NoAddress),
                    }
                }
                Some(staff_ref) => {
                    let address = case
                        .records()
                        .staff_involved
                        .iter()
                        .find(|staff| &staff.staff_ref == staff_ref)
                        .and_then(|staff| staff.email.as_deref())
                        .and_then(|raw| EmailAddress::parse(raw).ok());
                    match address {
                        Some(address) => {
                            self.compose(case, &plan.letter, Destination::Email(Mailbox { name: None, address }), at)
                        }
                        None => Err(NotQueuedReason::NoAddress),
                    }
                }
            };
            match composed {
                Ok((message, delivery)) => {
                    queued.0.push(event(CaseEvent::MessageQueued { message_id: message.message_id.clone(), purpose }));
                    queued.2.push(LetterQueued {
                        message_id: message.message_id.clone(),
                        purpose,
                        delivery,
                        staff_ref: plan.staff_ref.clone(),
                    });
                    // Staff letters are not automatic messages: they never count against the
                    // per-recipient cap that protects intake from being used to flood an inbox.
                    queued.1.push(NewMessage { message, recipient_key: None });
                }
                Err(reason @ (NotQueuedReason::Template | NotQueuedReason::SenderConfiguration))
                    if plan.staff_ref.is_none() && plan.letter.carries_signposting() =>
                {
                    error!(purpose = purpose.as_str(), kind = ?reason, "signposting letter not composed; change refused");
                    return Err(ActionError::LetterNotComposed { purpose, reason });
                }
                Err(reason) => {
                    error!(purpose = purpose.as_str(), kind = ?reason, "letter not queued");
                    queued.0.push(event(CaseEvent::MessageNotQueued { purpose, reason }));
                }
            }
        }
        Ok(queued)
    }

    fn compose(
        &self,
        case: &Case,
        letter: &Letter,
        to: Destination,
        at: DateTime<Utc>,
    ) -> Result<(QueuedMessage, LetterDelivery), NotQueuedReason> {
        let from_address =
            EmailAddress::parse(&self.config.mail.from).map_err(|_| NotQueuedReason::SenderConfiguration)?;
        let reply_to = match &self.config.mail.reply_to {
            Some(raw) => Some(EmailAddress::parse(raw).map_err(|_| NotQueuedReason::SenderConfiguration)?),
            None => None,
        };
        let purpose = letter.purpose();
        let printed = matches!(to, Destination::Print(_));
        let child = !purpose.is_internal() && case.complaint().child == Some(ChildInvolvement::ChildComplainant);
        let context = self.context(case, letter, at, printed);
        let print = match &to {
            Destination::Print(print) => Some(print),
            Destination::Email(_) => None,
        };
        let rendered = match (letter, print) {
            (Letter::Acknowledgement, Some(print)) => {
                self.templates.acknowledgement_letter(case, self.config, &context.date, print)
            }
            (Letter::Acknowledgement, None) => self.templates.acknowledgement(case, self.config),
            _ => {
                let name = letter_name(purpose, child).ok_or(NotQueuedReason::Template)?;
                self.templates.letter(name, &context, print)
            }
        }
        .map_err(|error| {
            error!(purpose = purpose.as_str(), error = %error, "letter template failed");
            NotQueuedReason::Template
        })?;
        let organisation = Some(self.config.organisation.name.clone());
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let domain = from_address.as_str().rsplit_once('@').map_or("localhost", |(_, domain)| domain).to_owned();
        let message_id =
            format!("{}.{}.{nonce}@{domain}", case.reference().to_string().to_lowercase(), purpose.as_str());
        let (recipient, subject, text, delivery) = match to {
            Destination::Email(mailbox) => (mailbox, rendered.subject, rendered.text, LetterDelivery::Email),
            Destination::Print(print) => {
                // To the organisation itself: the HTML part is the letter to print and post.
                let mailbox = reply_to.clone().unwrap_or_else(|| from_address.clone());
                let addressee = print.address.as_deref().unwrap_or("the postal address in the case record");
                let text = format!(
                    "A letter to print and post, for complaint {}.\nPost it to: {}, {}.\nThe letter is the HTML part of this message (in the mail folder: the .html file beside it).\n\n{}",
                    case.reference(),
                    print.name.as_deref().unwrap_or("the complainant"),
                    addressee,
                    rendered.text
                );
                let subject = format!("Letter to print: {}", rendered.subject);
                (Mailbox { name: organisation.clone(), address: mailbox }, subject, text, LetterDelivery::Print)
            }
        };
        let email = OutboundEmail {
            message_id,
            date: at,
            from: Mailbox { name: organisation.clone(), address: from_address },
            reply_to: reply_to.map(|address| Mailbox { name: organisation, address }),
            to: vec![recipient],
            subject,
            text,
            html: rendered.html,
            auto_submitted: true,
            in_reply_to: None,
            case_ref: Some(case.reference().clone()),
        };
        let mut message = QueuedMessage::from_email(&email, purpose);
        if delivery == LetterDelivery::Print {
            message.raw = email.to_rfc5322_with(&[(DELIVERY_HEADER, PRINT_DELIVERY)]);
        }
        Ok((message, delivery))
    }

    /// The facts of `case` (after the change) a letter states.
    fn context(&self, case: &Case, letter: &Letter, at: DateTime<Utc>, printed: bool) -> LetterContext {
        let complaint = case.complaint();
        let internal = letter.purpose().is_internal();
        let recipient_name = if internal {
            None
        } else {
            complaint
                .complainant
                .as_ref()
                .map(|person| person.name.as_str())
                .filter(|name| looks_like_a_name(name))
                .map(|name| name.split_whitespace().collect::<Vec<_>>().join(" "))
        };
        let stage = match case.stage() {
            Stage::One => 1,
            Stage::Two => 2,
        };
        let stage2 = case.stage2();
        let points: Vec<PointContext> = stage2
            .and_then(|stage| stage.acknowledged.as_ref())
            .map(|ack| {
                let outcomes = stage2.and_then(|stage| stage.closure.as_ref()).map(|closure| &closure.point_outcomes);
                ack.points
                    .iter()
                    .enumerate()
                    .map(|(index, point)| PointContext {
                        summary: point.summary.clone(),
                        outcome_sought: point.outcome_sought.clone(),
                        outcome: outcomes.and_then(|all| all.get(index)).map(|outcome| words(*outcome)),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let outcome = match case.stage() {
            Stage::One => case.stage1().and_then(|stage| stage.closure.as_ref()).map(|closure| closure.outcome),
            Stage::Two => stage2.and_then(|stage| stage.closure.as_ref()).map(|closure| closure.outcome),
        };
        let override_reason =
            stage2.and_then(|stage| stage.closure.as_ref()).and_then(|closure| closure.override_reason.clone());
        let restriction = case.records().restrictions.last();
        let not_a_complaint = case.records().not_a_complaint.as_ref();
        let (note, reason, staff_part) = match letter {
            Letter::Stage1Response { note } | Letter::ProgressUpdate { note } | Letter::FinalResponse { note } => {
                (Some(note.clone()), None, None)
            }
            Letter::Extension { reason, .. }
            | Letter::PointsAmended { reason }
            | Letter::Reopened { reason }
            | Letter::ContactRestriction { reason } => (None, Some(reason.clone()), None),
            Letter::StaffClosureUpdate { part } => (None, None, part.clone()),
            Letter::Acknowledgement
            | Letter::Stage2Acknowledgement
            | Letter::WithdrawalConfirmation
            | Letter::NotAComplaint
            | Letter::FinalResponseStands
            | Letter::StaffNotice => (None, None, None),
        };
        let assignment = case.records().assignment.as_ref();
        LetterContext {
            reference: case.reference().to_string(),
            date: long_date(complaints_core::dates::today_in_scotland(at)),
            recipient_name,
            child: complaint.child == Some(ChildInvolvement::ChildComplainant),
            handler: case.handler().to_owned(),
            team: assignment.and_then(|assignment| assignment.team.clone()),
            stage,
            outcome: outcome.map(words),
            override_reason,
            note,
            escalation_deadline: case.escalation_deadline().map(long_date),
            escalation_months_after_event: ESCALATION_AFTER_EVENT_MONTHS,
            escalation_months_after_response: ESCALATION_AFTER_STAGE1_MONTHS,
            stage2_response_due: stage2.map(|stage| long_date(stage.current_response().due)),
            stage2_working_days: STAGE2_WORKING_DAYS,
            response_due: Some(long_date(case.response_due())),
            reason,
            points,
            directed_to: not_a_complaint.map(|record| record.directed_to.clone()),
            not_a_complaint_reason: not_a_complaint.map(|record| reason_words(record.reason).to_owned()),
            details: not_a_complaint.and_then(|record| record.details.clone()),
            restriction: restriction.map(|restriction| scope_words(&restriction.scope)),
            review_on: restriction.map(|restriction| long_date(restriction.review_on)),
            staff_part,
            support_at_stage2: case.stage() == Stage::Two,
            printed,
            organisation: OrganisationContext::from_config(self.config),
        }
    }
}

/// True when the complainant of `case` is written to on paper (see the module documentation).
pub(crate) fn prints(case: &Case) -> bool {
    matches!(destination(case), Some(Destination::Print(_)))
}

/// Where the complainant's letters go, if anywhere (see the module documentation).
fn destination(case: &Case) -> Option<Destination> {
    let complaint = case.complaint();
    let person = complaint.complainant.as_ref()?;
    let postal = case.records().intake_note.as_ref().and_then(|note| note.postal_address.clone());
    let name = looks_like_a_name(&person.name).then(|| person.name.trim().to_owned());
    let print = || Destination::Print(PrintContext { name: name.clone(), address: postal.clone() });
    if complaint.preferred_contact == Some(ContactMethod::Letter) {
        return Some(print());
    }
    match &person.email {
        Some(address) => Some(Destination::Email(Mailbox { name: name.clone(), address: address.clone() })),
        None if postal.is_some() => Some(print()),
        None => None,
    }
}

/// An outcome in plain words.
fn words(outcome: Outcome) -> String {
    outcome.as_str().replace('-', " ")
}

/// R4: why a contact is not a complaint, finishing "…because it is ___".
fn reason_words(reason: NotAComplaintReason) -> &'static str {
    match reason {
        NotAComplaintReason::RoutineServiceRequest => "a first request for a service",
        NotAComplaintReason::CompensationOnly => "a request for compensation only",
        NotAComplaintReason::CourtProceedings => "a matter that is, or has been, before a court",
        NotAComplaintReason::StatutoryAppeal => "a decision that has its own right of appeal",
        NotAComplaintReason::InformationRequest => "a request for information",
        NotAComplaintReason::ConcludedComplaint => "about a complaint we have already concluded",
        NotAComplaintReason::OtherProcedure => "a matter that another procedure deals with",
    }
}

/// R54: what a restriction limits, in plain words.
fn scope_words(scope: &RestrictionScope) -> String {
    match scope {
        RestrictionScope::Contact { allowed_channel, allowed_contact } => {
            let by = allowed_channel.map(|channel| match channel {
                Channel::Email => "by email".to_owned(),
                Channel::Phone => "by phone".to_owned(),
                Channel::Letter => "by letter".to_owned(),
                Channel::InPerson => "in person".to_owned(),
                other => format!("through {}", other.as_str().replace('-', " ")),
            });
            match (by, allowed_contact) {
                (Some(by), Some(contact)) => format!("please contact us only {by}, and only through {contact}"),
                (Some(by), None) => format!("please contact us only {by}"),
                (None, Some(contact)) => format!("please contact us only through {contact}"),
                (None, None) => "please contact us only as we have agreed with you".to_owned(),
            }
        }
        RestrictionScope::Subjects { subjects } => {
            format!("we will not reply to further contact about {subjects}")
        }
        RestrictionScope::ProcedureAccess => {
            "we will not take further complaints from you through our complaints procedure for now".to_owned()
        }
    }
}
