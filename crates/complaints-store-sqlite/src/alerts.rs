//! [`AlertStore`] on SQLite: one `BEGIN IMMEDIATE` transaction per alert batch (markers, timeline
//! entries, the lines of each recipient's digest draft), so a batch is written whole or not at
//! all; a draft becomes a pending digest in one transaction with its removal; the alert index is
//! the `alert_due` column (reset to `next_due` by a trigger on every write of a case).

use async_trait::async_trait;
use chrono::NaiveDate;
use complaints_app::alert_store::{
    AlertBatch, AlertCommit, AlertStore, DigestDraft, DigestSent, DraftKey, MAX_BATCH_ACTIONS,
};
use complaints_app::outbound::NewMessage;
use complaints_app::ports::{StoreError, StoredCase};
use complaints_core::complaint::EmailAddress;
use complaints_core::reference::CaseRef;
use rusqlite::{OptionalExtension, params};

use crate::{
    SqliteCaseStore, append_timeline, case_exists, db, immediate, parse_ts, purpose_name, query_cases, ts, unavailable,
};

/// Open cases by alert index date, served by the sparse `cases_by_alert_due` index.
const ALERT_DUE_BY: &str = "SELECT body, version FROM cases
     WHERE alert_due IS NOT NULL AND alert_due <= ?1
     ORDER BY alert_due, reference";

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
            for draft in &batch.drafts {
                let existing: Option<String> = tx
                    .query_row(
                        "SELECT lines FROM alert_digest_drafts WHERE run = ?1 AND recipient = ?2",
                        params![draft.key.run, draft.key.recipient],
                        |row| row.get(0),
                    )
                    .optional()
                    .map_err(db)?;
                let mut lines: Vec<String> = match &existing {
                    Some(text) => serde_json::from_str(text).map_err(unavailable)?,
                    None => Vec::new(),
                };
                lines.extend(draft.lines.iter().cloned());
                let lines = serde_json::to_string(&lines).map_err(unavailable)?;
                tx.execute(
                    "INSERT INTO alert_digest_drafts (run, recipient, lines, version, updated) VALUES (?1, ?2, ?3, 1, ?4)
                     ON CONFLICT (run, recipient) DO UPDATE SET lines = excluded.lines, version = version + 1,
                                                                updated = excluded.updated",
                    params![draft.key.run, draft.key.recipient, lines, ts(batch.at)],
                )
                .map_err(db)?;
            }
            tx.commit().map_err(db)?;
            Ok(AlertCommit::Written)
        })
        .await
    }

    async fn digest_drafts(&self) -> Result<Vec<DigestDraft>, StoreError> {
        self.call(move |conn| {
            let mut statement = conn
                .prepare_cached(
                    "SELECT run, recipient, lines, version, updated FROM alert_digest_drafts ORDER BY run, recipient",
                )
                .map_err(db)?;
            let rows = statement
                .query_map([], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, i64>(3)?,
                        row.get::<_, String>(4)?,
                    ))
                })
                .map_err(db)?;
            let mut drafts = Vec::new();
            for row in rows {
                let (run, recipient, lines, version, updated) = row.map_err(db)?;
                drafts.push(DigestDraft {
                    key: DraftKey { run, recipient },
                    lines: serde_json::from_str(&lines).map_err(unavailable)?,
                    version: u64::try_from(version).unwrap_or_default(),
                    updated: parse_ts(&updated)?,
                });
            }
            Ok(drafts)
        })
        .await
    }

    #[tracing::instrument(name = "sqlite.send_digest", skip_all)]
    async fn send_digest(&self, draft: &DigestDraft, message: NewMessage) -> Result<DigestSent, StoreError> {
        let key = draft.key.clone();
        let version = i64::try_from(draft.version).unwrap_or(i64::MAX);
        self.call(move |conn| {
            let tx = immediate(conn)?;
            let removed = tx
                .execute(
                    "DELETE FROM alert_digest_drafts WHERE run = ?1 AND recipient = ?2 AND version = ?3",
                    params![key.run, key.recipient, version],
                )
                .map_err(db)?;
            let message = &message.message;
            let exists = tx
                .query_row("SELECT 1 FROM outgoing WHERE message_id = ?1", [&message.message_id], |_| Ok(()))
                .optional()
                .map_err(db)?
                .is_some();
            if removed == 0 || exists {
                // Rolled back on drop: the draft stays as it is.
                return Ok(DigestSent::Changed);
            }
            let recipients: Vec<&str> = message.to.iter().map(EmailAddress::as_str).collect();
            let recipients = serde_json::to_string(&recipients).map_err(unavailable)?;
            tx.execute(
                "INSERT INTO outgoing (message_id, reference, purpose, sender, recipients, date, raw, recipient_key,
                                       queued_at, state, attempts, next_attempt_at)
                 VALUES (?1, NULL, ?2, ?3, ?4, ?5, ?6, NULL, ?5, 'pending', 0, ?5)",
                params![
                    message.message_id,
                    purpose_name(message.purpose)?,
                    message.from.as_str(),
                    recipients,
                    ts(message.date),
                    message.raw,
                ],
            )
            .map_err(db)?;
            tx.commit().map_err(db)?;
            Ok(DigestSent::Sent)
        })
        .await
    }

    async fn alert_due_by(&self, horizon: NaiveDate) -> Result<Vec<StoredCase>, StoreError> {
        let horizon = horizon.to_string();
        self.call(move |conn| query_cases(conn, ALERT_DUE_BY, [horizon])).await
    }

    async fn set_alert_date(
        &self,
        reference: &CaseRef,
        version: u64,
        date: Option<NaiveDate>,
    ) -> Result<(), StoreError> {
        let reference = reference.to_string();
        let version = i64::try_from(version).unwrap_or(i64::MAX);
        let date = date.map(|d| d.to_string());
        self.call(move |conn| {
            // Only an open case at the version the scan read: a write since reset the date.
            conn.execute(
                "UPDATE cases SET alert_due = ?3 WHERE reference = ?1 AND version = ?2 AND next_due IS NOT NULL",
                params![reference, version, date],
            )
            .map_err(db)?;
            Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_due_by_is_served_by_the_sparse_alert_index_without_a_table_scan() {
        let mut conn = rusqlite::Connection::open_in_memory().expect("open");
        crate::schema::migrate(&mut conn).expect("migrate");
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {ALERT_DUE_BY}"))
            .expect("prepare")
            .query_map(["2026-01-01"], |row| row.get::<_, String>(3))
            .expect("plan")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert!(plan.iter().any(|step| step.contains("cases_by_alert_due")), "{plan:?}");
        assert!(!plan.iter().any(|step| step.starts_with("SCAN cases")), "{plan:?}");
    }
}
