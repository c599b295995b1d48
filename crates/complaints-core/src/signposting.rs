//! Signposting records: telling the customer how to escalate to stage 2 after a stage 1 response,
//! and how to go to the SPSO after a stage 2 response (mchp-rules §5, R23, R37–R39).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::complaint::Channel;

/// When and how the customer was told something (an extension, a progress update).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerTold {
    pub on: NaiveDate,
    pub channel: Channel,
}

/// R23, R39: a stage 1 closure told the customer how to escalate to stage 2. Required for every
/// stage 1 closure, resolved ones included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage2Signposting {
    pub given_on: NaiveDate,
    pub channel: Channel,
    /// R39 [P]: whether the escalation time limit (R16) was given too.
    pub time_limit_given: bool,
}

/// R37, R38: a stage 2 response told the customer of their right to go to the SPSO, the 12-month
/// limit and how to contact the SPSO, using a versioned, editable template block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpsoSignposting {
    pub given_on: NaiveDate,
    pub channel: Channel,
    /// The version of the SPSO signposting template the response used (R38).
    pub template_version: String,
}
