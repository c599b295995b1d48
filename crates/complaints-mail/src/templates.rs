//! The organisation's message templates: built-in plain-English defaults embedded in the binary,
//! which an organisation can override file by file from a folder. STABLE: the signatures of
//! `RenderedMessage`, `TemplateError`, `Templates::{builtin, with_overrides, acknowledgement}`.
//!
//! A message `NAME` is three templates: `NAME.subject.j2`, `NAME.txt.j2` and `NAME.html.j2`.
//! HTML templates escape every value automatically (minijinja picks the escaping from the `.html`
//! in the name); text and subject templates do not. Undefined variables are errors, so a typo in
//! an override fails when the templates are loaded rather than sending "Dear ,".

use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use complaints_core::case::Case;
use complaints_core::complaint::{ChildInvolvement, IntakeRoute};
use complaints_core::config::OrgConfig;
use complaints_core::policy::{
    ESCALATION_AFTER_EVENT_MONTHS, ESCALATION_AFTER_STAGE1_MONTHS, STAGE1_WORKING_DAYS, STAGE2_WORKING_DAYS,
};
use complaints_core::text::{looks_like_a_name, neutralise};
use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{Environment, ErrorKind, UndefinedBehavior, Value};
use serde::Serialize;

use crate::message::one_line;

/// A rendered message body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedMessage {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Why a template could not be loaded or rendered.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("template {name}: {message}")]
    Template { name: String, message: String },
    #[error("could not read template folder {path}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// R51: nobody is messaged about an anonymous complaint, so there is nobody to acknowledge.
    #[error("case {reference} is anonymous: anonymous complaints are never acknowledged (R51)")]
    Anonymous { reference: String },
}

/// The message name of the acknowledgement of a new complaint.
pub const ACKNOWLEDGEMENT: &str = "acknowledgement";
/// The message name of the child-friendly acknowledgement (R56).
pub const ACKNOWLEDGEMENT_CHILD: &str = "acknowledgement-child";

/// Every built-in template file, by the name an override must use.
pub const BUILTIN_TEMPLATES: [(&str, &str); 8] = [
    ("layout.txt.j2", include_str!("../templates/layout.txt.j2")),
    ("layout.html.j2", include_str!("../templates/layout.html.j2")),
    ("acknowledgement.subject.j2", include_str!("../templates/acknowledgement.subject.j2")),
    ("acknowledgement.txt.j2", include_str!("../templates/acknowledgement.txt.j2")),
    ("acknowledgement.html.j2", include_str!("../templates/acknowledgement.html.j2")),
    ("acknowledgement-child.subject.j2", include_str!("../templates/acknowledgement-child.subject.j2")),
    ("acknowledgement-child.txt.j2", include_str!("../templates/acknowledgement-child.txt.j2")),
    ("acknowledgement-child.html.j2", include_str!("../templates/acknowledgement-child.html.j2")),
];

/// The file extension every template file has; other files in an override folder are ignored.
const TEMPLATE_EXTENSION: &str = ".j2";

/// The template set.
#[derive(Debug, Clone)]
pub struct Templates {
    env: Arc<Environment<'static>>,
    /// File names taken from the override folder, for diagnostics.
    overridden: Arc<[String]>,
}

impl Default for Templates {
    fn default() -> Self {
        Self::builtin()
    }
}

impl Templates {
    /// The built-in templates.
    #[must_use]
    pub fn builtin() -> Self {
        Self { env: Arc::new(base_environment()), overridden: Arc::from(Vec::new()) }
    }

    /// The built-in templates with any of them overridden by files in `dir`. Every `*.j2` file is
    /// loaded (so an organisation may also add its own partials or messages for [`Self::render`]),
    /// and the acknowledgement variants are rendered once with sample facts so that a broken
    /// override is reported now, naming the file, and not at the first complaint.
    ///
    /// # Errors
    /// [`TemplateError::Io`] when the folder or a file cannot be read; [`TemplateError::Template`]
    /// naming the file when one does not compile or fails with the sample facts.
    pub fn with_overrides(dir: &Path) -> Result<Self, TemplateError> {
        let io_error = |source| TemplateError::Io { path: dir.display().to_string(), source };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io_error)? {
            let entry = entry.map_err(io_error)?;
            let Ok(name) = entry.file_name().into_string() else { continue };
            if name.ends_with(TEMPLATE_EXTENSION) && entry.file_type().map_err(io_error)?.is_file() {
                let source = std::fs::read_to_string(entry.path()).map_err(io_error)?;
                files.push((name, source));
            }
        }
        files.sort();

