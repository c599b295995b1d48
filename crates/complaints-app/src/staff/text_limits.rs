//! Length limits on the free text staff type (a response, a reason, a note, a name), checked in
//! one place for the workspace's forms, the staff API and the CLI, with the service's one set of
//! limits ([`complaints_core::text_limits`], the citizen form's too), so a case never holds more
//! than a letter can carry or a store item can hold, and an over-long answer is refused with the
//! field named instead of failing in the store.

use complaints_core::text_limits::{MAX_NAME_CHARS, with_commas};
use serde::Serialize;

use super::error::ActionError;

/// Longest single-line answer (an address on one line, a staff reference, a team, a handler).
pub use complaints_core::text_limits::MAX_SHORT_TEXT_CHARS;
/// Longest long answer (a response, a reason, what happened): the citizen form's limit.
pub use complaints_core::text_limits::MAX_TYPED_TEXT_CHARS as MAX_LONG_TEXT_CHARS;

/// The fields whose answers are paragraphs; every other text is a single line.
const LONG_FIELDS: [&str; 10] = [
    "note",
    "reason",
    "details",
    "description",
    "outcome_sought",
    "adjustments",
    "direct_stage2_reason",
    "summary",
    "part",
    "best_interests_decision",
];

/// The fields that hold a person's name (the complainant's, R43; the person affected, R52): the
/// citizen form's limit for a name.
const NAME_FIELDS: [&str; 2] = ["name", "person_affected"];

/// The limit for a text at `key` (the last name in its path).
fn limit(key: &str) -> usize {
    if LONG_FIELDS.contains(&key) {
        MAX_LONG_TEXT_CHARS
    } else if NAME_FIELDS.contains(&key) {
        MAX_NAME_CHARS
    } else {
        MAX_SHORT_TEXT_CHARS
    }
}

/// Checks every text in `value` (an action or a logged complaint, in its JSON form) against its
/// limit.
///
/// # Errors
/// [`ActionError::Invalid`] naming the first text over its limit (`note: must be at most 10,000
/// characters (it has 12,345)`; a text inside a list is named like `points[0].summary`).
pub fn check<T: Serialize>(value: &T) -> Result<(), ActionError> {
    let Ok(json) = serde_json::to_value(value) else { return Ok(()) };
    walk(&json, "", "")
}

fn walk(value: &serde_json::Value, path: &str, key: &str) -> Result<(), ActionError> {
    match value {
        serde_json::Value::String(text) => {
            let max = limit(key);
            let chars = text.chars().count();
            if chars > max {
                return Err(ActionError::Invalid(format!(
                    "{path}: must be at most {} characters (it has {})",
                    with_commas(max),
                    with_commas(chars)
                )));
            }
            Ok(())
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, &format!("{path}[{i}]"), key)?;
            }
            Ok(())
        }
        serde_json::Value::Object(fields) => {
            for (name, inner) in fields {
                let inner_path = if path.is_empty() { name.clone() } else { format!("{path}.{name}") };
                walk(inner, &inner_path, name)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use complaints_core::outcome::Outcome;

    use super::*;
    use crate::staff::StaffAction;

    #[test]
    fn a_response_over_ten_thousand_characters_is_refused_naming_the_field() {
        let at_limit = StaffAction::Respond {
            outcome: Outcome::Resolved,
            note: "a".repeat(MAX_LONG_TEXT_CHARS),
            route_given_by: None,
            staff_parts: Vec::new(),
        };
        assert!(check(&at_limit).is_ok());
        let over = StaffAction::Respond {
            outcome: Outcome::Resolved,
            note: "é".repeat(MAX_LONG_TEXT_CHARS + 1),
            route_given_by: None,
            staff_parts: Vec::new(),
        };
        let error = check(&over).expect_err("too long");
        assert_eq!(
            error.to_string(),
            ActionError::Invalid("note: must be at most 10,000 characters (it has 10,001)".to_owned()).to_string()
        );
    }

    #[test]
    fn a_name_has_the_citizen_forms_limit_for_a_name() {
        let logged = |name: String| -> crate::staff::LogComplaint {
            serde_json::from_value(serde_json::json!({
                "channel": "phone", "name": name, "service_area": "Bins", "description": "Missed", "note": "Called",
            }))
            .expect("a logged complaint")
        };
        let mut complaint = logged("n".repeat(MAX_NAME_CHARS));
        assert!(check(&complaint).is_ok());
        complaint = logged("n".repeat(MAX_NAME_CHARS + 1));
        assert!(check(&complaint).expect_err("long name").to_string().contains("name: must be at most 200 characters"));
    }

    #[test]
    fn a_single_line_answer_has_the_shorter_limit_and_a_point_is_named_by_its_place() {
        let handler =
            StaffAction::Assign { handler: "h".repeat(MAX_SHORT_TEXT_CHARS + 1), team: None, service_area: None };
        assert!(
            check(&handler).expect_err("long name").to_string().contains("handler: must be at most 500 characters")
        );
        let points = StaffAction::AmendPoints {
            points: vec![complaints_core::case::PointOfComplaint {
                summary: "s".repeat(MAX_LONG_TEXT_CHARS + 5),
                outcome_sought: "Collect it".to_owned(),
            }],
            reason: "They phoned".to_owned(),
        };
        assert!(check(&points).expect_err("long point").to_string().contains("points[0].summary: must be at most"));
    }
}
