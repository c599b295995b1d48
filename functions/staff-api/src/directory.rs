//! The staff directory for "Assign" (R42): read from its SSM parameter, and never a reason to
//! fail the staff pages. It only fills the choice of handler, so when it is missing or invalid
//! the pages keep their free-text box and a warning names the parameter (never an entry).

use complaints_app::staff_directory::{DirectoryHandler, DirectoryMap};
use complaints_lambda::Parameters;

/// The handlers "Assign" offers from the directory in `parameter`, or `None` (the free-text box)
/// when no parameter is configured, or it is missing or invalid (logged as a warning).
pub(crate) fn assign_choices(found: &Parameters, parameter: Option<&str>) -> Option<Vec<DirectoryHandler>> {
    let parameter = parameter?;
    let text = match found.text(parameter) {
        Ok(text) => text,
        Err(err) => {
            tracing::warn!(parameter, error = %err, "no staff directory: Assign offers a free-text box");
            return None;
        }
    };
    match DirectoryMap::from_json(text) {
        Ok(directory) => Some(directory.handlers()),
        Err(err) => {
            // The error names at most a handler key (an id or name of staff, not a complainant);
            // keep even that out of the log.
            let kind = match err {
                complaints_app::staff_directory::DirectoryError::Shape(_) => "not a JSON object of names to addresses",
                complaints_app::staff_directory::DirectoryError::Address { .. } => "an entry is not an email address",
            };
            tracing::warn!(parameter, problem = kind, "the staff directory is invalid: Assign offers a free-text box");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARAMETER: &str = "/complaints/staff-directory";

    fn parameters(value: Option<&str>) -> Parameters {
        Parameters::from_pairs(value.map(|v| (PARAMETER.to_owned(), v.to_owned())))
    }

    #[test]
    fn a_missing_staff_directory_parameter_leaves_the_free_text_box() {
        assert_eq!(assign_choices(&parameters(None), Some(PARAMETER)), None);
    }

    #[test]
    fn an_invalid_staff_directory_leaves_the_free_text_box() {
        assert_eq!(assign_choices(&parameters(Some("not json")), Some(PARAMETER)), None);
        assert_eq!(assign_choices(&parameters(Some(r#"{"sam": "not an address"}"#)), Some(PARAMETER)), None);
    }

    #[test]
    fn a_valid_staff_directory_fills_the_choice_of_handler() {
        let choices = assign_choices(&parameters(Some(r#"{"sam": "sam@example.org"}"#)), Some(PARAMETER))
            .expect("the directory's handlers");
        assert_eq!(choices.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(), vec!["sam"]);
        assert_eq!(assign_choices(&parameters(Some(r#"{"sam": "sam@example.org"}"#)), None), None);
    }
}