        let mut env = base_environment();
        let mut overridden = Vec::with_capacity(files.len());
        for (name, source) in files {
            env.add_template_owned(name.clone(), source).map_err(|e| template_error(&name, &e))?;
            overridden.push(name);
        }
        let templates = Self { env: Arc::new(env), overridden: Arc::from(overridden) };
        for context in AcknowledgementContext::samples() {
            templates.render(context.message_name(), &context)?;
        }
        templates.check_letters()?;
        Ok(templates)
    }

    /// The source of template file `name` as loaded (an override's text, or the built-in).
    #[must_use]
    pub fn source_of(&self, name: &str) -> Option<String> {
        self.env.get_template(name).ok().map(|template| template.source().to_owned())
    }

    /// The names of the template files that came from the override folder, sorted.
    #[must_use]
    pub fn overridden(&self) -> &[String] {
        &self.overridden
    }

    /// The acknowledgement of a new complaint: reference, what happens next, due date, handler,
    /// how to escalate, how to ask for another format. Child-friendly wording when a child is involved.
    ///
    /// # Errors
    /// [`TemplateError::Template`] when rendering fails; [`TemplateError::Anonymous`] for an
    /// anonymous complaint, which is never acknowledged (R51).
    pub fn acknowledgement(&self, case: &Case, config: &OrgConfig) -> Result<RenderedMessage, TemplateError> {
        let context = AcknowledgementContext::for_case(case, config)?;
        self.render(context.message_name(), &context)
    }

    /// Renders the message `name` (`NAME.subject.j2`, `NAME.txt.j2` and `NAME.html.j2`) with any
    /// serialisable context. The subject is flattened to one line and the text tidied (no trailing
    /// spaces, at most one blank line in a row). The built-in layouts expect an `organisation`
    /// variable: pass an [`OrganisationContext`] under that name.
    ///
    /// # Errors
    /// [`TemplateError::Template`] naming the template that is missing or failed.
    pub fn render<S: Serialize>(&self, name: &str, context: &S) -> Result<RenderedMessage, TemplateError> {
        let context = Value::from(Serde(context));
        Ok(RenderedMessage {
            subject: one_line(&self.render_file(&format!("{name}.subject.j2"), &context)?),
            text: tidy_text(&self.render_file(&format!("{name}.txt.j2"), &context)?),
            html: self.render_file(&format!("{name}.html.j2"), &context)?,
        })
    }

    /// Renders one template file (e.g. a partial or a digest body) with any serialisable context.
    ///
    /// # Errors
    /// [`TemplateError::Template`] naming the template that is missing or failed.
    pub fn render_file<S: Serialize>(&self, file: &str, context: &S) -> Result<String, TemplateError> {
        let template = self.env.get_template(file).map_err(|e| template_error(file, &e))?;
        template.render(Serde(context)).map_err(|e| template_error(file, &e))
    }
}

/// The environment with the built-ins behind a loader: files added later (overrides) win over it.
fn base_environment() -> Environment<'static> {
    let mut env = Environment::new();
    // Block tags on their own lines leave no blank lines behind.
    if let Ok(syntax) = SyntaxConfig::builder().trim_blocks(true).lstrip_blocks(true).build() {
        env.set_syntax(syntax);
    }
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_loader(|name| {
        Ok(BUILTIN_TEMPLATES
            .iter()
            .chain(crate::letters::LETTER_TEMPLATES)
            .chain(crate::digests::DIGEST_TEMPLATES)
            .find(|(builtin, _)| *builtin == name)
            .map(|(_, source)| (*source).to_owned()))
    });
    env.add_filter("long_date", long_date_filter);
    // Every value a template prints passes through here: characters that could hide or reorder
    // text (bidirectional overrides, terminal escapes) are made visible, then HTML is escaped
    // as usual. The built-in messages print no citizen text; overrides might.
    env.set_formatter(|out, state, value| match value.as_str() {
        Some(text) if value.is_safe() => {
            minijinja::escape_formatter(out, state, &Value::from_safe_string(neutralise(text).into_owned()))
        }
        Some(text) => minijinja::escape_formatter(out, state, &Value::from(neutralise(text).as_ref())),
        None => minijinja::escape_formatter(out, state, value),
    });
    env
}

/// `{{ "2025-12-04" | long_date }}` → `Thursday 4 December 2025`, for contexts that pass ISO dates.
fn long_date_filter(value: &str) -> Result<String, minijinja::Error> {
    let date = NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
        minijinja::Error::new(
            ErrorKind::InvalidOperation,
            format!("long_date expects a YYYY-MM-DD date, not {value:?}"),
        )
    })?;
    Ok(long_date(date))
}

/// Dates written for people come from the core, so letters and pages say the same.
pub use complaints_core::dates::long_date;

/// The error for `file`, naming the file where minijinja found the fault (which may be another
/// template, e.g. the layout it extends) and the line.
fn template_error(file: &str, error: &minijinja::Error) -> TemplateError {
    let name = error.name().unwrap_or(file).to_owned();
    let mut message = error.detail().map_or_else(|| error.kind().to_string(), str::to_owned);
    if let Some(line) = error.line() {
        message = format!("{message} (line {line})");
    }
    if name != file {
        message = format!("{message}, while rendering {file}");
    }
    TemplateError::Template { name, message }
}

