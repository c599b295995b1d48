//! `/staff/learning`: the learning-actions register (R35): what is open (overdue tagged), what was
//! done lately, a form to add an action and forms to link a case and to mark an action done.
//! Changes go through `complaints_app::learning` (the same use cases as the API) and are checked
//! against the role matrix's `learning` permission.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Duration;
use complaints_app::learning::{self as register, RegisterError};
use complaints_app::ports::StoreError;
use complaints_core::reference::CaseRef;
use complaints_core::roles::Permission;
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::{
    FieldError, audit_change, audit_read, csrf_refused, parse_date, role_refused, store_failed, today, user_value, view,
};
use crate::WorkspaceState;
use crate::layout::Section;
use crate::session::SignedIn;

/// How far back "done lately" reaches.
const DONE_LATELY_DAYS: i64 = 90;

/// The answers of the "add a learning action" form, as typed.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub(super) struct NewAction {
    csrf: String,
    root_cause: String,
    action: String,
    owner: String,
    due_on: String,
    cases: String,
}

/// A form naming one action (mark done), and optionally a case to link.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ActionForm {
    csrf: String,
    /// `link_id` on the link form (the select's own id, for the error summary's link).
    #[serde(alias = "link_id")]
    id: String,
    reference: String,
}

/// The note shown after a change (`?notice=…`: a fixed code, never data).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Notice {
    notice: String,
}

fn notice_text(code: &str) -> Option<&'static str> {
    match code {
        "created" => Some("The learning action was added."),
        "completed" => Some("The learning action was marked as done."),
        "linked" => Some("The case was linked to the learning action."),
        _ => None,
    }
}

/// `GET /staff/learning`.
pub(super) async fn show(
    State(state): State<WorkspaceState>,
    signed_in: SignedIn,
    Query(notice): Query<Notice>,
) -> Response {
    render(&state, &signed_in, StatusCode::OK, &NewAction::default(), &[], notice_text(&notice.notice), &[]).await
}

async fn render(
    state: &WorkspaceState,
    signed_in: &SignedIn,
    status: StatusCode,
    form: &NewAction,
    errors: &[FieldError],
    notice: Option<&str>,
    other_errors: &[FieldError],
) -> Response {
    if let Err(response) = audit_read(state, signed_in).await {
        return response;
    }
    let today = today(state);
    let open = match state.learning.open_learning().await {
        Ok(open) => open,
        Err(error) => return store_failed(state, signed_in, &error),
    };
    let done = match state.learning.completed_between(today - Duration::days(DONE_LATELY_DAYS), today).await {
        Ok(done) => done,
        Err(error) => return store_failed(state, signed_in, &error),
    };
    let overdue: Vec<bool> = open.iter().map(|a| a.is_overdue_on(today)).collect();
    let errmap: std::collections::BTreeMap<&str, &str> =
        errors.iter().chain(other_errors).map(|e| (e.field, e.message.as_str())).collect();
    let all_errors: Vec<&FieldError> = errors.iter().chain(other_errors).collect();
    view::page(
        state,
        signed_in,
        Section::Learning,
        status,
        "registers/learning.html",
        context! {
            has_errors => !all_errors.is_empty(),
            user => user_value(signed_in),
            may_change => signed_in.user.may(Permission::Learning),
            link_options => open.iter().map(|a| [a.id.clone(), a.id.clone()]).collect::<Vec<_>>(),
            open => super::ser(&open),
            overdue => overdue,
            done => super::ser(&done),
            done_lately_days => DONE_LATELY_DAYS,
            form => super::ser(form),
            errors => super::ser(&all_errors),
            errmap => super::ser(&errmap),
            today => today.to_string(),
        },
        notice,
    )
}

/// Case references typed in one box, separated by commas, spaces or new lines.
fn parse_references(text: &str) -> Result<Vec<CaseRef>, String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|part| !part.is_empty())
        .map(|part| part.parse::<CaseRef>().map_err(|_| part.to_owned()))
        .collect()
}

