//! The export benchmark's store worker (`scripts/bench-export --store` runs it). `load N DB` writes
//! N cases of 2026-27 Q2 into a SQLite store (received across the quarter, every other one
//! answered at stage 1 two days later); `export DB OUT` then reads them back, in a fresh process,
//! through the export's paged reads and the streaming writer (`cases.csv` to a file) and prints one
//! JSON line with the time taken and the process's peak resident memory (VmHWM).

use std::io::BufWriter;
use std::time::Instant;

use complaints_app::export::export_period;
use complaints_app::ports::{CaseStore, NewCase};
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
use complaints_store_sqlite::SqliteCaseStore;

const USAGE: &str = "usage: bench_export_store load CASES DB | export DB OUT_DIR";

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

async fn load(count: u32, db: &str) -> Result<(), Box<dyn std::error::Error>> {
    let store = SqliteCaseStore::open(db)?;
    let calendar = Calendar::scotland();
    let policy = Policy::default();
    let rules = Rules { calendar: &calendar, policy: &policy };
    let first = chrono::NaiveDate::from_ymd_opt(2026, 7, 1).ok_or("date")?;
    let staff = Actor::Staff("bench".to_owned());
    for number in 1..=count {
        let received = first + chrono::Days::new(u64::from(number % 90));
        let at = received.and_hms_opt(10, 0, 0).ok_or("time")?.and_utc();
        let complaint = sample_complaint(Channel::WebForm, Some("someone@example.net"));
        let reference = CaseRef::new("BEN", 2026, number)?;
        let (mut case, events) =
            Case::open(reference, complaint, at, "Complaints Team".to_owned(), None, rules, Actor::System);
        if number % 2 == 0 {
            let answered = received + chrono::Days::new(2);
            let signposting =
                Some(Stage2Signposting { given_on: answered, channel: Channel::Email, time_limit_given: true });
            let close = Command::CloseStage1 { responded_on: answered, outcome: Outcome::NotUpheld, signposting };
            let answered_at = answered.and_hms_opt(10, 0, 0).ok_or("time")?.and_utc();
            case = case.apply(close, answered_at, staff.clone(), rules)?.0;
        }
        store.create(NewCase { case, events, source_key: None, mail: None }).await?;
    }
    Ok(())
}

async fn export(db: &str, out: &str) -> Result<(), Box<dyn std::error::Error>> {
    let store = SqliteCaseStore::open(db)?;
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
    println!(
        "{{\"received\":{},\"seconds\":{seconds:.3},\"peak_rss_kib\":{}}}",
        finished.indicators.total.k2_received,
        peak_rss_kib()
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["load", count, db] => runtime.block_on(load(count.parse()?, db)),
        ["export", db, out] => runtime.block_on(export(db, out)),
        _ => Err(USAGE.into()),
    }
}
