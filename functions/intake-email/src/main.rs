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

use aws_lambda_events::event::ses::SimpleEmailEvent;

use crate::handler::{Config, handle, prepare};

/// Set (to anything) in a test build to make a panic abort the process (see `main`).
#[cfg(debug_assertions)]
const TEST_PANIC_ABORT: &str = "INTAKE_EMAIL_TEST_PANIC_ABORT";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    // Builds with debug assertions only (tests; compiled out of every release build, so out of
    // what SAM deploys): a panic ends the process as cargo-lambda's panic = "abort" build does,
    // for tests/bootstrap_abort.rs, which runs this bootstrap through a parse that panics.
    #[cfg(debug_assertions)]
    if std::env::var_os(TEST_PANIC_ABORT).is_some() {
        let report = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            report(info);
            std::process::abort()
        }));
    }
    complaints_lambda::run_events(
        Config::from_env,
        |config, roots| async move { prepare(&config, roots).await },
        |ready, config, event: lambda_runtime::LambdaEvent<SimpleEmailEvent>| async move {
            handle(&ready.intake, &ready.objects, &config, &event.payload).await
        },
        "not ready: Lambda retries the event",
    )
    .await
}
