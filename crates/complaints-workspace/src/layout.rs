//! The staff page layout every workspace page shares (header with the organisation, who is signed
//! in and a sign-out form; the navigation; a skip link; one main landmark), the page templates'
//! environment (auto-escaped, hidden characters made visible as on the citizen pages) and the
//! HTML response every page is sent as (`Cache-Control: no-store`: case pages hold personal data
//! and must not stay in a shared or back-button cache).
//!
//! A module renders its pages with its own [`StaffPages`] (built once, e.g. in a `LazyLock`) from
//! its own templates, which `{% extends "staff_layout.html" %}` and may
//! `{% import "macros.html" as f %}` (the citizen form's macros); it passes a [`PageFrame`] saying who is signed in and
//! which navigation item is current.

use std::sync::LazyLock;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use complaints_core::text::neutralise;
use minijinja::{Environment, Value, context};
use serde::Serialize;

use crate::WorkspaceState;
use crate::session::SignedIn;

/// The layout and the form macros, available to every module's templates.
const SHARED_TEMPLATES: [(&str, &str); 3] = [
    ("staff_layout.html", include_str!("../templates/staff_layout.html")),
    // The citizen form's building blocks, one set for both (complaints-web's `macros.html`).
    ("macros.html", complaints_web::pages::MACROS),
    ("staff_message.html", include_str!("../templates/staff_message.html")),
];

/// The staff additions to the citizen stylesheet.
const STAFF_STYLES: &str = include_str!("../assets/staff.css");

/// The stylesheet served at `/staff/assets/staff.css`: the citizen form's, then the staff
/// additions, in one file (the staff function on AWS serves no citizen assets).
pub static STYLESHEET: LazyLock<String> =
    LazyLock::new(|| format!("{}\n{STAFF_STYLES}", complaints_web::pages::STYLESHEET));

/// Where the stylesheet is served, under [`crate::PREFIX`].
pub const STYLESHEET_PATH: &str = "/assets/staff.css";

/// The workspace's sections, one per navigation item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Dashboard,
    Cases,
    LogComplaint,
    Learning,
    Spso,
    Flagged,
    Quality,
    /// A page that is none of them (sign-in, errors).
    None,
}

/// The navigation, in order: the section, its label and its path under [`crate::PREFIX`].
pub const NAV: [(Section, &str, &str); 7] = [
    (Section::Dashboard, "Dashboard", "/"),
    (Section::Cases, "Cases", "/cases"),
    (Section::LogComplaint, "Log a complaint", "/cases/new"),
    (Section::Learning, "Learning actions", "/learning"),
    (Section::Spso, "SPSO referrals", "/spso"),
    (Section::Flagged, "Flagged", "/flagged"),
    (Section::Quality, "Quality check", "/quality"),
];

/// One navigation link.
#[derive(Debug, Clone, Serialize)]
pub struct NavItem {
    pub label: &'static str,
    pub href: String,
    pub current: bool,
}

/// Who is signed in, as the header shows it.
#[derive(Debug, Clone, Serialize)]
pub struct HeaderUser {
    pub name: String,
    pub role: &'static str,
}

/// What the layout needs to know about a page: the organisation, who is signed in (none on the
/// sign-in page), the CSRF token for the sign-out form, the current section, and an optional
/// success banner.
#[derive(Debug, Clone, Serialize)]
pub struct PageFrame {
    pub org_name: String,
    pub prefix: &'static str,
    pub user: Option<HeaderUser>,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    pub banner: Option<String>,
}

impl PageFrame {
    /// The frame of a page in `section`, for `signed_in` (or nobody).
    #[must_use]
    pub fn new(state: &WorkspaceState, signed_in: Option<&SignedIn>, section: Section) -> Self {
        let nav = NAV
            .iter()
            .map(|(item, label, path)| NavItem {
                label,
                href: format!("{}{path}", crate::PREFIX),
                current: *item == section,
            })
            .collect();
        Self {
            org_name: state.staff.config.organisation.name.clone(),
            prefix: crate::PREFIX,
            user: signed_in.map(|s| HeaderUser { name: s.user.name.clone(), role: s.user.role.as_str() }),
            csrf: signed_in.map(|s| s.csrf.clone()).unwrap_or_default(),
            nav,
            banner: None,
        }
    }

    /// The same frame with a success banner at the top of the main content.
    #[must_use]
    pub fn with_banner(mut self, banner: impl Into<String>) -> Self {
        self.banner = Some(banner.into());
        self
    }
}

/// A serialisable value as a template value.
#[must_use]
pub fn ser<T: Serialize>(value: T) -> Value {
    Value::from(minijinja::value::Serde(value))
}

/// The templates of one part of the workspace, with the shared layout and macros.
#[derive(Debug)]
pub struct StaffPages {
    env: Environment<'static>,
}

impl StaffPages {
    /// An environment holding the shared templates and `pages` (name, source). Templates compile
    /// on first use; each module's tests should render every page once.
    #[must_use]
    pub fn new(pages: &'static [(&'static str, &'static str)]) -> Self {
        let mut env = Environment::new();
        // As on the citizen pages: characters that could hide or reorder text are made visible,
        // then the value is HTML-escaped (every template name ends in .html).
        env.set_formatter(|out, state, value| match value.as_str() {
            Some(text) if value.is_safe() => {
                minijinja::escape_formatter(out, state, &Value::from_safe_string(neutralise(text).into_owned()))
            }
            Some(text) => minijinja::escape_formatter(out, state, &Value::from(neutralise(text).as_ref())),
            None => minijinja::escape_formatter(out, state, value),
        });
        env.set_loader(move |name| {
            Ok(SHARED_TEMPLATES
                .iter()
                .chain(pages.iter())
                .find(|(page, _)| *page == name)
                .map(|(_, source)| (*source).to_owned()))
        });
        Self { env }
    }

