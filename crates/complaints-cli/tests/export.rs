//! `complaints export` on a SQLite store: each case counts once however many monthly queries
//! return it, a case received before the quarter but closed in it counts, the files land under
//! `exports/<year>/<quarter>/`, and a re-run writes the same bytes; the reporting list is emailed
//! once per export.

mod support;

use std::path::Path;
use std::process::Command as Process;

use chrono::{DateTime, NaiveDate, Utc};
use complaints_app::ports::{CaseStore, NewCase};
use complaints_core::calendar::Calendar;
use complaints_core::case::{Case, PointOfComplaint, Rules};
use complaints_core::command::Command;
use complaints_core::complaint::{Channel, ComplaintDraft, IntakeRoute};
use complaints_core::outcome::Outcome;
use complaints_core::policy::Policy;
use complaints_core::reference::CaseRef;
use complaints_core::signposting::{SpsoSignposting, Stage2Signposting};
use complaints_core::timeline::Actor;
use complaints_store_sqlite::SqliteCaseStore;
use support::BIN;

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
}

fn midday(text: &str) -> DateTime<Utc> {
    day(text).and_hms_opt(12, 0, 0).expect("time").and_utc()
}

struct Journey {
    calendar: Calendar,
    policy: Policy,
}

impl Journey {
    fn rules(&self) -> Rules<'_> {
        Rules { calendar: &self.calendar, policy: &self.policy }
    }

    fn open(&self, received: &str) -> Case {
        let draft = ComplaintDraft {
            channel: Channel::WebForm,
            complainant: None,
            service_area: "Housing and repairs".to_owned(),
            description: "The repair was not done".to_owned(),
            event_date: None,
            awareness_date: None,
            outcome_sought: None,
            preferred_contact: None,
            adjustments: None,
            representation: None,
            child: None,
            source_ref: None,
            route: IntakeRoute::Stage1,
        };
        let complaint = draft.validate(day(received)).expect("valid");
        let reference = CaseRef::new("CMP", 2026, 1).expect("reference");
        let handler = "Complaints Team".to_owned();
        Case::open(reference, complaint, midday(received), handler, None, self.rules(), Actor::System).0
    }

    fn step(&self, case: &Case, command: Command, on: &str) -> Case {
        case.apply(command, midday(on), Actor::Staff("staff-1".to_owned()), self.rules()).expect("accepted").0
    }

    fn close1(&self, case: &Case, on: &str) -> Case {
        let signposting =
            Some(Stage2Signposting { given_on: day(on), channel: Channel::Email, time_limit_given: true });
        self.step(case, Command::CloseStage1 { responded_on: day(on), outcome: Outcome::Upheld, signposting }, on)
    }
}

async fn store_case(store: &SqliteCaseStore, journey: impl Fn(Case) -> Case, opened: Case) {
    let new = NewCase { case: opened, events: Vec::new(), source_key: None, mail: None };
    let stored = store.create(new).await.expect("created");
    let walked = journey(stored.case);
    store.update(&walked, stored.version, Vec::new()).await.expect("updated");
}

/// Four cases around 2026-27 Q2 (July–September 2026).
async fn seed(data_dir: &Path) {
    let store = SqliteCaseStore::open(data_dir.join("complaints.sqlite3")).expect("store");
    let j = Journey { calendar: Calendar::scotland(), policy: Policy::default() };
    // 1: received in Q1 (Thu 25 Jun), answered in Q2 (Thu 2 Jul): closed in Q2, not received.
    store_case(&store, |c| j.close1(&c, "2026-07-02"), j.open("2026-06-25")).await;
    // 2: received Mon 6 Jul, answered Wed 8 Jul, reopened Mon 3 Aug, answered Wed 5 Aug: returned by
    // the July received query and by both months' closed queries, fed once; two closures.
    store_case(
        &store,
        |c| {
            let c = j.close1(&c, "2026-07-08");
            let reopen = Command::Reopen {
                reopened_on: day("2026-08-03"),
                reason: "New".to_owned(),
                respond_by: day("2026-08-07"),
            };
            j.close1(&j.step(&c, reopen, "2026-08-03"), "2026-08-05")
        },
        j.open("2026-07-06"),
    )
    .await;
    // 3: received Mon 4 May (Q1), answered Wed 6 May; escalated Wed 1 Jul (escalated bucket received
    // in Q2); answered at stage 2 on Wed 29 Jul.
    store_case(
        &store,
        |c| {
            let c = j.close1(&c, "2026-05-06");
            let c = j.step(
                &c,
                Command::Escalate { requested_on: day("2026-07-01"), channel: Channel::Email, received_at: None },
                "2026-07-01",
            );
            let points = vec![PointOfComplaint { summary: "p".to_owned(), outcome_sought: "o".to_owned() }];
            let c = j.step(
                &c,
                Command::AcknowledgeStage2 { acknowledged_on: day("2026-07-02"), points, agreed_on: day("2026-07-02") },
                "2026-07-02",
            );
            let signposting = Some(SpsoSignposting {
                given_on: day("2026-07-29"),
                channel: Channel::Email,
                template_version: "v1".to_owned(),
            });
            j.step(
                &c,
                Command::CloseStage2 {
                    responded_on: day("2026-07-29"),
                    point_outcomes: vec![Outcome::NotUpheld],
                    outcome_override: None,
                    signposting,
                },
                "2026-07-29",
            )
        },
        j.open("2026-05-04"),
    )
    .await;
    // 4: received and answered in Q3: not read into Q2 at all.
    store_case(&store, |c| j.close1(&c, "2026-10-07"), j.open("2026-10-05")).await;
    // 5: received Mon 1 Jun (Q1), answered Wed 3 Jun; escalated Wed 16 Sep (Q2) and still open at
    // the end of Q2: neither received nor closed in Q2, found by the escalation index alone.
    store_case(
        &store,
        |c| {
            let c = j.close1(&c, "2026-06-03");
            j.step(
                &c,
                Command::Escalate { requested_on: day("2026-09-16"), channel: Channel::Email, received_at: None },
                "2026-09-16",
            )
        },
        j.open("2026-06-01"),
    )
    .await;
}

