//! Breach alerts, the pure part: which clocks are watched, the alert levels of each clock (due
//! soon, due today, overdue), the alert that is current for a case on a date, and the key that
//! makes each (case, clock, level, deadline version) alert fire at most once (mchp-rules §1–§2,
//! R13, R19–R29). The breach scan in `complaints-app` reads the due cases, asks this module what to
//! send and writes it; nothing here does I/O.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;
use crate::case::{Case, Stage};
use crate::complaint::EmailAddress;
use crate::deadlines::{Clock, ClockKind};

/// How far before a due date an alert may fire, at most, in working days: bounds how far ahead the
/// scan reads, whatever the configuration says (a stage 2 response has 20 working days, R26).
pub const MAX_DUE_SOON_WORKING_DAYS: u32 = 20;

/// One level of alert on a clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AlertLevel {
    /// This many working days are left after the alert's day, up to and including the due date.
    DueSoon(u32),
    /// The due date is today.
    DueToday,
    /// The first working day after the due date, with the clock still running.
    Overdue,
}

impl AlertLevel {
    /// A short stable name, used in alert keys and digests.
    #[must_use]
    pub fn key(self) -> String {
        match self {
            Self::DueSoon(days) => format!("due-soon-{days}"),
            Self::DueToday => "due-today".to_owned(),
            Self::Overdue => "overdue".to_owned(),
        }
    }

    /// How pressing the level is: later levels are more severe.
    fn severity(self) -> (u8, u32) {
        match self {
            Self::DueSoon(days) => (0, u32::MAX - days),
            Self::DueToday => (1, 0),
            Self::Overdue => (2, 0),
        }
    }
}

/// The alert configuration (`[alerts]` in the organisation file). Due-soon levels are configurable
/// per clock; *due today* and *overdue* always apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertSettings {
    /// Working days left at which a stage 1 response is "due soon" (R19: 5 working days).
    pub stage1_response_due_soon: Vec<u32>,
    /// As above for the stage 2 acknowledgement (R24: 3 working days; none by default).
    pub stage2_acknowledgement_due_soon: Vec<u32>,
    /// As above for the stage 2 response (R26: 20 working days).
    pub stage2_response_due_soon: Vec<u32>,
    /// As above for the progress update on an extended stage 2 complaint (R29; none by default).
    pub progress_update_due_soon: Vec<u32>,
    /// The team mailbox: receives every alert.
    pub team_mailbox: Option<String>,
    /// The complaints manager: receives every overdue alert.
    pub complaints_manager: Option<String>,
    /// Handler (as named on the case, R42) → address: each handler receives their own cases.
    pub handlers: BTreeMap<String, String>,
    /// The staff workspace's base URL; each digest line links to `<base>/staff/cases/<REF>`.
    pub staff_base_url: String,
}

impl Default for AlertSettings {
    fn default() -> Self {
        Self {
            stage1_response_due_soon: vec![2],
            stage2_acknowledgement_due_soon: Vec::new(),
            stage2_response_due_soon: vec![5, 2],
            progress_update_due_soon: Vec::new(),
            team_mailbox: None,
            complaints_manager: None,
            handlers: BTreeMap::new(),
            staff_base_url: "http://127.0.0.1:8080".to_owned(),
        }
    }
}

impl AlertSettings {
    /// The due-soon levels of a watched clock at `stage`, longest lead first.
    #[must_use]
    pub fn due_soon(&self, stage: Stage, kind: ClockKind) -> Vec<u32> {
        let days = match (stage, kind) {
            (Stage::One, _) => &self.stage1_response_due_soon,
            (Stage::Two, ClockKind::Stage2Acknowledgement) => &self.stage2_acknowledgement_due_soon,
            (Stage::Two, ClockKind::ProgressUpdate) => &self.progress_update_due_soon,
            (Stage::Two, _) => &self.stage2_response_due_soon,
        };
        let mut days: Vec<u32> = days.iter().copied().filter(|d| *d > 0).collect();
        days.sort_unstable_by(|a, b| b.cmp(a));
        days.dedup();
        days
    }

    /// Every level of a watched clock, least severe first.
    #[must_use]
    pub fn levels(&self, stage: Stage, kind: ClockKind) -> Vec<AlertLevel> {
        let mut levels: Vec<AlertLevel> = self.due_soon(stage, kind).into_iter().map(AlertLevel::DueSoon).collect();
        levels.extend([AlertLevel::DueToday, AlertLevel::Overdue]);
        levels
    }

