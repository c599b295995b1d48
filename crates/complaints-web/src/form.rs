//! The complaint form as submitted (form-encoded or JSON) and its validation into a
//! [`NewComplaint`], with one plain-English message per field in page order.

use chrono::{Datelike, NaiveDate};
use complaints_core::complaint::{
    Channel, ChildInvolvement, Complainant, ComplaintDraft, ContactMethod, EmailAddress, EmailAddressError,
    IntakeProblem, IntakeRoute, NewComplaint, Representation,
};
use complaints_core::config::OrgConfig;
use serde::{Deserialize, Deserializer, Serialize};

/// A count as people read it (10,000), as every limit is written in messages.
pub(crate) use complaints_core::text_limits::with_commas;

/// Longest name we accept: the service's one limit for a typed name.
pub const MAX_NAME_CHARS: usize = complaints_core::text_limits::MAX_NAME_CHARS;
/// Longest phone number, including spaces and an international prefix.
pub const MAX_PHONE_CHARS: usize = 30;
/// Longest "what happened" or "what outcome" answer: the service's one limit for a typed
/// paragraph (the staff forms have the same).
pub const MAX_TEXT_CHARS: usize = complaints_core::text_limits::MAX_TYPED_TEXT_CHARS;
/// Longest short answer (relationship, a short reason).
pub const MAX_SHORT_CHARS: usize = complaints_core::text_limits::MAX_SHORT_TEXT_CHARS;

/// The raw answers, every one optional so a partly filled form can be shown again as it was.
/// Field names are the HTML `name`s and the JSON keys.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ComplaintForm {
    /// The one-time form token (double-submit protection).
    pub token: String,
    /// The honeypot: hidden from people, filled by bots.
    pub website: String,
    #[serde(deserialize_with = "flag")]
    pub anonymous: bool,
    pub name: String,
    pub email: String,
    pub phone: String,
    /// `email` or `phone`.
    pub contact_method: String,
    pub adjustments: String,
    pub service_area: String,
    pub description: String,
    /// ISO date (JSON clients); the form uses the three parts below.
    pub event_date: String,
    pub event_date_day: String,
    pub event_date_month: String,
    pub event_date_year: String,
    pub awareness_date: String,
    pub awareness_date_day: String,
    pub awareness_date_month: String,
    pub awareness_date_year: String,
    pub outcome: String,
    /// `yes` or `no`.
    pub on_behalf: String,
    pub person_name: String,
    pub relationship: String,
    #[serde(deserialize_with = "flag")]
    pub consent: bool,
    /// `no` or a [`ChildInvolvement`] in kebab case.
    pub child: String,
}

/// Accepts a checkbox (`yes`, `on`, `true`, `1`), a JSON boolean, or nothing.
fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    struct FlagVisitor;
    impl serde::de::Visitor<'_> for FlagVisitor {
        type Value = bool;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a boolean or a checkbox value")
        }
        fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<bool, E> {
            Ok(v)
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<bool, E> {
            Ok(matches!(v.trim().to_ascii_lowercase().as_str(), "yes" | "on" | "true" | "1"))
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<bool, E> {
            Ok(false)
        }
    }
    deserializer.deserialize_any(FlagVisitor)
}

/// One problem with one answer. `field` is the id of the input the error summary links to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// The answers' problems, in the order the questions appear on the page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    fn add(&mut self, field: &'static str, message: impl Into<String>) {
        // One message per field: the first problem found is the one to fix first.
        if !self.0.iter().any(|e| e.field == field) {
            self.0.push(FieldError { field, message: message.into() });
        }
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    #[must_use]
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|e| e.field == field).map(|e| e.message.as_str())
    }
}

/// Field ids in the order the page asks the questions; the error summary follows it. A date's own
/// id (`event_date`) stands for the whole date; the summary links it to the day box.
pub const PAGE_ORDER: [&str; 22] = [
    "token",
    "name",
    "email",
    "phone",
    "contact_method",
    "adjustments",
    "service_area",
    "description",
    "event_date",
    "event_date_day",
    "event_date_month",
    "event_date_year",
    "awareness_date",
    "awareness_date_day",
    "awareness_date_month",
    "awareness_date_year",
    "outcome",
    "on_behalf",
    "person_name",
    "relationship",
    "consent",
    "child",
];

