//! The one place for dates as the organisation and its customers see them: today's date in
//! Scotland, dates written for people, and the stage 2 dates of a start (R8, R24, R26, R42).

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use crate::calendar::Calendar;
use crate::policy::{STAGE1_WORKING_DAYS, STAGE2_ACK_WORKING_DAYS, STAGE2_WORKING_DAYS};
use crate::workdays::{ClockStart, DayOneRule, local_date_time};

/// R8: the organisation's local (Europe/London) date at `now`. The core has no clock: callers
/// pass the instant in.
#[must_use]
pub fn today_in_scotland(now: DateTime<Utc>) -> NaiveDate {
    local_date_time(now).date()
}

/// A date written for people in letters and pages: "Thursday 4 December 2025".
#[must_use]
pub fn long_date(date: NaiveDate) -> String {
    date.format("%A %-d %B %Y").to_string()
}

/// The due dates of a stage started at `start` (R19, R24, R26: every clock of a stage counts from
/// the same start).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageDates {
    pub start: NaiveDate,
    /// Stage 1 response due (5 working days).
    pub stage1_due: NaiveDate,
    /// Stage 2 acknowledgement due (3 working days).
    pub stage2_acknowledgement_due: NaiveDate,
    /// Stage 2 response due (20 working days).
    pub stage2_due: NaiveDate,
}

impl StageDates {
    /// The base due dates of every timescale from `start` under `rule` (R7).
    #[must_use]
    pub fn from_start(start: ClockStart, calendar: &Calendar, rule: DayOneRule) -> Self {
        Self {
            start: start.effective,
            stage1_due: start.due_after(calendar, rule, STAGE1_WORKING_DAYS),
            stage2_acknowledgement_due: start.due_after(calendar, rule, STAGE2_ACK_WORKING_DAYS),
            stage2_due: start.due_after(calendar, rule, STAGE2_WORKING_DAYS),
        }
    }
}

/// R47: the reporting year (1 April – 31 March) `date` falls in, named by the year it starts.
#[must_use]
pub fn reporting_year(date: NaiveDate) -> i32 {
    if date.month() >= 4 { date.year() } else { date.year() - 1 }
}

/// R47: the quarter of the reporting year `date` falls in: Q1 is April–June, Q4 January–March.
#[must_use]
pub fn reporting_quarter(date: NaiveDate) -> u32 {
    (date.month() + 8) % 12 / 3 + 1
}
