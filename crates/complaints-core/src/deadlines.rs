//! Case clocks (stage 1 response, stage 2 acknowledgement and response, progress updates), their
//! state and recounting (mchp-rules §1–§2, R13, R19–R29). Recomputing a whole case after a calendar
//! change is [`crate::case::Case::recompute`].

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::actor::Authoriser;
use crate::calendar::{Calendar, CalendarVersion};
use crate::signposting::CustomerTold;
use crate::workdays::{ClockStart, DayOneRule};

/// Which deadline a clock measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClockKind {
    /// R19: the stage 1 (frontline) response, 5 working days from the effective receipt.
    Stage1Response,
    /// R24: the stage 2 acknowledgement, 3 working days from the stage 2 start.
    Stage2Acknowledgement,
    /// R26: the stage 2 (investigation) response, 20 working days from the stage 2 start.
    Stage2Response,
    /// R29: the next progress update on an extended stage 2 complaint.
    ProgressUpdate,
    /// A fresh response date set by staff when a closed stage is reopened (R40).
    ReopenedResponse,
}

impl ClockKind {
    /// A short stable name for logs and alert keys.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stage1Response => "stage1-response",
            Self::Stage2Acknowledgement => "stage2-acknowledgement",
            Self::Stage2Response => "stage2-response",
            Self::ProgressUpdate => "progress-update",
            Self::ReopenedResponse => "reopened-response",
        }
    }
}

/// An authorised extension of a response clock (R21, R28).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    /// Who authorised it: a role above handler.
    pub authoriser: Authoriser,
    pub reason: String,
    /// The due date before this extension.
    pub previous_due: NaiveDate,
    /// The revised due date (explicitly set: a calendar change never moves it).
    pub new_due: NaiveDate,
    /// When and how the customer was told, with the reason and the new date (R21, R28).
    pub customer_told: CustomerTold,
    /// The date the extension was decided; `None` in cases stored before it was recorded.
    #[serde(default)]
    pub decided_on: Option<NaiveDate>,
}

/// Why a clock stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StopReason {
    /// What the clock waited for was done (response given, acknowledgement sent, update given).
    Done,
    /// It no longer applies: the complaint was withdrawn, moved on, or answered in full.
    Superseded,
}

/// When and why a clock stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockStop {
    pub on: NaiveDate,
    pub why: StopReason,
}

/// Where a clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockStatus {
    /// Still counting down (it may already be past its due date: see [`Clock::is_overdue_on`]).
    Running,
    /// Done on or before the due date.
    Met { on: NaiveDate },
    /// Done after the due date.
    Missed { on: NaiveDate },
    /// Stopped without being done; neither met nor missed.
    Stopped { on: NaiveDate },
}

/// A deadline: where it counts from, its base and current due dates, and what it was computed with
/// (R13: each deadline records the calendar version and day-one rule).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    pub kind: ClockKind,
    /// The date the timescale counts from (stage start, or the anchor of a progress cycle).
    pub start: ClockStart,
    /// Length of the timescale in working days (0 for a date set by hand).
    pub working_days: u32,
    /// The current due date: the latest extension's revised date, else `base_due`; never before
    /// `base_due` (an extension only adds time, even after a recompute moved the base: R13, R21).
    pub due: NaiveDate,
    /// The due date of the base timescale, before any extension (K3 "within timescale").
    pub base_due: NaiveDate,
    pub calendar_version: CalendarVersion,
    pub day_one_rule: DayOneRule,
    /// Extensions in the order granted.
    #[serde(default)]
    pub extensions: Vec<Extension>,
    pub stopped: Option<ClockStop>,
}

impl Clock {
    /// A clock of `working_days` from `start`, counted under `rule` (R7).
    #[must_use]
    pub fn counting(
        kind: ClockKind,
        start: ClockStart,
        working_days: u32,
        calendar: &Calendar,
        rule: DayOneRule,
    ) -> Self {
        let due = start.due_after(calendar, rule, working_days);
        Self::fixed(kind, start, working_days, due, calendar, rule)
    }

