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
mod directory;
mod prepare;

// One thread: Lambda hands an environment one event at a time.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    complaints_lambda::http::serve_router(
        config::Config::from_env,
        |config, roots| async move { prepare::prepare(&config, roots).await },
        complaints_web::api::unavailable,
    )
    .await
}
