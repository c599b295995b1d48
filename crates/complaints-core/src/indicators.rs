//! The SPSO performance indicators K1–K6 (mchp-rules §7, R45–R49) as a pure, streaming
//! aggregation: feed an [`Accumulator`] one case at a time (its memory does not grow with the
//! number of cases, only with the number of distinct channels, service areas and categories) and
//! finish it into [`Indicators`].
//!
//! What counts where (R47: stage 1, stage 2 direct and escalated are kept apart):
//! - K2 received: openings of a bucket whose receipt date is in the period (a reopening is not a
//!   new complaint; the escalated bucket is received on the date of the request);
//! - "closed": openings answered (a response given) in the period; K3–K6 count over those;
//! - withdrawn and moved-to-stage-2 openings are counted apart and never in the outcome
//!   percentages (R33); a contact decided not to be a complaint is counted once, apart (R4);
//! - K1: learning actions completed in the period (see [`K1_BASIS`] for why this reading).

use std::collections::BTreeMap;
use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::case::{Case, Disposition, ReportingBucket, Stage, StageReport};
use crate::complaint::Channel;
use crate::learning::LearningAction;
use crate::outcome::Outcome;

/// The name a breakdown uses for a case with no category recorded yet.
pub const UNCATEGORISED: &str = "(not categorised)";

/// Why a period name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("expected a reporting year like 2026-27 or a quarter like 2026-27-Q2, got {0:?}")]
    Malformed(String),
}

/// R47: a reporting period, a quarter of the April–March reporting year or the whole year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    /// The calendar year the reporting year starts in (2026 for 2026-27).
    pub year: i32,
    /// 1–4 (Q1 is April–June), `None` for the whole year.
    pub quarter: Option<u32>,
}

impl Period {
    #[must_use]
    pub fn quarter(year: i32, quarter: u32) -> Option<Self> {
        (1..=4).contains(&quarter).then_some(Self { year, quarter: Some(quarter) })
    }

    #[must_use]
    pub fn year(year: i32) -> Self {
        Self { year, quarter: None }
    }

    /// The quarter `date` falls in (R47).
    #[must_use]
    pub fn quarter_of(date: NaiveDate) -> Self {
        Self { year: crate::dates::reporting_year(date), quarter: Some(crate::dates::reporting_quarter(date)) }
    }

    /// Parses `2026-27` or `2026-27-Q2`.
    ///
    /// # Errors
    /// [`PeriodError::Malformed`] for anything else (the second year must follow the first).
    pub fn parse(text: &str) -> Result<Self, PeriodError> {
        let bad = || PeriodError::Malformed(text.to_owned());
        let (years, quarter) = match text.split_once("-Q") {
            Some((years, q)) => (years, Some(q.parse::<u32>().map_err(|_| bad())?)),
            None => (text, None),
        };
        let (first, second) = years.split_once('-').ok_or_else(bad)?;
        if first.len() != 4 || second.len() != 2 {
            return Err(bad());
        }
        let year: i32 = first.parse().map_err(|_| bad())?;
        let next: i32 = second.parse().map_err(|_| bad())?;
        if (year + 1) % 100 != next {
            return Err(bad());
        }
        match quarter {
            Some(q) => Self::quarter(year, q).ok_or_else(bad),
            None => Ok(Self::year(year)),
        }
    }

    /// The reporting year's name, `2026-27`.
    #[must_use]
    pub fn year_label(self) -> String {
        format!("{}-{:02}", self.year, (self.year + 1) % 100)
    }

    /// The first day of the period.
    #[must_use]
    pub fn from(self) -> NaiveDate {
        let (year, month) = match self.quarter {
            None | Some(1) => (self.year, 4),
            Some(2) => (self.year, 7),
            Some(3) => (self.year, 10),
            Some(_) => (self.year + 1, 1),
        };
        NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(NaiveDate::MIN)
    }

    /// The last day of the period.
    #[must_use]
    pub fn to(self) -> NaiveDate {
        let next = match self.quarter {
            None | Some(4) => NaiveDate::from_ymd_opt(self.year + 1, 4, 1),
            Some(q) => Self { year: self.year, quarter: Some(q + 1) }.from().into(),
        };
        next.and_then(|day| day.pred_opt()).unwrap_or(NaiveDate::MAX)
    }