    /// R29 [U]: a progress-update clock, due `working_days` working days after `anchor` (the original
    /// response due date, then each update given). The anchor is itself a deadline or a day already
    /// used, so the next working day is day 1 whatever the organisation's day-one rule; the clock
    /// therefore records rule B, which is how it was counted.
    #[must_use]
    pub fn progress_after(anchor: NaiveDate, working_days: u32, calendar: &Calendar) -> Self {
        let start = ClockStart { effective: anchor, deferred: false };
        Self::counting(ClockKind::ProgressUpdate, start, working_days, calendar, DayOneRule::B)
    }

    /// A clock whose due date was set by hand (a reopened stage's response date).
    #[must_use]
    pub fn set_by_hand(
        kind: ClockKind,
        start: ClockStart,
        due: NaiveDate,
        calendar: &Calendar,
        rule: DayOneRule,
    ) -> Self {
        Self::fixed(kind, start, 0, due, calendar, rule)
    }

    fn fixed(
        kind: ClockKind,
        start: ClockStart,
        working_days: u32,
        due: NaiveDate,
        calendar: &Calendar,
        rule: DayOneRule,
    ) -> Self {
        Self {
            kind,
            start,
            working_days,
            due,
            base_due: due,
            calendar_version: calendar.version().clone(),
            day_one_rule: rule,
            extensions: Vec::new(),
            stopped: None,
        }
    }

    /// True while the clock counts down.
    #[must_use]
    pub fn is_running(&self) -> bool {
        self.stopped.is_none()
    }

    /// True once an extension has been granted (K6).
    #[must_use]
    pub fn is_extended(&self) -> bool {
        !self.extensions.is_empty()
    }

    /// K4: the working days this clock's timescale took from its start to `end`, counted like its
    /// deadline (under rule A a response on the start day took 1). The one place callers count it.
    #[must_use]
    pub fn working_days_taken(&self, calendar: &Calendar, end: NaiveDate) -> u32 {
        self.start.working_days_taken(calendar, self.day_one_rule, end)
    }

    /// True when the clock is still running after its due date on `today`.
    #[must_use]
    pub fn is_overdue_on(&self, today: NaiveDate) -> bool {
        self.is_running() && today > self.due
    }

    /// Running, met, missed or stopped.
    #[must_use]
    pub fn status(&self) -> ClockStatus {
        match self.stopped {
            None => ClockStatus::Running,
            Some(ClockStop { on, why: StopReason::Superseded }) => ClockStatus::Stopped { on },
            Some(ClockStop { on, why: StopReason::Done }) if on <= self.due => ClockStatus::Met { on },
            Some(ClockStop { on, why: StopReason::Done }) => ClockStatus::Missed { on },
        }
    }

    /// Stops a running clock; a stopped one keeps its first stop.
    pub fn stop(&mut self, on: NaiveDate, why: StopReason) {
        if self.stopped.is_none() {
            self.stopped = Some(ClockStop { on, why });
        }
    }

    /// Records an extension and moves the due date to its revised date.
    pub fn extend(&mut self, extension: Extension) {
        self.due = extension.new_due;
        self.extensions.push(extension);
    }

    /// The base due date this clock would have under `calendar` (unchanged for dates set by hand).
    #[must_use]
    pub fn base_due_under(&self, calendar: &Calendar) -> NaiveDate {
        if self.kind == ClockKind::ReopenedResponse {
            self.base_due
        } else {
            self.start.due_after(calendar, self.day_one_rule, self.working_days)
        }
    }

    /// R13: recounts a running clock with `calendar`. An extension's revised date was set
    /// explicitly and stays, unless the recounted base timescale now ends later: an extension only
    /// ever adds time (R21, R28), so the due date is then the base due date. Returns the change
    /// when the due date moved.
    pub(crate) fn recount(&mut self, calendar: &Calendar) -> Option<DueDateChange> {
        let previous_due = self.due;
        let previous_version = self.calendar_version.clone();
        let base_due = self.base_due_under(calendar);
        self.base_due = base_due;
        self.due = self.extensions.last().map_or(base_due, |extension| extension.new_due.max(base_due));
        self.calendar_version = calendar.version().clone();
        (self.due != previous_due).then_some(DueDateChange {
            clock: self.kind,
            previous_due,
            due: self.due,
            previous_version,
        })
    }
}

/// One due date moved by a calendar change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueDateChange {
    pub clock: ClockKind,
    pub previous_due: NaiveDate,
    pub due: NaiveDate,
    pub previous_version: CalendarVersion,
}
