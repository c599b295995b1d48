//! Breach scan benchmark (not a test; `scripts/bench-breach` runs it against moto): the scan's
//! read cost with 2,000 open cases beside 20,000 and beside 200,000 closed cases, side by side.
//! The goal is a read cost that does not change with the closed cases (< 1 %).
//!
//! What is measured by default is the scan's read of the cases: the due-index Query up to the scan
//! horizon (`BreachScan` reads nothing else about cases once the calendar version was applied).
//! `BENCH_FULL_SCAN=1` also runs the whole scan (planning and writing every alert).
//!
//! Cases are loaded with BatchWriteItem as the store lays them out (`keys::case_item`), which is
//! much faster on moto than one intake transaction each; the scan then runs through the real store.
//!   cargo run --release -p complaints-store-dynamodb --example bench_breach -- [CLOSED...]

use std::sync::Arc;
use std::time::Instant;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use chrono::{DateTime, Days, NaiveDate, Utc};
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
        let horizon = alerts::scan_horizon(&org.alerts, &org.calendar(), today);
        let before = store.cost();
        let read_started = Instant::now();
        let due = store.open_due_by(horizon).await.expect("due index");
        let after = store.cost();
        let read_ms = read_started.elapsed().as_secs_f64() * 1000.0;
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
            scan_units,
            scan_ms,
            alerts,
        });
    }
    println!(
        "| closed cases | open cases | due cases read | items evaluated | requests | read units | wall time (read) | whole scan: units, alerts, wall time |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---|");
    for row in &rows {
        let whole = if row.scan_ms > 0.0 {
            format!("{:.1}, {}, {:.0} ms", row.scan_units, row.alerts, row.scan_ms)
        } else {
            "not run (BENCH_FULL_SCAN unset)".to_owned()
        };
        println!(
            "| {} | {OPEN} | {} | {} | {} | {:.1} | {:.0} ms | {whole} |",
            row.closed, row.cases_read, row.index_items, row.index_requests, row.index_units, row.read_ms
        );
    }
    if let (Some(first), Some(last)) = (rows.first(), rows.last()) {
        let change = if first.index_units > 0.0 {
            (last.index_units - first.index_units) / first.index_units * 100.0
        } else {
            0.0
        };
        println!(
            "\nread units of the due index: {:.1} vs {:.1} ({change:+.2} %); goal: < 1 %",
            first.index_units, last.index_units
        );
    }
}
