//! Breach scan benchmark (not a test; `scripts/bench-breach` runs it against moto): the scan's
//! read cost with 2,000 open cases beside 20,000 and beside 200,000 closed cases, side by side.
//! The goal is a read cost that does not change with the closed cases (< 1 %).
//!
//! What is measured by default is the scan's read of the cases on the next working day's run, two
//! ways side by side: the due index up to the scan horizon (what the scan read before the alert
//! index: every overdue open case, on every run) and the alert index (`gsi4-alert`, what it reads
//! now), after the cases were dated the way a run dates them (`alerts::alert_index_date`, written
//! with `set_alert_date`). `BENCH_FULL_SCAN=1` also runs the whole scan (planning and writing every
//! alert).
//!
//! Cases are loaded with BatchWriteItem as the store lays them out (`keys::case_item`), which is
//! much faster on moto than one intake transaction each; the scan then runs through the real store.
//!   cargo run --release -p complaints-store-dynamodb --example bench_breach -- [CLOSED...]

use std::sync::Arc;
use std::time::Instant;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use chrono::{DateTime, Days, NaiveDate, Utc};
use complaints_app::alert_store::AlertStore;
use complaints_app::breach_scan::BreachScan;
use complaints_app::ports::CaseStore;
use complaints_app::testing::sample_complaint;
use complaints_core::alerts;
use complaints_core::case::{Case, Rules};
use complaints_core::command::Command;
use complaints_core::complaint::Channel;
use complaints_core::config::OrgConfig;
use complaints_core::outcome::Outcome;
use complaints_core::reference::CaseRef;
use complaints_core::signposting::Stage2Signposting;
use complaints_core::timeline::Actor;
use complaints_store_dynamodb::{DynamoDbCaseStore, create_table, keys};

const OPEN: u32 = 2_000;

fn at(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(10, 0, 0).expect("time").and_utc()
}

/// Case `number`, received `days_ago` calendar days before `today`; closed at once when `closed`.
fn case(config: &OrgConfig, number: u32, received: NaiveDate, closed: bool) -> Case {
    let calendar = config.calendar();
    let rules = Rules { calendar: &calendar, policy: &config.procedure };
    let complaint = sample_complaint(Channel::WebForm, Some("bench@example.org"));
    let reference = CaseRef::new("BEN", 2026, 0).expect("prefix");
    let (mut case, _) =
        Case::open(reference, complaint, at(received), "Complaints Team".to_owned(), None, rules, Actor::System);
    case.assign_number(number);
    if closed {
        let on = calendar.working_day_on_or_after(received);
        let signposting = Stage2Signposting { given_on: on, channel: Channel::Email, time_limit_given: true };
        let close = Command::CloseStage1 { responded_on: on, outcome: Outcome::Upheld, signposting: Some(signposting) };
        let (next, _) = case.apply(close, at(on) + chrono::Duration::hours(6), Actor::System, rules).expect("close");
        case = next;
    }
    case
}

/// Writes the cases 25 to a request, eight requests at a time.
async fn load(client: &Client, table: &str, cases: impl Iterator<Item = Case>) -> usize {
    let mut batches: Vec<Vec<WriteRequest>> = vec![Vec::new()];
    for case in cases {
        let index = case.index();
        let item = keys::case_item(&case, &index, 1).expect("item");
        let request = WriteRequest::builder()
            .put_request(PutRequest::builder().set_item(Some(item)).build().expect("put"))
            .build();
        if batches.last().is_some_and(|b| b.len() == 25) {
            batches.push(Vec::new());
        }
        if let Some(last) = batches.last_mut() {
            last.push(request);
        }
    }
    let mut written = 0;
    for group in batches.chunks(8) {
        let mut running = Vec::new();
        for batch in group {
            let (client, table, batch) = (client.clone(), table.to_owned(), batch.clone());
            running.push(tokio::spawn(async move { flush(&client, &table, batch).await }));
        }
        for handle in running {
            written += handle.await.expect("writer");
        }
    }
    written
}

async fn flush(client: &Client, table: &str, mut batch: Vec<WriteRequest>) -> usize {
    let count = batch.len();
    while !batch.is_empty() {
        let out = client.batch_write_item().request_items(table, batch).send().await.expect("batch write");
        batch = out.unprocessed_items.and_then(|mut m| m.remove(table)).unwrap_or_default();
    }
    count
}

struct Row {
    closed: u32,
    cases_read: usize,
    index_items: u64,
    index_requests: u64,
    index_units: f64,
    read_ms: f64,
    alert_read: usize,
    alert_items: u64,
    alert_units: f64,
    alert_ms: f64,
    scan_units: f64,
    scan_ms: f64,
    alerts: usize,
}

