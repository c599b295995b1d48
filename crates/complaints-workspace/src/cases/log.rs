//! `/staff/cases/new`: log a complaint received by phone, in person or by letter (R3, R44), with
//! the note of the conversation, a representative (R52), a child's involvement (R56) and when it
//! reached us (R8: a letter that arrived yesterday has its clock from yesterday). Form → check
//! (the answers, when the clock starts, and the acknowledgement exactly as it will go, from
//! `StaffActions::preview_log`) → confirm → the new case's page. The complaint is validated by
//! the core like every channel (`StaffActions::log_complaint`, the same body as `POST /api/cases`);
//! the acknowledgement goes as intake sends it (by email, on paper for someone who prefers letters).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use complaints_app::staff::{ActionError, LetterDelivery, LogComplaint, LogPreview};
use complaints_core::complaint::{Channel, ChildInvolvement, ContactMethod};
use complaints_core::roles::Permission;
use minijinja::{Value, context};

use super::fields::{self, Answers, CaseFacts, Field, FieldError, Kind};
use super::{PAGES, case_path, csrf_ok, csrf_refused, failure_page};
use crate::WorkspaceState;
use crate::layout::{PageFrame, Section};
use crate::session::SignedIn;

fn questions(state: &WorkspaceState) -> Vec<Field> {
    questions_for(&state.staff.config)
}

fn questions_for(config: &complaints_core::config::OrgConfig) -> Vec<Field> {
    use Kind::{Date, DateTime, OptSelect, Representation, Select, Text, Textarea};
    let areas = config.service_areas.iter().map(|a| (a.clone(), a.clone())).collect();
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
        Field::new("received_at", "When it reached us", DateTime).optional().hint(
            "UK time, for example 2026-12-01 09:30. Leave blank for now. The clocks run from when it \
             reached us (R8): a letter that arrived yesterday counts from yesterday.",
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
        Field::new("representation", "Someone complaining for another person", Representation).optional().hint(
            "R52: only when the complainant above complains on someone else's behalf, with their consent. \
             Leave blank otherwise.",
        ),
        Field::new(
            "child",
            "Is a child or young person involved?",
            OptSelect(
                fields::choices(&[
                    (ChildInvolvement::ChildComplainant, "Yes: a child or young person (under 18) complains"),
                    (ChildInvolvement::AdultAtChildsRequest, "Yes: an adult complains because a child asked them to"),
                    (ChildInvolvement::AdultAboutChild, "Yes: an adult complains about something affecting a child"),
                ]),
                "No",
            ),
        )
        .optional()
        .hint("R56: the response is then written in a child-friendly way."),
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
    check: Option<&LogPreview>,
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
            check => check.is_some(),
            preview => check.map(preview_context),
            answered => crate::layout::ser(fields::answered(&views)),
            hidden => crate::layout::ser(&hidden),
            action_href => format!("{}/cases/new", crate::PREFIX),
        },
    )
}

/// What the check page says about the complaint as it would be logged: when it was received and
/// what is due, and the acknowledgement (or why none goes).
fn preview_context(preview: &LogPreview) -> Value {
    let letters: Vec<Value> = preview
        .letters
        .iter()
        .map(|letter| {
            let (to, subject, text) = super::actions::letter_text(&letter.message);
            context! {
                purpose => super::display::purpose_words(letter.purpose),
                printed => letter.delivery == LetterDelivery::Print,
                to, subject, text,
            }
        })
        .collect();
    let not_sent = preview.not_sent.map(|reason| super::page::words(&fields::serde_name(&reason)));
    // Written as the case page writes them (UK time, the day of the week), never by hand here.
    context! {
        received_at => super::display::moment(preview.received_at),
        received_on => complaints_core::dates::long_date(preview.received_on),
        response_due => complaints_core::dates::long_date(preview.response_due),
        status => super::display::status_words(complaints_app::queries::StatusFilter::of(preview.status)),
        reference => preview.provisional_reference.clone(),
        anonymous => preview.anonymous,
        letters, not_sent,
    }
}

/// The page's problems from the service's message: the core lists every problem separated by
/// "; ". `field: what is wrong` names the field; the core's intake problems start with the name
/// of what they are about ("person affected must not be blank"), or say the rule ("a
/// representative needs the consent of the person affected (R52)").
fn service_errors(questions: &[Field], message: &str) -> Vec<FieldError> {
    message
        .split("; ")
        .map(|problem| {
            if let Some((field, rest)) = problem.split_once(": ")
                && let Some(question) = questions.iter().find(|q| q.name == field)
            {
                return FieldError { field: field.to_owned(), message: format!("{}: {rest}", question.label) };
            }
            let field = INTAKE_PROBLEM_FIELDS
                .iter()
                .find(|(start, _)| problem.starts_with(start))
                .map_or("", |(_, field)| *field);
            let mut chars = problem.chars();
            let message = chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default();
            FieldError { field: field.to_owned(), message }
        })
        .collect()
}