fn export(data_dir: &Path, period_flag: &str, period: &str) -> String {
    let output =
        Process::new(BIN).args(["export", period_flag, period, "--data-dir"]).arg(data_dir).output().expect("runs");
    assert!(output.status.success(), "export failed: {}", String::from_utf8_lossy(&output.stderr));
    assert!(output.stderr.is_empty(), "no progress output into a pipe");
    String::from_utf8(output.stdout).expect("utf-8")
}

fn files(folder: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(folder)
        .expect("folder")
        .map(|entry| {
            let path = entry.expect("entry").path();
            (path.file_name().expect("name").to_string_lossy().into_owned(), std::fs::read(&path).expect("read"))
        })
        .collect();
    files.sort();
    files
}

#[tokio::test]
async fn a_quarter_export_counts_each_case_once_and_a_rerun_writes_the_same_bytes() {
    let dir = tempfile::tempdir().expect("tempdir");
    seed(dir.path()).await;
    let table = export(dir.path(), "--quarter", "2026-27-Q2");
    let folder = dir.path().join("exports/2026-27/Q2");
    let first = files(&folder);
    let names: Vec<&str> = first.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["cases.csv", "indicators.csv", "indicators.json", "manifest.json", "report.html"]);

    let indicators: serde_json::Value =
        serde_json::from_slice(&first.iter().find(|(n, _)| n == "indicators.json").expect("json").1).expect("parses");
    // Cases 1, 2, 3 and 5 were read, once each.
    assert_eq!(indicators["cases_read"], 4);
    // Closed: case 1, case 2 twice, case 3 at stage 2 = 4. Received: case 2 (stage 1), case 3's
    // escalation and case 5's escalation = 3; the escalated bucket received 2 (cases 3 and 5).
    assert_eq!(indicators["total"]["closed"], 4);
    assert_eq!(indicators["total"]["k2_received"], 3);
    assert_eq!(indicators["buckets"][2]["k2_received"], 2);
    assert_eq!(indicators["buckets"][2]["closed"], 1, "case 5 is still open");
    assert!(table.contains("total"), "the headline table is printed: {table}");

    export(dir.path(), "--quarter", "2026-27-Q2");
    assert_eq!(files(&folder), first, "byte-identical re-run");
}

#[tokio::test]
async fn a_year_export_writes_under_the_year_and_a_bad_period_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    seed(dir.path()).await;
    export(dir.path(), "--year", "2026-27");
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("exports/2026-27/year/manifest.json")).expect("manifest"),
    )
    .expect("parses");
    // All five cases touch the year.
    assert_eq!(manifest["snapshot"]["cases_read"], 5);
    let refused = Process::new(BIN).args(["export", "--year", "2026-27-Q2"]).output().expect("runs");
    assert_eq!(refused.status.code(), Some(2));
}

/// The example configuration, whose `[reporting] notify` names performance@example.org.
const EXAMPLE_CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/example.toml");

fn export_with_config(data_dir: &Path, period_flag: &str, period: &str) -> String {
    let output = Process::new(BIN)
        .args(["export", period_flag, period, "--config", EXAMPLE_CONFIG, "--data-dir"])
        .arg(data_dir)
        .output()
        .expect("runs");
    assert!(output.status.success(), "export failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("utf-8")
}

/// The messages in the mail folder, as text.
fn mail(data_dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(data_dir.join("mail")) else { return Vec::new() };
    let mut messages: Vec<String> = entries
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "eml"))
        .map(|path| String::from_utf8_lossy(&std::fs::read(path).expect("read")).into_owned())
        .collect();
    messages.sort();
    messages
}

#[tokio::test]
async fn the_reporting_list_is_emailed_once_per_export_and_not_again_on_a_rerun() {
    let dir = tempfile::tempdir().expect("tempdir");
    seed(dir.path()).await;
    let table = export_with_config(dir.path(), "--quarter", "2026-27-Q2");
    assert!(table.contains("reporting list: 1 email(s)"), "{table}");
    let sent = mail(dir.path());
    assert_eq!(sent.len(), 1, "one email to the one address on the list");
    assert!(sent[0].contains("To: <performance@example.org>") || sent[0].contains("To: performance@example.org"));
    assert!(sent[0].contains("Subject: Complaints export 2026-27-Q2 is ready"), "{}", sent[0]);

    let again = export_with_config(dir.path(), "--quarter", "2026-27-Q2");
    assert!(again.contains("told at an earlier run"), "{again}");
    assert_eq!(mail(dir.path()), sent, "a re-run sends nothing");

    // The year is an export of its own: told once about it too.
    export_with_config(dir.path(), "--year", "2026-27");
    assert_eq!(mail(dir.path()).len(), 2);
}
