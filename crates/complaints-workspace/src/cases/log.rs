//! `/staff/cases/new`: log a complaint received by phone, in person or by letter (R3, R44), with
//! the note of the conversation. Form → check your answers → confirm → the new case's page. The
//! complaint is validated by the core like every channel (`StaffActions::log_complaint`); the
//! acknowledgement goes as intake sends it (by email, on paper for someone who prefers letters).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use complaints_app::staff::{ActionError, LogComplaint};
use complaints_core::complaint::{Channel, ContactMethod};
use complaints_core::roles::Permission;
use minijinja::context;

use super::fields::{self, Answers, CaseFacts, Field, FieldError, Kind};
use super::{PAGES, case_path, csrf_ok, csrf_refused, failure_page};
use crate::WorkspaceState;
use crate::layout::{PageFrame, Section};
use crate::session::SignedIn;

fn questions(state: &WorkspaceState) -> Vec<Field> {
    use Kind::{Date, OptSelect, Select, Text, Textarea};
    let areas = state.staff.config.service_areas.iter().map(|a| (a.clone(), a.clone())).collect();
    vec![
        Field::new(
            "channel",
            "How the complaint was made",
            Select(fields::choices(&[
                (Channel::Phone, "Phone"),
                (Channel::InPerson, "In person"),
                (Channel::Letter, "Letter"),
            ])),
        ),
        Field::new("name", "Full name", Text)
            .optional()
            .hint("Leave blank for an anonymous complaint: nobody can then be written to (R51)."),
        Field::new("email", "Email address", Text).optional(),
        Field::new("phone", "Phone number", Text).optional(),
        Field::new("postal_address", "Postal address", Text)
            .optional()
            .hint("On one line. Letters are printed for posting when there is no email address."),
        Field::new(
            "preferred_contact",
            "How they want to hear from us",
            OptSelect(
                fields::choices(&[
                    (ContactMethod::Email, "Email"),
                    (ContactMethod::Phone, "Phone"),
                    (ContactMethod::Letter, "Letter"),
                ]),
                "Not said",
            ),
        )
        .optional(),
        Field::new("service_area", "Service area", Select(areas)),
        Field::new("description", "What happened", Textarea).hint("In the complainant's words, as noted."),
        Field::new("event_date", "When it happened", Date).optional(),
        Field::new("outcome_sought", "What they want us to do", Textarea).optional(),
        Field::new("adjustments", "Help or changes they asked for", Textarea)
            .optional()
            .hint("R55: for example large print or letters instead of email."),
        Field::new("direct_stage2_reason", "Why it goes straight to stage 2", Textarea)
            .optional()
            .hint("R22: only when it goes straight to stage 2."),
        Field::new("note", "Your note of the conversation", Textarea).hint("Or a summary of the letter."),
    ]
}

fn render(
    state: &WorkspaceState,
    signed_in: &SignedIn,
    code: StatusCode,
    answers: &Answers,
    errors: &[FieldError],
    check: bool,
) -> Response {
    let frame = PageFrame::new(state, Some(signed_in), Section::LogComplaint);
    let views = fields::views(&questions(state), answers, errors, &CaseFacts::default());
    // The answers again, and a fresh submission key: confirming twice logs it once.
    let hidden = super::submission::hidden_fields(answers, &["csrf", "step"]);
    PAGES.render(
        code,
        "log_form.html",
        &frame,
        context! {
            fields => crate::layout::ser(&views),
            errors => crate::layout::ser(errors),
            has_errors => !errors.is_empty(),
            check,
            answered => crate::layout::ser(fields::answered(&views)),
            hidden => crate::layout::ser(&hidden),
            action_href => format!("{}/cases/new", crate::PREFIX),
        },
    )
}

fn refused(state: &WorkspaceState, signed_in: &SignedIn) -> Option<Response> {
    (!signed_in.user.may(Permission::LogComplaint)).then(|| {
        let error = ActionError::Forbidden { role: signed_in.user.role, needs: Permission::LogComplaint };
        failure_page(state, signed_in, None, &error)
    })
}

/// `GET /staff/cases/new`.
pub async fn form(State(state): State<WorkspaceState>, signed_in: SignedIn) -> Response {
    if let Some(response) = refused(&state, &signed_in) {
        return response;
    }
    render(&state, &signed_in, StatusCode::OK, &Answers::new(), &[], false)
}

/// `POST /staff/cases/new`: `step=check` (the default) shows the answers, `step=confirm` logs it,
/// `step=edit` goes back to the form.
pub async fn submit(
    State(state): State<WorkspaceState>,
    signed_in: SignedIn,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Response {
    let answers: Answers = pairs.into_iter().collect();
    if !csrf_ok(&signed_in, answers.get("csrf").map(String::as_str)) {
        return csrf_refused(&state, &signed_in);
    }
    if let Some(response) = refused(&state, &signed_in) {
        return response;
    }
    let step = answers.get("step").map_or("check", String::as_str);
    if step == "edit" {
        return render(&state, &signed_in, StatusCode::OK, &answers, &[], false);
    }
    let complaint: LogComplaint =
        match fields::to_json(&questions(&state), &answers, &CaseFacts::default()).and_then(|object| {
            serde_json::from_value(serde_json::Value::Object(object)).map_err(|error| {
                vec![FieldError { field: String::new(), message: format!("The answers could not be read: {error}") }]
            })
        }) {
            Ok(complaint) => complaint,
            Err(errors) => {
                return render(&state, &signed_in, StatusCode::UNPROCESSABLE_ENTITY, &answers, &errors, false);
            }
        };
    if step != "confirm" {
        return render(&state, &signed_in, StatusCode::OK, &answers, &[], true);
    }
    let key = super::submission::posted(&answers);
    match state.staff.log_complaint_once(&signed_in.user, complaint, key, None).await {
        Ok(outcome) => {
            let again = if outcome.repeated { "&again=yes" } else { "" };
            Redirect::to(&format!("{}?done=log{again}", case_path(&outcome.reference))).into_response()
        }
        Err(ActionError::Invalid(message)) => {
            // The core lists every problem, `field: what is wrong`, separated by "; ".
            let errors: Vec<FieldError> = message
                .split("; ")
                .map(|problem| match problem.split_once(": ") {
                    Some((field, _)) if questions(&state).iter().any(|q| q.name == field) => {
                        FieldError { field: field.to_owned(), message: problem.to_owned() }
                    }
                    _ => FieldError { field: String::new(), message: problem.to_owned() },
                })
                .collect();
            render(&state, &signed_in, StatusCode::UNPROCESSABLE_ENTITY, &answers, &errors, false)
        }
        Err(error) => failure_page(&state, &signed_in, None, &error),
    }
}
