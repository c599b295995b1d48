//! The learning-actions register, SPSO referrals, items flagged for staff and the quality check of closed complaints.
//!
//! Pages (all under [`crate::PREFIX`]); every POST checks the session's CSRF token first, then the
//! role matrix, and every page is sent with `Cache-Control: no-store`. Nothing personal goes in a
//! URL: learning ids (`LA-…`), flag ids and closure ids are references, dates and codes.
//!
//! - `GET /learning`, `POST /learning`, `POST /learning/complete`, `POST /learning/link`:
//!   the learning-actions register (R35);
//! - `GET /spso`: cases referred to the SPSO and its outcome (R37, R43);
//! - `GET /flagged`, `POST /flagged/deal`, `POST /flagged/item`: everything kept for staff (the
//!   flag register, held mail, social staff items) and marking flags and items dealt with;
//! - `GET /quality`, `GET /quality/review`, `POST /quality/review`: the period's sample of
//!   closures for a second reader, the review form and the results (R48).

mod flagged_page;
mod kept_items;
mod learning_page;
mod quality_page;
mod spso_page;
pub mod view;

use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use chrono::{Datelike, NaiveDate};
use complaints_app::ports::StoreError;
use minijinja::Value;
use serde::Serialize;

use crate::WorkspaceState;
use crate::session::SignedIn;

/// The routes of this part of the workspace.
pub fn routes() -> Router<WorkspaceState> {
    let p = crate::PREFIX;
    Router::new()
        .route(&format!("{p}/learning"), get(learning_page::show).post(learning_page::create))
        .route(&format!("{p}/learning/complete"), post(learning_page::complete))
        .route(&format!("{p}/learning/link"), post(learning_page::link))
        .route(&format!("{p}/spso"), get(spso_page::show))
        .route(&format!("{p}/flagged"), get(flagged_page::show))
        .route(&format!("{p}/flagged/deal"), post(flagged_page::deal))
        .route(&format!("{p}/flagged/item"), post(kept_items::deal))
        .route(&format!("{p}/quality"), get(quality_page::show))
        .route(&format!("{p}/quality/review"), get(quality_page::review_form).post(quality_page::record))
}

/// The refusal of a form whose token is missing or wrong (a forged or stale form).
fn csrf_refused(state: &WorkspaceState, signed_in: &SignedIn) -> Response {
    view::message(
        state,
        signed_in,
        StatusCode::FORBIDDEN,
        "This form has expired",
        "Go back, reload the page and try again. Nothing was changed.",
    )
}

/// The refusal of an action the signed-in role may not take.
fn role_refused(state: &WorkspaceState, signed_in: &SignedIn, what: &str) -> Response {
    view::message(
        state,
        signed_in,
        StatusCode::FORBIDDEN,
        "You cannot do this",
        &format!("Your role ({}) may not {what}. Nothing was changed.", signed_in.user.role),
    )
}

/// A store that did not answer: "try again", never the error text.
fn store_failed(state: &WorkspaceState, signed_in: &SignedIn, error: &StoreError) -> Response {
    tracing::error!(error = %complaints_app::error_chain(error), "a register page could not read or write its store");
    view::message(
        state,
        signed_in,
        StatusCode::SERVICE_UNAVAILABLE,
        "Sorry, there is a problem",
        "The records could not be reached. Try again in a moment.",
    )
}

/// `text` percent-encoded for a query string value (ids hold `#` and `/`).
fn query_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A serialisable value as a template value.
fn ser<T: Serialize>(value: T) -> Value {
    Value::from(minijinja::value::Serde(value))
}

/// What the layout shows about who is signed in, and the token every form carries.
#[derive(Debug, Serialize)]
struct UserView<'a> {
    id: &'a str,
    name: &'a str,
    role: &'a str,
    csrf: &'a str,
}

fn user_value(signed_in: &SignedIn) -> Value {
    ser(UserView {
        id: &signed_in.user.id,
        name: &signed_in.user.name,
        role: signed_in.user.role.as_str(),
        csrf: &signed_in.csrf,
    })
}

/// One problem with a form: the field it is about (its id, for the error summary's link) and
/// what to do.
#[derive(Debug, Clone, Serialize)]
struct FieldError {
    field: &'static str,
    message: String,
}

/// A date typed as `YYYY-MM-DD` (the `date` input's value), or `None`.
fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

/// The first and last day of the month `YYYY-MM`.
fn month_bounds(text: &str) -> Option<(NaiveDate, NaiveDate)> {
    let first = NaiveDate::parse_from_str(&format!("{}-01", text.trim()), "%Y-%m-%d").ok()?;
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)?
    };
    Some((first, next.pred_opt()?))
}

/// `YYYY-MM` of a date.
fn month_of(date: NaiveDate) -> String {
    format!("{:04}-{:02}", date.year(), date.month())
}

/// Today in Scotland by the workspace's clock.
fn today(state: &WorkspaceState) -> NaiveDate {
    complaints_core::dates::today_in_scotland(state.staff.clock.now())
}

/// Copies a member of staff's change to the audit log (R57); the change is made, so a failure
/// here is logged, not shown.
async fn audit_change(
    state: &WorkspaceState,
    signed_in: &SignedIn,
    permission: complaints_core::roles::Permission,
    action: &str,
    reference: Option<complaints_core::reference::CaseRef>,
) {
    let entry = complaints_app::staff::AuditEntry {
        at: state.staff.clock.now(),
        actor: signed_in.user.id.clone(),
        role: signed_in.user.role,
        access: complaints_app::staff::Access::Change,
        permission,
        action: action.to_owned(),
        reference,
        contact: None,
    };
    if let Err(err) = state.staff.audit.record(entry).await {
        tracing::warn!(error = %complaints_app::error_chain(&err), "register change not copied to the audit log");
    }
}

/// Records a read of a register in the audit log after checking the role matrix (R57).
async fn audit_read(state: &WorkspaceState, signed_in: &SignedIn) -> Result<(), Response> {
    state.staff.record_read(&signed_in.user, complaints_core::roles::Permission::ListCases, None, None).await.map_err(
        |err| match err {
            complaints_app::staff::ActionError::Forbidden { .. } => {
                role_refused(state, signed_in, "read the registers")
            }
            other => {
                tracing::error!(error = %complaints_app::error_chain(&other), "register read could not be audited");
                view::message(
                    state,
                    signed_in,
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Sorry, there is a problem",
                    "The records could not be reached. Try again in a moment.",
                )
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(query_value("CMP-2026-00042/1/2026-03-04"), "CMP-2026-00042%2F1%2F2026-03-04");
        assert_eq!(query_value("a#b c&d"), "a%23b%20c%26d");
    }

    #[test]
    fn a_month_runs_from_its_first_to_its_last_day() {
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        assert_eq!(month_bounds("2026-02"), Some((date(2026, 2, 1), date(2026, 2, 28))));
        assert_eq!(month_bounds("2026-12"), Some((date(2026, 12, 1), date(2026, 12, 31))));
        assert_eq!(month_bounds("2026-13"), None);
        assert_eq!(month_bounds("<script>"), None);
    }
}
