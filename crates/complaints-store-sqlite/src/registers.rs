//! The registers on SQLite: [`QualityStore`] (one row per reviewed closure, found by the closure
//! date) and [`FlagStore`] (one row per flagged item; the open ones are found through a partial
//! index of open items, so the list never reads what has been dealt with).

use async_trait::async_trait;
use chrono::NaiveDate;
use complaints_app::flagged::{DealtWith, FlagPage, FlagStore, FlaggedItem, MAX_FLAG_PAGE};
use complaints_app::ports::StoreError;
use complaints_app::quality::QualityStore;
use complaints_core::quality::QualityReview;
use rusqlite::{OptionalExtension, params};

use crate::{SqliteCaseStore, db, immediate, is_constraint, ts, unavailable};

fn decode_review(body: &str) -> Result<QualityReview, StoreError> {
    serde_json::from_str(body).map_err(unavailable)
}

fn decode_flag(body: &str) -> Result<FlaggedItem, StoreError> {
    serde_json::from_str(body).map_err(unavailable)
}

#[async_trait]
impl QualityStore for SqliteCaseStore {
    async fn record_review(&self, review: &QualityReview) -> Result<(), StoreError> {
        let body = serde_json::to_string(review).map_err(unavailable)?;
        let (id, closed_on) = (review.id(), review.closure.closed_on.to_string());
        let reference = review.closure.reference.clone();
        self.call(move |conn| {
            let inserted = conn
                .prepare_cached("INSERT INTO quality_reviews (id, closed_on, body) VALUES (?1, ?2, ?3)")
                .and_then(|mut s| s.execute(params![id, closed_on, body]));
            match inserted {
                Ok(_) => Ok(()),
                Err(e) if is_constraint(&e) => Err(StoreError::AlreadyExists { existing: Some(reference) }),
                Err(e) => Err(db(e)),
            }
        })
        .await
    }

    async fn review_of(&self, closure_id: &str) -> Result<Option<QualityReview>, StoreError> {
        let id = closure_id.to_owned();
        self.call(move |conn| {
            let body: Option<String> = conn
                .prepare_cached("SELECT body FROM quality_reviews WHERE id = ?1")
                .and_then(|mut s| s.query_row([id], |row| row.get(0)).optional())
                .map_err(db)?;
            body.as_deref().map(decode_review).transpose()
        })
        .await
    }

    async fn reviews_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<QualityReview>, StoreError> {
        let (from, to) = (from.to_string(), to.to_string());
        self.call(move |conn| {
            let mut statement = conn
                .prepare_cached(
                    "SELECT body FROM quality_reviews WHERE closed_on BETWEEN ?1 AND ?2 ORDER BY closed_on, id",
                )
                .map_err(db)?;
            let bodies = statement
                .query_map([from, to], |row| row.get::<_, String>(0))
                .map_err(db)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db)?;
            bodies.iter().map(|b| decode_review(b)).collect()
        })
        .await
    }
}

#[async_trait]
impl FlagStore for SqliteCaseStore {
    async fn raise_flag(&self, item: &FlaggedItem) -> Result<bool, StoreError> {
        let body = serde_json::to_string(item).map_err(unavailable)?;
        let (id, raised_at, open) = (item.id.clone(), ts(item.raised_at), item.dealt_with.is_none());
        self.call(move |conn| {
            let inserted = conn
                .prepare_cached("INSERT OR IGNORE INTO staff_flags (id, raised_at, open, body) VALUES (?1, ?2, ?3, ?4)")
                .and_then(|mut s| s.execute(params![id, raised_at, open, body]))
                .map_err(db)?;
            Ok(inserted == 1)
        })
        .await
    }

    async fn flag(&self, id: &str) -> Result<Option<FlaggedItem>, StoreError> {
        let id = id.to_owned();
        self.call(move |conn| {
            let body: Option<String> = conn
                .prepare_cached("SELECT body FROM staff_flags WHERE id = ?1")
                .and_then(|mut s| s.query_row([id], |row| row.get(0)).optional())
                .map_err(db)?;
            body.as_deref().map(decode_flag).transpose()
        })
        .await
    }

    async fn open_flags(&self, after: Option<&str>, limit: usize) -> Result<FlagPage, StoreError> {
        let limit = limit.clamp(1, MAX_FLAG_PAGE);
        let after = after.map(str::to_owned);
        self.call(move |conn| {
            // The position to start after: the (time, id) of the previous page's last item.
            let start: Option<(String, String)> = match after {
                None => None,
                Some(id) => conn
                    .prepare_cached("SELECT raised_at, id FROM staff_flags WHERE id = ?1")
                    .and_then(|mut s| s.query_row([id], |row| Ok((row.get(0)?, row.get(1)?))).optional())
                    .map_err(db)?,
            };
            let (at, id) = start.unwrap_or_default();
            let fetch = i64::try_from(limit + 1).map_err(unavailable)?;
            let mut statement = conn
                .prepare_cached(
                    "SELECT body FROM staff_flags WHERE open = 1 AND (raised_at, id) > (?1, ?2)
                     ORDER BY raised_at, id LIMIT ?3",
                )
                .map_err(db)?;
            let bodies = statement
                .query_map(params![at, id, fetch], |row| row.get::<_, String>(0))
                .map_err(db)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db)?;
            let mut items: Vec<FlaggedItem> = bodies.iter().map(|b| decode_flag(b)).collect::<Result<_, _>>()?;
            let more = items.len() > limit;
            items.truncate(limit);
            let next = if more { items.last().map(|i| i.id.clone()) } else { None };
            Ok(FlagPage { items, next })
        })
        .await
    }

    async fn deal_with_flag(&self, id: &str, dealt_with: DealtWith) -> Result<FlaggedItem, StoreError> {
        let id = id.to_owned();
        self.call(move |conn| {
            let tx = immediate(conn)?;
            let body: Option<String> = tx
                .prepare_cached("SELECT body FROM staff_flags WHERE id = ?1")
                .and_then(|mut s| s.query_row([&id], |row| row.get(0)).optional())
                .map_err(db)?;
            let mut item = decode_flag(&body.ok_or(StoreError::NotFound)?)?;
            if item.dealt_with.is_some() {
                return Err(StoreError::VersionConflict { expected: 1 });
            }
            item.dealt_with = Some(dealt_with);
            let body = serde_json::to_string(&item).map_err(unavailable)?;
            tx.prepare_cached("UPDATE staff_flags SET open = 0, body = ?2 WHERE id = ?1")
                .and_then(|mut s| s.execute(params![id, body]))
                .map_err(db)?;
            tx.commit().map_err(db)?;
            Ok(item)
        })
        .await
    }
}
