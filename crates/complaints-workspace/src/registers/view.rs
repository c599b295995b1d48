//! Rendering the registers' pages in the staff layout (`crate::layout`): the registers' own
//! templates extend `staff_layout.html` and use `macros.html` (the citizen form's), so they share the header,
//! navigation, escaping (hidden characters made visible, then HTML-escaped) and the
//! `Cache-Control: no-store` answer of every workspace page.

use std::sync::LazyLock;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use minijinja::Value;

use crate::WorkspaceState;
use crate::layout::{PageFrame, Section, StaffPages, message_page};
use crate::session::SignedIn;

/// The registers' templates by name. Each is rendered by the page tests (tests/registers_pages.rs).
const TEMPLATES: &[(&str, &str)] = &[
    ("registers/parts.html", include_str!("../../templates/registers/parts.html")),
    ("registers/learning.html", include_str!("../../templates/registers/learning.html")),
    ("registers/spso.html", include_str!("../../templates/registers/spso.html")),
    ("registers/flagged.html", include_str!("../../templates/registers/flagged.html")),
    ("registers/quality.html", include_str!("../../templates/registers/quality.html")),
    ("registers/quality_review.html", include_str!("../../templates/registers/quality_review.html")),
];

static PAGES: LazyLock<StaffPages> = LazyLock::new(|| StaffPages::new(TEMPLATES));

/// Renders `name` with `ctx` in the layout, `section` current in the navigation, and an optional
/// success banner.
pub fn page(
    state: &WorkspaceState,
    signed_in: &SignedIn,
    section: Section,
    status: StatusCode,
    name: &str,
    ctx: Value,
    banner: Option<&str>,
) -> Response {
    let mut frame = PageFrame::new(state, Some(signed_in), section);
    if let Some(banner) = banner {
        frame = frame.with_banner(banner);
    }
    PAGES.render(status, name, &frame, ctx)
}

/// A short page with a heading and one paragraph (refusals, store failures).
pub fn message(
    state: &WorkspaceState,
    signed_in: &SignedIn,
    status: StatusCode,
    heading: &str,
    text: &str,
) -> Response {
    let frame = PageFrame::new(state, Some(signed_in), Section::None);
    message_page(status, &frame, heading, &[text], None)
}

/// Marks a response (a redirect after a change) as never to be stored.
pub fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
