//! `/staff/spso`: cases referred to the SPSO (R37, R43 item 12), with the SPSO's outcome once it
//! is recorded. Recording a referral or its outcome is a case action (on the case page); this page
//! lists and links to `/staff/cases/{ref}`.
//!
//! The list reads the referral index (`CaseIndexes::referred_between`): the cases referred in the
//! period and nothing else, whatever the number of cases held. The period is a form: referred
//! from, referred to (default: the last twelve months).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Duration, NaiveDate};
use complaints_core::outcome::SpsoOutcome;
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::{FieldError, audit_read, parse_date, store_failed, today, user_value, view};
use crate::WorkspaceState;
use crate::layout::Section;
use crate::session::SignedIn;

/// The default period: cases referred to the SPSO in the last this many days (by referral date).
const DEFAULT_DAYS: i64 = 365;

/// The period form, as typed.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub(super) struct Period {
    from: String,
    to: String,
}

/// One referred case, as the table shows it.
#[derive(Debug, Serialize)]
struct Referral {
    reference: String,
    handler: String,
    status: String,
    final_response: Option<String>,
    final_outcome: Option<&'static str>,
    referred_on: NaiveDate,
    outcome: Option<&'static str>,
    outcome_tag: &'static str,
    decided_on: Option<NaiveDate>,
}

fn spso_outcome_label(outcome: SpsoOutcome) -> (&'static str, &'static str) {
    match outcome {
        SpsoOutcome::NotTakenForward => ("Not taken forward", "closed"),
        SpsoOutcome::Upheld => ("Upheld", "overdue"),
        SpsoOutcome::SomeUpheld => ("Some upheld", "due"),
        SpsoOutcome::NotUpheld => ("Not upheld", "open"),
        SpsoOutcome::Resolved => ("Resolved", "open"),
        SpsoOutcome::Withdrawn => ("Withdrawn", "closed"),
    }
}

/// `GET /staff/spso`.
pub(super) async fn show(
    State(state): State<WorkspaceState>,
    signed_in: SignedIn,
    Query(period): Query<Period>,
) -> Response {
    if let Err(response) = audit_read(&state, &signed_in).await {
        return response;
    }
    let today = today(&state);
    let mut errors = Vec::new();
    let mut date = |text: &str, field: &'static str, default: NaiveDate| {
        if text.trim().is_empty() {
            return default;
        }
        parse_date(text).unwrap_or_else(|| {
            errors.push(FieldError { field, message: "Enter a date, like 2026-03-31".to_owned() });
            default
        })
    };
    let from = date(&period.from, "from", today - Duration::days(DEFAULT_DAYS));
    let to = date(&period.to, "to", today);
    if from > to {
        errors.push(FieldError { field: "from", message: "The start of the period must be before its end".to_owned() });
    }
    let mut referrals = Vec::new();
    if errors.is_empty() {
        // The referral index: the period's referrals and nothing else.
        let referred = match state.indexes.referred_between(from, to).await {
            Ok(referred) => referred,
            Err(error) => return store_failed(&state, &signed_in, &error),
        };
        for stored in &referred {
            let case = &stored.case;
            let Some(referral) = case.spso_referral() else { continue };
            let closure = case.stage2().and_then(|s| s.closure.as_ref());
            let (outcome, outcome_tag) = referral.outcome.map_or((None, ""), |o| {
                let (label, tag) = spso_outcome_label(o);
                (Some(label), tag)
            });
            referrals.push(Referral {
                reference: case.reference().to_string(),
                handler: case.handler().to_owned(),
                status: complaints_app::queries::StatusFilter::of(case.status()).as_str().replace('-', " "),
                final_response: closure.map(|c| c.responded_on.to_string()),
                final_outcome: closure.map(|c| c.outcome.as_str()),
                referred_on: referral.referred_on,
                outcome,
                outcome_tag,
                decided_on: referral.decided_on,
            });
        }
    }
    referrals.sort_by(|a, b| b.referred_on.cmp(&a.referred_on).then_with(|| a.reference.cmp(&b.reference)));
    let awaiting = referrals.iter().filter(|r| r.outcome.is_none()).count();
    let errmap: std::collections::BTreeMap<&str, &str> = errors.iter().map(|e| (e.field, e.message.as_str())).collect();
    view::page(
        &state,
        &signed_in,
        Section::Spso,
        if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY },
        "registers/spso.html",
        context! {
            has_errors => !errors.is_empty(),
            user => user_value(&signed_in),
            referrals => super::ser(&referrals),
            awaiting,
            from => if period.from.trim().is_empty() { from.to_string() } else { period.from.clone() },
            to => if period.to.trim().is_empty() { to.to_string() } else { period.to.clone() },
            period_from => from.to_string(),
            period_to => to.to_string(),
            errors => super::ser(&errors),
            errmap => super::ser(&errmap),
        },
        None,
    )
}
