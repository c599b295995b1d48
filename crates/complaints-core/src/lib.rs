//! The SPSO Model Complaints Handling Procedure as pure rules.
//!
//! Reading order: [`calendar`] (non-working days) → [`workdays`] (counting them) → [`policy`]
//! (timescales) → [`complaint`] (what a citizen told us) → [`case`] (the record) →
//! [`command`] (the lifecycle) → [`records`] (what else is recorded), [`learning`] →
//! [`deadlines`], [`outcome`], [`signposting`] → [`timeline`] (what happened) → [`stored`] (the
//! versioned stored form). [`actor`] and [`dates`] are leaves everything may use. No I/O, no async, no clock and no AWS type lives here: callers pass the time
//! in and perform the effects.

pub mod actor;
pub mod alerts;
pub mod calendar;
pub mod case;
pub mod command;
pub mod complaint;
pub mod config;
pub mod dates;
pub mod deadlines;
pub mod email_settings;
pub mod indicators;
pub mod learning;
pub mod limits;
pub mod moves;
pub mod outcome;
pub mod policy;
pub mod quality;
pub mod records;
pub mod reference;
pub mod rejection;
pub mod reporting;
pub mod roles;
pub mod sign_in;
pub mod signposting;
pub mod text;
pub mod text_limits;
pub mod timeline;
pub mod workdays;

/// The versioned stored form of a case lives with the case; reachable here too.
pub use case::stored;
