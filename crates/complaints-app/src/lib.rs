//! Use cases over ports: intake (and later staff actions, breach scan, export). Adapters for
//! the ports live in their own crates (SQLite, DynamoDB, outbox, SES).

pub mod ports;
