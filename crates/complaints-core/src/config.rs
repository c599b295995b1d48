//! One typed organisation configuration, read from TOML (mchp-rules: every [U] rule is a
//! configurable default). The field set is STABLE; `config/example.toml` documents every key.

use std::collections::BTreeSet;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, CalendarChange, DayKind, NonWorkingDay};
use crate::complaint::EmailAddress;
use crate::policy::Policy;

/// Who the organisation is, as citizens see it in messages and on the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Organisation {
    pub name: String,
    /// Prefix of case references, e.g. `CMP` in `CMP-2026-00042`.
    pub reference_prefix: String,
    /// The team named as handling new cases until someone is assigned (R42).
    pub default_handler: String,
    /// Phone number citizens can call about their complaint. Wherever a page or message says
    /// "contact us" it gives the phone number, email address and postal address that are set; at
    /// least one of the three must be.
    pub phone: Option<String>,
    /// Email address citizens can write to about their complaint (when absent, messages give the
    /// `mail.reply_to` or `mail.from` address).
    pub email: Option<String>,
    /// Postal address, on one line with commas between its parts.
    pub address: Option<String>,
    /// Website of the organisation.
    pub website: Option<String>,
}

impl Default for Organisation {
    fn default() -> Self {
        // Placeholders anyone can see are not real: an Ofcom drama number and example.org.
        Self {
            name: "Example Council".to_owned(),
            reference_prefix: "CMP".to_owned(),
            default_handler: "Complaints Team".to_owned(),
            phone: Some("03069 990 123".to_owned()),
            email: Some("complaints@example.org".to_owned()),
            address: Some("Complaints Team, Example Council, 1 High Street, Exampletown".to_owned()),
            website: None,
        }
    }
}

impl Organisation {
    /// The phone number, if one is set and not blank.
    #[must_use]
    pub fn contact_phone(&self) -> Option<&str> {
        non_blank(self.phone.as_deref())
    }

    /// The email address citizens write to, if one is set and not blank.
    #[must_use]
    pub fn contact_email(&self) -> Option<&str> {
        non_blank(self.email.as_deref())
    }

    /// The postal address, if one is set and not blank.
    #[must_use]
    pub fn contact_address(&self) -> Option<&str> {
        non_blank(self.address.as_deref())
    }
}

fn non_blank(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// How the web form and its JSON API take complaints in, and how hard one client may push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IntakeSettings {
    /// SHA-256 digests (64 hex characters) of the API keys trusted integrations present as
    /// `Authorization: Bearer <key>` instead of a form token. Only digests live in configuration.
    pub api_key_sha256: Vec<String>,
    /// Complaints one client (source IP address) may send in each window; 0 turns the limit off.
    pub rate_limit_submissions: u32,
    /// The length of that window, in minutes.
    pub rate_limit_window_minutes: u32,
}

impl Default for IntakeSettings {
    fn default() -> Self {
        Self { api_key_sha256: Vec::new(), rate_limit_submissions: 10, rate_limit_window_minutes: 10 }
    }
}

/// Sender settings for outgoing mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailSettings {
    /// `From` address of automatic messages.
    pub from: String,
    /// `Reply-To` address (replies become case correspondence).
    pub reply_to: Option<String>,
    /// The most automatic messages (acknowledgements and the like) one address gets in any
    /// 24 hours, across every channel; a complaint over the cap is kept and flagged for staff
    /// instead of acknowledged, so the service cannot be used to flood someone's inbox. `0`
    /// turns automatic messages off.
    pub automatic_per_recipient_per_24h: u32,
}

/// The default per-recipient cap of automatic messages in 24 hours.
pub const DEFAULT_AUTOMATIC_PER_RECIPIENT_PER_24H: u32 = 3;

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            from: "complaints@example.org".to_owned(),
            reply_to: None,
            automatic_per_recipient_per_24h: DEFAULT_AUTOMATIC_PER_RECIPIENT_PER_24H,
        }
    }
}

