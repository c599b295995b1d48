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

// One thread: Lambda hands an environment one event at a time, and at the usual memory sizes it
// has less than one vCPU, so worker threads would only add stacks and allocator arenas.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    complaints_lambda::http::serve_router(
        config::Config::from_env,
        |config, roots| async move { prepare::prepare(&config, roots).await },
        complaints_web::unavailable,
    )
    .await
}
