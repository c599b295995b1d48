//! intake-social: the Meta and X webhooks on AWS Lambda behind the HTTP API. Wiring only: read the
//! configuration, then serve `complaints_social::router` with `lambda_http` (the local server
//! mounts the very same router) once the secrets are in and the clients and adapters are built.
//!
//! Init reads the environment only; the first request fetches the secrets from SSM and builds
//! everything else once (`prepare.rs`, on the shared shell `complaints-lambda`).

mod config;
mod prepare;

use std::convert::Infallible;
use std::sync::Arc;

use complaints_aws::TrustRoots;
use complaints_lambda::{Env, at_startup, init_logging};
use lambda_http::{Request, service_fn};
use tower::ServiceExt as _;

use crate::config::Config;
use crate::prepare::Ready;

// One thread: Lambda hands an environment one event at a time.
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
                // A 503 makes both platforms deliver again later: nothing is lost.
                None => axum::response::IntoResponse::into_response(axum::http::StatusCode::SERVICE_UNAVAILABLE),
            };
            Ok::<_, Infallible>(response)
        }
    }))
    .await
}
