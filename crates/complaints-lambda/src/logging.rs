//! JSON log lines on stdout, which Lambda forwards to CloudWatch. What goes in them is each
//! function's business: fields are durations, counts, ids and error chains, never a name, an
//! address or a complaint's text.

use tracing_subscriber::filter::LevelFilter;

/// Variables that set the level, in order: the template's `LoggingConfig` (Lambda sets
/// `AWS_LAMBDA_LOG_LEVEL`), then `RUST_LOG` (a level name only; no per-module filters, which
/// would bring tracing-subscriber's regex-based `env-filter`).
pub const LOG_LEVEL_VARS: [&str; 2] = ["AWS_LAMBDA_LOG_LEVEL", "RUST_LOG"];

/// Installs the JSON subscriber, at the level [`LOG_LEVEL_VARS`] give (else info). One event per
/// line, fields at the top level; the runtime's span puts the request id on every line.
pub fn init_logging() {
    let set = |name: &str| std::env::var(name).ok().filter(|value| !value.trim().is_empty());
    let level = LOG_LEVEL_VARS.iter().find_map(|name| set(name)).unwrap_or_default();
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_span_list(false)
        .with_max_level(log_level(&level))
        .with_ansi(false)
        .init();
}

/// Lambda's level names (TRACE…FATAL) and Rust's (trace…off), any case; anything else, or
/// nothing, is INFO (`LevelFilter`'s own parser would take an empty string for ERROR). TRACE is
/// held at DEBUG: at TRACE the Lambda runtime logs whole events and the SDK whole requests, with
/// people's words in them, and logs must never hold personal data.
#[must_use]
pub fn log_level(name: &str) -> LevelFilter {
    match name.trim().to_ascii_lowercase().as_str() {
        "trace" | "debug" => LevelFilter::DEBUG,
        "warn" => LevelFilter::WARN,
        "error" | "fatal" => LevelFilter::ERROR,
        "off" => LevelFilter::OFF,
        _ => LevelFilter::INFO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_levels_from_lambda_and_rust_names() {
        let cases = [
            ("TRACE", LevelFilter::DEBUG),
            ("debug", LevelFilter::DEBUG),
            ("Info", LevelFilter::INFO),
            ("WARN", LevelFilter::WARN),
            ("ERROR", LevelFilter::ERROR),
            ("FATAL", LevelFilter::ERROR),
            ("off", LevelFilter::OFF),
            ("", LevelFilter::INFO),
            ("complaints=debug", LevelFilter::INFO),
        ];
        for (name, level) in cases {
            assert_eq!(log_level(name), level, "{name}");
        }
    }
}