    /// The longest due-soon lead configured, capped at [`MAX_DUE_SOON_WORKING_DAYS`].
    #[must_use]
    pub fn longest_lead(&self) -> u32 {
        [
            &self.stage1_response_due_soon,
            &self.stage2_acknowledgement_due_soon,
            &self.stage2_response_due_soon,
            &self.progress_update_due_soon,
        ]
        .into_iter()
        .flatten()
        .copied()
        .max()
        .unwrap_or(0)
        .min(MAX_DUE_SOON_WORKING_DAYS)
    }

    /// Checks the settings: leads within bounds, addresses well formed, a base URL given.
    ///
    /// # Errors
    /// `(field, why)` for the first problem found.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let leads = [
            ("stage1_response_due_soon", &self.stage1_response_due_soon),
            ("stage2_acknowledgement_due_soon", &self.stage2_acknowledgement_due_soon),
            ("stage2_response_due_soon", &self.stage2_response_due_soon),
            ("progress_update_due_soon", &self.progress_update_due_soon),
        ];
        for (field, days) in leads {
            if days.iter().any(|d| *d == 0 || *d > MAX_DUE_SOON_WORKING_DAYS) {
                return Err((
                    format!("alerts.{field}"),
                    format!("each lead must be 1 to {MAX_DUE_SOON_WORKING_DAYS} working days"),
                ));
            }
        }
        let addresses = [("team_mailbox", &self.team_mailbox), ("complaints_manager", &self.complaints_manager)];
        for (field, address) in addresses {
            if let Some(address) = address {
                EmailAddress::parse(address).map_err(|e| (format!("alerts.{field}"), e.to_string()))?;
            }
        }
        for (handler, address) in &self.handlers {
            EmailAddress::parse(address).map_err(|e| (format!("alerts.handlers.{handler}"), e.to_string()))?;
        }
        if !(self.staff_base_url.starts_with("https://") || self.staff_base_url.starts_with("http://")) {
            return Err(("alerts.staff_base_url".to_owned(), "must start with https:// or http://".to_owned()));
        }
        Ok(())
    }
}

/// A running clock the scan watches, with the stage it belongs to.
#[derive(Debug, Clone, Copy)]
pub struct Watched<'a> {
    pub stage: Stage,
    pub clock: &'a Clock,
}

impl Watched<'_> {
    /// What the alert on this clock is keyed by, beside its level: the clock's start and current
    /// due date. An extension, a calendar change (R13) or a new progress cycle (R29) changes it,
    /// which re-arms every level; a recompute that moves nothing keeps it.
    #[must_use]
    pub fn deadline_version(&self) -> String {
        format!("{}~{}", self.clock.start.effective, self.clock.due)
    }
}

/// Every running clock of an open case: stage 1 response (or its reopened date), stage 2
/// acknowledgement, stage 2 response (or its reopened date), and the progress update (R29).
#[must_use]
pub fn watched_clocks(case: &Case) -> Vec<Watched<'_>> {
    if !case.is_open() {
        return Vec::new();
    }
    let mut watched = Vec::new();
    if let Some(stage1) = case.stage1() {
        for clock in [Some(&stage1.response), stage1.reopened_response.as_ref()].into_iter().flatten() {
            watched.push(Watched { stage: Stage::One, clock });
        }
    }
    if let Some(stage2) = case.stage2() {
        let clocks = [
            Some(&stage2.acknowledgement),
            Some(&stage2.response),
            stage2.progress.as_ref(),
            stage2.reopened_response.as_ref(),
        ];
        for clock in clocks.into_iter().flatten() {
            watched.push(Watched { stage: Stage::Two, clock });
        }
    }
    watched.retain(|w| w.clock.is_running());
    watched
}

/// The working day `n` working days before `date` (`n` = 0 gives `date`).
fn working_days_before(calendar: &Calendar, date: NaiveDate, n: u32) -> NaiveDate {
    let mut day = date;
    let mut left = n;
    while left > 0 {
        match day.checked_sub_days(Days::new(1)) {
            Some(previous) => day = previous,
            None => return day,
        }
        if calendar.is_working_day(day) {
            left -= 1;
        }
    }
    day
}

/// The date a level of a clock due on `due` becomes current: for *due soon n*, the working day
/// with exactly `n` working days after it up to and including `due`; for *due today*, `due`; for
/// *overdue*, the first working day after `due`.
#[must_use]
pub fn alert_date(calendar: &Calendar, due: NaiveDate, level: AlertLevel) -> NaiveDate {
    match level {
        AlertLevel::DueSoon(days) => working_days_before(calendar, due, days),
        AlertLevel::DueToday => due,
        AlertLevel::Overdue => calendar.next_working_day_after(due),
    }
}

/// Working days left on `today` (positive: after today up to and including `due`; 0 on the due
/// date) or over (negative: working days after `due` up to and including today).
#[must_use]
pub fn working_days_left(calendar: &Calendar, due: NaiveDate, today: NaiveDate) -> i64 {
    if today < due {
        i64::from(calendar.working_days_inclusive(calendar.next_working_day_after(today), due))
    } else if today == due {
        0
    } else {
        -i64::from(calendar.working_days_inclusive(calendar.next_working_day_after(due), today))
    }
}