/// How each of the core's intake problems (`IntakeProblem`) begins, and the box it is about.
const INTAKE_PROBLEM_FIELDS: [(&str, &str); 12] = [
    ("name ", "name"),
    ("service area ", "service_area"),
    ("description ", "description"),
    ("person affected ", "representation_person_affected"),
    ("relationship ", "representation_relationship"),
    ("a representative needs the consent", "representation_consent"),
    ("reason for stage 2 ", "direct_stage2_reason"),
    ("outcome sought ", "outcome_sought"),
    ("adjustments ", "adjustments"),
    ("event date ", "event_date"),
    ("the date the person found out", "event_date"),
    ("an anonymous complaint has no way to be contacted", "preferred_contact"),
];

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
    render(&state, &signed_in, StatusCode::OK, &Answers::new(), &[], None)
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
        return render(&state, &signed_in, StatusCode::OK, &answers, &[], None);
    }
    let complaint: LogComplaint =
        match fields::to_json(&questions(&state), &answers, &CaseFacts::default()).and_then(|object| {
            serde_json::from_value(serde_json::Value::Object(object)).map_err(|error| {
                vec![FieldError { field: String::new(), message: format!("The answers could not be read: {error}") }]
            })
        }) {
            Ok(complaint) => complaint,
            Err(errors) => {
                return render(&state, &signed_in, StatusCode::UNPROCESSABLE_ENTITY, &answers, &errors, None);
            }
        };
    let result = if step == "confirm" {
        let key = super::submission::posted(&answers);
        state.staff.log_complaint_once(&signed_in.user, complaint, key, None).await.map(|outcome| {
            let again = if outcome.repeated { "&again=yes" } else { "" };
            Redirect::to(&format!("{}?done=log{again}", case_path(&outcome.reference))).into_response()
        })
    } else {
        state
            .staff
            .preview_log(&signed_in.user, complaint, None)
            .await
            .map(|preview| render(&state, &signed_in, StatusCode::OK, &answers, &[], Some(&preview)))
    };
    match result {
        Ok(response) => response,
        Err(ActionError::Invalid(message)) => {
            let errors = service_errors(&questions(&state), &message);
            render(&state, &signed_in, StatusCode::UNPROCESSABLE_ENTITY, &answers, &errors, None)
        }
        Err(error) => failure_page(&state, &signed_in, None, &error),
    }
}

#[cfg(test)]
mod tests {
    use complaints_core::complaint::{IntakeProblem, MAX_COMPLAINT_SHORT_CHARS};

    use super::*;

    #[test]
    fn each_intake_problem_of_the_core_is_pointed_at_a_box_the_form_asks() {
        let questions = questions_for(&complaints_core::config::OrgConfig::builtin());
        let names: Vec<String> = fields::views(&questions, &Answers::new(), &[], &CaseFacts::default())
            .iter()
            .flat_map(|view| std::iter::once(view.id.clone()).chain(view.children.iter().map(|c| c.id.clone())))
            .collect();
        let problems = [
            IntakeProblem::Blank { field: "name" },
            IntakeProblem::Blank { field: "service area" },
            IntakeProblem::TooLong { field: "description", max: 1 },
            IntakeProblem::Blank { field: "person affected" },
            IntakeProblem::TooLong { field: "relationship", max: MAX_COMPLAINT_SHORT_CHARS },
            IntakeProblem::RepresentativeWithoutConsent,
            IntakeProblem::Blank { field: "reason for stage 2" },
            IntakeProblem::TooLong { field: "outcome sought", max: 1 },
            IntakeProblem::TooLong { field: "adjustments", max: 1 },
            IntakeProblem::InFuture { field: "event date" },
            IntakeProblem::AnonymousWithContactPreference,
        ];
        let message = problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
        let errors = service_errors(&questions, &message);
        assert_eq!(errors.len(), problems.len());
        for (problem, error) in problems.iter().zip(&errors) {
            assert!(names.contains(&error.field), "{problem} → {:?} is not a box of the form", error.field);
        }
        assert_eq!(errors[5].field, "representation_consent");
        assert!(errors[5].message.ends_with("(R52)"), "the rule stays named: {}", errors[5].message);
    }

    #[test]
    fn the_check_page_writes_dates_as_the_case_page_does() {
        use chrono::TimeZone as _;
        let received_at = chrono::Utc.with_ymd_and_hms(2026, 7, 1, 8, 30, 0).single().expect("instant");
        let (received_on, response_due) = (received_at.date_naive(), received_at.date_naive() + chrono::Days::new(7));
        let preview = LogPreview {
            received_at,
            received_on,
            status: complaints_core::case::Status::Stage1Open,
            response_due,
            provisional_reference: "CMP-2026-00001".to_owned(),
            letters: Vec::new(),
            not_sent: None,
            anonymous: true,
        };
        let context = preview_context(&preview);
        let text = |key: &str| context.get_attr(key).map(|value| value.to_string()).unwrap_or_default();
        assert_eq!(text("received_at"), super::super::display::moment(received_at));
        assert!(text("received_at").ends_with("09:30"), "UK time: {}", text("received_at"));
        assert_eq!(text("received_on"), complaints_core::dates::long_date(received_on));
        assert_eq!(text("response_due"), complaints_core::dates::long_date(response_due));
    }
}
