//! Use cases over ports: intake (and later staff actions, breach scan, export). Adapters for
//! the ports live in their own crates (SQLite, DynamoDB, outbox, SES, S3).

pub mod contact;
pub mod intake;
pub mod object_store;
pub mod ports;

#[cfg(feature = "testing")]
pub mod testing;

#[cfg(feature = "contract-tests")]
pub mod contract;
