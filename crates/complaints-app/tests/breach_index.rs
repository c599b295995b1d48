//! The breach scan's alert index and recipients: an open case is read on the runs where one of its
//! levels becomes current (and after each write of it), not on every run once it is overdue; a
//! handler's address comes from the staff directory (the users file locally), with
//! `[alerts] handlers` as the fallback; digest lines link to the staff workspace's case page.

use std::sync::Arc;

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc};
use complaints_app::alert_store::AlertStore;
use complaints_app::breach_scan::{BreachScan, ScanReport};
use complaints_app::ports::{CaseStore, NewCase, StoredCase};
use complaints_app::staff_directory::DirectoryMap;
use complaints_app::testing::{MemoryCaseStore, sample_complaint};
use complaints_app::users::UsersFile;
use complaints_core::alerts::AlertLevel;
use complaints_core::case::{Case, Rules};
use complaints_core::complaint::{Channel, EmailAddress};
use complaints_core::config::OrgConfig;
use complaints_core::reference::CaseRef;
use complaints_core::roles::Role;
use complaints_core::timeline::Actor;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}

fn config(extra: &str) -> OrgConfig {
    let text = format!(
        "[alerts]\nteam_mailbox = \"team@example.org\"\ncomplaints_manager = \"manager@example.org\"\nstaff_base_url = \"https://staff.example.org/\"\n{extra}"
    );
    OrgConfig::from_toml_str(&text).expect("config")
}

/// 08:00 in Scotland on a date in October–March (GMT).
fn morning(on: NaiveDate) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(on.year(), on.month(), on.day(), 8, 0, 0).single().expect("instant")
}

async fn open_case(store: &MemoryCaseStore, config: &OrgConfig, handler: &str, on: NaiveDate) -> StoredCase {
    let calendar = config.calendar();
    let rules = Rules { calendar: &calendar, policy: &config.procedure };
    let at = on.and_hms_opt(10, 0, 0).expect("time").and_utc();
    let complaint = sample_complaint(Channel::WebForm, Some("someone@example.net"));
    let reference = CaseRef::new("IDX", 2026, 0).expect("prefix");
    let (case, events) = Case::open(reference, complaint, at, handler.to_owned(), None, rules, Actor::System);
    store.create(NewCase { case, events, source_key: None, mail: None }).await.expect("create")
}

#[tokio::test]
async fn an_overdue_case_whose_levels_have_all_fired_is_not_read_again_until_it_is_written() {
    let config = Arc::new(config(""));
    let calendar = config.calendar();
    let store = Arc::new(MemoryCaseStore::new());
    // Received Mon 12 Jan 2026: stage 1 due Fri 16 Jan (5 working days).
    let stored = open_case(&store, &config, "Complaints Team", d(2026, 1, 12)).await;
    assert_eq!(stored.case.stage1_due(), d(2026, 1, 16));
    let scan = BreachScan::new(store.clone(), store.clone(), Arc::clone(&config));

    let mut reports: Vec<(NaiveDate, ScanReport)> = Vec::new();
    let mut day = d(2026, 1, 13);
    while day <= d(2026, 1, 30) {
        if calendar.is_working_day(day) {
            // Twice a day, as scheduled.
            for _ in 0..2 {
                reports.push((day, scan.run(morning(day)).await.expect("scan")));
            }
        }
        day = day + Days::new(1);
    }
    let fired: Vec<(NaiveDate, AlertLevel)> =
        reports.iter().flat_map(|(day, r)| r.alerts.iter().map(move |a| (*day, a.level))).collect();
    assert_eq!(
        fired,
        vec![
            (d(2026, 1, 14), AlertLevel::DueSoon(2)),
            (d(2026, 1, 16), AlertLevel::DueToday),
            (d(2026, 1, 19), AlertLevel::Overdue)
        ]
    );
    // Read on the first run (every open case is read once for a new calendar and set of levels)
    // and on exactly the runs where a level fired; never again once overdue.
    let read_on: Vec<NaiveDate> = reports.iter().filter(|(_, r)| r.cases_read > 0).map(|(day, _)| *day).collect();
    assert_eq!(read_on, vec![d(2026, 1, 13), d(2026, 1, 14), d(2026, 1, 16), d(2026, 1, 19)]);
    assert!(reports[0].1.full_pass && !reports[1].1.full_pass);
    let overdue_runs = reports.iter().filter(|(day, _)| *day > d(2026, 1, 19)).count();
    assert_eq!(overdue_runs, 18, "nine working days of two runs each read nothing");

    // A write of the case (any staff action) puts it back in the index: it is read once, finds
    // its overdue alert already sent, and drops out again.
    let current = store.get(stored.case.reference()).await.expect("get");
    store.update(&current.case, current.version, Vec::new()).await.expect("write");
    let after_write = scan.run(morning(d(2026, 2, 2))).await.expect("scan");
    assert_eq!((after_write.cases_read, after_write.alerts.len()), (1, 0));
    let next = scan.run(morning(d(2026, 2, 3))).await.expect("scan");
    assert_eq!(next.cases_read, 0);
}

