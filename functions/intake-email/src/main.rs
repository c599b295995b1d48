//! intake-email: email intake on AWS. Wiring only: SES's receipt rule stores the raw message in
//! S3 (its S3 action) and then invokes this function asynchronously (its Lambda action); each
//! record's message is read from S3 and taken in by `complaints_app::email_intake`.
//!
//! Init reads the environment; the first event reads the keys from SSM and builds the clients
//! once. A record that cannot be taken in now (S3, DynamoDB or SSM unavailable) fails the
//! invocation: Lambda retries an asynchronous event twice, then sends it to the dead-letter queue
//! (the template's on-failure destination) and the alarm fires. The raw message stays in S3 and a
//! replay takes it in once (intake is idempotent by Message-ID and SES message id).

mod handler;

use std::sync::Arc;

use aws_lambda_events::event::ses::SimpleEmailEvent;
use complaints_aws::TrustRoots;
use complaints_lambda::{Env, Prepared, at_startup, init_logging};
use lambda_runtime::{LambdaEvent, service_fn};

use crate::handler::{Config, Ready, handle, prepare};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_logging();
    let config = Arc::new(at_startup(Config::from_env(&Env::process()))?);
    let roots = at_startup(TrustRoots::from_env())?;
    let ready: Arc<Prepared<Ready>> = Arc::new(Prepared::new());

    lambda_runtime::run(service_fn(move |event: LambdaEvent<SimpleEmailEvent>| {
        let (config, ready, roots) = (Arc::clone(&config), Arc::clone(&ready), roots);
        async move {
            let Some(ready) = ready.get_or_prepare(|| prepare(&config, roots)).await else {
                return Err(lambda_runtime::Error::from("not ready: Lambda retries the event"));
            };
            let outcomes = handle(&ready.intake, &ready.objects, &config, &event.payload).await?;
            Ok::<_, lambda_runtime::Error>(outcomes)
        }
    }))
    .await
}
