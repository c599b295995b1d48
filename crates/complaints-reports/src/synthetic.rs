//! Synthetic export cases for the benchmark and the file tests: a deterministic generator (a
//! fixed linear congruential sequence, so the same seed gives the same cases) of plausible stage
//! reports spread over a period, with no personal data because there is none to give.

use chrono::{Days, NaiveDate};
use complaints_core::case::{Disposition, ReportingBucket, Stage, StageReport};
use complaints_core::complaint::Channel;
use complaints_core::indicators::{ExportCase, Period};
use complaints_core::outcome::Outcome;

const CHANNELS: [Channel; 6] =
    [Channel::WebForm, Channel::Email, Channel::Phone, Channel::Letter, Channel::InPerson, Channel::Messenger];
const SERVICES: [&str; 8] = [
    "Housing repairs",
    "Waste and recycling",
    "Council tax",
    "Roads",
    "Planning",
    "Social care",
    "Schools",
    "Libraries",
];
const CATEGORIES: [&str; 6] = [
    "Communication",
    "Delay",
    "Policy or procedure",
    "Quality of service",
    "Staff attitude or conduct",
    "Something else",
];
const OUTCOMES: [Outcome; 4] = [Outcome::Upheld, Outcome::PartiallyUpheld, Outcome::NotUpheld, Outcome::Resolved];

/// A deterministic sequence of synthetic cases touching `period`.
#[derive(Debug, Clone)]
pub struct Generator {
    period: Period,
    state: u64,
    next: u64,
    count: u64,
}

impl Generator {
    #[must_use]
    pub fn new(period: Period, count: u64, seed: u64) -> Self {
        Self { period, state: seed ^ 0x9E37_79B9_7F4A_7C15, next: 0, count }
    }

    fn roll(&mut self, below: u64) -> u64 {
        // Knuth's MMIX constants; the high bits are the well-mixed ones.
        self.state = self.state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.state >> 33) % below.max(1)
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[usize::try_from(self.roll(items.len() as u64)).unwrap_or(0)]
    }

    fn closed(&mut self, mut report: StageReport, start: NaiveDate, base: u32) -> StageReport {
        let days = u32::try_from(1 + self.roll(u64::from(base) * 2)).unwrap_or(1);
        // Calendar days ≈ working days × 7 / 5.
        let end = start + Days::new(u64::from(days) * 7 / 5);
        report.ended_on = Some(end);
        if self.roll(30) == 0 {
            report.disposition = Some(Disposition::Withdrawn);
            report.withdrawn_on = Some(end);
            return report;
        }
        report.disposition = Some(Disposition::Responded);
        report.closed_on = Some(end);
        report.outcome = Some(self.pick(&OUTCOMES));
        report.working_days_taken = Some(days);
        report.within_base_timescale = Some(days <= base);
        report.extended = days > base && self.roll(2) == 0;
        report
    }
}

fn open(stage: Stage, bucket: ReportingBucket, start: NaiveDate) -> StageReport {
    StageReport {
        stage,
        bucket,
        received_on: Some(start),
        reopened: false,
        started_on: start,
        ended_on: None,
        disposition: None,
        closed_on: None,
        outcome: None,
        withdrawn_on: None,
        working_days_taken: None,
        within_base_timescale: None,
        extended: false,
    }
}

impl Iterator for Generator {
    type Item = ExportCase;

    fn next(&mut self) -> Option<ExportCase> {
        if self.next >= self.count {
            return None;
        }
        let number = self.next;
        self.next += 1;
        let span = u64::try_from((self.period.to() - self.period.from()).num_days()).unwrap_or(90) + 30;
        // Received up to 30 days before the period starts (carried over) or in it.
        let received = self.period.from() - Days::new(30) + Days::new(self.roll(span));
        let mut reports = Vec::new();
        match self.roll(100) {
            0..=7 => {
                let report = open(Stage::Two, ReportingBucket::Stage2Direct, received);
                reports.push(if self.roll(5) == 0 { report } else { self.closed(report, received, 20) });
            }
            kind => {
                let report = open(Stage::One, ReportingBucket::Stage1, received);
                let first = if self.roll(10) == 0 { report } else { self.closed(report, received, 5) };
                let escalate = kind >= 88 && first.disposition == Some(Disposition::Responded);
                let escalated_on = first.ended_on.map(|end| end + Days::new(1 + self.roll(20)));
                reports.push(first);
                if let (true, Some(on)) = (escalate, escalated_on) {
                    let report = open(Stage::Two, ReportingBucket::Escalated, on);
                    reports.push(if self.roll(4) == 0 { report } else { self.closed(report, on, 20) });
                }
            }
        }
        let category = (self.roll(5) != 0).then(|| self.pick(&CATEGORIES).to_owned());
        Some(ExportCase {
            reference: format!("CMP-{}-{:07}", self.period.year, number + 1),
            channel: self.pick(&CHANNELS),
            service_area: self.pick(&SERVICES).to_owned(),
            category,
            not_a_complaint_on: None,
            reports,
        })
    }
}
