//! CaseStore on bundled SQLite: the embedded default for local runs.
