//! The export files: the same data gives the same bytes, every chart has its data table beside
//! it, `cases.csv` carries no personal data and no live formula, and the manifest's hashes are
//! those of the files.

use complaints_core::complaint::Channel;
use complaints_core::indicators::{ExportCase, Period, PopulationBase};
use complaints_reports::synthetic::Generator;
use complaints_reports::{ExportOptions, ExportWriter, Finished, QuarterTotals, REPORT_HTML, sha256_hex};

fn period() -> Period {
    Period::parse("2026-27-Q2").expect("period")
}

fn options() -> ExportOptions {
    ExportOptions {
        organisation: "Example Council".to_owned(),
        calendar_version: "sct-2026.1".to_owned(),
        software_version: "0.1.0".to_owned(),
        population: Some(PopulationBase { label: "population".to_owned(), count: 150_000 }),
        learning_register: true,
    }
}

fn history() -> Vec<QuarterTotals> {
    ["2025-26-Q3", "2025-26-Q4", "2026-27-Q1"]
        .iter()
        .zip([(40, 38), (52, 47), (45, 50)])
        .map(|(p, (received, closed))| QuarterTotals {
            period: Period::parse(p).expect("period"),
            received,
            closed,
            source_sha256: Some("0".repeat(64)),
        })
        .collect()
}

fn export(cases: impl IntoIterator<Item = ExportCase>) -> (Finished, Vec<u8>) {
    let mut writer = ExportWriter::new(period(), options().population, Vec::new()).expect("writer");
    for case in cases {
        writer.add(&case).expect("row");
    }
    writer.finish(&[], history(), &options()).expect("finished")
}

fn file<'a>(finished: &'a Finished, name: &str) -> &'a [u8] {
    finished.files.iter().find(|(n, _, _)| *n == name).map(|(_, _, bytes)| bytes.as_slice()).expect("file")
}

#[test]
fn a_rerun_on_the_same_data_gives_byte_identical_files() {
    let (first, first_cases) = export(Generator::new(period(), 2_000, 7));
    let (second, second_cases) = export(Generator::new(period(), 2_000, 7));
    assert_eq!(first_cases, second_cases);
    assert_eq!(first.files, second.files);
    // And different data gives a different snapshot hash.
    let (other, _) = export(Generator::new(period(), 2_000, 8));
    assert_ne!(first.manifest.snapshot.sha256, other.manifest.snapshot.sha256);
}

#[test]
fn the_manifest_lists_every_file_with_its_hash_and_size() {
    let (finished, cases) = export(Generator::new(period(), 300, 1));
    let listed: Vec<&str> = finished.manifest.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(listed, ["cases.csv", "indicators.json", "indicators.csv", "report.html"]);
    assert_eq!(finished.manifest.files[0].sha256, sha256_hex(&cases));
    for entry in &finished.manifest.files[1..] {
        let bytes = file(&finished, &entry.name);
        assert_eq!((entry.sha256.as_str(), entry.bytes), (sha256_hex(bytes).as_str(), bytes.len() as u64));
    }
    assert_eq!(finished.manifest.snapshot.cases_read, 300);
    assert_eq!(finished.manifest.calendar_version, "sct-2026.1");
}

#[test]
fn every_chart_in_the_report_has_a_data_table_beside_it() {
    let (finished, _) = export(Generator::new(period(), 500, 3));
    let html = String::from_utf8(file(&finished, REPORT_HTML).to_vec()).expect("utf-8");
    let charts: Vec<&str> = html.match_indices("<svg").map(|(at, _)| &html[at..]).collect();
    assert_eq!(charts.len(), 3, "last four quarters, outcomes by stage, timeliness by stage");
    for chart in charts {
        let table_id =
            chart.split("data-table=\"").nth(1).and_then(|rest| rest.split('"').next()).expect("names its table");
        let pair_end = chart.find("</div>\n  </div>").expect("chart and table share a pair");
        assert!(
            chart[..pair_end].contains(&format!("<table id=\"{table_id}\"")),
            "the table {table_id} follows its chart inside the same pair"
        );
        let svg = &chart[..chart.find("</svg>").expect("closed")];
        assert!(svg.contains("role=\"img\"") && svg.contains("<title") && svg.contains("<desc"));
    }
    // The trend chart's table holds the four quarters, the last being this one.
    for quarter in ["2025-26-Q3", "2025-26-Q4", "2026-27-Q1", "2026-27-Q2"] {
        assert!(html.contains(&format!("<th scope=\"row\">{quarter}</th>")), "{quarter} in the trend table");
    }
}

