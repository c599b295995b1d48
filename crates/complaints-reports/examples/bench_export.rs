//! The export benchmark's worker (`scripts/bench-export` runs it): feeds N synthetic cases through
//! the streaming writer (the accumulator, `cases.csv` to a file, then the other files) and prints
//! one JSON line with the time taken and the process's peak resident memory (VmHWM).

use std::io::BufWriter;
use std::time::Instant;

use complaints_core::indicators::{Accumulator, Period, PopulationBase};
use complaints_reports::synthetic::Generator;
use complaints_reports::{ExportOptions, ExportWriter, QuarterTotals};

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

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let count: u64 = args.next().ok_or("usage: bench-export CASES OUT_DIR")?.parse()?;
    let out = std::path::PathBuf::from(args.next().ok_or("usage: bench-export CASES OUT_DIR")?);
    let period = Period::parse("2026-27-Q2")?;
    let options = ExportOptions {
        organisation: "Benchmark Council".to_owned(),
        calendar_version: "sct-2026.1".to_owned(),
        software_version: env!("CARGO_PKG_VERSION").to_owned(),
        population: Some(PopulationBase { label: "population".to_owned(), count: 500_000 }),
        learning_register: true,
    };
    // SAMPLE_HISTORY=1: the three quarters before, generated the same way (fewer cases each), for
    // a sample report whose trend chart has four quarters (docs/images/export-report.png).
    let history: Vec<QuarterTotals> = if std::env::var_os("SAMPLE_HISTORY").is_some() {
        let mut earlier = vec![period.previous_quarter()];
        earlier.push(earlier[0].previous_quarter());
        earlier.push(earlier[1].previous_quarter());
        earlier
            .into_iter()
            .rev()
            .zip([80_u64, 110, 95])
            .map(|(quarter, percent)| {
                let mut accumulator = Accumulator::new(quarter, None);
                Generator::new(quarter, count * percent / 100, percent).for_each(|case| accumulator.add(&case));
                let figures = accumulator.finish(&[]);
                QuarterTotals {
                    period: quarter,
                    received: figures.total.k2_received,
                    closed: figures.total.closed,
                    source_sha256: None,
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let started = Instant::now();
    let file = std::fs::File::create(out.join("cases.csv"))?;
    let mut writer = ExportWriter::new(period, options.population.clone(), BufWriter::new(file))?;
    for case in Generator::new(period, count, 42) {
        writer.add(&case)?;
    }
    let (finished, cases) = writer.finish(&[], history, &options)?;
    cases.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    for (name, _, bytes) in &finished.files {
        std::fs::write(out.join(name), bytes)?;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{{\"cases\":{count},\"seconds\":{seconds:.3},\"peak_rss_kib\":{},\"case_rows\":{},\"cases_csv_bytes\":{}}}",
        peak_rss_kib(),
        finished.manifest.snapshot.case_rows,
        finished.manifest.files[0].bytes
    );
    Ok(())
}
