//! The cold-start benchmark (not a test): starts each given `bootstrap` many times against the
//! Runtime API stand-in and prints init, first and warm invoke times, peak RSS and package size,
//! as absolute figures and as ratios to the first binary (the hello-world reference).
//!
//! With `--instructions`, it also runs each binary once under callgrind (valgrind) and prints the
//! instructions executed to init's end, to the first response and to the sixth: counts that do
//! not move with the load on the machine.
//!
//! Usage: `bench-coldstart [--rounds N] [--warm K] [--instructions] [--env KEY=VALUE]...
//! NAME=BOOTSTRAP=EVENT_JSON...`

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

use lambda_harness::{Launch, Outcome, RuntimeApi};

/// Targets from the brief / performance.md §7 (G1-local, G2, G3).
const INIT_RATIO_TARGET: f64 = 1.3;
const RSS_RATIO_TARGET: f64 = 2.5;
const ZIP_BYTES_TARGET: u64 = 3_500_000;
const TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug)]
struct Subject {
    name: String,
    binary: PathBuf,
    event: Vec<u8>,
    init_ms: Vec<f64>,
    first_ms: Vec<f64>,
    warm_ms: Vec<f64>,
    rss_kib: Vec<u64>,
    /// Process start to the first response: init plus the first invoke, what the first caller
    /// of a new environment waits for (less Lambda's own set-up).
    cold_ms: Vec<f64>,
    /// The function's own timing of its secret fetch (`ssm_ms` in its logs), when it logs one.
    ssm_ms: Vec<f64>,
    /// The function's own timing of its preparation on the first request (`prepare_ms`: keys,
    /// clients, calendar, templates), when it logs one.
    prepare_ms: Vec<f64>,
}

#[derive(Debug)]
struct Args {
    rounds: usize,
    warm: usize,
    env: Vec<(String, String)>,
    subjects: Vec<Subject>,
    instructions: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args { rounds: 20, warm: 20, env: Vec::new(), subjects: Vec::new(), instructions: false };
    let mut raw = std::env::args().skip(1);
    while let Some(arg) = raw.next() {
        match arg.as_str() {
            "--rounds" | "--warm" => {
                let value = raw.next().and_then(|v| v.parse().ok()).ok_or(format!("{arg} needs a number"))?;
                if arg == "--rounds" { args.rounds = value } else { args.warm = value }
            }
            "--instructions" => args.instructions = true,
            "--env" => {
                let pair = raw.next().ok_or("--env needs KEY=VALUE")?;
                let (key, value) = pair.split_once('=').ok_or("--env needs KEY=VALUE")?;
                args.env.push((key.to_owned(), value.to_owned()));
            }
            subject => {
                let mut parts = subject.splitn(3, '=');
                let (Some(name), Some(binary), Some(event)) = (parts.next(), parts.next(), parts.next()) else {
                    return Err(format!("expected NAME=BOOTSTRAP=EVENT_JSON, got {subject}"));
                };
                let event = std::fs::read(event).map_err(|e| format!("cannot read {event}: {e}"))?;
                args.subjects.push(Subject {
                    name: name.to_owned(),
                    binary: PathBuf::from(binary),
                    event,
                    init_ms: Vec::new(),
                    first_ms: Vec::new(),
                    warm_ms: Vec::new(),
                    rss_kib: Vec::new(),
                    cold_ms: Vec::new(),
                    ssm_ms: Vec::new(),
                    prepare_ms: Vec::new(),
                });
            }
        }
    }
    if args.subjects.is_empty() {
        return Err("no binaries given".to_owned());
    }
    Ok(args)
}

/// One cold start, one first invoke, `warm` more invokes; records into `subject`.
fn measure_once(subject: &mut Subject, env: &[(String, String)], warm: usize) -> Result<(), String> {
    let mut api = RuntimeApi::start().map_err(|e| e.to_string())?;
    let mut launch = Launch::new(&subject.binary);
    for (key, value) in env {
        launch = launch.env(key, value);
    }
    let log = std::env::temp_dir().join(format!("bench-coldstart-{}-{}.log", std::process::id(), subject.name));
    let _ = std::fs::remove_file(&log);
    launch.log = Some(log.clone());
    let mut process = launch.spawn(&api.address()).map_err(|e| format!("{}: {e}", subject.binary.display()))?;
    let started = process.started;
    let mut alive = || process.is_running();

    let first_next = api.wait_first_next(TIMEOUT, &mut alive).map_err(|e| e.to_string())?;
    subject.init_ms.push(ms(first_next.duration_since(started)));

    let first = api.invoke(&subject.event, TIMEOUT, &mut alive).map_err(|e| e.to_string())?;
    if let Outcome::Error(body) = &first.value {
        return Err(format!("{} answered with an error: {}", subject.name, String::from_utf8_lossy(body)));
    }
    subject.first_ms.push(ms(first.elapsed));
    if let Some(init) = subject.init_ms.last() {
        subject.cold_ms.push(init + ms(first.elapsed));
    }
    for _ in 0..warm {
        let timed = api.invoke(&subject.event, TIMEOUT, &mut alive).map_err(|e| e.to_string())?;
        subject.warm_ms.push(ms(timed.elapsed));
    }
    subject.rss_kib.push(process.peak_rss_kib().unwrap_or(0));
    process.stop();
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    subject.ssm_ms.extend(logged_number(&logged, "ssm_ms"));
    subject.prepare_ms.extend(logged_number(&logged, "prepare_ms"));
    Ok(())
}