#[tokio::main]
async fn main() {
    let closed_counts: Vec<u32> =
        std::env::args().skip(1).map(|a| a.parse().expect("a number of closed cases")).collect();
    let closed_counts = if closed_counts.is_empty() { vec![20_000, 200_000] } else { closed_counts };
    let config = complaints_testkit::moto_sdk_config().expect("MOTO_URL must point at a moto server");
    let client = Client::new(&config);
    let org = Arc::new(OrgConfig::builtin());
    let today = NaiveDate::from_ymd_opt(2026, 6, 10).expect("date");
    let mut rows = Vec::new();
    for closed in closed_counts {
        let table = format!("bench-breach-{closed}-{}", uuid::Uuid::new_v4().simple());
        create_table(&client, &table).await.expect("table");
        let started = Instant::now();
        // Open cases received over the last 40 days: some overdue, some due soon, most not yet.
        let open = (1..=OPEN).map(|n| case(&org, n, today - Days::new(u64::from(n % 40)), false));
        let closed_cases = (1..=closed).map(|n| case(&org, OPEN + n, today - Days::new(30 + u64::from(n % 300)), true));
        let loaded = load(&client, &table, open.chain(closed_cases)).await;
        eprintln!("loaded {loaded} cases into {table} in {:.0} s", started.elapsed().as_secs_f64());

        let store = Arc::new(DynamoDbCaseStore::new(client.clone(), table));
        let calendar = org.calendar();
        // Today's run dates every case it read (here: every case the due index gives today).
        let read_today =
            store.open_due_by(alerts::scan_horizon(&org.alerts, &calendar, today)).await.expect("due index");
        for chunk in read_today.chunks(16) {
            let mut running = Vec::new();
            for stored in chunk {
                let (store, org, calendar) = (Arc::clone(&store), Arc::clone(&org), calendar.clone());
                let stored = stored.clone();
                running.push(tokio::spawn(async move {
                    let date = alerts::alert_index_date(&stored.case, &org.alerts, &calendar, today);
                    store.set_alert_date(stored.case.reference(), stored.version, date).await.expect("date");
                }));
            }
            for handle in running {
                handle.await.expect("dating");
            }
        }
        // The next working day's run, read both ways.
        let next_day = calendar.next_working_day_after(today);
        let horizon = alerts::scan_horizon(&org.alerts, &calendar, next_day);
        let before = store.cost();
        let read_started = Instant::now();
        let due = store.open_due_by(horizon).await.expect("due index");
        let after = store.cost();
        let read_ms = read_started.elapsed().as_secs_f64() * 1000.0;
        let alert_before = store.cost();
        let alert_started = Instant::now();
        let alert_due = store.alert_due_by(horizon).await.expect("alert index");
        let alert_after = store.cost();
        let alert_ms = alert_started.elapsed().as_secs_f64() * 1000.0;
        // The whole scan (reads, plans, and writes every alert in batches) only on request: on
        // moto each alert batch transaction takes seconds, and the writes follow the due cases,
        // not the closed ones.
        let (scan_units, scan_ms, alerts) = if std::env::var_os("BENCH_FULL_SCAN").is_some() {
            let scan = BreachScan::new(store.clone(), store.clone(), Arc::clone(&org));
            let scan_before = store.cost();
            let started = Instant::now();
            let report = scan.run(at(today) - chrono::Duration::hours(3)).await.expect("scan");
            let scan_after = store.cost();
            (
                scan_after.capacity_units - scan_before.capacity_units,
                started.elapsed().as_secs_f64() * 1000.0,
                report.alerts.len(),
            )
        } else {
            (0.0, 0.0, 0)
        };
        rows.push(Row {
            closed,
            cases_read: due.len(),
            index_items: after.items_evaluated - before.items_evaluated,
            index_requests: after.requests - before.requests,
            index_units: after.capacity_units - before.capacity_units,
            read_ms,
            alert_read: alert_due.len(),
            alert_items: alert_after.items_evaluated - alert_before.items_evaluated,
            alert_units: alert_after.capacity_units - alert_before.capacity_units,
            alert_ms,
            scan_units,
            scan_ms,
            alerts,
        });
    }
    println!(
        "| closed cases | open cases | due index: cases read | items evaluated | requests | read units | wall time | alert index: cases read | items evaluated | read units | wall time | whole scan: units, alerts, wall time |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for row in &rows {
        let whole = if row.scan_ms > 0.0 {
            format!("{:.1}, {}, {:.0} ms", row.scan_units, row.alerts, row.scan_ms)
        } else {
            "not run (BENCH_FULL_SCAN unset)".to_owned()
        };
        println!(
            "| {} | {OPEN} | {} | {} | {} | {:.1} | {:.0} ms | {} | {} | {:.1} | {:.0} ms | {whole} |",
            row.closed,
            row.cases_read,
            row.index_items,
            row.index_requests,
            row.index_units,
            row.read_ms,
            row.alert_read,
            row.alert_items,
            row.alert_units,
            row.alert_ms
        );
    }
    let percent = |from: f64, to: f64| if from > 0.0 { (to - from) / from * 100.0 } else { 0.0 };
    if let (Some(first), Some(last)) = (rows.first(), rows.last()) {
        println!(
            "\nread units of the due index: {:.1} vs {:.1} ({:+.2} %); of the alert index: {:.1} vs {:.1} ({:+.2} %); goal: < 1 %",
            first.index_units,
            last.index_units,
            percent(first.index_units, last.index_units),
            first.alert_units,
            last.alert_units,
            percent(first.alert_units, last.alert_units)
        );
    }
    for row in &rows {
        let ratio = if row.index_units > 0.0 { row.alert_units / row.index_units } else { 0.0 };
        println!(
            "{} closed: the alert index reads {} of the {} cases the due index reads ({:.1} vs {:.1} read units, ratio {ratio:.2})",
            row.closed, row.alert_read, row.cases_read, row.alert_units, row.index_units
        );
    }
}
