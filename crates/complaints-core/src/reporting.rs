//! The `[reporting]` section of the organisation configuration: what K2's "per 1,000" divides by
//! and who is told when a quarterly or annual export is ready (mchp-rules §7, R45–R49).

use serde::{Deserialize, Serialize};

use crate::indicators::PopulationBase;

/// Reporting settings. Every field defaults, so configurations without the section still read.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportingSettings {
    /// K2 per 1,000: e.g. `{ label = "tenancies", count = 12000 }`; none by default.
    pub per_thousand: Option<PopulationBase>,
    /// Staff addresses told the headline figures and where the files are after each export.
    pub notify: Vec<String>,
}
