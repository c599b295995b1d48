//! Errors for JSON clients as RFC 9457 problem details (`application/problem+json`): `type`,
//! `title`, `status`, `detail`, and `errors` (one per field) when answers need fixing. The text is
//! written for the integrator; it never names our types or quotes what was sent.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::form::FieldError;

/// The media type of a problem.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One problem. `type` is a relative URI, `/problems/<kind>`, stable for clients to match on
/// (documented in docs/local.md; the URIs are names, not pages).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
    /// The MCHP rule id (`R21`…) that refused a staff action (the staff API).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The case's version now, when the client's was stale (the staff API's 409).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<u64>,
}

impl Problem {
    /// A problem of kind `kind` (`/problems/<kind>`).
    #[must_use]
    pub fn new(status: StatusCode, kind: &str, title: &str) -> Self {
        Self {
            kind: format!("/problems/{kind}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: None,
            errors: Vec::new(),
            rule: None,
            current_version: None,
        }
    }

    #[must_use]
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// 422: answers to fix, one entry per field, in the order the form asks them.
    #[must_use]
    pub fn invalid_fields(errors: &[FieldError]) -> Self {
        let mut problem = Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-fields", "Some answers need changing")
            .detail("See errors: each names a field and what to change.");
        problem.errors =
            errors.iter().map(|e| ProblemField { field: e.field.to_owned(), message: e.message.clone() }).collect();
        problem
    }
}

/// One answer to fix: `field` names it (for JSON bodies, its path: `points[0].summary`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProblemField {
    pub field: String,
    pub message: String,
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_string(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_has_the_rfc_9457_members_and_field_errors() {
        let errors = [FieldError { field: "email", message: "Enter your email address".to_owned() }];
        let value = serde_json::to_value(Problem::invalid_fields(&errors)).expect("serialises");
        assert_eq!(value["type"], "/problems/invalid-fields");
        assert_eq!(value["status"], 422);
        assert!(value["title"].is_string() && value["detail"].is_string());
        assert_eq!(value["errors"][0]["field"], "email");
        let plain = serde_json::to_value(Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "too-large", "Too large"))
            .expect("serialises");
        assert!(plain.get("errors").is_none() && plain.get("detail").is_none());
    }
}