    #[must_use]
    pub fn contains(self, date: NaiveDate) -> bool {
        self.from() <= date && date <= self.to()
    }

    /// The first day of each calendar month in the period, in order (the per-month queries).
    #[must_use]
    pub fn months(self) -> Vec<NaiveDate> {
        let mut months = Vec::new();
        let mut day = self.from();
        while day <= self.to() {
            months.push(day);
            day = day.checked_add_months(chrono::Months::new(1)).unwrap_or(NaiveDate::MAX);
        }
        months
    }

    /// The quarter before this one (for a year, the last quarter of the year before).
    #[must_use]
    pub fn previous_quarter(self) -> Self {
        match self.quarter {
            Some(1) | None => Self { year: self.year - 1, quarter: Some(4) },
            Some(q) => Self { year: self.year, quarter: Some(q - 1) },
        }
    }

    /// The folder name of the period under its year: `Q2`, or `year` for the annual export.
    #[must_use]
    pub fn part_label(self) -> String {
        self.quarter.map_or_else(|| "year".to_owned(), |q| format!("Q{q}"))
    }

    /// `true` when the period ends before `date` (the export of a period still running is partial).
    #[must_use]
    pub fn ended_before(self, date: NaiveDate) -> bool {
        self.to() < date
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.quarter {
            Some(q) => write!(f, "{}-Q{q}", self.year_label()),
            None => f.write_str(&self.year_label()),
        }
    }
}

impl Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// K2: what "per 1,000" divides by (population or tenancies), from configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PopulationBase {
    /// "population" or "tenancies", as the organisation reports it.
    pub label: String,
    pub count: u64,
}

/// What the export needs of one case: its stage reports and the facts it is broken down by. No
/// personal data: the complainant, their contact details and the complaint text stay behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportCase {
    pub reference: String,
    pub channel: Channel,
    pub service_area: String,
    pub category: Option<String>,
    /// R4: the date it was decided the contact was not a complaint (it then has no reports).
    pub not_a_complaint_on: Option<NaiveDate>,
    pub reports: Vec<StageReport>,
}

impl ExportCase {
    #[must_use]
    pub fn from_case(case: &Case) -> Self {
        let records = case.records();
        Self {
            reference: case.reference().to_string(),
            channel: case.complaint().channel,
            service_area: case.complaint().service_area.clone(),
            category: records.classification.as_ref().map(|c| c.category.clone()),
            not_a_complaint_on: records.not_a_complaint.as_ref().map(|n| n.decided_on),
            reports: case.stage_reports(),
        }
    }

    /// True when anything of this case counts in `period`: a receipt, an ending or a
    /// not-a-complaint decision in it.
    #[must_use]
    pub fn touches(&self, period: Period) -> bool {
        self.not_a_complaint_on.is_some_and(|on| period.contains(on))
            || self.reports.iter().any(|report| report_in_period(report, period))
    }
}

/// True when a report is received or ends in the period (a row of `cases.csv`).
#[must_use]
pub fn report_in_period(report: &StageReport, period: Period) -> bool {
    report.received_on.is_some_and(|on| period.contains(on)) || report.ended_on.is_some_and(|on| period.contains(on))
}

/// A number and its percentage of a whole (one decimal, half up; `None` when the whole is 0).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Share {
    pub n: u64,
    pub percent: Option<f64>,
}

impl Share {
    fn of(n: u64, whole: u64) -> Self {
        Self { n, percent: percent(n, whole) }
    }
}

/// `n / whole` as a percentage rounded half up to one decimal, by integer arithmetic so that the
/// same counts always print the same bytes.
#[must_use]
pub fn percent(n: u64, whole: u64) -> Option<f64> {
    tenths(n.saturating_mul(1000), whole, Rounding::HalfUp)
}

#[derive(Clone, Copy)]
enum Rounding {
    HalfUp,
    Down,
}