/// [`tidy_text`] for the letters.
pub(crate) fn tidy(raw: &str) -> String {
    tidy_text(raw)
}

/// Plain-text tidying after rendering: trailing spaces go, runs of blank lines become one, and the
/// text ends with exactly one newline.
fn tidy_text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut blank_run = 0;
    for line in raw.lines().map(str::trim_end) {
        if line.is_empty() {
            blank_run += 1;
            continue;
        }
        if blank_run > 0 && !out.is_empty() {
            out.push('\n');
        }
        blank_run = 0;
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// What every message may say about the organisation: the `organisation` variable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrganisationContext {
    pub name: String,
    /// Where citizens write to: `organisation.email`, else the configured Reply-To, else From.
    pub email: String,
    pub phone: Option<String>,
    /// The postal address, on one line.
    pub address: Option<String>,
    pub website: Option<String>,
}

impl OrganisationContext {
    #[must_use]
    pub fn from_config(config: &OrgConfig) -> Self {
        let organisation = &config.organisation;
        Self {
            name: organisation.name.clone(),
            email: organisation
                .contact_email()
                .map(str::to_owned)
                .or_else(|| config.mail.reply_to.clone())
                .unwrap_or_else(|| config.mail.from.clone()),
            phone: organisation.contact_phone().map(str::to_owned),
            address: organisation.contact_address().map(str::to_owned),
            website: organisation.website.clone(),
        }
    }
}

/// The person affected when a representative complains for someone (R52).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepresentativeContext {
    /// Their name, when it [looks like a name](complaints_core::text::looks_like_a_name); none
    /// otherwise, and the message says "someone else".
    pub person_affected: Option<String>,
}

/// The variables of `acknowledgement` and `acknowledgement-child`. Dates are already written for
/// people ("Thursday 4 December 2025").
///
/// An acknowledgement goes to whatever address someone typed, so it carries nothing else that
/// person typed: no description, outcome or adjustments, and names only when they look like names
/// (the mail relay defence; docs/security.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AcknowledgementContext {
    pub reference: String,
    /// The name to greet: the complainant, or their representative (R52), when it looks like a
    /// name; none otherwise, and the message greets "Dear customer" ("Hello" for a child).
    pub recipient_name: Option<String>,
    pub representative: Option<RepresentativeContext>,
    /// `child-complainant`, `adult-at-childs-request` or `adult-about-child` (R56); none otherwise.
    pub child: Option<String>,
    /// 1, or 2 for a complaint taken straight to stage 2 (R22).
    pub stage: u8,
    pub received_on: String,
    /// The stage 1 response date, or the stage 2 response date for direct stage 2.
    pub response_due: String,
    /// 5 at stage 1 (R19), 20 at stage 2 (R26).
    pub response_working_days: u32,
    /// Stage 2 only: when we confirm the points of complaint (R24); none at stage 1.
    pub stage2_ack_due: Option<String>,
    /// Who is dealing with the complaint (R42).
    pub handler: String,
    /// The service area, when it is one the organisation configured (never free text).
    pub service_area: Option<String>,
    /// True when the complainant asked for help or changes (R55); what they wrote is not repeated.
    pub adjustments_requested: bool,
    /// R16: escalation is asked for within this many months of the event or awareness…
    pub escalation_months_after_event: u32,
    /// …or within this many months of the stage 1 response, whichever is later.
    pub escalation_months_after_response: u32,
    pub organisation: OrganisationContext,
}

/// A name an automatic message may use, or none.
fn greeting_name(name: &str) -> Option<String> {
    looks_like_a_name(name).then(|| name.split_whitespace().collect::<Vec<_>>().join(" "))
}

impl AcknowledgementContext {
    /// The facts of a case, as the acknowledgement states them.
    ///
    /// # Errors
    /// [`TemplateError::Anonymous`] for an anonymous complaint (R51).
    pub fn for_case(case: &Case, config: &OrgConfig) -> Result<Self, TemplateError> {
        let complaint = case.complaint();
        let complainant = complaint
            .complainant
            .as_ref()
            .ok_or_else(|| TemplateError::Anonymous { reference: case.reference().to_string() })?;
        let (stage, response_due, response_working_days, stage2_ack_due) = match complaint.route {
            IntakeRoute::Stage1 => (1, case.stage1_due(), STAGE1_WORKING_DAYS, None),
            IntakeRoute::DirectStage2 { .. } => {
                let (ack, response) = stage2_dates(case)?;
                (2, response, STAGE2_WORKING_DAYS, Some(ack))
            }
        };
        let service_area = config.service_areas.iter().find(|area| **area == complaint.service_area).cloned();
        Ok(Self {
            reference: case.reference().to_string(),
            recipient_name: greeting_name(&complainant.name),
            representative: complaint
                .representation
                .as_ref()
                .map(|r| RepresentativeContext { person_affected: greeting_name(&r.person_affected) }),
            child: complaint.child.map(|c| child_name(c).to_owned()),
            stage,
            received_on: long_date(case.effective_receipt()),
            response_due: long_date(response_due),
            response_working_days,
            stage2_ack_due: stage2_ack_due.map(long_date),
            handler: case.handler().to_owned(),
            service_area,
            adjustments_requested: complaint.adjustments.as_deref().is_some_and(|a| !a.trim().is_empty()),
            escalation_months_after_event: ESCALATION_AFTER_EVENT_MONTHS,
            escalation_months_after_response: ESCALATION_AFTER_STAGE1_MONTHS,
            organisation: OrganisationContext::from_config(config),
        })
    }

