//! API Gateway HTTP API (payload v2) events as plain `http::Request`s, so handler tests can drive the
//! router with recorded events without any AWS crate. In AWS, lambda_http does this conversion.

use axum::body::Body;
use axum::http::{Method, Request};
use base64::Engine;
use serde::Deserialize;

/// Why an event could not become a request.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("the event is not API Gateway v2 JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the event's body is marked base64 but is not valid base64")]
    Base64(#[from] base64::DecodeError),
    #[error("the event does not make a valid HTTP request: {0}")]
    Http(#[from] axum::http::Error),
    #[error("the event's method {0:?} is not an HTTP method")]
    Method(String),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Event {
    #[serde(default)]
    raw_path: Option<String>,
    #[serde(default)]
    raw_query_string: Option<String>,
    #[serde(default)]
    cookies: Vec<String>,
    #[serde(default)]
    headers: std::collections::BTreeMap<String, String>,
    request_context: RequestContext,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    is_base64_encoded: bool,
}

#[derive(Debug, Deserialize)]
struct RequestContext {
    http: HttpContext,
}

#[derive(Debug, Deserialize)]
struct HttpContext {
    method: String,
    #[serde(default)]
    path: Option<String>,
}

/// Builds the request an API Gateway v2 event describes: method, raw path and query, headers
/// (already comma-joined by API Gateway), cookies as one `Cookie` header, and the body, decoded
/// from base64 when `isBase64Encoded` is set.
///
/// # Errors
/// [`EventError`] when the JSON is not such an event or its parts are not valid HTTP.
pub fn request_from_v2_event(event: &serde_json::Value) -> Result<Request<Body>, EventError> {
    let event = Event::deserialize(event)?;
    let method = Method::from_bytes(event.request_context.http.method.as_bytes())
        .map_err(|_| EventError::Method(event.request_context.http.method.clone()))?;
    let path = event.raw_path.or(event.request_context.http.path).unwrap_or_else(|| "/".to_owned());
    let uri = match event.raw_query_string.as_deref() {
        Some(query) if !query.is_empty() => format!("{path}?{query}"),
        _ => path,
    };
    let mut builder = Request::builder().method(method).uri(uri);
    for (name, value) in &event.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    if !event.cookies.is_empty() {
        builder = builder.header("cookie", event.cookies.join("; "));
    }
    let body = match event.body {
        Some(text) if event.is_base64_encoded => base64::engine::general_purpose::STANDARD.decode(text.as_bytes())?,
        Some(text) => text.into_bytes(),
        None => Vec::new(),
    };
    Ok(builder.body(Body::from(body))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base64_body_is_decoded_and_the_query_and_cookies_are_kept() {
        let event = serde_json::json!({
            "rawPath": "/", "rawQueryString": "a=1",
            "cookies": ["x=1", "y=2"],
            "headers": {"content-type": "application/x-www-form-urlencoded"},
            "requestContext": {"http": {"method": "POST", "path": "/"}},
            "body": "bmFtZT1Kbw==", "isBase64Encoded": true
        });
        let request = request_from_v2_event(&event).expect("converts");
        assert_eq!(request.method(), Method::POST);
        assert_eq!(request.uri().query(), Some("a=1"));
        assert_eq!(request.headers().get("cookie").and_then(|v| v.to_str().ok()), Some("x=1; y=2"));
    }

    #[test]
    fn bad_base64_and_bad_methods_are_refused() {
        let bad_body = serde_json::json!({
            "rawPath": "/", "requestContext": {"http": {"method": "POST"}}, "body": "%%%", "isBase64Encoded": true
        });
        assert!(matches!(request_from_v2_event(&bad_body), Err(EventError::Base64(_))));
        let bad_method = serde_json::json!({ "rawPath": "/", "requestContext": {"http": {"method": "{{{method}}}"}} });
        assert!(matches!(request_from_v2_event(&bad_method), Err(EventError::Method(_))));
    }
}
