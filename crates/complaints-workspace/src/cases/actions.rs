//! A form for every staff action (`complaints_app::staff::StaffAction`, 25 of them), and the flow
//! each goes through: form → preview (the letters exactly as they would go, from
//! `StaffActions::preview`) → confirm (`StaffActions::perform` at the version the form was opened
//! on) → back to the case page with a banner. Each form carries the case version it was opened on
//! (a change in between is "someone else changed this case", never a lost update) and the CSRF
//! token. Only the actions the role may take are offered; the server checks again every time.
//! A refusal by the procedure comes back as the error summary, with the message that names the
//! MCHP rule.

use std::sync::LazyLock;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use complaints_app::staff::{ActionError, ActionPreview, LetterDelivery, StaffAction};
use complaints_core::case::{Case, Stage};
use complaints_core::complaint::{Channel, ChildInvolvement};
use complaints_core::outcome::{Outcome, SpsoOutcome};
use complaints_core::records::{AgeBand, ChildResponseFormat, ChildWish, ConsentType, NotAComplaintReason};
use complaints_core::reference::CaseRef;
use complaints_core::roles::Permission;
use complaints_mail::QueuedMessage;
use minijinja::{Value, context};

use super::display::status_words;
use super::fields::{self, Answers, CaseFacts, Choices, Field, FieldError, Kind};
use super::{PAGES, case_path, csrf_ok, csrf_refused, failure_page};
use crate::WorkspaceState;
use crate::layout::{PageFrame, Section};
use crate::session::SignedIn;

/// Every channel, in the order forms list them.
pub const CHANNELS: [Channel; 9] = Channel::ALL;

/// One action's form.
#[derive(Debug)]
pub struct Spec {
    /// The action's `action` tag (and the last segment of its path).
    pub name: &'static str,
    pub title: &'static str,
    /// What it does, and the letter it sends.
    pub hint: &'static str,
    /// What the role matrix must allow (as `StaffAction::permission`; a test checks they agree).
    pub permission: Permission,
    pub fields: Vec<Field>,
}

fn channels() -> Choices {
    CHANNELS.iter().map(|c| (c.as_str().to_owned(), super::display::channel_words(*c).to_owned())).collect()
}

fn outcomes() -> Choices {
    fields::choices(&[
        (Outcome::Upheld, "Upheld"),
        (Outcome::PartiallyUpheld, "Partially upheld"),
        (Outcome::NotUpheld, "Not upheld"),
        (Outcome::Resolved, "Resolved (R32)"),
    ])
}

fn staff_parts() -> Field {
    Field::new("staff_parts", "The part of the response for each member of staff involved", Kind::StaffParts)
        .optional()
        .hint("R59: only for staff recorded as involved. Leave blank when none.")
}

fn points(required: bool) -> Field {
    let field = Field::new("points", "Points of complaint", Kind::Points)
        .hint("R24: each point in the customer's terms, with the outcome they seek. Up to five.");
    if required { field } else { field.optional() }
}

