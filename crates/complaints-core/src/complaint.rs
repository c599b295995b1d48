//! What a citizen told us, parsed: the validated intake every channel produces (R3, R43, R44,
//! R50–R52, R55, R56). Raw payloads never travel further in than this.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// How the complaint reached us (R44, R50).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Channel {
    WebForm,
    Email,
    Messenger,
    Instagram,
    WhatsApp,
    X,
    Phone,
    InPerson,
    Letter,
}

impl Channel {
    /// Every channel, in the order staff forms list them.
    pub const ALL: [Channel; 9] = [
        Channel::WebForm,
        Channel::Email,
        Channel::Phone,
        Channel::InPerson,
        Channel::Letter,
        Channel::Messenger,
        Channel::Instagram,
        Channel::WhatsApp,
        Channel::X,
    ];

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WebForm => "web-form",
            Self::Email => "email",
            Self::Messenger => "messenger",
            Self::Instagram => "instagram",
            Self::WhatsApp => "whats-app",
            Self::X => "x",
            Self::Phone => "phone",
            Self::InPerson => "in-person",
            Self::Letter => "letter",
        }
    }

    /// True for social media channels, where personal details are never discussed in public (R50).
    #[must_use]
    pub fn is_social(self) -> bool {
        matches!(self, Self::Messenger | Self::Instagram | Self::WhatsApp | Self::X)
    }

    /// R3: true for the channels staff take complaints on themselves and log (a phone call, a
    /// visit, a letter), with a note of the conversation.
    #[must_use]
    pub fn is_staff_logged(self) -> bool {
        matches!(self, Self::Phone | Self::InPerson | Self::Letter)
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A syntactically plausible email address: one `@`, no spaces or control characters, a dotted
/// domain; the domain is lower-cased and, when internationalised, written in ASCII (IDNA, so
/// `jo@bücher.example` is stored as `jo@xn--bcher-kva.example`). Deliverability is the mail
/// system's business.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

/// Why an email address was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailAddressError {
    #[error("enter an email address in the correct format, like name@example.com")]
    Format,
    /// Internationalised local parts (RFC 6531) need SMTPUTF8 all the way to the recipient, which
    /// our mail services do not promise; refusing is better than a message that never arrives.
    #[error(
        "the part before the @ must use only English letters, numbers and the symbols . _ - + ' (we cannot send email to other letters yet)"
    )]
    NonAsciiLocalPart,
}