/// One alert to send, with everything a digest line needs (and nothing personal: no complaint
/// text, no contact details).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    pub reference: String,
    pub stage: Stage,
    pub clock: ClockKind,
    pub level: AlertLevel,
    pub due: NaiveDate,
    /// See [`Watched::deadline_version`].
    pub deadline_version: String,
    /// Working days left (positive) or over (negative) on the run's date.
    pub working_days_left: i64,
    pub service_area: Option<String>,
    pub handler: String,
    pub team: Option<String>,
}

impl Alert {
    /// The once-only key of this alert: (case, stage, clock, level, deadline version).
    #[must_use]
    pub fn marker(&self) -> String {
        format!(
            "{}#{}#{}#{}#{}",
            self.reference,
            stage_key(self.stage),
            self.clock.as_str(),
            self.level.key(),
            self.deadline_version
        )
    }
}

/// `s1` or `s2`.
#[must_use]
pub fn stage_key(stage: Stage) -> &'static str {
    match stage {
        Stage::One => "s1",
        Stage::Two => "s2",
    }
}

/// The alerts current for `case` on `today`: for each watched clock, its most severe level whose
/// alert date is on or before `today`. Earlier levels a missed run skipped are not sent late; the
/// current one is (once: the caller keys it with [`Alert::marker`]). Nothing on a non-working day.
#[must_use]
pub fn current_alerts(case: &Case, settings: &AlertSettings, calendar: &Calendar, today: NaiveDate) -> Vec<Alert> {
    if !calendar.is_working_day(today) {
        return Vec::new();
    }
    let assignment = case.records().assignment.as_ref();
    let service_area = assignment
        .and_then(|a| a.service_area.clone())
        .or_else(|| Some(case.complaint().service_area.clone()))
        .filter(|area| !area.trim().is_empty());
    let team = assignment.and_then(|a| a.team.clone());
    let mut alerts = Vec::new();
    for watched in watched_clocks(case) {
        let due = watched.clock.due;
        let level = settings
            .levels(watched.stage, watched.clock.kind)
            .into_iter()
            .filter(|level| alert_date(calendar, due, *level) <= today)
            .max_by_key(|level| level.severity());
        if let Some(level) = level {
            alerts.push(Alert {
                reference: case.reference().to_string(),
                stage: watched.stage,
                clock: watched.clock.kind,
                level,
                due,
                deadline_version: watched.deadline_version(),
                working_days_left: working_days_left(calendar, due, today),
                service_area: service_area.clone(),
                handler: case.handler().to_owned(),
                team: team.clone(),
            });
        }
    }
    alerts
}

/// The first date after `after` on which a new level becomes current for one of `case`'s watched
/// clocks (`None` when every level has passed or nothing runs).
#[must_use]
pub fn next_alert_date(
    case: &Case,
    settings: &AlertSettings,
    calendar: &Calendar,
    after: NaiveDate,
) -> Option<NaiveDate> {
    watched_clocks(case)
        .into_iter()
        .flat_map(|w| {
            settings
                .levels(w.stage, w.clock.kind)
                .into_iter()
                .map(move |level| alert_date(calendar, w.clock.due, level))
        })
        .filter(|date| *date > after)
        .min()
}

/// The latest due date a case read on `today` can have and still have an alert current: a clock
/// due later than this has no level on or before `today` (its longest lead starts later). The scan
/// reads the due index up to this date, so its cost follows the open cases near or past their
/// deadlines, never the closed ones.
#[must_use]
pub fn scan_horizon(settings: &AlertSettings, calendar: &Calendar, today: NaiveDate) -> NaiveDate {
    let mut day = today;
    for _ in 0..settings.longest_lead() {
        day = calendar.next_working_day_after(day);
    }
    day
}

/// The alert index date of `case` after a scan on `today` dealt with it: the horizon date (see
/// [`scan_horizon`]) of its next alert date, so the scan reads it again on exactly the first run
/// on or after that date (the horizon grows with each working day), or `None` when no level is
/// left to fire until the case changes. Every write of a case resets its index date to its next
/// due date, which is never later than this.
#[must_use]
pub fn alert_index_date(
    case: &Case,
    settings: &AlertSettings,
    calendar: &Calendar,
    today: NaiveDate,
) -> Option<NaiveDate> {
    next_alert_date(case, settings, calendar, today).map(|date| scan_horizon(settings, calendar, date))
}

