//! Mailer that writes each message as an .eml file into an outbox folder, for local runs.
