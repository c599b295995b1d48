//! The timescales and limits of the procedure. Confirmed MCHP rules are constants; rules the
//! research could not confirm are fields of [`Policy`] with the suggested default (mchp-rules §1, §3).

use chrono::NaiveTime;
use serde::{Deserialize, Serialize};

use crate::actor::StaffRole;
use crate::calendar::Calendar;
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

/// R21 [U]: default cap on an extended stage 1, in working days in total (five more than the base).
pub const DEFAULT_STAGE1_EXTENSION_CAP_WORKING_DAYS: u32 = 10;
/// R29 [U]: default interval between progress updates on an extended stage 2, in working days.
pub const DEFAULT_PROGRESS_UPDATE_WORKING_DAYS: u32 = 20;

/// R21 [U]: default number of extensions a stage 1 response clock may have.
pub const DEFAULT_STAGE1_MAX_EXTENSIONS: u32 = 1;
/// R21: upper bound on `stage1_max_extensions`; stage 1 is for straightforward matters.
pub const MAX_STAGE1_EXTENSIONS_SETTING: u32 = 5;

/// Upper bound on a working-day setting: about a year of working days. Not an MCHP rule (R21 and
/// R29 set no maximum); it keeps a mistyped value from making every deadline count for hours.
pub const MAX_WORKING_DAYS_SETTING: u32 = 260;

/// The organisation's settings for rules the MCHP text could not confirm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// R7 [U]: which day is day 1. Default rule A.
    pub day_one_rule: DayOneRule,
    /// R8 [U]: receipts at or after this local time count from the next working day. Default: none.
    /// Written `"HH:MM"` in configuration.
    #[serde(with = "cutoff_hh_mm", skip_serializing_if = "Option::is_none")]
    pub cutoff: Option<NaiveTime>,
    /// R21 [U]: a stage 1 extension may take the total to at most this many working days. Default 10.
    pub stage1_extension_cap_working_days: u32,
    /// R29 [U]: once stage 2 is extended, a progress update is due every this many working days. Default 20.
    pub progress_update_working_days: u32,
    /// R21 [U]: how many times a stage 1 response (or a reopened stage 1) may be extended. Default 1.
    pub stage1_max_extensions: u32,
    /// R21, R28 [P]: the lowest role that may authorise an extension. Default manager (a role above
    /// handler; R28 cites senior managers, so an organisation may raise it).
    pub extension_authoriser: StaffRole,
    /// R27 [U]: what the stage 2 clocks of a complaint escalated by the customer count from.
    pub escalated_stage2_start: EscalatedStart,
    /// R27 [U]: what the stage 2 clocks of a complaint moved to stage 2 by the organisation count from.
    pub moved_stage2_start: MovedStart,
    /// R29 [U]: what the first progress update of an extended stage 2 is counted from.
    pub progress_updates_from: ProgressFrom,
    /// R17 [U]: how "N months after" treats a day number the target month lacks.
    pub month_end: MonthEnd,
    /// R44, S3 §3.17: the categories (themes) a complaint may be given, for trend reporting. Empty
    /// means any category is accepted.
    pub categories: Vec<String>,
}

/// R27 [U]: the start of stage 2 for a complaint the customer escalated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EscalatedStart {
    /// The effective date the request was received, by the same rule as intake (default).
    #[default]
    Request,
    /// The working day after the effective date of the request.
    NextWorkingDay,
}

/// R27 [U]: the start of stage 2 for a complaint the organisation moved there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MovedStart {
    /// The date of the decision to move it (default).
    #[default]
    Decision,
    /// The effective receipt date of the complaint, as if it had gone there directly.
    Receipt,
}

/// R29 [U]: the anchor of the first progress update once stage 2 is extended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProgressFrom {
    /// The original (base) response due date (default).
    #[default]
    OriginalDue,
    /// The date the extension was decided.
    Extension,
}

/// R17 [U]: month arithmetic at the end of a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MonthEnd {
    /// Same day number, clamped to the last day of a shorter month: 31 Aug + 6 months = 28/29 Feb (default).
    #[default]
    Clamp,
    /// A day number the target month lacks rolls over to the first day of the month after: 31 Aug
    /// + 6 months = 1 Mar.
    NextMonth,
}

/// The calendar and policy every rule is computed with. STABLE.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    pub calendar: &'a Calendar,
    pub policy: &'a Policy,
}

/// The standard categories offered when configuration lists none of its own.
#[must_use]
pub fn default_categories() -> Vec<String> {
    [
        "Communication",
        "Delay",
        "Policy or procedure",
        "Quality of service",
        "Staff attitude or conduct",
        "Something else",
    ]
    .map(str::to_owned)
    .to_vec()
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            day_one_rule: DayOneRule::A,
            cutoff: None,
            stage1_extension_cap_working_days: DEFAULT_STAGE1_EXTENSION_CAP_WORKING_DAYS,
            progress_update_working_days: DEFAULT_PROGRESS_UPDATE_WORKING_DAYS,
            stage1_max_extensions: DEFAULT_STAGE1_MAX_EXTENSIONS,
            extension_authoriser: StaffRole::Manager,
            escalated_stage2_start: EscalatedStart::default(),
            moved_stage2_start: MovedStart::default(),
            progress_updates_from: ProgressFrom::default(),
            month_end: MonthEnd::default(),
            categories: default_categories(),
        }
    }
}