/// The child involvement choices as (value, label), in page order (R56).
pub const CHILD_CHOICES: [(&str, &str); 4] = [
    ("no", "No"),
    ("child-complainant", "Yes, I am under 18 and this is my complaint"),
    ("adult-at-childs-request", "Yes, I am an adult complaining because a child asked me to"),
    ("adult-about-child", "Yes, I am an adult complaining about something that affects a child"),
];

fn child_from(value: &str) -> Option<Option<ChildInvolvement>> {
    match value {
        "" | "no" => Some(None),
        "child-complainant" => Some(Some(ChildInvolvement::ChildComplainant)),
        "adult-at-childs-request" => Some(Some(ChildInvolvement::AdultAtChildsRequest)),
        "adult-about-child" => Some(Some(ChildInvolvement::AdultAboutChild)),
        _ => None,
    }
}

fn optional(text: &str) -> Option<String> {
    let trimmed = text.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

fn too_long(text: &str, max: usize) -> bool {
    text.trim().chars().count() > max
}

/// A UK or international phone number: digits with optional spaces, brackets, dashes and a leading +.
fn plausible_phone(phone: &str) -> bool {
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    (7..=15).contains(&digits)
        && phone.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '(' | ')' | '-' | '+'))
        && !phone.chars().skip(1).any(|c| c == '+')
}