/// The whole organisation configuration. STABLE field set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrgConfig {
    pub organisation: Organisation,
    pub procedure: Policy,
    pub mail: MailSettings,
    pub intake: IntakeSettings,
    /// Service areas offered on the web form.
    pub service_areas: Vec<String>,
    /// Removed days, then added local holidays, closures and one-off days, applied in that order on
    /// top of the Scottish calendar. In TOML: `[[calendar.remove]]` and `[[calendar.add]]` tables.
    #[serde(with = "calendar_section")]
    pub calendar: Vec<CalendarChange>,
    /// Quarterly and annual exports: K2's per-1,000 base and who is told (`[reporting]`).
    pub reporting: crate::reporting::ReportingSettings,
    /// Breach alerts: levels per clock and recipients (`[alerts]`, docs/breach-scan.md).
    pub alerts: crate::alerts::AlertSettings,
    /// Email intake limits (`[email]`, docs/email.md).
    pub email: crate::email_settings::EmailSettings,
    /// The staff pages' sessions and lockout (`[sign_in]`, docs/signing-in.md).
    pub sign_in: crate::sign_in::SignInSettings,
    /// The quality check of closed complaints: the share of closures sampled (`[quality]`,
    /// docs/quality-check.md; R48).
    pub quality: crate::quality::QualitySettings,
}

impl Default for OrgConfig {
    fn default() -> Self {
        Self {
            organisation: Organisation::default(),
            procedure: Policy::default(),
            mail: MailSettings::default(),
            intake: IntakeSettings::default(),
            service_areas: [
                "Bins and recycling",
                "Council tax and benefits",
                "Education and schools",
                "Housing and repairs",
                "Planning and building standards",
                "Roads, parking and transport",
                "Social work and care",
                "Something else",
            ]
            .map(str::to_owned)
            .to_vec(),
            calendar: Vec::new(),
            reporting: crate::reporting::ReportingSettings::default(),
            alerts: crate::alerts::AlertSettings::default(),
            email: crate::email_settings::EmailSettings::default(),
            sign_in: crate::sign_in::SignInSettings::default(),
            quality: crate::quality::QualitySettings::default(),
        }
    }
}

/// Why a configuration file was refused. Messages are one line and name the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration is not valid TOML: {0}")]
    Syntax(String),
    #[error("configuration value {field} is invalid: {why}")]
    Invalid { field: String, why: String },
}

impl ConfigError {
    /// The dotted key the error is about (`procedure.cutoff`, `calendar.add[0].date`), if any.
    #[must_use]
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Syntax(_) => None,
            Self::Invalid { field, .. } => Some(field),
        }
    }

    fn invalid(field: impl Into<String>, why: impl fmt::Display) -> Self {
        Self::Invalid { field: field.into(), why: why.to_string() }
    }
}

impl OrgConfig {
    /// The built-in configuration used when none is given.
    #[must_use]
    pub fn builtin() -> Self {
        Self::default()
    }

