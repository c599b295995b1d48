//! The letters staff actions send (docs/roles-and-letters.md): one variable set for every letter
//! ([`LetterContext`]), built-in plain-English templates with child-friendly variants, and the
//! versioned SPSO signposting block (R37, R38).
//!
//! A letter `NAME` is two templates an organisation may override: `NAME.subject.j2` and
//! `NAME.txt.j2`. Its HTML (the email's HTML part, and the printable letter) is the text letter
//! laid out by `letter.html.j2`: paragraphs, and headings from lines in capitals. The text is
//! passed to the HTML layout as data, so everything in it is escaped there, whatever a template
//! or a note contains.

use complaints_core::case::MessagePurpose;
use serde::Serialize;

use crate::templates::{OrganisationContext, RenderedMessage, TemplateError, Templates};

/// The version of the built-in SPSO signposting block (`spso-block.txt.j2`), recorded with every
/// response that uses it (R38). An organisation that overrides the block gets a version naming
/// its own text instead ([`Templates::spso_block_version`]).
pub const SPSO_BLOCK_VERSION: &str = "spso-block-2025-1";

/// The SPSO block's file names (the adult and child-friendly wording).
pub const SPSO_BLOCK_FILES: [&str; 2] = ["spso-block.txt.j2", "spso-block-child.txt.j2"];

/// Built-in letter templates, by the file name an override must use.
pub const LETTER_TEMPLATES: &[(&str, &str)] = &[
    ("letter.html.j2", include_str!("../templates/letters/letter.html.j2")),
    ("spso-block.txt.j2", include_str!("../templates/letters/spso-block.txt.j2")),
    ("spso-block-child.txt.j2", include_str!("../templates/letters/spso-block-child.txt.j2")),
    ("letter-contact.txt.j2", include_str!("../templates/letters/letter-contact.txt.j2")),
    ("stage1-response.subject.j2", include_str!("../templates/letters/stage1-response.subject.j2")),
    ("stage1-response.txt.j2", include_str!("../templates/letters/stage1-response.txt.j2")),
    ("stage1-response-child.subject.j2", include_str!("../templates/letters/stage1-response-child.subject.j2")),
    ("stage1-response-child.txt.j2", include_str!("../templates/letters/stage1-response-child.txt.j2")),
    ("extension.subject.j2", include_str!("../templates/letters/extension.subject.j2")),
    ("extension.txt.j2", include_str!("../templates/letters/extension.txt.j2")),
    ("extension-child.subject.j2", include_str!("../templates/letters/extension-child.subject.j2")),
    ("extension-child.txt.j2", include_str!("../templates/letters/extension-child.txt.j2")),
    ("stage2-acknowledgement.subject.j2", include_str!("../templates/letters/stage2-acknowledgement.subject.j2")),
    ("stage2-acknowledgement.txt.j2", include_str!("../templates/letters/stage2-acknowledgement.txt.j2")),
    (
        "stage2-acknowledgement-child.subject.j2",
        include_str!("../templates/letters/stage2-acknowledgement-child.subject.j2"),
    ),
    ("stage2-acknowledgement-child.txt.j2", include_str!("../templates/letters/stage2-acknowledgement-child.txt.j2")),
    ("points-amended.subject.j2", include_str!("../templates/letters/points-amended.subject.j2")),
    ("points-amended.txt.j2", include_str!("../templates/letters/points-amended.txt.j2")),
    ("points-amended-child.subject.j2", include_str!("../templates/letters/points-amended-child.subject.j2")),
    ("points-amended-child.txt.j2", include_str!("../templates/letters/points-amended-child.txt.j2")),
    ("progress-update.subject.j2", include_str!("../templates/letters/progress-update.subject.j2")),
    ("progress-update.txt.j2", include_str!("../templates/letters/progress-update.txt.j2")),
    ("progress-update-child.subject.j2", include_str!("../templates/letters/progress-update-child.subject.j2")),
    ("progress-update-child.txt.j2", include_str!("../templates/letters/progress-update-child.txt.j2")),
    ("final-response.subject.j2", include_str!("../templates/letters/final-response.subject.j2")),
    ("final-response.txt.j2", include_str!("../templates/letters/final-response.txt.j2")),
    ("final-response-child.subject.j2", include_str!("../templates/letters/final-response-child.subject.j2")),
    ("final-response-child.txt.j2", include_str!("../templates/letters/final-response-child.txt.j2")),
    ("withdrawal-confirmation.subject.j2", include_str!("../templates/letters/withdrawal-confirmation.subject.j2")),
    ("withdrawal-confirmation.txt.j2", include_str!("../templates/letters/withdrawal-confirmation.txt.j2")),
    (
        "withdrawal-confirmation-child.subject.j2",
        include_str!("../templates/letters/withdrawal-confirmation-child.subject.j2"),
    ),
    ("withdrawal-confirmation-child.txt.j2", include_str!("../templates/letters/withdrawal-confirmation-child.txt.j2")),
    ("not-a-complaint.subject.j2", include_str!("../templates/letters/not-a-complaint.subject.j2")),
    ("not-a-complaint.txt.j2", include_str!("../templates/letters/not-a-complaint.txt.j2")),
    ("not-a-complaint-child.subject.j2", include_str!("../templates/letters/not-a-complaint-child.subject.j2")),
    ("not-a-complaint-child.txt.j2", include_str!("../templates/letters/not-a-complaint-child.txt.j2")),
    ("reopened.subject.j2", include_str!("../templates/letters/reopened.subject.j2")),
    ("reopened.txt.j2", include_str!("../templates/letters/reopened.txt.j2")),
    ("reopened-child.subject.j2", include_str!("../templates/letters/reopened-child.subject.j2")),
    ("reopened-child.txt.j2", include_str!("../templates/letters/reopened-child.txt.j2")),
    ("contact-restriction.subject.j2", include_str!("../templates/letters/contact-restriction.subject.j2")),
    ("contact-restriction.txt.j2", include_str!("../templates/letters/contact-restriction.txt.j2")),
    ("contact-restriction-child.subject.j2", include_str!("../templates/letters/contact-restriction-child.subject.j2")),
    ("contact-restriction-child.txt.j2", include_str!("../templates/letters/contact-restriction-child.txt.j2")),
    ("final-response-stands.subject.j2", include_str!("../templates/letters/final-response-stands.subject.j2")),
    ("final-response-stands.txt.j2", include_str!("../templates/letters/final-response-stands.txt.j2")),
    (
        "final-response-stands-child.subject.j2",
        include_str!("../templates/letters/final-response-stands-child.subject.j2"),
    ),
    ("final-response-stands-child.txt.j2", include_str!("../templates/letters/final-response-stands-child.txt.j2")),
    ("staff-notice.subject.j2", include_str!("../templates/letters/staff-notice.subject.j2")),
    ("staff-notice.txt.j2", include_str!("../templates/letters/staff-notice.txt.j2")),
    ("staff-closure-update.subject.j2", include_str!("../templates/letters/staff-closure-update.subject.j2")),
    ("staff-closure-update.txt.j2", include_str!("../templates/letters/staff-closure-update.txt.j2")),
];

