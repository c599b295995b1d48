//! The local users file: who may use the staff commands and API on a local run, in which role,
//! with a hashed API token each. On AWS the role comes from the verified Cognito token instead.
//!
//! A token is 32 random bytes, shown once when the user is added (`cpt_` and 64 hex digits); the
//! file keeps only its SHA-256, so a copy of the file cannot be used to sign in. Tokens are
//! compared in constant time. The file lives in the data directory, readable by its owner only
//! (0600); a file others can read is refused, as ssh refuses a readable private key.
//!
//! A user may also have a password for the staff pages (`complaints users set-password`): only
//! its Argon2id hash is kept ([`crate::passwords`]). Files written before passwords existed load
//! as they are (nobody has a password yet).

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use complaints_core::complaint::EmailAddress;
use complaints_core::roles::Role;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::staff::StaffUser;

/// The users file's name inside the data directory.
pub const USERS_FILE: &str = "users.json";
/// The file's format name, so a reader can tell versions apart.
pub const FORMAT: &str = "complaints-users/1";
/// What every token starts with, so a leaked one is recognisable (secret scanners, logs).
pub const TOKEN_PREFIX: &str = "cpt_";
/// Random bytes in a token: 256 bits.
const TOKEN_BYTES: usize = 32;

/// What the users file can fail with.
#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    #[error("could not read the users file {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the users file {path} is not valid")]
    Invalid {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("the users file {path} has format {found:?}; this release reads {FORMAT:?}")]
    Format { path: PathBuf, found: String },
    #[error("the users file {path} can be read by other users (mode {mode:o}); run `chmod 600` on it")]
    NotPrivate { path: PathBuf, mode: u32 },
    #[error("could not write the users file {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("there is already a user {0:?}")]
    Exists(String),
    #[error("there is no user {0:?}")]
    NoSuchUser(String),
    #[error("a user name is 1 to 64 letters, digits, '.', '_' or '-': {0:?} is not")]
    BadName(String),
    #[error("no randomness for a token: {0}")]
    Random(String),
    #[error("the users file {path} is being changed by another command; try again")]
    Locked { path: PathBuf },
    #[error(transparent)]
    Password(#[from] crate::passwords::PasswordError),
}

/// How long a change waits for another one to finish, and when a lock is taken to be left over
/// from a crashed command.
const LOCK_ATTEMPTS: u32 = 100;
const LOCK_PAUSE: std::time::Duration = std::time::Duration::from_millis(50);
const STALE_LOCK: std::time::Duration = std::time::Duration::from_secs(30);

/// The lock file beside the users file, removed when dropped.
struct Lock(PathBuf);

impl Lock {
    fn take(path: PathBuf) -> Result<Self, UsersError> {
        for _ in 0..LOCK_ATTEMPTS {
            match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(_) => return Ok(Self(path)),
                Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                    let stale = std::fs::metadata(&path)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|modified| modified.elapsed().ok())
                        .is_some_and(|age| age > STALE_LOCK);
                    if stale {
                        let _ = std::fs::remove_file(&path);
                    } else {
                        std::thread::sleep(LOCK_PAUSE);
                    }
                }
                Err(source) => return Err(UsersError::Write { path, source }),
            }
        }
        Err(UsersError::Locked { path })
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// One user as the file keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    /// The user name: the staff id the timeline records (`--as NAME`).
    pub name: String,
    /// The name letters are signed with, when it differs from `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailAddress>,
    /// SHA-256 (hex) of the user's API token.
    pub token_sha256: String,
    pub added_at: DateTime<Utc>,
    /// Argon2id PHC string of the user's password for the staff pages; `None` until one is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_argon2id: Option<String>,
}

