//! The "Assign" form with the known staff (R42): when the service knows who may handle cases
//! (`Sessions::known_staff`: the users file locally, the staff directory on AWS), the handler is a
//! choice of them, and a name that is not one of them is refused with an error saying so,
//! before anything is saved. Without a list the form keeps its free-text box.

use super::actions::Spec;
use super::fields::{Answers, Field, FieldError, Kind};
use crate::WorkspaceState;

/// The assign form with the handler as a choice of the known staff; `None` for any other form,
/// or when nobody is known.
#[must_use]
pub fn spec_for(state: &WorkspaceState, spec: &Spec) -> Option<Spec> {
    if spec.name != "assign" {
        return None;
    }
    let known = state.sessions.known_staff().filter(|known| !known.is_empty())?;
    let choices: Vec<(String, String)> = known.into_iter().map(|staff| (staff.id, staff.label)).collect();
    let fields = spec
        .fields
        .iter()
        .map(|field| {
            if field.name == "handler" {
                Field::new("handler", "Handler", Kind::Select(choices.clone()))
                    .hint("The member of staff who will handle the case.")
            } else {
                field.clone()
            }
        })
        .collect();
    Some(Spec { name: spec.name, title: spec.title, hint: spec.hint, permission: spec.permission, fields })
}

/// The answers' problems, with a handler that is not one of the known staff said plainly.
#[must_use]
pub fn clearer(spec: &Spec, answers: &Answers, mut errors: Vec<FieldError>) -> Vec<FieldError> {
    let given = answers.get("handler").map_or("", |v| v.trim());
    if spec.name == "assign" && !given.is_empty() {
        for error in errors.iter_mut().filter(|error| error.field == "handler") {
            error.message =
                format!("“{given}” is not a member of staff this service knows. Choose the handler from the list");
        }
    }
    errors
}
