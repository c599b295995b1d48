//! intake-social: the Meta and X webhooks on AWS Lambda behind the HTTP API. Wiring only: read the
//! configuration, then serve `complaints_social::router` with `lambda_http` (the local server
//! mounts the very same router) once the secrets are in and the clients and adapters are built.
//!
//! Init reads the environment only; the first request fetches the secrets from SSM and builds
//! everything else once (`prepare.rs`, on the shared shell `complaints-lambda`).

mod config;
mod prepare;

/// A 503 makes both platforms deliver again later: nothing is lost.
fn unavailable() -> axum::response::Response {
    axum::response::IntoResponse::into_response(axum::http::StatusCode::SERVICE_UNAVAILABLE)
}

// One thread: Lambda hands an environment one event at a time.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    complaints_lambda::http::serve_router(
        config::Config::from_env,
        |config, roots| async move { prepare::prepare(&config, roots).await },
        unavailable,
    )
    .await
}
