//! Time limits counted in calendar months: making a complaint, escalating it, going to the SPSO
//! (mchp-rules §3, R14–R18). STABLE signatures.

use chrono::{Datelike, Months, NaiveDate};

use crate::policy::{
    COMPLAINT_TIME_LIMIT_MONTHS, ESCALATION_AFTER_EVENT_MONTHS, ESCALATION_AFTER_STAGE1_MONTHS, MonthEnd,
    SPSO_TIME_LIMIT_MONTHS,
};

/// R17 [U]: `months` after `date`, on the same day number, clamped to the end of a shorter month
/// (31 August + 6 months = 28 or 29 February).
#[must_use]
pub fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    // chrono's checked_add_months already clamps to the last day of the target month.
    date.checked_add_months(Months::new(months)).unwrap_or(NaiveDate::MAX)
}

/// R17 [U]: `months` after `date` under the organisation's month-end rule: clamped to the end of
/// a shorter month ([`add_months`]), or rolled over to the first of the month after.
#[must_use]
pub fn add_months_with(date: NaiveDate, months: u32, rule: MonthEnd) -> NaiveDate {
    let clamped = add_months(date, months);
    match rule {
        MonthEnd::Clamp => clamped,
        // The target month lacked the day number exactly when clamping moved it.
        MonthEnd::NextMonth if clamped.day() != date.day() => clamped.succ_opt().unwrap_or(clamped),
        MonthEnd::NextMonth => clamped,
    }
}

/// The date the complaint clock of R14 runs from: awareness when known, else the event.
#[must_use]
pub fn limit_basis(event: Option<NaiveDate>, awareness: Option<NaiveDate>) -> Option<NaiveDate> {
    awareness.or(event)
}

/// R14: the last date a complaint is normally made in time (6 months), if a basis date is known.
#[must_use]
pub fn complaint_time_limit(event: Option<NaiveDate>, awareness: Option<NaiveDate>) -> Option<NaiveDate> {
    limit_basis(event, awareness).map(|basis| add_months(basis, COMPLAINT_TIME_LIMIT_MONTHS))
}

/// R15: true when a complaint received on `received` looks out of time. A warning, never a block.
#[must_use]
pub fn is_late(event: Option<NaiveDate>, awareness: Option<NaiveDate>, received: NaiveDate) -> bool {
    complaint_time_limit(event, awareness).is_some_and(|limit| received > limit)
}

/// R16: the escalation deadline: the later of (awareness or event + 6 months) and (stage 1
/// response + 2 months).
#[must_use]
pub fn escalation_deadline(
    event: Option<NaiveDate>,
    awareness: Option<NaiveDate>,
    stage1_response: NaiveDate,
) -> NaiveDate {
    escalation_deadline_with(event, awareness, stage1_response, MonthEnd::Clamp)
}

/// R16 under the organisation's month-end rule (R17).
#[must_use]
pub fn escalation_deadline_with(
    event: Option<NaiveDate>,
    awareness: Option<NaiveDate>,
    stage1_response: NaiveDate,
    rule: MonthEnd,
) -> NaiveDate {
    let after_response = add_months_with(stage1_response, ESCALATION_AFTER_STAGE1_MONTHS, rule);
    match limit_basis(event, awareness) {
        Some(basis) => after_response.max(add_months_with(basis, ESCALATION_AFTER_EVENT_MONTHS, rule)),
        None => after_response,
    }
}

/// R18: an estimate of the SPSO's 12-month limit, from when the person first knew of the problem
/// (awareness, else event, else the date the complaint was received). Show it as an estimate only.
#[must_use]
pub fn spso_limit_estimate(event: Option<NaiveDate>, awareness: Option<NaiveDate>, received: NaiveDate) -> NaiveDate {
    // They knew of the problem by the time they complained at the latest, so a later awareness
    // date (a typing slip) never pushes the estimate beyond 12 months from receipt.
    let basis = limit_basis(event, awareness).unwrap_or(received).min(received);
    add_months(basis, SPSO_TIME_LIMIT_MONTHS)
}
