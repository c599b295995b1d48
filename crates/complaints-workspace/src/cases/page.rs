//! `GET /staff/cases/{reference}`: the case page (the breach-scan digest emails link here). The
//! summary, each clock with its due date and working days left or over, the actions the signed-in
//! role may take, the timeline (with "viewed by" entries from the audit log merged in by time),
//! the correspondence received and the letters sent.
//!
//! Opening the page is a read: `StaffActions::view` records it in the audit log (R57) and does not
//! bump the case's version (so a colleague's form stays valid); the page then reads the audit
//! entries back to show who viewed the case.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use complaints_app::queries::{StatusFilter, service_area_of};
use complaints_app::staff::{Access, CaseView};
use complaints_core::actor::Actor;
use complaints_core::case::{CaseEvent, TimelineEvent};
use complaints_core::dates::{long_date, today_in_scotland};
use complaints_core::reference::CaseRef;
use complaints_core::roles::Permission;
use minijinja::context;
use serde::Serialize;

use super::actions::{self, SPECS};
use super::display::{channel_words, clock_row, moment, purpose_words, stage_words, status_tone, status_words};
use super::{PAGES, failure_page};
use crate::WorkspaceState;
use crate::layout::{PageFrame, Section};
use crate::session::SignedIn;

/// One line of the summary list.
#[derive(Debug, Serialize)]
struct Row {
    key: &'static str,
    value: String,
}

/// One entry of the timeline.
#[derive(Debug, Serialize)]
struct Entry {
    #[serde(skip)]
    at: DateTime<Utc>,
    when: String,
    iso: String,
    who: String,
    title: String,
    details: Vec<(String, String)>,
    view: bool,
}

/// A letter sent (or queued) on the case.
#[derive(Debug, Serialize)]
struct LetterRow {
    when: String,
    purpose: String,
    state: &'static str,
    to: String,
    subject: String,
    text: String,
}

/// A message received on the case.
#[derive(Debug, Serialize)]
struct Received {
    when: String,
    how: String,
    text: String,
}

/// The success banner after an action: `?done=<submission key>` (nothing personal), shown only
/// as the timeline bears it out ([`super::submission::banner`]).
pub use super::submission::Done;

/// Who did something, in words.
fn who(actor: &Actor, me: &str) -> String {
    match actor {
        Actor::System => "the service".to_owned(),
        Actor::Complainant => "the complainant".to_owned(),
        Actor::Staff(id) if id == me => format!("{id} (you)"),
        Actor::Staff(id) => id.clone(),
    }
}

/// `stage1-closed` → `Stage 1 closed`.
pub(crate) fn words(tag: &str) -> String {
    let text = tag.replace("stage1", "stage 1").replace("stage2", "stage 2").replace("spso", "SPSO").replace('-', " ");
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn scalar(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Null => "–".to_owned(),
        serde_json::Value::Bool(yes) => if *yes { "yes" } else { "no" }.to_owned(),
        other => other.to_string(),
    }
}

/// An event's title and its facts, from its serialised form (so every event type shows, including
/// ones added later, without a list here to keep in step).
fn describe(what: &CaseEvent) -> (String, Vec<(String, String)>) {
    let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(what) else {
        return ("Event".to_owned(), Vec::new());
    };
    let title = fields.get("type").and_then(|t| t.as_str()).map(words).unwrap_or_default();
    let mut details = Vec::new();
    for (key, value) in &fields {
        if key == "type" || key == "message_id" || key == "raw_key" {
            continue;
        }
        match value {
            serde_json::Value::Object(inner) => {
                for (inner_key, inner_value) in inner {
                    if !inner_value.is_object() && !inner_value.is_array() && inner_key != "raw_key" {
                        details.push((words(&inner_key.replace('_', " ")), scalar(inner_value)));
                    }
                }
            }
            serde_json::Value::Array(items) => {
                details.push((words(&key.replace('_', " ")), items.iter().map(scalar).collect::<Vec<_>>().join("; ")));
            }
            other => details.push((words(&key.replace('_', " ")), scalar(other))),
        }
    }
    (title, details)
}

