//! [`LearningStore`] on SQLite: one row per action (the action as JSON, the dates it is found by)
//! and one row per linked case.

use async_trait::async_trait;
use chrono::NaiveDate;
use complaints_app::learning::{LearningStore, StoredLearning};
use complaints_app::ports::StoreError;
use complaints_core::learning::LearningAction;
use complaints_core::reference::CaseRef;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::{SqliteCaseStore, db, immediate, is_constraint, unavailable};

fn decode(body: &str, version: i64) -> Result<StoredLearning, StoreError> {
    Ok(StoredLearning {
        action: serde_json::from_str(body).map_err(unavailable)?,
        version: u64::try_from(version).map_err(unavailable)?,
    })
}

fn list(conn: &Connection, sql: &str, args: impl rusqlite::Params) -> Result<Vec<LearningAction>, StoreError> {
    let mut statement = conn.prepare_cached(sql).map_err(db)?;
    let rows = statement
        .query_map(args, |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)))
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)?;
    rows.iter().map(|(body, version)| decode(body, *version).map(|s| s.action)).collect()
}

/// Rewrites the action's case links.
fn write_links(tx: &Transaction<'_>, action: &LearningAction) -> Result<(), StoreError> {
    tx.prepare_cached("DELETE FROM learning_links WHERE action_id = ?1")
        .and_then(|mut s| s.execute([&action.id]))
        .map_err(db)?;
    let mut insert =
        tx.prepare_cached("INSERT OR IGNORE INTO learning_links (reference, action_id) VALUES (?1, ?2)").map_err(db)?;
    for case in &action.cases {
        insert.execute(params![case.to_string(), action.id]).map_err(db)?;
    }
    Ok(())
}

struct Row {
    body: String,
    recorded_on: String,
    open_due: Option<String>,
    done_on: Option<String>,
}

impl Row {
    fn of(action: &LearningAction) -> Result<Self, StoreError> {
        Ok(Self {
            body: serde_json::to_string(action).map_err(unavailable)?,
            recorded_on: action.recorded_on.to_string(),
            open_due: action.done_on.is_none().then(|| action.due_on.to_string()),
            done_on: action.done_on.map(|d| d.to_string()),
        })
    }
}

#[async_trait]
impl LearningStore for SqliteCaseStore {
    async fn create_learning(&self, action: &LearningAction) -> Result<StoredLearning, StoreError> {
        let action = action.clone();
        self.call(move |conn| {
            let row = Row::of(&action)?;
            let tx = immediate(conn)?;
            let inserted = tx
                .prepare_cached(
                    "INSERT INTO learning_actions (id, version, body, recorded_on, open_due, done_on)
                     VALUES (?1, 1, ?2, ?3, ?4, ?5)",
                )
                .and_then(|mut s| s.execute(params![action.id, row.body, row.recorded_on, row.open_due, row.done_on]));
            match inserted {
                Ok(_) => {}
                Err(e) if is_constraint(&e) => return Err(StoreError::AlreadyExists { existing: None }),
                Err(e) => return Err(db(e)),
            }
            write_links(&tx, &action)?;
            tx.commit().map_err(db)?;
            Ok(StoredLearning { action, version: 1 })
        })
        .await
    }

    async fn learning(&self, id: &str) -> Result<StoredLearning, StoreError> {
        let id = id.to_owned();
        self.call(move |conn| {
            let row: Option<(String, i64)> = conn
                .prepare_cached("SELECT body, version FROM learning_actions WHERE id = ?1")
                .and_then(|mut s| s.query_row([id], |row| Ok((row.get(0)?, row.get(1)?))).optional())
                .map_err(db)?;
            let (body, version) = row.ok_or(StoreError::NotFound)?;
            decode(&body, version)
        })
        .await
    }

    async fn save_learning(&self, action: &LearningAction, expected_version: u64) -> Result<u64, StoreError> {
        let action = action.clone();
        self.call(move |conn| {
            let row = Row::of(&action)?;
            let expected = i64::try_from(expected_version).map_err(unavailable)?;
            let tx = immediate(conn)?;
            let changed = tx
                .prepare_cached(
                    "UPDATE learning_actions SET version = version + 1, body = ?3, recorded_on = ?4, open_due = ?5,
                     done_on = ?6 WHERE id = ?1 AND version = ?2",
                )
                .and_then(|mut s| {
                    s.execute(params![action.id, expected, row.body, row.recorded_on, row.open_due, row.done_on])
                })
                .map_err(db)?;
            if changed == 0 {
                let exists = tx
                    .prepare_cached("SELECT 1 FROM learning_actions WHERE id = ?1")
                    .and_then(|mut s| s.exists([&action.id]))
                    .map_err(db)?;
                return Err(if exists {
                    StoreError::VersionConflict { expected: expected_version }
                } else {
                    StoreError::NotFound
                });
            }
            write_links(&tx, &action)?;
            tx.commit().map_err(db)?;
            Ok(expected_version + 1)
        })
        .await
    }

    async fn open_learning(&self) -> Result<Vec<LearningAction>, StoreError> {
        self.call(|conn| {
            list(
                conn,
                "SELECT body, version FROM learning_actions WHERE open_due IS NOT NULL ORDER BY open_due, id",
                [],
            )
        })
        .await
    }

    async fn completed_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<LearningAction>, StoreError> {
        let (from, to) = (from.to_string(), to.to_string());
        self.call(move |conn| {
            list(
                conn,
                "SELECT body, version FROM learning_actions WHERE done_on BETWEEN ?1 AND ?2 ORDER BY done_on, id",
                [from, to],
            )
        })
        .await
    }

    async fn recorded_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<LearningAction>, StoreError> {
        let (from, to) = (from.to_string(), to.to_string());
        self.call(move |conn| {
            list(
                conn,
                "SELECT body, version FROM learning_actions WHERE recorded_on BETWEEN ?1 AND ?2
                 ORDER BY recorded_on, id",
                [from, to],
            )
        })
        .await
    }

    async fn learning_for_case(&self, reference: &CaseRef) -> Result<Vec<LearningAction>, StoreError> {
        let reference = reference.to_string();
        self.call(move |conn| {
            list(
                conn,
                "SELECT a.body, a.version FROM learning_links l JOIN learning_actions a ON a.id = l.action_id
                 WHERE l.reference = ?1 ORDER BY a.id",
                [reference],
            )
        })
        .await
    }
}
