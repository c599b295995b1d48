//! `/staff/quality`: the quality check of closed complaints (R48): a month's sample of closures
//! for a second reader (every "resolved" one and a fixed share of the others: how and why is in
//! `complaints_core::quality`), whether each is reviewed, and the results; `/staff/quality/review`
//! shows one closure's review, or its form for a manager who did not handle the case.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use complaints_app::quality::{self, QualityError, ReviewInput};
use complaints_core::quality::{Answer, Checklist, QualityReview, Question, Sampled, stage_number};
use complaints_core::roles::Permission;
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::{
    FieldError, audit_change, audit_read, csrf_refused, month_bounds, month_of, role_refused, store_failed, today,
    user_value, view,
};
use crate::WorkspaceState;
use crate::layout::Section;
use crate::session::SignedIn;

/// `?period=YYYY-MM&notice=…`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct PeriodQuery {
    period: String,
    notice: String,
}

/// `?closure=<reference>/<stage>/<date>`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ClosureQuery {
    closure: String,
}

/// The review form, as typed (one field per [`Question`], by its kebab-case name).
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub(super) struct ReviewForm {
    csrf: String,
    closure: String,
    #[serde(rename = "response-on-time")]
    response_on_time: String,
    #[serde(rename = "all-points-answered")]
    all_points_answered: String,
    #[serde(rename = "outcome-explained")]
    outcome_explained: String,
    #[serde(rename = "signposting-correct")]
    signposting_correct: String,
    #[serde(rename = "letter-quality")]
    letter_quality: String,
    findings: String,
    learning: String,
}

impl ReviewForm {
    fn answer_text(&self, question: Question) -> &str {
        match question {
            Question::ResponseOnTime => &self.response_on_time,
            Question::AllPointsAnswered => &self.all_points_answered,
            Question::OutcomeExplained => &self.outcome_explained,
            Question::SignpostingCorrect => &self.signposting_correct,
            Question::LetterQuality => &self.letter_quality,
        }
    }
}

/// The date a closure id ends with (`…/<stage>/<date>`).
fn closure_date(closure_id: &str) -> Option<NaiveDate> {
    closure_id.rsplit('/').next().and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
}

/// One sampled closure as the table shows it.
#[derive(Debug, Serialize)]
struct SampleRow {
    id: String,
    /// The id, percent-encoded for the review link's query.
    closure_q: String,
    reference: String,
    stage: u8,
    closed_on: NaiveDate,
    outcome: &'static str,
    handler: String,
    responded_by: Option<String>,
    why: String,
    reviewed: bool,
    failings: bool,
    own: bool,
}

fn question_rows() -> Vec<(&'static str, &'static str)> {
    Question::ALL.into_iter().map(|q| (q.as_str(), q.text())).collect()
}

fn answer_options() -> Vec<[&'static str; 3]> {
    Answer::ALL.into_iter().map(|a| [a.as_str(), a.label(), ""]).collect()
}