    /// Renders template `name` with `ctx` and the frame (as `page`) to an HTML string.
    ///
    /// # Errors
    /// The template's error.
    pub fn render_string(&self, name: &str, frame: &PageFrame, ctx: Value) -> Result<String, minijinja::Error> {
        let ctx = context! { page => crate::layout::ser(frame), ..ctx };
        self.env.get_template(name)?.render(ctx)
    }

    /// Renders template `name` as a page with `status`; a template failure is logged and answered
    /// with a plain 500 page.
    #[must_use]
    pub fn render(&self, status: StatusCode, name: &str, frame: &PageFrame, ctx: Value) -> Response {
        match self.render_string(name, frame, ctx) {
            Ok(body) => html(status, body),
            Err(error) => {
                tracing::error!(error = %error, template = name, "staff page failed to render");
                html(StatusCode::INTERNAL_SERVER_ERROR, complaints_web::pages::BARE_500.to_owned())
            }
        }
    }
}

/// The shared pages (a heading and paragraphs: not found, refused, conflicts).
static SHARED: LazyLock<StaffPages> = LazyLock::new(|| StaffPages::new(&[]));

/// A plain page in the layout: a heading, paragraphs and an optional link back.
#[must_use]
pub fn message_page(
    status: StatusCode,
    frame: &PageFrame,
    heading: &str,
    paragraphs: &[&str],
    link: Option<(&str, &str)>,
) -> Response {
    SHARED.render(
        status,
        "staff_message.html",
        frame,
        context! {
            heading,
            paragraphs => crate::layout::ser(paragraphs),
            link => link.map(|(href, text)| context! { href, text }),
        },
    )
}

/// An HTML response that no cache keeps, with the workspace's security headers.
#[must_use]
pub fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    no_store(headers);
    response
}

/// Marks a response as not to be stored by any cache, nor framed, nor sniffed; pages load only
/// their own stylesheet and post forms only to the workspace.
pub fn no_store(headers: &mut axum::http::HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
}

/// Marks a response that holds nothing personal and may be kept by the browser (the stylesheet):
/// the router's security headers leave its `Cache-Control` alone instead of `no-store`.
#[derive(Debug, Clone, Copy)]
pub struct PublicAsset;

/// `GET /staff/assets/staff.css`.
pub async fn stylesheet() -> Response {
    let mut response = STYLESHEET.as_str().into_response();
    response.extensions_mut().insert(PublicAsset);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    response
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use complaints_app::staff::{MemoryAuditLog, StaffActions, StaffUser};
    use complaints_app::testing::{MemoryCaseStore, RecordingMailer, intake_service};
    use complaints_app::testing_read::MemoryLearningStore;
    use complaints_core::roles::Role;

    use super::*;
    use crate::session::FixedSessions;

    fn state() -> WorkspaceState {
        let store = Arc::new(MemoryCaseStore::new());
        let now = "2026-12-01T10:00:00Z".parse().expect("instant");
        let intake = intake_service(store.clone(), Arc::new(RecordingMailer::new()), now);
        WorkspaceState {
            staff: StaffActions::from_intake(&intake, Arc::new(MemoryAuditLog::new())),
            indexes: store.clone(),
            queries: store,
            learning: Arc::new(MemoryLearningStore::new()),
            sessions: Arc::new(FixedSessions(None)),
            quality: Arc::new(complaints_app::testing_registers::MemoryQualityStore::default()),
            flags: Arc::new(complaints_app::testing_registers::MemoryFlagStore::default()),
            held_mail: Arc::new(complaints_app::held_mail::MemoryHeldMail::new()),
            staff_items: Arc::new(complaints_app::testing::MemoryCaseStore::new()),
        }
    }

    fn signed_in() -> SignedIn {
        let user =
            StaffUser { id: "h1".to_owned(), name: "Hana <Handler>".to_owned(), role: Role::Handler, email: None };
        SignedIn { user, csrf: "token-123".to_owned() }
    }

    #[test]
    fn a_page_shows_who_is_signed_in_a_sign_out_form_and_the_current_section() {
        let state = state();
        let frame = PageFrame::new(&state, Some(&signed_in()), Section::Cases).with_banner("Saved.");
        let html = message_page(StatusCode::OK, &frame, "Heading", &["One."], None);
        assert_eq!(html.headers().get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()), Some("no-store"));
        let body = SHARED
            .render_string("staff_message.html", &frame, context! { heading => "Heading", paragraphs => ["One."] })
            .expect("renders")
            .replace("&#x2f;", "/");
        assert!(body.contains("Hana &lt;Handler&gt;"), "{body}");
        assert!(body.contains(r#"<form class="staff-header__signout" method="post" action="/staff/sign-out">"#));
        assert!(body.contains(r#"name="csrf" value="token-123""#));
        assert!(body.contains(r#"href="/staff/cases" aria-current="page">Cases</a>"#), "{body}");
        assert!(body.contains(r#"<main id="main""#) && body.contains(r##"href="#main""##));
        assert!(body.contains("Saved."));
    }

    #[test]
    fn a_page_for_nobody_has_no_navigation_or_sign_out() {
        let state = state();
        let frame = PageFrame::new(&state, None, Section::None);
        let body =
            SHARED.render_string("staff_message.html", &frame, context! { heading => "Sign in" }).expect("renders");
        assert!(!body.contains("sign-out") && !body.contains("staff-nav"), "{body}");
    }

    #[test]
    fn the_stylesheet_is_the_citizen_one_followed_by_the_staff_additions() {
        assert!(STYLESHEET.starts_with(complaints_web::pages::STYLESHEET));
        assert!(STYLESHEET.contains(".staff-nav"));
    }
}
