//! [`ChannelHealthStore`] on SQLite: table `channel_health`, one row per channel with the last
//! event's time and the run of failed sends, each changed by one upsert (atomic under SQLite's
//! single writer).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use complaints_app::channel_health_store::{ChannelHealthStore, ChannelState};
use complaints_app::ports::StoreError;
use rusqlite::{OptionalExtension, params};

use crate::{SqliteCaseStore, db, parse_ts, ts};

#[async_trait]
impl ChannelHealthStore for SqliteCaseStore {
    #[tracing::instrument(name = "sqlite.record_channel_event", skip_all)]
    async fn record_channel_event(&self, channel: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let (channel, at) = (channel.to_owned(), ts(at));
        self.call(move |conn| {
            // `ts` is fixed-width, so text order is time order.
            conn.execute(
                "INSERT INTO channel_health (channel, last_event_at, failures) VALUES (?1, ?2, 0)
                 ON CONFLICT (channel) DO UPDATE SET last_event_at = excluded.last_event_at
                 WHERE last_event_at IS NULL OR last_event_at < excluded.last_event_at",
                params![channel, at],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    #[tracing::instrument(name = "sqlite.add_channel_failure", skip_all)]
    async fn add_channel_failure(&self, channel: &str) -> Result<u32, StoreError> {
        let channel = channel.to_owned();
        self.call(move |conn| {
            let failures: i64 = conn
                .query_row(
                    "INSERT INTO channel_health (channel, last_event_at, failures) VALUES (?1, NULL, 1)
                     ON CONFLICT (channel) DO UPDATE SET failures = failures + 1
                     RETURNING failures",
                    [&channel],
                    |row| row.get(0),
                )
                .map_err(db)?;
            Ok(u32::try_from(failures).unwrap_or(u32::MAX))
        })
        .await
    }

    #[tracing::instrument(name = "sqlite.clear_channel_failures", skip_all)]
    async fn clear_channel_failures(&self, channel: &str) -> Result<(), StoreError> {
        let channel = channel.to_owned();
        self.call(move |conn| {
            conn.execute("UPDATE channel_health SET failures = 0 WHERE channel = ?1 AND failures <> 0", [&channel])
                .map_err(db)?;
            Ok(())
        })
        .await
    }

    #[tracing::instrument(name = "sqlite.channel_state", skip_all)]
    async fn channel_state(&self, channel: &str) -> Result<ChannelState, StoreError> {
        let channel = channel.to_owned();
        self.call(move |conn| {
            let row = conn
                .query_row("SELECT last_event_at, failures FROM channel_health WHERE channel = ?1", [&channel], |row| {
                    Ok((row.get::<_, Option<String>>(0)?, row.get::<_, i64>(1)?))
                })
                .optional()
                .map_err(db)?;
            let Some((last, failures)) = row else { return Ok(ChannelState::default()) };
            Ok(ChannelState {
                last_event_at: last.as_deref().map(parse_ts).transpose()?,
                failures: u32::try_from(failures).unwrap_or(u32::MAX),
            })
        })
        .await
    }
}