/// `GET /staff/quality`.
pub(super) async fn show(
    State(state): State<WorkspaceState>,
    signed_in: SignedIn,
    Query(query): Query<PeriodQuery>,
) -> Response {
    if let Err(response) = audit_read(&state, &signed_in).await {
        return response;
    }
    let today = today(&state);
    let asked = query.period.trim();
    let (period, bad_period) = if asked.is_empty() {
        (month_of(today), false)
    } else if month_bounds(asked).is_some() {
        (asked.to_owned(), false)
    } else {
        (month_of(today), true)
    };
    let Some((from, to)) = month_bounds(&period) else {
        return store_failed(&state, &signed_in, &complaints_app::ports::StoreError::NotFound);
    };
    let settings = &state.staff.config.quality;
    let check =
        match quality::period_check(state.staff.store.as_ref(), state.quality.as_ref(), settings, from, to).await {
            Ok(check) => check,
            Err(error) => return store_failed(&state, &signed_in, &error),
        };
    let row = |s: &Sampled| {
        let review = check.review_of(&s.closure.id());
        SampleRow {
            id: s.closure.id(),
            closure_q: super::query_value(&s.closure.id()),
            reference: s.closure.reference.to_string(),
            stage: stage_number(s.closure.stage),
            closed_on: s.closure.closed_on,
            outcome: s.closure.outcome.as_str(),
            handler: s.closure.handler.clone(),
            responded_by: s.closure.responded_by.clone(),
            why: s.reason.to_string(),
            reviewed: review.is_some(),
            failings: review.is_some_and(|r| r.checklist.has_failings()),
            own: s.closure.is_own(&signed_in.user.id),
        }
    };
    let rows: Vec<SampleRow> = check.sample.iter().map(row).collect();
    let tallies: Vec<(&str, u32, u32, u32)> =
        check.summary.tallies.iter().map(|(q, t)| (q.text(), t.yes, t.no, t.not_applicable)).collect();
    let previous = from.pred_opt().map(month_of);
    let next = to.succ_opt().filter(|d| *d <= today).map(month_of);
    let errors = if bad_period {
        vec![FieldError { field: "period", message: "Enter the month as year and month, like 2026-03".to_owned() }]
    } else {
        Vec::new()
    };
    view::page(
        &state,
        &signed_in,
        Section::Quality,
        if bad_period { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK },
        "registers/quality.html",
        context! {
            has_errors => bad_period,
            user => user_value(&signed_in),
            may_review => signed_in.user.may(Permission::QualityReview),
            period,
            from => from.to_string(),
            to => to.to_string(),
            previous,
            next,
            share => settings.other_share_percent,
            minimum => settings.minimum_others,
            rows => super::ser(&rows),
            summary => super::ser(&check.summary),
            tallies => tallies,
            errors => super::ser(&errors),
        },
        (query.notice == "reviewed").then_some("The review was recorded."),
    )
}

/// `GET /staff/quality/review?closure=…`.
pub(super) async fn review_form(
    State(state): State<WorkspaceState>,
    signed_in: SignedIn,
    Query(query): Query<ClosureQuery>,
) -> Response {
    let form = ReviewForm { closure: query.closure.trim().to_owned(), ..ReviewForm::default() };
    render_review(&state, &signed_in, StatusCode::OK, &form, &[]).await
}

async fn render_review(
    state: &WorkspaceState,
    signed_in: &SignedIn,
    status: StatusCode,
    form: &ReviewForm,
    errors: &[FieldError],
) -> Response {
    if let Err(response) = audit_read(state, signed_in).await {
        return response;
    }
    let not_found = || {
        view::message(
            state,
            signed_in,
            StatusCode::NOT_FOUND,
            "No such closure",
            "There is no closure with this id. Go back to the quality check and choose one from the sample.",
        )
    };
    let Some((from, to)) = closure_date(&form.closure).and_then(|d| month_bounds(&month_of(d))) else {
        return not_found();
    };
    let closures = match quality::closures_between(state.staff.store.as_ref(), from, to).await {
        Ok(closures) => closures,
        Err(error) => return store_failed(state, signed_in, &error),
    };
    let Some(mut closure) = closures.into_iter().find(|c| c.id() == form.closure) else {
        return not_found();
    };
    if let Err(error) = quality::find_responders(state.staff.store.as_ref(), vec![&mut closure]).await {
        return store_failed(state, signed_in, &error);
    }
    let review: Option<QualityReview> = match state.quality.review_of(&form.closure).await {
        Ok(review) => review,
        Err(error) => return store_failed(state, signed_in, &error),
    };
    let answers: Vec<(&str, &str, &str)> = review
        .as_ref()
        .map(|r| Question::ALL.into_iter().map(|q| (q.as_str(), q.text(), r.checklist.answer(q).label())).collect())
        .unwrap_or_default();
    let typed: std::collections::BTreeMap<&str, String> =
        Question::ALL.into_iter().map(|q| (q.as_str(), form.answer_text(q).to_owned())).collect();
    let errmap: std::collections::BTreeMap<&str, &str> = errors.iter().map(|e| (e.field, e.message.as_str())).collect();
    let own = closure.is_own(&signed_in.user.id);
    view::page(
        state,
        signed_in,
        Section::Quality,
        status,
        "registers/quality_review.html",
        context! {
            has_errors => !errors.is_empty(),
            user => user_value(signed_in),
            may_review => signed_in.user.may(Permission::QualityReview),
            own,
            closure => super::ser(&closure),
            closure_id => closure.id(),
            stage => stage_number(closure.stage),
            outcome => closure.outcome.as_str(),
            period => month_of(closure.closed_on),
            review => review.as_ref().map(super::ser),
            answers,
            questions => question_rows(),
            options => answer_options(),
            typed,
            form => super::ser(form),
            errors => super::ser(errors),
            errmap => super::ser(&errmap),
            today => today(state).to_string(),
        },
        None,
    )
}