/// `numerator / denominator` to one decimal (`numerator` already in tenths), as an f64 made from
/// whole tenths.
fn tenths(numerator: u64, denominator: u64, rounding: Rounding) -> Option<f64> {
    scaled(numerator, denominator, rounding).map(|whole| whole / 10.0)
}

/// `numerator / denominator` as a whole number, rounded as asked, in f64 (exact: counts of
/// complaints are far below 2^52).
fn scaled(numerator: u64, denominator: u64, rounding: Rounding) -> Option<f64> {
    if denominator == 0 {
        return None;
    }
    let (n, d) = (u128::from(numerator), u128::from(denominator));
    let whole = match rounding {
        Rounding::HalfUp => (2 * n + d) / (2 * d),
        Rounding::Down => n / d,
    };
    #[allow(clippy::cast_precision_loss)]
    Some(whole as f64)
}

/// The figures of one bucket (or of a total) over a period.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct Counts {
    received: u64,
    closed: u64,
    withdrawn: u64,
    moved_to_stage2: u64,
    within: u64,
    not_within: u64,
    timeliness_unknown: u64,
    working_days_total: u64,
    working_days_counted: u64,
    upheld: u64,
    partially_upheld: u64,
    not_upheld: u64,
    resolved: u64,
    extended: u64,
}

impl Counts {
    fn add_report(&mut self, report: &StageReport, period: Period) {
        if report.received_on.is_some_and(|on| period.contains(on)) {
            self.received += 1;
        }
        let Some(ended) = report.ended_on.filter(|on| period.contains(*on)) else { return };
        match report.disposition {
            Some(Disposition::Withdrawn) => self.withdrawn += 1,
            Some(Disposition::MovedToStage2) => self.moved_to_stage2 += 1,
            Some(Disposition::Responded) => {
                debug_assert_eq!(report.closed_on, Some(ended));
                self.closed += 1;
                match report.within_base_timescale {
                    Some(true) => self.within += 1,
                    Some(false) => self.not_within += 1,
                    None => self.timeliness_unknown += 1,
                }
                if let Some(days) = report.working_days_taken {
                    self.working_days_total += u64::from(days);
                    self.working_days_counted += 1;
                }
                match report.outcome {
                    Some(Outcome::Upheld) => self.upheld += 1,
                    Some(Outcome::PartiallyUpheld) => self.partially_upheld += 1,
                    Some(Outcome::NotUpheld) => self.not_upheld += 1,
                    Some(Outcome::Resolved) => self.resolved += 1,
                    None => {}
                }
                if report.extended {
                    self.extended += 1;
                }
            }
            None => {}
        }
    }

    fn merge(&mut self, other: &Self) {
        self.received += other.received;
        self.closed += other.closed;
        self.withdrawn += other.withdrawn;
        self.moved_to_stage2 += other.moved_to_stage2;
        self.within += other.within;
        self.not_within += other.not_within;
        self.timeliness_unknown += other.timeliness_unknown;
        self.working_days_total += other.working_days_total;
        self.working_days_counted += other.working_days_counted;
        self.upheld += other.upheld;
        self.partially_upheld += other.partially_upheld;
        self.not_upheld += other.not_upheld;
        self.resolved += other.resolved;
        self.extended += other.extended;
    }

    fn figures(&self, name: &str, population: Option<&PopulationBase>) -> BucketFigures {
        let timed = self.within + self.not_within;
        BucketFigures {
            name: name.to_owned(),
            k2_received: self.received,
            k2_received_per_1000: population.and_then(|base| {
                // Two decimals, half up: received × 1000 / base, in hundredths.
                scaled(self.received.saturating_mul(100_000), base.count, Rounding::HalfUp).map(|h| h / 100.0)
            }),
            closed: self.closed,
            withdrawn: self.withdrawn,
            moved_to_stage2: self.moved_to_stage2,
            k3_within_timescale: Share::of(self.within, timed),
            k3_not_within_timescale: self.not_within,
            k3_timeliness_not_recorded: self.timeliness_unknown,
            k4_total_working_days: self.working_days_total,
            k4_average_working_days: tenths(
                self.working_days_total.saturating_mul(10),
                self.working_days_counted,
                Rounding::Down,
            ),
            k5_upheld: Share::of(self.upheld, self.closed),
            k5_partially_upheld: Share::of(self.partially_upheld, self.closed),
            k5_not_upheld: Share::of(self.not_upheld, self.closed),
            k5_resolved: Share::of(self.resolved, self.closed),
            upheld_any: Share::of(self.upheld + self.partially_upheld, self.closed),
            k6_extended: Share::of(self.extended, self.closed),
        }
    }
}