    /// Parses a configuration file's text. Missing keys take their defaults; unknown keys are refused
    /// so that a misspelt setting never silently falls back to a default.
    ///
    /// # Errors
    /// [`ConfigError`] naming the bad field.
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        let deserializer = toml::Deserializer::parse(text).map_err(|e| ConfigError::Syntax(one_line(text, &e)))?;
        let config: Self = serde_path_to_error::deserialize(deserializer).map_err(|e| located(text, &e))?;
        config.validate()?;
        Ok(config)
    }

    /// The organisation's calendar: Scottish bank holidays plus its own changes.
    #[must_use]
    pub fn calendar(&self) -> Calendar {
        Calendar::scotland().with_changes(&self.calendar)
    }

    /// Rules that a well-formed file can still break.
    fn validate(&self) -> Result<(), ConfigError> {
        let organisation = &self.organisation;
        if organisation.name.trim().is_empty() {
            return Err(ConfigError::invalid("organisation.name", "must not be empty"));
        }
        crate::reference::validate_prefix(&organisation.reference_prefix)
            .map_err(|e| ConfigError::invalid("organisation.reference_prefix", e))?;
        // R42: acknowledgements name the handler or team, so there must be one to name.
        if organisation.default_handler.trim().is_empty() {
            return Err(ConfigError::invalid("organisation.default_handler", "must not be empty"));
        }
        if organisation.contact_phone().is_none()
            && organisation.contact_email().is_none()
            && organisation.contact_address().is_none()
        {
            return Err(ConfigError::invalid(
                "organisation.phone",
                "give at least one of organisation.phone, organisation.email or organisation.address, so people know how to contact you",
            ));
        }
        if let Some(email) = organisation.contact_email() {
            EmailAddress::parse(email).map_err(|e| ConfigError::invalid("organisation.email", e))?;
        }
        self.validate_intake()?;
        self.alerts.validate().map_err(|(field, why)| ConfigError::invalid(field, why))?;
        self.email.validate().map_err(|(field, why)| ConfigError::invalid(field, why))?;
        self.quality.validate().map_err(|(field, why)| ConfigError::invalid(field, why))?;
        self.procedure.validate().map_err(|e| ConfigError::invalid(format!("procedure.{}", e.field), e.why))?;
        EmailAddress::parse(&self.mail.from).map_err(|e| ConfigError::invalid("mail.from", e))?;
        if let Some(reply_to) = &self.mail.reply_to {
            EmailAddress::parse(reply_to).map_err(|e| ConfigError::invalid("mail.reply_to", e))?;
        }
        if self.service_areas.is_empty() {
            return Err(ConfigError::invalid("service_areas", "list at least one service area"));
        }
        let mut areas = BTreeSet::new();
        for (i, area) in self.service_areas.iter().enumerate() {
            if area.trim().is_empty() {
                return Err(ConfigError::invalid(format!("service_areas[{i}]"), "must not be empty"));
            }
            if !areas.insert(area.trim().to_lowercase()) {
                return Err(ConfigError::invalid(format!("service_areas[{i}]"), format!("{area:?} is listed twice")));
            }
        }
        self.validate_calendar()
    }

    /// API key digests must be digests (a key pasted in by mistake would otherwise sit in the file),
    /// and a rate limit needs a window.
    fn validate_intake(&self) -> Result<(), ConfigError> {
        let intake = &self.intake;
        let mut seen = BTreeSet::new();
        for (i, digest) in intake.api_key_sha256.iter().enumerate() {
            let field = format!("intake.api_key_sha256[{i}]");
            if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(ConfigError::invalid(
                    field,
                    "must be the SHA-256 of the key as 64 hex characters (e.g. `printf %s \"$KEY\" | sha256sum`), never the key itself",
                ));
            }
            if !seen.insert(digest.to_ascii_lowercase()) {
                return Err(ConfigError::invalid(field, "is listed twice"));
            }
        }
        if intake.rate_limit_submissions > 0 && intake.rate_limit_window_minutes == 0 {
            return Err(ConfigError::invalid(
                "intake.rate_limit_window_minutes",
                "must be at least 1 (or set intake.rate_limit_submissions = 0 to turn the limit off)",
            ));
        }
        Ok(())
    }

    /// Calendar changes must be unambiguous: one entry per date, and a removal must remove something.
    fn validate_calendar(&self) -> Result<(), ConfigError> {
        let generated = Calendar::scotland();
        let mut added = BTreeSet::new();
        let mut removed = BTreeSet::new();
        let (mut add_index, mut remove_index) = (0, 0);
        for change in &self.calendar {
            match change {
                CalendarChange::Add(day) => {
                    let index = add_index;
                    add_index += 1;
                    let field = move |key: &str| format!("calendar.add[{index}].{key}");
                    check_covered(day.date).map_err(|why| ConfigError::invalid(field("date"), why))?;
                    if day.name.trim().is_empty() {
                        return Err(ConfigError::invalid(field("name"), "must not be empty"));
                    }
                    // R12: each calendar entry records where it comes from.
                    if day.source.trim().is_empty() {
                        return Err(ConfigError::invalid(field("source"), "must say where the day comes from"));
                    }
                    if !day.kind.is_organisation_kind() {
                        return Err(ConfigError::invalid(field("kind"), added_kind_error(day.kind.as_str())));
                    }
                    if !added.insert(day.date) {
                        return Err(ConfigError::invalid(field("date"), format!("{} is added twice", day.date)));
                    }
                    if removed.contains(&day.date) {
                        return Err(ConfigError::invalid(field("date"), format!("{} is also removed", day.date)));
                    }
                }
                CalendarChange::Remove { date, reason } => {
                    let index = remove_index;
                    remove_index += 1;
                    let field = move |key: &str| format!("calendar.remove[{index}].{key}");
                    check_covered(*date).map_err(|why| ConfigError::invalid(field("date"), why))?;
                    if reason.trim().is_empty() {
                        return Err(ConfigError::invalid(field("reason"), "say why the day is a working day"));
                    }
                    if generated.non_working_day(*date).is_none() {
                        return Err(ConfigError::invalid(
                            field("date"),
                            format!(
                                "{date} is not a bank holiday, substitute or one-off day, so there is nothing to remove"
                            ),
                        ));
                    }
                    if !removed.insert(*date) {
                        return Err(ConfigError::invalid(field("date"), format!("{date} is removed twice")));
                    }
                    if added.contains(date) {
                        return Err(ConfigError::invalid(field("date"), format!("{date} is also added")));
                    }
                }
            }
        }
        Ok(())
    }
}

