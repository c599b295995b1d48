//! Load generator for `scripts/bench-intake`: N concurrent clients POST JSON complaints to a running
//! `complaints serve` for a fixed time, then print throughput and p50/p99 latency. Not a test.
//! Each complaint carries a fresh form token from `GET /token`, as a browser's would; only the
//! POST is timed. The server must run with the per-client rate limit off (every client here
//! shares one address).
//!
//! `cargo run --release -p complaints-web --example bench_intake -- URL [CLIENTS] [SECONDS]`

use std::time::{Duration, Instant};

/// Hard cap on requests per client, so a run always ends even against a very fast server.
const MAX_REQUESTS_PER_CLIENT: usize = 1_000_000;

#[derive(Debug, Default)]
struct Tally {
    accepted: usize,
    refused: usize,
    failed: usize,
    latencies: Vec<Duration>,
}

/// A fresh one-time form token from `GET /token`.
async fn token(http: &reqwest::Client, url: &str) -> Option<String> {
    let response = http.get(format!("{url}token")).send().await.ok()?;
    let value: serde_json::Value = response.json().await.ok()?;
    value["token"].as_str().map(str::to_owned)
}

async fn client(id: usize, url: String, until: Instant) -> Tally {
    let http = complaints_https::client().expect("an HTTP client");
    let mut tally = Tally::default();
    for n in 0..MAX_REQUESTS_PER_CLIENT {
        if Instant::now() >= until {
            break;
        }
        let Some(token) = token(&http, &url).await else {
            tally.failed += 1;
            continue;
        };
        let complaint = serde_json::json!({
            "token": token,
            "name": format!("Load Client {id}"),
            "email": format!("client{id}.n{n}@example.org"),
            "service_area": "Bins and recycling",
            "description": format!("Benchmark complaint {n} from client {id}: the bin was not collected."),
            "event_date": "2026-01-05",
        });
        let started = Instant::now();
        let result =
            http.post(&url).header("content-type", "application/json").body(complaint.to_string()).send().await;
        match result {
            Ok(response) => {
                let status = response.status();
                let _ = response.bytes().await;
                tally.latencies.push(started.elapsed());
                if status.as_u16() == 201 {
                    tally.accepted += 1;
                } else {
                    tally.refused += 1;
                }
            }
            Err(_) => tally.failed += 1,
        }
    }
    tally
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let Some(base) = args.next() else {
        eprintln!("usage: bench_intake URL [CLIENTS] [SECONDS]");
        std::process::exit(2);
    };
    let clients: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(30);
    let url = format!("{}/", base.trim_end_matches('/'));

    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let handles: Vec<_> = (0..clients).map(|id| tokio::spawn(client(id, url.clone(), until))).collect();
    let mut total = Tally::default();
    for handle in handles {
        if let Ok(tally) = handle.await {
            total.accepted += tally.accepted;
            total.refused += tally.refused;
            total.failed += tally.failed;
            total.latencies.extend(tally.latencies);
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    total.latencies.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("clients:    {clients}");
    println!("duration:   {elapsed:.1} s");
    println!("accepted:   {} ({} refused, {} failed)", total.accepted, total.refused, total.failed);
    println!("throughput: {:.0} accepted complaints/s", total.accepted as f64 / elapsed);
    println!(
        "latency:    p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(percentile(&total.latencies, 50.0)),
        ms(percentile(&total.latencies, 99.0)),
        ms(total.latencies.last().copied().unwrap_or_default())
    );
    if total.accepted == 0 {
        std::process::exit(1);
    }
}
