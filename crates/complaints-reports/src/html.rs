//! `report.html`: the SPSO quarterly report layout (Table 1 received and closed, Table 2 upheld /
//! not upheld, Table 3 timescales), the indicators K1–K6, the breakdowns, the Housing Regulator
//! view and the learning actions, with SVG bar charts each followed by the table of its data.
//! The page is built as a view model here and laid out by one minijinja template, which escapes
//! every value (the template's name ends in `.html`).

use complaints_core::indicators::{BreakdownRow, BucketFigures, Indicators, Share};
use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

use crate::{ExportOptions, Manifest, QuarterTotals, ReportError};

const TEMPLATE: &str = include_str!("../templates/report.html");

/// The buckets' names as people read them, in report order (R47).
const BUCKET_LABELS: [&str; 3] =
    ["Stage 1 – frontline response", "Stage 2 – investigation (direct)", "Escalated complaints"];

#[derive(Debug, Serialize)]
struct Table {
    id: String,
    caption: String,
    headers: Vec<String>,
    /// The first cell of each row is its header.
    rows: Vec<Vec<String>>,
}

#[derive(Debug, Serialize)]
struct Bar {
    x: u32,
    y: u32,
    width: u32,
    height: u32,
    series: usize,
    value: String,
    text_x: u32,
    text_y: u32,
}

#[derive(Debug, Serialize)]
struct AxisLabel {
    x: u32,
    text: String,
}

#[derive(Debug, Serialize)]
struct Tick {
    y: u32,
    text: String,
}

#[derive(Debug, Serialize)]
struct Chart {
    id: String,
    title: String,
    description: String,
    width: u32,
    height: u32,
    left: u32,
    right: u32,
    bottom: u32,
    bars: Vec<Bar>,
    labels: Vec<AxisLabel>,
    label_y: u32,
    ticks: Vec<Tick>,
    series: Vec<String>,
    table: Table,
}

#[derive(Debug, Serialize)]
struct Section {
    id: String,
    heading: String,
    paragraphs: Vec<String>,
    charts: Vec<Chart>,
    tables: Vec<Table>,
}

#[derive(Debug, Serialize)]
struct Page {
    title: String,
    organisation: String,
    period_text: String,
    sections: Vec<Section>,
    footer: Vec<String>,
}

const WIDTH: u32 = 480;
const HEIGHT: u32 = 260;
const LEFT: u32 = 48;
const RIGHT: u32 = 12;
const TOP: u32 = 24;
const BOTTOM: u32 = 40;

/// A step of 1, 2 or 5 × 10ⁿ giving at most five ticks up to `max`.
fn tick_step(max: u64) -> u64 {
    let mut magnitude = 1;
    loop {
        for step in [1, 2, 5] {
            if max <= step * magnitude * 5 {
                return step * magnitude;
            }
        }
        magnitude *= 10;
    }
}

/// A grouped bar chart: one group per label, one bar per series.
fn bar_chart(
    id: &str,
    title: &str,
    description: &str,
    groups: &[(String, Vec<u64>)],
    series: &[&str],
    table: Table,
) -> Chart {
    let max = groups.iter().flat_map(|(_, values)| values.iter().copied()).max().unwrap_or(0).max(1);
    let step = tick_step(max);
    let top_value = max.div_ceil(step) * step;
    let plot_height = HEIGHT - TOP - BOTTOM;
    let plot_width = WIDTH - LEFT - RIGHT;
    let scale =
        |value: u64| -> u32 { u32::try_from(value * u64::from(plot_height) / top_value.max(1)).unwrap_or(plot_height) };
    let groups_count = u32::try_from(groups.len()).unwrap_or(1).max(1);
    let group_width = plot_width / groups_count;
    let series_count = u32::try_from(series.len()).unwrap_or(1).max(1);
    let bar_width = (group_width * 4 / 5 / series_count).max(1);
    let mut bars = Vec::new();
    let mut labels = Vec::new();
    for (g, (label, values)) in (0u32..).zip(groups) {
        let group_left = LEFT + g * group_width + group_width / 10;
        labels.push(AxisLabel { x: LEFT + g * group_width + group_width / 2, text: label.clone() });
        for (s, value) in (0u32..).zip(values) {
            let height = scale(*value);
            let x = group_left + s * bar_width;
            let y = TOP + plot_height - height;
            bars.push(Bar {
                x,
                y,
                width: bar_width.saturating_sub(2).max(1),
                height,
                series: s as usize,
                value: value.to_string(),
                text_x: x + bar_width / 2,
                text_y: y.saturating_sub(4),
            });
        }
    }
    let ticks = (0..=top_value / step)
        .map(|i| Tick { y: TOP + plot_height - scale(i * step), text: (i * step).to_string() })
        .collect();
    Chart {
        id: id.to_owned(),
        title: title.to_owned(),
        description: description.to_owned(),
        width: WIDTH,
        height: HEIGHT,
        left: LEFT,
        right: WIDTH - RIGHT,
        bottom: TOP + plot_height,
        bars,
        labels,
        label_y: TOP + plot_height + 18,
        ticks,
        series: series.iter().map(|s| (*s).to_owned()).collect(),
        table,
    }
}