fn check_covered(date: NaiveDate) -> Result<(), String> {
    if Calendar::covers(date) {
        Ok(())
    } else {
        Err(format!(
            "{date} is outside the years the calendar covers ({}–{})",
            crate::calendar::FIRST_YEAR,
            crate::calendar::LAST_YEAR
        ))
    }
}

fn added_kind_error(kind: &str) -> String {
    format!("kind {kind:?} cannot be added: use \"one-off\" (a proclaimed day), \"local\" or \"closure\"")
}

/// 1-based line of a byte offset, for messages.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(0, |before| before.matches('\n').count()) + 1
}

/// A TOML error as one line: its message and where it is (toml's own rendering spans several lines).
fn one_line(text: &str, error: &toml::de::Error) -> String {
    let message = error.message().trim().replace('\n', " ");
    match error.span() {
        Some(span) => format!("{message} (line {})", line_of(text, span.start)),
        None => message,
    }
}

/// A typed-value error with the dotted path of the key it is about.
fn located(text: &str, error: &serde_path_to_error::Error<toml::de::Error>) -> ConfigError {
    let path = error.path().to_string();
    let path = if path == "." { String::new() } else { path };
    let why = one_line(text, error.inner());
    if unknown_key(error.inner().message()).is_some() {
        // The path already ends with the unknown key; the message lists every valid key, which is
        // long, so point at the example file instead.
        let line =
            error.inner().span().map(|span| format!(" (line {})", line_of(text, span.start))).unwrap_or_default();
        return ConfigError::invalid(
            path,
            format!("unknown key{line}; check the spelling against config/example.toml"),
        );
    }
    if let Some(key) = missing_key(error.inner().message()) {
        let field = if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") };
        return ConfigError::invalid(field, "is required");
    }
    ConfigError::invalid(if path.is_empty() { "(top level)".to_owned() } else { path }, why)
}

/// The key of serde's "unknown field `key`, expected …" message.
fn unknown_key(message: &str) -> Option<&str> {
    message.strip_prefix("unknown field `")?.split('`').next()
}

