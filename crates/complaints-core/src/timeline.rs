//! The case timeline: every accepted change, who made it and when (R44, R57).

pub use crate::actor::{Actor, Authoriser, StaffRole};
/// The entry type lives beside the events it carries; re-exported here where it was first declared.
pub use crate::case::TimelineEvent;
