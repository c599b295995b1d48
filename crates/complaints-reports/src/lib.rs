//! The quarterly and annual export files (mchp-rules §7): `cases.csv` streamed row by row as cases
//! are fed, then `indicators.json`, `indicators.csv`, `report.html` and `manifest.json` from the
//! finished figures. Everything written is a function of the input alone (no clock, no random,
//! ordered maps), so the same data gives the same bytes.

use std::io::Write;

use complaints_core::indicators::{
    Accumulator, BucketFigures, ExportCase, Indicators, Period, PopulationBase, report_in_period,
};
use complaints_core::learning::LearningAction;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub mod html;
pub mod synthetic;

/// The files of one export, in the order the manifest lists them.
pub const CASES_CSV: &str = "cases.csv";
pub const INDICATORS_JSON: &str = "indicators.json";
pub const INDICATORS_CSV: &str = "indicators.csv";
pub const REPORT_HTML: &str = "report.html";
pub const MANIFEST_JSON: &str = "manifest.json";

/// The manifest's format; bump when its meaning changes.
pub const MANIFEST_FORMAT: u32 = 1;

/// Why an export file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("could not write {file}")]
    Csv {
        file: &'static str,
        #[source]
        source: csv::Error,
    },
    #[error("could not write {file}")]
    Io {
        file: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("could not encode {file}")]
    Json {
        file: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error("report template: {0}")]
    Template(String),
}

/// The object key prefix of a period's files: `exports/2026-27/Q2/` (`exports/2026-27/year/` for
/// the annual export).
#[must_use]
pub fn export_prefix(period: Period) -> String {
    format!("exports/{}/{}/", period.year_label(), period.part_label())
}

/// What the export records about where it ran, for the manifest and the report's footer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportOptions {
    /// The organisation's name, as the report's heading shows it.
    pub organisation: String,
    /// R13: the version of the working-day calendar the stored figures were computed with.
    pub calendar_version: String,
    /// The software that wrote the files.
    pub software_version: String,
    /// K2's "per 1,000" base.
    pub population: Option<PopulationBase>,
    /// False when the export could not read the learning-action register: the report then says
    /// K1 is not reported rather than "no action completed".
    pub learning_register: bool,
}

/// One quarter's received and closed totals, for the "last four quarters" chart: read from that
/// quarter's own `indicators.json` (so this export never reads older cases).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarterTotals {
    pub period: Period,
    pub received: u64,
    pub closed: u64,
    /// The SHA-256 of the `indicators.json` it was read from (`None` for this export's own
    /// quarter).
    pub source_sha256: Option<String>,
}

impl QuarterTotals {
    /// The totals of a quarter from its `indicators.json` bytes.
    ///
    /// # Errors
    /// [`ReportError::Json`] when the bytes are not an indicators file.
    pub fn from_indicators_json(bytes: &[u8]) -> Result<Self, ReportError> {
        let figures: Indicators =
            serde_json::from_slice(bytes).map_err(|source| ReportError::Json { file: INDICATORS_JSON, source })?;
        Ok(Self {
            period: figures.period,
            received: figures.total.k2_received,
            closed: figures.total.closed,
            source_sha256: Some(sha256_hex(bytes)),
        })
    }
}

#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A writer that hashes and counts what passes through it.
#[derive(Debug)]
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.hasher.update(&buf[..written]);
        self.bytes += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A cell as written to a CSV file: text that a spreadsheet would run as a formula (it starts
/// with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading apostrophe, as OWASP's CSV
/// injection guidance advises. Quoting is the `csv` crate's.
#[must_use]
pub fn safe_cell(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}").into(),
        _ => text.into(),
    }
}

/// The header of `cases.csv`: one row per stage opening of a case that counts in the period.
pub const CASES_HEADER: [&str; 15] = [
    "reference",
    "stage",
    "bucket",
    "reopened",
    "received_on",
    "started_on",
    "ended_on",
    "disposition",
    "outcome",
    "working_days",
    "within_base_timescale",
    "extended",
    "channel",
    "service_area",
    "category",
];