/// The forms, one per action, in the order the case page lists them.
pub static SPECS: LazyLock<Vec<Spec>> = LazyLock::new(|| {
    use Kind::{Date, Index, Lines, OptSelect, Select, Text, Textarea};
    let spec = |name, title, hint, permission, fields| Spec { name, title, hint, permission, fields };
    vec![
        spec(
            "respond",
            "Record the stage 1 response",
            "R19, R23: sends the stage 1 response letter with how to escalate.",
            Permission::Respond,
            vec![
                Field::new("outcome", "Outcome", Select(outcomes())),
                Field::new("note", "The response", Textarea)
                    .hint("What you found and what will be done. It goes in the letter."),
                Field::new(
                    "route_given_by",
                    "How the stage 2 route was given",
                    OptSelect(channels(), "In this letter"),
                )
                .optional()
                .hint("Only when you told the customer another way, for example by phone."),
                staff_parts(),
            ],
        ),
        spec(
            "extend",
            "Extend the response date",
            "R21, R28 (manager): sends the extension letter with the reason and the new date.",
            Permission::Extend,
            vec![
                Field::new("reason", "Reason for the extension", Textarea).hint("It goes in the letter."),
                Field::new("new_due", "New response date", Date),
                Field::new(
                    "stage",
                    "Stage",
                    OptSelect(
                        fields::choices(&[(Stage::One, "Stage 1"), (Stage::Two, "Stage 2")]),
                        "The stage the case is at",
                    ),
                )
                .optional(),
            ],
        ),
        spec(
            "escalate",
            "Record an escalation to stage 2",
            "R16, R22: the customer asked for stage 2. With points, stage 2 is acknowledged at once.",
            Permission::Escalate,
            vec![
                Field::new("channel", "How the customer asked", Select(channels())),
                Field::new("requested_on", "The day they asked", Date).optional().hint("Only when earlier than today."),
                points(false),
            ],
        ),
        spec(
            "stage2",
            "Take to stage 2",
            "R22, R27: move an open stage 1 complaint to stage 2, or route it there directly.",
            Permission::Escalate,
            vec![
                Field::new(
                    "how",
                    "How",
                    Select(vec![
                        ("move".to_owned(), "We decided to move it (counted from today)".to_owned()),
                        (
                            "direct".to_owned(),
                            "The customer asked for stage 2 straight away (counted from receipt)".to_owned(),
                        ),
                    ]),
                ),
                Field::new("reason", "Reason", Textarea),
                points(false),
            ],
        ),
        spec(
            "acknowledge",
            "Acknowledge stage 2",
            "R24, R25: sends the stage 2 acknowledgement with the points and the response date.",
            Permission::RecordPoints,
            vec![
                points(true),
                Field::new("agreed_on", "The day the points were agreed", Date)
                    .optional()
                    .hint("Only when earlier than today."),
            ],
        ),
        spec(
            "amend-points",
            "Amend the points of complaint",
            "R25: sends a letter with the new points.",
            Permission::RecordPoints,
            vec![points(true), Field::new("reason", "Why they changed", Textarea)],
        ),
        spec(
            "update",
            "Give a progress update",
            "R29: sends the update letter on an extended stage 2 complaint.",
            Permission::ProgressUpdate,
            vec![
                Field::new("note", "The update", Textarea).hint("It goes in the letter."),
                Field::new("given_by", "How the update was given", OptSelect(channels(), "In this letter")).optional(),
            ],
        ),
        spec(
            "close",
            "Give the final response",
            "R30, R34, R37: sends the final response with the SPSO signposting.",
            Permission::CloseStage2,
            vec![
                Field::new("point_outcomes", "Outcome of each point", Kind::Outcomes(outcomes()))
                    .hint("R30: one outcome for each point of complaint."),
                Field::new("outcome_override", "Overall outcome", Kind::Override(outcomes()))
                    .optional()
                    .hint("R34: only when the overall outcome is not the one the points give."),
                Field::new("note", "The final response", Textarea)
                    .hint("What you found on each point and what will be done. It goes in the letter."),
                staff_parts(),
            ],
        ),
        spec(
            "withdraw",
            "Record a withdrawal",
            "R33: sends a letter confirming the withdrawal.",
            Permission::Withdraw,
            vec![Field::new("reason", "Reason", Textarea).optional()],
        ),
        spec(
            "not-a-complaint",
            "Record that this is not a complaint",
            "R4: sends a letter saying where the person was directed.",
            Permission::NotAComplaint,
            vec![
                Field::new(
                    "reason",
                    "Why it is not a complaint",
                    Select(fields::choices(&[
                        (NotAComplaintReason::RoutineServiceRequest, "A routine first-time request for a service"),
                        (NotAComplaintReason::CompensationOnly, "A request for compensation only"),
                        (NotAComplaintReason::CourtProceedings, "A matter that is or has been in court"),
                        (NotAComplaintReason::StatutoryAppeal, "A decision with its own statutory appeal"),
                        (
                            NotAComplaintReason::InformationRequest,
                            "A freedom of information or data protection request",
                        ),
                        (NotAComplaintReason::ConcludedComplaint, "An attempt to reopen a concluded complaint"),
                        (NotAComplaintReason::OtherProcedure, "Another procedure applies"),
                    ])),
                ),
                Field::new("details", "Details", Textarea).optional(),
                Field::new("directed_to", "Where the person was directed", Text),
            ],
        ),
        spec(
            "reopen",
            "Reopen the case",
            "R40: sends a letter with the date a new response is due.",
            Permission::Reopen,
            vec![Field::new("reason", "Reason", Textarea), Field::new("respond_by", "New response date", Date)],
        ),
        spec(
            "refer-spso",
            "Record an SPSO referral",
            "The customer took the complaint to the SPSO. No letter.",
            Permission::Spso,
            vec![Field::new("referred_on", "Referred on", Date).optional().hint("Defaults to today.")],
        ),
        spec(
            "spso-outcome",
            "Record the SPSO's decision",
            "No letter.",
            Permission::Spso,
            vec![
                Field::new(
                    "outcome",
                    "The SPSO's decision",
                    Select(fields::choices(&[
                        (SpsoOutcome::NotTakenForward, "Not taken forward"),
                        (SpsoOutcome::Upheld, "Upheld"),
                        (SpsoOutcome::SomeUpheld, "Some upheld"),
                        (SpsoOutcome::NotUpheld, "Not upheld"),
                        (SpsoOutcome::Resolved, "Resolved"),
                        (SpsoOutcome::Withdrawn, "Withdrawn"),
                    ])),
                ),
                Field::new("decided_on", "Decided on", Date).optional().hint("Defaults to today."),
            ],
        ),
        spec(
            "restrict",
            "Restrict contact",
            "R54 (manager): sends the restriction letter with the right of appeal and the SPSO signposting.",
            Permission::RestrictContact,
            vec![
                Field::new("scope", "The restriction", Kind::Scope(channels())),
                Field::new("review_on", "Review date", Date),
                Field::new("reason", "What the person did and why contact is restricted", Textarea)
                    .hint("It goes in the letter."),
            ],
        ),
        spec(
            "review-restriction",
            "Review a contact restriction",
            "R54 (manager): no next review date lifts it. No letter.",
            Permission::RestrictContact,
            vec![
                Field::new("restriction", "Restriction number", Index).hint("1 for the first restriction on the case."),
                Field::new("next_review_on", "Next review date", Date)
                    .optional()
                    .hint("Leave blank to lift the restriction."),
            ],
        ),
        spec(
            "accept-late",
            "Accept a late complaint",
            "R15 (manager): accept a complaint made after the time limit. No letter.",
            Permission::AcceptLate,
            vec![Field::new("reason", "Reason", Textarea)],
        ),
        spec(
            "staff-involved",
            "Record a member of staff involved",
            "R59: with an email address, they get a notice saying where to find support.",
            Permission::StaffInvolved,
            vec![
                Field::new("staff_ref", "Staff reference", Text),
                Field::new("email", "Their email address", Text)
                    .optional()
                    .hint("Without one, no notice goes: tell them yourself."),
            ],
        ),
        spec(
            "link-learning",
            "Link a learning action",
            "R35: no letter.",
            Permission::Learning,
            vec![Field::new("action_id", "Learning action id", Text)],
        ),
        spec(
            "correspondence-after-final",
            "Record correspondence after the final response",
            "R40: sends a letter saying the final response stands, with the SPSO signposting.",
            Permission::RecordOther,
            vec![Field::new("channel", "How they wrote", Select(channels()))],
        ),
        spec(
            "record-consent",
            "Record consent for a representative",
            "R52: no letter.",
            Permission::RecordOther,
            vec![
                Field::new(
                    "consent_type",
                    "Type of consent",
                    Select(fields::choices(&[
                        (ConsentType::Written, "Written"),
                        (ConsentType::Verbal, "Verbal"),
                        (ConsentType::LegalAuthority, "Power of attorney, guardianship or another legal authority"),
                    ])),
                ),
                Field::new("given_on", "Given on", Date),
                Field::new("given_by", "Given by", Text),
            ],
        ),
        spec(
            "agree-action",
            "Record an agreed action",
            "R32, R36: no letter.",
            Permission::RecordOther,
            vec![
                Field::new("description", "What will be done", Textarea),
                Field::new("owner", "Who will do it", Text),
                Field::new("due_on", "Due on", Date),
            ],
        ),
        spec(
            "complete-action",
            "Record an agreed action as done",
            "R36: no letter.",
            Permission::RecordOther,
            vec![Field::new("index", "Action number", Index).hint("1 for the first action agreed on the case.")],
        ),
        spec(
            "record-child",
            "Record the child or young person's details",
            "R56: no letter.",
            Permission::RecordOther,
            vec![Field::new(
                "record",
                "The child or young person",
                Kind::Child {
                    involvement: fields::choices(&[
                        (ChildInvolvement::ChildComplainant, "The child or young person complains"),
                        (ChildInvolvement::AdultAtChildsRequest, "An adult complains at their request"),
                        (ChildInvolvement::AdultAboutChild, "An adult complains about them"),
                    ]),
                    age: fields::choices(&[
                        (AgeBand::Under8, "Under 8"),
                        (AgeBand::From8To11, "8 to 11"),
                        (AgeBand::From12To15, "12 to 15"),
                        (AgeBand::From16To17, "16 or 17"),
                    ]),
                    format: fields::choices(&[
                        (ChildResponseFormat::InPerson, "In person"),
                        (ChildResponseFormat::Phone, "Phone"),
                        (ChildResponseFormat::VideoCall, "Video call"),
                        (ChildResponseFormat::ChildFriendlyLetter, "Child-friendly letter"),
                        (ChildResponseFormat::ChildFriendlyEmail, "Child-friendly email"),
                    ]),
                    wish: fields::choices(&[
                        (ChildWish::GoOn, "To go on with the complaint"),
                        (ChildWish::Withdraw, "To withdraw the complaint"),
                    ]),
                },
            )],
        ),
        spec(
            "assign",
            "Assign",
            "R42: the handler, team and service area. No letter.",
            Permission::Assign,
            vec![
                Field::new("handler", "Handler", Text).hint("A member of staff's id, or a team."),
                Field::new("team", "Team", Text).optional(),
                Field::new("service_area", "Service area", Text).optional(),
            ],
        ),
        spec(
            "classify",
            "Classify",
            "R44, R53: category, lead and contributing services, other bodies. No letter.",
            Permission::Assign,
            vec![
                Field::new("category", "Category", Text),
                Field::new("lead_service", "Lead service", Text),
                Field::new("contributing_services", "Contributing services", Lines).optional().hint("One per line."),
                Field::new("external_bodies", "Other bodies involved", Lines).optional().hint("One per line."),
            ],
        ),
    ]
});