/// The figures of one bucket over the period (mchp-rules §7). Percentages have one decimal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BucketFigures {
    /// `stage-1`, `stage-2-direct`, `escalated` or `total`.
    pub name: String,
    /// K2: complaints received in the period.
    pub k2_received: u64,
    /// K2 per 1,000 of the configured base (two decimals); `None` without a base.
    pub k2_received_per_1000: Option<f64>,
    /// Responses given in the period: what K3–K6 count over.
    pub closed: u64,
    /// R33: withdrawn in the period, outside the outcome percentages.
    pub withdrawn: u64,
    /// Stage 1 openings ended by the organisation's move to stage 2 in the period.
    pub moved_to_stage2: u64,
    /// K3: closed within the base timescale (5 or 20 working days; an extension does not make a
    /// case "within"); R46 (the SPSO's KPI wording): "the number and percentage of complaints at
    /// each stage closed in full within the set timescales of five and 20 working days".
    ///
    /// The % base is the closures whose timing is recorded (within + not within), and the ones
    /// left out are counted beside it ([`Self::k3_timeliness_not_recorded`]), every file showing
    /// both: a closure with no timing can be shown neither within nor outside the timescale, and
    /// the SPSO's own quarterly report (seed 004, Table 3) does the same: 8 met and 6 not met of 16
    /// stage 1 closures, with the two "responded to through our review process" footnoted as "not
    /// included here". Counting them as "not within" instead would understate K3.
    pub k3_within_timescale: Share,
    pub k3_not_within_timescale: u64,
    /// Closures whose timeliness is not known (closures set aside before schema 1 kept them).
    pub k3_timeliness_not_recorded: u64,
    /// K4: total working days from stage start to response, over closures with a recorded count.
    pub k4_total_working_days: u64,
    /// K4: the mean, cut (not rounded) to one decimal as the SPSO's own report shows it
    /// (74 days over 14 cases is 5.2).
    pub k4_average_working_days: Option<f64>,
    /// K5: outcomes of the responses given in the period.
    pub k5_upheld: Share,
    pub k5_partially_upheld: Share,
    pub k5_not_upheld: Share,
    pub k5_resolved: Share,
    /// Upheld in full or in part: the SPSO table's "upheld" column.
    pub upheld_any: Share,
    /// K6: closed in the period after the timescale was extended.
    pub k6_extended: Share,
}

/// R48: how often complaints resolved at stage 1 (responses in the period) were escalated.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ResolvedEscalation {
    pub resolved_at_stage1: u64,
    /// Of those, how many have since been escalated (by the time of the data snapshot).
    pub escalated: Share,
}

/// One row of a breakdown (by channel, service area or category).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BreakdownRow {
    pub key: String,
    /// Complaints received in the period (counted once per case, at its first stage).
    pub received: u64,
    /// Responses given in the period, at any stage.
    pub closed: u64,
    /// Of those, upheld in full or in part.
    pub upheld_any: Share,
}

#[derive(Debug, Clone, Copy, Default)]
struct BreakdownCounts {
    received: u64,
    closed: u64,
    upheld_any: u64,
}

/// R49: the Scottish Housing Regulator's annual-return view: an escalated complaint counts at
/// stage 1 and again at stage 2 (direct and escalated together).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HousingRegulatorView {
    pub stage1: BucketFigures,
    pub stage2: BucketFigures,
}