/// The letter name for `purpose` (`None` for the acknowledgement, which has its own templates).
/// With `child`, the child-friendly variant where there is one (R56).
#[must_use]
pub fn letter_name(purpose: MessagePurpose, child: bool) -> Option<&'static str> {
    let (adult, young) = match purpose {
        // The deadline digest is composed by the breach scan, the export notice by the export,
        // not from a letter template.
        MessagePurpose::Acknowledgement
        | MessagePurpose::DeadlineDigest
        | MessagePurpose::ExportReady
        | MessagePurpose::AttachmentFetch => return None,
        MessagePurpose::Stage1Response => ("stage1-response", Some("stage1-response-child")),
        MessagePurpose::Extension => ("extension", Some("extension-child")),
        MessagePurpose::Stage2Acknowledgement => ("stage2-acknowledgement", Some("stage2-acknowledgement-child")),
        MessagePurpose::PointsAmended => ("points-amended", Some("points-amended-child")),
        MessagePurpose::ProgressUpdate => ("progress-update", Some("progress-update-child")),
        MessagePurpose::FinalResponse => ("final-response", Some("final-response-child")),
        MessagePurpose::WithdrawalConfirmation => ("withdrawal-confirmation", Some("withdrawal-confirmation-child")),
        MessagePurpose::NotAComplaint => ("not-a-complaint", Some("not-a-complaint-child")),
        MessagePurpose::Reopened => ("reopened", Some("reopened-child")),
        MessagePurpose::ContactRestriction => ("contact-restriction", Some("contact-restriction-child")),
        MessagePurpose::FinalResponseStands => ("final-response-stands", Some("final-response-stands-child")),
        MessagePurpose::StaffNotice => ("staff-notice", None),
        MessagePurpose::StaffClosureUpdate => ("staff-closure-update", None),
    };
    Some(match young {
        Some(name) if child => name,
        _ => adult,
    })
}

