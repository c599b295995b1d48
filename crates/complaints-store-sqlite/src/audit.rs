//! The staff audit log (R57) in the SQLite data file: every read, change and refused attempt with
//! its actor, ids only ([`complaints_app::staff::AuditLog`]).

use async_trait::async_trait;
use complaints_app::ports::StoreError;
use complaints_app::staff::{Access, AuditEntry, AuditLog};
use complaints_core::case::ContactKey;
use complaints_core::reference::CaseRef;
use complaints_core::roles::{Permission, Role};
use rusqlite::params;

use crate::{SqliteCaseStore, db, parse_ts, ts, unavailable};

fn access_name(access: Access) -> &'static str {
    match access {
        Access::Read => "read",
        Access::Change => "change",
        Access::Refused => "refused",
    }
}

fn bad_name(what: &str, text: &str) -> StoreError {
    unavailable(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("unknown {what} {text:?} in staff_audit")))
}

fn parse_access(text: &str) -> Result<Access, StoreError> {
    [Access::Read, Access::Change, Access::Refused]
        .into_iter()
        .find(|access| access_name(*access) == text)
        .ok_or_else(|| bad_name("access", text))
}

fn parse_permission(text: &str) -> Result<Permission, StoreError> {
    Permission::ALL
        .into_iter()
        .find(|permission| permission.as_str() == text)
        .ok_or_else(|| bad_name("permission", text))
}

#[async_trait]
impl AuditLog for SqliteCaseStore {
    async fn record(&self, entry: AuditEntry) -> Result<(), StoreError> {
        let row = (
            ts(entry.at),
            entry.actor,
            entry.role.as_str(),
            access_name(entry.access),
            entry.permission.as_str(),
            entry.action,
            entry.reference.map(|reference| reference.to_string()),
            entry.contact.map(|key| key.0),
        );
        self.call(move |conn| {
            conn.prepare_cached(
                "INSERT INTO staff_audit (at, actor, role, access, permission, action, reference, contact)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .and_then(|mut insert| insert.execute(params![row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7]))
            .map(|_| ())
            .map_err(db)
        })
        .await
    }

    async fn entries_for(&self, reference: &CaseRef) -> Result<Vec<AuditEntry>, StoreError> {
        self.audit_entries(reference).await
    }
}

impl SqliteCaseStore {
    /// The audit entries about one case, oldest first: who read or changed it, and when.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    pub async fn audit_entries(&self, reference: &CaseRef) -> Result<Vec<AuditEntry>, StoreError> {
        let reference = reference.to_string();
        let rows = self
            .call(move |conn| {
                let mut select = conn
                    .prepare_cached(
                        "SELECT at, actor, role, access, permission, action, reference, contact
                         FROM staff_audit WHERE reference = ?1 ORDER BY at, id",
                    )
                    .map_err(db)?;
                let rows = select
                    .query_map(params![reference], |row| {
                        Ok((
                            row.get::<_, String>(0)?,
                            row.get::<_, String>(1)?,
                            row.get::<_, String>(2)?,
                            row.get::<_, String>(3)?,
                            row.get::<_, String>(4)?,
                            row.get::<_, String>(5)?,
                            row.get::<_, Option<String>>(6)?,
                            row.get::<_, Option<String>>(7)?,
                        ))
                    })
                    .map_err(db)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(db)
            })
            .await?;
        rows.into_iter()
            .map(|(at, actor, role, access, permission, action, reference, contact)| {
                Ok(AuditEntry {
                    at: parse_ts(&at)?,
                    actor,
                    role: Role::parse(&role).ok_or_else(|| bad_name("role", &role))?,
                    access: parse_access(&access)?,
                    permission: parse_permission(&permission)?,
                    action,
                    reference: reference.map(|text| text.parse::<CaseRef>().map_err(unavailable)).transpose()?,
                    contact: contact.map(ContactKey),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    #[tokio::test]
    async fn audit_entries_are_kept_and_read_back_by_case_oldest_first() {
        let store = SqliteCaseStore::in_memory().unwrap_or_else(|error| unreachable!("{error}"));
        let reference: CaseRef = "CMP-2026-00001".parse().unwrap_or_else(|_| unreachable!("valid reference"));
        let other: CaseRef = "CMP-2026-00002".parse().unwrap_or_else(|_| unreachable!("valid reference"));
        let entry = |minute, actor: &str, access, reference: &CaseRef| AuditEntry {
            at: Utc.with_ymd_and_hms(2026, 2, 3, 10, minute, 0).single().unwrap_or_default(),
            actor: actor.to_owned(),
            role: Role::Auditor,
            access,
            permission: Permission::ViewCase,
            action: "view".to_owned(),
            reference: Some(reference.clone()),
            contact: None,
        };
        let later = entry(5, "a-2", Access::Refused, &reference);
        let earlier = entry(1, "a-1", Access::Read, &reference);
        for written in [later.clone(), earlier.clone(), entry(2, "a-3", Access::Read, &other)] {
            store.record(written).await.unwrap_or_else(|error| unreachable!("{error}"));
        }
        let read = store.audit_entries(&reference).await.unwrap_or_else(|error| unreachable!("{error}"));
        assert_eq!(read, vec![earlier, later]);
        // The port's read (the staff workspace's "viewed by" lines) answers the same.
        let through_port =
            AuditLog::entries_for(&store, &reference).await.unwrap_or_else(|error| unreachable!("{error}"));
        assert_eq!(through_port, read);
    }
}