/// What the alert index dates depend on beside the cases: the calendar version and the levels.
/// When it changes, the scan reads every open case once and dates each again.
#[must_use]
pub fn schedule_version(settings: &AlertSettings, calendar: &Calendar) -> String {
    let leads = |days: &[u32]| days.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
    format!(
        "{}+s1:{};a2:{};s2:{};p2:{}",
        calendar.version().as_str(),
        leads(&settings.stage1_response_due_soon),
        leads(&settings.stage2_acknowledgement_due_soon),
        leads(&settings.stage2_response_due_soon),
        leads(&settings.progress_update_due_soon)
    )
}

/// What the case timeline records of an alert sent (the digest's Message-ID with it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertRecord {
    pub stage: Stage,
    pub clock: ClockKind,
    pub level: AlertLevel,
    pub due: NaiveDate,
    pub deadline_version: String,
    pub working_days_left: i64,
}

impl From<&Alert> for AlertRecord {
    fn from(alert: &Alert) -> Self {
        Self {
            stage: alert.stage,
            clock: alert.clock,
            level: alert.level,
            due: alert.due,
            deadline_version: alert.deadline_version.clone(),
            working_days_left: alert.working_days_left,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Calendar;

    fn date(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    #[test]
    fn due_soon_two_falls_two_working_days_before_the_due_date() {
        let calendar = Calendar::scotland();
        // Thu 4 Dec 2025 due: Tue 2 Dec has Wed and Thu after it.
        assert_eq!(alert_date(&calendar, date("2025-12-04"), AlertLevel::DueSoon(2)), date("2025-12-02"));
        // Due Tue 2 Dec 2025: Mon 1 Dec is St Andrew's Day substitute, so two working days before is Thu 27 Nov.
        assert_eq!(alert_date(&calendar, date("2025-12-02"), AlertLevel::DueSoon(2)), date("2025-11-27"));
    }

    #[test]
    fn overdue_is_the_first_working_day_after_the_due_date() {
        let calendar = Calendar::scotland();
        // Due Wed 24 Dec 2025: Christmas and Boxing Day, then the weekend.
        assert_eq!(alert_date(&calendar, date("2025-12-24"), AlertLevel::Overdue), date("2025-12-29"));
    }

    #[test]
    fn working_days_left_counts_after_today_and_over_after_the_due_date() {
        let calendar = Calendar::scotland();
        assert_eq!(working_days_left(&calendar, date("2025-12-04"), date("2025-12-02")), 2);
        assert_eq!(working_days_left(&calendar, date("2025-12-04"), date("2025-12-04")), 0);
        assert_eq!(working_days_left(&calendar, date("2025-12-24"), date("2025-12-29")), -1);
        assert_eq!(working_days_left(&calendar, date("2025-12-24"), date("2025-12-30")), -2);
    }

    #[test]
    fn default_levels_follow_the_issue_stage_one_two_stage_two_five_and_two() {
        let settings = AlertSettings::default();
        assert_eq!(
            settings.levels(Stage::One, ClockKind::Stage1Response),
            vec![AlertLevel::DueSoon(2), AlertLevel::DueToday, AlertLevel::Overdue]
        );
        assert_eq!(
            settings.levels(Stage::Two, ClockKind::Stage2Response),
            vec![AlertLevel::DueSoon(5), AlertLevel::DueSoon(2), AlertLevel::DueToday, AlertLevel::Overdue]
        );
        assert_eq!(
            settings.levels(Stage::Two, ClockKind::Stage2Acknowledgement),
            vec![AlertLevel::DueToday, AlertLevel::Overdue]
        );
        assert_eq!(
            settings.levels(Stage::Two, ClockKind::ProgressUpdate),
            vec![AlertLevel::DueToday, AlertLevel::Overdue]
        );
        assert_eq!(settings.longest_lead(), 5);
    }

    #[test]
    fn the_horizon_is_the_longest_lead_in_working_days_ahead() {
        let calendar = Calendar::scotland();
        // Five working days after Thu 27 Nov 2025, skipping Mon 1 Dec (St Andrew's Day substitute).
        assert_eq!(scan_horizon(&AlertSettings::default(), &calendar, date("2025-11-27")), date("2025-12-05"));
    }

    #[test]
    fn settings_refuse_a_zero_lead_and_a_bad_address() {
        let zero = AlertSettings { stage1_response_due_soon: vec![0], ..AlertSettings::default() };
        assert_eq!(zero.validate().map_err(|e| e.0), Err("alerts.stage1_response_due_soon".to_owned()));
        let bad = AlertSettings { team_mailbox: Some("not an address".to_owned()), ..AlertSettings::default() };
        assert_eq!(bad.validate().map_err(|e| e.0), Err("alerts.team_mailbox".to_owned()));
        assert!(AlertSettings::default().validate().is_ok());
    }
}
