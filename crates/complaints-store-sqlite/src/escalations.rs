//! [`EscalatedCases`] on SQLite: the generated column `escalated_on` (the escalation request's or
//! the organisation's decision date, read from the stored case) and its partial index, so the
//! export reads only the period's escalated cases.

use async_trait::async_trait;
use chrono::NaiveDate;
use complaints_app::escalations::EscalatedCases;
use complaints_app::ports::{StoreError, StoredCase};

use crate::{SqliteCaseStore, query_cases};

#[async_trait]
impl EscalatedCases for SqliteCaseStore {
    async fn escalated_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<StoredCase>, StoreError> {
        let (from, to) = (from.to_string(), to.to_string());
        self.call(move |conn| {
            query_cases(
                conn,
                "SELECT body, version FROM cases WHERE escalated_on BETWEEN ?1 AND ?2
                 ORDER BY escalated_on, prefix, year, number",
                [from, to],
            )
        })
        .await
    }
}
