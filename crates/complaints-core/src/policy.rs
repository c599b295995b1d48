//! The timescales and limits of the procedure. Confirmed MCHP rules are constants; rules the
//! research could not confirm are fields of [`Policy`] with the suggested default (mchp-rules §1, §3).

use chrono::NaiveTime;
use serde::{Deserialize, Serialize};

use crate::workdays::DayOneRule;

/// R1, R19: stage 1 (frontline response) is answered within five working days.
pub const STAGE1_WORKING_DAYS: u32 = 5;
/// R1, R24: stage 2 is acknowledged within three working days.
pub const STAGE2_ACK_WORKING_DAYS: u32 = 3;
/// R1, R26: stage 2 (investigation) is answered within 20 working days.
pub const STAGE2_WORKING_DAYS: u32 = 20;
/// R14: a complaint is normally made within six months of the event or of becoming aware.
pub const COMPLAINT_TIME_LIMIT_MONTHS: u32 = 6;
/// R16: escalation is normally asked for within six months of the event or awareness…
pub const ESCALATION_AFTER_EVENT_MONTHS: u32 = 6;
/// R16: …or within two months of the stage 1 response, whichever is later.
pub const ESCALATION_AFTER_STAGE1_MONTHS: u32 = 2;
/// R18: the SPSO normally looks at complaints within 12 months of first knowing of the problem.
pub const SPSO_TIME_LIMIT_MONTHS: u32 = 12;

/// The organisation's settings for rules the MCHP text could not confirm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// R7 [U]: which day is day 1. Default rule A.
    pub day_one_rule: DayOneRule,
    /// R8 [U]: receipts at or after this local time count from the next working day. Default: none.
    pub cutoff: Option<NaiveTime>,
    /// R21 [U]: a stage 1 extension may take the total to at most this many working days. Default 10.
    pub stage1_extension_cap_working_days: u32,
    /// R29 [U]: once stage 2 is extended, a progress update is due every this many working days. Default 20.
    pub progress_update_working_days: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            day_one_rule: DayOneRule::A,
            cutoff: None,
            stage1_extension_cap_working_days: 10,
            progress_update_working_days: 20,
        }
    }
}