    /// `acknowledgement-child` when the complainant is a child or young person (R56), else
    /// `acknowledgement`: an adult complaining about a child, or at a child's request, gets the
    /// adult letter (which says the child's needs will be kept in mind).
    #[must_use]
    pub fn message_name(&self) -> &'static str {
        if self.child.as_deref() == Some(child_name(ChildInvolvement::ChildComplainant)) {
            ACKNOWLEDGEMENT_CHILD
        } else {
            ACKNOWLEDGEMENT
        }
    }

    /// Sample facts covering every branch of the built-in acknowledgements, used to check overrides
    /// when they are loaded.
    fn samples() -> Vec<Self> {
        let base = Self {
            reference: "CMP-2025-00001".to_owned(),
            recipient_name: Some("Sample Name".to_owned()),
            representative: None,
            child: None,
            stage: 1,
            received_on: "Thursday 27 November 2025".to_owned(),
            response_due: "Thursday 4 December 2025".to_owned(),
            response_working_days: STAGE1_WORKING_DAYS,
            stage2_ack_due: None,
            handler: "Complaints Team".to_owned(),
            service_area: None,
            adjustments_requested: false,
            escalation_months_after_event: ESCALATION_AFTER_EVENT_MONTHS,
            escalation_months_after_response: ESCALATION_AFTER_STAGE1_MONTHS,
            organisation: OrganisationContext {
                name: "Sample Council".to_owned(),
                email: "complaints@example.org".to_owned(),
                phone: None,
                address: None,
                website: None,
            },
        };
        let full = Self {
            recipient_name: None,
            representative: Some(RepresentativeContext { person_affected: Some("Sample Person".to_owned()) }),
            child: Some(child_name(ChildInvolvement::AdultAboutChild).to_owned()),
            stage: 2,
            response_due: "Monday 29 December 2025".to_owned(),
            response_working_days: STAGE2_WORKING_DAYS,
            stage2_ack_due: Some("Tuesday 2 December 2025".to_owned()),
            service_area: Some("Something else".to_owned()),
            adjustments_requested: true,
            organisation: OrganisationContext {
                phone: Some("0300 000 0000".to_owned()),
                address: Some("1 Sample Street, Sample Town".to_owned()),
                website: Some("https://www.example.org".to_owned()),
                ..base.organisation.clone()
            },
            ..base.clone()
        };
        let child =
            |c: &Self| Self { child: Some(child_name(ChildInvolvement::ChildComplainant).to_owned()), ..c.clone() };
        vec![child(&base), child(&full), base, full]
    }
}

/// The stage 2 acknowledgement and response dates of a direct stage 2 case: the case's own clocks
/// when it has them (they carry its calendar version and any extension), else counted from the
/// effective receipt date as R22 says a direct stage 2 case starts.
/// The stage 2 acknowledgement and response dates the core computed when it opened the case at
/// stage 2; the templates never count working days themselves.
fn stage2_dates(case: &Case) -> Result<(NaiveDate, NaiveDate), TemplateError> {
    let stage2 = case.stage2().ok_or_else(|| TemplateError::Template {
        name: ACKNOWLEDGEMENT.to_owned(),
        message: format!("case {} went straight to stage 2 but has no stage 2 clocks", case.reference()),
    })?;
    let response = stage2.reopened_response.as_ref().unwrap_or(&stage2.response);
    Ok((stage2.acknowledgement.due, response.due))
}

