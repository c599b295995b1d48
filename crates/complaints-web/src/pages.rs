//! The HTML pages: minijinja templates compiled into the binary, auto-escaped (every template name
//! ends in `.html`), and the CSS.

use complaints_core::config::OrgConfig;
use complaints_core::text::neutralise;
use minijinja::{Environment, Value, context};
use serde::Serialize;

use crate::form::{CHILD_CHOICES, ComplaintForm, FieldErrors};

/// How to contact the organisation, shown wherever a page says "contact us" (from
/// `[organisation] phone`, `email` and `address`; at least one is always set).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ContactDetails {
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
}

impl ContactDetails {
    #[must_use]
    pub fn from_config(config: &OrgConfig) -> Self {
        let organisation = &config.organisation;
        Self {
            phone: organisation.contact_phone().map(str::to_owned),
            email: organisation.contact_email().map(str::to_owned),
            address: organisation.contact_address().map(str::to_owned),
        }
    }
}

/// The stylesheet served at `/assets/style.css`.
pub const STYLESHEET: &str = include_str!("../assets/style.css");

/// What a page could fail with. Only ever logged; the citizen sees a plain 500 page.
#[derive(Debug, thiserror::Error)]
#[error("page template failed: {0}")]
pub struct PageError(#[from] minijinja::Error);

/// The last resort when even the 500 template cannot render.
pub const BARE_500: &str = "<!DOCTYPE html><html lang=\"en-GB\"><title>Sorry, there is a problem with the service</title>\
<h1>Sorry, there is a problem with the service</h1><p>Try again later. Nothing you sent has been shown to anyone.</p></html>";

/// The page for a service that cannot take requests for a moment (no templates needed).
pub const BARE_503: &str = "<!DOCTYPE html><html lang=\"en-GB\"><title>Sorry, the service is unavailable</title>\
<h1>Sorry, the service is unavailable</h1><p>Try again in a few minutes. Nothing you sent has been lost: \
if you were sending a complaint, go back in your browser and send it again.</p></html>";

/// The form building blocks (labels, hints, errors, the error summary, choices, dates, tags):
/// one set for the citizen form and the staff workspace, which loads it as `macros.html` too.
pub const MACROS: &str = include_str!("../templates/macros.html");

/// The page templates, compiled into the binary.
const PAGE_TEMPLATES: [(&str, &str); 8] = [
    ("layout.html", include_str!("../templates/layout.html")),
    ("contact.html", include_str!("../templates/contact.html")),
    ("macros.html", MACROS),
    ("form.html", include_str!("../templates/form.html")),
    ("confirmation.html", include_str!("../templates/confirmation.html")),
    ("problem.html", include_str!("../templates/problem.html")),
    ("mail_folder.html", include_str!("../templates/mail_folder.html")),
    ("mail_folder_message.html", include_str!("../templates/mail_folder_message.html")),
];

/// The page templates, each compiled the first time a page needs it (the Lambda never shows the
/// mail folder pages, and its first request should not wait for pages it is not showing). A template
/// that does not compile is a bug: the tests compile every one.
#[derive(Debug)]
pub struct Pages {
    env: Environment<'static>,
}

impl Pages {
    /// The built-in templates.
    ///
    /// # Errors
    /// None today: templates compile on first use. Kept so that a future eager check can report.
    pub fn builtin() -> Result<Self, PageError> {
        let mut env = Environment::new();
        // Every value a page prints passes through here: characters that could hide or reorder
        // text (bidirectional overrides, zero-width spaces, control characters) are made
        // visible, then the value is HTML-escaped as usual. Safe values (macro output) stay safe.
        env.set_formatter(|out, state, value| match value.as_str() {
            Some(text) if value.is_safe() => {
                minijinja::escape_formatter(out, state, &Value::from_safe_string(neutralise(text).into_owned()))
            }
            Some(text) => minijinja::escape_formatter(out, state, &Value::from(neutralise(text).as_ref())),
            None => minijinja::escape_formatter(out, state, value),
        });
        env.set_loader(|name| {
            Ok(PAGE_TEMPLATES.iter().find(|(page, _)| *page == name).map(|(_, source)| (*source).to_owned()))
        });
        Ok(Self { env })
    }

    /// Renders a template with `ctx`.
    ///
    /// # Errors
    /// [`PageError`] when rendering fails.
    pub fn render(&self, name: &str, ctx: Value) -> Result<String, PageError> {
        Ok(self.env.get_template(name)?.render(ctx)?)
    }

    /// The complaint form, blank or with the answers and their problems.
    ///
    /// # Errors
    /// [`PageError`] when rendering fails.
    pub fn form(
        &self,
        org_name: &str,
        service_areas: &[String],
        form: &ComplaintForm,
        token: &str,
        errors: &FieldErrors,
    ) -> Result<String, PageError> {
        let service_options: Vec<[&str; 3]> = service_areas.iter().map(|a| [a.as_str(), a.as_str(), ""]).collect();
        let child_options: Vec<[&str; 3]> = CHILD_CHOICES.iter().map(|(v, l)| [*v, *l, ""]).collect();
        let errmap: std::collections::BTreeMap<&str, &str> =
            errors.0.iter().map(|e| (e.field, e.message.as_str())).collect();
        self.render(
            "form.html",
            context! {
                org_name,
                form => Value::from(minijinja::value::Serde(form)),
                token,
                errors => Value::from(minijinja::value::Serde(&errors.0)),
                errmap => Value::from(minijinja::value::Serde(&errmap)),
                has_errors => !errors.is_empty(),
                service_options => Value::from(minijinja::value::Serde(&service_options)),
                child_options => Value::from(minijinja::value::Serde(&child_options)),
                stage1_days => complaints_core::policy::STAGE1_WORKING_DAYS,
                stage2_days => complaints_core::policy::STAGE2_WORKING_DAYS,
            },
        )
    }

    /// A plain page with a heading and paragraphs (404, 413, 429, 500, expired links), and how to
    /// contact us when `contact` is given.
    ///
    /// # Errors
    /// [`PageError`] when rendering fails.
    pub fn problem(
        &self,
        org_name: &str,
        heading: &str,
        paragraphs: &[&str],
        contact: Option<&ContactDetails>,
    ) -> Result<String, PageError> {
        self.render(
            "problem.html",
            context! {
                org_name,
                heading,
                paragraphs => Value::from(minijinja::value::Serde(paragraphs)),
                contact => contact.map(|c| Value::from(minijinja::value::Serde(c))),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_template_compiles() {
        let pages = Pages::builtin().expect("pages");

        for (name, _) in PAGE_TEMPLATES {
            assert!(pages.env.get_template(name).is_ok(), "{name}: {:?}", pages.env.get_template(name).err());
        }
    }

    #[test]
    fn citizen_text_on_a_page_shows_hidden_controls_and_stays_escaped() {
        let pages = Pages::builtin().expect("pages");
        let heading = "Jo\u{202e}gpj.exe <b>";
        let html = pages.problem("Council", heading, &[], None).expect("renders");
        assert!(html.contains("<h1 class=\"heading-xl\">Jo\u{fffd}gpj.exe &lt;b&gt;</h1>"), "{html}");
        assert!(!html.contains('\u{202e}'));
    }
}
