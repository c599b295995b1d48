//! Submission keys: making a confirmed form safe to send twice. The confirm page of every staff
//! form carries a random key; the action is written with a [`CaseEvent::ActionSubmitted`] entry
//! holding it, in the same transaction as the action, so a repeat (a double click, the browser's
//! "resubmit", a retry after a lost response) is recognised and answered "already done" with the
//! first outcome, instead of being done twice or refused as someone else's change. A logged
//! complaint uses intake's idempotency record instead (there is no case yet to write on).

use chrono::{DateTime, Utc};
use complaints_core::case::{CaseEvent, MessagePurpose, TimelineEvent, warnings};

use super::error::ActionError;
use super::letters;
use super::service::{ActionOutcome, LetterDelivery, LetterQueued, StaffActions};
use super::user::StaffUser;
use crate::ports::StoredCase;

/// The longest submission key kept (the workspace makes 64 hex digits).
pub const MAX_KEY_CHARS: usize = 100;

/// The key, when it looks like one (1 to [`MAX_KEY_CHARS`] letters, digits, `-` or `_`): anything
/// else is ignored, and the submission is then done without one.
#[must_use]
pub fn valid_key(raw: &str) -> Option<&str> {
    let key = raw.trim();
    (!key.is_empty()
        && key.chars().count() <= MAX_KEY_CHARS
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    .then_some(key)
}

/// Intake's idempotency key for a complaint a member of staff logs with submission key `key`:
/// per member of staff, so one officer's key can never return another's case.
#[must_use]
pub fn log_source_key(actor: &StaffUser, key: &str) -> String {
    format!("staff-log:{}:{key}", actor.id)
}

/// The entry written last with an action done under `key`.
pub(super) fn marker(
    actor: &StaffUser,
    at: DateTime<Utc>,
    action: &str,
    key: &str,
    letters: &[LetterQueued],
) -> TimelineEvent {
    TimelineEvent {
        at,
        actor: actor.actor(),
        what: CaseEvent::ActionSubmitted {
            action: action.to_owned(),
            key: key.to_owned(),
            message_ids: letters.iter().map(|letter| letter.message_id.clone()).collect(),
        },
    }
}

/// The submission `key` of `actor` on the case's timeline, if any: its action's name and the
/// letters it queued.
#[must_use]
pub fn find<'t>(
    timeline: &'t [TimelineEvent],
    actor_id: &str,
    key: &str,
) -> Option<(&'t TimelineEvent, &'t str, &'t [String])> {
    timeline.iter().rev().find_map(|event| match (&event.actor, &event.what) {
        (complaints_core::actor::Actor::Staff(id), CaseEvent::ActionSubmitted { action, key: done, message_ids })
            if id == actor_id && done == key =>
        {
            Some((event, action.as_str(), message_ids.as_slice()))
        }
        _ => None,
    })
}

impl StaffActions {
    /// The outcome of the action `actor` already did under `key` on `stored`'s case, when there
    /// is one: the case as it is now, the entries written with that action and its letters.
    pub(super) async fn already_done(
        &self,
        actor: &StaffUser,
        stored: &StoredCase,
        key: &str,
    ) -> Result<Option<ActionOutcome>, ActionError> {
        let reference = stored.case.reference().clone();
        let timeline = self.store.timeline(&reference).await?;
        let Some((marker, _, message_ids)) = find(&timeline, &actor.id, key) else { return Ok(None) };
        let events: Vec<TimelineEvent> =
            timeline.iter().filter(|event| event.at == marker.at && event.actor == marker.actor).cloned().collect();
        let prints = letters::prints(&stored.case);
        let letters = message_ids
            .iter()
            .map(|id| {
                let purpose = timeline
                    .iter()
                    .find_map(|event| match &event.what {
                        CaseEvent::MessageQueued { message_id, purpose } if message_id == id => Some(*purpose),
                        _ => None,
                    })
                    .unwrap_or(MessagePurpose::Acknowledgement);
                let internal = matches!(purpose, MessagePurpose::StaffNotice | MessagePurpose::StaffClosureUpdate);
                LetterQueued {
                    message_id: id.clone(),
                    purpose,
                    delivery: if prints && !internal { LetterDelivery::Print } else { LetterDelivery::Email },
                    staff_ref: None,
                }
            })
            .collect();
        tracing::info!("a repeated staff submission was answered with its first outcome");
        Ok(Some(ActionOutcome {
            reference,
            version: stored.version,
            status: stored.case.status(),
            warnings: warnings(&events).into_iter().cloned().collect(),
            case: stored.case.clone(),
            events,
            letters,
            repeated: true,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_keys_of_letters_digits_dashes_and_underscores_are_kept() {
        assert_eq!(valid_key(" 0a1B-c_d "), Some("0a1B-c_d"));
        assert_eq!(valid_key(""), None);
        assert_eq!(valid_key("a b"), None);
        assert_eq!(valid_key("a/b"), None);
        assert_eq!(valid_key(&"a".repeat(MAX_KEY_CHARS + 1)), None);
    }
}
