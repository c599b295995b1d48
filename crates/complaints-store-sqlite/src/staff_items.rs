//! [`StaffItemStore`] on SQLite: table `staff_items`, the item as JSON beside its id, receipt time
//! and resolution (a partial index lists the open ones newest first).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use complaints_app::ports::StoreError;
use complaints_app::staff_items::{ItemWrite, MAX_STAFF_ITEMS_PAGE, StaffItem, StaffItemStore};
use rusqlite::{OptionalExtension, params};

use crate::{SqliteCaseStore, db, immediate, ts, unavailable};

#[async_trait]
impl StaffItemStore for SqliteCaseStore {
    #[tracing::instrument(name = "sqlite.record_staff_item", skip_all)]
    async fn record_staff_item(&self, item: &StaffItem) -> Result<ItemWrite, StoreError> {
        let body = serde_json::to_string(item).map_err(unavailable)?;
        let (id, received_at, resolved_at) = (item.id.clone(), ts(item.received_at), item.resolved_at.map(ts));
        self.call(move |conn| {
            let written = conn
                .execute(
                    "INSERT INTO staff_items (id, received_at, resolved_at, body) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (id) DO NOTHING",
                    params![id, received_at, resolved_at, body],
                )
                .map_err(db)?;
            Ok(if written == 1 { ItemWrite::Written } else { ItemWrite::AlreadyThere })
        })
        .await
    }

    #[tracing::instrument(name = "sqlite.open_staff_items", skip_all)]
    async fn open_staff_items(&self, limit: usize) -> Result<Vec<StaffItem>, StoreError> {
        let limit = i64::try_from(limit.min(MAX_STAFF_ITEMS_PAGE)).unwrap_or(0);
        self.call(move |conn| {
            let mut select = conn
                .prepare_cached(
                    "SELECT body FROM staff_items WHERE resolved_at IS NULL
                     ORDER BY received_at DESC, id DESC LIMIT ?1",
                )
                .map_err(db)?;
            let bodies = select.query_map([limit], |row| row.get::<_, String>(0)).map_err(db)?;
            let mut items = Vec::new();
            for body in bodies {
                items.push(serde_json::from_str(&body.map_err(db)?).map_err(unavailable)?);
            }
            Ok(items)
        })
        .await
    }

    #[tracing::instrument(name = "sqlite.resolve_staff_item", skip_all)]
    async fn resolve_staff_item(&self, id: &str, by: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let (id, by) = (id.to_owned(), by.to_owned());
        self.call(move |conn| {
            let tx = immediate(conn)?;
            let body: Option<String> = tx
                .query_row("SELECT body FROM staff_items WHERE id = ?1 AND resolved_at IS NULL", [&id], |row| {
                    row.get(0)
                })
                .optional()
                .map_err(db)?;
            let Some(body) = body else {
                return Ok(false);
            };
            let mut item: StaffItem = serde_json::from_str(&body).map_err(unavailable)?;
            item.resolved_at = Some(at);
            item.resolved_by = Some(by);
            let body = serde_json::to_string(&item).map_err(unavailable)?;
            tx.execute("UPDATE staff_items SET resolved_at = ?2, body = ?3 WHERE id = ?1", params![id, ts(at), body])
                .map_err(db)?;
            tx.commit().map_err(db)?;
            Ok(true)
        })
        .await
    }

    #[tracing::instrument(name = "sqlite.staff_item", skip_all)]
    async fn staff_item(&self, id: &str) -> Result<Option<StaffItem>, StoreError> {
        let id = id.to_owned();
        self.call(move |conn| {
            let body: Option<String> = conn
                .query_row("SELECT body FROM staff_items WHERE id = ?1", [&id], |row| row.get(0))
                .optional()
                .map_err(db)?;
            body.map(|body| serde_json::from_str(&body).map_err(unavailable)).transpose()
        })
        .await
    }
}
