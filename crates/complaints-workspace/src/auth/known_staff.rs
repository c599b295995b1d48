//! The members of staff a case may be assigned to (R42), so "Assign" offers a choice instead of
//! a free-text box that takes any typo (a case assigned to nobody real is in nobody's "My
//! cases"). Locally they are the users file's handlers and managers; on AWS, where staff sign in
//! through Cognito, the staff directory the breach scan reads (`STAFF_DIRECTORY_PARAM`), given
//! with [`super::StoreSessions::with_staff_directory`]. With neither, the form keeps its free
//! text box.

use complaints_core::roles::Role;
use serde::Serialize;

use super::PasswordSource;

/// One member of staff a case may be assigned to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KnownStaff {
    /// The id cases record as their handler (the user name).
    pub id: String,
    /// How the choice reads: the full name and the id.
    pub label: String,
}

impl KnownStaff {
    /// A member of staff known only by their id (a directory entry).
    #[must_use]
    pub fn by_id(id: &str) -> Self {
        Self { id: id.to_owned(), label: id.to_owned() }
    }
}

impl PasswordSource {
    /// The users file's handlers and managers, in its order; `None` when it cannot be read.
    #[must_use]
    pub fn known_staff(&self) -> Option<Vec<KnownStaff>> {
        let read = |file: &complaints_app::users::UsersFile| {
            file.users()
                .iter()
                .filter(|user| matches!(user.role, Role::Handler | Role::Manager))
                .map(|user| KnownStaff {
                    id: user.name.clone(),
                    label: match &user.full_name {
                        Some(full) if full != &user.name => format!("{full} ({})", user.name),
                        _ => user.name.clone(),
                    },
                })
                .collect()
        };
        match self {
            Self::Fixed(file) => Some(read(file)),
            Self::DataDir(dir) => match complaints_app::users::UsersFile::load(dir) {
                Ok(file) => Some(read(&file)),
                Err(err) => {
                    tracing::warn!(error = %complaints_app::error_chain(&err), "the users file cannot be read for the staff list");
                    None
                }
            },
        }
    }
}