fn pct(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_owned(), |v| format!("{v:.1}%"))
}

fn days(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_owned(), |v| format!("{v:.1}"))
}

fn share(value: Share) -> String {
    format!("{} ({})", value.n, pct(value.percent))
}

/// K3 as a share of the timed closures, with the closures left out of that base named beside it.
fn k3_share(figures: &BucketFigures) -> String {
    let timed = figures.k3_within_timescale.n + figures.k3_not_within_timescale;
    match figures.k3_timeliness_not_recorded {
        0 => share(figures.k3_within_timescale),
        untimed => format!("{} of {timed}; {untimed} not timed, left out", share(figures.k3_within_timescale)),
    }
}

fn strings<const N: usize>(cells: [&str; N]) -> Vec<String> {
    cells.iter().map(|c| (*c).to_owned()).collect()
}

fn labelled(figures: &Indicators) -> impl Iterator<Item = (&'static str, &BucketFigures)> {
    BUCKET_LABELS.into_iter().zip(&figures.buckets)
}

fn table_1(figures: &Indicators) -> Table {
    let mut rows: Vec<Vec<String>> = labelled(figures)
        .map(|(label, b)| vec![label.to_owned(), b.k2_received.to_string(), b.closed.to_string()])
        .collect();
    rows.push(vec!["Total".to_owned(), figures.total.k2_received.to_string(), figures.total.closed.to_string()]);
    Table {
        id: "table-1".to_owned(),
        caption: "Table 1: complaints received and closed".to_owned(),
        headers: strings(["Summary", "Received", "Closed"]),
        rows,
    }
}

fn table_2(figures: &Indicators) -> Table {
    let row = |label: &str, b: &BucketFigures| {
        vec![
            label.to_owned(),
            b.upheld_any.n.to_string(),
            b.k5_not_upheld.n.to_string(),
            b.k5_resolved.n.to_string(),
            b.closed.to_string(),
            pct(b.upheld_any.percent),
        ]
    };
    let mut rows: Vec<Vec<String>> = labelled(figures).map(|(label, b)| row(label, b)).collect();
    rows.push(row("Total", &figures.total));
    Table {
        id: "table-2".to_owned(),
        caption: "Table 2: complaints upheld and not upheld (upheld includes partially upheld)".to_owned(),
        headers: strings(["Summary", "Upheld", "Not upheld", "Resolved", "Total", "% upheld"]),
        rows,
    }
}