/// True for the actions that move a case through the procedure (responses, stages, extensions,
/// closure), listed first on the case page; the rest record things beside it.
#[must_use]
pub fn moves_the_case(name: &str) -> bool {
    matches!(
        name,
        "respond"
            | "extend"
            | "escalate"
            | "stage2"
            | "acknowledge"
            | "amend-points"
            | "update"
            | "close"
            | "withdraw"
            | "not-a-complaint"
            | "reopen"
    )
}

/// The path of an action's form on a case.
#[must_use]
pub fn action_path(reference: &CaseRef, action: &str) -> String {
    format!("{}/actions/{action}", case_path(reference))
}

fn spec(name: &str) -> Option<&'static Spec> {
    SPECS.iter().find(|spec| spec.name == name)
}

/// What the form needs to know about the case.
fn facts(case: &Case) -> CaseFacts {
    CaseFacts { points: case.stage2().and_then(|s| s.acknowledged.as_ref()).map_or(0, |a| a.points.len()) }
}

/// The answers a form starts with: the current points, for amending them.
fn initial_answers(spec: &Spec, case: &Case) -> Answers {
    let mut answers = Answers::new();
    if spec.name == "amend-points"
        && let Some(ack) = case.stage2().and_then(|s| s.acknowledged.as_ref())
    {
        for (i, point) in ack.points.iter().enumerate().take(fields::POINTS) {
            answers.insert(format!("points_{}_summary", i + 1), point.summary.clone());
            answers.insert(format!("points_{}_outcome", i + 1), point.outcome_sought.clone());
        }
    }
    answers
}