/// Which date question, for messages and field ids.
struct DateQuestion {
    /// Field id of the whole date (`event_date`): errors about the date as a whole use it, so the
    /// page highlights all three boxes; errors about one part use that part's id (`event_date_month`).
    id: &'static str,
    /// The ids of the day, month and year boxes.
    parts: [&'static str; 3],
    /// How messages name the date.
    noun: &'static str,
}

/// The earliest year a date on the form may be in: earlier years are typing mistakes (R14 makes
/// complaints about events that old late anyway, and staff can still record them).
pub const EARLIEST_YEAR: i32 = 1900;

/// A month typed as a number from 1 to 12, or as a name people often write instead ("March",
/// "mar", "Sept", "Sept."). chrono knows full names and three-letter ones; "Sept" is added.
fn month_number(text: &str) -> Option<u32> {
    let text = text.trim().trim_end_matches('.');
    if let Ok(number) = text.parse::<u32>() {
        return (1..=12).contains(&number).then_some(number);
    }
    if text.eq_ignore_ascii_case("sept") {
        return Some(9);
    }
    text.parse::<chrono::Month>().ok().map(|m| m.number_from_month())
}

/// Parses one optional date given as ISO text or as day, month and year.
fn date_answer(
    iso: &str,
    day: &str,
    month: &str,
    year: &str,
    question: &DateQuestion,
    today: NaiveDate,
    errors: &mut FieldErrors,
) -> Option<NaiveDate> {
    let (iso, day, month, year) = (iso.trim(), day.trim(), month.trim(), year.trim());
    let [day_id, month_id, year_id] = question.parts;
    let date = if !iso.is_empty() {
        match NaiveDate::parse_from_str(iso, "%Y-%m-%d") {
            Ok(date) => date,
            Err(_) => {
                errors.add(question.id, format!("{} must be a real date, like 2026-03-27", question.noun));
                return None;
            }
        }
    } else {
        if day.is_empty() && month.is_empty() && year.is_empty() {
            return None;
        }
        // One missing part: say which, and point at that box only (GOV.UK date input pattern).
        let missing: Vec<(&'static str, &str)> = [(day_id, "a day"), (month_id, "a month"), (year_id, "a year")]
            .into_iter()
            .zip([day, month, year])
            .filter(|(_, value)| value.is_empty())
            .map(|(part, _)| part)
            .collect();
        match missing.as_slice() {
            [] => {}
            [(id, what)] => {
                errors.add(id, format!("{} must include {what}", question.noun));
                return None;
            }
            [(id, first), (_, second)] => {
                errors.add(id, format!("{} must include {first} and {second}", question.noun));
                return None;
            }
            _ => return None,
        }
        // A part that cannot be read points at its own box, so the error summary links to it.
        let lower = question.noun.to_lowercase();
        let Some(d) = day.parse::<u32>().ok().filter(|d| (1..=31).contains(d)) else {
            errors.add(day_id, format!("The day of {lower} must be a number from 1 to 31"));
            return None;
        };
        let Some(m) = month_number(month) else {
            errors.add(month_id, format!("The month of {lower} must be a number from 1 to 12, or a name like March"));
            return None;
        };
        let (Ok(y), 4) = (year.parse::<i32>(), year.len()) else {
            errors.add(year_id, format!("The year of {lower} must include 4 numbers, like 2026"));
            return None;
        };
        let Some(date) = NaiveDate::from_ymd_opt(y, m, d) else {
            errors.add(question.id, format!("{} must be a real date, like 27 3 2026", question.noun));
            return None;
        };
        date
    };
    if date > today {
        errors.add(question.id, format!("{} must be today or in the past", question.noun));
        return None;
    }
    if date.year() < EARLIEST_YEAR {
        let id = if iso.is_empty() { year_id } else { question.id };
        errors.add(id, format!("{} must be in {EARLIEST_YEAR} or later", question.noun));
        return None;
    }
    Some(date)
}

impl ComplaintForm {
    /// True when the honeypot was filled: probably a bot, but perhaps a browser's autofill, so the
    /// complaint is kept and flagged for staff, and never acknowledged automatically.
    #[must_use]
    pub fn is_possible_spam(&self) -> bool {
        !self.website.trim().is_empty()
    }

    /// Checks the answers and builds the complaint, or says what to fix, field by field, in page order.
    ///
    /// # Errors
    /// [`FieldErrors`] with at least one entry.
    pub fn validate(&self, config: &OrgConfig, today: NaiveDate) -> Result<NewComplaint, FieldErrors> {
        let mut errors = FieldErrors::default();

        // Your details. Anonymous complaints are accepted and tracked, but nobody is messaged (R51).
        let contact_method = match self.contact_method.trim() {
            "" => None,
            "email" => Some(ContactMethod::Email),
            "phone" => Some(ContactMethod::Phone),
            _ => {
                errors.add("contact_method", "Select how you would like us to contact you");
                None
            }
        };
        let name = self.name.trim();
        let mut email = None;
        let phone = optional(&self.phone);
        if !self.anonymous {
            if name.is_empty() {
                errors.add("name", "Enter your full name");
            } else if too_long(name, MAX_NAME_CHARS) {
                errors.add("name", format!("Your name must be {} characters or fewer", with_commas(MAX_NAME_CHARS)));
            }
            let email_needed = contact_method != Some(ContactMethod::Phone);
            match (self.email.trim(), email_needed) {
                ("", true) => errors.add("email", "Enter your email address"),
                ("", false) => {}
                (raw, _) => match EmailAddress::parse(raw) {
                    Ok(address) => email = Some(address),
                    Err(EmailAddressError::NonAsciiLocalPart) => errors.add(
                        "email",
                        "Enter an email address that uses only English letters, numbers and symbols before the @. \
                         If you do not have one, choose to be contacted by phone",
                    ),
                    Err(EmailAddressError::Format) => {
                        errors.add("email", "Enter an email address in the correct format, like name@example.com")
                    }
                },
            }
            match phone.as_deref() {
                None if contact_method == Some(ContactMethod::Phone) => {
                    errors.add("phone", "Enter a phone number, or choose to be contacted by email");
                }
                Some(number) if !plausible_phone(number) || too_long(number, MAX_PHONE_CHARS) => {
                    errors.add("phone", "Enter a phone number, like 01632 960 001 or 07700 900 982");
                }
                _ => {}
            }
        }
        if too_long(&self.adjustments, MAX_TEXT_CHARS) {
            errors.add(
                "adjustments",
                format!("The help or changes you need must be {} characters or fewer", with_commas(MAX_TEXT_CHARS)),
            );
        }

        // The complaint.
        let service_area = self.service_area.trim();
        if service_area.is_empty() {
            errors.add("service_area", "Select the service your complaint is about");
        } else if !config.service_areas.iter().any(|area| area == service_area) {
            errors.add("service_area", "Select one of the services listed");
        }
        let description = self.description.trim();
        if description.is_empty() {
            errors.add("description", "Tell us what happened");
        } else if too_long(description, MAX_TEXT_CHARS) {
            errors.add(
                "description",
                format!("What happened must be {} characters or fewer", with_commas(MAX_TEXT_CHARS)),
            );
        }
        let event_question = DateQuestion {
            id: "event_date",
            parts: ["event_date_day", "event_date_month", "event_date_year"],
            noun: "The date it happened",
        };
        let event_date = date_answer(
            &self.event_date,
            &self.event_date_day,
            &self.event_date_month,
            &self.event_date_year,
            &event_question,
            today,
            &mut errors,
        );
        let awareness_question = DateQuestion {
            id: "awareness_date",
            parts: ["awareness_date_day", "awareness_date_month", "awareness_date_year"],
            noun: "The date you found out",
        };
        let awareness_date = date_answer(
            &self.awareness_date,
            &self.awareness_date_day,
            &self.awareness_date_month,
            &self.awareness_date_year,
            &awareness_question,
            today,
            &mut errors,
        );
        if let (Some(event), Some(aware)) = (event_date, awareness_date)
            && aware < event
        {
            errors.add("awareness_date", "The date you found out must be the same as or after the date it happened");
        }
        if too_long(&self.outcome, MAX_TEXT_CHARS) {
            errors.add(
                "outcome",
                format!("What you would like us to do must be {} characters or fewer", with_commas(MAX_TEXT_CHARS)),
            );
        }

        // Complaining for someone else (R52). An anonymous complaint keeps nobody's details, so
        // the other person's name and the relationship are neither asked for nor kept.
        let representation = match self.on_behalf.trim() {
            _ if self.anonymous => None,
            "" | "no" => None,
            "yes" => {
                let person = self.person_name.trim();
                let relationship = self.relationship.trim();
                if person.is_empty() {
                    errors.add("person_name", "Enter the name of the person you are complaining for");
                } else if too_long(person, MAX_NAME_CHARS) {
                    errors.add(
                        "person_name",
                        format!("Their name must be {} characters or fewer", with_commas(MAX_NAME_CHARS)),
                    );
                }
                if relationship.is_empty() {
                    errors.add("relationship", "Tell us your relationship to the person, like parent or carer");
                } else if too_long(relationship, MAX_SHORT_CHARS) {
                    errors.add(
                        "relationship",
                        format!(
                            "Your relationship to them must be {} characters or fewer",
                            with_commas(MAX_SHORT_CHARS)
                        ),
                    );
                }
                if !self.consent {
                    errors.add("consent", "Confirm that the person has agreed to you complaining for them");
                }
                Some(Representation {
                    person_affected: person.to_owned(),
                    relationship: relationship.to_owned(),
                    consent_confirmed: self.consent,
                })
            }
            _ => {
                errors.add("on_behalf", "Select yes if you are complaining for someone else");
                None
            }
        };

        // A child involved (R56).
        let child = child_from(self.child.trim()).unwrap_or_else(|| {
            errors.add("child", "Select whether a child is involved");
            None
        });

        if !errors.is_empty() {
            return Err(errors.in_page_order());
        }
        let complainant = (!self.anonymous).then(|| Complainant { name: name.to_owned(), email, phone, handle: None });
        let draft = ComplaintDraft {
            channel: Channel::WebForm,
            complainant,
            service_area: service_area.to_owned(),
            description: description.to_owned(),
            event_date,
            awareness_date,
            outcome_sought: optional(&self.outcome),
            // Anonymous complainants cannot be contacted, so a preference would mislead staff.
            preferred_contact: if self.anonymous { None } else { contact_method },
            adjustments: optional(&self.adjustments),
            representation,
            child,
            source_ref: None,
            route: IntakeRoute::Stage1,
        };
        // The same rules as every other channel (R3). The checks above are stricter and word each
        // problem for the page, so this should find nothing; if it does, the answer is still
        // reported against its question rather than lost.
        draft.validate(today).map_err(|problems| {
            let mut errors = FieldErrors::default();
            for problem in &problems {
                errors.add(field_of(problem), capitalised(&problem.to_string()));
            }
            errors.in_page_order()
        })
    }
}

impl FieldErrors {
    fn in_page_order(mut self) -> Self {
        self.0.sort_by_key(|e| PAGE_ORDER.iter().position(|f| *f == e.field).unwrap_or(PAGE_ORDER.len()));
        self
    }
}

/// The question on the page an intake problem from the core is about.
fn field_of(problem: &IntakeProblem) -> &'static str {
    match problem {
        IntakeProblem::Blank { field } | IntakeProblem::TooLong { field, .. } | IntakeProblem::InFuture { field } => {
            match *field {
                "name" => "name",
                "service area" => "service_area",
                "person affected" => "person_name",
                "relationship" => "relationship",
                "event date" => "event_date",
                "awareness date" => "awareness_date",
                "outcome sought" => "outcome",
                "adjustments" => "adjustments",
                // The description, and anything the form does not ask (a reason for stage 2).
                _ => "description",
            }
        }
        IntakeProblem::AwarenessBeforeEvent => "awareness_date",
        IntakeProblem::RepresentativeWithoutConsent => "consent",
        IntakeProblem::AnonymousWithContactPreference => "contact_method",
        // The form is not a social channel; a message still needs a question to sit beside.
        IntakeProblem::SocialMediaWithoutReference => "description",
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).expect("date")
    }

