//! staff-api: the staff case-handling API on AWS Lambda behind the HTTP API's JWT authorizer.
//! Wiring only: read the configuration, then serve `complaints_web::api::router` with
//! `lambda_http` (the local server mounts the very same router under `/api/`) once the contact key
//! is in and the clients and adapters are built.
//!
//! Who is calling comes from the claims API Gateway's JWT authorizer verified (the Cognito user
//! pool's `cognito:groups`), read from the request context: `complaints_web::api::auth::JwtClaims`.
//! Beside it, the staff pages (`complaints_workspace::router`) under `/staff`: routed without the
//! authorizer, signed in with Cognito's hosted sign-in and a session cookie (sessions in the
//! table; docs/signing-in.md).
//! Init does only what cannot wait (logging, the environment); the first request prepares the rest
//! once, on the shared shell `complaints-lambda`, as intake-web does.

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
                None => complaints_web::api::unavailable(),
            };
            Ok::<_, Infallible>(response)
        }
    }))
    .await
}