/// One point of complaint in a letter (R25), with its outcome in the final response (R34).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PointContext {
    pub summary: String,
    pub outcome_sought: String,
    /// Plain words ("upheld", "not upheld"…), in the final response only.
    pub outcome: Option<String>,
}

/// A printable letter's addressee (the complainant prefers letters, or gave no email address).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrintContext {
    pub name: Option<String>,
    /// The postal address on one line; `None` when it must be taken from the case record.
    pub address: Option<String>,
}

/// The variables of every letter. Dates are written for people ("Thursday 4 December 2025").
/// Fields a letter does not use are empty. Notes and points are staff's words (the response, the
/// news, the points agreed); they are escaped in the HTML and never reach a header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LetterContext {
    pub reference: String,
    /// The date of the letter.
    pub date: String,
    /// The name to greet, when it looks like a name; none greets "Dear customer" ("Hello" for a child).
    pub recipient_name: Option<String>,
    /// R56: the complainant is a child or young person.
    pub child: bool,
    /// R42: who deals with the complaint.
    pub handler: String,
    pub team: Option<String>,
    /// 1 or 2: the stage the letter is about.
    pub stage: u8,
    /// The outcome in plain words ("upheld", "partially upheld", "not upheld", "resolved").
    pub outcome: Option<String>,
    /// R34: why the overall outcome differs from the points' roll-up.
    pub override_reason: Option<String>,
    /// The response or the news, in staff's words.
    pub note: Option<String>,
    /// R16: the date by which the customer may normally ask for stage 2.
    pub escalation_deadline: Option<String>,
    pub escalation_months_after_event: u32,
    pub escalation_months_after_response: u32,
    /// R26: the stage 2 response date, and how many working days that is.
    pub stage2_response_due: Option<String>,
    pub stage2_working_days: u32,
    /// The response date now in force (after an extension or a reopening).
    pub response_due: Option<String>,
    /// The reason for an extension, an amendment, a reopening, a restriction or a withdrawal.
    pub reason: Option<String>,
    /// R25: the points of complaint and the outcomes sought.
    pub points: Vec<PointContext>,
    /// R4: where the person was directed, and why this is not a complaint (plain words).
    pub directed_to: Option<String>,
    pub not_a_complaint_reason: Option<String>,
    pub details: Option<String>,
    /// R54: what the restriction limits (plain words) and when it is reviewed.
    pub restriction: Option<String>,
    pub review_on: Option<String>,
    /// R59: the part of the response that concerns a member of staff involved.
    pub staff_part: Option<String>,
    /// R59: the case is at stage 2, where support and information are signposted.
    pub support_at_stage2: bool,
    /// True for a printed letter: it says "write to us" rather than "reply to this email".
    pub printed: bool,
    pub organisation: OrganisationContext,
}

/// The HTML layout's variables.
#[derive(Serialize)]
struct LayoutContext<'a> {
    title: &'a str,
    blocks: Vec<Block>,
    print: Option<&'a PrintContext>,
    date: &'a str,
    reference: &'a str,
    organisation: &'a OrganisationContext,
}

/// A block of the text letter: a heading (a line in capitals), a list item or a paragraph.
#[derive(Serialize)]
struct Block {
    kind: &'static str,
    lines: Vec<String>,
}

/// Splits a rendered text letter into blocks at blank lines: a one-line block in capitals is a
/// heading; a block whose lines start with `- ` is a list; anything else a paragraph (its lines
/// kept as line breaks).
fn blocks(text: &str) -> Vec<Block> {
    text.split("\n\n")
        .map(str::trim)
        .filter(|block| !block.is_empty())
        .map(|block| {
            let lines: Vec<&str> = block.lines().collect();
            let heading =
                lines.len() == 1 && block.chars().any(char::is_alphabetic) && !block.chars().any(char::is_lowercase);
            if heading {
                Block { kind: "heading", lines: vec![block.to_owned()] }
            } else if lines.iter().all(|line| line.starts_with("- ")) {
                Block { kind: "list", lines: lines.iter().map(|line| line[2..].to_owned()).collect() }
            } else {
                Block { kind: "paragraph", lines: lines.iter().map(|line| (*line).to_owned()).collect() }
            }
        })
        .collect()
}