/// K1 "learning from complaints": the actions **completed** (`done_on`) in the period, each linked
/// to the complaints it came from (a learning action always has at least one: R35).
///
/// Settled against the sources, where the issue ("the actions completed and recorded in the
/// period") and mchp-rules §7 ("actions taken because of complaints closed in the period") differ:
/// - R45 [C] (MCHP Part 4, §3.15): organisations publish "on a quarterly basis" information on
///   complaint outcomes and "the actions taken to improve services": actions taken, per quarter;
/// - R46 (SPSO KPI guidance, K1): "a narrative statement of changes made because of complaints":
///   changes made, i.e. done, not planned;
/// - the SPSO's own quarterly report (seed 004): "we publish on a quarterly basis the outcome of
///   complaints and the actions we have taken in response".
///
/// Tying K1 to the complaints closed in the period instead would list, in that quarter, actions
/// not yet taken (they are agreed at or after the closure and done later), and an action finished
/// in a later quarter would never be published as taken. Completed-in-period counts each action
/// once, in the quarter it was taken; the complaints behind it are linked on the action.
pub const K1_BASIS: &str = "learning actions completed in the period";

/// K1: a learning action completed in the period (no owner name: the report is published).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LearningRow {
    pub id: String,
    pub root_cause: String,
    pub action: String,
    pub done_on: NaiveDate,
    pub cases_linked: usize,
}

/// The finished figures of a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Indicators {
    pub period: Period,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub population: Option<PopulationBase>,
    /// Cases fed in (each once) and the stage reports among them.
    pub cases_read: u64,
    pub stage_reports_read: u64,
    /// Stage 1, stage 2 (direct), escalated (R47).
    pub buckets: Vec<BucketFigures>,
    pub total: BucketFigures,
    /// R4: contacts decided in the period not to be complaints, never counted as complaints.
    pub not_a_complaint: u64,
    pub resolved_escalation: ResolvedEscalation,
    pub by_channel: Vec<BreakdownRow>,
    pub by_service_area: Vec<BreakdownRow>,
    pub by_category: Vec<BreakdownRow>,
    pub housing_regulator: HousingRegulatorView,
    /// K1.
    pub learning: Vec<LearningRow>,
}

/// The streaming aggregation: [`Accumulator::add`] each case of the period once, then
/// [`Accumulator::finish`].
#[derive(Debug, Clone)]
pub struct Accumulator {
    period: Period,
    population: Option<PopulationBase>,
    buckets: [Counts; 3],
    cases: u64,
    reports: u64,
    not_a_complaint: u64,
    resolved_stage1: u64,
    resolved_then_escalated: u64,
    by_channel: BTreeMap<&'static str, BreakdownCounts>,
    by_service_area: BTreeMap<String, BreakdownCounts>,
    by_category: BTreeMap<String, BreakdownCounts>,
}

fn bucket_index(bucket: ReportingBucket) -> usize {
    match bucket {
        ReportingBucket::Stage1 => 0,
        ReportingBucket::Stage2Direct => 1,
        ReportingBucket::Escalated => 2,
    }
}

/// The stable names of the buckets, in report order.
pub const BUCKET_NAMES: [&str; 3] = ["stage-1", "stage-2-direct", "escalated"];

impl Accumulator {
    #[must_use]
    pub fn new(period: Period, population: Option<PopulationBase>) -> Self {
        Self {
            period,
            population,
            buckets: [Counts::default(); 3],
            cases: 0,
            reports: 0,
            not_a_complaint: 0,
            resolved_stage1: 0,
            resolved_then_escalated: 0,
            by_channel: BTreeMap::new(),
            by_service_area: BTreeMap::new(),
            by_category: BTreeMap::new(),
        }
    }

    #[must_use]
    pub fn period(&self) -> Period {
        self.period
    }

