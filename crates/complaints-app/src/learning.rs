//! The learning-actions register (R35, K1): a port for storing
//! [`complaints_core::learning::LearningAction`]s, and the use cases over it (create, link to a
//! case, complete). The quarterly export reads the actions completed in its period with
//! [`LearningStore::completed_between`].

use async_trait::async_trait;
use chrono::NaiveDate;
use complaints_core::learning::{LearningAction, LearningError};
use complaints_core::reference::CaseRef;

use crate::ports::StoreError;

/// A learning action as stored, with its optimistic-concurrency version (1 after creation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLearning {
    pub action: LearningAction,
    pub version: u64,
}

/// Where learning actions live. Every adapter passes the learning contract suite.
#[async_trait]
pub trait LearningStore: Send + Sync {
    /// Stores a new action.
    ///
    /// # Errors
    /// [`StoreError::AlreadyExists`] when the id is taken (nothing is written);
    /// [`StoreError::Unavailable`].
    async fn create_learning(&self, action: &LearningAction) -> Result<StoredLearning, StoreError>;

    /// Loads an action.
    ///
    /// # Errors
    /// [`StoreError::NotFound`]; [`StoreError::Unavailable`].
    async fn learning(&self, id: &str) -> Result<StoredLearning, StoreError>;

    /// Replaces an action if it is still at `expected_version`; returns the new version. The
    /// case links are rewritten with it.
    ///
    /// # Errors
    /// [`StoreError::VersionConflict`]; [`StoreError::NotFound`]; [`StoreError::Unavailable`].
    async fn save_learning(&self, action: &LearningAction, expected_version: u64) -> Result<u64, StoreError>;

    /// Actions not done yet, earliest due first (served by a sparse index of open actions).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn open_learning(&self) -> Result<Vec<LearningAction>, StoreError>;

    /// Actions done in `from..=to` (both included), by date done then id: what the quarterly
    /// export reports (K1).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn completed_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<LearningAction>, StoreError>;

    /// Actions recorded in `from..=to` (both included), by date recorded then id.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn recorded_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<LearningAction>, StoreError>;

    /// Actions linked to a case, by id.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn learning_for_case(&self, reference: &CaseRef) -> Result<Vec<LearningAction>, StoreError>;
}

/// What a register change can fail with.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// The rules refused it (R35).
    #[error(transparent)]
    Refused(#[from] LearningError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A new id for a learning action: `LA-` and eight hex digits (no personal data; unique enough
/// for one organisation's register, and a clash is refused by the store, never overwritten).
#[must_use]
pub fn new_learning_id() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string().to_ascii_uppercase();
    format!("LA-{}", &id[..8])
}

/// Records a new action (validated by the core).
///
/// # Errors
/// [`RegisterError::Refused`] for an invalid action; [`RegisterError::Store`].
#[allow(clippy::too_many_arguments)]
pub async fn create(
    store: &dyn LearningStore,
    id: String,
    root_cause: String,
    action: String,
    owner: String,
    recorded_on: NaiveDate,
    due_on: NaiveDate,
    cases: Vec<CaseRef>,
) -> Result<StoredLearning, RegisterError> {
    let action = LearningAction::new(id, root_cause, action, owner, recorded_on, due_on, cases)?;
    Ok(store.create_learning(&action).await?)
}

/// Applies `change` to the stored action and saves it at the version read.
async fn change(
    store: &dyn LearningStore,
    id: &str,
    change: impl FnOnce(&mut LearningAction) -> Result<(), LearningError>,
) -> Result<StoredLearning, RegisterError> {
    let StoredLearning { mut action, version } = store.learning(id).await?;
    change(&mut action)?;
    let version = store.save_learning(&action, version).await?;
    Ok(StoredLearning { action, version })
}

/// Links another case to an action (once).
///
/// # Errors
/// [`RegisterError::Store`] ([`StoreError::NotFound`], a version conflict).
pub async fn link(store: &dyn LearningStore, id: &str, case: CaseRef) -> Result<StoredLearning, RegisterError> {
    change(store, id, |action| {
        action.link(case);
        Ok(())
    })
    .await
}

/// Marks an action done on `done_on`.
///
/// # Errors
/// [`RegisterError::Refused`] when already done or dated before it was recorded;
/// [`RegisterError::Store`].
pub async fn complete(
    store: &dyn LearningStore,
    id: &str,
    done_on: NaiveDate,
) -> Result<StoredLearning, RegisterError> {
    change(store, id, |action| action.complete(done_on)).await
}