/// The manifest: what was read, with what, and the hash of every file, so a re-run on the same
/// data can be checked byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub period: Period,
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub software_version: String,
    pub calendar_version: String,
    pub snapshot: Snapshot,
    /// The earlier quarters the trend chart used, with the hash of the file each came from.
    pub history: Vec<QuarterTotals>,
    pub files: Vec<FileEntry>,
}

/// The data the export read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub cases_read: u64,
    pub stage_reports_read: u64,
    pub case_rows: u64,
    pub learning_actions_read: u64,
    /// SHA-256 of the period's rows (`cases.csv`) followed by the learning actions of the period.
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

/// The small files of a finished export, ready to store (`cases.csv` went to its writer already).
#[derive(Debug, Clone)]
pub struct Finished {
    pub indicators: Indicators,
    pub manifest: Manifest,
    /// (name, content type, bytes) of indicators.json, indicators.csv, report.html, manifest.json.
    pub files: Vec<(&'static str, &'static str, Vec<u8>)>,
}

/// Streams an export: feed each case of the period once with [`ExportWriter::add`]; memory stays
/// flat (the accumulator's counters and one row buffer), `cases.csv` goes straight to `cases_out`.
#[derive(Debug)]
pub struct ExportWriter<W: Write> {
    accumulator: Accumulator,
    cases: csv::Writer<Hashing<W>>,
    rows: u64,
}

impl<W: Write> ExportWriter<W> {
    /// Starts an export of `period`, writing `cases.csv` to `cases_out`.
    ///
    /// # Errors
    /// [`ReportError::Csv`] when the header cannot be written.
    pub fn new(period: Period, population: Option<PopulationBase>, cases_out: W) -> Result<Self, ReportError> {
        let hashing = Hashing { inner: cases_out, hasher: Sha256::new(), bytes: 0 };
        let mut cases = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(hashing);
        cases.write_record(CASES_HEADER).map_err(|source| ReportError::Csv { file: CASES_CSV, source })?;
        Ok(Self { accumulator: Accumulator::new(period, population), cases, rows: 0 })
    }

    /// Counts one case and writes its rows of the period.
    ///
    /// # Errors
    /// [`ReportError::Csv`] when a row cannot be written.
    pub fn add(&mut self, case: &ExportCase) -> Result<(), ReportError> {
        let period = self.accumulator.period();
        self.accumulator.add(case);
        let category = case.category.as_deref().unwrap_or("");
        for report in case.reports.iter().filter(|report| report_in_period(report, period)) {
            let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
            let flag = |b: bool| if b { "yes" } else { "no" };
            let row: [std::borrow::Cow<'_, str>; 15] = [
                safe_cell(&case.reference),
                match report.stage {
                    complaints_core::case::Stage::One => "1",
                    complaints_core::case::Stage::Two => "2",
                }
                .into(),
                bucket_name(report.bucket).into(),
                flag(report.reopened).into(),
                date(report.received_on).into(),
                report.started_on.to_string().into(),
                date(report.ended_on).into(),
                report.disposition.map_or("", disposition_name).into(),
                report.outcome.map_or("", |o| o.as_str()).into(),
                report.working_days_taken.map(|d| d.to_string()).unwrap_or_default().into(),
                report.within_base_timescale.map_or("", flag).into(),
                flag(report.extended).into(),
                case.channel.as_str().into(),
                safe_cell(&case.service_area),
                safe_cell(category),
            ];
            self.cases
                .write_record(row.iter().map(|cell| cell.as_bytes()))
                .map_err(|source| ReportError::Csv { file: CASES_CSV, source })?;
            self.rows += 1;
        }
        Ok(())
    }

