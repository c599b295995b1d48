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

use complaints_lambda::ScheduledEvent;

use crate::scan::{Config, prepare, run_scan};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    complaints_lambda::run_events(
        Config::from_env,
        |config, roots| async move { prepare(&config, roots).await },
        |ready, _, event: lambda_runtime::LambdaEvent<ScheduledEvent>| async move {
            run_scan(&ready.scan, &event.payload).await
        },
        "not ready: the scheduler will invoke again",
    )
    .await
}