    /// Counts one case. Feed each case once (the caller removes duplicates between queries);
    /// a case with nothing in the period changes nothing but `cases_read`.
    pub fn add(&mut self, case: &ExportCase) {
        let period = self.period;
        self.cases += 1;
        if case.not_a_complaint_on.is_some_and(|on| period.contains(on)) {
            self.not_a_complaint += 1;
        }
        let escalated = case.reports.iter().any(|r| r.bucket == ReportingBucket::Escalated);
        let mut received_here = false;
        let mut closed_here = 0;
        let mut upheld_here = 0;
        for report in &case.reports {
            self.reports += 1;
            self.buckets[bucket_index(report.bucket)].add_report(report, period);
            // A case counts as received once, at the stage it arrived at.
            let first_arrival = report.bucket != ReportingBucket::Escalated;
            if first_arrival && report.received_on.is_some_and(|on| period.contains(on)) {
                received_here = true;
            }
            let responded = report.disposition == Some(Disposition::Responded)
                && report.closed_on.is_some_and(|on| period.contains(on));
            if responded {
                closed_here += 1;
                if matches!(report.outcome, Some(Outcome::Upheld | Outcome::PartiallyUpheld)) {
                    upheld_here += 1;
                }
                if report.stage == Stage::One && report.outcome == Some(Outcome::Resolved) {
                    self.resolved_stage1 += 1;
                    if escalated {
                        self.resolved_then_escalated += 1;
                    }
                }
            }
        }
        if received_here || closed_here > 0 {
            let add = |counts: &mut BreakdownCounts| {
                counts.received += u64::from(received_here);
                counts.closed += closed_here;
                counts.upheld_any += upheld_here;
            };
            add(self.by_channel.entry(case.channel.as_str()).or_default());
            add(self.by_service_area.entry(case.service_area.clone()).or_default());
            let category = case.category.clone().unwrap_or_else(|| UNCATEGORISED.to_owned());
            add(self.by_category.entry(category).or_default());
        }
    }

    /// The figures, with K1 from the learning actions completed in the period (the others are
    /// left out, so the caller may pass every action it has).
    #[must_use]
    pub fn finish(self, learning: &[LearningAction]) -> Indicators {
        let population = self.population.as_ref();
        let buckets: Vec<BucketFigures> =
            self.buckets.iter().zip(BUCKET_NAMES).map(|(counts, name)| counts.figures(name, population)).collect();
        let mut total = Counts::default();
        self.buckets.iter().for_each(|counts| total.merge(counts));
        let mut stage2 = self.buckets[1];
        stage2.merge(&self.buckets[2]);
        let rows = |map: BTreeMap<String, BreakdownCounts>| -> Vec<BreakdownRow> {
            map.into_iter()
                .map(|(key, c)| BreakdownRow {
                    key,
                    received: c.received,
                    closed: c.closed,
                    upheld_any: Share::of(c.upheld_any, c.closed),
                })
                .collect()
        };
        let mut learning: Vec<LearningRow> = learning
            .iter()
            .filter_map(|action| {
                let done_on = action.done_on.filter(|on| self.period.contains(*on))?;
                Some(LearningRow {
                    id: action.id.clone(),
                    root_cause: action.root_cause.clone(),
                    action: action.action.clone(),
                    done_on,
                    cases_linked: action.cases.len(),
                })
            })
            .collect();
        learning.sort_by(|a, b| (a.done_on, &a.id).cmp(&(b.done_on, &b.id)));
        Indicators {
            period: self.period,
            from: self.period.from(),
            to: self.period.to(),
            population: self.population.clone(),
            cases_read: self.cases,
            stage_reports_read: self.reports,
            total: total.figures("total", population),
            housing_regulator: HousingRegulatorView {
                stage1: self.buckets[0].figures("stage-1", population),
                stage2: stage2.figures("stage-2", population),
            },
            buckets,
            not_a_complaint: self.not_a_complaint,
            resolved_escalation: ResolvedEscalation {
                resolved_at_stage1: self.resolved_stage1,
                escalated: Share::of(self.resolved_then_escalated, self.resolved_stage1),
            },
            by_channel: rows(self.by_channel.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()),
            by_service_area: rows(self.by_service_area),
            by_category: rows(self.by_category),
            learning,
        }
    }
}

/// The indicators of `cases` in one call (each case once).
#[must_use]
pub fn indicators<'a>(
    period: Period,
    population: Option<PopulationBase>,
    cases: impl IntoIterator<Item = &'a ExportCase>,
    learning: &[LearningAction],
) -> Indicators {
    let mut accumulator = Accumulator::new(period, population);
    cases.into_iter().for_each(|case| accumulator.add(case));
    accumulator.finish(learning)
}

