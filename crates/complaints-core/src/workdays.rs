//! Working-day arithmetic: effective receipt dates, due dates and working days taken
//! (mchp-rules §2, R5, R7, R8).

use chrono::{DateTime, NaiveDate, NaiveTime, Offset, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;

/// R8: receipt dates are the organisation's local dates in Scotland, so British Summer Time counts
/// (2026-06-30T23:30Z is 1 July locally).
pub const ORGANISATION_TIME_ZONE: Tz = chrono_tz::Europe::London;

/// The local (Europe/London) date and time of an instant (R8). At the very ends of chrono's range,
/// where the local time cannot be represented, the UTC time stands in rather than a panic.
#[must_use]
pub fn local_date_time(at: DateTime<Utc>) -> chrono::NaiveDateTime {
    let offset = at.with_timezone(&ORGANISATION_TIME_ZONE).offset().fix();
    at.naive_utc().checked_add_offset(offset).unwrap_or_else(|| at.naive_utc())
}

/// The instant of a local (Europe/London) date and time, as staff give one ("received at 09:30
/// yesterday"): the earlier instant of the hour that repeats when the clocks go back, and `None`
/// for a time that does not exist locally (the hour skipped when they go forward).
#[must_use]
pub fn instant_of_local(local: chrono::NaiveDateTime) -> Option<DateTime<Utc>> {
    use chrono::TimeZone;
    ORGANISATION_TIME_ZONE.from_local_datetime(&local).earliest().map(|at| at.with_timezone(&Utc))
}

/// R7 (configurable default): which day counts as day 1 of a timescale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub enum DayOneRule {
    /// The effective receipt date is day 1 (default: its deadlines are one day earlier, so
    /// warnings err on the cautious side).
    #[default]
    A,
    /// The next working day after receipt is day 1 (the Scottish FOI convention). A receipt
    /// already moved to the next working day (weekend, holiday, after cut-off) counts that day as day 1.
    B,
}

impl DayOneRule {
    /// `"A"` or `"B"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::A => "A",
            Self::B => "B",
        }
    }
}

impl std::fmt::Display for DayOneRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A day-one rule spelling other than `A` or `B`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("day-one rule must be A or B, not {0:?}")]
pub struct UnknownDayOneRule(pub String);

impl std::str::FromStr for DayOneRule {
    type Err = UnknownDayOneRule;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "A" | "a" => Ok(Self::A),
            "B" | "b" => Ok(Self::B),
            other => Err(UnknownDayOneRule(other.to_owned())),
        }
    }
}

impl TryFrom<String> for DayOneRule {
    type Error = UnknownDayOneRule;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

/// The date a timescale starts from, and whether it was moved forward from the raw date (R8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ClockStart {
    /// The working day the timescale counts from.
    pub effective: NaiveDate,
    /// True when the raw receipt fell on a non-working day or after the cut-off, so `effective`
    /// is already the next working day (it is then day 1 under either rule).
    pub deferred: bool,
}

impl ClockStart {
    /// The clock start for something received or decided on a calendar `date` (no time of day).
    #[must_use]
    pub fn on_date(calendar: &Calendar, date: NaiveDate) -> Self {
        let effective = calendar.working_day_on_or_after(date);
        Self { effective, deferred: effective != date }
    }

    /// R8: the effective receipt for an instant: the Europe/London local date (BST-aware); a
    /// non-working day, or a time at or after the optional cut-off, moves it to the next working day.
    #[must_use]
    pub fn received_at(calendar: &Calendar, at: DateTime<Utc>, cutoff: Option<NaiveTime>) -> Self {
        let local = local_date_time(at);
        let local_date = local.date();
        let after_cutoff = cutoff.is_some_and(|cut| local.time() >= cut);
        let effective = if after_cutoff {
            calendar.next_working_day_after(local_date)
        } else {
            calendar.working_day_on_or_after(local_date)
        };
        Self { effective, deferred: effective != local_date }
    }

    /// Day 1 of a timescale from this start under `rule` (R7).
    #[must_use]
    pub fn day_one(&self, calendar: &Calendar, rule: DayOneRule) -> NaiveDate {
        match rule {
            DayOneRule::A => self.effective,
            DayOneRule::B if self.deferred => self.effective,
            DayOneRule::B => calendar.next_working_day_after(self.effective),
        }
    }

    /// The due date of a timescale of `working_days` from this start: its last working day.
    #[must_use]
    pub fn due_after(&self, calendar: &Calendar, rule: DayOneRule, working_days: u32) -> NaiveDate {
        calendar.nth_working_day(self.day_one(calendar, rule), working_days)
    }

    /// Working days taken from this start to `end`, counted like the deadline: a case closed on
    /// its due date took exactly the timescale, and under rule A one closed on its start day took 1.
    #[must_use]
    pub fn working_days_taken(&self, calendar: &Calendar, rule: DayOneRule, end: NaiveDate) -> u32 {
        calendar.working_days_inclusive(self.day_one(calendar, rule), end)
    }
}
