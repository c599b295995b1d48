//! The staff API benchmark's two halves, for `scripts/bench-staff-api` (not a test):
//!
//! - `seed DATA_DIR CASES`: writes CASES open cases straight into the data directory's SQLite store
//!   (no mail, so nothing is queued), received over the last four weeks and spread over five
//!   handlers, and adds a handler to the users file; prints the handler's API token.
//! - `load URL TOKEN CLIENTS SECONDS`: CLIENTS concurrent clients, first `list` (GET /api/cases,
//!   pages of 50 with and without filters) for SECONDS, then `respond` (POST a stage 1 response to
//!   a distinct open case each time, at its version) for SECONDS; prints throughput and p50/p99
//!   of each.
//!
//! `cargo run --release -p complaints-cli --example bench_staff_api -- seed data 10000`

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, Utc};
use complaints_app::ports::{CaseStore, NewCase};
use complaints_app::users::UsersFile;
use complaints_core::case::Case;
use complaints_core::complaint::{Channel, Complainant, ComplaintDraft, EmailAddress, IntakeRoute};
use complaints_core::config::OrgConfig;
use complaints_core::reference::CaseRef;
use complaints_core::roles::Role;
use complaints_core::timeline::Actor;
use complaints_store_sqlite::SqliteCaseStore;

const HANDLERS: [&str; 5] = ["Team A", "Team B", "Team C", "Team D", "Team E"];

fn usage() -> ! {
    eprintln!("usage: bench_staff_api seed DATA_DIR CASES | load URL TOKEN CLIENTS SECONDS");
    std::process::exit(2)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("seed") if args.len() == 3 => seed(Path::new(&args[1]), args[2].parse()?).await,
        Some("load") if args.len() == 5 => {
            load(&args[1], &args[2], args[3].parse()?, Duration::from_secs(args[4].parse()?)).await
        }
        _ => usage(),
    }
}

async fn seed(data_dir: &Path, cases: usize) -> anyhow::Result<()> {
    let store = Arc::new(SqliteCaseStore::open(data_dir.join("complaints.sqlite3"))?);
    let config = OrgConfig::builtin();
    let calendar = config.calendar();
    let now = Utc::now();
    let today = complaints_core::dates::today_in_scotland(now);
    let started = Instant::now();
    for n in 0..cases {
        // Received over the last four weeks (hours apart), so due dates spread and some are overdue.
        let received: DateTime<Utc> = now - chrono::Duration::minutes(i64::try_from(n % 4000)? * 10 + 60);
        let draft = ComplaintDraft {
            channel: if n % 3 == 0 { Channel::Phone } else { Channel::WebForm },
            complainant: Some(Complainant {
                name: format!("Bench Person {n}"),
                email: Some(EmailAddress::parse(&format!("bench{n}@example.org"))?),
                phone: None,
                handle: None,
            }),
            service_area: "Bins and recycling".to_owned(),
            description: format!("Benchmark complaint {n}: the bin was not collected."),
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
        let complaint = draft.validate(today).map_err(|problems| anyhow::anyhow!("invalid sample: {problems:?}"))?;
        let rules = complaints_core::case::Rules { calendar: &calendar, policy: &config.procedure };
        let provisional = CaseRef::new(&config.organisation.reference_prefix, received.year(), 0)?;
        let handler = HANDLERS[n % HANDLERS.len()].to_owned();
        let (case, events) = Case::open(provisional, complaint, received, handler, None, rules, Actor::System);
        store.create(NewCase { case, events, source_key: None, mail: None }).await?;
    }
    eprintln!("seeded {cases} open cases in {:.1} s", started.elapsed().as_secs_f64());
    let mut users = UsersFile::load(data_dir)?;
    let token = users.add("bench-handler", Some("Bench Handler".to_owned()), Role::Handler, None, now)?;
    users.save()?;
    println!("{token}");
    Ok(())
}

#[derive(Debug, Default)]
struct Tally {
    ok: usize,
    refused: usize,
    failed: usize,
    latencies: Vec<Duration>,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.ok += other.ok;
        self.refused += other.refused;
        self.failed += other.failed;
        self.latencies.extend(other.latencies);
    }

    fn report(&mut self, name: &str, elapsed: Duration) {
        self.latencies.sort();
        let at = |q: f64| {
            let i = ((self.latencies.len() as f64 - 1.0) * q).round();
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            self.latencies.get(i as usize).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        println!(
            "{name:8} {:>6} ok {:>4} refused {:>4} failed  {:>7.1}/s  p50 {:>6.1} ms  p99 {:>6.1} ms  max {:>6.1} ms",
            self.ok,
            self.refused,
            self.failed,
            self.ok as f64 / elapsed.as_secs_f64(),
            at(0.50),
            at(0.99),
            at(1.0),
        );
    }
}

async fn timed(request: reqwest::RequestBuilder, tally: &mut Tally, success: u16) -> Option<serde_json::Value> {
    let started = Instant::now();
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let body = response.json::<serde_json::Value>().await.ok();
            tally.latencies.push(started.elapsed());
            if status == success {
                tally.ok += 1;
                body
            } else {
                tally.refused += 1;
                None
            }
        }
        Err(_) => {
            tally.failed += 1;
            None
        }
    }
}