/// R47: the exports due on `today`: on the first working day (by the organisation's `calendar`)
/// after a quarter of the reporting year ends, that quarter, and after the fourth quarter the
/// whole year too. Empty on every other day, so a schedule may fire daily in the first week of
/// January, April, July and October and let this decide.
#[must_use]
pub fn exports_due_on(today: NaiveDate, calendar: &crate::calendar::Calendar) -> Vec<Period> {
    let ended = Period::quarter_of(today).previous_quarter();
    let first_working_day = calendar.next_working_day_after(ended.to());
    if today != first_working_day {
        return Vec::new();
    }
    let mut due = vec![ended];
    if ended.quarter == Some(4) {
        due.push(Period::year(ended.year));
    }
    due
}

/// The month a date falls in, as its first day (the per-month partitions).
#[must_use]
pub fn month_of(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    #[test]
    fn a_quarter_name_parses_to_its_three_months() {
        let q2 = Period::parse("2026-27-Q2").expect("parses");
        assert_eq!((q2.from(), q2.to()), (date(2026, 7, 1), date(2026, 9, 30)));
        assert_eq!(q2.months(), [date(2026, 7, 1), date(2026, 8, 1), date(2026, 9, 1)]);
        let q4 = Period::parse("2026-27-Q4").expect("parses");
        assert_eq!((q4.from(), q4.to()), (date(2027, 1, 1), date(2027, 3, 31)));
        assert_eq!(q4.to_string(), "2026-27-Q4");
        assert_eq!(q4.previous_quarter().to_string(), "2026-27-Q3");
        assert_eq!(Period::parse("2026-27-Q1").expect("q1").previous_quarter().to_string(), "2025-26-Q4");
    }

    #[test]
    fn a_year_runs_april_to_march_and_bad_names_are_refused() {
        let year = Period::parse("2026-27").expect("parses");
        assert_eq!((year.from(), year.to(), year.months().len()), (date(2026, 4, 1), date(2027, 3, 31), 12));
        for bad in ["2026-28", "2026", "2026-27-Q5", "2026-27-Q0", "26-27", "2026-27-Qx"] {
            assert!(Period::parse(bad).is_err(), "{bad} is refused");
        }
    }

    #[test]
    fn a_quarter_is_due_on_the_first_working_day_after_it_ends() {
        let calendar = crate::calendar::Calendar::scotland();
        // Q2 2026-27 ends Wed 30 Sep 2026; Thu 1 Oct is a working day.
        assert_eq!(exports_due_on(date(2026, 10, 1), &calendar), [Period::parse("2026-27-Q2").expect("q")]);
        assert!(exports_due_on(date(2026, 10, 2), &calendar).is_empty(), "the day after is not");
        // Q3 ends Thu 31 Dec 2026; Fri 1 Jan 2027 is New Year's Day, 2 Jan a Saturday whose
        // holiday moves to Mon 4 Jan: Tue 5 Jan is the first working day.
        for not_yet in [date(2027, 1, 1), date(2027, 1, 4)] {
            assert!(exports_due_on(not_yet, &calendar).is_empty(), "{not_yet} is not a working day");
        }
        assert_eq!(exports_due_on(date(2027, 1, 5), &calendar), [Period::parse("2026-27-Q3").expect("q")]);
        // Q4 ends Wed 31 Mar 2027; Thu 1 Apr 2027: the quarter and the year are due.
        let due: Vec<String> = exports_due_on(date(2027, 4, 1), &calendar).iter().map(ToString::to_string).collect();
        assert_eq!(due, ["2026-27-Q4", "2026-27"]);
        assert!(exports_due_on(date(2026, 11, 2), &calendar).is_empty(), "mid-quarter");
    }

    #[test]
    fn percentages_round_half_up_and_averages_are_cut_to_one_decimal() {
        assert_eq!(percent(1, 8), Some(12.5));
        assert_eq!(percent(1, 3), Some(33.3));
        assert_eq!(percent(2, 3), Some(66.7));
        assert_eq!(percent(0, 0), None);
        assert_eq!(tenths(740, 14, Rounding::Down), Some(5.2));
        assert_eq!(tenths(1470, 5, Rounding::Down), Some(29.4));
    }
}
