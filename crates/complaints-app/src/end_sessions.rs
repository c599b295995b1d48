//! Ending every session of one member of staff, for `complaints-admin end-sessions` (DynamoDB)
//! and `complaints end-sessions` (the local SQLite file): when access must end at once, the
//! next request of every browser they are signed in on goes to the sign-in page.
//!
//! The sessions are found through the store's index by user ([`SessionStore::sessions_of_user`]),
//! and deleted one by one, so a run stopped half-way is finished by running it again. The change
//! is recorded in the staff audit log (R57) before anything is deleted: an entry that cannot be
//! written stops the run.

use chrono::{DateTime, Utc};
use complaints_core::roles::{Permission, Role};

use crate::ports::StoreError;
use crate::sessions::SessionStore;
use crate::staff::{Access, AuditEntry, AuditLog};

/// The audit entry's action: `end-sessions:<the staff id whose sessions were ended>` (ids only,
/// as every audit entry; the case reference is empty).
pub const AUDIT_ACTION: &str = "end-sessions";

/// What to end, and who is ending it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndSessions {
    /// The staff id whose sessions end (locally the user name; on AWS the Cognito `sub`).
    pub user: String,
    /// Who ends them, for the audit log.
    pub by: String,
    /// Only count them.
    pub dry_run: bool,
}

/// What was found and done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ended {
    /// Sessions stored for the user.
    pub found: usize,
    /// Of those, the ones already past their absolute end (gone at their next request anyway).
    pub expired: usize,
    /// Sessions deleted (none on a dry run).
    pub ended: usize,
}

/// Counts (and, unless a dry run, ends) every session of `request.user` at `now`.
///
/// # Errors
/// [`StoreError::Unavailable`] when the sessions cannot be read or deleted, or the audit entry
/// cannot be written (then nothing was deleted).
pub async fn end_sessions(
    store: &dyn SessionStore,
    audit: &dyn AuditLog,
    request: &EndSessions,
    now: DateTime<Utc>,
) -> Result<Ended, StoreError> {
    let sessions = store.sessions_of_user(&request.user).await?;
    let mut result = Ended {
        found: sessions.len(),
        expired: sessions.iter().filter(|session| session.expires_at <= now).count(),
        ended: 0,
    };
    if request.dry_run {
        return Ok(result);
    }
    audit
        .record(AuditEntry {
            at: now,
            actor: request.by.clone(),
            role: Role::Admin,
            access: Access::Change,
            permission: Permission::ManageUsers,
            action: format!("{AUDIT_ACTION}:{}", request.user),
            reference: None,
            contact: None,
        })
        .await?;
    for session in &sessions {
        store.delete_session(&session.id_sha256).await?;
        result.ended += 1;
    }
    Ok(result)
}

/// One line saying what was found and done, as both commands print it.
#[must_use]
pub fn summary(request: &EndSessions, done: &Ended) -> String {
    let sessions = |n: usize| if n == 1 { "1 session".to_owned() } else { format!("{n} sessions") };
    if request.dry_run {
        format!("{}: {} ({} past their end); none ended (dry run)", request.user, sessions(done.found), done.expired)
    } else {
        format!(
            "{}: ended {} ({} past their end); recorded in the audit log as done by {}",
            request.user,
            sessions(done.ended),
            done.expired,
            request.by
        )
    }
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::sessions::{SessionRecord, session_id_hash};
    use crate::staff::{MemoryAuditLog, StaffUser};
    use crate::testing_sessions::MemorySessionStore;

    fn at(minute: i64) -> DateTime<Utc> {
        "2026-12-01T09:00:00Z".parse::<DateTime<Utc>>().expect("instant") + Duration::minutes(minute)
    }

    fn session(id: &str, user: &str, created: DateTime<Utc>) -> SessionRecord {
        SessionRecord {
            id_sha256: session_id_hash(id),
            user: StaffUser { id: user.into(), name: user.into(), role: Role::Handler, email: None },
            csrf: "c".into(),
            created_at: created,
            last_seen_at: created,
            expires_at: created + Duration::hours(10),
        }
    }

    async fn store() -> MemorySessionStore {
        let store = MemorySessionStore::default();
        for (id, user, created) in [("a", "ahmed", at(0)), ("b", "ahmed", at(-700)), ("c", "mairi", at(0))] {
            store.create_session(&session(id, user, created)).await.expect("created");
        }
        store
    }

    #[tokio::test]
    async fn a_dry_run_counts_the_sessions_and_changes_nothing() {
        let (store, audit) = (store().await, MemoryAuditLog::new());
        let request = EndSessions { user: "ahmed".into(), by: "fiona".into(), dry_run: true };
        let counted = end_sessions(&store, &audit, &request, at(1)).await.expect("counted");
        assert_eq!(counted, Ended { found: 2, expired: 1, ended: 0 });
        assert_eq!(store.session_count(), 3);
        assert!(audit.entries().is_empty(), "nothing done, nothing recorded");
    }

    #[tokio::test]
    async fn ending_deletes_only_that_users_sessions_and_records_who_did_it() {
        let (store, audit) = (store().await, MemoryAuditLog::new());
        let request = EndSessions { user: "ahmed".into(), by: "fiona".into(), dry_run: false };
        let done = end_sessions(&store, &audit, &request, at(1)).await.expect("ended");
        assert_eq!(done, Ended { found: 2, expired: 1, ended: 2 });
        assert!(store.sessions_of_user("ahmed").await.expect("listed").is_empty());
        assert_eq!(store.sessions_of_user("mairi").await.expect("listed").len(), 1);
        let entries = audit.entries();
        assert_eq!(entries.len(), 1);
        assert_eq!((entries[0].actor.as_str(), entries[0].action.as_str()), ("fiona", "end-sessions:ahmed"));
        assert_eq!(
            (entries[0].access, entries[0].permission, entries[0].at),
            (Access::Change, Permission::ManageUsers, at(1))
        );
        let again = end_sessions(&store, &audit, &request, at(2)).await.expect("ran again");
        assert_eq!(again, Ended::default(), "a second run finds nothing left");
    }
}
