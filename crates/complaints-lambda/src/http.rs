//! The `main` of a function behind the HTTP API (feature `http`): logging, the configuration and
//! trust roots read at init, then `lambda_http::run` serving the router that the first request
//! builds once (keys from SSM, clients, templates). While a transient failure keeps it from being
//! built, each request is answered 503, which browsers and the platforms' webhooks retry later, so
//! nothing is lost; a permanent failure ends the process ([`Prepared`]).

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use complaints_aws::TrustRoots;
use lambda_http::{Request, service_fn};
use tower::ServiceExt as _;

use crate::env::{Env, EnvError};
use crate::logging::init_logging;
use crate::prepared::{Prepared, StartupError, at_startup};

/// Runs the function: `config` reads the environment at init; `prepare` builds the router on the
/// first request; every request is served by it, or answered with `unavailable` (a 503 in the
/// function's own form: a page, JSON, or the bare status) while it cannot be built.
///
/// # Errors
/// A failed init (the environment, the trust roots) or the runtime's own failure.
pub async fn serve_router<C, E, P, PF>(
    config: fn(&Env<'_>) -> Result<C, EnvError>,
    prepare: P,
    unavailable: fn() -> axum::response::Response,
) -> Result<(), lambda_http::Error>
where
    C: Send + Sync + 'static,
    E: StartupError,
    P: Fn(Arc<C>, TrustRoots) -> PF + Send + Sync + 'static,
    PF: Future<Output = Result<axum::Router, E>> + Send,
{
    init_logging();
    let config = Arc::new(at_startup(config(&Env::process()))?);
    let roots = at_startup(TrustRoots::from_env())?;
    let router: Arc<Prepared<axum::Router>> = Arc::new(Prepared::new());
    let prepare = Arc::new(prepare);
    lambda_http::run(service_fn(move |request: Request| {
        let (config, router, prepare) = (Arc::clone(&config), Arc::clone(&router), Arc::clone(&prepare));
        async move {
            let ready = router.get_or_prepare(|| prepare(config, roots)).await.cloned();
            let response = match ready {
                Some(router) => router.oneshot(request).await?,
                None => unavailable(),
            };
            Ok::<_, Infallible>(response)
        }
    }))
    .await
}