fn summary(view: &CaseView) -> Vec<Row> {
    let case = &view.case;
    let complaint = case.complaint();
    let mut rows = vec![
        Row { key: "Reference", value: view.reference.to_string() },
        Row { key: "Stage", value: stage_words(view.stage).to_owned() },
        Row { key: "Handler", value: view.handler.clone() },
        Row { key: "Service area", value: service_area_of(case).to_owned() },
        Row {
            key: "Received",
            value: format!("{} by {}", moment(case.received_at()), channel_words(complaint.channel)),
        },
    ];
    match &complaint.complainant {
        Some(person) => {
            rows.push(Row { key: "Complainant", value: person.name.clone() });
            if let Some(email) = &person.email {
                rows.push(Row { key: "Email", value: email.to_string() });
            }
            if let Some(phone) = &person.phone {
                rows.push(Row { key: "Phone", value: phone.clone() });
            }
        }
        None => rows.push(Row { key: "Complainant", value: "Anonymous: nobody can be written to (R51)".to_owned() }),
    }
    if let Some(note) = &case.records().intake_note {
        if let Some(address) = &note.postal_address {
            rows.push(Row { key: "Postal address", value: address.clone() });
        }
        rows.push(Row { key: "Note taken by staff", value: format!("{} (by {})", note.note, note.noted_by) });
    }
    rows.push(Row { key: "What happened", value: complaint.description.clone() });
    if let Some(outcome) = &complaint.outcome_sought {
        rows.push(Row { key: "Outcome sought", value: outcome.clone() });
    }
    if let Some(adjustments) = &complaint.adjustments {
        rows.push(Row { key: "Help or changes asked for", value: adjustments.clone() });
    }
    if let Some(date) = complaint.event_date {
        rows.push(Row { key: "When it happened", value: long_date(date) });
    }
    if let Some(ack) = case.stage2().and_then(|s| s.acknowledged.as_ref()) {
        let points = ack
            .points
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{}. {} (outcome sought: {})", i + 1, p.summary, p.outcome_sought))
            .collect::<Vec<_>>()
            .join("\n");
        rows.push(Row { key: "Points of complaint", value: points });
    }
    rows
}

async fn letters(state: &WorkspaceState, timeline: &[TimelineEvent]) -> Vec<LetterRow> {
    let mut rows = Vec::new();
    for event in timeline {
        let CaseEvent::MessageQueued { message_id, purpose } = &event.what else { continue };
        let done = timeline.iter().find_map(|later| match &later.what {
            CaseEvent::MessageSent { message_id: id, .. } if id == message_id => Some("Sent"),
            CaseEvent::MessageUndeliverable { message_id: id, .. } if id == message_id => {
                Some("Could not be delivered")
            }
            _ => None,
        });
        let (to, subject, text) = match state.staff.store.message(message_id).await {
            Ok(Some(stored)) => actions::letter_text(&stored.message),
            _ => (String::new(), String::new(), String::new()),
        };
        rows.push(LetterRow {
            when: moment(event.at),
            purpose: purpose_words(*purpose),
            state: done.unwrap_or("Waiting to be sent"),
            to,
            subject,
            text,
        });
    }
    rows
}

fn received(timeline: &[TimelineEvent]) -> Vec<Received> {
    timeline
        .iter()
        .filter_map(|event| match &event.what {
            CaseEvent::EmailReceived { email } => Some(Received {
                when: moment(event.at),
                how: if email.on_closed_case { "Email (after the case closed)" } else { "Email" }.to_owned(),
                text: email.reply_text.clone().unwrap_or_else(|| "The email that opened the case.".to_owned()),
            }),
            CaseEvent::SocialMessageReceived { channel, text, .. } => Some(Received {
                when: moment(event.at),
                how: channel_words(*channel).to_owned(),
                // Messages taken in before their text was recorded on the case say where it is.
                text: text
                    .clone()
                    .unwrap_or_else(|| "A further private message (kept with the case's deliveries).".to_owned()),
            }),
            CaseEvent::CorrespondenceAfterFinalResponse { .. } => Some(Received {
                when: moment(event.at),
                how: "After the final response".to_owned(),
                text: "The customer wrote again after the final response (R40).".to_owned(),
            }),
            _ => None,
        })
        .collect()
}