#[tokio::test]
async fn handlers_get_their_own_cases_at_the_address_in_the_users_file_with_the_config_as_fallback() {
    let config =
        Arc::new(config("[alerts.handlers]\n\"sam\" = \"sam.old@example.org\"\n\"Pat Jones\" = \"pat@example.org\"\n"));
    let dir = tempfile::tempdir().expect("dir");
    let mut users = UsersFile::load(dir.path()).expect("users");
    let at = morning(d(2026, 1, 5));
    let address = |a: &str| Some(EmailAddress::parse(a).expect("address"));
    users.add("sam", Some("Sam Smith".to_owned()), Role::Handler, address("sam@example.org"), at).expect("add");
    users.add("alex", None, Role::Handler, address("alex@example.org"), at).expect("add");
    users.add("noaddress", None, Role::Handler, None, at).expect("add");

    let store = Arc::new(MemoryCaseStore::new());
    for handler in ["sam", "Sam Smith", "alex", "Pat Jones", "noaddress"] {
        open_case(&store, &config, handler, d(2026, 1, 12)).await;
    }
    let directory = Arc::new(DirectoryMap::from_users(&users));
    let scan = BreachScan::new(store.clone(), store.clone(), Arc::clone(&config)).with_directory(directory);
    let report = scan.run(morning(d(2026, 1, 14))).await.expect("scan");
    assert_eq!(report.alerts.len(), 5);
    let mut to: Vec<(String, usize)> = report.digests.iter().map(|d| (d.to.clone(), d.lines.len())).collect();
    to.sort();
    assert_eq!(
        to,
        vec![
            ("alex@example.org".to_owned(), 1),
            ("pat@example.org".to_owned(), 1),
            // The users file wins over `[alerts] handlers`, under the user name and the full name.
            ("sam@example.org".to_owned(), 2),
            ("team@example.org".to_owned(), 5),
        ]
    );
    // Each line links to the staff workspace's case page under the configured base URL.
    for digest in &report.digests {
        for line in &digest.lines {
            let reference = line.split(" | ").next().expect("reference");
            assert!(line.ends_with(&format!("| https://staff.example.org/staff/cases/{reference}")), "{line}");
        }
    }
}

#[tokio::test]
async fn a_run_with_more_alerts_than_a_digest_holds_splits_them_over_digests_each_line_once() {
    use complaints_app::breach_scan::MAX_LINES_PER_DIGEST;
    let config = Arc::new(config(""));
    let store = Arc::new(MemoryCaseStore::new());
    let count = MAX_LINES_PER_DIGEST + 40;
    for _ in 0..count {
        open_case(&store, &config, "Complaints Team", d(2026, 1, 12)).await;
    }
    let scan = BreachScan::new(store.clone(), store.clone(), Arc::clone(&config));
    let report = scan.run(morning(d(2026, 1, 14))).await.expect("scan");
    assert_eq!(report.alerts.len(), count);
    let team: Vec<&complaints_app::breach_scan::DigestSummary> =
        report.digests.iter().filter(|d| d.to == "team@example.org").collect();
    assert_eq!(team.len(), 2, "two digests for the team mailbox, not one too large for a draft");
    assert!(team.iter().all(|d| d.lines.len() < MAX_LINES_PER_DIGEST + 30 && !d.recovered));
    let lines: std::collections::BTreeSet<&String> = team.iter().flat_map(|d| d.lines.iter()).collect();
    assert_eq!(lines.len(), count, "every alert once across them");
    assert!(store.digest_drafts().await.expect("drafts").is_empty(), "every draft was sent");
}
