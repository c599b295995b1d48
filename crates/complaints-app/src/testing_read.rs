//! In-memory doubles for the reading ports (feature `testing`): [`CaseQueries`] on the memory
//! case store, and a [`LearningStore`] in a `Mutex`. They pass the same contract suites as the
//! real stores. Not for production use.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::NaiveDate;
use complaints_core::learning::LearningAction;
use complaints_core::reference::CaseRef;

use crate::learning::{LearningStore, StoredLearning};
use crate::ports::{StoreError, StoredCase};
use crate::queries::{CaseQueries, CaseQuery, Cursor, candidates_from};
use crate::testing::MemoryCaseStore;

#[async_trait]
impl CaseQueries for MemoryCaseStore {
    async fn candidates(
        &self,
        query: &CaseQuery,
        after: Option<&Cursor>,
        limit: usize,
    ) -> Result<Vec<StoredCase>, StoreError> {
        Ok(candidates_from(self.all_cases(), query, after, limit))
    }
}

/// A [`LearningStore`] in memory. Clones share the same data.
#[derive(Debug, Default, Clone)]
pub struct MemoryLearningStore {
    inner: Arc<Mutex<BTreeMap<String, StoredLearning>>>,
}

impl MemoryLearningStore {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn actions(&self) -> MutexGuard<'_, BTreeMap<String, StoredLearning>> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn sorted_by(
        &self,
        keep: impl Fn(&LearningAction) -> bool,
        key: impl Fn(&LearningAction) -> (NaiveDate, String),
    ) -> Vec<LearningAction> {
        let mut found: Vec<LearningAction> =
            self.actions().values().map(|s| s.action.clone()).filter(|a| keep(a)).collect();
        found.sort_by_key(|a| key(a));
        found
    }
}

#[async_trait]
impl LearningStore for MemoryLearningStore {
    async fn create_learning(&self, action: &LearningAction) -> Result<StoredLearning, StoreError> {
        let mut actions = self.actions();
        if actions.contains_key(&action.id) {
            return Err(StoreError::AlreadyExists { existing: None });
        }
        let stored = StoredLearning { action: action.clone(), version: 1 };
        actions.insert(action.id.clone(), stored.clone());
        Ok(stored)
    }

    async fn learning(&self, id: &str) -> Result<StoredLearning, StoreError> {
        self.actions().get(id).cloned().ok_or(StoreError::NotFound)
    }

    async fn save_learning(&self, action: &LearningAction, expected_version: u64) -> Result<u64, StoreError> {
        let mut actions = self.actions();
        let stored = actions.get_mut(&action.id).ok_or(StoreError::NotFound)?;
        if stored.version != expected_version {
            return Err(StoreError::VersionConflict { expected: expected_version });
        }
        stored.action = action.clone();
        stored.version += 1;
        Ok(stored.version)
    }

    async fn open_learning(&self) -> Result<Vec<LearningAction>, StoreError> {
        Ok(self.sorted_by(|a| a.done_on.is_none(), |a| (a.due_on, a.id.clone())))
    }

    async fn completed_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<LearningAction>, StoreError> {
        Ok(self.sorted_by(
            |a| a.done_on.is_some_and(|d| (from..=to).contains(&d)),
            |a| (a.done_on.unwrap_or(a.recorded_on), a.id.clone()),
        ))
    }

    async fn recorded_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<LearningAction>, StoreError> {
        Ok(self.sorted_by(|a| (from..=to).contains(&a.recorded_on), |a| (a.recorded_on, a.id.clone())))
    }

    async fn learning_for_case(&self, reference: &CaseRef) -> Result<Vec<LearningAction>, StoreError> {
        let mut found: Vec<LearningAction> =
            self.actions().values().map(|s| s.action.clone()).filter(|a| a.cases.contains(reference)).collect();
        found.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(found)
    }
}