fn child_name(child: ChildInvolvement) -> &'static str {
    match child {
        ChildInvolvement::ChildComplainant => "child-complainant",
        ChildInvolvement::AdultAtChildsRequest => "adult-at-childs-request",
        ChildInvolvement::AdultAboutChild => "adult-about-child",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, TimeZone, Utc};
    use complaints_core::case::Rules;
    use complaints_core::complaint::{
        Channel, Complainant, ComplaintDraft, EmailAddress, NewComplaint, Representation,
    };
    use complaints_core::reference::CaseRef;
    use complaints_core::timeline::Actor;

    /// Thursday 27 November 2025, 10:00 GMT: the worked example of mchp-rules §2.
    fn thursday_27_november() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 11, 27, 10, 0, 0).single().expect("valid instant")
    }

    fn complaint() -> NewComplaint {
        valid(draft())
    }

    /// Validates a test draft on the day it is received.
    fn valid(draft: ComplaintDraft) -> NewComplaint {
        draft.validate(thursday_27_november().date_naive()).expect("valid complaint")
    }

    fn draft() -> ComplaintDraft {
        ComplaintDraft {
            channel: Channel::WebForm,
            complainant: Some(Complainant {
                name: "Ailsa Mackay".to_owned(),
                email: Some(EmailAddress::parse("ailsa@example.net").expect("valid")),
                phone: None,
                handle: None,
            }),
            service_area: "Bins and recycling".to_owned(),
            description: "My blue bin was not emptied for three weeks.".to_owned(),
            event_date: None,
            awareness_date: None,
            outcome_sought: Some("Empty the bin and tell me why it was missed.".to_owned()),
            preferred_contact: None,
            adjustments: None,
            representation: None,
            child: None,
            source_ref: None,
            route: IntakeRoute::Stage1,
        }
    }

    fn config() -> OrgConfig {
        let mut config = OrgConfig::builtin();
        config.organisation.name = "Glenbrae Council".to_owned();
        config.organisation.phone = Some("0300 123 4567".to_owned());
        config.organisation.email = Some("complaints@glenbrae.example".to_owned());
        config.organisation.address = Some("Complaints Team, Glenbrae Council, 1 Main Street, Glenbrae".to_owned());
        config.organisation.website = Some("https://www.glenbrae.example".to_owned());
        config.mail.reply_to = Some("complaints-replies@glenbrae.example".to_owned());
        config
    }

    fn case_of(complaint: NewComplaint, config: &OrgConfig) -> Case {
        let calendar = config.calendar();
        let rules = Rules { calendar: &calendar, policy: &config.procedure };
        let reference = CaseRef::new("CMP", 2025, 42).expect("valid reference");
        let (case, _) = Case::open(
            reference,
            complaint,
            thursday_27_november(),
            "Housing Team".to_owned(),
            None,
            rules,
            Actor::System,
        );
        case
    }

    fn acknowledge(complaint: NewComplaint) -> RenderedMessage {
        let config = config();
        Templates::builtin().acknowledgement(&case_of(complaint, &config), &config).expect("renders")
    }

    fn assert_all_contain(message: &RenderedMessage, needles: &[&str]) {
        for needle in needles {
            assert!(message.text.contains(needle), "text lacks {needle:?}:\n{}", message.text);
            assert!(message.html.contains(needle), "html lacks {needle:?}:\n{}", message.html);
        }
    }

    fn assert_none_contain(message: &RenderedMessage, needles: &[&str]) {
        for needle in needles {
            assert!(!message.text.contains(needle), "text has {needle:?}:\n{}", message.text);
            assert!(!message.html.contains(needle), "html has {needle:?}:\n{}", message.html);
        }
    }

    /// The signature block every message ends with, from the configuration above.
    const FOOTER: &str = "\
--
Glenbrae Council
Email: complaints@glenbrae.example
Phone: 0300 123 4567
Post: Complaints Team, Glenbrae Council, 1 Main Street, Glenbrae
Website: https://www.glenbrae.example
";

    /// The adult letter's sections that do not depend on the stage.
    const ADULT_SUPPORT: &str = "\
ANOTHER FORMAT, LANGUAGE OR SUPPORT

If you would like this message in another format (for example large print, Braille or audio) or in another language, or if you need us to change the way we work with you (reasonable adjustments), please tell us.
";

    const ADULT_CONTACT: &str = "\
HOW TO CONTACT US

Reply to this email, quoting your reference CMP-2025-00042.
Phone: 0300 123 4567
Post: Complaints Team, Glenbrae Council, 1 Main Street, Glenbrae

Yours sincerely,

Housing Team
Glenbrae Council

";

    const ADULT_STAGE_ONE: &str = "\
WHO IS DEALING WITH YOUR COMPLAINT

Housing Team is dealing with your complaint.

WHAT HAPPENS NEXT

We will look at your complaint at stage 1 of our complaints procedure. This means we aim to give you a response quickly, within 5 working days.

We will give you our response by Thursday 4 December 2025. If we need more time, we will tell you why and when you can expect our response.

IF YOU ARE UNHAPPY WITH OUR RESPONSE

You can ask us to look at your complaint again at stage 2 of our complaints procedure, where it will be investigated. Please ask within 6 months of when you first knew about the problem, or within 2 months of our response, whichever is later.

If you are still unhappy after stage 2, you can ask the Scottish Public Services Ombudsman (SPSO) to look at your complaint. The SPSO is the final stage for complaints about public services in Scotland. We will tell you how to contact them when we send our stage 2 response.