fn table_3(figures: &Indicators) -> Table {
    let row = |label: &str, b: &BucketFigures| {
        vec![
            label.to_owned(),
            b.k3_within_timescale.n.to_string(),
            b.k3_not_within_timescale.to_string(),
            b.k4_total_working_days.to_string(),
            days(b.k4_average_working_days),
        ]
    };
    let mut rows: Vec<Vec<String>> = labelled(figures).map(|(label, b)| row(label, b)).collect();
    rows.push(row("Total", &figures.total));
    let mut caption = "Table 3: timescales (5 working days at stage 1, 20 at stage 2)".to_owned();
    // K3's base is the closures whose timing is recorded; those without are named here, as the
    // SPSO's own quarterly report footnotes the closures it leaves out of its Table 3.
    let untimed = figures.total.k3_timeliness_not_recorded;
    if untimed > 0 {
        caption.push_str(&format!(
            ". Not included: {untimed} closure(s) with no recorded timing (closures set aside by a reopening before \
             timings were kept), so met and not met add up to fewer than the cases closed"
        ));
    }
    Table {
        id: "table-3".to_owned(),
        caption,
        headers: strings([
            "Timescales",
            "Met timescale (cases)",
            "Did not meet timescale (cases)",
            "Total number of working days",
            "Average time in working days to close",
        ]),
        rows,
    }
}

fn indicator_table(id: &str, caption: &str, columns: &[(&str, &BucketFigures)]) -> Table {
    let mut headers = vec!["Indicator".to_owned()];
    headers.extend(columns.iter().map(|(label, _)| (*label).to_owned()));
    let row = |name: &str, cell: &dyn Fn(&BucketFigures) -> String| {
        let mut row = vec![name.to_owned()];
        row.extend(columns.iter().map(|(_, b)| cell(b)));
        row
    };
    let rows = vec![
        row("K2 received", &|b| b.k2_received.to_string()),
        row("K2 received per 1,000", &|b| b.k2_received_per_1000.map_or_else(|| "–".to_owned(), |v| format!("{v:.2}"))),
        row("Closed (responses given)", &|b| b.closed.to_string()),
        row("K3 closed within the base timescale", &|b| k3_share(b)),
        row("K4 average working days", &|b| days(b.k4_average_working_days)),
        row("K5 upheld", &|b| share(b.k5_upheld)),
        row("K5 partially upheld", &|b| share(b.k5_partially_upheld)),
        row("K5 not upheld", &|b| share(b.k5_not_upheld)),
        row("K5 resolved", &|b| share(b.k5_resolved)),
        row("Withdrawn (not in K5)", &|b| b.withdrawn.to_string()),
        row("Moved to stage 2 by us", &|b| b.moved_to_stage2.to_string()),
        row("K6 timescale extended", &|b| share(b.k6_extended)),
    ];
    Table { id: id.to_owned(), caption: caption.to_owned(), headers, rows }
}

fn breakdown_table(id: &str, caption: &str, first: &str, rows: &[BreakdownRow]) -> Table {
    Table {
        id: id.to_owned(),
        caption: caption.to_owned(),
        headers: strings([first, "Received", "Closed", "Upheld or partially upheld"]),
        rows: rows
            .iter()
            .map(|r| vec![r.key.clone(), r.received.to_string(), r.closed.to_string(), share(r.upheld_any)])
            .collect(),
    }
}

