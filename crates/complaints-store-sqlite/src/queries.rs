//! [`CaseQueries`] on SQLite: the open list walks the sparse due index in (due date, reference)
//! order, the received list the received index; handler, service area, category, channel, stage,
//! due date and reference text are applied in SQL (virtual columns over the stored JSON, indexed
//! for the open list), so a page reads about a page of rows. Status is checked by the shared
//! matcher.

use async_trait::async_trait;
use complaints_app::ports::{StoreError, StoredCase};
use complaints_app::queries::{CaseQueries, CaseQuery, Cursor, Scope, fold};
use complaints_core::case::Stage;
use rusqlite::types::Value;

use crate::{SqliteCaseStore, db, stored_case};

/// The SQL and its parameters for one batch of candidates.
fn candidates_sql(query: &CaseQuery, after: Option<&Cursor>, limit: usize) -> (String, Vec<Value>) {
    let mut clauses = Vec::new();
    let mut args: Vec<Value> = Vec::new();
    let arg = |value: Value, args: &mut Vec<Value>| {
        args.push(value);
        format!("?{}", args.len())
    };
    let date_column = match query.scope {
        Scope::Open => {
            clauses.push("next_due IS NOT NULL".to_owned());
            "next_due"
        }
        Scope::Received { from, to } => {
            let (from, to) =
                (arg(Value::Text(from.to_string()), &mut args), arg(Value::Text(to.to_string()), &mut args));
            clauses.push(format!("received_on BETWEEN {from} AND {to}"));
            "received_on"
        }
    };
    if let Some(after) = after {
        let (date, reference) = after.parts();
        let date = arg(Value::Text(date.to_owned()), &mut args);
        let reference = arg(Value::Text(reference.to_owned()), &mut args);
        clauses.push(format!("({date_column}, reference) > ({date}, {reference})"));
    }
    if let Some(by) = query.due_by {
        let by = arg(Value::Text(by.to_string()), &mut args);
        clauses.push(format!("next_due IS NOT NULL AND next_due <= {by}"));
    }
    for (column, wanted) in [
        ("list_handler", &query.handler),
        ("list_team", &query.team),
        ("list_service_area", &query.service_area),
        ("list_category", &query.category),
    ] {
        if let Some(wanted) = wanted {
            let wanted = arg(Value::Text(fold(wanted)), &mut args);
            clauses.push(format!("{column} = {wanted}"));
        }
    }
    if let Some(channel) = query.channel {
        let channel = arg(Value::Text(channel.as_str().to_owned()), &mut args);
        clauses.push(format!("list_channel = {channel}"));
    }
    if let Some(stage) = query.stage {
        let stage = arg(Value::Integer(if stage == Stage::One { 1 } else { 2 }), &mut args);
        clauses.push(format!("list_stage = {stage}"));
    }
    if let Some(text) = &query.text {
        let text = arg(Value::Text(fold(text)), &mut args);
        clauses.push(format!("instr(lower(reference), {text}) > 0"));
    }
    let limit = arg(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)), &mut args);
    let sql = format!(
        "SELECT body, version FROM cases WHERE {} ORDER BY {date_column}, reference LIMIT {limit}",
        clauses.join(" AND ")
    );
    (sql, args)
}

#[async_trait]
impl CaseQueries for SqliteCaseStore {
    async fn candidates(
        &self,
        query: &CaseQuery,
        after: Option<&Cursor>,
        limit: usize,
    ) -> Result<Vec<StoredCase>, StoreError> {
        let (sql, args) = candidates_sql(query, after, limit);
        self.call(move |conn| {
            let mut statement = conn.prepare_cached(&sql).map_err(db)?;
            let rows = statement
                .query_map(rusqlite::params_from_iter(args), |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
                })
                .map_err(db)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db)?;
            rows.iter().map(|(body, version)| stored_case(body, *version)).collect()
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The open list must be served by an index in due order, never by a scan of every case.
    #[test]
    fn the_open_list_and_its_handler_filter_use_the_due_indexes() {
        let store = SqliteCaseStore::in_memory().expect("store");
        let conn = store.conn.lock().expect("lock");
        for (query, index) in [
            (CaseQuery::default(), "cases_open_by_due_ref"),
            (CaseQuery { handler: Some("Waste Team".to_owned()), ..CaseQuery::default() }, "cases_open_by_handler"),
        ] {
            let (sql, args) = candidates_sql(&query, Some(&"2026-12-01#CMP-2026-00001".parse().expect("cursor")), 51);
            let plan: Vec<String> = conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .expect("plan")
                .query_map(rusqlite::params_from_iter(args), |row| row.get::<_, String>(3))
                .expect("rows")
                .collect::<Result<_, _>>()
                .expect("plan rows");
            let plan = plan.join("; ");
            assert!(plan.contains(index), "{plan}");
            assert!(!plan.contains("TEMP B-TREE"), "no sort of the whole list: {plan}");
        }
    }
}
