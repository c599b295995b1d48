//! Rendering the registers' pages: minijinja templates compiled into the binary, auto-escaped,
//! every printed value first passed through the core's `neutralise` (as the citizen pages do),
//! and each response sent with `Cache-Control: no-store` (staff pages hold personal data).

use std::sync::OnceLock;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use complaints_core::text::neutralise;
use minijinja::{Environment, Value};

/// The registers' templates by name. The form building blocks are the citizen form's own.
const TEMPLATES: &[(&str, &str)] = &[
    ("macros.html", include_str!("../../../complaints-web/templates/macros.html")),
    ("registers/layout.html", include_str!("../../templates/registers/layout.html")),
    ("registers/parts.html", include_str!("../../templates/registers/parts.html")),
    ("registers/learning.html", include_str!("../../templates/registers/learning.html")),
    ("registers/spso.html", include_str!("../../templates/registers/spso.html")),
    ("registers/flagged.html", include_str!("../../templates/registers/flagged.html")),
    ("registers/quality.html", include_str!("../../templates/registers/quality.html")),
    ("registers/quality_review.html", include_str!("../../templates/registers/quality_review.html")),
    ("registers/message.html", include_str!("../../templates/registers/message.html")),
];

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        // Characters that could hide or reorder text are made visible, then the value is escaped.
        env.set_formatter(|out, state, value| match value.as_str() {
            Some(text) if value.is_safe() => {
                minijinja::escape_formatter(out, state, &Value::from_safe_string(neutralise(text).into_owned()))
            }
            Some(text) => minijinja::escape_formatter(out, state, &Value::from(neutralise(text).as_ref())),
            None => minijinja::escape_formatter(out, state, value),
        });
        env.set_loader(|name| {
            Ok(TEMPLATES.iter().find(|(page, _)| *page == name).map(|(_, source)| (*source).to_owned()))
        });
        env
    })
}

/// Renders `name` with `ctx` as an HTML response with `status`; a template failure is logged and
/// answered with a plain 500 (never the error text, which could quote data).
pub fn page(status: StatusCode, name: &str, ctx: Value) -> Response {
    match environment().get_template(name).and_then(|t| t.render(ctx)) {
        Ok(html) => no_store((status, Html(html)).into_response()),
        Err(error) => {
            tracing::error!(template = name, error = %error, "a register page failed to render");
            no_store((StatusCode::INTERNAL_SERVER_ERROR, "Sorry, this page could not be shown.").into_response())
        }
    }
}

/// A short page with a heading and one paragraph (refusals, store failures).
pub fn message(status: StatusCode, user: &Value, heading: &str, text: &str) -> Response {
    page(status, "registers/message.html", minijinja::context! { user => user.clone(), heading, text })
}

/// Marks a response as never to be stored by a browser or a proxy.
pub fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles() {
        for (name, _) in TEMPLATES {
            assert!(environment().get_template(name).is_ok(), "{name} does not compile");
        }
    }
}
