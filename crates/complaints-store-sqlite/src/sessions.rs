//! [`SessionStore`] on SQLite: tables `staff_sessions` (the session as JSON, by the SHA-256 of its
//! id, and by user through the expression index `staff_sessions_by_user`) and `sign_in_failures`
//! (by account key). Sessions past their absolute end and failure counts
//! past their window and lock are deleted whenever a new one is written, so neither table grows.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use complaints_app::ports::StoreError;
use complaints_app::sessions::{LockoutPolicy, SessionRecord, SessionStore, SignInFailures};
use rusqlite::{OptionalExtension, params};

use crate::{SqliteCaseStore, db, immediate, is_constraint, parse_ts, ts, unavailable};

/// One user's sessions: the same expression as the index `staff_sessions_by_user`, so the index
/// answers it and no other session is read.
const SESSIONS_OF_USER: &str =
    "SELECT body, last_seen_at FROM staff_sessions WHERE json_extract(body, '$.user.id') = ?1";

#[async_trait]
impl SessionStore for SqliteCaseStore {
    async fn create_session(&self, session: &SessionRecord) -> Result<(), StoreError> {
        let body = serde_json::to_string(session).map_err(unavailable)?;
        let (id, last_seen, expires) = (session.id_sha256.clone(), ts(session.last_seen_at), ts(session.expires_at));
        let now = ts(session.created_at);
        self.call(move |conn| {
            let tx = immediate(conn)?;
            tx.execute("DELETE FROM staff_sessions WHERE expires_at <= ?1", [&now]).map_err(db)?;
            match tx.execute(
                "INSERT INTO staff_sessions (id_sha256, body, last_seen_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
                params![id, body, last_seen, expires],
            ) {
                Err(err) if is_constraint(&err) => return Err(StoreError::AlreadyExists { existing: None }),
                other => other.map_err(db)?,
            };
            tx.commit().map_err(db)
        })
        .await
    }

    async fn session(&self, id_sha256: &str) -> Result<Option<SessionRecord>, StoreError> {
        let id = id_sha256.to_owned();
        self.call(move |conn| {
            let row = conn
                .query_row("SELECT body, last_seen_at FROM staff_sessions WHERE id_sha256 = ?1", [&id], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
                })
                .optional()
                .map_err(db)?;
            let Some((body, last_seen)) = row else { return Ok(None) };
            let mut session: SessionRecord = serde_json::from_str(&body).map_err(unavailable)?;
            session.last_seen_at = parse_ts(&last_seen)?;
            Ok(Some(session))
        })
        .await
    }

    async fn touch_session(&self, id_sha256: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let (id, at) = (id_sha256.to_owned(), ts(at));
        self.call(move |conn| {
            conn.execute(
                "UPDATE staff_sessions SET last_seen_at = ?2 WHERE id_sha256 = ?1 AND last_seen_at < ?2",
                params![id, at],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn delete_session(&self, id_sha256: &str) -> Result<(), StoreError> {
        let id = id_sha256.to_owned();
        self.call(move |conn| {
            conn.execute("DELETE FROM staff_sessions WHERE id_sha256 = ?1", [&id]).map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn sessions_of_user(&self, user_id: &str) -> Result<Vec<SessionRecord>, StoreError> {
        let user = user_id.to_owned();
        self.call(move |conn| {
            let mut select = conn.prepare_cached(SESSIONS_OF_USER).map_err(db)?;
            let rows = select
                .query_map([&user], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)))
                .map_err(db)?;
            let mut found = Vec::new();
            for row in rows {
                let (body, last_seen) = row.map_err(db)?;
                let mut session: SessionRecord = serde_json::from_str(&body).map_err(unavailable)?;
                session.last_seen_at = parse_ts(&last_seen)?;
                found.push(session);
            }
            found.sort_by(|a, b| (a.created_at, &a.id_sha256).cmp(&(b.created_at, &b.id_sha256)));
            Ok(found)
        })
        .await
    }

    async fn sign_in_failures(&self, account: &str) -> Result<Option<SignInFailures>, StoreError> {
        let account = account.to_owned();
        self.call(move |conn| read_failures(conn, &account)).await
    }

    async fn record_sign_in_failure(
        &self,
        account: &str,
        at: DateTime<Utc>,
        policy: &LockoutPolicy,
    ) -> Result<SignInFailures, StoreError> {
        let (account, policy) = (account.to_owned(), *policy);
        self.call(move |conn| {
            // One write transaction: concurrent failures are serialised, none is lost.
            let tx = immediate(conn)?;
            tx.execute("DELETE FROM sign_in_failures WHERE forget_after <= ?1", [ts(at)]).map_err(db)?;
            let next = SignInFailures::after_failure(read_failures(&tx, &account)?, at, &policy);
            tx.execute(
                "INSERT INTO sign_in_failures (account, count, window_started, locked_until, forget_after)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (account) DO UPDATE SET count = excluded.count, window_started = excluded.window_started,
                     locked_until = excluded.locked_until, forget_after = excluded.forget_after",
                params![
                    account,
                    next.count,
                    ts(next.window_started),
                    next.locked_until.map(ts),
                    ts(next.forget_after(&policy))
                ],
            )
            .map_err(db)?;
            tx.commit().map_err(db)?;
            Ok(next)
        })
        .await
    }

    async fn clear_sign_in_failures(&self, account: &str) -> Result<(), StoreError> {
        let account = account.to_owned();
        self.call(move |conn| {
            conn.execute("DELETE FROM sign_in_failures WHERE account = ?1", [&account]).map_err(db)?;
            Ok(())
        })
        .await
    }
}

fn read_failures(conn: &rusqlite::Connection, account: &str) -> Result<Option<SignInFailures>, StoreError> {
    let row = conn
        .query_row(
            "SELECT count, window_started, locked_until FROM sign_in_failures WHERE account = ?1",
            [account],
            |row| Ok((row.get::<_, u32>(0)?, row.get::<_, String>(1)?, row.get::<_, Option<String>>(2)?)),
        )
        .optional()
        .map_err(db)?;
    let Some((count, window_started, locked_until)) = row else { return Ok(None) };
    Ok(Some(SignInFailures {
        count,
        window_started: parse_ts(&window_started)?,
        locked_until: locked_until.as_deref().map(parse_ts).transpose()?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_users_sessions_are_read_through_the_user_index_without_a_table_scan() {
        let mut conn = rusqlite::Connection::open_in_memory().expect("open");
        crate::schema::migrate(&mut conn).expect("migrate");
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {SESSIONS_OF_USER}"))
            .expect("prepare")
            .query_map(["ahmed"], |row| row.get::<_, String>(3))
            .expect("plan")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert!(plan.iter().any(|step| step.contains("staff_sessions_by_user")), "{plan:?}");
        assert!(!plan.iter().any(|step| step.starts_with("SCAN staff_sessions")), "{plan:?}");
    }
}
