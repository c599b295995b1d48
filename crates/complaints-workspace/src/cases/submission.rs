//! The submission key of a confirm page, and the banner the case page shows after it.
//!
//! Every preview (and the log-a-complaint check page) carries a fresh random key in a hidden
//! field; confirming passes it to `StaffActions::perform_once` (or `log_complaint_once`), so a
//! second "Confirm" (a double click, "resubmit form?", a retry after a lost response) is answered
//! "this was already done" with the case page instead of doing it twice or showing a false
//! "someone else changed this case".
//!
//! The banner is derived from the case, never from the address: `?done=<key>` names the
//! submission, and the page shows "done" (with the number of letters) only for that key's entry
//! on the timeline, made by the member of staff looking, within the last [`BANNER_MINUTES`]
//! minutes. A made-up address shows nothing, and an old bookmark shows nothing.

use chrono::{DateTime, Duration, Utc};
use complaints_app::staff::submissions;
use complaints_core::actor::Actor;
use complaints_core::case::{CaseEvent, TimelineEvent};
use serde::Deserialize;

use super::actions::SPECS;
use super::fields::Answers;

/// The hidden field the key travels in.
pub const FIELD: &str = "submission";
/// How long after the action its banner still shows.
pub const BANNER_MINUTES: i64 = 30;

/// What the case page's address says about a submission just made (nothing personal): the
/// submission key, or `log`; `again=yes` when it was a repeat.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Done {
    pub done: String,
    pub again: String,
}

/// A fresh key for a confirm page, or `None` when the system has no randomness (the form then
/// works as before, without protection against a second confirm).
#[must_use]
pub fn new_key() -> Option<String> {
    crate::auth::tokens::random_hex().ok()
}

/// The key a confirm posted, when it is one.
#[must_use]
pub fn posted(answers: &Answers) -> Option<&str> {
    answers.get(FIELD).and_then(|raw| submissions::valid_key(raw))
}

/// The hidden fields of a confirm page: the answers (less the form's own fields and any old key)
/// and a fresh key.
#[must_use]
pub fn hidden_fields(answers: &Answers, own: &[&str]) -> Vec<(String, String)> {
    let mut hidden: Vec<(String, String)> = answers
        .iter()
        .filter(|(k, _)| k.as_str() != FIELD && !own.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if let Some(key) = new_key() {
        hidden.push((FIELD.to_owned(), key));
    }
    hidden
}

/// The path of the case page after a confirmed action: `?done=<key>` (and `&again=yes` for a
/// repeat); without a key, the plain case page.
#[must_use]
pub fn done_path(case_path: &str, key: Option<&str>, repeated: bool) -> String {
    match (key, repeated) {
        (Some(key), false) => format!("{case_path}?done={key}"),
        (Some(key), true) => format!("{case_path}?done={key}&again=yes"),
        (None, _) => case_path.to_owned(),
    }
}

/// " 1 letter was sent." and the like; `then` for a repeat ("… sent then.").
fn letters_sent(count: usize, then: bool) -> String {
    let then = if then { " then" } else { "" };
    match count {
        0 => String::new(),
        1 => format!(" 1 letter was sent{then}."),
        n => format!(" {n} letters were sent{then}."),
    }
}

/// The banner for `done`, as the case's `timeline` bears it out for `me` at `now`.
#[must_use]
pub fn banner(timeline: &[TimelineEvent], me: &str, done: &Done, now: DateTime<Utc>) -> Option<String> {
    let recent = |at: DateTime<Utc>| at <= now && now - at <= Duration::minutes(BANNER_MINUTES);
    let again = done.again == "yes";
    if done.done == "log" {
        // The case was opened by me, lately.
        timeline.first().filter(|event| event.actor == Actor::Staff(me.to_owned()) && recent(event.at))?;
        return Some(if again {
            "This complaint was already logged when you first confirmed it. Nothing was logged or sent again."
                .to_owned()
        } else {
            "The complaint was logged.".to_owned()
        });
    }
    let key = submissions::valid_key(&done.done)?;
    let (event, action, message_ids) = submissions::find(timeline, me, key)?;
    if !recent(event.at) {
        return None;
    }
    let title = SPECS.iter().find(|spec| spec.name == action).map_or(action, |spec| spec.title);
    let letters = letters_sent(message_ids.len(), again);
    Some(if again {
        format!(
            "This was already done: “{title}” was saved when you first confirmed it, and nothing was done again.{letters}"
        )
    } else {
        format!("{title}: done.{letters}")
    })
}

/// True when `event` is a submission marker (kept off the case page's timeline: it is how a
/// repeat is recognised, not something that happened to the complaint).
#[must_use]
pub fn is_marker(event: &TimelineEvent) -> bool {
    matches!(event.what, CaseEvent::ActionSubmitted { .. })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(actor: &str, at: &str, key: &str, letters: usize) -> TimelineEvent {
        TimelineEvent {
            at: at.parse().expect("instant"),
            actor: Actor::Staff(actor.to_owned()),
            what: CaseEvent::ActionSubmitted {
                action: "respond".to_owned(),
                key: key.to_owned(),
                message_ids: (0..letters).map(|i| format!("m{i}")).collect(),
            },
        }
    }

    #[test]
    fn the_banner_comes_from_my_recent_submission_on_the_timeline_and_not_from_the_address() {
        let now: DateTime<Utc> = "2026-12-01T10:10:00Z".parse().expect("instant");
        let timeline = [marked("hana", "2026-12-01T10:00:00Z", "k1", 1)];
        let done = |key: &str| Done { done: key.to_owned(), again: String::new() };
        assert_eq!(
            banner(&timeline, "hana", &done("k1"), now).as_deref(),
            Some("Record the stage 1 response: done. 1 letter was sent.")
        );
        assert_eq!(banner(&timeline, "hana", &done("respond"), now), None, "an action name is not a key on the case");
        assert_eq!(banner(&timeline, "mo", &done("k1"), now), None, "someone else's submission");
        let later = now + Duration::minutes(BANNER_MINUTES + 1);
        assert_eq!(banner(&timeline, "hana", &done("k1"), later), None, "an old bookmark");
    }
}
