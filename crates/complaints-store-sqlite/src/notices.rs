//! [`NoticeStore`] on SQLite: the marker (table `notice_markers`) and the pending messages (no case
//! reference) in one `BEGIN IMMEDIATE` transaction, so a notice is written whole, once, or not at all.

use async_trait::async_trait;
use complaints_app::notice_store::{MAX_NOTICE_MESSAGES, NoticeCommit, NoticeStore};
use complaints_app::outbound::NewMessage;
use complaints_app::ports::StoreError;
use complaints_core::complaint::EmailAddress;
use rusqlite::{OptionalExtension, params};

use crate::{SqliteCaseStore, db, immediate, purpose_name, ts, unavailable};

#[async_trait]
impl NoticeStore for SqliteCaseStore {
    #[tracing::instrument(name = "sqlite.queue_notice_once", skip_all, fields(messages = messages.len()))]
    async fn queue_notice_once(&self, marker: &str, messages: Vec<NewMessage>) -> Result<NoticeCommit, StoreError> {
        if messages.len() > MAX_NOTICE_MESSAGES {
            return Err(unavailable(std::io::Error::other(format!("{} messages in one notice", messages.len()))));
        }
        let marker = marker.to_owned();
        self.call(move |conn| {
            let tx = immediate(conn)?;
            let placed = tx
                .query_row("SELECT 1 FROM notice_markers WHERE marker = ?1", [&marker], |_| Ok(()))
                .optional()
                .map_err(db)?;
            if placed.is_some() {
                return Ok(NoticeCommit::AlreadyPlaced);
            }
            tx.execute("INSERT INTO notice_markers (marker) VALUES (?1)", [&marker]).map_err(db)?;
            {
                let mut insert = tx
                    .prepare_cached(
                        "INSERT INTO outgoing (message_id, reference, purpose, sender, recipients, date, raw, recipient_key,
                                               queued_at, state, attempts, next_attempt_at)
                         VALUES (?1, NULL, ?2, ?3, ?4, ?5, ?6, NULL, ?5, 'pending', 0, ?5)",
                    )
                    .map_err(db)?;
                for new in &messages {
                    let message = &new.message;
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
            }
            tx.commit().map_err(db)?;
            Ok(NoticeCommit::Written)
        })
        .await
    }
}