impl Templates {
    /// Renders letter `name` ([`letter_name`]) with `context`: subject and text from the letter's
    /// templates, HTML from `letter.html.j2` laid out from the text. With `print`, the HTML is a
    /// printable letter headed with the addressee.
    ///
    /// # Errors
    /// [`TemplateError::Template`] naming the template that is missing or failed.
    pub fn letter(
        &self,
        name: &str,
        context: &LetterContext,
        print: Option<&PrintContext>,
    ) -> Result<RenderedMessage, TemplateError> {
        let subject = crate::message::one_line(&self.render_file(&format!("{name}.subject.j2"), context)?);
        let text = crate::templates::tidy(&self.render_file(&format!("{name}.txt.j2"), context)?);
        let layout = LayoutContext {
            title: &subject,
            blocks: blocks(&text),
            print,
            date: &context.date,
            reference: &context.reference,
            organisation: &context.organisation,
        };
        let html = self.render_file("letter.html.j2", &layout)?;
        Ok(RenderedMessage { subject, text, html })
    }

    /// The acknowledgement of a new complaint as a printable letter (the complainant prefers
    /// letters, R55): the acknowledgement's own templates with `printed` set (so it says "write to
    /// us" rather than "reply to this email"), laid out by `letter.html.j2` and headed with the
    /// addressee and `date`.
    ///
    /// # Errors
    /// As [`Templates::acknowledgement`].
    pub fn acknowledgement_letter(
        &self,
        case: &complaints_core::case::Case,
        config: &complaints_core::config::OrgConfig,
        date: &str,
        print: &PrintContext,
    ) -> Result<RenderedMessage, TemplateError> {
        let context = crate::templates::AcknowledgementContext::for_case(case, config)?;
        let printed =
            minijinja::context! { printed => true, ..minijinja::Value::from(minijinja::value::Serde(&context)) };
        let rendered = self.render(context.message_name(), &printed)?;
        let layout = LayoutContext {
            title: &rendered.subject,
            blocks: blocks(&rendered.text),
            print: Some(print),
            date,
            reference: &context.reference,
            organisation: &context.organisation,
        };
        let html = self.render_file("letter.html.j2", &layout)?;
        Ok(RenderedMessage { html, ..rendered })
    }

    /// The version of the SPSO block in use (R38): [`SPSO_BLOCK_VERSION`] for the built-in text,
    /// else `org-` and a hash of the organisation's own block files, so a changed block gets a
    /// new version without anyone having to remember to bump it.
    #[must_use]
    pub fn spso_block_version(&self) -> String {
        let overridden: Vec<&String> =
            self.overridden().iter().filter(|name| SPSO_BLOCK_FILES.contains(&name.as_str())).collect();
        if overridden.is_empty() {
            return SPSO_BLOCK_VERSION.to_owned();
        }
        // FNV-1a over the override texts: stable across builds and platforms.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for name in overridden {
            let source = self.source_of(name).unwrap_or_default();
            for byte in name.bytes().chain(source.bytes()) {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
        }
        format!("org-{hash:016x}")
    }

    /// Sample contexts that exercise every branch of the built-in letters, to check overrides
    /// when they are loaded.
    pub(crate) fn check_letters(&self) -> Result<(), TemplateError> {
        for purpose in ALL_LETTER_PURPOSES {
            for child in [false, true] {
                let Some(name) = letter_name(purpose, child) else { continue };
                for sample in LetterContext::samples() {
                    self.letter(name, &sample, None)?;
                }
            }
        }
        Ok(())
    }
}

/// Every purpose that has a letter.
pub const ALL_LETTER_PURPOSES: [MessagePurpose; 13] = [
    MessagePurpose::Stage1Response,
    MessagePurpose::Extension,
    MessagePurpose::Stage2Acknowledgement,
    MessagePurpose::PointsAmended,
    MessagePurpose::ProgressUpdate,
    MessagePurpose::FinalResponse,
    MessagePurpose::WithdrawalConfirmation,
    MessagePurpose::NotAComplaint,
    MessagePurpose::Reopened,
    MessagePurpose::ContactRestriction,
    MessagePurpose::FinalResponseStands,
    MessagePurpose::StaffNotice,
    MessagePurpose::StaffClosureUpdate,
];

