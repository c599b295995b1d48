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

#[cfg(test)]
mod tests {
    use crate::config::OrgConfig;

    #[test]
    fn the_reporting_section_is_read_and_defaults_to_nothing() {
        let text =
            "[reporting]\nper_thousand = { label = \"tenancies\", count = 12000 }\nnotify = [\"a@example.org\"]\n";
        let config = OrgConfig::from_toml_str(text).expect("valid");
        let base = config.reporting.per_thousand.expect("a base");
        assert_eq!((base.label.as_str(), base.count), ("tenancies", 12_000));
        assert_eq!(config.reporting.notify, ["a@example.org"]);
        assert_eq!(OrgConfig::builtin().reporting.per_thousand, None);
        assert!(OrgConfig::from_toml_str("[reporting]\nper_1000 = 5\n").is_err(), "a misspelt key is refused");
    }
}
