//! The two further sections of `/staff/flagged`: mail email intake kept without a case (robots,
//! rejections, bounces naming no message of ours; read only, it expires with its raw message) and
//! social items kept for staff (quarantine, triage, failed attachments), each with a form to mark
//! it dealt with. Rows hold what the records hold: codes, times, references, and for held mail
//! the sender and subject (escaped by the templates), never message text.

use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use complaints_app::held_mail::HeldMail;
use complaints_app::ports::StoreError;
use complaints_app::staff_items::{StaffItem, StaffItemKind};
use complaints_core::reference::CaseRef;
use complaints_core::roles::Permission;
use serde::{Deserialize, Serialize};

use super::{audit_change, csrf_refused, role_refused, store_failed, view};
use crate::WorkspaceState;
use crate::session::SignedIn;

/// The most held messages and staff items shown (newest first); the page says when there may be more.
pub(super) const SHOWN: usize = 50;

/// One held message.
#[derive(Debug, Serialize)]
pub(super) struct HeldRow {
    received_at: String,
    outcome: &'static str,
    reason: String,
    from: Option<String>,
    subject: String,
}

impl HeldRow {
    fn of(mail: &HeldMail) -> Self {
        let outcome = match mail.outcome.as_str() {
            "robot" => "From a robot",
            "rejected" => "Rejected",
            "bounce" => "Bounce for no case",
            _ => "Held",
        };
        Self {
            received_at: when(mail.received_at),
            outcome,
            reason: mail.reason.clone(),
            from: mail.from.clone(),
            subject: mail.subject.clone(),
        }
    }
}

/// One open social item.
#[derive(Debug, Serialize)]
pub(super) struct ItemRow {
    id: String,
    received_at: String,
    label: &'static str,
    source: String,
    reason: String,
    reference: Option<String>,
}

impl ItemRow {
    fn of(item: &StaffItem) -> Self {
        let label = match item.kind {
            StaffItemKind::Quarantine => "Quarantined social message",
            StaffItemKind::Triage => "Social mention to triage",
            StaffItemKind::AttachmentFailed => "Attachment could not be fetched",
        };
        Self {
            id: item.id.clone(),
            received_at: when(item.received_at),
            label,
            source: item.source.clone(),
            reason: item.reason.clone(),
            reference: item.case_ref.clone(),
        }
    }
}

fn when(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true).replace('T', " ")
}

/// The held mail not expired at `now` and the open staff items, newest first, at most [`SHOWN`] each.
pub(super) async fn rows(
    state: &WorkspaceState,
    now: DateTime<Utc>,
) -> Result<(Vec<HeldRow>, Vec<ItemRow>), StoreError> {
    let held = state.held_mail.held_mail(now, SHOWN).await?;
    let items = state.staff_items.open_staff_items(SHOWN).await?;
    Ok((held.iter().map(HeldRow::of).collect(), items.iter().map(ItemRow::of).collect()))
}

/// The "dealt with" form of a staff item.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ItemForm {
    csrf: String,
    id: String,
}

/// `POST /staff/flagged/item`: marks a social item dealt with (the same role as a flag).
pub(super) async fn deal(
    State(state): State<WorkspaceState>,
    signed_in: SignedIn,
    Form(form): Form<ItemForm>,
) -> Response {
    if !signed_in.check_csrf(&form.csrf) {
        return csrf_refused(&state, &signed_in);
    }
    if !signed_in.user.may(Permission::ClearFlag) {
        return role_refused(&state, &signed_in, "mark flagged items as dealt with");
    }
    let at = state.staff.clock.now();
    let id = form.id.trim();
    // The item as stored, not as the form says: the audit entry names the case it concerns.
    let item = match state.staff_items.staff_item(id).await {
        Ok(item) => item,
        Err(error) => return store_failed(&state, &signed_in, &error),
    };
    match state.staff_items.resolve_staff_item(id, &signed_in.user.id, at).await {
        Ok(true) => {
            let (action, reference) = dealt_with_entry(item.as_ref());
            audit_change(&state, &signed_in, Permission::ClearFlag, action, reference).await;
            view::no_store(Redirect::to(&format!("{}/flagged?notice=dealt", crate::PREFIX)).into_response())
        }
        // Already dealt with (by someone else, or a second click): nothing to do.
        Ok(false) => view::no_store(Redirect::to(&format!("{}/flagged?notice=gone", crate::PREFIX)).into_response()),
        Err(error) => store_failed(&state, &signed_in, &error),
    }
}

/// The audit entry's action and case for a staff item marked dealt with (R57): the case it
/// concerns when it has one, else an action that says it has none, so a reader of the log never
/// wonders whether the case was left out.
fn dealt_with_entry(item: Option<&StaffItem>) -> (&'static str, Option<CaseRef>) {
    match item.and_then(|item| item.case_ref.as_deref()).and_then(|text| text.parse::<CaseRef>().ok()) {
        Some(reference) => (DEALT_WITH, Some(reference)),
        None => (DEALT_WITH_NO_CASE, None),
    }
}

/// The audit action of a staff item dealt with that concerns a case (named in the entry).
pub const DEALT_WITH: &str = "staff-item-dealt-with";
/// The audit action of a staff item dealt with that concerns no case.
pub const DEALT_WITH_NO_CASE: &str = "staff-item-dealt-with:no-case";
