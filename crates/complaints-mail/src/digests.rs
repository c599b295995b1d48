//! Staff digests as HTML (the breach scan's deadline digest, docs/breach-scan.md): built-in
//! templates rendered by the same engine and formatter as the messages ([`crate::templates`]), so
//! every value is HTML-escaped, and characters that could hide text are made visible, whatever a
//! case holds. The digest's text part stays plain text, written by the scan.

use serde::Serialize;

use crate::templates::{TemplateError, Templates};

/// The deadline digest's HTML template.
pub const DEADLINE_DIGEST_HTML: &str = "deadline-digest.html.j2";

/// The built-in digest templates, by name.
pub const DIGEST_TEMPLATES: &[(&str, &str)] =
    &[(DEADLINE_DIGEST_HTML, include_str!("../templates/digests/deadline-digest.html.j2"))];

/// One alert's row of the deadline digest, as the scan words it.
#[derive(Debug, Clone, Serialize)]
pub struct DeadlineRow {
    /// The case's page in the staff workspace.
    pub link: String,
    pub reference: String,
    pub stage: String,
    pub clock: String,
    pub due: String,
    /// Working days left or over.
    pub days: String,
    pub service_area: String,
    pub level: String,
}

#[derive(Serialize)]
struct DeadlineDigest<'a> {
    today: &'a str,
    rows: &'a [DeadlineRow],
}

/// The deadline digest's HTML for `today` with `rows` in their order.
///
/// # Errors
/// [`TemplateError::Template`]: the built-in template did not render (a defect, caught by the
/// tests).
pub fn deadline_digest_html(today: &str, rows: &[DeadlineRow]) -> Result<String, TemplateError> {
    Templates::builtin().render_file(DEADLINE_DIGEST_HTML, &DeadlineDigest { today, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(service_area: &str) -> DeadlineRow {
        DeadlineRow {
            link: "https://staff.example.org/staff/cases/CMP-2026-00001".to_owned(),
            reference: "CMP-2026-00001".to_owned(),
            stage: "stage 1".to_owned(),
            clock: "response".to_owned(),
            due: "2026-01-16".to_owned(),
            days: "2 working days left".to_owned(),
            service_area: service_area.to_owned(),
            level: "due soon".to_owned(),
        }
    }

    #[test]
    fn every_value_is_escaped_and_hidden_text_made_visible() {
        let html =
            deadline_digest_html("2026-01-14", &[row("<b onclick=\"x\">Bins & 'co'</b>\u{202e}")]).expect("renders");
        assert!(html.contains("<td>&lt;b onclick=&quot;x&quot;&gt;Bins &amp; &#x27;co&#x27;&lt;&#x2f;b&gt;"), "{html}");
        assert!(!html.contains('\u{202e}'), "a right-to-left override is shown, not obeyed: {html}");
        assert!(html.starts_with("<!doctype html>") && html.ends_with("</html>"), "{html}");
    }

    #[test]
    fn a_digest_has_one_row_per_alert_in_order() {
        let rows = [row("Housing"), row("Roads")];
        let html = deadline_digest_html("2026-01-14", &rows).expect("renders");
        assert_eq!(html.matches("<tr><td>").count(), 2, "{html}");
        assert!(html.find("Housing") < html.find("Roads"), "{html}");
    }
}
