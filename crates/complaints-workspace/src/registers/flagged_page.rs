//! `/staff/flagged`: everything flagged for staff and not dealt with yet, oldest first, a page at
//! a time (the register's sparse index of open items; see `complaints_app::flagged`), each with a
//! form to mark it dealt with and say what was done; then the mail and social items kept for
//! staff without a flag (`super::kept_items`).

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::SecondsFormat;
use complaints_app::flagged::{self, FlagError, FlaggedItem};
use complaints_core::roles::Permission;
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::{FieldError, audit_change, audit_read, csrf_refused, role_refused, store_failed, user_value, view};
use crate::WorkspaceState;
use crate::layout::Section;
use crate::session::SignedIn;

/// Items per page.
const PAGE: usize = 25;

/// `?after=<id>` (the previous page's last item: a reference, a time and a code) and `?notice=`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Paging {
    after: String,
    notice: String,
}

/// The "dealt with" form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct DealForm {
    csrf: String,
    id: String,
    note: String,
}

/// One row of the table.
#[derive(Debug, Serialize)]
struct Row {
    id: String,
    label: &'static str,
    code: &'static str,
    reference: Option<String>,
    raised_at: String,
    detail: String,
}

impl Row {
    fn of(item: &FlaggedItem) -> Self {
        Self {
            id: item.id.clone(),
            label: item.kind.label(),
            code: item.kind.code(),
            reference: item.reference.as_ref().map(ToString::to_string),
            raised_at: item.raised_at.to_rfc3339_opts(SecondsFormat::Secs, true).replace('T', " "),
            detail: item.detail.clone(),
        }
    }
}

/// `GET /staff/flagged`.
pub(super) async fn show(
    State(state): State<WorkspaceState>,
    signed_in: SignedIn,
    Query(paging): Query<Paging>,
) -> Response {
    let notice = match paging.notice.as_str() {
        "dealt" => Some("The item was marked as dealt with."),
        "gone" => Some("That item had already been dealt with."),
        _ => None,
    };
    render(&state, &signed_in, StatusCode::OK, paging.after.trim(), notice, None).await
}

async fn render(
    state: &WorkspaceState,
    signed_in: &SignedIn,
    status: StatusCode,
    after: &str,
    notice: Option<&str>,
    problem: Option<(&str, FieldError)>,
) -> Response {
    if let Err(response) = audit_read(state, signed_in).await {
        return response;
    }
    let after = (!after.is_empty()).then_some(after);
    let page = match state.flags.open_flags(after, PAGE).await {
        Ok(page) => page,
        Err(error) => return store_failed(state, signed_in, &error),
    };
    let (held, items) = match super::kept_items::rows(state, state.staff.clock.now()).await {
        Ok(rows) => rows,
        Err(error) => return store_failed(state, signed_in, &error),
    };
    let rows: Vec<Row> = page.items.iter().map(Row::of).collect();
    let (failed_id, errors) = match problem {
        Some((id, error)) => (Some(id.to_owned()), vec![error]),
        None => (None, Vec::new()),
    };
    // The summary links to the failed row's note box, or to the list when the row has gone.
    let error_anchor = failed_id
        .as_deref()
        .and_then(|id| rows.iter().position(|r| r.id == id))
        .map_or_else(|| "flagged-items".to_owned(), |i| format!("note-{}", i + 1));
    view::page(
        state,
        signed_in,
        Section::Flagged,
        status,
        "registers/flagged.html",
        context! {
            has_errors => !errors.is_empty(),
            user => user_value(signed_in),
            may_clear => signed_in.user.may(Permission::ClearFlag),
            rows => super::ser(&rows),
            next_q => page.next.as_deref().map(super::query_value),
            paged => after.is_some(),
            failed_id,
            error_anchor,
            errors => super::ser(&errors),
            held_count => held.len(),
            held => super::ser(&held),
            items_count => items.len(),
            items => super::ser(&items),
            shown => super::kept_items::SHOWN,
        },
        notice,
    )
}

/// `POST /staff/flagged/deal`.
pub(super) async fn deal(
    State(state): State<WorkspaceState>,
    signed_in: SignedIn,
    Form(form): Form<DealForm>,
) -> Response {
    if !signed_in.check_csrf(&form.csrf) {
        return csrf_refused(&state, &signed_in);
    }
    let at = state.staff.clock.now();
    let id = form.id.trim();
    match flagged::deal_with(state.flags.as_ref(), &signed_in.user, id, at, &form.note).await {
        Ok(item) => {
            audit_change(&state, &signed_in, Permission::ClearFlag, "flag-dealt-with", item.reference).await;
            view::no_store(Redirect::to(&format!("{}/flagged?notice=dealt", crate::PREFIX)).into_response())
        }
        Err(FlagError::NotAllowed { .. }) => role_refused(&state, &signed_in, "mark flagged items as dealt with"),
        Err(FlagError::Store(error)) => store_failed(&state, &signed_in, &error),
        Err(other) => {
            // The error summary links to the row's note box; its id comes from the row's place,
            // which the template finds from the item id.
            let error = FieldError { field: "note", message: other.to_string() };
            render(&state, &signed_in, StatusCode::UNPROCESSABLE_ENTITY, "", None, Some((id, error))).await
        }
    }
}