    fn valid() -> ComplaintForm {
        ComplaintForm {
            name: "Jo Bloggs".to_owned(),
            email: "jo@example.org".to_owned(),
            service_area: "Bins and recycling".to_owned(),
            description: "My bin was not collected for three weeks.".to_owned(),
            ..ComplaintForm::default()
        }
    }

    fn first_error(form: &ComplaintForm) -> Option<(&'static str, String)> {
        form.validate(&OrgConfig::builtin(), today())
            .err()
            .and_then(|e| e.0.first().map(|f| (f.field, f.message.clone())))
    }

    #[test]
    fn a_minimal_valid_form_becomes_a_stage_one_web_complaint() {
        let complaint = valid().validate(&OrgConfig::builtin(), today()).expect("valid");
        assert_eq!(complaint.channel, Channel::WebForm);
        assert_eq!(complaint.route, IntakeRoute::Stage1);
        let complainant = complaint.complainant.expect("named");
        assert_eq!(complainant.email.map(String::from).as_deref(), Some("jo@example.org"));
        assert_eq!(complaint.service_area, "Bins and recycling");
    }

    #[test]
    fn each_missing_or_wrong_answer_is_reported_against_its_own_field() {
        type Change = fn(&mut ComplaintForm);
        let cases: [(&str, Change, &str, &str); 19] = [
            ("no name", |f| f.name.clear(), "name", "Enter your full name"),
            ("no email", |f| f.email.clear(), "email", "Enter your email address"),
            ("bad email", |f| f.email = "jo at example".into(), "email", "correct format"),
            ("bad phone", |f| f.phone = "call me".into(), "phone", "Enter a phone number"),
            ("phone wanted, none given", |f| f.contact_method = "phone".into(), "phone", "Enter a phone number"),
            ("no service", |f| f.service_area.clear(), "service_area", "Select the service"),
            ("unknown service", |f| f.service_area = "Moon base".into(), "service_area", "Select one of"),
            ("no description", |f| f.description = "  ".into(), "description", "Tell us what happened"),
            (
                "a date without its month",
                |f| (f.event_date_day, f.event_date_year) = ("3".into(), "2026".into()),
                "event_date_month",
                "The date it happened must include a month",
            ),
            (
                "a date with only its day",
                |f| f.event_date_day = "3".into(),
                "event_date_month",
                "must include a month and a year",
            ),
            (
                "a two-digit year",
                |f| {
                    (f.event_date_day, f.event_date_month, f.event_date_year) = ("3".into(), "2".into(), "26".into());
                },
                "event_date_year",
                "must include 4 numbers",
            ),
            (
                "impossible date",
                |f| {
                    (f.event_date_day, f.event_date_month, f.event_date_year) =
                        ("31".into(), "2".into(), "2026".into());
                },
                "event_date",
                "must be a real date",
            ),
            ("future date", |f| f.awareness_date = "2027-01-01".into(), "awareness_date", "today or in the past"),
            ("for someone, no name", |f| f.on_behalf = "yes".into(), "person_name", "Enter the name"),
            ("unknown child answer", |f| f.child = "maybe".into(), "child", "Select whether"),
            (
                "long description",
                |f| f.description = "x".repeat(MAX_TEXT_CHARS + 1),
                "description",
                "What happened must be 10,000 characters or fewer",
            ),
            (
                "long outcome",
                |f| f.outcome = "x".repeat(MAX_TEXT_CHARS + 1),
                "outcome",
                "What you would like us to do must be 10,000 characters",
            ),
            (
                "long adjustments",
                |f| f.adjustments = "x".repeat(MAX_TEXT_CHARS + 1),
                "adjustments",
                "The help or changes you need must be",
            ),
            (
                "long relationship",
                |f| {
                    (f.on_behalf, f.person_name, f.relationship, f.consent) =
                        ("yes".into(), "Sam".into(), "x".repeat(MAX_SHORT_CHARS + 1), true)
                },
                "relationship",
                "Your relationship to them must be 500 characters",
            ),
        ];
        for (what, change, field, message) in cases {
            let mut form = valid();
            change(&mut form);
            let (got_field, got_message) = first_error(&form).unwrap_or_else(|| panic!("{what}: accepted"));
            assert_eq!(got_field, field, "{what}");
            assert!(got_message.contains(message), "{what}: {got_message}");
        }
    }