impl UserRecord {
    /// The signed-in member of staff this record stands for.
    #[must_use]
    pub fn staff_user(&self) -> StaffUser {
        StaffUser {
            id: self.name.clone(),
            name: self.full_name.clone().unwrap_or_else(|| self.name.clone()),
            role: self.role,
            email: self.email.clone(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct OnDisk {
    format: String,
    users: Vec<UserRecord>,
}

/// The users file, read into memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsersFile {
    path: PathBuf,
    users: Vec<UserRecord>,
}

/// The SHA-256 of a token, as the file keeps it.
#[must_use]
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Equal in time that depends only on the lengths, never on where the bytes differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub(crate) fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

impl UsersFile {
    /// The users file of a data directory.
    #[must_use]
    pub fn path_in(data_dir: &Path) -> PathBuf {
        data_dir.join(USERS_FILE)
    }

    /// Reads the users file of `data_dir`; a missing file is an empty one (nobody may act yet).
    ///
    /// # Errors
    /// [`UsersError::Read`], [`UsersError::Invalid`], [`UsersError::Format`],
    /// [`UsersError::NotPrivate`].
    pub fn load(data_dir: &Path) -> Result<Self, UsersError> {
        let path = Self::path_in(data_dir);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Self { path, users: Vec::new() }),
            Err(source) => return Err(UsersError::Read { path, source }),
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .map_err(|source| UsersError::Read { path: path.clone(), source })?
                .permissions()
                .mode()
                & 0o777;
            if mode & 0o077 != 0 {
                return Err(UsersError::NotPrivate { path, mode });
            }
        }
        let on_disk: OnDisk = match serde_json::from_str(&text) {
            Ok(on_disk) => on_disk,
            Err(source) => return Err(UsersError::Invalid { path, source }),
        };
        if on_disk.format != FORMAT {
            return Err(UsersError::Format { path, found: on_disk.format });
        }
        Ok(Self { path, users: on_disk.users })
    }

    /// Reads the users file of `data_dir`, applies `change` and saves it, holding a lock file
    /// (`users.json.lock`) throughout, so two commands changing users at once never lose one
    /// another's change.
    ///
    /// # Errors
    /// As [`UsersFile::load`] and [`UsersFile::save`], [`UsersError::Locked`], or `change`'s error
    /// (nothing is saved then).
    pub fn update<T>(
        data_dir: &Path,
        change: impl FnOnce(&mut Self) -> Result<T, UsersError>,
    ) -> Result<T, UsersError> {
        let _lock = Lock::take(Self::path_in(data_dir).with_extension("json.lock"))?;
        let mut file = Self::load(data_dir)?;
        let result = change(&mut file)?;
        file.save()?;
        Ok(result)
    }

    /// Writes the file (0600), replacing it atomically so a reader never sees half a file.
    ///
    /// # Errors
    /// [`UsersError::Write`].
    pub fn save(&self) -> Result<(), UsersError> {
        let write_error = |source| UsersError::Write { path: self.path.clone(), source };
        let on_disk = OnDisk { format: FORMAT.to_owned(), users: self.users.clone() };
        let text = serde_json::to_string_pretty(&on_disk).map_err(|e| write_error(std::io::Error::other(e)))?;
        let temporary = self.path.with_extension(format!("json.tmp-{}", std::process::id()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let written = options.open(&temporary).and_then(|mut file| {
            file.write_all(text.as_bytes())?;
            file.write_all(b"\n")?;
            file.sync_all()
        });
        if let Err(err) = written.and_then(|()| std::fs::rename(&temporary, &self.path)) {
            let _ = std::fs::remove_file(&temporary);
            return Err(write_error(err));
        }
        Ok(())
    }

    /// Where the file is.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every user, in the order added.
    #[must_use]
    pub fn users(&self) -> &[UserRecord] {
        &self.users
    }

    /// Adds a user and returns their new API token: the only time it is ever shown.
    ///
    /// # Errors
    /// [`UsersError::BadName`], [`UsersError::Exists`], [`UsersError::Random`].
    pub fn add(
        &mut self,
        name: &str,
        full_name: Option<String>,
        role: Role,
        email: Option<EmailAddress>,
        at: DateTime<Utc>,
    ) -> Result<String, UsersError> {
        if !valid_name(name) {
            return Err(UsersError::BadName(name.to_owned()));
        }
        if self.users.iter().any(|u| u.name == name) {
            return Err(UsersError::Exists(name.to_owned()));
        }
        let mut bytes = [0u8; TOKEN_BYTES];
        getrandom::fill(&mut bytes).map_err(|e| UsersError::Random(e.to_string()))?;
        let token = format!("{TOKEN_PREFIX}{}", hex::encode(bytes));
        self.users.push(UserRecord {
            name: name.to_owned(),
            full_name: full_name.filter(|n| !n.trim().is_empty()),
            role,
            email,
            token_sha256: token_hash(&token),
            added_at: at,
            password_argon2id: None,
        });
        Ok(token)
    }

    /// Removes a user; their token stops working at once.
    ///
    /// # Errors
    /// [`UsersError::NoSuchUser`].
    pub fn remove(&mut self, name: &str) -> Result<UserRecord, UsersError> {
        let position =
            self.users.iter().position(|u| u.name == name).ok_or_else(|| UsersError::NoSuchUser(name.to_owned()))?;
        Ok(self.users.remove(position))
    }

    /// Sets (or replaces) a user's password for the staff pages; only its hash is kept.
    ///
    /// # Errors
    /// [`UsersError::NoSuchUser`]; [`UsersError::Password`] for a password outside the limits.
    pub fn set_password(&mut self, name: &str, password: &str) -> Result<(), UsersError> {
        let user =
            self.users.iter_mut().find(|u| u.name == name).ok_or_else(|| UsersError::NoSuchUser(name.to_owned()))?;
        user.password_argon2id = Some(crate::passwords::hash_password(password)?);
        Ok(())
    }

    /// The user this name and password sign in as. Slow on purpose (Argon2id): run it off the
    /// async runtime. An unknown name or a user without a password costs the same time as a wrong
    /// password, so the answer's timing does not tell whether an account exists.
    #[must_use]
    pub fn authenticate_password(&self, name: &str, password: &str) -> Option<StaffUser> {
        let user = self.users.iter().find(|u| u.name == name);
        let phc = user.and_then(|u| u.password_argon2id.as_deref());
        if crate::passwords::verify_password(password, phc) { user.map(UserRecord::staff_user) } else { None }
    }

    /// The user with this name (`--as NAME` on the command line).
    #[must_use]
    pub fn find(&self, name: &str) -> Option<StaffUser> {
        self.users.iter().find(|u| u.name == name).map(UserRecord::staff_user)
    }

    /// The user whose API token this is (HTTP `Authorization: Bearer <token>` on a local run).
    /// Every user's hash is compared, in constant time, whatever matches.
    #[must_use]
    pub fn authenticate_token(&self, token: &str) -> Option<StaffUser> {
        let presented = Sha256::digest(token.trim().as_bytes());
        let mut found = None;
        for user in &self.users {
            let Ok(stored) = hex::decode(&user.token_sha256) else { continue };
            if constant_time_eq(&presented, &stored) && found.is_none() {
                found = Some(user);
            }
        }
        found.map(UserRecord::staff_user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> DateTime<Utc> {
        "2026-12-01T09:00:00Z".parse().expect("instant")
    }

    #[test]
    fn a_new_token_signs_in_as_its_user_and_nothing_else_does() {
        let dir = tempfile::tempdir().expect("dir");
        let mut users = UsersFile::load(dir.path()).expect("empty");
        let ahmed = users.add("ahmed", Some("Ahmed Fictional".to_owned()), Role::Handler, None, at()).expect("add");
        let mairi = users.add("mairi", None, Role::Manager, None, at()).expect("add");
        assert!(ahmed.starts_with(TOKEN_PREFIX) && ahmed.len() == TOKEN_PREFIX.len() + 64, "{ahmed}");
        assert_ne!(ahmed, mairi);
        let signed_in = users.authenticate_token(&ahmed).expect("ahmed's token works");
        assert_eq!(
            (signed_in.id.as_str(), signed_in.name.as_str(), signed_in.role),
            ("ahmed", "Ahmed Fictional", Role::Handler)
        );
        assert_eq!(users.authenticate_token(&mairi).map(|u| u.role), Some(Role::Manager));
        let mut wrong = ahmed.clone();
        wrong.replace_range(10..11, if &ahmed[10..11] == "0" { "1" } else { "0" });
        assert_eq!(users.authenticate_token(&wrong), None);
        assert_eq!(users.authenticate_token(""), None);
        assert_eq!(users.authenticate_token(&users.users()[0].token_sha256.clone()), None, "the hash is not the token");
    }

    #[test]
    fn the_file_keeps_only_the_hash_and_is_private() {
        let dir = tempfile::tempdir().expect("dir");
        let mut users = UsersFile::load(dir.path()).expect("empty");
        let token = users.add("ahmed", None, Role::Auditor, None, at()).expect("add");
        users.save().expect("save");
        let text = std::fs::read_to_string(UsersFile::path_in(dir.path())).expect("written");
        assert!(!text.contains(&token[TOKEN_PREFIX.len()..]), "the token itself is never written");
        assert!(text.contains(&token_hash(&token)));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(UsersFile::path_in(dir.path())).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let again = UsersFile::load(dir.path()).expect("reads back");
        assert_eq!(again.find("ahmed").map(|u| u.role), Some(Role::Auditor));
        assert_eq!(again.authenticate_token(&token).map(|u| u.id), Some("ahmed".to_owned()));
    }

    #[cfg(unix)]
    #[test]
    fn a_users_file_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("dir");
        let mut users = UsersFile::load(dir.path()).expect("empty");
        users.add("ahmed", None, Role::Handler, None, at()).expect("add");
        users.save().expect("save");
        let path = UsersFile::path_in(dir.path());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        assert!(matches!(UsersFile::load(dir.path()), Err(UsersError::NotPrivate { mode: 0o644, .. })));
    }

    #[test]
    fn names_are_unique_and_removing_a_user_revokes_their_token() {
        let dir = tempfile::tempdir().expect("dir");
        let mut users = UsersFile::load(dir.path()).expect("empty");
        let token = users.add("ahmed", None, Role::Handler, None, at()).expect("add");
        assert!(matches!(users.add("ahmed", None, Role::Admin, None, at()), Err(UsersError::Exists(_))));
        assert!(matches!(users.add("no spaces", None, Role::Admin, None, at()), Err(UsersError::BadName(_))));
        assert!(matches!(users.add("", None, Role::Admin, None, at()), Err(UsersError::BadName(_))));
        users.remove("ahmed").expect("removed");
        assert_eq!(users.authenticate_token(&token), None);
        assert_eq!(users.find("ahmed"), None);
        assert!(matches!(users.remove("ahmed"), Err(UsersError::NoSuchUser(_))));
    }

    #[test]
    fn users_added_at_the_same_time_are_all_kept() {
        let dir = tempfile::tempdir().expect("dir");
        let adders: Vec<_> = (0..8)
            .map(|n| {
                let data_dir = dir.path().to_owned();
                std::thread::spawn(move || {
                    UsersFile::update(&data_dir, |file| file.add(&format!("user{n}"), None, Role::Handler, None, at()))
                        .expect("added")
                })
            })
            .collect();
        let tokens: Vec<String> = adders.into_iter().map(|t| t.join().expect("thread")).collect();
        let users = UsersFile::load(dir.path()).expect("reads");
        assert_eq!(users.users().len(), 8, "no change lost");
        for (n, token) in tokens.iter().enumerate() {
            assert_eq!(users.authenticate_token(token).map(|u| u.id), Some(format!("user{n}")));
        }
        assert!(!dir.path().join("users.json.lock").exists(), "the lock is released");
    }

    #[test]
    fn a_password_signs_in_only_its_user_and_old_files_without_passwords_still_load() {
        let dir = tempfile::tempdir().expect("dir");
        let old = r#"{"format":"complaints-users/1","users":[{"name":"ahmed","role":"handler","token_sha256":"00","added_at":"2026-12-01T09:00:00Z"}]}"#;
        std::fs::write(UsersFile::path_in(dir.path()), old).expect("written");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(UsersFile::path_in(dir.path()), std::fs::Permissions::from_mode(0o600))
                .expect("chmod");
        }
        let mut users = UsersFile::load(dir.path()).expect("an old file loads");
        assert_eq!(users.users()[0].password_argon2id, None);
        assert_eq!(users.authenticate_password("ahmed", "anything long enough"), None, "no password yet");
        users.add("mairi", None, Role::Manager, None, at()).expect("add");
        users.set_password("ahmed", "a long passphrase for ahmed").expect("set");
        assert!(matches!(users.set_password("nobody", "a long passphrase"), Err(UsersError::NoSuchUser(_))));
        assert!(matches!(users.set_password("mairi", "short"), Err(UsersError::Password(_))));
        users.save().expect("save");
        let text = std::fs::read_to_string(UsersFile::path_in(dir.path())).expect("read");
        assert!(text.contains("$argon2id$") && !text.contains("passphrase"), "only the hash is written");

        let users = UsersFile::load(dir.path()).expect("reads back");
        let signed_in = users.authenticate_password("ahmed", "a long passphrase for ahmed").expect("signs in");
        assert_eq!((signed_in.id.as_str(), signed_in.role), ("ahmed", Role::Handler));
        assert_eq!(users.authenticate_password("ahmed", "a long passphrase for mairi"), None);
        assert_eq!(users.authenticate_password("mairi", "a long passphrase for ahmed"), None, "not another's password");
        assert_eq!(users.authenticate_password("nobody", "a long passphrase for ahmed"), None);
    }

    #[test]
    fn constant_time_eq_tells_equal_from_unequal() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