async fn load(url: &str, token: &str, clients: usize, duration: Duration) -> anyhow::Result<()> {
    let base = url.trim_end_matches('/').to_owned();
    let http = complaints_https::client().expect("an HTTP client");
    let auth = format!("Bearer {token}");

    // Every open case and its version, through the API itself (pages of 500).
    let mut open: Vec<(String, u64)> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let after = cursor.as_ref().map(|c| format!("&cursor={}", c.replace('#', "%23"))).unwrap_or_default();
        let request = http.get(format!("{base}/api/cases?limit=500{after}")).header("authorization", &auth);
        let page: serde_json::Value = request.send().await?.error_for_status()?.json().await?;
        for case in page["cases"].as_array().into_iter().flatten() {
            if let (Some(reference), Some(version)) = (case["reference"].as_str(), case["version"].as_u64()) {
                open.push((reference.to_owned(), version));
            }
        }
        match page["next"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    println!("open cases: {}", open.len());

    // list: first pages, with and without filters, as a work queue screen asks for them.
    let filters = ["", "&handler=Team%20B", "&overdue=true", "&channel=phone&stage=1"];
    let until = Instant::now() + duration;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..clients {
        let (http, base, auth) = (http.clone(), base.clone(), auth.clone());
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            let mut n = client;
            while Instant::now() < until {
                let filter = filters[n % filters.len()];
                let request = http.get(format!("{base}/api/cases?limit=50{filter}")).header("authorization", &auth);
                timed(request, &mut tally, 200).await;
                n += 1;
            }
            tally
        }));
    }
    let mut list = Tally::default();
    for task in tasks {
        list.add(task.await?);
    }
    list.report("list", started.elapsed());

    // respond: each client answers its own share of the open cases, one after another.
    let shares: Vec<Vec<(String, u64)>> =
        (0..clients).map(|c| open.iter().skip(c).step_by(clients).cloned().collect()).collect();
    let until = Instant::now() + duration;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for share in shares {
        let (http, base, auth) = (http.clone(), base.clone(), auth.clone());
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            for (reference, version) in share {
                if Instant::now() >= until {
                    break;
                }
                let body = serde_json::json!({
                    "action": "respond",
                    "outcome": "resolved",
                    "note": "We collected the bin the next day and apologise for the delay.",
                    "expected_version": version,
                });
                let request = http
                    .post(format!("{base}/api/cases/{reference}/actions"))
                    .header("authorization", &auth)
                    .header("content-type", "application/json")
                    .body(body.to_string());
                timed(request, &mut tally, 200).await;
            }
            tally
        }));
    }
    let mut respond = Tally::default();
    for task in tasks {
        respond.add(task.await?);
    }
    respond.report("respond", started.elapsed());
    Ok(())
}