fn charts(figures: &Indicators, trend: &[QuarterTotals]) -> Vec<Chart> {
    let quarters: Vec<(String, Vec<u64>)> =
        trend.iter().map(|q| (q.period.to_string(), vec![q.received, q.closed])).collect();
    let trend_table = Table {
        id: "chart-quarters-data".to_owned(),
        caption: "Data: complaints received and closed by quarter".to_owned(),
        headers: strings(["Quarter", "Received", "Closed"]),
        rows: quarters.iter().map(|(label, v)| vec![label.clone(), v[0].to_string(), v[1].to_string()]).collect(),
    };
    let short = ["Stage 1", "Stage 2", "Escalated"];
    let outcomes: Vec<(String, Vec<u64>)> = short
        .iter()
        .zip(&figures.buckets)
        .map(|(label, b)| {
            ((*label).to_owned(), vec![b.k5_upheld.n, b.k5_partially_upheld.n, b.k5_not_upheld.n, b.k5_resolved.n])
        })
        .collect();
    let outcome_table = Table {
        id: "chart-outcomes-data".to_owned(),
        caption: "Data: outcomes by stage".to_owned(),
        headers: strings(["Stage", "Upheld", "Partially upheld", "Not upheld", "Resolved"]),
        rows: outcomes
            .iter()
            .map(|(label, v)| {
                let mut row = vec![label.clone()];
                row.extend(v.iter().map(u64::to_string));
                row
            })
            .collect(),
    };
    let timeliness: Vec<(String, Vec<u64>)> = short
        .iter()
        .zip(&figures.buckets)
        .map(|(label, b)| ((*label).to_owned(), vec![b.k3_within_timescale.n, b.k3_not_within_timescale]))
        .collect();
    let timeliness_table = Table {
        id: "chart-timeliness-data".to_owned(),
        caption: "Data: timescales met and not met by stage".to_owned(),
        headers: strings(["Stage", "Met", "Not met"]),
        rows: timeliness.iter().map(|(label, v)| vec![label.clone(), v[0].to_string(), v[1].to_string()]).collect(),
    };
    let mut charts = Vec::new();
    if !quarters.is_empty() {
        charts.push(bar_chart(
            "chart-quarters",
            "Complaints received and closed, last four quarters",
            "Bar chart of complaints received and closed in each quarter; the table beside it has the same figures.",
            &quarters,
            &["Received", "Closed"],
            trend_table,
        ));
    }
    charts.push(bar_chart(
        "chart-outcomes",
        "Outcomes by stage",
        "Bar chart of upheld, partially upheld, not upheld and resolved complaints at each stage; the table beside it has the same figures.",
        &outcomes,
        &["Upheld", "Partially upheld", "Not upheld", "Resolved"],
        outcome_table,
    ));
    charts.push(bar_chart(
        "chart-timeliness",
        "Timescales met by stage",
        "Bar chart of complaints closed within and outside the base timescale at each stage; the table beside it has the same figures.",
        &timeliness,
        &["Met", "Not met"],
        timeliness_table,
    ));
    charts
}

fn period_text(figures: &Indicators) -> String {
    let long = |d: chrono::NaiveDate| d.format("%-d %B %Y").to_string();
    format!("{} to {}", long(figures.from), long(figures.to))
}

