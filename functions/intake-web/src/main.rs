//! intake-web: the citizen web form on AWS Lambda behind the HTTP API. Wiring only: read the
//! configuration, then serve `complaints_web::router` with `lambda_http` (the local server mounts
//! the very same router) once the keys are in and the clients and adapters are built.
//!
//! Init does only what cannot wait: logging and the environment (a missing variable stops the
//! start and names the variable). The first request then prepares everything else — the keys
//! from SSM, the clients, the calendar, the templates — once (`prepare.rs`, on the shared shell
//! `complaints-lambda`; docs/cold-start.md says why and what it costs).

mod config;
mod prepare;
mod secrets;

use std::convert::Infallible;
use std::sync::Arc;

use complaints_aws::TrustRoots;
use complaints_lambda::{Env, at_startup, init_logging};
use lambda_http::{Request, service_fn};
use tower::ServiceExt as _;

use crate::config::Config;
use crate::prepare::Ready;

// One thread: Lambda hands an environment one event at a time, and at the usual memory sizes it
// has less than one vCPU, so worker threads would only add stacks and allocator arenas.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    init_logging();
    let config = at_startup(Config::from_env(&Env::process()))?;
    let roots = at_startup(TrustRoots::from_env())?;
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
