//! `complaints learning …`: the learning-actions register (R35, K1): record an action with the
//! cases it came from, link more cases, mark it done, list and show. Linking puts the link on each
//! case's timeline too (through the staff actions, so the role matrix and the audit apply).

use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use complaints_app::learning::{self, LearningStore, RegisterError};
use complaints_app::staff::{ActionError, StaffAction};
use complaints_core::learning::LearningAction;
use complaints_core::reference::CaseRef;
use complaints_core::roles::Permission;

use crate::staff_ctx::{Failure, Staff, StaffOpts, block_on, finish};

#[derive(Debug, Args)]
pub struct LearningArgs {
    #[command(flatten)]
    pub opts: StaffOpts,
    #[command(subcommand)]
    pub command: LearningCommand,
}

#[derive(Debug, Subcommand)]
pub enum LearningCommand {
    /// Record a learning action and the case(s) it came from.
    Add {
        /// The root cause found.
        #[arg(long)]
        root_cause: String,
        /// What will be done so it does not happen again.
        #[arg(long)]
        action: String,
        /// Who is responsible for it.
        #[arg(long)]
        owner: String,
        /// When it should be done.
        #[arg(long)]
        due: NaiveDate,
        /// A case it came from; repeat for each (at least one).
        #[arg(long = "case", required = true)]
        cases: Vec<String>,
    },
    /// Link another case to an action.
    Link { id: String, reference: String },
    /// Mark an action done.
    Complete {
        id: String,
        /// The day it was done; the action's day by default.
        #[arg(long)]
        done_on: Option<NaiveDate>,
    },
    /// Open actions (earliest due first), or those done in --done-from..--done-to.
    List {
        #[arg(long, requires = "done_to")]
        done_from: Option<NaiveDate>,
        #[arg(long, requires = "done_from")]
        done_to: Option<NaiveDate>,
    },
    /// Print one action.
    Show { id: String },
}

pub fn run(args: LearningArgs) -> ExitCode {
    let LearningArgs { opts, command } = args;
    finish(dispatch(&opts, command))
}

fn reference(text: &str) -> Result<CaseRef, Failure> {
    text.trim().parse().map_err(|_| Failure::Usage(format!("{text:?} is not a case reference like CMP-2026-00042")))
}

fn register_failure(error: RegisterError) -> Failure {
    match error {
        RegisterError::Refused(refused) => Failure::Action(ActionError::Invalid(format!("refused by R35: {refused}"))),
        RegisterError::Store(store) => store.into(),
    }
}

/// Checks the role matrix for the register (the same permission as linking a case).
fn allowed(staff: &Staff) -> Result<(), Failure> {
    if staff.user.may(Permission::Learning) {
        Ok(())
    } else {
        Err(Failure::Action(ActionError::Forbidden { role: staff.user.role, needs: Permission::Learning }))
    }
}

/// Puts the link on the case's timeline (R35) through the staff actions.
async fn link_case(staff: &Staff, id: &str, case: &CaseRef) -> Result<(), Failure> {
    let action = StaffAction::LinkLearning { action_id: id.to_owned() };
    staff.actions.perform(&staff.user, case, None, action, Some(staff.at)).await?;
    Ok(())
}

fn dispatch(opts: &StaffOpts, command: LearningCommand) -> Result<String, Failure> {
    let staff = opts.open()?;
    let today = complaints_core::dates::today_in_scotland(staff.at);
    let store: &dyn LearningStore = staff.store.as_ref();
    match command {
        LearningCommand::Add { root_cause, action, owner, due, cases } => {
            allowed(&staff)?;
            let cases = cases.iter().map(|c| reference(c)).collect::<Result<Vec<_>, _>>()?;
            let stored = block_on(async {
                // Every case must exist before the action names it.
                for case in &cases {
                    staff.store_get(case).await?;
                }
                let id = learning::new_learning_id();
                let stored = learning::create(store, id, root_cause, action, owner, today, due, cases.clone())
                    .await
                    .map_err(register_failure)?;
                for case in &cases {
                    link_case(&staff, &stored.action.id, case).await?;
                }
                Ok(stored)
            })?;
            shown(&staff, &stored.action)
        }
        LearningCommand::Link { id, reference: case } => {
            allowed(&staff)?;
            let case = reference(&case)?;
            let stored = block_on(async {
                staff.store_get(&case).await?;
                let stored = learning::link(store, &id, case.clone()).await.map_err(register_failure)?;
                link_case(&staff, &id, &case).await?;
                Ok(stored)
            })?;
            shown(&staff, &stored.action)
        }
        LearningCommand::Complete { id, done_on } => {
            allowed(&staff)?;
            let stored = block_on(async {
                learning::complete(store, &id, done_on.unwrap_or(today)).await.map_err(register_failure)
            })?;
            shown(&staff, &stored.action)
        }
        LearningCommand::List { done_from, done_to } => {
            let actions = block_on(async {
                // Reading the register is a read like any other (auditors too), as in the API.
                staff.actions.record_read(&staff.user, Permission::ListCases, None, None).await?;
                Ok(match (done_from, done_to) {
                    (Some(from), Some(to)) => store.completed_between(from, to).await?,
                    _ => store.open_learning().await?,
                })
            })?;
            if staff.json {
                return Ok(format!("{}\n", serde_json::to_string_pretty(&actions).context("JSON")?));
            }
            let mut out = String::new();
            for action in &actions {
                out.push_str(&line(action, today));
            }
            if out.is_empty() {
                out.push_str("(no learning actions)\n");
            }
            Ok(out)
        }
        LearningCommand::Show { id } => {
            let stored = block_on(async {
                // Reading the register is a read like any other (auditors too), as in the API.
                staff.actions.record_read(&staff.user, Permission::ListCases, None, None).await?;
                Ok(store.learning(&id).await?)
            })?;
            shown(&staff, &stored.action)
        }
    }
}

fn line(action: &LearningAction, today: NaiveDate) -> String {
    let state = match action.done_on {
        Some(done) => format!("done {done}"),
        None if action.is_overdue_on(today) => format!("OVERDUE (due {})", action.due_on),
        None => format!("due {}", action.due_on),
    };
    let cases: Vec<String> = action.cases.iter().map(ToString::to_string).collect();
    format!("{}  {state}  {}  cases: {}\n", action.id, action.owner, cases.join(", "))
}

fn shown(staff: &Staff, action: &LearningAction) -> Result<String, Failure> {
    if staff.json {
        return Ok(format!("{}\n", serde_json::to_string_pretty(action).context("JSON")?));
    }
    let today = complaints_core::dates::today_in_scotland(staff.at);
    Ok(format!(
        "{}Root cause:  {}\nAction:      {}\nRecorded on: {}\n",
        line(action, today),
        action.root_cause,
        action.action,
        action.recorded_on
    ))
}