/// The action the answers make, or the problems with them.
///
/// # Errors
/// The answers' problems, each naming its box.
pub fn build(spec: &Spec, answers: &Answers, facts: &CaseFacts) -> Result<StaffAction, Vec<FieldError>> {
    let mut object = fields::to_json(&spec.fields, answers, facts)?;
    object.insert("action".to_owned(), serde_json::Value::String(spec.name.to_owned()));
    serde_json::from_value(serde_json::Value::Object(object)).map_err(|error| {
        vec![FieldError { field: String::new(), message: format!("The answers could not be read: {error}") }]
    })
}

/// An error from the rules or the input checks, as the form's error summary: a message that
/// names a field (`note: must not be blank`) points at that field; a refusal by a rule keeps its
/// message, which names the rule ("refused by R23: …").
fn form_errors(spec: &Spec, error: &ActionError) -> Vec<FieldError> {
    let message = error.to_string();
    if let ActionError::Invalid(text) = error
        && let Some((field, rest)) = text.split_once(": ")
    {
        let root = field.split(['.', '[']).next().unwrap_or(field);
        if let Some(known) = spec.fields.iter().find(|f| f.name == root) {
            let id = match known.kind {
                Kind::Points => format!("{root}_1_summary"),
                Kind::StaffParts => format!("{root}_1_ref"),
                Kind::Outcomes(_) => format!("{root}_1"),
                Kind::Override(_) => format!("{root}_outcome"),
                _ => root.to_owned(),
            };
            return vec![FieldError { field: id, message: format!("{}: {rest}", known.label) }];
        }
    }
    vec![FieldError { field: String::new(), message }]
}

