//! [`AlertStore`] on SQLite: one `BEGIN IMMEDIATE` transaction per alert batch (markers, timeline
//! entries, digests), so a batch is written whole or not at all.

use async_trait::async_trait;
use complaints_app::alert_store::{AlertBatch, AlertCommit, AlertStore, MAX_BATCH_ACTIONS};
use complaints_app::ports::StoreError;
use complaints_core::complaint::EmailAddress;
use rusqlite::{OptionalExtension, params};

use crate::{SqliteCaseStore, append_timeline, case_exists, db, immediate, purpose_name, ts, unavailable};

#[async_trait]
impl AlertStore for SqliteCaseStore {
    #[tracing::instrument(name = "sqlite.commit_alerts", skip_all, fields(alerts = batch.alerts.len()))]
    async fn commit_alerts(&self, batch: AlertBatch) -> Result<AlertCommit, StoreError> {
        if batch.actions() > MAX_BATCH_ACTIONS {
            return Err(unavailable(std::io::Error::other(format!("{} actions in one alert batch", batch.actions()))));
        }
        self.call(move |conn| {
            let tx = immediate(conn)?;
            let mut placed = Vec::new();
            {
                let mut exists = tx.prepare_cached("SELECT 1 FROM alert_markers WHERE marker = ?1").map_err(db)?;
                for alert in &batch.alerts {
                    if exists.query_row([&alert.marker], |_| Ok(())).optional().map_err(db)?.is_some() {
                        placed.push(alert.marker.clone());
                    }
                }
            }
            if !placed.is_empty() {
                // Dropping the transaction rolls it back: nothing of this batch is written.
                return Ok(AlertCommit::AlreadyPlaced { markers: placed });
            }
            for alert in &batch.alerts {
                let reference = alert.reference.to_string();
                if !case_exists(&tx, &reference)? {
                    return Err(StoreError::NotFound);
                }
                tx.prepare_cached("INSERT INTO alert_markers (marker, reference) VALUES (?1, ?2)")
                    .and_then(|mut s| s.execute(params![alert.marker, reference]))
                    .map_err(db)?;
                append_timeline(&tx, &reference, std::slice::from_ref(&alert.event))?;
            }
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO outgoing (message_id, reference, purpose, sender, recipients, date, raw, recipient_key,
                                           queued_at, state, attempts, next_attempt_at)
                     VALUES (?1, NULL, ?2, ?3, ?4, ?5, ?6, NULL, ?5, 'pending', 0, ?5)",
                )
                .map_err(db)?;
            for digest in &batch.digests {
                let message = &digest.message;
                let recipients: Vec<&str> = message.to.iter().map(EmailAddress::as_str).collect();
                let recipients = serde_json::to_string(&recipients).map_err(unavailable)?;
                insert
                    .execute(params![
                        message.message_id,
                        purpose_name(message.purpose)?,
                        message.from.as_str(),
                        recipients,
                        ts(message.date),
                        message.raw,
                    ])
                    .map_err(db)?;
            }
            drop(insert);
            tx.commit().map_err(db)?;
            Ok(AlertCommit::Written)
        })
        .await
    }

    async fn calendar_applied(&self, version: &str) -> Result<bool, StoreError> {
        let version = version.to_owned();
        self.call(move |conn| {
            let found = conn
                .query_row("SELECT 1 FROM calendar_applied WHERE version = ?1", [version], |_| Ok(()))
                .optional()
                .map_err(db)?;
            Ok(found.is_some())
        })
        .await
    }

    async fn mark_calendar_applied(&self, version: &str) -> Result<(), StoreError> {
        let version = version.to_owned();
        self.call(move |conn| {
            conn.execute("INSERT OR IGNORE INTO calendar_applied (version) VALUES (?1)", [version]).map_err(db)?;
            Ok(())
        })
        .await
    }
}
