//! The prepare-once cell: what a function needs and init does not build (keys from SSM, AWS
//! clients, templates) is built by the first event, once, and shared by every later event.
//!
//! Init then does only what cannot wait (logging, the environment), so Lambda's Init Duration
//! stays close to a hello-world function's, and a slow or failing SSM never ends an environment
//! during init. What a failed preparation does depends on whether trying again can help:
//!
//! - **transient** (SSM unreachable, timed out, throttled, failing on its side): the event is
//!   answered without it (a 503 page, a retried batch) and the next event tries again;
//! - **permanent** (a refusal, a missing or short key, an invalid configuration): the process logs
//!   `cannot start` with the cause and exits, as a failed init would. Lambda counts the error, the
//!   alarm on errors fires, and the next event starts a fresh environment.

use std::error::Error;
use std::future::Future;

use tokio::sync::OnceCell;

use crate::chain::error_chain;

/// An error of a function's preparation, which knows whether trying again can help.
pub trait StartupError: Error {
    /// `true` when the cause may pass (an unreachable or throttling service); `false` when it
    /// stays wrong until someone changes the deployment.
    fn is_transient(&self) -> bool;
}

/// What the first event prepares, built once.
#[derive(Debug)]
pub struct Prepared<T> {
    cell: OnceCell<T>,
}

impl<T> Default for Prepared<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Prepared<T> {
    #[must_use]
    pub const fn new() -> Self {
        Self { cell: OnceCell::const_new() }
    }

    /// The prepared value, built by `prepare` first if no event has built it yet. Concurrent
    /// callers wait for one preparation.
    ///
    /// `None` after a transient failure (logged as "not ready: will try again on the next
    /// request"): answer this event without it. A permanent failure ends the process with exit
    /// code 1 after logging `cannot start` and the error chain.
    pub async fn get_or_prepare<E, F, Fut>(&self, prepare: F) -> Option<&T>
    where
        E: StartupError,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        match self.try_get_or_prepare(prepare).await {
            Ok(value) => Some(value),
            Err(err) if err.is_transient() => {
                tracing::error!(error.message = %error_chain(&err), "not ready: will try again on the next request");
                None
            }
            Err(err) => {
                tracing::error!(error.message = %error_chain(&err), "cannot start");
                std::process::exit(1)
            }
        }
    }

    /// As [`Prepared::get_or_prepare`], but every failure comes back to the caller, for a
    /// function with its own policy (and for tests). A failure leaves the cell empty.
    ///
    /// # Errors
    /// `prepare`'s error.
    pub async fn try_get_or_prepare<E, F, Fut>(&self, prepare: F) -> Result<&T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        self.cell.get_or_try_init(prepare).await
    }
}

/// Logs a failure of init (a missing variable, say) as `cannot start` with its chain, and passes
/// the result on: `main` returns the error, the runtime never starts, and Lambda reports a
/// failed init.
///
/// # Errors
/// `result`'s error, unchanged.
pub fn at_startup<T, E: Error>(result: Result<T, E>) -> Result<T, E> {
    result.inspect_err(|err| tracing::error!(error.message = %error_chain(err), "cannot start"))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use lambda_runtime::{Context, LambdaEvent, Service as _, service_fn};
    use serde_json::{Value, json};

    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("parameter store unavailable")]
    struct Unavailable;

    impl StartupError for Unavailable {
        fn is_transient(&self) -> bool {
            true
        }
    }

    #[tokio::test]
    async fn a_transient_failure_leaves_the_cell_empty_and_the_next_event_prepares_again() {
        let prepared = Prepared::new();
        let attempts = AtomicUsize::new(0);
        let prepare = || async {
            let attempt = attempts.fetch_add(1, Ordering::SeqCst) + 1;
            if attempt == 1 { Err(Unavailable) } else { Ok(attempt) }
        };

        assert_eq!(prepared.get_or_prepare(prepare).await, None);
        assert_eq!(prepared.get_or_prepare(prepare).await, Some(&2));
        assert_eq!(prepared.get_or_prepare(prepare).await, Some(&2), "prepared once, then kept");
        assert_eq!(attempts.load(Ordering::SeqCst), 2);
    }

    /// A function that is not behind API Gateway (a scheduled one, say) uses the same cell from a
    /// plain `lambda_runtime::service_fn` handler.
    #[tokio::test]
    async fn a_plain_lambda_runtime_handler_prepares_on_its_first_event() {
        let prepared: &'static Prepared<String> = Box::leak(Box::new(Prepared::new()));
        let preparations: &'static AtomicUsize = Box::leak(Box::new(AtomicUsize::new(0)));
        let mut handler = service_fn(move |event: LambdaEvent<Value>| async move {
            let ready = prepared
                .try_get_or_prepare(|| async {
                    preparations.fetch_add(1, Ordering::SeqCst);
                    Ok::<_, Unavailable>("outbox".to_owned())
                })
                .await?;
            Ok::<_, lambda_runtime::Error>(json!({ "scheduled": event.payload["scheduledTime"], "ready": ready }))
        });

        for minute in ["08:00", "08:05"] {
            let event = LambdaEvent::new(json!({ "scheduledTime": minute }), Context::default());
            let answer = handler.call(event).await.expect("handled");
            assert_eq!(answer, json!({ "scheduled": minute, "ready": "outbox" }));
        }
        assert_eq!(preparations.load(Ordering::SeqCst), 1);
    }
}
