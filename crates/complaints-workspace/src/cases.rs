//! The dashboard, the case list, the case page and a form for every staff action with its letter
//! previewed. Pages only translate: the rules, the role matrix and the letters are
//! `complaints_app::staff::StaffActions`'s, so a page refuses exactly what the API refuses, with
//! the same message naming the MCHP rule.
//!
//! - [`dashboard`]: `/staff/` — what is due today, soon, overdue, and stage 2 awaiting
//!   acknowledgement, for me and for the team.
//! - [`list`]: `/staff/cases` — filters in the query string (nothing personal); a search by name
//!   or email is a POST so it never lands in a URL, a log or the history.
//! - [`page`]: `/staff/cases/{reference}` — summary, clocks, timeline (with who viewed it),
//!   correspondence received and letters sent. Every view is audited.
//! - [`actions`]: `/staff/cases/{reference}/actions/{action}` — form → preview of the letters →
//!   confirm; `/staff/cases/new` logs a phone, in-person or letter complaint.

pub mod actions;
pub mod assign;
pub mod dashboard;
pub mod display;
pub mod fields;
pub mod list;
pub mod log;
pub mod page;
pub mod submission;
// Name and email search through the indexes (issue 12).
pub mod search;

use std::sync::LazyLock;

use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use complaints_app::staff::ActionError;
use complaints_core::reference::CaseRef;

use crate::WorkspaceState;
use crate::layout::{PageFrame, Section, StaffPages, message_page};
use crate::session::SignedIn;

/// The templates of this part of the workspace.
const TEMPLATES: [(&str, &str); 8] = [
    ("dashboard.html", include_str!("../templates/dashboard.html")),
    ("case_list.html", include_str!("../templates/case_list.html")),
    ("case.html", include_str!("../templates/case.html")),
    ("action_form.html", include_str!("../templates/action_form.html")),
    ("action_preview.html", include_str!("../templates/action_preview.html")),
    ("case_rows.html", include_str!("../templates/case_rows.html")),
    ("log_form.html", include_str!("../templates/log_form.html")),
    ("staff_fields.html", include_str!("../templates/staff_fields.html")),
];

/// The compiled pages of this module.
pub(crate) static PAGES: LazyLock<StaffPages> = LazyLock::new(|| StaffPages::new(&TEMPLATES));

/// The routes of this part of the workspace.
pub fn routes() -> Router<WorkspaceState> {
    let at = |path: &str| format!("{}{path}", crate::PREFIX);
    Router::new()
        .route(&at(crate::layout::STYLESHEET_PATH), get(crate::layout::stylesheet))
        .route(&at("/"), get(dashboard::show))
        .route(&at("/cases"), get(list::show).post(list::search))
        .route(&at("/cases/new"), get(log::form).post(log::submit))
        .route(&at("/cases/{reference}"), get(page::show))
        .route(&at("/cases/{reference}/actions/{action}"), get(actions::form).post(actions::submit))
}

/// The path of a case's page.
#[must_use]
pub fn case_path(reference: &CaseRef) -> String {
    format!("{}/cases/{reference}", crate::PREFIX)
}

pub(crate) fn not_found(state: &WorkspaceState, signed_in: &SignedIn) -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        &PageFrame::new(state, Some(signed_in), Section::Cases),
        "Case not found",
        &["There is no case with that reference. Check the reference and try again."],
        Some((&format!("{}/cases", crate::PREFIX), "Find a case")),
    )
}

/// The page for an error that is not about the form's answers: refused by the role matrix, not
/// found, changed by someone else, the store or the letters failing.
pub(crate) fn failure_page(
    state: &WorkspaceState,
    signed_in: &SignedIn,
    reference: Option<&CaseRef>,
    error: &ActionError,
) -> Response {
    let frame = PageFrame::new(state, Some(signed_in), Section::Cases);
    let back = reference.map(case_path);
    let link = back.as_deref().map(|href| (href, "Go back to the case"));
    match error {
        ActionError::Forbidden { .. } => message_page(
            StatusCode::FORBIDDEN,
            &frame,
            "You cannot do this",
            &[&format!("Your role does not allow it: {error}."), "Ask a manager if you think it should."],
            link,
        ),
        ActionError::NotFound => not_found(state, signed_in),
        ActionError::Conflict { .. } => message_page(
            StatusCode::CONFLICT,
            &frame,
            "Someone else changed this case",
            &[
                "The case was changed after you opened the form, so nothing was saved and no letter was sent.",
                "Open the case again to see what changed, then decide again.",
            ],
            link,
        ),
        ActionError::Store(_) => {
            tracing::error!(error = %error, "case store unavailable");
            message_page(
                StatusCode::SERVICE_UNAVAILABLE,
                &frame,
                "Sorry, the service is unavailable",
                &["The case store did not answer. Nothing was changed. Try again in a few minutes."],
                link,
            )
        }
        ActionError::LetterNotComposed { .. } => {
            tracing::error!(error = %error, "letter not composed");
            message_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                &frame,
                "The letter could not be written",
                &[&error.to_string(), "Ask whoever looks after the service's configuration to fix it."],
                link,
            )
        }
        ActionError::Rejected(_) | ActionError::Invalid(_) => {
            message_page(StatusCode::UNPROCESSABLE_ENTITY, &frame, "This cannot be done", &[&error.to_string()], link)
        }
    }
}

/// The page for a form whose CSRF token is missing or wrong (an old tab, or another site
/// posting here): nothing is done.
pub(crate) fn csrf_refused(state: &WorkspaceState, signed_in: &SignedIn) -> Response {
    message_page(
        StatusCode::FORBIDDEN,
        &PageFrame::new(state, Some(signed_in), Section::None),
        "This form has expired",
        &["Nothing was changed. Go back, reload the page and try again."],
        Some((&format!("{}/", crate::PREFIX), "Go to the dashboard")),
    )
}

/// True when `submitted` is the session's CSRF token ([`SignedIn::check_csrf`], constant time).
pub(crate) fn csrf_ok(signed_in: &SignedIn, submitted: Option<&str>) -> bool {
    submitted.is_some_and(|token| signed_in.check_csrf(token))
}
