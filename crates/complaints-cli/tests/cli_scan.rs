//! `complaints scan` through the real binary: on a store holding a complaint due soon it prints the
//! digest, writes it to the mail folder, and a second run sends nothing again; a bank holiday
//! sends nothing.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Output};

use complaints_app::ports::{CaseStore, NewCase};
use complaints_app::testing::sample_complaint;
use complaints_core::case::{Case, Rules};
use complaints_core::complaint::Channel;
use complaints_core::config::OrgConfig;
use complaints_core::reference::CaseRef;
use complaints_core::timeline::Actor;
use complaints_store_sqlite::SqliteCaseStore;

fn complaints(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_complaints")).args(args).output().expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn scan_prints_the_digest_sends_it_to_the_mail_folder_and_sends_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let store = SqliteCaseStore::open(data.join("complaints.sqlite3")).unwrap();
        let config = OrgConfig::builtin();
        let calendar = config.calendar();
        let rules = Rules { calendar: &calendar, policy: &config.procedure };
        // Received Wed 1 Apr 2026: stage 1 due Wed 8 Apr (Good Friday skipped; Easter Monday is a working
        // day in Scotland), so on Tue 7 Apr one working day is left: the "due soon 2" level.
        let at = "2026-04-01T09:00:00Z".parse().unwrap();
        let complaint = sample_complaint(Channel::WebForm, Some("citizen@example.net"));
        let reference = CaseRef::new("CMP", 2026, 0).unwrap();
        let (case, events) =
            Case::open(reference, complaint, at, "Complaints Team".to_owned(), None, rules, Actor::System);
        store.create(NewCase { case, events, source_key: None, mail: None }).await.unwrap();
    });
    let data_dir = data.to_str().unwrap();

    let holiday = stdout(&complaints(&["scan", "--data-dir", data_dir, "--at", "2026-04-03T07:00:00Z"]));
    assert!(holiday.contains("not a working day"), "{holiday}");

    let first = stdout(&complaints(&["scan", "--data-dir", data_dir, "--at", "2026-04-07T07:00:00Z"]));
    assert!(first.contains("1 alert(s) sent"), "{first}");
    assert!(first.contains("CMP-2026-00001 | stage 1 | response | due 2026-04-08 | 1 working day left"), "{first}");
    assert!(first.contains("/staff/cases/CMP-2026-00001"), "{first}");
    assert!(!first.contains("citizen@example.net"), "no contact details in a digest");
    let mail: Vec<_> = std::fs::read_dir(data.join("mail")).unwrap().filter_map(Result::ok).collect();
    assert_eq!(mail.iter().filter(|e| e.path().extension().is_some_and(|x| x == "eml")).count(), 1);

    let again = stdout(&complaints(&["scan", "--data-dir", data_dir, "--at", "2026-04-07T12:00:00Z", "--json"]));
    let report: serde_json::Value = serde_json::from_str(&again).unwrap();
    assert_eq!(report["alerts"].as_array().map(Vec::len), Some(0), "{again}");
    assert_eq!(report["digests"].as_array().map(Vec::len), Some(0), "{again}");
    // The first run dated the case past today in the alert index: the repeat does not read it.
    assert_eq!(report["cases_read"], 0, "{again}");
}
