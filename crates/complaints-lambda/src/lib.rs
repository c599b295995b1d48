//! The shell every Lambda function shares, so each function's `main.rs` is wiring only:
//!
//! - [`init_logging`]: JSON lines for CloudWatch, level from the template (`logging.rs`);
//! - [`Env`]: configuration from environment variables, one [`EnvError`] naming the variable;
//! - [`at_startup`]: logs an init failure as `cannot start` with its cause chain;
//! - [`Prepared`]: the prepare-once cell the first event fills (keys, clients, templates), with
//!   the transient-or-permanent policy of [`StartupError`], and [`PrepareError`], the one
//!   preparation error every function returns;
//! - [`Parameters`]: SSM parameters in one call, failures typed by [`fault`] as transient or
//!   permanent ([`ParameterError`]);
//! - [`error_chain`]: an error and its causes as one log field;
//! - [`Organisation`]: the variables every function shares and the organisation configuration
//!   built from them (`deployment.rs`);
//! - [`run_events`]: the whole `main` of a function invoked with plain events (a schedule, SES),
//!   and, with the feature `http`, `http::serve_router`: the whole `main` of one behind the HTTP
//!   API, so a function's `main.rs` names its configuration, its preparation and its handler only.
//!
//! A scheduled or queue function's `main.rs` is then its configuration, its preparation and its
//! handler:
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use complaints_lambda::{Env, EnvError, ParameterError, Parameters, run_events};
//! use lambda_runtime::LambdaEvent;
//! use serde_json::Value;
//!
//! struct Config { queue: String, key_param: String }
//!
//! fn config(env: &Env<'_>) -> Result<Config, EnvError> {
//!     Ok(Config { queue: env.required("QUEUE_URL")?, key_param: env.required("KEY_PARAM")? })
//! }
//!
//! async fn prepare(config: Arc<Config>, roots: complaints_aws::TrustRoots) -> Result<Vec<u8>, ParameterError> {
//!     let aws = complaints_aws::lambda_sdk_config(roots).map_err(|err| ParameterError::Refused(err.into()))?;
//!     let parameters = Parameters::fetch(&aws_sdk_ssm::Client::new(&aws), &[&config.key_param]).await?;
//!     parameters.key(&config.key_param, 32)
//! }
//!
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() -> Result<(), lambda_runtime::Error> {
//!     run_events(
//!         config,
//!         prepare,
//!         |key: Arc<Vec<u8>>, config: Arc<Config>, event: LambdaEvent<Value>| async move {
//!             let _ = (key, &config.queue, event.payload);
//!             Ok::<_, lambda_runtime::Error>(Value::Null)
//!         },
//!         "not ready; the schedule will try again",
//!     )
//!     .await
//! }
//! ```

mod chain;
pub mod deployment;
mod env;
mod events;
#[cfg(feature = "http")]
pub mod http;
mod logging;
mod prepare_error;
mod prepared;
mod ssm;

pub use chain::error_chain;
pub use deployment::{MIN_KEY_LEN, OrgConfigError, Organisation};
pub use env::{Env, EnvError};
pub use events::{ScheduledEvent, run_events};
pub use logging::{LOG_LEVEL_VARS, init_logging, log_level};
pub use prepare_error::PrepareError;
pub use prepared::{Prepared, StartupError, at_startup};
pub use ssm::{Fault, ParameterError, Parameters, fault};