impl EmailAddress {
    /// Parses and normalises an address.
    ///
    /// # Errors
    /// [`EmailAddressError::Format`] when it is not of the form `local@domain.tld` (or the domain
    /// is not a valid internationalised domain name); [`EmailAddressError::NonAsciiLocalPart`] when
    /// the part before the `@` is not ASCII.
    pub fn parse(raw: &str) -> Result<Self, EmailAddressError> {
        let trimmed = raw.trim();
        let (local, domain) = trimmed.rsplit_once('@').ok_or(EmailAddressError::Format)?;
        let plain = |s: &str| {
            !s.is_empty()
                && !s.chars().any(|c| {
                    c.is_whitespace()
                        || c.is_control()
                        || crate::text::is_hidden_control(c)
                        || matches!(c, '<' | '>' | '(' | ')' | ',' | ';' | '"' | '\\')
                })
        };
        if !plain(local) || local.contains('@') || !plain(domain) || domain.contains('@') {
            return Err(EmailAddressError::Format);
        }
        if !local.is_ascii() {
            return Err(EmailAddressError::NonAsciiLocalPart);
        }
        // UTS 46 ToASCII with the STD3 and hyphen rules of host names: maps (lower-cases, NFC) and converts each label to Punycode when it
        // is not ASCII; an invalid label (a bare combining mark, a disallowed character) is refused.
        let domain = idna::domain_to_ascii_strict(domain).map_err(|_| EmailAddressError::Format)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && plain(&domain);
        let address = format!("{local}@{}", domain.to_ascii_lowercase());
        if !domain_ok || address.len() > 254 {
            return Err(EmailAddressError::Format);
        }
        Ok(Self(address))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used for matching a contact across cases: the whole address lower-cased.
    #[must_use]
    pub fn normalised(&self) -> String {
        self.0.to_lowercase()
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = EmailAddressError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<EmailAddress> for String {
    fn from(value: EmailAddress) -> Self {
        value.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The person complaining, when they gave their details (R43).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Complainant {
    pub name: String,
    pub email: Option<EmailAddress>,
    pub phone: Option<String>,
    /// A social media handle or sender id, for social channels (R50).
    pub handle: Option<String>,
}

/// How the complainant would like us to get in touch (R55).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ContactMethod {
    Email,
    Phone,
    Letter,
}

/// Someone complaining on behalf of another person (R52).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Representation {
    /// The person the complaint is about or for.
    pub person_affected: String,
    /// The representative's relationship to them.
    pub relationship: String,
    /// The representative confirmed they have the person's consent.
    pub consent_confirmed: bool,
}

/// How a child is involved (R56).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChildInvolvement {
    /// A child (under 18) is complaining.
    ChildComplainant,
    /// An adult complains at a child's request.
    AdultAtChildsRequest,
    /// An adult complains about matters affecting a child.
    AdultAboutChild,
}

/// Where a new complaint starts (R22).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "route")]
pub enum IntakeRoute {
    /// The usual start: a frontline response at stage 1.
    #[default]
    Stage1,
    /// Straight to stage 2: complex, serious or high risk, or the customer asked (R22).
    DirectStage2 { reason: String },
}

/// The fields of a new complaint as a channel gathered them, not yet checked. Every channel (web
/// form, email, social media, staff logging a call) fills one in and calls
/// [`ComplaintDraft::validate`], the only way to get a [`NewComplaint`], so they all share one set
/// of rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplaintDraft {
    pub channel: Channel,
    /// `None` for an anonymous complaint (R51).
    pub complainant: Option<Complainant>,
    pub service_area: String,
    /// What happened, in the complainant's words.
    pub description: String,
    pub event_date: Option<NaiveDate>,
    pub awareness_date: Option<NaiveDate>,
    pub outcome_sought: Option<String>,
    pub preferred_contact: Option<ContactMethod>,
    /// Reasonable adjustments or another format asked for (R55).
    pub adjustments: Option<String>,
    pub representation: Option<Representation>,
    pub child: Option<ChildInvolvement>,
    /// A reference to the source: social post or message id, email Message-ID (R50).
    pub source_ref: Option<String>,
    pub route: IntakeRoute,
}

/// A validated new complaint from any channel. Outside this crate it can only be made by
/// [`ComplaintDraft::validate`] (or read back from storage, where it was stored after validation),
/// so the web form, email, social media and staff-logged complaints share one set of rules. Its
/// fields stay readable everywhere.
///
/// ```
/// use chrono::NaiveDate;
/// use complaints_core::complaint::{Channel, ComplaintDraft, IntakeRoute};
///
/// let draft = ComplaintDraft {
///     channel: Channel::Phone,
///     complainant: None,
///     service_area: " Housing repairs ".to_owned(),
///     description: "The repair was not done".to_owned(),
///     event_date: None,
///     awareness_date: None,
///     outcome_sought: None,
///     preferred_contact: None,
///     adjustments: None,
///     representation: None,
///     child: None,
///     source_ref: None,
///     route: IntakeRoute::Stage1,
/// };
/// let today = NaiveDate::from_ymd_opt(2025, 11, 27).unwrap();
/// let complaint = draft.validate(today).unwrap();
/// assert_eq!(complaint.service_area, "Housing repairs");
/// ```
///
/// A struct literal does not compile outside the core, so no channel can skip the checks:
///
/// ```compile_fail,E0639
/// use complaints_core::complaint::{Channel, IntakeRoute, NewComplaint};
///
/// let complaint = NewComplaint {
///     channel: Channel::Phone,
///     complainant: None,
///     service_area: String::new(),
///     description: String::new(),
///     event_date: None,
///     awareness_date: None,
///     outcome_sought: None,
///     preferred_contact: None,
///     adjustments: None,
///     representation: None,
///     child: None,
///     source_ref: None,
///     route: IntakeRoute::Stage1,
/// };
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NewComplaint {
    pub channel: Channel,
    /// `None` for an anonymous complaint: tracked and counted, but nobody is messaged (R51).
    pub complainant: Option<Complainant>,
    pub service_area: String,
    /// What happened, in the complainant's words.
    pub description: String,
    pub event_date: Option<NaiveDate>,
    pub awareness_date: Option<NaiveDate>,
    pub outcome_sought: Option<String>,
    pub preferred_contact: Option<ContactMethod>,
    /// Reasonable adjustments or another format asked for (R55).
    pub adjustments: Option<String>,
    pub representation: Option<Representation>,
    pub child: Option<ChildInvolvement>,
    /// A reference to the source: social post or message id, email Message-ID (R50).
    pub source_ref: Option<String>,
    pub route: IntakeRoute,
}

impl NewComplaint {
    /// True when the complainant chose to stay anonymous (R51).
    #[must_use]
    pub fn is_anonymous(&self) -> bool {
        self.complainant.is_none()
    }