    /// Finishes `cases.csv` (flushed, its writer handed back) and builds the other files.
    /// `history` holds the earlier quarters for the trend chart, oldest first.
    ///
    /// # Errors
    /// Any [`ReportError`] from writing or rendering.
    pub fn finish(
        self,
        learning: &[LearningAction],
        history: Vec<QuarterTotals>,
        options: &ExportOptions,
    ) -> Result<(Finished, W), ReportError> {
        let rows = self.rows;
        let hashing = self
            .cases
            .into_inner()
            .map_err(|e| ReportError::Io { file: CASES_CSV, source: std::io::Error::other(e.to_string()) })?;
        let Hashing { inner, hasher, bytes } = hashing;
        let cases_sha = hex::encode(hasher.clone().finalize());
        let indicators = self.accumulator.finish(learning);

        let mut snapshot_hasher = hasher;
        let learning_json = serde_json::to_vec(&indicators.learning)
            .map_err(|source| ReportError::Json { file: MANIFEST_JSON, source })?;
        snapshot_hasher.update(&learning_json);

        let indicators_json = json_bytes(&indicators, INDICATORS_JSON)?;
        let indicators_csv = indicators_csv(&indicators)?;
        let mut trend = history.clone();
        if indicators.period.quarter.is_some() {
            trend.push(QuarterTotals {
                period: indicators.period,
                received: indicators.total.k2_received,
                closed: indicators.total.closed,
                source_sha256: None,
            });
        }
        let mut manifest = Manifest {
            format: MANIFEST_FORMAT,
            period: indicators.period,
            from: indicators.from,
            to: indicators.to,
            software_version: options.software_version.clone(),
            calendar_version: options.calendar_version.clone(),
            snapshot: Snapshot {
                cases_read: indicators.cases_read,
                stage_reports_read: indicators.stage_reports_read,
                case_rows: rows,
                learning_actions_read: learning.len() as u64,
                sha256: hex::encode(snapshot_hasher.finalize()),
            },
            history,
            files: vec![FileEntry { name: CASES_CSV.to_owned(), bytes, sha256: cases_sha }],
        };
        let report_html = html::render(&indicators, &trend, &manifest, options)?.into_bytes();
        let files = vec![
            (INDICATORS_JSON, "application/json", indicators_json),
            (INDICATORS_CSV, "text/csv; charset=utf-8", indicators_csv),
            (REPORT_HTML, "text/html; charset=utf-8", report_html),
        ];
        for (name, _, content) in &files {
            manifest.files.push(FileEntry {
                name: (*name).to_owned(),
                bytes: content.len() as u64,
                sha256: sha256_hex(content),
            });
        }
        let manifest_json = json_bytes(&manifest, MANIFEST_JSON)?;
        let mut files = files;
        files.push((MANIFEST_JSON, "application/json", manifest_json));
        Ok((Finished { indicators, manifest, files }, inner))
    }
}

fn json_bytes(value: &impl Serialize, file: &'static str) -> Result<Vec<u8>, ReportError> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|source| ReportError::Json { file, source })?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// The stable name of a reporting bucket.
#[must_use]
pub fn bucket_name(bucket: complaints_core::case::ReportingBucket) -> &'static str {
    use complaints_core::case::ReportingBucket;
    match bucket {
        ReportingBucket::Stage1 => "stage-1",
        ReportingBucket::Stage2Direct => "stage-2-direct",
        ReportingBucket::Escalated => "escalated",
    }
}

fn disposition_name(disposition: complaints_core::case::Disposition) -> &'static str {
    use complaints_core::case::Disposition;
    match disposition {
        Disposition::Responded => "responded",
        Disposition::Withdrawn => "withdrawn",
        Disposition::MovedToStage2 => "moved-to-stage-2",
    }
}

