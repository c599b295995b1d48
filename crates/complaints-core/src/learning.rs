//! Learning actions (R35, K1): the root cause found, the action taken to stop it recurring, its
//! owner and dates, linked to every case it came from. Recorded whatever the outcome.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::reference::CaseRef;

/// Why a learning action was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LearningError {
    #[error("{field} must not be blank")]
    Blank { field: &'static str },
    #[error("a learning action is linked to at least one case")]
    NoCase,
    #[error("the due date {due_on} is before the action was recorded, {recorded_on}")]
    DueBeforeRecorded { due_on: NaiveDate, recorded_on: NaiveDate },
    #[error("done on {done_on}, before the action was recorded, {recorded_on}")]
    DoneBeforeRecorded { done_on: NaiveDate, recorded_on: NaiveDate },
    #[error("the action is already done")]
    AlreadyDone,
}

/// R35: one learning action, linked to one or more cases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LearningAction {
    pub id: String,
    pub root_cause: String,
    pub action: String,
    pub owner: String,
    pub recorded_on: NaiveDate,
    pub due_on: NaiveDate,
    pub done_on: Option<NaiveDate>,
    pub cases: Vec<CaseRef>,
}

fn not_blank(text: &str, field: &'static str) -> Result<(), LearningError> {
    if text.trim().is_empty() { Err(LearningError::Blank { field }) } else { Ok(()) }
}

impl LearningAction {
    /// A validated learning action.
    ///
    /// # Errors
    /// [`LearningError`] for a blank field, no case, or a due date before the recording.
    pub fn new(
        id: String,
        root_cause: String,
        action: String,
        owner: String,
        recorded_on: NaiveDate,
        due_on: NaiveDate,
        cases: Vec<CaseRef>,
    ) -> Result<Self, LearningError> {
        not_blank(&id, "id")?;
        not_blank(&root_cause, "root cause")?;
        not_blank(&action, "action")?;
        not_blank(&owner, "owner")?;
        if cases.is_empty() {
            return Err(LearningError::NoCase);
        }
        if due_on < recorded_on {
            return Err(LearningError::DueBeforeRecorded { due_on, recorded_on });
        }
        let mut cases = cases;
        cases.sort();
        cases.dedup();
        Ok(Self { id, root_cause, action, owner, recorded_on, due_on, done_on: None, cases })
    }

    /// Links another case to the action (once).
    pub fn link(&mut self, case: CaseRef) {
        if !self.cases.contains(&case) {
            self.cases.push(case);
            self.cases.sort();
        }
    }

    /// Marks the action done.
    ///
    /// # Errors
    /// [`LearningError::AlreadyDone`], or a done date before the action was recorded.
    pub fn complete(&mut self, done_on: NaiveDate) -> Result<(), LearningError> {
        if self.done_on.is_some() {
            return Err(LearningError::AlreadyDone);
        }
        if done_on < self.recorded_on {
            return Err(LearningError::DoneBeforeRecorded { done_on, recorded_on: self.recorded_on });
        }
        self.done_on = Some(done_on);
        Ok(())
    }

    /// True when the action is still open after its due date on `today`.
    #[must_use]
    pub fn is_overdue_on(&self, today: NaiveDate) -> bool {
        self.done_on.is_none() && today > self.due_on
    }
}
