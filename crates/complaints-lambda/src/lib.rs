//! The shell every Lambda function shares, so each function's `main.rs` is wiring only:
//!
//! - [`init_logging`]: JSON lines for CloudWatch, level from the template (`logging.rs`);
//! - [`Env`]: configuration from environment variables, one [`EnvError`] naming the variable;
//! - [`at_startup`]: logs an init failure as `cannot start` with its cause chain;
//! - [`Prepared`]: the prepare-once cell the first event fills (keys, clients, templates), with
//!   the transient-or-permanent policy of [`StartupError`];
//! - [`Parameters`]: SSM parameters in one call, failures typed by [`fault`] as transient or
//!   permanent ([`ParameterError`]);
//! - [`error_chain`]: an error and its causes as one log field.
//!
//! Nothing here depends on the kind of event, so an HTTP function (`lambda_http::run`) and a
//! scheduled or queue function (`lambda_runtime::run` with a plain `service_fn`) use it alike:
//!
//! ```no_run
//! use complaints_lambda::{Env, EnvError, ParameterError, Parameters, Prepared, at_startup, init_logging};
//! use lambda_runtime::{LambdaEvent, service_fn};
//! use serde_json::Value;
//!
//! struct Config { queue: String, key_param: String }
//!
//! fn config(env: &Env<'_>) -> Result<Config, EnvError> {
//!     Ok(Config { queue: env.required("QUEUE_URL")?, key_param: env.required("KEY_PARAM")? })
//! }
//!
//! async fn prepare(config: &Config) -> Result<Vec<u8>, ParameterError> {
//!     let aws = complaints_aws::lambda_sdk_config(complaints_aws::TrustRoots::Amazon)
//!         .map_err(|err| ParameterError::Refused(err.into()))?;
//!     let parameters = Parameters::fetch(&aws_sdk_ssm::Client::new(&aws), &[&config.key_param]).await?;
//!     parameters.key(&config.key_param, 32)
//! }
//!
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() -> Result<(), lambda_runtime::Error> {
//!     init_logging();
//!     let config: &'static Config = Box::leak(Box::new(at_startup(config(&Env::process()))?));
//!     let ready: &'static Prepared<Vec<u8>> = Box::leak(Box::new(Prepared::new()));
//!     lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
//!         let Some(key) = ready.get_or_prepare(|| prepare(config)).await else {
//!             return Err("not ready; the schedule will try again".into());
//!         };
//!         let _ = (key, &config.queue, event.payload);
//!         Ok::<_, lambda_runtime::Error>(Value::Null)
//!     }))
//!     .await
//! }
//! ```

mod chain;
mod env;
mod logging;
mod prepared;
mod ssm;

pub use chain::error_chain;
pub use env::{Env, EnvError};
pub use logging::{LOG_LEVEL_VARS, init_logging, log_level};
pub use prepared::{Prepared, StartupError, at_startup};
pub use ssm::{Fault, ParameterError, Parameters, fault};