/// Renders the report page.
///
/// # Errors
/// [`ReportError::Template`] when the template fails (a bug: it is built in).
pub fn render(
    figures: &Indicators,
    trend: &[QuarterTotals],
    manifest: &Manifest,
    options: &ExportOptions,
) -> Result<String, ReportError> {
    let period = figures.period;
    let title = match period.quarter {
        Some(q) => format!("Complaints performance, {} quarter {q}", period.year_label()),
        None => format!("Complaints performance, {} (annual)", period.year_label()),
    };
    let escalation = &figures.resolved_escalation;
    let mut summary = vec![
        format!(
            "We received {} complaints and closed {} in this period. Where the numbers differ, complaints received in an earlier period were closed in this one, or complaints received in this one are still open.",
            figures.total.k2_received, figures.total.closed
        ),
        format!(
            "{} contacts were found not to be complaints and were directed elsewhere; they are not counted as complaints.",
            figures.not_a_complaint
        ),
        format!(
            "Of the {} complaints resolved at stage 1 in this period, {} were later escalated to stage 2 ({}).",
            escalation.resolved_at_stage1,
            escalation.escalated.n,
            pct(escalation.escalated.percent)
        ),
    ];
    if let Some(base) = &figures.population {
        summary.push(format!("Rates per 1,000 are per 1,000 {} ({} in all).", base.label, base.count));
    }
    let buckets: Vec<(&str, &BucketFigures)> = labelled(figures).chain([("Total", &figures.total)]).collect();
    let learning = Table {
        id: "learning".to_owned(),
        caption: format!("K1: {}", complaints_core::indicators::K1_BASIS),
        headers: strings(["Action", "Root cause", "What we did", "Completed", "Complaints linked"]),
        rows: figures
            .learning
            .iter()
            .map(|row| {
                vec![
                    row.id.clone(),
                    row.root_cause.clone(),
                    row.action.clone(),
                    row.done_on.format("%-d %B %Y").to_string(),
                    row.cases_linked.to_string(),
                ]
            })
            .collect(),
    };
    let learning_text = if !options.learning_register {
        vec!["The learning-action register was not available to this export, so K1 is not reported here.".to_owned()]
    } else if figures.learning.is_empty() {
        vec!["No learning action was completed in this period.".to_owned()]
    } else {
        vec![format!("{} learning actions were completed in this period.", figures.learning.len())]
    };
    let shr = &figures.housing_regulator;
    let sections = vec![
        Section {
            id: "summary".to_owned(),
            heading: "Received and closed".to_owned(),
            paragraphs: summary,
            charts: Vec::new(),
            tables: vec![table_1(figures)],
        },
        Section {
            id: "outcomes".to_owned(),
            heading: "Upheld and not upheld".to_owned(),
            paragraphs: vec![
                "Withdrawn complaints have no outcome and are not in these figures; the indicators table counts them."
                    .to_owned(),
            ],
            charts: Vec::new(),
            tables: vec![table_2(figures)],
        },
        Section {
            id: "timescales".to_owned(),
            heading: "Timescales".to_owned(),
            paragraphs: vec![
                "The timescales are 5 working days at stage 1 and 20 working days at stage 2, for direct and escalated complaints alike. A complaint whose timescale was extended and met the new date still counts as not met."
                    .to_owned(),
            ],
            charts: Vec::new(),
            tables: vec![table_3(figures)],
        },
        Section {
            id: "charts".to_owned(),
            heading: "Charts".to_owned(),
            paragraphs: Vec::new(),
            charts: charts(figures, trend),
            tables: Vec::new(),
        },
        Section {
            id: "indicators".to_owned(),
            heading: "Performance indicators".to_owned(),
            paragraphs: vec![
                "Percentages of outcomes and extensions are of the complaints closed; the timescale percentage is of those whose timing is recorded."
                    .to_owned(),
            ],
            charts: Vec::new(),
            tables: vec![indicator_table("indicators-table", "Indicators K2 to K6 by stage", &buckets)],
        },
        Section {
            id: "learning-actions".to_owned(),
            heading: "What we learned".to_owned(),
            paragraphs: learning_text,
            charts: Vec::new(),
            tables: if figures.learning.is_empty() { Vec::new() } else { vec![learning] },
        },
        Section {
            id: "breakdowns".to_owned(),
            heading: "Complaints by channel, service and category".to_owned(),
            paragraphs: Vec::new(),
            charts: Vec::new(),
            tables: vec![
                breakdown_table("by-channel", "By channel", "Channel", &figures.by_channel),
                breakdown_table("by-service-area", "By service area", "Service area", &figures.by_service_area),
                breakdown_table("by-category", "By category", "Category", &figures.by_category),
            ],
        },
        Section {
            id: "housing-regulator".to_owned(),
            heading: "Scottish Housing Regulator view".to_owned(),
            paragraphs: vec![
                "For the annual return to the Scottish Housing Regulator an escalated complaint counts at stage 1 and again at stage 2."
                    .to_owned(),
            ],
            charts: Vec::new(),
            tables: vec![indicator_table(
                "housing-regulator-table",
                "Indicators with escalated complaints counted at both stages",
                &[("Stage 1", &shr.stage1), ("Stage 2", &shr.stage2)],
            )],
        },
    ];
    let footer = vec![
        format!(
            "Figures from {} cases ({} stage records).",
            manifest.snapshot.cases_read, manifest.snapshot.stage_reports_read
        ),
        format!("Data snapshot SHA-256 {}.", manifest.snapshot.sha256),
        format!("Working-day calendar {}; software {}.", manifest.calendar_version, manifest.software_version),
    ];
    let page =
        Page { title, organisation: options.organisation.clone(), period_text: period_text(figures), sections, footer };
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.add_template("report.html", TEMPLATE).map_err(|e| ReportError::Template(e.to_string()))?;
    let template = env.get_template("report.html").map_err(|e| ReportError::Template(e.to_string()))?;
    let mut html = template.render(minijinja::value::Serde(&page)).map_err(|e| ReportError::Template(e.to_string()))?;
    if !html.ends_with('\n') {
        html.push('\n');
    }
    Ok(html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_steps_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(tick_step(1), 1);
        assert_eq!(tick_step(7), 2);
        assert_eq!(tick_step(23), 5);
        assert_eq!(tick_step(40), 10);
        assert_eq!(tick_step(999), 200);
    }
}