/// The first value of the numeric JSON field `field` in the function's log lines.
fn logged_number(log: &str, field: &str) -> Option<f64> {
    let key = format!("\"{field}\":");
    log.lines().find_map(|line| {
        let rest = &line[line.find(&key)? + key.len()..];
        let end = rest.find([',', '}']).unwrap_or(rest.len());
        rest[..end].trim().parse().ok()
    })
}

/// Instructions executed (callgrind) from process start to: the first `/next` (init), the first
/// response, and the sixth response (init and five invokes).
fn count_instructions(subject: &Subject, env: &[(String, String)]) -> Result<[u64; 3], String> {
    // Valgrind runs the code about 50 times slower.
    const SLOW: Duration = Duration::from_secs(300);
    let dir = std::env::temp_dir().join(format!("bench-coldstart-cg-{}-{}", std::process::id(), subject.name));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let out = dir.join("callgrind.out");
    let mut launch = Launch::new(&subject.binary);
    for (key, value) in env {
        launch = launch.env(key, value);
    }
    launch.wrapper =
        vec!["valgrind".to_owned(), "--tool=callgrind".to_owned(), format!("--callgrind-out-file={}", out.display())];
    let mut api = RuntimeApi::start().map_err(|e| e.to_string())?;
    let mut process = launch.spawn(&api.address()).map_err(|e| format!("valgrind: {e}"))?;
    let pid = process.id();
    let mut alive = || process.is_running();
    // Each dump holds the instructions since the previous one (`out.1`, `out.2`, …).
    let mut dumped = 0;
    let mut total = 0;
    let mut dump = |total: &mut u64| -> Result<u64, String> {
        let status = Command::new("callgrind_control").args(["-d", &pid.to_string()]).output();
        if !status.is_ok_and(|o| o.status.success()) {
            return Err("callgrind_control -d failed".to_owned());
        }
        dumped += 1;
        let file = dir.join(format!("callgrind.out.{dumped}"));
        let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let part: u64 = text
            .lines()
            .find_map(|line| line.strip_prefix("totals:"))
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| format!("no totals in {}", file.display()))?;
        *total += part;
        Ok(*total)
    };
    api.wait_first_next(SLOW, &mut alive).map_err(|e| e.to_string())?;
    let init = dump(&mut total)?;
    api.invoke(&subject.event, SLOW, &mut alive).map_err(|e| e.to_string())?;
    let first = dump(&mut total)?;
    for _ in 0..5 {
        api.invoke(&subject.event, SLOW, &mut alive).map_err(|e| e.to_string())?;
    }
    let sixth = dump(&mut total)?;
    drop(process);
    let _ = std::fs::remove_dir_all(&dir);
    Ok([init, first, sixth])
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn percentile(values: &[f64], p: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn median_u64(values: &[u64]) -> u64 {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    sorted.get(sorted.len() / 2).copied().unwrap_or(0)
}

/// Size of the deployment zip SAM would upload: the one `bootstrap` file, compressed.
fn zipped_size(binary: &Path) -> Result<u64, String> {
    let dir = std::env::temp_dir().join(format!("bench-coldstart-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let zip = dir.join("package.zip");
    let _ = std::fs::remove_file(&zip);
    let status = Command::new("zip")
        .args(["-q", "-j", "-X", "-9"])
        .arg(&zip)
        .arg(binary)
        .status()
        .map_err(|e| format!("zip: {e}"))?;
    if !status.success() {
        return Err(format!("zip failed for {}", binary.display()));
    }
    let size = std::fs::metadata(&zip).map_err(|e| e.to_string())?.len();
    let _ = std::fs::remove_dir_all(&dir);
    Ok(size)
}

fn main() -> ExitCode {
    let mut args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("bench-coldstart: {message}");
            return ExitCode::from(2);
        }
    };

    // Interleave binaries round by round so drift on the shared machine hits all of them alike.
    for round in 0..args.rounds {
        for subject in &mut args.subjects {
            if let Err(message) = measure_once(subject, &args.env, args.warm) {
                eprintln!("bench-coldstart: round {round}: {message}");
                return ExitCode::from(1);
            }
        }
    }

    let mut rows = Vec::new();
    for subject in &args.subjects {
        let size = std::fs::metadata(&subject.binary).map(|m| m.len()).unwrap_or(0);
        let zipped = match zipped_size(&subject.binary) {
            Ok(zipped) => zipped,
            Err(message) => {
                eprintln!("bench-coldstart: {message}");
                return ExitCode::from(1);
            }
        };
        rows.push((subject, size, zipped));
    }
    let Some(&(hello, _, hello_zip)) = rows.first() else { return ExitCode::from(2) };
    let hello_init = percentile(&hello.init_ms, 50.0);
    let hello_cold = percentile(&hello.cold_ms, 50.0);
    let hello_rss = median_u64(&hello.rss_kib) as f64;

    println!(
        "{} cold starts per binary, {} warm invokes each; ratios are to `{}`\n",
        args.rounds, args.warm, hello.name
    );
    println!(
        "| binary | bootstrap | zipped | init p50 | init p90 | first invoke p50 | cold request p50 | SSM fetch p50 | prepare p50 | warm p50 | peak RSS | init × | cold request × | RSS × | zip × |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut misses = Vec::new();
    for (subject, size, zipped) in &rows {
        let init = percentile(&subject.init_ms, 50.0);
        let rss = median_u64(&subject.rss_kib) as f64;
        let (init_ratio, rss_ratio) = (init / hello_init, rss / hello_rss);
        let cold = percentile(&subject.cold_ms, 50.0);
        // Functions that log no such timing (hello) show "–".
        let logged = |values: &[f64]| {
            if values.is_empty() { "–".to_owned() } else { format!("{:.2} ms", percentile(values, 50.0)) }
        };
        println!(
            "| {} | {:.2} MiB | {:.2} MB | {:.2} ms | {:.2} ms | {:.2} ms | {cold:.2} ms | {} | {} | {:.3} ms | {:.1} MiB | {:.2} | {:.2} | {:.2} | {:.2} |",
            subject.name,
            *size as f64 / 1_048_576.0,
            *zipped as f64 / 1_000_000.0,
            init,
            percentile(&subject.init_ms, 90.0),
            percentile(&subject.first_ms, 50.0),
            logged(&subject.ssm_ms),
            logged(&subject.prepare_ms),
            percentile(&subject.warm_ms, 50.0),
            rss / 1024.0,
            init_ratio,
            cold / hello_cold,
            rss_ratio,
            *zipped as f64 / hello_zip as f64,
        );
        if init_ratio > INIT_RATIO_TARGET {
            misses.push(format!("{}: init {init_ratio:.2}× hello > {INIT_RATIO_TARGET}×", subject.name));
        }
        if rss_ratio > RSS_RATIO_TARGET {
            misses.push(format!("{}: peak RSS {rss_ratio:.2}× hello > {RSS_RATIO_TARGET}×", subject.name));
        }
        if *zipped > ZIP_BYTES_TARGET {
            misses.push(format!("{}: package {zipped} bytes > {ZIP_BYTES_TARGET}", subject.name));
        }
    }
    if args.instructions {
        println!("\nInstructions (callgrind), and as ratios to `{}`:\n", hello.name);
        println!(
            "| binary | to init's end | to the first response | to the sixth response | init × | first × | sixth × |"
        );
        println!("|---|---:|---:|---:|---:|---:|---:|");
        let mut base: Option<[u64; 3]> = None;
        for (subject, _, _) in &rows {
            let counts = match count_instructions(subject, &args.env) {
                Ok(counts) => counts,
                Err(message) => {
                    eprintln!("bench-coldstart: {}: {message}", subject.name);
                    return ExitCode::from(1);
                }
            };
            let reference = *base.get_or_insert(counts);
            let ratio = |i: usize| counts[i] as f64 / reference[i] as f64;
            let mega = |i: usize| counts[i] as f64 / 1e6;
            println!(
                "| {} | {:.2} M | {:.2} M | {:.2} M | {:.2} | {:.2} | {:.2} |",
                subject.name,
                mega(0),
                mega(1),
                mega(2),
                ratio(0),
                ratio(1),
                ratio(2)
            );
        }
    }
    println!();
    if misses.is_empty() {
        println!("targets: all met (init ≤ {INIT_RATIO_TARGET}×, RSS ≤ {RSS_RATIO_TARGET}×, zip ≤ 3.5 MB)");
    } else {
        for miss in misses {
            println!("target missed: {miss}");
        }
    }
    ExitCode::SUCCESS
}
