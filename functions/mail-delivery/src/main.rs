//! mail-delivery: the scheduled sweep of the durable outbound path on AWS. Wiring only: every few
//! minutes EventBridge Scheduler invokes it; it delivers the pending messages that are due (the
//! web function already sent what it could at once) through SES and records each result on its
//! case (`complaints_app::outbound`).
//!
//! Init reads the environment; the first event builds the DynamoDB and SES clients once. A sweep
//! that cannot read the pending mail fails the invocation: the scheduler invokes asynchronously, so
//! Lambda retries it once, then its event goes to the dead-letter queue (the template's
//! `EventInvokeConfig`) and the alarms fire; the next scheduled sweep tries again anyway.

mod sweep;

use complaints_lambda::ScheduledEvent;

use crate::sweep::{Config, prepare, run_sweep};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    complaints_lambda::run_events(
        Config::from_env,
        |config, roots| async move { prepare(&config, roots).await },
        |ready, _, event: lambda_runtime::LambdaEvent<ScheduledEvent>| async move {
            run_sweep(&ready, event.payload, event.context.deadline()).await
        },
        "not ready: the scheduler will invoke again",
    )
    .await
}