/// The key of serde's "missing field `key`" message.
fn missing_key(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

/// The TOML shape of [`OrgConfig::calendar`]:
///
/// ```toml
/// [[calendar.add]]
/// date = "2026-04-06"
/// name = "Easter Monday"
/// kind = "local"
/// source = "Council decision 2025/17"
///
/// [[calendar.remove]]
/// date = "2026-11-30"
/// reason = "Offices open; St Andrew's Day taken on 2026-12-24 instead"
/// ```
mod calendar_section {
    use chrono::NaiveDate;
    use serde::de::{self, Deserializer, MapAccess, Visitor};
    use serde::{Deserialize, Serialize, Serializer};

    use super::{CalendarChange, DayKind, NonWorkingDay, added_kind_error};

    #[derive(Debug, Default, Serialize, Deserialize)]
    #[serde(default, deny_unknown_fields)]
    struct Section {
        #[serde(skip_serializing_if = "Vec::is_empty")]
        remove: Vec<Removal>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        add: Vec<Addition>,
    }

    #[derive(Debug, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Addition {
        date: ConfigDate,
        name: String,
        kind: AddedKind,
        source: String,
    }

    #[derive(Debug, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Removal {
        date: ConfigDate,
        reason: String,
    }

    /// A date written as a string (`"2026-04-06"`) or as a bare TOML date (`2026-04-06`).
    #[derive(Debug)]
    struct ConfigDate(NaiveDate);

    impl Serialize for ConfigDate {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.serialize_str(&self.0.format("%Y-%m-%d").to_string())
        }
    }

    impl<'de> Deserialize<'de> for ConfigDate {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserializer.deserialize_any(DateVisitor)
        }
    }

    struct DateVisitor;

    fn parse_date<E: de::Error>(text: &str) -> Result<ConfigDate, E> {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(ConfigDate)
            .map_err(|_| E::custom(format!("expected a date like 2026-04-06, not {text:?}")))
    }

    impl<'de> Visitor<'de> for DateVisitor {
        type Value = ConfigDate;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a date like 2026-04-06")
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<ConfigDate, E> {
            parse_date(text)
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ConfigDate, A::Error> {
            // toml hands a bare TOML date/time over as a map holding its own datetime type.
            let value = toml::value::Datetime::deserialize(de::value::MapAccessDeserializer::new(map))?;
            match (value.date, value.time) {
                (Some(_), None) => parse_date(&value.to_string()),
                _ => Err(de::Error::custom(format!("expected a date like 2026-04-06 with no time, not {value}"))),
            }
        }
    }

    /// The kinds an organisation may add: one-off, local or closure (bank and substitute days are
    /// generated from the rules).
    #[derive(Debug)]
    struct AddedKind(DayKind);

    impl Serialize for AddedKind {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.serialize_str(self.0.as_str())
        }
    }

    impl<'de> Deserialize<'de> for AddedKind {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            let text = String::deserialize(deserializer)?;
            match text.parse::<DayKind>() {
                Ok(kind) if kind.is_organisation_kind() => Ok(Self(kind)),
                Ok(_) => Err(de::Error::custom(added_kind_error(&text))),
                Err(_) => Err(de::Error::custom(format!(
                    "unknown kind {text:?}: expected \"one-off\", \"local\" or \"closure\""
                ))),
            }
        }
    }

    pub fn serialize<S: Serializer>(changes: &[CalendarChange], serializer: S) -> Result<S::Ok, S::Error> {
        let mut section = Section::default();
        for change in changes {
            match change {
                CalendarChange::Add(day) => section.add.push(Addition {
                    date: ConfigDate(day.date),
                    name: day.name.to_string(),
                    kind: AddedKind(day.kind),
                    source: day.source.to_string(),
                }),
                CalendarChange::Remove { date, reason } => {
                    section.remove.push(Removal { date: ConfigDate(*date), reason: reason.clone() });
                }
            }
        }
        section.serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<CalendarChange>, D::Error> {
        let section = Section::deserialize(deserializer)?;
        // Removals first: they target generated days, and additions then win on any date.
        let removals = section.remove.into_iter().map(|r| CalendarChange::Remove { date: r.date.0, reason: r.reason });
        let additions = section.add.into_iter().map(|a| {
            CalendarChange::Add(NonWorkingDay {
                date: a.date.0,
                name: a.name.into(),
                kind: a.kind.0,
                source: a.source.into(),
            })
        });
        Ok(removals.chain(additions).collect())
    }
}
