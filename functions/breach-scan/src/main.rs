//! breach-scan: the breach scan on AWS. Wiring only: EventBridge Scheduler invokes it at 08:00 and
//! 13:00 Europe/London, Monday to Friday, with `{"scheduledTime": …}` as its only input; that time
//! is the run's "now" (`complaints_app::breach_scan`). The scan skips the organisation's holidays
//! itself, writes each alert once with its digest through the durable outbound path, and the
//! mail-delivery sweep sends the digests.
//!
//! Init reads the environment; the first event builds the DynamoDB client and reads the
//! organisation configuration from SSM once. A run that could not write every batch fails the
//! invocation: Lambda retries it (the markers make the retry send only what is left), then the
//! event goes to the dead-letter queue and the alarm fires.

mod scan;

use std::sync::Arc;

use complaints_aws::TrustRoots;
use complaints_lambda::{Env, Prepared, at_startup, init_logging};
use lambda_runtime::{LambdaEvent, service_fn};

use crate::scan::{Config, Ready, ScheduledEvent, prepare, run_scan};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_logging();
    let config = Arc::new(at_startup(Config::from_env(&Env::process()))?);
    let roots = at_startup(TrustRoots::from_env())?;
    let ready: Arc<Prepared<Ready>> = Arc::new(Prepared::new());

    lambda_runtime::run(service_fn(move |event: LambdaEvent<ScheduledEvent>| {
        let (config, ready, roots) = (Arc::clone(&config), Arc::clone(&ready), roots);
        async move {
            let Some(ready) = ready.get_or_prepare(|| prepare(&config, roots)).await else {
                return Err(lambda_runtime::Error::from("not ready: the scheduler will invoke again"));
            };
            let report = run_scan(&ready.scan, &event.payload).await?;
            Ok::<_, lambda_runtime::Error>(report)
        }
    }))
    .await
}
