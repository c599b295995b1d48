//! [`SingleUseTokens`] on SQLite: table `used_tokens` (the key, and until when it is kept). One
//! write transaction per use, so of two posts of one sign-in form exactly one is accepted, and
//! marks that have run out are deleted as new ones are written, so the table does not grow.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use complaints_app::ports::StoreError;
use complaints_app::single_use::SingleUseTokens;
use rusqlite::params;

use crate::{SqliteCaseStore, db, immediate, ts};

#[async_trait]
impl SingleUseTokens for SqliteCaseStore {
    async fn use_once(&self, key: &str, at: DateTime<Utc>, keep_until: DateTime<Utc>) -> Result<bool, StoreError> {
        let (key, at, keep_until) = (key.to_owned(), ts(at), ts(keep_until));
        self.call(move |conn| {
            let tx = immediate(conn)?;
            tx.execute("DELETE FROM used_tokens WHERE keep_until <= ?1", [&at]).map_err(db)?;
            let added = tx
                .execute(
                    "INSERT INTO used_tokens (key, keep_until) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
                    params![key, keep_until],
                )
                .map_err(db)?;
            tx.commit().map_err(db)?;
            Ok(added == 1)
        })
        .await
    }
}
