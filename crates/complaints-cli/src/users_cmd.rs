//! `complaints users add | list | remove`: the local users file (`data/users.json`, 0600) that
//! `--as USER` and the local API's `Authorization: Bearer` tokens are checked against. A new
//! user's token is printed once; the file keeps only its SHA-256. Documented in docs/handling.md.

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
        UsersCommand::Add { name, role, email, full_name, data_dir, json } => {
            let email = email
                .map(|raw| EmailAddress::parse(&raw).map_err(|e| Failure::Usage(format!("--email {raw:?}: {e}"))))
                .transpose()?;
            crate::serve::private_writable_dir(&data_dir)?;
            let added = UsersFile::update(&data_dir, |file| {
                let token = file.add(&name, full_name, role, email, Utc::now())?;
                Ok((token, file.path().to_owned()))
            });
            let (token, path) = match added {
                Ok(added) => added,
                Err(UsersError::BadName(name)) => {
                    return Err(Failure::Usage(format!(
                        "{name:?} is not a user name (1 to 64 letters, digits, '.', '_' or '-')"
                    )));
                }
                Err(other) => return Err(other.into()),
            };
            if json {
                let value = serde_json::json!({ "name": name, "role": role, "token": token });
                return Ok(format!("{value}\n"));
            }
            Ok(format!(
                "added {name} ({}) to {}\ntoken (shown once; keep it safe): {token}\n",
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
        UsersCommand::Remove { name, data_dir } => {
            UsersFile::update(&data_dir, |file| file.remove(&name))?;
            Ok(format!("removed {name}\n"))
        }
    }
}