    /// True when a response should use the child-friendly format (R56).
    #[must_use]
    pub fn is_child_friendly(&self) -> bool {
        self.child.is_some()
    }

    /// The complaint as a draft again, to derive a variant that is validated afresh (tests, and a
    /// channel correcting what it took in).
    #[must_use]
    pub fn to_draft(&self) -> ComplaintDraft {
        let Self {
            channel,
            complainant,
            service_area,
            description,
            event_date,
            awareness_date,
            outcome_sought,
            preferred_contact,
            adjustments,
            representation,
            child,
            source_ref,
            route,
        } = self.clone();
        ComplaintDraft {
            channel,
            complainant,
            service_area,
            description,
            event_date,
            awareness_date,
            outcome_sought,
            preferred_contact,
            adjustments,
            representation,
            child,
            source_ref,
            route,
        }
    }
}

/// R3, R50–R52: why a new complaint was refused, naming the field. Every channel (web form,
/// email, social media, staff logging a call) gets the same rules from [`ComplaintDraft::validate`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntakeProblem {
    #[error("{field} must not be blank")]
    Blank { field: &'static str },
    #[error("{field} must be {max} characters or fewer")]
    TooLong { field: &'static str, max: usize },
    #[error("{field} cannot be in the future")]
    InFuture { field: &'static str },
    #[error("the date the person found out cannot be before the date it happened")]
    AwarenessBeforeEvent,
    #[error("a complaint on social media needs a reference to the post or message (R50)")]
    SocialMediaWithoutReference,
    #[error("a representative needs the consent of the person affected (R52)")]
    RepresentativeWithoutConsent,
    #[error("an anonymous complaint has no way to be contacted, so no preferred contact method")]
    AnonymousWithContactPreference,
}

/// The longest free text a complaint field may hold, in characters, whatever the channel; and
/// the longest short field (names, service area, reasons). Defined with every other limit in
/// [`crate::text_limits`].
pub use crate::text_limits::{MAX_COMPLAINT_TEXT_CHARS, MAX_SHORT_TEXT_CHARS as MAX_COMPLAINT_SHORT_CHARS};

impl ComplaintDraft {
    /// The validating constructor every channel uses: checks the draft against the shared intake
    /// rules on `today` (the organisation's local date) and returns the complaint trimmed.
    ///
    /// # Errors
    /// Every [`IntakeProblem`] found, in field order.
    pub fn validate(mut self, today: NaiveDate) -> Result<NewComplaint, Vec<IntakeProblem>> {
        let mut problems = Vec::new();
        let mut text = |value: &mut String, field: &'static str, max: usize| {
            let trimmed = value.trim();
            if trimmed.is_empty() {
                problems.push(IntakeProblem::Blank { field });
            } else if trimmed.chars().count() > max {
                problems.push(IntakeProblem::TooLong { field, max });
            }
            *value = trimmed.to_owned();
        };
        if let Some(complainant) = self.complainant.as_mut() {
            text(&mut complainant.name, "name", MAX_COMPLAINT_SHORT_CHARS);
        }
        text(&mut self.service_area, "service area", MAX_COMPLAINT_SHORT_CHARS);
        text(&mut self.description, "description", MAX_COMPLAINT_TEXT_CHARS);
        if let Some(representation) = self.representation.as_mut() {
            text(&mut representation.person_affected, "person affected", MAX_COMPLAINT_SHORT_CHARS);
            text(&mut representation.relationship, "relationship", MAX_COMPLAINT_SHORT_CHARS);
        }
        if let IntakeRoute::DirectStage2 { reason } = &mut self.route {
            text(reason, "reason for stage 2", MAX_COMPLAINT_SHORT_CHARS);
        }
        for (field, value) in [("outcome sought", &mut self.outcome_sought), ("adjustments", &mut self.adjustments)] {
            if let Some(given) = value {
                if given.trim().chars().count() > MAX_COMPLAINT_TEXT_CHARS {
                    problems.push(IntakeProblem::TooLong { field, max: MAX_COMPLAINT_TEXT_CHARS });
                }
                *value = Some(given.trim().to_owned()).filter(|kept| !kept.is_empty());
            }
        }
        for (field, date) in [("event date", self.event_date), ("awareness date", self.awareness_date)] {
            if date.is_some_and(|date| date > today) {
                problems.push(IntakeProblem::InFuture { field });
            }
        }
        if let (Some(event), Some(aware)) = (self.event_date, self.awareness_date)
            && aware < event
        {
            problems.push(IntakeProblem::AwarenessBeforeEvent);
        }
        if self.channel.is_social() && self.source_ref.as_deref().is_none_or(|r| r.trim().is_empty()) {
            problems.push(IntakeProblem::SocialMediaWithoutReference);
        }
        if self.representation.as_ref().is_some_and(|r| !r.consent_confirmed) {
            problems.push(IntakeProblem::RepresentativeWithoutConsent);
        }
        if self.complainant.is_none() && self.preferred_contact.is_some() {
            problems.push(IntakeProblem::AnonymousWithContactPreference);
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let Self {
            channel,
            complainant,
            service_area,
            description,
            event_date,
            awareness_date,
            outcome_sought,
            preferred_contact,
            adjustments,
            representation,
            child,
            source_ref,
            route,
        } = self;
        Ok(NewComplaint {
            channel,
            complainant,
            service_area,
            description,
            event_date,
            awareness_date,
            outcome_sought,
            preferred_contact,
            adjustments,
            representation,
            child,
            source_ref,
            route,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_phone_visits_and_letters_are_logged_by_staff() {
        let logged: Vec<Channel> = Channel::ALL.into_iter().filter(|c| c.is_staff_logged()).collect();
        assert_eq!(logged, [Channel::Phone, Channel::InPerson, Channel::Letter]);
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 11, 27).expect("date")
    }

    fn draft() -> ComplaintDraft {
        ComplaintDraft {
            channel: Channel::Phone,
            complainant: Some(Complainant {
                name: "  Jo Bloggs ".to_owned(),
                email: None,
                phone: Some("01632 960 001".to_owned()),
                handle: None,
            }),
            service_area: " Housing repairs\n".to_owned(),
            description: "  The repair was not done.  ".to_owned(),
            event_date: NaiveDate::from_ymd_opt(2025, 11, 3),
            awareness_date: None,
            outcome_sought: Some("   ".to_owned()),
            preferred_contact: Some(ContactMethod::Phone),
            adjustments: Some(" Large print ".to_owned()),
            representation: None,
            child: None,
            source_ref: None,
            route: IntakeRoute::DirectStage2 { reason: " High risk ".to_owned() },
        }
    }

    #[test]
    fn a_draft_with_a_blank_description_is_refused_naming_the_field() {
        let blank = ComplaintDraft { description: " \t\n".to_owned(), ..draft() };
        assert_eq!(blank.validate(today()), Err(vec![IntakeProblem::Blank { field: "description" }]));
    }

    #[test]
    fn a_valid_draft_becomes_a_trimmed_new_complaint() {
        let complaint = draft().validate(today()).expect("valid");
        assert_eq!(complaint.complainant.as_ref().map(|c| c.name.as_str()), Some("Jo Bloggs"));
        assert_eq!(complaint.service_area, "Housing repairs");
        assert_eq!(complaint.description, "The repair was not done.");
        assert_eq!(complaint.outcome_sought, None, "a blank optional answer is dropped");
        assert_eq!(complaint.adjustments.as_deref(), Some("Large print"));
        assert_eq!(complaint.route, IntakeRoute::DirectStage2 { reason: "High risk".to_owned() });
        assert_eq!((complaint.channel, complaint.preferred_contact), (Channel::Phone, Some(ContactMethod::Phone)));
    }

    #[test]
    fn a_complaint_turned_back_into_a_draft_validates_to_itself() {
        let complaint = draft().validate(today()).expect("valid");
        assert_eq!(complaint.to_draft().validate(today()), Ok(complaint.clone()));
        let child = ComplaintDraft { child: Some(ChildInvolvement::ChildComplainant), ..complaint.to_draft() };
        let variant = child.validate(today()).expect("valid");
        assert!(variant.is_child_friendly() && !complaint.is_child_friendly());
    }

    #[test]
    fn email_addresses_are_trimmed_and_their_domain_lower_cased() {
        let address = EmailAddress::parse("  Jo.Bloggs@Example.ORG ").expect("valid");
        assert_eq!(address.as_str(), "Jo.Bloggs@example.org");
    }

    #[test]
    fn internationalised_domains_are_stored_in_ascii() {
        let cases = [
            ("jo@bücher.example", "jo@xn--bcher-kva.example"),
            ("Jo@BÜCHER.Example", "Jo@xn--bcher-kva.example"),
            ("info@例え.テスト", "info@xn--r8jz45g.xn--zckzah"),
            ("jo@example.org", "jo@example.org"),
        ];
        for (raw, stored) in cases {
            assert_eq!(EmailAddress::parse(raw).map(String::from), Ok(stored.to_owned()), "{raw}");
        }
    }

    #[test]
    fn non_ascii_local_parts_are_refused_with_their_own_message() {
        for raw in ["jö@example.org", "用户@例子.广告"] {
            assert_eq!(EmailAddress::parse(raw), Err(EmailAddressError::NonAsciiLocalPart), "{raw}");
        }
        assert!(EmailAddressError::NonAsciiLocalPart.to_string().contains("before the @"));
    }

    #[test]
    fn email_addresses_with_hidden_controls_or_bad_domains_are_refused() {
        for bad in ["jo\u{202e}@example.org", "jo@exa\u{200b}mple.org", "jo@-.org", "jo@xn--.org"] {
            assert_eq!(EmailAddress::parse(bad), Err(EmailAddressError::Format), "{bad:?}");
        }
    }

    #[test]
    fn email_addresses_with_injection_characters_are_refused() {
        for bad in
            ["", "jo", "jo@", "@x.org", "jo@x", "jo@x.org\r\nBcc: a@b.c", "jo smith@x.org", "a@b@c.org", "jo@.x.org"]
        {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