#[derive(Clone, Copy)]
struct FormPage<'a> {
    spec: &'a Spec,
    reference: &'a CaseRef,
    version: u64,
    status: &'a str,
    answers: &'a Answers,
    errors: &'a [FieldError],
    facts: &'a CaseFacts,
}

fn render_form(state: &WorkspaceState, signed_in: &SignedIn, code: StatusCode, form: &FormPage<'_>) -> Response {
    let frame = PageFrame::new(state, Some(signed_in), Section::Cases);
    let views = fields::views(&form.spec.fields, form.answers, form.errors, form.facts);
    PAGES.render(
        code,
        "action_form.html",
        &frame,
        context! {
            title => form.spec.title,
            hint => form.spec.hint,
            reference => form.reference.to_string(),
            case_href => case_path(form.reference),
            action_href => action_path(form.reference, form.spec.name),
            version => form.version,
            status => form.status,
            fields => crate::layout::ser(&views),
            errors => crate::layout::ser(form.errors),
            has_errors => !form.errors.is_empty(),
        },
    )
}

/// A letter as people read it: to whom, the subject and the text.
#[must_use]
pub fn letter_text(message: &QueuedMessage) -> (String, String, String) {
    let to = message.to.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
    match mail_parser::MessageParser::default().parse(&message.raw) {
        Some(parsed) => (
            to,
            parsed.subject().unwrap_or_default().to_owned(),
            parsed.body_text(0).map(|text| text.replace("\r\n", "\n")).unwrap_or_default(),
        ),
        None => (to, String::new(), String::new()),
    }
}

fn render_preview(
    state: &WorkspaceState,
    signed_in: &SignedIn,
    form: &FormPage<'_>,
    preview: &ActionPreview,
) -> Response {
    let frame = PageFrame::new(state, Some(signed_in), Section::Cases);
    let views = fields::views(&form.spec.fields, form.answers, &[], form.facts);
    let letters: Vec<Value> = preview
        .letters
        .iter()
        .map(|letter| {
            let (to, subject, text) = letter_text(&letter.message);
            context! {
                purpose => super::display::purpose_words(letter.purpose),
                printed => letter.delivery == LetterDelivery::Print,
                staff_ref => letter.staff_ref.clone(),
                to, subject, text,
            }
        })
        .collect();
    let not_sent: Vec<String> = preview
        .not_sent
        .iter()
        .map(|(purpose, reason)| {
            format!("{} ({})", super::display::purpose_words(*purpose), super::page::words(&fields::serde_name(reason)))
        })
        .collect();
    let warnings: Vec<String> = preview.warnings.iter().map(super::display::warning_words).collect();
    // The answers again, and a fresh submission key: confirming twice does it once.
    let hidden = super::submission::hidden_fields(form.answers, &["csrf", "step", "version"]);
    PAGES.render(
        StatusCode::OK,
        "action_preview.html",
        &frame,
        context! {
            title => form.spec.title,
            reference => form.reference.to_string(),
            case_href => case_path(form.reference),
            action_href => action_path(form.reference, form.spec.name),
            version => form.version,
            status_after => status_words(complaints_app::queries::StatusFilter::of(preview.status)),
            answered => crate::layout::ser(fields::answered(&views)),
            letters, not_sent, warnings,
            hidden => crate::layout::ser(&hidden),
        },
    )
}

