//! The indexes written with a case on SQLite (issue 12), each in the case write's transaction:
//!
//! - `case_names`: one row per (folded name token, case), written by `create` (the parties are
//!   fixed from then on); a search intersects the words' rows through the primary key (a range
//!   of tokens for a word of three letters or more: the tokens that start with it, as
//!   [`complaints_app::name_fold::token_matches`] says; the one token for a shorter word) and reads only the cases that have
//!   them all.
//! - the SPSO referral index: an expression index on the case body's `spso.referred_on`, partial
//!   (only referred cases are in it), so SQLite keeps it in every write of the case and filled it
//!   for existing cases when the migration created it.
//! - flags: every timeline append puts the flags among its events in `staff_flags`
//!   (`INSERT OR IGNORE`, the id is derived from the event), in the same transaction.
//!
//! Cases written before these existed are indexed once when the store is opened: each backfill
//! runs in one transaction and is recorded by name in `index_backfills`, so it runs once per
//! data file whichever migration number it ended up after. The names' backfill was renewed when
//! tokens began to be folded ([`NAMES_BACKFILL`]): it empties `case_names` and writes every
//! case's tokens again, so files indexed before (accents kept) are rebuilt once.

use async_trait::async_trait;
use chrono::NaiveDate;
use complaints_app::case_indexes::{CaseIndexes, NamedCases, by_referral, case_name_tokens, newest_first};
use complaints_app::flagged::flags_in_events;
use complaints_app::name_fold::MIN_PREFIX_CHARS;
use complaints_app::ports::{StoreError, StoredCase};
use complaints_core::case::Case;
use complaints_core::timeline::TimelineEvent;
use rusqlite::{Connection, Transaction, params, params_from_iter};

use crate::{SqliteCaseStore, db, immediate, parse_ref, query_cases, stored_case, ts, unavailable};

/// The referral index's expression: the query must spell it the same way for SQLite to use it.
const REFERRED_ON: &str = "json_extract(body, '$.spso.referred_on')";

/// The names' backfill: `case-names` indexed tokens with their accents; `case-names-folded`
/// rebuilds the table with folded tokens, on files that had the first and on those that did not.
const NAMES_BACKFILL: &str = "case-names-folded";

/// The tokens after every token that starts with `word`: `word` followed by the last character
/// there is, which no token holds (tokens are letters and digits), and which sorts after every
/// other as SQLite compares text (byte by byte in UTF-8, the order of code points).
fn after_prefix(word: &str) -> String {
    format!("{word}{}", char::MAX)
}

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
    if !done(&tx, NAMES_BACKFILL)? {
        tx.execute("DELETE FROM case_names", []).map_err(db)?;
        let rows: Vec<(String, String, i64)> = tx
            .prepare("SELECT reference, body, version FROM cases")
            .and_then(|mut s| s.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?.collect())
            .map_err(db)?;
        for (reference, body, version) in rows {
            added.name_rows += write_names(&tx, &reference, &stored_case(&body, version)?.case)?;
        }
        mark(&tx, NAMES_BACKFILL)?;
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
        let mut lookups = Vec::with_capacity(tokens.len());
        let mut values = Vec::with_capacity(tokens.len() * 2);
        for word in tokens {
            if word.chars().count() >= MIN_PREFIX_CHARS {
                lookups.push("SELECT reference FROM case_names WHERE token >= ? AND token < ?");
                values.extend([word.clone(), after_prefix(word)]);
            } else {
                lookups.push("SELECT reference FROM case_names WHERE token = ?");
                values.push(word.clone());
            }
        }
        self.call(move |conn| {
            // The references under every word (each a primary-key range of case_names), then
            // only those cases.
            let sql = format!("SELECT body, version FROM cases WHERE reference IN ({})", lookups.join(" INTERSECT "));
            let found = query_cases(conn, &sql, params_from_iter(values.iter()))?;
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
    use complaints_app::name_fold::token_matches;

    #[test]
    fn the_range_after_a_word_holds_exactly_the_tokens_that_start_with_it() {
        let end = after_prefix("siob");
        let in_range = |token: &str| token >= "siob" && token < end.as_str();
        for token in ["siob", "siobhan", "siobz", "siob\u{10fffe}", "siob9"] {
            assert!(in_range(token), "{token}");
            assert!(token_matches("siob", token), "{token}");
        }
        for token in ["sioa", "sioc", "sio", "siöb", "tsiob"] {
            assert!(!in_range(token), "{token}");
            assert!(!token_matches("siob", token), "{token}");
        }
    }

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
            "SELECT body, version FROM cases WHERE reference IN (SELECT reference FROM case_names WHERE token = 'ab' \
             INTERSECT SELECT reference FROM case_names WHERE token >= 'abc' AND token < 'abd')",
        );
        assert!(!names.contains("SCAN cases"), "{names}");
        assert!(names.contains("case_names"), "{names}");
    }
}
