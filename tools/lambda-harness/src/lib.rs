//! A stand-in for the Lambda Runtime API (`/2018-06-01/runtime/...`) on 127.0.0.1, so real
//! `bootstrap` binaries can be started, invoked and timed without AWS or Docker.
//!
//! Lambda's own "Init Duration" ends when the runtime first asks for an event
//! (`GET /invocation/next`), so the server records that instant; see `performance.md` §6.

mod http;
mod runtime_api;

pub mod process;

pub use process::{Bootstrap, Launch};
pub use runtime_api::{HarnessError, Outcome, RuntimeApi, Timed};
