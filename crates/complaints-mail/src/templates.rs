//! The organisation's message templates: built-in plain-English defaults that an organisation can
//! override from a folder. SKELETON: signatures STABLE; real templates being built.

use std::path::Path;

use complaints_core::case::Case;
use complaints_core::config::OrgConfig;

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
    Io { path: String, #[source] source: std::io::Error },
}

/// The template set.
#[derive(Debug, Clone, Default)]
pub struct Templates {}

impl Templates {
    /// The built-in templates.
    #[must_use]
    pub fn builtin() -> Self {
        Self {}
    }

    /// The built-in templates with any of them overridden by files in `dir`.
    ///
    /// # Errors
    /// [`TemplateError`] when a file cannot be read or does not compile.
    pub fn with_overrides(_dir: &Path) -> Result<Self, TemplateError> {
        Ok(Self {})
    }

    /// The acknowledgement of a new complaint: reference, what happens next, due date, handler,
    /// how to escalate, how to ask for another format. Child-friendly wording when a child is involved.
    ///
    /// # Errors
    /// [`TemplateError::Template`] when rendering fails.
    pub fn acknowledgement(&self, case: &Case, config: &OrgConfig) -> Result<RenderedMessage, TemplateError> {
        let subject = format!("We have received your complaint: {}", case.reference());
        let text = format!("Your reference is {}. A response is due by {}.", case.reference(), case.stage1_due());
        let _ = config;
        Ok(RenderedMessage { subject, html: format!("<p>{}</p>", text), text })
    }
}