/// A [`Policy`] value that breaks a rule of the procedure. `field` is the configuration key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {why}")]
pub struct PolicyError {
    pub field: &'static str,
    pub why: String,
}

impl Policy {
    /// Checks the settings against the rules they may not undercut.
    ///
    /// # Errors
    /// [`PolicyError`] naming the first bad field.
    pub fn validate(&self) -> Result<(), PolicyError> {
        // R21: an extension adds time, so the cap can never be below the five-day base timescale.
        if self.stage1_extension_cap_working_days < STAGE1_WORKING_DAYS {
            return Err(PolicyError {
                field: "stage1_extension_cap_working_days",
                why: format!(
                    "must be at least {STAGE1_WORKING_DAYS} (the stage 1 timescale), not {}",
                    self.stage1_extension_cap_working_days
                ),
            });
        }
        // R29: a zero interval would make every working day a progress update.
        if self.progress_update_working_days == 0 {
            return Err(PolicyError {
                field: "progress_update_working_days",
                why: "must be at least 1 working day".to_owned(),
            });
        }
        for (field, value) in [
            ("stage1_extension_cap_working_days", self.stage1_extension_cap_working_days),
            ("progress_update_working_days", self.progress_update_working_days),
        ] {
            if value > MAX_WORKING_DAYS_SETTING {
                return Err(PolicyError {
                    field,
                    why: format!("must be at most {MAX_WORKING_DAYS_SETTING} working days, not {value}"),
                });
            }
        }
        // R21: at most a handful of extensions; stage 1 is for straightforward matters.
        if self.stage1_max_extensions > MAX_STAGE1_EXTENSIONS_SETTING {
            return Err(PolicyError {
                field: "stage1_max_extensions",
                why: format!("must be at most {MAX_STAGE1_EXTENSIONS_SETTING}, not {}", self.stage1_max_extensions),
            });
        }
        // R21: an extension is authorised by a role above handler.
        if !self.extension_authoriser.is_above_handler() {
            return Err(PolicyError {
                field: "extension_authoriser",
                why: "must be \"manager\" or \"senior-manager\" (a role above handler)".to_owned(),
            });
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, category) in self.categories.iter().enumerate() {
            if category.trim().is_empty() {
                return Err(PolicyError { field: "categories", why: format!("entry {i} is empty") });
            }
            if !seen.insert(category.trim().to_lowercase()) {
                return Err(PolicyError { field: "categories", why: format!("{category:?} is listed twice") });
            }
        }
        Ok(())
    }

    /// R21, R28: true when `role` may authorise an extension under this policy.
    #[must_use]
    pub fn may_authorise_extensions(&self, role: StaffRole) -> bool {
        role >= self.extension_authoriser
    }

    /// R44: true when `category` is one the organisation offers (any, when it lists none).
    #[must_use]
    pub fn knows_category(&self, category: &str) -> bool {
        self.categories.is_empty()
            || self.categories.iter().any(|known| known.trim().eq_ignore_ascii_case(category.trim()))
    }
}

/// `cutoff = "17:00"`: a local wall-clock time as `HH:MM` (seconds allowed as `HH:MM:SS`).
mod cutoff_hh_mm {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    pub fn serialize<S: Serializer>(value: &Option<NaiveTime>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(time) => serializer.serialize_str(&time.format("%H:%M").to_string()),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<NaiveTime>, D::Error> {
        match Option::<String>::deserialize(deserializer)? {
            Some(text) => parse(&text).map(Some).map_err(D::Error::custom),
            None => Ok(None),
        }
    }

    pub(super) fn parse(text: &str) -> Result<NaiveTime, String> {
        NaiveTime::parse_from_str(text, "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M:%S"))
            .map_err(|_| format!("cut-off time must be HH:MM between 00:00 and 23:59, not {text:?}"))
    }
}

/// Parses a cut-off time the way configuration does (`"17:00"`), for callers outside serde.
///
/// # Errors
/// A message naming the refused text.
pub fn parse_cutoff(text: &str) -> Result<NaiveTime, String> {
    cutoff_hh_mm::parse(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cutoff_times_parse_only_as_wall_clock_times() {
        let cases = [
            ("17:00", Some((17, 0))),
            ("09:30", Some((9, 30))),
            ("23:59", Some((23, 59))),
            ("00:00", Some((0, 0))),
            ("25:00", None),
            ("17:60", None),
            ("5pm", None),
            ("", None),
        ];
        for (text, expected) in cases {
            let parsed = parse_cutoff(text).ok();
            let expected = expected.and_then(|(h, m)| NaiveTime::from_hms_opt(h, m, 0));
            assert_eq!(parsed, expected, "{text:?}");
        }
    }

    #[test]
    fn default_policy_is_valid_and_low_values_are_refused() {
        assert_eq!(Policy::default().validate(), Ok(()));
        let short_cap = Policy { stage1_extension_cap_working_days: 4, ..Policy::default() };
        assert_eq!(short_cap.validate().map_err(|e| e.field), Err("stage1_extension_cap_working_days"));
        let exact_cap = Policy { stage1_extension_cap_working_days: STAGE1_WORKING_DAYS, ..Policy::default() };
        assert_eq!(exact_cap.validate(), Ok(()));
        let no_cycle = Policy { progress_update_working_days: 0, ..Policy::default() };
        assert_eq!(no_cycle.validate().map_err(|e| e.field), Err("progress_update_working_days"));
    }
}