/// A number as the files print it: empty when there is none.
fn number(value: Option<f64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// The measures of one bucket as (indicator, measure, value), in a fixed order.
fn bucket_measures(figures: &BucketFigures) -> Vec<(&'static str, &'static str, String)> {
    let share = |s: complaints_core::indicators::Share| (s.n.to_string(), number(s.percent));
    let mut rows = vec![
        ("K2", "received", figures.k2_received.to_string()),
        ("K2", "received per 1,000", number(figures.k2_received_per_1000)),
        ("", "closed", figures.closed.to_string()),
    ];
    let (n, pct) = share(figures.k3_within_timescale);
    rows.extend([
        ("K3", "within base timescale", n),
        ("K3", "within base timescale %", pct),
        // The % base (the closures whose timing is recorded) and what it leaves out, beside it.
        (
            "K3",
            "within base timescale % base",
            (figures.k3_within_timescale.n + figures.k3_not_within_timescale).to_string(),
        ),
        ("K3", "timeliness not recorded", figures.k3_timeliness_not_recorded.to_string()),
        ("K3", "not within base timescale", figures.k3_not_within_timescale.to_string()),
        ("K4", "total working days", figures.k4_total_working_days.to_string()),
        ("K4", "average working days", number(figures.k4_average_working_days)),
    ]);
    for (name, percent_name, value) in [
        ("upheld", "upheld %", figures.k5_upheld),
        ("partially upheld", "partially upheld %", figures.k5_partially_upheld),
        ("not upheld", "not upheld %", figures.k5_not_upheld),
        ("resolved", "resolved %", figures.k5_resolved),
    ] {
        let (n, pct) = share(value);
        rows.push(("K5", name, n));
        rows.push(("K5", percent_name, pct));
    }
    let (n, pct) = share(figures.k6_extended);
    rows.extend([
        ("K5", "withdrawn", figures.withdrawn.to_string()),
        ("", "moved to stage 2", figures.moved_to_stage2.to_string()),
        ("K6", "extended", n),
        ("K6", "extended %", pct),
    ]);
    rows
}

/// `indicators.csv`: one row per (section, row, indicator, measure, value), long format so it
/// reads into any spreadsheet or script without knowing the layout.
///
/// # Errors
/// [`ReportError::Csv`].
pub fn indicators_csv(figures: &Indicators) -> Result<Vec<u8>, ReportError> {
    let err = |source| ReportError::Csv { file: INDICATORS_CSV, source };
    let mut out = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    out.write_record(["period", "section", "row", "indicator", "measure", "value"]).map_err(err)?;
    let period = figures.period.to_string();
    let mut write = |section: &str, row: &str, indicator: &str, measure: &str, value: &str| {
        out.write_record([period.as_str(), section, &safe_cell(row), indicator, measure, value]).map_err(err)
    };
    for bucket in figures.buckets.iter().chain([&figures.total]) {
        for (indicator, measure, value) in bucket_measures(bucket) {
            write("buckets", &bucket.name, indicator, measure, &value)?;
        }
    }
    for bucket in [&figures.housing_regulator.stage1, &figures.housing_regulator.stage2] {
        for (indicator, measure, value) in bucket_measures(bucket) {
            write("housing-regulator", &bucket.name, indicator, measure, &value)?;
        }
    }
    write("other", "all", "", "not a complaint", &figures.not_a_complaint.to_string())?;
    let escalation = &figures.resolved_escalation;
    write("other", "stage-1", "", "resolved", &escalation.resolved_at_stage1.to_string())?;
    write("other", "stage-1", "", "resolved then escalated", &escalation.escalated.n.to_string())?;
    write("other", "stage-1", "", "resolved then escalated %", &number(escalation.escalated.percent))?;
    for (section, rows) in [
        ("by-channel", &figures.by_channel),
        ("by-service-area", &figures.by_service_area),
        ("by-category", &figures.by_category),
    ] {
        for row in rows {
            write(section, &row.key, "", "received", &row.received.to_string())?;
            write(section, &row.key, "", "closed", &row.closed.to_string())?;
            write(section, &row.key, "", "upheld or partially upheld", &row.upheld_any.n.to_string())?;
        }
    }
    write("learning", "all", "K1", "actions completed", &figures.learning.len().to_string())?;
    out.into_inner().map_err(|e| ReportError::Io { file: INDICATORS_CSV, source: std::io::Error::other(e.to_string()) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_a_spreadsheet_would_run_get_an_apostrophe() {
        for formula in ["=SUM(A1)", "+1", "-2+3", "@cmd", "\tx", "\rx"] {
            assert!(safe_cell(formula).starts_with('\''), "{formula:?} is neutralised");
        }
        assert_eq!(safe_cell("Housing repairs"), "Housing repairs");
        assert_eq!(safe_cell(""), "");
    }

    #[test]
    fn the_prefix_names_the_year_and_the_quarter() {
        assert_eq!(export_prefix(Period::parse("2026-27-Q2").expect("period")), "exports/2026-27/Q2/");
        assert_eq!(export_prefix(Period::parse("2026-27").expect("period")), "exports/2026-27/year/");
    }
}