    #[test]
    fn anonymous_complaints_need_no_details_and_keep_none_that_were_given() {
        let form = ComplaintForm { anonymous: true, name: String::new(), email: "jo@example.org".into(), ..valid() };
        let complaint = form.validate(&OrgConfig::builtin(), today()).expect("valid");
        assert!(complaint.is_anonymous());
        assert_eq!(complaint.preferred_contact, None);
    }

    #[test]
    fn complaining_for_someone_else_needs_their_name_relationship_and_consent() {
        let mut form = ComplaintForm { on_behalf: "yes".into(), ..valid() };
        let errors = form.validate(&OrgConfig::builtin(), today()).expect_err("incomplete");
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["person_name", "relationship", "consent"]);
        (form.person_name, form.relationship, form.consent) = ("Sam Bloggs".into(), "Son".into(), true);
        let representation = form.validate(&OrgConfig::builtin(), today()).expect("valid").representation.expect("set");
        assert!(representation.consent_confirmed);
        assert_eq!(representation.relationship, "Son");
    }

    #[test]
    fn dates_are_read_from_parts_or_iso_and_awareness_cannot_precede_the_event() {
        let form = ComplaintForm {
            event_date_day: "3".into(),
            event_date_month: "11".into(),
            event_date_year: "2026".into(),
            awareness_date: "2026-11-04".into(),
            child: "adult-about-child".into(),
            ..valid()
        };
        let complaint = form.validate(&OrgConfig::builtin(), today()).expect("valid");
        assert_eq!(complaint.event_date, NaiveDate::from_ymd_opt(2026, 11, 3));
        assert_eq!(complaint.awareness_date, NaiveDate::from_ymd_opt(2026, 11, 4));
        assert_eq!(complaint.child, Some(ChildInvolvement::AdultAboutChild));
        let backwards = ComplaintForm { awareness_date: "2026-11-01".into(), ..form };
        assert_eq!(first_error(&backwards).map(|e| e.0), Some("awareness_date"));
    }

    #[test]
    fn a_month_may_be_typed_as_its_name() {
        for month in ["3", "03", "March", "mar", "MARCH"] {
            let form = ComplaintForm {
                event_date_day: "27".into(),
                event_date_month: month.into(),
                event_date_year: "2026".into(),
                ..valid()
            };
            let complaint = form.validate(&OrgConfig::builtin(), today()).unwrap_or_else(|e| panic!("{month}: {e:?}"));
            assert_eq!(complaint.event_date, NaiveDate::from_ymd_opt(2026, 3, 27), "{month}");
        }
    }

    #[test]
    fn checkboxes_and_json_booleans_both_set_flags() {
        let from_form: ComplaintForm = serde_urlencoded::from_str("anonymous=yes&consent=on").expect("parses");
        let from_json: ComplaintForm =
            serde_json::from_str(r#"{"anonymous": true, "consent": false}"#).expect("parses");
        assert!(from_form.anonymous && from_form.consent);
        assert!(from_json.anonymous && !from_json.consent);
    }

    fn with_event_date(day: &str, month: &str, year: &str) -> ComplaintForm {
        ComplaintForm {
            event_date_day: day.into(),
            event_date_month: month.into(),
            event_date_year: year.into(),
            ..valid()
        }
    }

    #[test]
    fn sept_is_september() {
        for month in ["Sept", "sept", "SEPT.", "Sep", "September"] {
            let complaint = with_event_date("1", month, "2026").validate(&OrgConfig::builtin(), today());
            assert_eq!(complaint.map(|c| c.event_date), Ok(NaiveDate::from_ymd_opt(2026, 9, 1)), "{month}");
        }
    }

    #[test]
    fn a_part_that_cannot_be_read_points_at_its_own_box() {
        let cases = [
            (("1", "Smarch", "2026"), "event_date_month"),
            (("1", "13", "2026"), "event_date_month"),
            (("1", "0", "2026"), "event_date_month"),
            (("first", "3", "2026"), "event_date_day"),
            (("32", "3", "2026"), "event_date_day"),
            (("1", "3", "26"), "event_date_year"),
            (("1", "3", "twenty"), "event_date_year"),
            (("31", "2", "2026"), "event_date"),
        ];
        for ((day, month, year), field) in cases {
            assert_eq!(
                first_error(&with_event_date(day, month, year)).map(|e| e.0),
                Some(field),
                "{day} {month} {year}"
            );
        }
    }

    #[test]
    fn dates_before_1900_are_refused_as_mistakes() {
        let from_parts = with_event_date("1", "3", "1899");
        assert_eq!(first_error(&from_parts).map(|e| e.0), Some("event_date_year"));
        let iso = ComplaintForm { awareness_date: "0026-03-01".into(), ..valid() };
        assert_eq!(first_error(&iso).map(|e| e.0), Some("awareness_date"));
        let earliest = with_event_date("1", "1", "1900").validate(&OrgConfig::builtin(), today()).expect("valid");
        assert_eq!(earliest.event_date, NaiveDate::from_ymd_opt(1900, 1, 1));
        let future = with_event_date("26", "11", "2026");
        assert_eq!(first_error(&future).map(|e| e.0), Some("event_date"), "tomorrow is refused");
    }

    #[test]
    fn an_anonymous_complaint_keeps_no_representative_details() {
        let form = ComplaintForm {
            anonymous: true,
            name: String::new(),
            email: String::new(),
            on_behalf: "yes".into(),
            person_name: "Sam Bloggs".into(),
            relationship: "Son".into(),
            ..valid()
        };
        let complaint = form.validate(&OrgConfig::builtin(), today()).expect("valid without consent");
        assert!(complaint.is_anonymous());
        assert_eq!(complaint.representation, None);
    }

    #[test]
    fn an_email_address_with_non_english_letters_before_the_at_gets_its_own_message() {
        let form = ComplaintForm { email: "jö@example.org".into(), ..valid() };
        let (field, message) = first_error(&form).expect("refused");
        assert_eq!(field, "email");
        assert!(message.contains("before the @"), "{message}");
        let idn = ComplaintForm { email: "jo@bücher.example".into(), ..valid() };
        let complaint = idn.validate(&OrgConfig::builtin(), today()).expect("valid");
        assert_eq!(
            complaint.complainant.and_then(|c| c.email).map(String::from).as_deref(),
            Some("jo@xn--bcher-kva.example")
        );
    }

    #[test]
    fn a_problem_only_the_core_finds_is_reported_against_its_own_question() {
        let cases = [
            (IntakeProblem::Blank { field: "name" }, "name"),
            (IntakeProblem::TooLong { field: "service area", max: 500 }, "service_area"),
            (IntakeProblem::Blank { field: "description" }, "description"),
            (IntakeProblem::TooLong { field: "person affected", max: 500 }, "person_name"),
            (IntakeProblem::Blank { field: "relationship" }, "relationship"),
            (IntakeProblem::TooLong { field: "outcome sought", max: 20_000 }, "outcome"),
            (IntakeProblem::TooLong { field: "adjustments", max: 20_000 }, "adjustments"),
            (IntakeProblem::InFuture { field: "event date" }, "event_date"),
            (IntakeProblem::InFuture { field: "awareness date" }, "awareness_date"),
            (IntakeProblem::AwarenessBeforeEvent, "awareness_date"),
            (IntakeProblem::RepresentativeWithoutConsent, "consent"),
            (IntakeProblem::AnonymousWithContactPreference, "contact_method"),
        ];
        for (problem, question) in cases {
            assert_eq!(field_of(&problem), question, "{problem:?}");
        }
        assert_eq!(capitalised("description must not be blank"), "Description must not be blank");
    }
}
