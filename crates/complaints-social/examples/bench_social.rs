//! Load generator for `scripts/bench-social`: N concurrent clients POST signed webhook deliveries
//! (Messenger messages, and every fourth one an X Account Activity DM, each from a new sender so
//! each opens a case and sends a private reply) to a running `complaints serve` for a fixed time,
//! then print throughput and p50/p99 latency. Not a test.
//!
//! `bench_social fake-platform` instead runs a stand-in for the platforms' send APIs on
//! 127.0.0.1 (printing its address), which the server's replies go to.
//!
//! `cargo run --release -p complaints-social --example bench_social -- URL [CLIENTS] [SECONDS]`
//! with `META_APP_SECRET` and `X_OAUTH2_CLIENT_SECRET` set as for the server.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use complaints_social::signature::{meta_signature, x_signature};

const MAX_REQUESTS_PER_CLIENT: usize = 1_000_000;

#[derive(Debug, Default)]
struct Tally {
    accepted: usize,
    refused: usize,
    failed: usize,
    latencies: Vec<Duration>,
}

async fn client(id: usize, url: String, meta_secret: Arc<Vec<u8>>, x_secret: Arc<Vec<u8>>, until: Instant) -> Tally {
    let http = complaints_https::client().expect("an HTTP client");
    let mut tally = Tally::default();
    for n in 0..MAX_REQUESTS_PER_CLIENT {
        if Instant::now() >= until {
            break;
        }
        let sender = format!("{}", 9_000_000_000u64 + (id as u64) * 10_000_000 + n as u64);
        let (path, header, signature, body) = if n % 4 == 3 {
            let body = serde_json::json!({
                "for_user_id": "4337869213",
                "direct_message_events": [{"type": "message_create", "id": format!("x-{id}-{n}"),
                    "message_create": {"sender_id": sender, "target": {"recipient_id": "4337869213"},
                    "message_data": {"text": format!("Benchmark DM {n} from client {id}: the street light is out.")}}}]
            })
            .to_string();
            let signature = x_signature(&x_secret, body.as_bytes());
            ("webhooks/x", "x-twitter-webhooks-signature-oauth2", signature, body)
        } else {
            let body = serde_json::json!({
                "object": "page",
                "entry": [{"id": "1234567890", "time": 1, "messaging": [{
                    "sender": {"id": sender}, "recipient": {"id": "1234567890"}, "timestamp": 1,
                    "message": {"mid": format!("m-{id}-{n}"), "text": format!("Benchmark message {n} from client {id}: the bin was not collected.")}
                }]}]
            })
            .to_string();
            let signature = meta_signature(&meta_secret, body.as_bytes());
            ("webhooks/meta", "x-hub-signature-256", signature, body)
        };
        let started = Instant::now();
        let result = http
            .post(format!("{url}{path}"))
            .header("content-type", "application/json")
            .header(header, signature)
            .body(body)
            .send()
            .await;
        match result {
            Ok(response) => {
                let status = response.status();
                let _ = response.bytes().await;
                tally.latencies.push(started.elapsed());
                if status.is_success() {
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

/// The platforms' send APIs, answering 200 to every POST and counting them.
async fn fake_platform() {
    let count = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&count);
    let app = axum::Router::new().fallback(axum::routing::post(move || {
        let counter = Arc::clone(&counter);
        async move {
            counter.fetch_add(1, Ordering::Relaxed);
            axum::Json(serde_json::json!({"message_id": "m"}))
        }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    println!("fake platform at http://{}", listener.local_addr().expect("address"));
    let report = Arc::clone(&count);
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            eprintln!("fake platform: {} replies received", report.load(Ordering::Relaxed));
        }
    });
    axum::serve(listener, app).await.expect("serve");
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let Some(base) = args.next() else {
        eprintln!("usage: bench_social URL [CLIENTS] [SECONDS] | bench_social fake-platform");
        std::process::exit(2);
    };
    if base == "fake-platform" {
        fake_platform().await;
        return;
    }
    let clients: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(30);
    let url = format!("{}/", base.trim_end_matches('/'));
    let meta_secret = Arc::new(std::env::var("META_APP_SECRET").expect("META_APP_SECRET").into_bytes());
    let x_secret = Arc::new(std::env::var("X_OAUTH2_CLIENT_SECRET").expect("X_OAUTH2_CLIENT_SECRET").into_bytes());

    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let handles: Vec<_> = (0..clients)
        .map(|id| tokio::spawn(client(id, url.clone(), Arc::clone(&meta_secret), Arc::clone(&x_secret), until)))
        .collect();
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
    println!("throughput: {:.0} signed deliveries/s", total.accepted as f64 / elapsed);
    println!(
        "latency:    p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(percentile(&total.latencies, 50.0)),
        ms(percentile(&total.latencies, 99.0)),
        ms(total.latencies.last().copied().unwrap_or_default())
    );
    if total.accepted == 0 || total.refused > 0 {
        std::process::exit(1);
    }
}
