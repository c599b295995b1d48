//! The export benchmark's DynamoDB worker (`scripts/bench-export --dynamodb` runs it against moto).
//! `load N TABLE` creates the table and writes N cases of 2026-27 Q2 as the store lays them out
//! (the case items and their closure items, BatchWriteItem: much faster on moto than an intake
//! transaction each; received across the quarter, every other one answered at stage 1 two days
//! later); `export TABLE OUT_DIR` then reads them back, in a fresh process, through the export's
//! paged reads (Query pages of `gsi2-period`, BatchGetItem) and the streaming writer (`cases.csv`
//! to a file, as the Lambda writes it to /tmp) and prints one JSON line with the time taken, the
//! queries made and the process's peak resident memory (VmHWM).

use std::io::BufWriter;
use std::time::Instant;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use complaints_app::export::export_period;
use complaints_app::testing::sample_complaint;
use complaints_core::calendar::Calendar;
use complaints_core::case::{Case, Rules};
use complaints_core::command::Command;
use complaints_core::complaint::Channel;
use complaints_core::indicators::Period;
use complaints_core::outcome::Outcome;
use complaints_core::policy::Policy;
use complaints_core::reference::CaseRef;
use complaints_core::signposting::Stage2Signposting;
use complaints_core::timeline::Actor;
use complaints_reports::ExportOptions;
use complaints_store_dynamodb::{DynamoDbCaseStore, create_table, keys};

const USAGE: &str = "usage: bench_export_dynamodb load CASES TABLE | export TABLE OUT_DIR (MOTO_URL set)";

/// Requests in flight while loading.
const WRITERS: usize = 8;

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmHWM:"))
                .and_then(|line| line.split_whitespace().nth(1).and_then(|kib| kib.parse().ok()))
        })
        .unwrap_or(0)
}

fn client() -> Result<Client, Box<dyn std::error::Error>> {
    let url = std::env::var("MOTO_URL").map_err(|_| USAGE)?;
    Ok(Client::new(&complaints_testkit::sdk_config_at(&url)))
}

/// Case `number` as the SQLite benchmark makes it.
fn case(number: u32) -> Result<Case, Box<dyn std::error::Error>> {
    let calendar = Calendar::scotland();
    let policy = Policy::default();
    let rules = Rules { calendar: &calendar, policy: &policy };
    let first = chrono::NaiveDate::from_ymd_opt(2026, 7, 1).ok_or("date")?;
    let received = first + chrono::Days::new(u64::from(number % 90));
    let at = received.and_hms_opt(10, 0, 0).ok_or("time")?.and_utc();
    let complaint = sample_complaint(Channel::WebForm, Some("someone@example.net"));
    let (mut case, _) = Case::open(
        CaseRef::new("BEN", 2026, 0)?,
        complaint,
        at,
        "Complaints Team".to_owned(),
        None,
        rules,
        Actor::System,
    );
    case.assign_number(number);
    if number.is_multiple_of(2) {
        let answered = received + chrono::Days::new(2);
        let signposting =
            Some(Stage2Signposting { given_on: answered, channel: Channel::Email, time_limit_given: true });
        let close = Command::CloseStage1 { responded_on: answered, outcome: Outcome::NotUpheld, signposting };
        let answered_at = answered.and_hms_opt(10, 0, 0).ok_or("time")?.and_utc();
        case = case.apply(close, answered_at, Actor::Staff("bench".to_owned()), rules)?.0;
    }
    Ok(case)
}

async fn flush(client: Client, table: String, mut batch: Vec<WriteRequest>) -> Result<(), String> {
    while !batch.is_empty() {
        let out = client.batch_write_item().request_items(&table, batch).send().await.map_err(|e| e.to_string())?;
        batch = out.unprocessed_items.and_then(|mut m| m.remove(&table)).unwrap_or_default();
    }
    Ok(())
}

async fn load(count: u32, table: &str) -> Result<(), Box<dyn std::error::Error>> {
    let client = client()?;
    create_table(&client, table).await?;
    let mut pending: Vec<WriteRequest> = Vec::new();
    let mut running = Vec::new();
    for number in 1..=count {
        let case = case(number)?;
        let index = case.index();
        let mut items = vec![keys::case_item(&case, &index, 1)?];
        items.extend(keys::closure_items(case.reference(), &index));
        for item in items {
            pending
                .push(WriteRequest::builder().put_request(PutRequest::builder().set_item(Some(item)).build()?).build());
            if pending.len() == 25 {
                running.push(tokio::spawn(flush(client.clone(), table.to_owned(), std::mem::take(&mut pending))));
            }
            if running.len() == WRITERS {
                for handle in running.drain(..) {
                    handle.await??;
                }
            }
        }
    }
    if !pending.is_empty() {
        running.push(tokio::spawn(flush(client.clone(), table.to_owned(), pending)));
    }
    for handle in running {
        handle.await??;
    }
    Ok(())
}

async fn export(table: &str, out: &str) -> Result<(), Box<dyn std::error::Error>> {
    let store = DynamoDbCaseStore::new(client()?, table);
    let period = Period::parse("2026-27-Q2")?;
    let options = ExportOptions {
        organisation: "Benchmark Council".to_owned(),
        calendar_version: "sct-2026.1".to_owned(),
        software_version: env!("CARGO_PKG_VERSION").to_owned(),
        population: None,
        learning_register: true,
    };
    let started = Instant::now();
    let file = BufWriter::new(std::fs::File::create(std::path::Path::new(out).join("cases.csv"))?);
    let (finished, _) = export_period(&store, period, file, &[], Vec::new(), &options).await?;
    let seconds = started.elapsed().as_secs_f64();
    let cost = store.cost();
    println!(
        "{{\"received\":{},\"closed\":{},\"seconds\":{seconds:.3},\"requests\":{},\"peak_rss_kib\":{}}}",
        finished.indicators.total.k2_received,
        finished.indicators.total.closed,
        cost.requests,
        peak_rss_kib()
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // As the Lambda runs: one thread.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["load", count, table] => runtime.block_on(load(count.parse()?, table)),
        ["export", table, out] => runtime.block_on(export(table, out)),
        _ => Err(USAGE.into()),
    }
}