impl LetterContext {
    /// Sample facts with every optional field empty, then with every one set.
    fn samples() -> Vec<Self> {
        let empty = Self {
            reference: "CMP-2025-00001".to_owned(),
            date: "Thursday 27 November 2025".to_owned(),
            recipient_name: None,
            child: false,
            handler: "Complaints Team".to_owned(),
            team: None,
            stage: 1,
            outcome: None,
            override_reason: None,
            note: None,
            escalation_deadline: None,
            escalation_months_after_event: 6,
            escalation_months_after_response: 2,
            stage2_response_due: None,
            stage2_working_days: 20,
            response_due: None,
            reason: None,
            points: Vec::new(),
            directed_to: None,
            not_a_complaint_reason: None,
            details: None,
            restriction: None,
            review_on: None,
            staff_part: None,
            support_at_stage2: false,
            printed: false,
            organisation: OrganisationContext {
                name: "Sample Council".to_owned(),
                email: "complaints@example.org".to_owned(),
                phone: None,
                address: None,
                website: None,
            },
        };
        let date = || Some("Thursday 4 December 2025".to_owned());
        let full = Self {
            recipient_name: Some("Sample Name".to_owned()),
            child: true,
            team: Some("Sample Team".to_owned()),
            stage: 2,
            outcome: Some("partially upheld".to_owned()),
            override_reason: Some("Sample reason".to_owned()),
            note: Some("Sample note".to_owned()),
            escalation_deadline: date(),
            stage2_response_due: date(),
            response_due: date(),
            reason: Some("Sample reason".to_owned()),
            points: vec![PointContext {
                summary: "Sample point".to_owned(),
                outcome_sought: "Sample outcome".to_owned(),
                outcome: Some("upheld".to_owned()),
            }],
            directed_to: Some("Sample service".to_owned()),
            not_a_complaint_reason: Some("a request for a service".to_owned()),
            details: Some("Sample details".to_owned()),
            restriction: Some("contact only by email".to_owned()),
            review_on: date(),
            staff_part: Some("Sample part".to_owned()),
            support_at_stage2: true,
            printed: true,
            organisation: OrganisationContext {
                name: "Sample Council".to_owned(),
                email: "complaints@example.org".to_owned(),
                phone: Some("0300 000 0000".to_owned()),
                address: Some("1 Sample Street, Sampletown".to_owned()),
                website: Some("https://example.org".to_owned()),
            },
            ..empty.clone()
        };
        vec![empty, full]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SPSO block as mchp-rules §5 lists it, word for word.
    const SPSO_BLOCK: &str = "THE SCOTTISH PUBLIC SERVICES OMBUDSMAN

The Scottish Public Services Ombudsman (SPSO) is the final stage for complaints about public services in Scotland. It is independent of us and free to use. You must normally ask the SPSO to look at your complaint within 12 months of when you first knew about the problem. The SPSO can only look at a complaint after it has been through our complaints procedure.

You can contact the SPSO:

- Online: www.spso.org.uk/complain/form
- Freephone: 0800 377 7330
- Post: Freepost SPSO (you do not need a stamp)
- In person: Bridgeside House, 99 McDonald Road, Edinburgh EH7 4NS
";

    /// The child-friendly SPSO block (R37, R56): the same facts and contact routes, word for word.
    const SPSO_BLOCK_CHILD: &str = "THE OMBUDSMAN

If you are still not happy, you can ask the Scottish Public Services Ombudsman (SPSO) to look at your complaint. The SPSO does not work for us. It is free. You need to ask them within 12 months of when you first knew about the problem. An adult you trust can help you do this.

You can contact the SPSO:

- Online: www.spso.org.uk/complain/form
- Freephone: 0800 377 7330
- Post: Freepost SPSO (you do not need a stamp)
- In person: Bridgeside House, 99 McDonald Road, Edinburgh EH7 4NS
";

    fn context() -> LetterContext {
        let mut samples = LetterContext::samples();
        let mut full = samples.pop().unwrap_or_else(|| unreachable!("two samples"));
        full.child = false;
        full.printed = false;
        full
    }

    fn render(templates: &Templates, purpose: MessagePurpose, context: &LetterContext) -> RenderedMessage {
        let name = letter_name(purpose, context.child).unwrap_or_else(|| unreachable!("a letter"));
        templates.letter(name, context, None).unwrap_or_else(|error| unreachable!("{name} renders: {error}"))
    }

    #[test]
    fn every_built_in_letter_and_child_variant_renders_with_every_sample() {
        Templates::builtin().check_letters().unwrap_or_else(|error| unreachable!("{error}"));
        for purpose in ALL_LETTER_PURPOSES {
            let adult = letter_name(purpose, false);
            assert!(adult.is_some(), "{purpose:?} has a letter");
            // Internal notices have no child variant; every other variant name is its own file.
            let child = letter_name(purpose, true);
            if purpose.is_internal() {
                assert_eq!(child, adult);
            } else {
                // R56: every letter to the complainant has its own child-friendly files.
                let (Some(adult), Some(child)) = (adult, child) else { unreachable!("{purpose:?} has a letter") };
                assert_eq!(child, format!("{adult}-child"), "{purpose:?}");
                for part in ["subject", "txt"] {
                    let file = format!("{child}.{part}.j2");
                    assert!(LETTER_TEMPLATES.iter().any(|(name, _)| *name == file), "{file} is built in");
                }
            }
        }
        assert_eq!(letter_name(MessagePurpose::Acknowledgement, false), None);
        assert_eq!(letter_name(MessagePurpose::FinalResponse, true), Some("final-response-child"));
    }

    #[test]
    fn every_letter_signposting_the_spso_carries_the_block_word_for_word() {
        let templates = Templates::builtin();
        for purpose in
            [MessagePurpose::FinalResponse, MessagePurpose::ContactRestriction, MessagePurpose::FinalResponseStands]
        {
            let letter = render(&templates, purpose, &context());
            assert!(letter.text.contains(SPSO_BLOCK), "{purpose:?}:\n{}", letter.text);
            assert!(letter.html.contains("<li>In person: Bridgeside House, 99 McDonald Road, Edinburgh EH7 4NS</li>"));
            assert!(letter.html.contains("How to contact us</h2>"), "{purpose:?}:\n{}", letter.html);
        }
        let mut child = context();
        child.child = true;
        for purpose in
            [MessagePurpose::FinalResponse, MessagePurpose::ContactRestriction, MessagePurpose::FinalResponseStands]
        {
            let letter = render(&templates, purpose, &child);
            assert!(letter.text.contains(SPSO_BLOCK_CHILD), "{purpose:?}:\n{}", letter.text);
            assert!(!letter.text.contains(SPSO_BLOCK), "{purpose:?} uses the child-friendly block");
            // The block's contact routes are a list and the next heading its own heading in the HTML.
            assert!(letter.html.contains("<li>In person: Bridgeside House, 99 McDonald Road, Edinburgh EH7 4NS</li>"));
            assert!(letter.html.contains("How to contact us</h2>"), "{purpose:?}:\n{}", letter.html);
        }
        assert_eq!(templates.spso_block_version(), SPSO_BLOCK_VERSION);
    }

    #[test]
    fn the_stage_one_response_gives_the_escalation_date_and_route() {
        let mut context = context();
        context.stage = 1;
        context.outcome = Some("not upheld".to_owned());
        let letter = render(&Templates::builtin(), MessagePurpose::Stage1Response, &context);
        assert!(letter.text.contains(
            "You can ask us to look at your complaint again at stage 2 of our complaints procedure, where it will be investigated. Please ask by Thursday 4 December 2025. If you ask later and there is a good reason, we will still consider it."
        ));
        assert!(letter.text.contains("We have decided that your complaint is not upheld."));
        assert_eq!(letter.subject, "Your complaint CMP-2025-00001: our stage 1 response");
    }

    fn child_context() -> LetterContext {
        LetterContext { child: true, ..context() }
    }

    #[test]
    fn a_child_is_told_in_short_sentences_what_changed_and_what_happens_next() {
        let templates = Templates::builtin();
        let child = child_context();
        // Each letter: its subject, and the sentences that say what happened, who helps and what next.
        let expected: [(MessagePurpose, &str, &[&str]); 6] = [
            (
                MessagePurpose::PointsAmended,
                "Your complaint CMP-2025-00001: a change to what we are looking at",
                &[
                    "We have changed what we are looking at in your complaint. Your reference is CMP-2025-00001.",
                    "WHY\n\nSample reason",
                    "WHAT WE WILL LOOK AT NOW\n\n- Sample point (you would like: Sample outcome)",
                    "If we have got anything wrong, please tell us. An adult you trust can help you do this.",
                    "Complaints Team is looking into it. We will give you our answer by Thursday 4 December 2025.",
                ],
            ),
            (
                MessagePurpose::WithdrawalConfirmation,
                "Your complaint CMP-2025-00001: we have stopped, as you asked",
                &[
                    "You asked us to stop looking at your complaint. We have done that. Your reference is CMP-2025-00001.",
                    "We have closed your complaint. We will not do anything more about it.",
                    "If you change your mind, please tell us. We will talk with you about what we can do. An adult you trust can help you do this.",
                ],
            ),
            (
                MessagePurpose::NotAComplaint,
                "Your message CMP-2025-00001: what happens next",
                &[
                    "Our complaints team cannot deal with it, because it is a request for a service.",
                    "Sample details",
                    "WHAT HAPPENS NEXT\n\nSample service",
                    "If you think we have got this wrong, please tell us. An adult you trust can help you do this.",
                ],
            ),
            (
                MessagePurpose::Reopened,
                "Your complaint CMP-2025-00001: we are looking at it again",
                &[
                    "We are looking at your complaint again. Your reference is CMP-2025-00001.",
                    "WHY\n\nSample reason",
                    "Complaints Team is looking into it. We will give you our new answer by Thursday 4 December 2025.",
                ],
            ),
            (
                MessagePurpose::ContactRestriction,
                "How you contact us about CMP-2025-00001",
                &[
                    "We have decided to limit how you contact us: contact only by email. A manager agreed to this.",
                    "WHY\n\nSample reason",
                    "We will look at this decision again by Thursday 4 December 2025. We will write to you then.",
                    "You can ask us to look at this decision again. Please write to us and tell us why you think it is wrong.",
                    "The ombudsman can also look at how we have dealt with you.",
                ],
            ),
            (
                MessagePurpose::FinalResponseStands,
                "Your complaint CMP-2025-00001: our final answer has not changed",
                &[
                    "We have already given you our final answer. It has not changed. We cannot look at your complaint again.",
                ],
            ),
        ];
        for (purpose, subject, sentences) in expected {
            let letter = render(&templates, purpose, &child);
            assert_eq!(letter.subject, subject, "{purpose:?}");
            assert!(letter.text.starts_with("Hello Sample Name,\n"), "{purpose:?}:\n{}", letter.text);
            assert!(!letter.text.contains("Dear"), "{purpose:?}:\n{}", letter.text);
            for sentence in sentences {
                assert!(letter.text.contains(sentence), "{purpose:?}: expected {sentence:?} in:\n{}", letter.text);
            }
            // The adult letter says it differently: the child variant is really the one chosen.
            let adult = render(&templates, purpose, &context());
            assert_ne!(adult.text, letter.text, "{purpose:?}");
            assert!(adult.text.starts_with("Dear Sample Name,\n"), "{purpose:?}");
        }
    }

    #[test]
    fn the_final_response_stands_letter_to_a_child_is_exactly_these_words() {
        let mut child = child_context();
        child.recipient_name = None;
        let letter = render(&Templates::builtin(), MessagePurpose::FinalResponseStands, &child);
        let expected = format!(
            "Hello,

Thank you for your message about your complaint. Your reference is CMP-2025-00001.

We have already given you our final answer. It has not changed. We cannot look at your complaint again.

{SPSO_BLOCK_CHILD}
HOW TO CONTACT US

Reply to this email, quoting your reference CMP-2025-00001.
Phone: 0300 000 0000

If you would like this letter in another format (for example large print, Braille or audio) or in another language, please tell us.

Yours sincerely,

Complaints Team, Sample Team
Sample Council
"
        );
        assert_eq!(letter.text, expected);
    }

    #[test]
    fn staff_words_in_a_child_letter_are_escaped_in_the_html() {
        let templates = Templates::builtin();
        let hostile = "<script>alert(1)</script> & \u{202e}gnp.exe".to_owned();
        let mut child = child_context();
        child.reason = Some(hostile.clone());
        child.details = Some(hostile.clone());
        child.directed_to = Some(hostile.clone());
        child.points[0].summary = hostile;
        for purpose in [
            MessagePurpose::PointsAmended,
            MessagePurpose::WithdrawalConfirmation,
            MessagePurpose::NotAComplaint,
            MessagePurpose::Reopened,
            MessagePurpose::ContactRestriction,
            MessagePurpose::FinalResponseStands,
        ] {
            let letter = render(&templates, purpose, &child);
            assert!(!letter.html.contains("<script>"), "{purpose:?}:\n{}", letter.html);
            assert!(!letter.text.contains('\u{202e}') && !letter.html.contains('\u{202e}'), "{purpose:?}");
        }
        for purpose in [
            MessagePurpose::PointsAmended,
            MessagePurpose::NotAComplaint,
            MessagePurpose::Reopened,
            MessagePurpose::ContactRestriction,
        ] {
            assert!(render(&templates, purpose, &child).html.contains("&lt;script&gt;"), "{purpose:?}");
        }
    }

    #[test]
    fn staff_words_are_escaped_in_the_html_letter_and_hidden_controls_shown() {
        let mut context = context();
        context.note = Some("<script>alert(1)</script> & \u{202e}gnp.exe".to_owned());
        let letter = render(&Templates::builtin(), MessagePurpose::ProgressUpdate, &context);
        assert!(!letter.html.contains("<script>"), "{}", letter.html);
        assert!(letter.html.contains("&lt;script&gt;"));
        assert!(!letter.text.contains('\u{202e}') && !letter.html.contains('\u{202e}'));
    }

    #[test]
    fn a_printed_letter_is_headed_with_the_addressee_and_asks_for_a_letter_back() {
        let mut context = context();
        context.printed = true;
        let print = PrintContext { name: Some("Morag Campbell".to_owned()), address: Some("12 Brae Road".to_owned()) };
        let letter = Templates::builtin()
            .letter("withdrawal-confirmation", &context, Some(&print))
            .unwrap_or_else(|error| unreachable!("{error}"));
        assert!(letter.html.contains("Morag Campbell<br>12 Brae Road"), "{}", letter.html);
        assert!(letter.text.contains("Write to us at 1 Sample Street, Sampletown or email complaints@example.org"));
        assert!(!letter.text.contains("Reply to this email"));
    }

    #[test]
    fn a_printed_letter_without_an_organisation_email_asks_only_for_a_letter() {
        let mut context = context();
        context.printed = true;
        context.organisation.email = String::new();
        let letter = Templates::builtin()
            .letter("withdrawal-confirmation", &context, None)
            .unwrap_or_else(|error| unreachable!("{error}"));
        assert!(
            letter.text.contains("Write to us at 1 Sample Street, Sampletown, quoting your reference"),
            "{}",
            letter.text
        );
        assert!(!letter.text.contains("or email"), "{}", letter.text);
    }

    #[test]
    fn an_organisation_file_replaces_a_built_in_letter_and_its_own_spso_block_gets_its_own_version() {
        let dir = tempfile::tempdir().unwrap_or_else(|error| unreachable!("{error}"));
        let write = |name: &str, text: &str| {
            std::fs::write(dir.path().join(name), text).unwrap_or_else(|error| unreachable!("{error}"));
        };
        write("withdrawal-confirmation.txt.j2", "Closed as you asked: {{ reference }}.\n");
        write("spso-block.txt.j2", "ASK THE SPSO\n\nFreephone 0800 377 7330; www.spso.org.uk/complain/form.\n");
        let templates = Templates::with_overrides(dir.path()).unwrap_or_else(|error| unreachable!("{error}"));
        let letter = render(&templates, MessagePurpose::WithdrawalConfirmation, &context());
        assert_eq!(letter.text, "Closed as you asked: CMP-2025-00001.\n");
        // A child-friendly variant is overridden by its own file name; the adult letter is untouched.
        write("reopened-child.txt.j2", "Hi! We are looking again at {{ reference }}.\n");
        let templates = Templates::with_overrides(dir.path()).unwrap_or_else(|error| unreachable!("{error}"));
        let child = LetterContext { child: true, ..context() };
        assert_eq!(
            render(&templates, MessagePurpose::Reopened, &child).text,
            "Hi! We are looking again at CMP-2025-00001.\n"
        );
        assert!(render(&templates, MessagePurpose::Reopened, &context()).text.starts_with("Dear Sample Name,"));
        let version = templates.spso_block_version();
        assert!(version.starts_with("org-") && version != SPSO_BLOCK_VERSION, "{version}");
        assert!(render(&templates, MessagePurpose::FinalResponse, &context()).text.contains("ASK THE SPSO"));
        // Another text, another version.
        write("spso-block.txt.j2", "ASK THE OMBUDSMAN\n");
        let changed = Templates::with_overrides(dir.path()).unwrap_or_else(|error| unreachable!("{error}"));
        assert_ne!(changed.spso_block_version(), version);
    }

    #[test]
    fn a_broken_letter_override_is_refused_when_loaded_naming_the_file() {
        let dir = tempfile::tempdir().unwrap_or_else(|error| unreachable!("{error}"));
        std::fs::write(dir.path().join("extension.txt.j2"), "New date: {{ new_due_date }}\n")
            .unwrap_or_else(|error| unreachable!("{error}"));
        let error = Templates::with_overrides(dir.path()).err().map(|error| error.to_string()).unwrap_or_default();
        assert!(error.contains("extension.txt.j2"), "{error}");
    }
}