/// `GET /staff/cases/{reference}/actions/{action}`: the blank form (opening it is a view of the case).
pub async fn form(
    State(state): State<WorkspaceState>,
    signed_in: SignedIn,
    Path((reference, action)): Path<(String, String)>,
) -> Response {
    let Ok(reference) = reference.parse::<CaseRef>() else { return super::not_found(&state, &signed_in) };
    let Some(spec) = spec(&action) else { return super::not_found(&state, &signed_in) };
    // "Assign" offers the known staff as a choice (and refuses anyone else) when they are known.
    let assigning = super::assign::spec_for(&state, spec);
    let spec = assigning.as_ref().unwrap_or(spec);
    if !signed_in.user.may(spec.permission) {
        let error = ActionError::Forbidden { role: signed_in.user.role, needs: spec.permission };
        return failure_page(&state, &signed_in, Some(&reference), &error);
    }
    let view = match state.staff.view(&signed_in.user, &reference).await {
        Ok(view) => view,
        Err(error) => return failure_page(&state, &signed_in, Some(&reference), &error),
    };
    let facts = facts(&view.case);
    let answers = initial_answers(spec, &view.case);
    let status = status_words(complaints_app::queries::StatusFilter::of(view.status));
    let page = FormPage {
        spec,
        reference: &reference,
        version: view.version,
        status,
        answers: &answers,
        errors: &[],
        facts: &facts,
    };
    render_form(&state, &signed_in, StatusCode::OK, &page)
}

