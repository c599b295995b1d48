//! Logging a complaint staff took in (R3, R44), checked and previewed before it is logged: the
//! checks [`StaffActions::log_complaint`] runs (the channel, the note, the received-at moment, and
//! the core's intake rules through `ComplaintDraft::validate`: a representative needs the person's
//! consent (R52), a child's involvement (R56)…), and the acknowledgement it would send, composed
//! by the code that sends it (by email through intake, on paper through the staff letters) from
//! the case as it would open. Nothing is written: not the case, not the mail, not the audit log
//! (a refused attempt is, as for every action).

use chrono::{DateTime, NaiveDate, Utc};
use complaints_core::case::{Case, MessagePurpose, NotQueuedReason, Rules, Status};
use complaints_core::command::Command;
use complaints_core::complaint::{Complainant, ComplaintDraft, ContactMethod, EmailAddress, IntakeRoute, NewComplaint};
use complaints_core::dates::today_in_scotland;
use complaints_core::roles::Permission;

use super::action::LogComplaint;
use super::error::ActionError;
use super::letters::{self, Letter, LetterPlan};
use super::preview::LetterPreview;
use super::service::{LetterDelivery, StaffActions};
use super::user::StaffUser;

/// A logged complaint after its checks: what `log_complaint` opens and how it acknowledges it.
pub(super) struct PreparedLog {
    pub complaint: NewComplaint,
    /// When it was received (the clocks run from here, R8), never after it is logged.
    pub received_at: DateTime<Utc>,
    pub postal_address: Option<String>,
    pub note: String,
    /// R55: acknowledged on paper (prefers letters, or gave only a postal address).
    pub on_paper: bool,
}

/// What logging the complaint would do: when its clock starts, what is due when, and the
/// acknowledgement exactly as it would go (under the provisional reference: the real one is
/// given when it is logged), or why none goes.
#[derive(Debug, Clone)]
pub struct LogPreview {
    pub received_at: DateTime<Utc>,
    /// The effective receipt date (R8): the day the clocks count from.
    pub received_on: NaiveDate,
    pub status: Status,
    /// The first response due date (stage 1, or stage 2 when it goes straight there).
    pub response_due: NaiveDate,
    /// The reference the letter shows until the store numbers the case.
    pub provisional_reference: String,
    pub letters: Vec<LetterPreview>,
    /// Why no acknowledgement goes, when none does and someone could be written to.
    pub not_sent: Option<NotQueuedReason>,
    /// R51: an anonymous complaint is acknowledged to nobody.
    pub anonymous: bool,
}