";

    #[test]
    fn the_adult_stage_one_acknowledgement_reads_in_full() {
        let message = acknowledge(complaint());
        assert_eq!(message.subject, "Your complaint CMP-2025-00042: we have received it");
        let expected = format!(
            "Dear Ailsa Mackay,

Thank you for your complaint. We have received it.

Your reference is CMP-2025-00042. Please quote it whenever you contact us about this complaint.

{ADULT_STAGE_ONE}{ADULT_SUPPORT}
{ADULT_CONTACT}{FOOTER}"
        );
        assert_eq!(message.text, expected);
    }

    #[test]
    fn the_direct_stage_two_acknowledgement_reads_in_full() {
        let message = acknowledge(valid(ComplaintDraft {
            route: IntakeRoute::DirectStage2 { reason: "serious".to_owned() },
            ..draft()
        }));
        // mchp-rules §2 worked example: received Thu 27 Nov 2025 → stage 2 ack Tue 2 Dec, due Mon 29 Dec.
        let expected = format!(
            "Dear Ailsa Mackay,

Thank you for your complaint. We have received it.

Your reference is CMP-2025-00042. Please quote it whenever you contact us about this complaint.

WHO IS DEALING WITH YOUR COMPLAINT

Housing Team is dealing with your complaint.

WHAT HAPPENS NEXT

Your complaint needs a detailed investigation, so we are dealing with it at stage 2 of our complaints procedure.

- By Tuesday 2 December 2025 we will contact you to confirm the points of complaint we will investigate and the outcome you are looking for.
- We will give you our full response by Monday 29 December 2025. That is within 20 working days.

If we need more time, we will tell you why and when you can expect our response.

IF YOU ARE UNHAPPY WITH OUR RESPONSE

Our stage 2 response will be our final decision. If you are still unhappy after it, you can ask the Scottish Public Services Ombudsman (SPSO) to look at your complaint. The SPSO is the final stage for complaints about public services in Scotland. We will tell you how to contact them when we send our response.

{ADULT_SUPPORT}
{ADULT_CONTACT}{FOOTER}"
        );
        assert_eq!(message.text, expected);
        assert_all_contain(&message, &["Tuesday 2 December 2025", "Monday 29 December 2025", "final stage"]);
    }

    #[test]
    fn the_representative_acknowledgement_reads_in_full() {
        let message = acknowledge(valid(ComplaintDraft {
            representation: Some(Representation {
                person_affected: "Morag Mackay".to_owned(),
                relationship: "daughter".to_owned(),
                consent_confirmed: true,
            }),
            adjustments: Some("Large print, please.".to_owned()),
            ..draft()
        }));
        let expected = format!(
            "Dear Ailsa Mackay,

Thank you for your complaint on behalf of Morag Mackay. We have received it. Because you are making the complaint for them, we will write to you about it.

Your reference is CMP-2025-00042. Please quote it whenever you contact us about this complaint.

{ADULT_STAGE_ONE}{ADULT_SUPPORT}
You told us you need help or changes to make your complaint. Housing Team will contact you to agree how we will do this.

{ADULT_CONTACT}{FOOTER}"
        );
        assert_eq!(message.text, expected);
        assert_none_contain(&message, &["daughter", "Large print"]);
    }

    #[test]
    fn the_child_complainant_acknowledgement_reads_in_full() {
        let message = acknowledge(valid(ComplaintDraft { child: Some(ChildInvolvement::ChildComplainant), ..draft() }));
        assert_eq!(message.subject, "We have got your complaint (CMP-2025-00042)");
        let expected = format!(
            "Hello Ailsa Mackay,

Thank you for telling us about your complaint. We are glad you got in touch.

Your complaint number is CMP-2025-00042. Please use this number when you talk to us about it.

Housing Team will look after your complaint.

WHAT HAPPENS NOW

We will look at your complaint. We will give you our answer by Thursday 4 December 2025.

If we need more time, we will tell you why.

IF YOU ARE NOT HAPPY WITH OUR ANSWER

Tell us. We will look at your complaint again, more closely.

If you are still not happy after that, you can ask the Scottish Public Services Ombudsman (SPSO) to look at it. They do not work for us. They are the last step for complaints.

WE CAN HELP YOU

You can ask us to talk to you in a different way. For example, we can phone you, meet you, use simpler words, or write in another language. You can also ask someone you trust to help you.

HOW TO TALK TO US

Just reply to this email.
Phone: 0300 123 4567
Post: Complaints Team, Glenbrae Council, 1 Main Street, Glenbrae

Thank you,

Housing Team
Glenbrae Council

{FOOTER}"
        );
        assert_eq!(message.text, expected);
    }

    #[test]
    fn an_adult_complaining_about_or_for_a_child_gets_the_adult_letter() {
        for involvement in [ChildInvolvement::AdultAtChildsRequest, ChildInvolvement::AdultAboutChild] {
            let message = acknowledge(valid(ComplaintDraft { child: Some(involvement), ..draft() }));
            assert_eq!(message.subject, "Your complaint CMP-2025-00042: we have received it", "{involvement:?}");
            let expected = format!(
                "Dear Ailsa Mackay,

Thank you for your complaint. We have received it.

Your reference is CMP-2025-00042. Please quote it whenever you contact us about this complaint.

Your complaint involves a child or young person. We will keep their needs and rights in mind when we look into it.

{ADULT_STAGE_ONE}{ADULT_SUPPORT}
{ADULT_CONTACT}{FOOTER}"
            );
            assert_eq!(message.text, expected, "{involvement:?}");
        }
    }

    #[test]
    fn child_friendly_stage_two_acknowledgement_gives_both_dates_without_jargon() {
        let message = acknowledge(valid(ComplaintDraft {
            child: Some(ChildInvolvement::ChildComplainant),
            route: IntakeRoute::DirectStage2 { reason: "serious".to_owned() },
            ..draft()
        }));
        assert_all_contain(
            &message,
            &["Tuesday 2 December 2025", "Monday 29 December 2025", "They do not work for us", "the last step"],
        );
        assert_none_contain(&message, &["stage 2", "working days"]);
    }

    #[test]
    fn every_acknowledgement_says_the_spso_is_the_final_stage() {
        for child in [None, Some(ChildInvolvement::ChildComplainant), Some(ChildInvolvement::AdultAboutChild)] {
            for route in [IntakeRoute::Stage1, IntakeRoute::DirectStage2 { reason: "serious".to_owned() }] {
                let message = acknowledge(valid(ComplaintDraft { child, route: route.clone(), ..draft() }));
                assert_all_contain(&message, &["Scottish Public Services Ombudsman (SPSO)"]);
                let last = ["The SPSO is the final stage", "They are the last step"];
                assert!(last.iter().any(|s| message.text.contains(s)), "{child:?} {route:?}:\n{}", message.text);
                assert!(last.iter().any(|s| message.html.contains(s)), "{child:?} {route:?}:\n{}", message.html);
            }
        }
    }

    #[test]
    fn nothing_the_complainant_typed_is_quoted_and_odd_names_get_a_neutral_greeting() {
        let phish = "Your account is locked visit http://phish.example/refund";
        let mut draft = draft();
        if let Some(complainant) = draft.complainant.as_mut() {
            complainant.name = phish.to_owned();
        }
        draft.description = "Visit www.phish.example now".to_owned();
        draft.outcome_sought = Some("http://phish.example/outcome".to_owned());
        draft.adjustments = Some("http://phish.example/adjust".to_owned());
        draft.representation = Some(Representation {
            person_affected: "see phish.example".to_owned(),
            relationship: "http://phish.example/rel".to_owned(),
            consent_confirmed: true,
        });
        for child in [None, Some(ChildInvolvement::ChildComplainant)] {
            let message = acknowledge(valid(ComplaintDraft { child, ..draft.clone() }));
            assert_none_contain(&message, &["phish", "locked", "Visit", "Ailsa"]);
            let greeting = if child.is_some() { "Hello,\n" } else { "Dear customer,\n" };
            assert!(message.text.starts_with(greeting), "{}", message.text);
            assert_all_contain(&message, &[" someone else.", "CMP-2025-00042"]);
        }
    }

    #[test]
    fn html_escapes_names_and_matches_the_text_letter() {
        let mut draft = draft();
        if let Some(complainant) = draft.complainant.as_mut() {
            complainant.name = "Seán O'Neill".to_owned();
        }
        for child in [None, Some(ChildInvolvement::ChildComplainant)] {
            let message = acknowledge(valid(ComplaintDraft { child, ..draft.clone() }));
            assert!(message.text.contains("Seán O'Neill,"), "{}", message.text);
            assert!(message.html.contains("Seán O&#x27;Neill,"), "{}", message.html);
            assert!(!message.html.contains("<script"), "{}", message.html);
        }
    }

    #[test]
    fn hidden_controls_in_what_a_template_prints_are_made_visible() {
        let dir = tempfile::tempdir().expect("tempdir");
        for (file, source) in
            [("note.subject.j2", "Note"), ("note.txt.j2", "{{ text }}"), ("note.html.j2", "<p>{{ text }}</p>")]
        {
            std::fs::write(dir.path().join(file), source).expect("write");
        }
        let templates = Templates::with_overrides(dir.path()).expect("loads");
        let message =
            templates.render("note", &minijinja::context! { text => "a\u{202e}cod.exe <b>" }).expect("renders");
        assert_eq!(message.text, "a\u{fffd}cod.exe <b>\n");
        assert_eq!(message.html, "<p>a\u{fffd}cod.exe &lt;b&gt;</p>");
    }

    #[test]
    fn anonymous_complaints_are_refused_with_a_clear_error() {
        let config = config();
        let case = case_of(valid(ComplaintDraft { complainant: None, ..draft() }), &config);
        let error = Templates::builtin().acknowledgement(&case, &config).expect_err("anonymous is refused");
        assert!(matches!(&error, TemplateError::Anonymous { reference } if reference == "CMP-2025-00042"), "{error}");
        assert!(error.to_string().contains("anonymous"), "{error}");
    }

    #[test]
    fn text_is_tidy_with_single_blank_lines_and_one_final_newline() {
        let message = acknowledge(complaint());
        assert!(!message.text.contains("\n\n\n"), "{}", message.text);
        assert!(message.text.ends_with(".example\n"), "{:?}", message.text);
        assert!(!message.text.starts_with('\n'));
        assert!(message.text.lines().all(|line| line == line.trim_end()));
        assert!(!message.subject.contains('\n'));
    }

    #[test]
    fn long_dates_are_written_for_people() {
        let cases = [((2025, 12, 4), "Thursday 4 December 2025"), ((2026, 1, 21), "Wednesday 21 January 2026")];
        for ((y, m, d), expected) in cases {
            let date = NaiveDate::from_ymd_opt(y, m, d).expect("valid date");
            assert_eq!(long_date(date), expected);
            let rendered = Templates::builtin()
                .env
                .render_str("{{ d | long_date }}", minijinja::context! { d => date.to_string() });
            assert_eq!(rendered.expect("renders"), expected);
        }
    }

    #[test]
    fn every_builtin_template_compiles() {
        let templates = Templates::builtin();
        for (name, _) in BUILTIN_TEMPLATES {
            templates.env.get_template(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn overrides_replace_a_builtin_and_keep_the_others() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("acknowledgement.subject.j2"), "Complaint {{ reference }} received")
            .expect("write");
        std::fs::write(dir.path().join("README.txt"), "not a template {{").expect("write");
        let templates = Templates::with_overrides(dir.path()).expect("loads");
        assert_eq!(templates.overridden(), ["acknowledgement.subject.j2".to_owned()]);
        let config = config();
        let message = templates.acknowledgement(&case_of(complaint(), &config), &config).expect("renders");
        assert_eq!(message.subject, "Complaint CMP-2025-00042 received");
        assert!(message.text.contains("Thursday 4 December 2025"), "{}", message.text);
    }

    #[test]
    fn organisations_can_add_their_own_messages_for_render() {
        let dir = tempfile::tempdir().expect("tempdir");
        for (file, source) in [
            ("digest.subject.j2", "{{ count }} cases due"),
            (
                "digest.txt.j2",
                "{% extends \"layout.txt.j2\" %}{% block content %}{{ count }} cases are due by {{ due | long_date }}.{% endblock %}",
            ),
            ("digest.html.j2", "{% extends \"layout.html.j2\" %}{% block content %}<p>{{ note }}</p>{% endblock %}"),
        ] {
            std::fs::write(dir.path().join(file), source).expect("write");
        }
        let templates = Templates::with_overrides(dir.path()).expect("loads");
        let context = minijinja::context! {
            count => 3,
            due => "2025-12-04",
            note => "<b>",
            organisation => Value::from(Serde(OrganisationContext::from_config(&config()))),
        };
        let message = templates.render("digest", &context).expect("renders");
        assert_eq!(message.subject, "3 cases due");
        assert!(message.text.starts_with("3 cases are due by Thursday 4 December 2025.\n"), "{}", message.text);
        assert!(message.text.contains("Glenbrae Council"), "{}", message.text);
        assert!(message.html.contains("<p>&lt;b&gt;</p>"), "{}", message.html);
    }

    #[test]
    fn a_broken_override_is_reported_naming_the_file() {
        let cases = [
            ("acknowledgement.txt.j2", "Dear {{ recipient_name }"),
            ("acknowledgement-child.html.j2", "{% if %}"),
            ("acknowledgement.html.j2", "Hello {{ recipent_name }}"),
            ("layout.txt.j2", "{{ organisation.nmae }}"),
        ];
        for (file, source) in cases {
            let dir = tempfile::tempdir().expect("tempdir");
            std::fs::write(dir.path().join(file), source).expect("write");
            let error = Templates::with_overrides(dir.path()).expect_err("broken override is refused");
            assert!(matches!(&error, TemplateError::Template { name, .. } if name == file), "{file}: {error}");
            assert!(error.to_string().contains(file), "{error}");
        }
    }

    #[test]
    fn a_missing_override_folder_is_an_io_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let error = Templates::with_overrides(&dir.path().join("absent")).expect_err("missing folder");
        assert!(matches!(error, TemplateError::Io { .. }), "{error}");
    }

    #[test]
    fn rendering_an_unknown_message_names_the_missing_template() {
        let error = Templates::builtin().render("closure", &minijinja::context! {}).expect_err("no such message");
        assert!(matches!(&error, TemplateError::Template { name, .. } if name == "closure.subject.j2"), "{error}");
    }
}