/// `POST /staff/cases/{reference}/actions/{action}`: `step=preview` (the default) shows the
/// letters, `step=confirm` does it, `step=edit` goes back to the form with the answers.
pub async fn submit(
    State(state): State<WorkspaceState>,
    signed_in: SignedIn,
    Path((reference, action)): Path<(String, String)>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Response {
    let answers: Answers = pairs.into_iter().collect();
    if !csrf_ok(&signed_in, answers.get("csrf").map(String::as_str)) {
        return csrf_refused(&state, &signed_in);
    }
    let Ok(reference) = reference.parse::<CaseRef>() else { return super::not_found(&state, &signed_in) };
    let Some(spec) = spec(&action) else { return super::not_found(&state, &signed_in) };
    // "Assign" offers the known staff as a choice (and refuses anyone else) when they are known.
    let assigning = super::assign::spec_for(&state, spec);
    let spec = assigning.as_ref().unwrap_or(spec);
    let Some(version) = answers.get("version").and_then(|v| v.trim().parse::<u64>().ok()) else {
        let error = ActionError::Invalid("the form did not say which version of the case it was opened on".to_owned());
        return failure_page(&state, &signed_in, Some(&reference), &error);
    };
    // What the form shows about the case (how many points): part of this attempt, not a view.
    let stored = match state.staff.store.get(&reference).await {
        Ok(stored) => stored,
        Err(error) => return failure_page(&state, &signed_in, Some(&reference), &error.into()),
    };
    let facts = facts(&stored.case);
    let status = status_words(complaints_app::queries::StatusFilter::of(stored.case.status()));
    let base = FormPage { spec, reference: &reference, version, status, answers: &answers, errors: &[], facts: &facts };
    let step = answers.get("step").map_or("preview", String::as_str);
    if step == "edit" {
        return render_form(&state, &signed_in, StatusCode::OK, &base);
    }
    let action = match build(spec, &answers, &facts) {
        Ok(action) => action,
        Err(errors) => {
            let errors = super::assign::clearer(spec, &answers, errors);
            return render_form(
                &state,
                &signed_in,
                StatusCode::UNPROCESSABLE_ENTITY,
                &FormPage { errors: &errors, ..base },
            );
        }
    };
    let user = &signed_in.user;
    let result = if step == "confirm" {
        let key = super::submission::posted(&answers);
        state.staff.perform_once(user, &reference, Some(version), action, key, None).await.map(|outcome| {
            let to = super::submission::done_path(&case_path(&reference), key, outcome.repeated);
            Redirect::to(&to).into_response()
        })
    } else {
        // The preview shows the complainant's details and the letters: a view of the case (R57).
        if let Err(error) = state.staff.record_read(user, Permission::ViewCase, Some(&reference), None).await {
            return failure_page(&state, &signed_in, Some(&reference), &error);
        }
        match state.staff.preview(user, &reference, Some(version), action, None).await {
            Ok(preview) => Ok(render_preview(&state, &signed_in, &base, &preview)),
            Err(error) => Err(error),
        }
    };
    match result {
        Ok(response) => response,
        Err(error @ (ActionError::Invalid(_) | ActionError::Rejected(_))) => {
            let errors = form_errors(spec, &error);
            let code = StatusCode::from_u16(error.kind().http_status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            render_form(&state, &signed_in, code, &FormPage { errors: &errors, ..base })
        }
        Err(error) => failure_page(&state, &signed_in, Some(&reference), &error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers that fill every question of `spec` with a plausible value.
    fn filled(spec: &Spec) -> Answers {
        let mut answers = Answers::new();
        for field in &spec.fields {
            let name = field.name;
            let mut put = |key: String, value: &str| {
                answers.insert(key, value.to_owned());
            };
            match &field.kind {
                Kind::Text | Kind::Textarea | Kind::Lines => put(name.to_owned(), "Something"),
                Kind::Date => put(name.to_owned(), "2026-12-10"),
                Kind::DateTime => put(name.to_owned(), "2026-12-10 09:30"),
                Kind::Representation => {
                    put(format!("{name}_person_affected"), "Sam Example");
                    put(format!("{name}_relationship"), "Son");
                    put(format!("{name}_consent"), "yes");
                }
                Kind::Index => put(name.to_owned(), "1"),
                Kind::Select(options) | Kind::OptSelect(options, _) => put(name.to_owned(), &options[0].0),
                Kind::Points => {
                    put(format!("{name}_1_summary"), "The bin was missed");
                    put(format!("{name}_1_outcome"), "Collect it");
                }
                Kind::Outcomes(options) => put(format!("{name}_1"), &options[0].0),
                Kind::StaffParts => {}
                Kind::Override(_) => {}
                Kind::Scope(_) => put(name.to_owned(), "procedure-access"),
                Kind::Child { involvement, age, .. } => {
                    put(format!("{name}_involvement"), &involvement[0].0);
                    put(format!("{name}_age_band"), &age[0].0);
                }
            }
        }
        answers
    }

    #[test]
    fn every_staff_action_has_a_form_whose_answers_make_that_action_with_its_permission() {
        assert_eq!(SPECS.len(), 25, "one form per StaffAction variant");
        for spec in SPECS.iter() {
            let action = build(spec, &filled(spec), &CaseFacts { points: 1 })
                .unwrap_or_else(|errors| panic!("{}: {errors:?}", spec.name));
            assert_eq!(action.name(), spec.name);
            assert_eq!(action.permission(), spec.permission, "{}", spec.name);
        }
    }

    #[test]
    fn a_blank_form_names_each_missing_answer() {
        let respond = spec("respond").expect("respond form");
        let errors = build(respond, &Answers::new(), &CaseFacts::default()).expect_err("blank");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["outcome", "note"]);
        assert_eq!(errors[1].message, "Enter the response");
    }

    #[test]
    fn a_point_without_its_outcome_sought_is_pointed_at() {
        let acknowledge = spec("acknowledge").expect("form");
        let mut answers = Answers::new();
        answers.insert("points_1_summary".to_owned(), "Missed bin".to_owned());
        let errors = build(acknowledge, &answers, &CaseFacts::default()).expect_err("half a point");
        assert_eq!(errors[0].field, "points_1_outcome");
    }

    #[test]
    fn an_input_error_from_the_service_points_at_its_field_and_a_refusal_keeps_its_rule() {
        let respond = spec("respond").expect("form");
        let invalid = ActionError::Invalid("note: must not be blank".to_owned());
        assert_eq!(
            form_errors(respond, &invalid),
            vec![FieldError { field: "note".to_owned(), message: "The response: must not be blank".to_owned() }]
        );
        let rejected = ActionError::Rejected(complaints_core::command::Rejected::AlreadyClosed);
        let errors = form_errors(respond, &rejected);
        assert!(errors[0].message.starts_with("refused by R40"), "{errors:?}");
    }
}