/// `POST /staff/learning`: adds an action.
pub(super) async fn create(
    State(state): State<WorkspaceState>,
    signed_in: SignedIn,
    Form(form): Form<NewAction>,
) -> Response {
    if !signed_in.check_csrf(&form.csrf) {
        return csrf_refused(&state, &signed_in);
    }
    if !signed_in.user.may(Permission::Learning) {
        return role_refused(&state, &signed_in, "change the learning register");
    }
    let mut errors = Vec::new();
    let mut need = |field: &'static str, value: &str, message: &str| {
        if value.trim().is_empty() {
            errors.push(FieldError { field, message: message.to_owned() });
        }
    };
    need("root_cause", &form.root_cause, "Enter the root cause");
    need("action", &form.action, "Enter the action that will be taken");
    need("owner", &form.owner, "Enter who owns the action");
    let due_on = parse_date(&form.due_on);
    let today = today(&state);
    match due_on {
        None => errors
            .push(FieldError { field: "due_on", message: "Enter the due date as a date, like 2026-04-30".to_owned() }),
        Some(due) if due < today => {
            errors.push(FieldError { field: "due_on", message: "The due date must be today or later".to_owned() });
        }
        Some(_) => {}
    }
    let cases = match parse_references(&form.cases) {
        Ok(cases) if cases.is_empty() => {
            errors.push(FieldError {
                field: "cases",
                message: "Enter at least one case reference (R35: learning comes from a case)".to_owned(),
            });
            Vec::new()
        }
        Ok(cases) => cases,
        Err(bad) => {
            errors.push(FieldError {
                field: "cases",
                message: format!("{bad} is not a case reference, like CMP-2026-00042"),
            });
            Vec::new()
        }
    };
    let (Some(due_on), true) = (due_on, errors.is_empty()) else {
        return render(&state, &signed_in, StatusCode::UNPROCESSABLE_ENTITY, &form, &errors, None, &[]).await;
    };
    let id = register::new_learning_id();
    let created = register::create(
        &*state.learning,
        id,
        form.root_cause.trim().to_owned(),
        form.action.trim().to_owned(),
        form.owner.trim().to_owned(),
        today,
        due_on,
        cases,
    )
    .await;
    match created {
        Ok(_) => {
            audit_change(&state, &signed_in, Permission::Learning, "learning-create", None).await;
            view::no_store(Redirect::to(&format!("{}/learning?notice=created", crate::PREFIX)).into_response())
        }
        Err(RegisterError::Refused(refused)) => {
            let errors = [FieldError { field: "root_cause", message: format!("{refused} (R35)") }];
            render(&state, &signed_in, StatusCode::UNPROCESSABLE_ENTITY, &form, &errors, None, &[]).await
        }
        Err(RegisterError::Store(error)) => store_failed(&state, &signed_in, &error),
    }
}

/// The answer to a change of one action: back to the register, or the register with the problem.
async fn after_change(
    state: &WorkspaceState,
    signed_in: &SignedIn,
    result: Result<register::StoredLearning, RegisterError>,
    field: &'static str,
    notice: &str,
    audit: &str,
    reference: Option<CaseRef>,
) -> Response {
    let problem = match result {
        Ok(_) => {
            audit_change(state, signed_in, Permission::Learning, audit, reference).await;
            return view::no_store(
                Redirect::to(&format!("{}/learning?notice={notice}", crate::PREFIX)).into_response(),
            );
        }
        Err(RegisterError::Refused(refused)) => format!("{refused} (R35)"),
        Err(RegisterError::Store(StoreError::NotFound)) => "There is no such learning action".to_owned(),
        Err(RegisterError::Store(StoreError::VersionConflict { .. })) => {
            "Someone else changed this action at the same time: try again".to_owned()
        }
        Err(RegisterError::Store(error)) => return store_failed(state, signed_in, &error),
    };
    let errors = [FieldError { field, message: problem }];
    render(state, signed_in, StatusCode::UNPROCESSABLE_ENTITY, &NewAction::default(), &[], None, &errors).await
}

/// `POST /staff/learning/complete`: marks an action done today.
pub(super) async fn complete(
    State(state): State<WorkspaceState>,
    signed_in: SignedIn,
    Form(form): Form<ActionForm>,
) -> Response {
    if !signed_in.check_csrf(&form.csrf) {
        return csrf_refused(&state, &signed_in);
    }
    if !signed_in.user.may(Permission::Learning) {
        return role_refused(&state, &signed_in, "change the learning register");
    }
    let result = register::complete(&*state.learning, form.id.trim(), today(&state)).await;
    after_change(&state, &signed_in, result, "open-actions", "completed", "learning-complete", None).await
}

/// `POST /staff/learning/link`: links another case to an action.
pub(super) async fn link(
    State(state): State<WorkspaceState>,
    signed_in: SignedIn,
    Form(form): Form<ActionForm>,
) -> Response {
    if !signed_in.check_csrf(&form.csrf) {
        return csrf_refused(&state, &signed_in);
    }
    if !signed_in.user.may(Permission::Learning) {
        return role_refused(&state, &signed_in, "change the learning register");
    }
    let Ok(reference) = form.reference.trim().parse::<CaseRef>() else {
        let errors =
            [FieldError { field: "reference", message: "Enter a case reference, like CMP-2026-00042".to_owned() }];
        return render(&state, &signed_in, StatusCode::UNPROCESSABLE_ENTITY, &NewAction::default(), &[], None, &errors)
            .await;
    };
    let result = register::link(&*state.learning, form.id.trim(), reference.clone()).await;
    after_change(&state, &signed_in, result, "link_id", "linked", "learning-link", Some(reference)).await
}
