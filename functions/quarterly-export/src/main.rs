//! quarterly-export: the SPSO indicators and report for a quarter (and after Q4 the year) written
//! to S3 under `exports/<year>/<quarter>/`. Wiring only (`complaints_app::export` does the work):
//! EventBridge Scheduler invokes it at 06:00 Europe/London on the first days of January, April,
//! July and October with the scheduled time; the organisation's calendar decides whether that day
//! is the first working day after a quarter end (`exports_due_on`), so the other days do nothing.
//! Invoked by hand with `{"quarter": "2026-27-Q2"}` or `{"year": "2026-27"}` it exports that
//! period. A re-run writes the same keys with the same bytes.
//!
//! A run that fails fails the invocation: the scheduler invokes asynchronously, so Lambda retries
//! it once, then the event goes to the dead-letter queue and the alarms fire.

mod export;

use crate::export::{Config, ExportEvent, prepare, run};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    complaints_lambda::run_events(
        Config::from_env,
        |config, roots| async move { prepare(&config, roots).await },
        |ready, config, event: lambda_runtime::LambdaEvent<ExportEvent>| async move {
            run(&ready, &config, event.payload).await
        },
        "not ready: the scheduler will invoke again",
    )
    .await
}
