//! The letters an action would send, without sending them or changing the case: the staff
//! workspace shows them before the member of staff confirms. It runs the very path
//! [`StaffActions::perform`] runs (load → role check → the core's state machine → compose the
//! letters) and stops before the store is written, so a preview and the real action can never
//! disagree about the rules or the wording. Nothing is recorded: not the case, not the mail, not
//! the audit log (a refused attempt is, as for every action).

use chrono::{DateTime, Utc};
use complaints_core::case::{CaseEvent, MessagePurpose, NotQueuedReason, Status, Warning, warnings};
use complaints_core::reference::CaseRef;
use complaints_mail::QueuedMessage;

use super::action::StaffAction;
use super::error::ActionError;
use super::service::{LetterDelivery, Plan, StaffActions};
use super::user::StaffUser;

/// One letter the action would send, composed exactly as it would go.
#[derive(Debug, Clone)]
pub struct LetterPreview {
    pub purpose: MessagePurpose,
    pub delivery: LetterDelivery,
    /// `None` for the complainant; the staff reference for an internal notice (R59).
    pub staff_ref: Option<String>,
    /// The whole message (headers, text and HTML parts), as it would be queued.
    pub message: QueuedMessage,
}

/// What an action would do: the case's status after it, the letters, the letters that could not
/// be written (no address: staff tell the person another way), and warnings (R15, R16).
#[derive(Debug, Clone)]
pub struct ActionPreview {
    pub reference: CaseRef,
    /// The version the preview was made from: confirm with it as the expected version.
    pub version: u64,
    pub status: Status,
    pub letters: Vec<LetterPreview>,
    pub not_sent: Vec<(MessagePurpose, NotQueuedReason)>,
    pub warnings: Vec<Warning>,
}

impl StaffActions {
    /// What [`StaffActions::perform`] would do with the same arguments, without doing it.
    ///
    /// # Errors
    /// Exactly the errors `perform` would answer with: forbidden, not found, conflict (a stale
    /// `expected_version`), refused by a rule (named), bad input, a letter that cannot be written.
    pub async fn preview(
        &self,
        actor: &StaffUser,
        reference: &CaseRef,
        expected_version: Option<u64>,
        action: StaffAction,
        at: Option<DateTime<Utc>>,
    ) -> Result<ActionPreview, ActionError> {
        let at = at.unwrap_or_else(|| self.clock.now());
        self.allow(actor, action.permission(), action.name(), Some(reference), at).await?;
        let stored = self.store.get(reference).await?;
        if let Some(expected) = expected_version
            && expected != stored.version
        {
            return Err(ActionError::Conflict { current_version: Some(stored.version) });
        }
        let Plan { case, mut events, letters } = self.plan(actor, &stored.case, action, at)?;
        let (letter_events, messages, queued) = self.letters().queue(&case, letters, at, actor)?;
        events.extend(letter_events);
        let not_sent = events
            .iter()
            .filter_map(|event| match &event.what {
                CaseEvent::MessageNotQueued { purpose, reason } => Some((*purpose, *reason)),
                _ => None,
            })
            .collect();
        // `queue` answers the summaries and the messages in the same order.
        let letters = queued
            .into_iter()
            .zip(messages)
            .map(|(letter, new)| LetterPreview {
                purpose: letter.purpose,
                delivery: letter.delivery,
                staff_ref: letter.staff_ref,
                message: new.message,
            })
            .collect();
        Ok(ActionPreview {
            reference: reference.clone(),
            version: stored.version,
            status: case.status(),
            letters,
            not_sent,
            warnings: warnings(&events).into_iter().cloned().collect(),
        })
    }
}
