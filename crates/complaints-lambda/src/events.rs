//! The `main` of a function invoked with plain events (a schedule, SES, a queue): logging, the
//! configuration and trust roots read at init (a failure is a failed init), then
//! `lambda_runtime::run` with the prepare-once cell filled by the first event. A transient
//! preparation failure fails that event (`not_ready` is its message): the invoker retries it
//! (Lambda's asynchronous retries, then the dead-letter queue), and the next event prepares again.

use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use complaints_aws::TrustRoots;
use lambda_runtime::{LambdaEvent, service_fn};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::env::{Env, EnvError};
use crate::logging::init_logging;
use crate::prepared::{Prepared, StartupError, at_startup};

/// Runs the function: `config` reads the environment at init; `prepare` builds what the events
/// need (clients, keys from SSM) on the first event; `handle` answers each event (its payload and
/// context) with it.
///
/// # Errors
/// A failed init (the environment, the trust roots) or the runtime's own failure.
pub async fn run_events<C, R, Ev, Out, PE, HE, P, PF, H, HF>(
    config: fn(&Env<'_>) -> Result<C, EnvError>,
    prepare: P,
    handle: H,
    not_ready: &'static str,
) -> Result<(), lambda_runtime::Error>
where
    C: Send + Sync + 'static,
    R: Send + Sync + 'static,
    Ev: DeserializeOwned + Send + 'static,
    Out: Serialize + Send + 'static,
    PE: StartupError,
    HE: Into<lambda_runtime::Error>,
    P: Fn(Arc<C>, TrustRoots) -> PF + Send + Sync + 'static,
    PF: Future<Output = Result<R, PE>> + Send,
    H: Fn(Arc<R>, Arc<C>, LambdaEvent<Ev>) -> HF + Send + Sync + 'static,
    HF: Future<Output = Result<Out, HE>> + Send,
{
    init_logging();
    let config = Arc::new(at_startup(config(&Env::process()))?);
    let roots = at_startup(TrustRoots::from_env())?;
    let ready: Arc<Prepared<Arc<R>>> = Arc::new(Prepared::new());
    let (prepare, handle) = (Arc::new(prepare), Arc::new(handle));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Ev>| {
        let (config, ready, prepare, handle) =
            (Arc::clone(&config), Arc::clone(&ready), Arc::clone(&prepare), Arc::clone(&handle));
        async move {
            let prepared = ready.get_or_prepare(|| async { prepare(Arc::clone(&config), roots).await.map(Arc::new) });
            let Some(ready) = prepared.await.cloned() else {
                return Err(lambda_runtime::Error::from(not_ready));
            };
            handle(ready, config, event).await.map_err(Into::into)
        }
    }))
    .await
}

/// An EventBridge Scheduler invocation's input: the scheduler sends only the configured input, no
/// event envelope, and every schedule of the template sends
/// `{"scheduledTime": "<aws.scheduler.scheduled-time>"}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ScheduledEvent {
    #[serde(rename = "scheduledTime", default)]
    pub scheduled_time: Option<String>,
}

impl ScheduledEvent {
    /// The run's "now": the scheduled time (so a late or retried invocation runs as at its slot),
    /// else the clock.
    #[must_use]
    pub fn now(&self) -> DateTime<Utc> {
        match self.scheduled_time.as_deref().map(DateTime::parse_from_rfc3339) {
            Some(Ok(at)) => at.with_timezone(&Utc),
            Some(Err(_)) => {
                tracing::warn!("scheduledTime is not an RFC 3339 instant; running as at now");
                Utc::now()
            }
            None => Utc::now(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheduled_time_is_the_runs_now_and_an_empty_input_is_read() {
        let event: ScheduledEvent =
            serde_json::from_str(r#"{"scheduledTime":"2026-04-07T07:00:00Z"}"#).expect("scheduler input");
        assert_eq!(event.now(), "2026-04-07T07:00:00Z".parse::<DateTime<Utc>>().expect("instant"));
        let empty: ScheduledEvent = serde_json::from_str("{}").expect("empty input");
        assert_eq!(empty.scheduled_time, None);
        let before = Utc::now();
        assert!(empty.now() >= before, "no scheduled time: the clock");
    }
}
