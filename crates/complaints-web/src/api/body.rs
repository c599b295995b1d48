//! JSON request bodies for the staff API: the media type is checked, a body that is not JSON is a
//! 400 saying where it breaks, and JSON of the wrong shape is a 422 naming the field by its path
//! (`outcome.points[0].summary`). Nothing a client sent is logged.

// The error side of these results is the HTTP answer itself (a problem or a response), built
// at most once per request and returned straight to axum: boxing it would only add an allocation.
#![allow(clippy::result_large_err)]

use axum::http::{HeaderMap, StatusCode, header};
use serde::de::DeserializeOwned;

use crate::problem::{Problem, ProblemField};

/// The largest staff request body: the longest free texts (a note of a conversation, a final
/// response's points) are a few tens of kilobytes; anything bigger is not a member of staff typing.
pub const API_BODY_LIMIT_BYTES: usize = 256 * 1024;

/// Parses a JSON body into `T`.
///
/// # Errors
/// A [`Problem`]: 415 for another media type, 400 for a body that is not JSON, 422 for JSON whose
/// fields are missing or of the wrong kind (one entry in `errors`, naming the field's path).
pub fn parse<T: DeserializeOwned>(headers: &HeaderMap, bytes: &[u8]) -> Result<T, Problem> {
    if !is_json(headers) {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "The body must be JSON",
        )
        .detail("Send Content-Type: application/json."));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value: T = match serde_path_to_error::deserialize(&mut deserializer) {
        Ok(value) => value,
        Err(err) => return Err(problem_of(&err)),
    };
    // Trailing characters after the value are a malformed body too.
    deserializer.end().map_err(|err| not_json(&err))?;
    Ok(value)
}

/// Reads `T` out of JSON already parsed (a body with some members taken out).
///
/// # Errors
/// A 422 [`Problem`] naming the field, as [`parse`].
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, Problem> {
    let tag = value.get("action").and_then(serde_json::Value::as_str).map(str::to_owned);
    serde_path_to_error::deserialize(value).map_err(|err| {
        let mut problem = problem_of(&err);
        // A tagged body (`{"action": …}`) whose tag is unknown: the tag is the field to fix.
        if let (Some(tag), Some(first)) = (tag, problem.errors.first_mut())
            && first.message.starts_with(&format!("unknown variant `{tag}`"))
        {
            first.field = "action".to_owned();
        }
        problem
    })
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return false;
    };
    let essence = value.to_str().unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn not_json(err: &serde_json::Error) -> Problem {
    Problem::new(StatusCode::BAD_REQUEST, "not-json", "The body is not JSON").detail(format!(
        "The problem is at line {}, column {}.",
        err.line(),
        err.column()
    ))
}

fn problem_of(err: &serde_path_to_error::Error<serde_json::Error>) -> Problem {
    let inner = err.inner();
    if inner.is_syntax() || inner.is_eof() || inner.is_io() {
        return not_json(inner);
    }
    let message = strip_position(&inner.to_string());
    let mut path = err.path().to_string();
    if path == "." {
        path.clear();
    }

    // serde reports a missing field at its parent: name the field itself.
    if let Some(missing) = message.strip_prefix("missing field `").and_then(|rest| rest.split('`').next()) {
        path = if path.is_empty() { missing.to_owned() } else { format!("{path}.{missing}") };
    }
    let field = if path.is_empty() { "body".to_owned() } else { path };
    let mut problem = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-fields", "Some fields need changing")
        .detail("See errors: each names a field and what is wrong with it.");
    problem.errors = vec![ProblemField { field, message }];
    problem
}

/// serde_json ends its messages with ` at line L column C`: the path says where already.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        note: String,
        inner: Vec<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        count: u32,
    }

    fn json_headers() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
        headers
    }

    #[test]
    fn a_field_of_the_wrong_kind_is_named_by_its_path() {
        let err = parse::<Outer>(&json_headers(), br#"{"note":"n","inner":[{"count":1},{"count":"two"}]}"#)
            .expect_err("count is not a number");
        assert_eq!(err.status, 422);
        assert_eq!(err.errors[0].field, "inner[1].count");
        assert!(!err.errors[0].message.contains("line"), "{}", err.errors[0].message);
    }

    #[test]
    fn a_missing_field_is_named_itself() {
        let err = parse::<Outer>(&json_headers(), br#"{"inner":[]}"#).expect_err("note is missing");
        assert_eq!(err.errors[0].field, "note");
        let nested = parse::<Outer>(&json_headers(), br#"{"note":"n","inner":[{}]}"#).expect_err("count");
        assert_eq!(nested.errors[0].field, "inner[0].count");
    }

    #[test]
    fn a_body_that_is_not_json_or_not_sent_as_json_is_refused_before_its_fields() {
        let err = parse::<Outer>(&json_headers(), b"{\"note\": ").expect_err("cut short");
        assert_eq!((err.status, err.kind.as_str()), (400, "/problems/not-json"));
        let trailing = parse::<Outer>(&json_headers(), br#"{"note":"n","inner":[]} x"#).expect_err("trailing");
        assert_eq!(trailing.status, 400);
        let err = parse::<Outer>(&HeaderMap::new(), br#"{"note":"n","inner":[]}"#).expect_err("no type");
        assert_eq!(err.status, 415);
        assert!(parse::<Outer>(&json_headers(), br#"{"note":"n","inner":[{"count":2}]}"#).is_ok());
    }
}
