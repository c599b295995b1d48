//! [`HeldMailStore`] on SQLite: one row per message kept for staff without a case (the record as
//! JSON, with the times it is listed and expires by).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use complaints_app::held_mail::{HeldMail, HeldMailStore};
use complaints_app::ports::StoreError;
use rusqlite::params;

use crate::{SqliteCaseStore, db, ts, unavailable};

#[async_trait]
impl HeldMailStore for SqliteCaseStore {
    async fn hold_mail(&self, mail: &HeldMail) -> Result<(), StoreError> {
        let body = serde_json::to_string(mail).map_err(unavailable)?;
        let (id, received_at, expires_at) = (mail.id.clone(), ts(mail.received_at), mail.expires_at.map(ts));
        self.call(move |conn| {
            conn.prepare_cached(
                "INSERT OR IGNORE INTO held_mail (id, received_at, expires_at, body) VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut s| s.execute(params![id, received_at, expires_at, body]))
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn held_mail(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<HeldMail>, StoreError> {
        let now = ts(now);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.call(move |conn| {
            let mut statement = conn
                .prepare_cached(
                    "SELECT body FROM held_mail WHERE expires_at IS NULL OR expires_at > ?1
                     ORDER BY received_at DESC, id LIMIT ?2",
                )
                .map_err(db)?;
            let bodies = statement
                .query_map(params![now, limit], |row| row.get::<_, String>(0))
                .map_err(db)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db)?;
            bodies.iter().map(|body| serde_json::from_str(body).map_err(unavailable)).collect()
        })
        .await
    }
}
