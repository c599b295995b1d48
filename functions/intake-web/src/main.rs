//! intake-web: the citizen web form on AWS Lambda behind the HTTP API. Wiring only: read the
//! configuration, then serve `complaints_web::router` with `lambda_http` (the local server mounts
//! the very same router) once the keys are in and the clients and adapters are built.
//!
//! Init does only what cannot wait: logging and the environment (a missing variable stops the
//! start and names the variable). The first request then prepares everything else — the keys
//! from SSM, the clients, the calendar, the templates — once (`prepare.rs`; README, "Cold-start
//! benchmark", says why and what it costs).

mod config;
mod prepare;
mod secrets;

use std::convert::Infallible;
use std::sync::Arc;

use complaints_aws::TrustRoots;
use lambda_http::{Request, service_fn};
use tower::ServiceExt as _;
use tracing_subscriber::filter::LevelFilter;

use crate::config::Config;
use crate::prepare::Ready;

// One thread: Lambda hands an environment one event at a time, and at the usual memory sizes it
// has less than one vCPU, so worker threads would only add stacks and allocator arenas.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    init_logging();

    let config = Config::from_env().inspect_err(|err| tracing::error!(error.message = %err, "cannot start"))?;
    let roots = TrustRoots::from_env().inspect_err(|err| tracing::error!(error.message = %err, "cannot start"))?;
    let ready = Arc::new(Ready::new(config, roots));

    lambda_http::run(service_fn(move |request: Request| {
        let ready = Arc::clone(&ready);
        async move {
            let response = match ready.router().await {
                Some(router) => router.oneshot(request).await?,
                None => complaints_web::unavailable(),
            };
            Ok::<_, Infallible>(response)
        }
    }))
    .await
}

/// JSON lines on stdout, which Lambda forwards to CloudWatch. The level comes from the template's
/// `LoggingConfig` (Lambda sets `AWS_LAMBDA_LOG_LEVEL`), else `RUST_LOG` (a level name only),
/// else info. The runtime's span puts the request id on every line.
fn init_logging() {
    let set = |name: &str| std::env::var(name).ok().filter(|value| !value.trim().is_empty());
    let level = set("AWS_LAMBDA_LOG_LEVEL").or_else(|| set("RUST_LOG")).unwrap_or_default();
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
/// the complainant's words in them, and logs must never hold personal data.
fn log_level(name: &str) -> LevelFilter {
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
