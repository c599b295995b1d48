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

use std::sync::Arc;

use complaints_aws::TrustRoots;
use complaints_lambda::{Env, Prepared, at_startup, init_logging};
use lambda_runtime::{LambdaEvent, service_fn};

use crate::sweep::{Config, Ready, ScheduledEvent, prepare, run_sweep};

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
            let report = run_sweep(ready, event.payload, event.context.deadline()).await?;
            Ok::<_, lambda_runtime::Error>(report)
        }
    }))
    .await
}
