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

use std::sync::Arc;

use complaints_aws::TrustRoots;
use complaints_lambda::{Env, Prepared, at_startup, init_logging};
use lambda_runtime::{LambdaEvent, service_fn};

use crate::export::{Config, ExportEvent, Ready, prepare, run};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_logging();
    let config = Arc::new(at_startup(Config::from_env(&Env::process()))?);
    let roots = at_startup(TrustRoots::from_env())?;
    let ready: Arc<Prepared<Ready>> = Arc::new(Prepared::new());

    lambda_runtime::run(service_fn(move |event: LambdaEvent<ExportEvent>| {
        let (config, ready, roots) = (Arc::clone(&config), Arc::clone(&ready), roots);
        async move {
            let Some(ready) = ready.get_or_prepare(|| prepare(&config, roots)).await else {
                return Err(lambda_runtime::Error::from("not ready: the scheduler will invoke again"));
            };
            let report = run(ready, &config, event.payload).await?;
            Ok::<_, lambda_runtime::Error>(report)
        }
    }))
    .await
}