/// `GET /staff/cases/{reference}`.
pub async fn show(
    State(state): State<WorkspaceState>,
    signed_in: SignedIn,
    Path(reference): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    let Ok(reference) = reference.parse::<CaseRef>() else { return super::not_found(&state, &signed_in) };
    let user = &signed_in.user;
    let view = match state.staff.view(user, &reference).await {
        Ok(view) => view,
        Err(error) => return failure_page(&state, &signed_in, Some(&reference), &error),
    };
    let today = today_in_scotland(state.staff.clock.now());
    let calendar = &state.staff.calendar;
    let mut entries: Vec<Entry> = view
        .timeline
        .iter()
        .filter(|event| !super::submission::is_marker(event))
        .map(|event| {
            let (title, details) = describe(&event.what);
            Entry {
                at: event.at,
                when: moment(event.at),
                iso: event.at.to_rfc3339(),
                who: who(&event.actor, &user.id),
                title,
                details,
                view: false,
            }
        })
        .collect();
    // Views come from the audit log (a read does not touch the case); a log that cannot be read
    // back leaves them out rather than failing the page.
    match state.staff.audit.entries_for(&reference).await {
        Ok(audit) => entries.extend(
            audit.into_iter().filter(|e| e.access == Access::Read && e.permission == Permission::ViewCase).map(|e| {
                Entry {
                    at: e.at,
                    when: moment(e.at),
                    iso: e.at.to_rfc3339(),
                    who: who(&Actor::Staff(e.actor.clone()), &user.id),
                    title: "Viewed".to_owned(),
                    details: Vec::new(),
                    view: true,
                }
            }),
        ),
        Err(error) => tracing::warn!(error = %error, "views not read back from the audit log"),
    }
    entries.sort_by_key(|entry| entry.at);
    let clocks: Vec<_> = view.clocks.iter().map(|clock| clock_row(calendar, clock, today)).collect();
    // The actions the role may take and the case's state permits (the core decides, with the
    // same check its refusals come from); the stage actions first (they move the case on), then
    // the other records.
    let link =
        |spec: &actions::Spec| context! { href => actions::action_path(&reference, spec.name), title => spec.title };
    let may_change = SPECS.iter().any(|spec| user.may(spec.permission));
    let allowed: Vec<&actions::Spec> = SPECS
        .iter()
        .filter(|spec| user.may(spec.permission) && state.staff.state_permits(&view.case, spec.name))
        .collect();
    let (handling, records): (Vec<_>, Vec<_>) =
        allowed.into_iter().partition(|spec| actions::moves_the_case(spec.name));
    let handling: Vec<_> = handling.into_iter().map(link).collect();
    let records: Vec<_> = records.into_iter().map(link).collect();
    let banner = super::submission::banner(&view.timeline, &user.id, &done, state.staff.clock.now());
    let mut frame = PageFrame::new(&state, Some(&signed_in), Section::Cases);
    if let Some(banner) = banner {
        frame = frame.with_banner(banner);
    }
    let status = StatusFilter::of(view.status);
    PAGES.render(
        StatusCode::OK,
        "case.html",
        &frame,
        context! {
            reference => view.reference.to_string(),
            status => status_words(status),
            tone => status_tone(view.status),
            version => view.version,
            summary => crate::layout::ser(summary(&view)),
            clocks => crate::layout::ser(&clocks),
            handling,
            records,
            may_change,
            timeline => crate::layout::ser(&entries),
            letters => crate::layout::ser(letters(&state, &view.timeline).await),
            received => crate::layout::ser(received(&view.timeline)),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_social_message_shows_its_text_and_an_older_one_says_where_it_is_kept() {
        let message = |text: Option<&str>| TimelineEvent {
            at: "2026-12-01T10:00:00Z".parse().expect("an instant"),
            actor: complaints_core::actor::Actor::Complainant,
            what: CaseEvent::SocialMessageReceived {
                channel: complaints_core::complaint::Channel::Messenger,
                message_ref: "m-1".to_owned(),
                raw_key: "social/raw/m-1.json".to_owned(),
                text: text.map(str::to_owned),
            },
        };
        let rows = received(&[message(Some("The bin was missed again.")), message(None)]);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].text, "The bin was missed again.");
        assert!(rows[1].text.contains("kept with the case's deliveries"), "{}", rows[1].text);
    }

    #[test]
    fn event_names_read_as_words() {
        assert_eq!(words("stage1-closed"), "Stage 1 closed");
        assert_eq!(words("referred-to-spso"), "Referred to SPSO");
    }
}