impl StaffActions {
    /// The checks of a complaint staff log, at `at` (the moment it is logged).
    ///
    /// # Errors
    /// [`ActionError::Invalid`] naming what is wrong: a text over its length limit, the channel,
    /// a blank note, a received-at moment after `at`, an email address that is not one, and
    /// every intake problem the core finds (joined by "; ").
    pub(super) fn prepare_log(&self, complaint: LogComplaint, at: DateTime<Utc>) -> Result<PreparedLog, ActionError> {
        // Here, not in `log_complaint_once` alone, so the check page refuses what confirm would.
        super::text_limits::check(&complaint)?;
        if !complaint.channel.is_staff_logged() {
            return Err(ActionError::Invalid(
                "channel: staff log complaints received by phone, in person or by letter".to_owned(),
            ));
        }
        if complaint.note.trim().is_empty() {
            return Err(ActionError::Invalid("note: give the note of the conversation".to_owned()));
        }
        let received_at = complaint.received_at.unwrap_or(at);
        if received_at > at {
            return Err(ActionError::Invalid("received_at: must not be after the moment it is logged".to_owned()));
        }
        let email = match complaint.email.as_deref().map(str::trim).filter(|raw| !raw.is_empty()) {
            Some(raw) => {
                Some(EmailAddress::parse(raw).map_err(|error| ActionError::Invalid(format!("email: {error}")))?)
            }
            None => None,
        };
        let complainant =
            complaint.name.as_deref().map(str::trim).filter(|name| !name.is_empty()).map(|name| Complainant {
                name: name.to_owned(),
                email,
                phone: complaint.phone.clone().filter(|phone| !phone.trim().is_empty()),
                handle: None,
            });
        let draft = ComplaintDraft {
            channel: complaint.channel,
            complainant,
            service_area: complaint.service_area,
            description: complaint.description,
            event_date: complaint.event_date,
            awareness_date: complaint.awareness_date,
            outcome_sought: complaint.outcome_sought,
            preferred_contact: complaint.preferred_contact,
            adjustments: complaint.adjustments,
            representation: complaint.representation,
            child: complaint.child,
            source_ref: None,
            route: match complaint.direct_stage2_reason {
                Some(reason) => IntakeRoute::DirectStage2 { reason },
                None => IntakeRoute::Stage1,
            },
        };
        let validated = draft.validate(today_in_scotland(received_at)).map_err(|problems| {
            ActionError::Invalid(problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))
        })?;
        let postal_address = complaint.postal_address.filter(|address| !address.trim().is_empty());
        // R55: a complainant who prefers letters (or gave only a postal address) is acknowledged
        // on paper, queued right after the case is created; intake acknowledges the others by email.
        let on_paper = validated.complainant.as_ref().is_some_and(|person| {
            validated.preferred_contact == Some(ContactMethod::Letter)
                || (person.email.is_none() && postal_address.is_some())
        });
        Ok(PreparedLog { complaint: validated, received_at, postal_address, note: complaint.note, on_paper })
    }

    /// What [`StaffActions::log_complaint`] would do with the same arguments, without doing it:
    /// the same role check and the same checks, then the case opened in memory (with the note)
    /// and its acknowledgement composed by the code that sends it.
    ///
    /// # Errors
    /// Exactly the errors `log_complaint` would answer with before it writes: forbidden, the
    /// complaint's problems; [`ActionError::Invalid`] for an organisation configuration that
    /// cannot number cases.
    pub async fn preview_log(
        &self,
        actor: &StaffUser,
        complaint: LogComplaint,
        at: Option<DateTime<Utc>>,
    ) -> Result<LogPreview, ActionError> {
        let at = at.unwrap_or_else(|| self.clock.now());
        self.allow(actor, Permission::LogComplaint, "log", None, at).await?;
        let PreparedLog { complaint, received_at, postal_address, note, on_paper } = self.prepare_log(complaint, at)?;
        let anonymous = complaint.is_anonymous();
        let intake = self.intake();
        let (case, _) = intake
            .open_provisional(complaint, received_at, actor.actor())
            .map_err(|error| ActionError::Invalid(format!("organisation configuration: {error}")))?;
        // The note and the postal address, as `log_complaint` records them before the letter.
        let rules = Rules { calendar: &self.calendar, policy: &self.config.procedure };
        let case: Case =
            match case.apply(Command::NoteIntake { note, postal_address }, received_at, actor.actor(), rules) {
                Ok((noted, _)) => noted,
                Err(_) => case,
            };
        let mut letters = Vec::new();
        let mut not_sent = None;
        if on_paper {
            if letters::prints(&case) {
                let plans = vec![LetterPlan::citizen(Letter::Acknowledgement)];
                let (_, messages, queued) = self.letters().queue(&case, plans, received_at, actor)?;
                letters.extend(queued.into_iter().zip(messages).map(|(letter, new)| LetterPreview {
                    purpose: letter.purpose,
                    delivery: letter.delivery,
                    staff_ref: letter.staff_ref,
                    message: new.message,
                }));
            }
        } else {
            match intake.preview_acknowledgement(&case, received_at) {
                Some(Ok(message)) => letters.push(LetterPreview {
                    purpose: MessagePurpose::Acknowledgement,
                    delivery: LetterDelivery::Email,
                    staff_ref: None,
                    message,
                }),
                Some(Err(reason)) => not_sent = Some(reason),
                None if !anonymous => not_sent = Some(NotQueuedReason::NoAddress),
                None => {}
            }
        }
        Ok(LogPreview {
            received_at,
            received_on: case.received_on(),
            status: case.status(),
            response_due: case.response_due(),
            provisional_reference: case.reference().to_string(),
            letters,
            not_sent,
            anonymous,
        })
    }
}