#[test]
fn cases_csv_neutralises_formulas_and_carries_no_complaint_text() {
    let mut case = Generator::new(period(), 1, 5).next().expect("a case");
    case.service_area = "=HYPERLINK(\"http://x\",\"y\")".to_owned();
    case.category = Some("@SUM(1)".to_owned());
    case.channel = Channel::Email;
    let (_, cases) = export([case]);
    let text = String::from_utf8(cases).expect("utf-8");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().expect("header").clone();
    assert!(!headers.iter().any(|h| h.contains("name") || h.contains("email") || h.contains("description")));
    let row = reader.records().next().expect("a row").expect("parses");
    assert_eq!(&row[13], "'=HYPERLINK(\"http://x\",\"y\")");
    assert_eq!(&row[14], "'@SUM(1)");
}

#[test]
fn html_in_a_service_area_name_is_escaped_in_the_report() {
    let mut case = Generator::new(period(), 1, 5).next().expect("a case");
    case.service_area = "<script>alert(1)</script>".to_owned();
    case.reports.truncate(1);
    case.reports[0].received_on = Some(period().from());
    let (finished, _) = export([case]);
    let html = String::from_utf8(file(&finished, REPORT_HTML).to_vec()).expect("utf-8");
    assert!(!html.contains("<script>"));
    assert!(html.contains("&lt;script&gt;"));
}

#[test]
fn closures_without_a_timing_are_shown_beside_the_k3_percentage_in_the_csv_and_the_report() {
    use complaints_core::case::Disposition;
    let mut cases: Vec<ExportCase> = Generator::new(period(), 400, 11).collect();
    // Take the timing off three responses given in the period, and count the timed ones apart.
    let (mut cleared, mut within, mut not_within) = (0, 0, 0);
    for report in cases.iter_mut().flat_map(|case| case.reports.iter_mut()) {
        let answered = report.disposition == Some(Disposition::Responded)
            && report.ended_on.is_some_and(|on| period().contains(on));
        if !answered {
            continue;
        }
        if cleared < 3 && report.within_base_timescale.is_some() {
            report.within_base_timescale = None;
            cleared += 1;
        }
        match report.within_base_timescale {
            Some(true) => within += 1,
            Some(false) => not_within += 1,
            None => {}
        }
    }
    assert_eq!(cleared, 3, "the generator gives responses in the period");
    let (finished, _) = export(cases);
    let csv_bytes = file(&finished, complaints_reports::INDICATORS_CSV);
    let mut reader = csv::Reader::from_reader(csv_bytes);
    let total: Vec<(String, String)> = reader
        .records()
        .map(|r| r.expect("row"))
        .filter(|r| &r[2] == "total" && &r[3] == "K3")
        .map(|r| (r[4].to_owned(), r[5].to_owned()))
        .collect();
    let value = |measure: &str| total.iter().find(|(m, _)| m == measure).map(|(_, v)| v.clone()).expect(measure);
    assert_eq!(value("within base timescale"), within.to_string());
    assert_eq!(value("within base timescale % base"), (within + not_within).to_string());
    assert_eq!(value("timeliness not recorded"), "3");
    let html = String::from_utf8(file(&finished, REPORT_HTML).to_vec()).expect("utf-8");
    assert!(html.contains(&format!("of {}; 3 not timed, left out", within + not_within)), "K3 row names the base");
    assert!(html.contains("Not included: 3 closure(s) with no recorded timing"), "Table 3 names what it leaves out");
}

#[test]
fn a_report_with_every_closure_timed_says_nothing_about_untimed_ones() {
    let (finished, _) = export(Generator::new(period(), 400, 11));
    assert_eq!(finished.indicators.total.k3_timeliness_not_recorded, 0);
    let html = String::from_utf8(file(&finished, REPORT_HTML).to_vec()).expect("utf-8");
    assert!(!html.contains("not timed"));
    assert!(!html.contains("Not included"));
}
