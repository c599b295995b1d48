//! The indexes written with a case on SQLite (issue 12), each in the case write's transaction:
//!
//! - `case_names`: one row per (name token, case), written by `create` (the parties are fixed
//!   from then on); a search intersects the tokens' rows through the primary key and reads only
//!   the cases that have them all.
//! - the SPSO referral index: an expression index on the case body's `spso.referred_on`, partial
//!   (only referred cases are in it), so SQLite keeps it in every write of the case and filled it
//!   for existing cases when the migration created it.
//! - flags: every timeline append puts the flags among its events in `staff_flags`
//!   (`INSERT OR IGNORE`, the id is derived from the event), in the same transaction.
//!
//! Cases written before these existed are indexed once when the store is opened: each backfill
//! runs in one transaction and is recorded by name in `index_backfills`, so it runs once per
//! data file whichever migration number it ended up after.

use async_trait::async_trait;
use chrono::NaiveDate;
use complaints_app::case_indexes::{CaseIndexes, NamedCases, by_referral, case_name_tokens, newest_first};
use complaints_app::flagged::flags_in_events;
use complaints_app::ports::{StoreError, StoredCase};
use complaints_core::case::Case;
use complaints_core::timeline::TimelineEvent;
use rusqlite::{Connection, Transaction, params, params_from_iter};

use crate::{SqliteCaseStore, db, immediate, parse_ref, query_cases, stored_case, ts, unavailable};

/// The referral index's expression: the query must spell it the same way for SQLite to use it.
const REFERRED_ON: &str = "json_extract(body, '$.spso.referred_on')";

/// Writes `case`'s name tokens (idempotent).
pub(crate) fn write_names(tx: &Transaction<'_>, reference: &str, case: &Case) -> Result<usize, StoreError> {
    let mut insert =
        tx.prepare_cached("INSERT OR IGNORE INTO case_names (token, reference) VALUES (?1, ?2)").map_err(db)?;
    let mut added = 0;
    for token in case_name_tokens(case) {
        added += insert.execute(params![token, reference]).map_err(db)?;
    }
    Ok(added)
}

/// Puts the flags among `events` on `reference`'s case in the register (idempotent).
pub(crate) fn raise_flags(
    tx: &Transaction<'_>,
    reference: &str,
    events: &[TimelineEvent],
) -> Result<usize, StoreError> {
    if !events.iter().any(|e| matches!(e.what, complaints_core::case::CaseEvent::FlaggedForStaff { .. })) {
        return Ok(0);
    }
    let reference = parse_ref(reference)?;
    let mut insert = tx
        .prepare_cached("INSERT OR IGNORE INTO staff_flags (id, raised_at, open, body) VALUES (?1, ?2, 1, ?3)")
        .map_err(db)?;
    let mut added = 0;
    for item in flags_in_events(&reference, events) {
        let body = serde_json::to_string(&item).map_err(unavailable)?;
        added += insert.execute(params![item.id, ts(item.raised_at), body]).map_err(db)?;
    }
    Ok(added)
}

/// What the backfills at open added.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Backfilled {
    pub(crate) name_rows: usize,
    pub(crate) flags: usize,
}

fn done(tx: &Transaction<'_>, name: &str) -> Result<bool, StoreError> {
    tx.prepare_cached("SELECT 1 FROM index_backfills WHERE name = ?1").and_then(|mut s| s.exists([name])).map_err(db)
}

fn mark(tx: &Transaction<'_>, name: &str) -> Result<(), StoreError> {
    tx.prepare_cached("INSERT INTO index_backfills (name, done_at) VALUES (?1, ?2)")
        .and_then(|mut s| s.execute(params![name, ts(chrono::Utc::now())]))
        .map_err(db)?;
    Ok(())
}

/// Indexes the cases and flags written before the indexes existed, once per data file.
pub(crate) fn backfill(conn: &mut Connection) -> Result<Backfilled, StoreError> {
    let mut added = Backfilled::default();
    let tx = immediate(conn)?;
    if !done(&tx, "case-names")? {
        let rows: Vec<(String, String, i64)> = tx
            .prepare("SELECT reference, body, version FROM cases")
            .and_then(|mut s| s.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?.collect())
            .map_err(db)?;
        for (reference, body, version) in rows {
            added.name_rows += write_names(&tx, &reference, &stored_case(&body, version)?.case)?;
        }
        mark(&tx, "case-names")?;
    }
    if !done(&tx, "case-flags")? {
        // Only timeline entries that are flags; the type tag is matched as text first, so the
        // other entries are not decoded.
        let rows: Vec<(String, String)> = tx
            .prepare("SELECT reference, body FROM timeline WHERE body LIKE '%\"flagged-for-staff\"%' ORDER BY id")
            .and_then(|mut s| s.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?.collect())
            .map_err(db)?;
        for (reference, body) in rows {
            let event: TimelineEvent = serde_json::from_str(&body).map_err(unavailable)?;
            added.flags += raise_flags(&tx, &reference, std::slice::from_ref(&event))?;
        }
        mark(&tx, "case-flags")?;
    }
    tx.commit().map_err(db)?;
    if added != Backfilled::default() {
        tracing::info!(name_rows = added.name_rows, flags = added.flags, "case indexes backfilled");
    }
    Ok(added)
}

#[async_trait]
impl CaseIndexes for SqliteCaseStore {
    async fn cases_named(&self, tokens: &[String], limit: usize) -> Result<NamedCases, StoreError> {
        if tokens.is_empty() {
            return Ok(NamedCases::default());
        }
        let tokens = tokens.to_vec();
        self.call(move |conn| {
            // The references under every token (each a primary-key range of case_names), then
            // only those cases.
            let intersect = vec!["SELECT reference FROM case_names WHERE token = ?"; tokens.len()].join(" INTERSECT ");
            let sql = format!("SELECT body, version FROM cases WHERE reference IN ({intersect})");
            let found = query_cases(conn, &sql, params_from_iter(tokens.iter()))?;
            Ok(newest_first(found, limit, false))
        })
        .await
    }

    async fn referred_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<StoredCase>, StoreError> {
        let (from, to) = (from.to_string(), to.to_string());
        self.call(move |conn| {
            let sql = format!("SELECT body, version FROM cases WHERE {REFERRED_ON} BETWEEN ?1 AND ?2");
            Ok(by_referral(query_cases(conn, &sql, [from, to])?))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_referral_and_name_lookups_use_their_indexes_not_a_scan_of_cases() {
        let store = SqliteCaseStore::in_memory().expect("store");
        let conn = store.conn.lock().expect("lock");
        let plan = |sql: &str| -> String {
            let mut statement = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).expect("plan");
            let rows = statement.query_map([], |row| row.get::<_, String>(3)).expect("rows");
            rows.collect::<Result<Vec<_>, _>>().expect("plan rows").join("; ")
        };
        let referrals =
            plan(&format!("SELECT body, version FROM cases WHERE {REFERRED_ON} BETWEEN '2026-01-01' AND '2026-12-31'"));
        assert!(referrals.contains("USING INDEX cases_by_spso_referral"), "{referrals}");
        let names = plan(
            "SELECT body, version FROM cases WHERE reference IN (SELECT reference FROM case_names WHERE token = 'a' \
             INTERSECT SELECT reference FROM case_names WHERE token = 'b')",
        );
        assert!(!names.contains("SCAN cases"), "{names}");
        assert!(names.contains("case_names"), "{names}");
    }
}