/// `POST /staff/quality/review`.
pub(super) async fn record(
    State(state): State<WorkspaceState>,
    signed_in: SignedIn,
    Form(form): Form<ReviewForm>,
) -> Response {
    if !signed_in.check_csrf(&form.csrf) {
        return csrf_refused(&state, &signed_in);
    }
    if !signed_in.user.may(Permission::QualityReview) {
        return role_refused(&state, &signed_in, "record quality reviews");
    }
    let mut errors = Vec::new();
    let mut answers = std::collections::BTreeMap::new();
    for question in Question::ALL {
        match Answer::parse(form.answer_text(question)) {
            Some(answer) => {
                answers.insert(question.as_str(), answer);
            }
            None => {
                errors.push(FieldError { field: question.as_str(), message: format!("Answer: {}", question.text()) })
            }
        }
    }
    if !errors.is_empty() {
        return render_review(&state, &signed_in, StatusCode::UNPROCESSABLE_ENTITY, &form, &errors).await;
    }
    let checklist = Checklist::from_fn(|q| answers.get(q.as_str()).copied().unwrap_or(Answer::NotApplicable));
    let Some((from, to)) = closure_date(&form.closure).and_then(|d| month_bounds(&month_of(d))) else {
        return render_review(&state, &signed_in, StatusCode::NOT_FOUND, &form, &[]).await;
    };
    let input = ReviewInput {
        closure_id: form.closure.trim().to_owned(),
        reviewed_on: today(&state),
        checklist,
        findings: form.findings.trim().to_owned(),
        learning: form.learning.split(|c: char| c == ',' || c.is_whitespace()).map(str::to_owned).collect(),
    };
    let result = quality::record_review(
        state.staff.store.as_ref(),
        state.quality.as_ref(),
        state.learning.as_ref(),
        &signed_in.user,
        from,
        to,
        input,
    )
    .await;
    let problem = match result {
        Ok(review) => {
            audit_change(
                &state,
                &signed_in,
                Permission::QualityReview,
                "quality-review",
                Some(review.closure.reference.clone()),
            )
            .await;
            let to = format!("{}/quality?period={}&notice=reviewed", crate::PREFIX, month_of(review.closure.closed_on));
            return view::no_store(Redirect::to(&to).into_response());
        }
        Err(QualityError::NotAllowed { .. }) => return role_refused(&state, &signed_in, "record quality reviews"),
        Err(QualityError::Store(error)) => return store_failed(&state, &signed_in, &error),
        Err(QualityError::NoSuchClosure(_)) => {
            return render_review(&state, &signed_in, StatusCode::NOT_FOUND, &form, &[]).await;
        }
        Err(QualityError::UnknownLearning(id)) => FieldError {
            field: "learning",
            message: format!("{id} is not in the learning register: add it there first (R35)"),
        },
        Err(QualityError::Refused(refused)) => {
            let field = match refused {
                complaints_core::quality::ReviewError::FindingsNeeded => "findings",
                complaints_core::quality::ReviewError::BadLearningId(_) => "learning",
                // The form is not shown for the reader's own case: nothing to link to.
                complaints_core::quality::ReviewError::OwnCase { .. } => "",
                _ => "response-on-time",
            };
            FieldError { field, message: format!("{refused} (R48)") }
        }
        Err(QualityError::AlreadyReviewed) => FieldError {
            field: "",
            message: "This closure has already been reviewed: one review per closure".to_owned(),
        },
    };
    render_review(&state, &signed_in, StatusCode::UNPROCESSABLE_ENTITY, &form, &[problem]).await
}
