//! `complaints users add | list | remove | set-password`: the local users file (`data/users.json`,
//! 0600) that `--as USER`, the local API's `Authorization: Bearer` tokens and the staff pages'
//! sign-in are checked against. A new user's token is printed once; the file keeps only its
//! SHA-256. A password is read from standard input (`--password-stdin`), never from the command
//! line (where other users and the shell history would see it); the file keeps only its Argon2id
//! hash. Documented in docs/handling.md and docs/signing-in.md.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::Utc;
use clap::Subcommand;
use complaints_app::users::{UsersError, UsersFile};
use complaints_core::complaint::EmailAddress;
use complaints_core::roles::Role;

use crate::staff_ctx::{Failure, finish, kebab};

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Add a user and print their API token (shown this once only).
    Add {
        /// The user name (the staff id on timelines): letters, digits, '.', '_' or '-'.
        name: String,
        /// handler, manager, admin or auditor.
        #[arg(long, value_parser = kebab::<Role>)]
        role: Role,
        /// Where internal notices to this member of staff go.
        #[arg(long)]
        email: Option<String>,
        /// The name letters are signed with, when not the user name.
        #[arg(long)]
        full_name: Option<String>,
        #[arg(long, default_value = "data")]
        data_dir: PathBuf,
        /// Print JSON (with the token) instead of text.
        #[arg(long)]
        json: bool,
        /// Also set a password for the staff pages, read as one line from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set (or replace) a user's password for the staff pages, read as one line from standard input.
    SetPassword {
        name: String,
        /// Read the password from standard input (the only way: never on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
        #[arg(long, default_value = "data")]
        data_dir: PathBuf,
    },
    /// List the users and their roles (never their tokens).
    List {
        #[arg(long, default_value = "data")]
        data_dir: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Remove a user; their token stops working at once.
    Remove {
        name: String,
        #[arg(long, default_value = "data")]
        data_dir: PathBuf,
    },
}

pub fn run(command: UsersCommand) -> ExitCode {
    finish(users(command))
}

fn users(command: UsersCommand) -> Result<String, Failure> {
    match command {
        UsersCommand::Add { name, role, email, full_name, data_dir, json, password_stdin } => {
            let email = email
                .map(|raw| EmailAddress::parse(&raw).map_err(|e| Failure::Usage(format!("--email {raw:?}: {e}"))))
                .transpose()?;
            let password = if password_stdin { Some(read_password()?) } else { None };
            crate::serve::private_writable_dir(&data_dir)?;
            let added = UsersFile::update(&data_dir, |file| {
                let token = file.add(&name, full_name, role, email, Utc::now())?;
                if let Some(password) = &password {
                    file.set_password(&name, password)?;
                }
                Ok((token, file.path().to_owned()))
            });
            let (token, path) = match added {
                Ok(added) => added,
                Err(UsersError::BadName(name)) => {
                    return Err(Failure::Usage(format!(
                        "{name:?} is not a user name (1 to 64 letters, digits, '.', '_' or '-')"
                    )));
                }
                Err(UsersError::Password(err)) => return Err(Failure::Usage(format!("the password: {err}"))),
                Err(other) => return Err(other.into()),
            };
            let with_password = if password.is_some() { " with a password for the staff pages" } else { "" };
            if json {
                let value = serde_json::json!({ "name": name, "role": role, "token": token });
                return Ok(format!("{value}\n"));
            }
            Ok(format!(
                "added {name} ({}){with_password} to {}\ntoken (shown once; keep it safe): {token}\n",
                role.as_str(),
                path.display()
            ))
        }
        UsersCommand::List { data_dir, json } => {
            let file = UsersFile::load(&data_dir)?;
            if json {
                let users: Vec<serde_json::Value> = file
                    .users()
                    .iter()
                    .map(|u| {
                        serde_json::json!({
                            "name": u.name,
                            "full_name": u.full_name,
                            "role": u.role,
                            "email": u.email,
                            "added_at": u.added_at,
                            "has_password": u.password_argon2id.is_some(),
                        })
                    })
                    .collect();
                return Ok(format!("{}\n", serde_json::Value::Array(users)));
            }
            let mut out = String::new();
            for user in file.users() {
                out.push_str(&format!(
                    "{:<20} {:<8} {}\n",
                    user.name,
                    user.role.as_str(),
                    user.email.as_ref().map_or("", |e| e.as_str())
                ));
            }
            if out.is_empty() {
                out.push_str("(no users: add one with `complaints users add NAME --role ROLE`)\n");
            }
            Ok(out)
        }
        UsersCommand::SetPassword { name, password_stdin: _, data_dir } => {
            let password = read_password()?;
            match UsersFile::update(&data_dir, |file| file.set_password(&name, &password)) {
                Ok(()) => Ok(format!("set the password of {name}\n")),
                Err(UsersError::Password(err)) => Err(Failure::Usage(format!("the password: {err}"))),
                Err(other) => Err(other.into()),
            }
        }
        UsersCommand::Remove { name, data_dir } => {
            UsersFile::update(&data_dir, |file| file.remove(&name))?;
            Ok(format!("removed {name}\n"))
        }
    }
}

/// One line from standard input, without its line ending (a terminal shows what is typed; pipe it
/// in from a password manager or a file only you can read).
fn read_password() -> Result<String, Failure> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| Failure::Usage(format!("could not read the password from standard input: {e}")))?;
    let password = line.strip_suffix('\n').map_or(line.as_str(), |l| l.strip_suffix('\r').unwrap_or(l)).to_owned();
    if password.is_empty() {
        return Err(Failure::Usage("no password on standard input".to_owned()));
    }
    Ok(password)
}
