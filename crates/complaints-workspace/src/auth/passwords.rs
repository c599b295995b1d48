//! Local sign-in: names and passwords from the users file (`complaints users set-password`),
//! read again at every sign-in so a change made with the CLI counts at once, and consulted on
//! every request so a removed user (or one given another role) loses their session's powers at
//! their next request.

use std::path::PathBuf;

use complaints_app::staff::StaffUser;
use complaints_app::users::UsersFile;

/// Where local passwords come from.
#[derive(Debug, Clone)]
pub enum PasswordSource {
    /// The users file of a data directory, read whenever it is needed.
    DataDir(PathBuf),
    /// A fixed set of users (tests).
    Fixed(UsersFile),
}

impl PasswordSource {
    fn with_file<T>(&self, read: impl FnOnce(&UsersFile) -> Option<T>) -> Option<T> {
        match self {
            Self::Fixed(file) => read(file),
            Self::DataDir(dir) => match UsersFile::load(dir) {
                Ok(file) => read(&file),
                Err(err) => {
                    // Fail closed: nobody signs in while the file cannot be read.
                    tracing::error!(error = %complaints_app::error_chain(&err), "the users file cannot be read");
                    None
                }
            },
        }
    }

    /// The member of staff this name and password sign in as. Slow on purpose (Argon2id): call
    /// it on a blocking thread.
    #[must_use]
    pub fn authenticate(&self, name: &str, password: &str) -> Option<StaffUser> {
        self.with_file(|file| file.authenticate_password(name.trim(), password))
    }

    /// The member of staff as the users file has them now: `None` once removed.
    #[must_use]
    pub fn current(&self, id: &str) -> Option<StaffUser> {
        self.with_file(|file| file.find(id))
    }
}
