//! Server-side sessions of the staff pages and the failed sign-in counts behind the lockout: the
//! [`SessionStore`] port, with SQLite (local) and DynamoDB (AWS) adapters and a memory double.
//!
//! The browser holds only a random session id; the store keeps its SHA-256, so a copy of the store
//! cannot be replayed as a cookie. A session ends after [`SessionPolicy::idle`] without a request
//! or [`SessionPolicy::absolute`] after sign-in, whichever comes first, and at sign-out (deleted).
//! Failed sign-ins are counted per account key (a hash of the name, never the name) in a window;
//! past the limit the account is locked for a while ([`LockoutPolicy`]).

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ports::StoreError;
pub use crate::single_use::SingleUseTokens;
use crate::staff::StaffUser;

/// Default idle timeout: 30 minutes without a request ends a session (OWASP's session management
/// guidance: 15-30 minutes for most applications).
pub const DEFAULT_IDLE_MINUTES: i64 = 30;
/// Default absolute lifetime: 10 hours, a long working day, after which staff sign in again.
pub const DEFAULT_ABSOLUTE_HOURS: i64 = 10;
/// Default lockout: 5 failed sign-ins within 15 minutes lock the account for 15 minutes.
pub const DEFAULT_MAX_FAILURES: u32 = 5;
pub const DEFAULT_FAILURE_WINDOW_MINUTES: i64 = 15;
pub const DEFAULT_LOCK_MINUTES: i64 = 15;

/// How long sessions live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle: Duration,
    pub absolute: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self { idle: Duration::minutes(DEFAULT_IDLE_MINUTES), absolute: Duration::hours(DEFAULT_ABSOLUTE_HOURS) }
    }
}

/// When an account is locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Failures within [`LockoutPolicy::window`] that lock the account.
    pub max_failures: u32,
    pub window: Duration,
    /// How long the account then stays locked.
    pub lock_for: Duration,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            max_failures: DEFAULT_MAX_FAILURES,
            window: Duration::minutes(DEFAULT_FAILURE_WINDOW_MINUTES),
            lock_for: Duration::minutes(DEFAULT_LOCK_MINUTES),
        }
    }
}

/// One signed-in session as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// SHA-256 (hex) of the session id the cookie carries ([`session_id_hash`]).
    pub id_sha256: String,
    pub user: StaffUser,
    /// The session's CSRF token, which every form posts back.
    pub csrf: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// The absolute end: `created_at` plus [`SessionPolicy::absolute`]. Stores may drop the
    /// session after it (DynamoDB's TTL does, some time later).
    pub expires_at: DateTime<Utc>,
}

impl SessionRecord {
    /// Whether the session still counts at `now`: within its absolute lifetime and not idle for
    /// longer than `policy.idle`.
    #[must_use]
    pub fn is_live(&self, now: DateTime<Utc>, policy: &SessionPolicy) -> bool {
        now < self.expires_at && now < self.created_at + policy.absolute && now - self.last_seen_at < policy.idle
    }
}

/// The failed sign-ins of one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInFailures {
    /// Failures since `window_started`.
    pub count: u32,
    pub window_started: DateTime<Utc>,
    /// Set when `count` reached the limit: no sign-in before then.
    pub locked_until: Option<DateTime<Utc>>,
}

impl SignInFailures {
    /// Whether the account is locked at `now`.
    #[must_use]
    pub fn locked_at(&self, now: DateTime<Utc>) -> bool {
        self.locked_until.is_some_and(|until| now < until)
    }

    /// These failures with one more at `at`: a window that has passed (and any lock that has
    /// ended) starts afresh; reaching the limit locks. Every store applies this same rule.
    #[must_use]
    pub fn after_failure(previous: Option<Self>, at: DateTime<Utc>, policy: &LockoutPolicy) -> Self {
        let current = previous.filter(|f| f.locked_at(at) || at - f.window_started < policy.window);
        let mut next = match current {
            Some(f) => Self { count: f.count.saturating_add(1), ..f },
            None => Self { count: 1, window_started: at, locked_until: None },
        };
        if next.count >= policy.max_failures && next.locked_until.is_none_or(|until| until <= at) {
            next.locked_until = Some(at + policy.lock_for);
        }
        next
    }

    /// When the record can be forgotten: after its window and any lock.
    #[must_use]
    pub fn forget_after(&self, policy: &LockoutPolicy) -> DateTime<Utc> {
        let window_end = self.window_started + policy.window;
        self.locked_until.map_or(window_end, |until| until.max(window_end))
    }
}

/// SHA-256 (hex) of a session id: what the store keeps and looks sessions up by.
#[must_use]
pub fn session_id_hash(session_id: &str) -> String {
    hex::encode(Sha256::digest(session_id.as_bytes()))
}

/// The key failed sign-ins of `name` are counted under: a hash of the name as typed (trimmed,
/// lower case), so the store and the logs never hold a name, and an unknown name is counted
/// exactly as a known one.
#[must_use]
pub fn account_key(name: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"complaints sign-in account\n");
    hasher.update(name.trim().to_lowercase().as_bytes());
    hex::encode(&hasher.finalize()[..16])
}

/// The key that signs the staff sign-in page's pre-session tokens (and the sign-in state
/// cookie's MAC), derived from the contact-key secret so a deployment keeps one secret, yet a
/// different key from the citizen form's. `complaints serve` and the staff-api function both use it.
#[must_use]
pub fn sign_in_secret(contact_secret: &[u8]) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(b"complaints-workspace sign-in v1\n");
    hasher.update(contact_secret);
    hasher.finalize().to_vec()
}

/// Where sessions and failed sign-in counts live, and the sign-in forms already used
/// ([`SingleUseTokens`]). Every adapter passes the contract suites (`session_contract`,
/// `single_use_contract`).
#[async_trait]
pub trait SessionStore: SingleUseTokens + Send + Sync + std::fmt::Debug {
    /// Stores a new session.
    ///
    /// # Errors
    /// [`StoreError::AlreadyExists`] when a session with this id hash exists; [`StoreError::Unavailable`].
    async fn create_session(&self, session: &SessionRecord) -> Result<(), StoreError>;

    /// The session with this id hash, if there is one (live or not: the caller checks).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn session(&self, id_sha256: &str) -> Result<Option<SessionRecord>, StoreError>;

    /// Records a request on the session at `at` (its idle timeout starts again). A session that
    /// is gone stays gone.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn touch_session(&self, id_sha256: &str, at: DateTime<Utc>) -> Result<(), StoreError>;

    /// Deletes the session (sign-out); deleting one that is gone is not an error.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn delete_session(&self, id_sha256: &str) -> Result<(), StoreError>;

    /// Every stored session of the member of staff `user_id` (live or not: the caller checks),
    /// found through an index written with the session, never by reading every session.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn sessions_of_user(&self, user_id: &str) -> Result<Vec<SessionRecord>, StoreError>;

    /// The failed sign-ins counted for this account key, if any.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn sign_in_failures(&self, account: &str) -> Result<Option<SignInFailures>, StoreError>;

    /// Counts one failed sign-in at `at` by [`SignInFailures::after_failure`] and returns the
    /// result. Concurrent failures are all counted.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn record_sign_in_failure(
        &self,
        account: &str,
        at: DateTime<Utc>,
        policy: &LockoutPolicy,
    ) -> Result<SignInFailures, StoreError>;

    /// Forgets the account's failures (after a successful sign-in).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn clear_sign_in_failures(&self, account: &str) -> Result<(), StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> DateTime<Utc> {
        "2026-12-01T09:00:00Z".parse::<DateTime<Utc>>().expect("instant") + Duration::minutes(minute)
    }

    #[test]
    fn the_fifth_failure_in_the_window_locks_for_the_lock_period() {
        let policy = LockoutPolicy::default();
        let mut failures = None;
        for minute in 0..4 {
            let next = SignInFailures::after_failure(failures, at(minute), &policy);
            assert!(!next.locked_at(at(minute)), "failure {} does not lock", minute + 1);
            failures = Some(next);
        }
        let fifth = SignInFailures::after_failure(failures, at(4), &policy);
        assert_eq!(fifth.count, 5);
        assert_eq!(fifth.locked_until, Some(at(4 + DEFAULT_LOCK_MINUTES)));
        assert!(fifth.locked_at(at(18)) && !fifth.locked_at(at(19)));
        assert_eq!(fifth.forget_after(&policy), at(19));
    }

    #[test]
    fn failures_spread_wider_than_the_window_never_lock() {
        let policy = LockoutPolicy::default();
        let mut failures = None;
        for n in 0..20 {
            let next = SignInFailures::after_failure(failures, at(n * 4), &policy);
            assert!(next.locked_until.is_none(), "failure {n}");
            assert!(next.count <= 4);
            failures = Some(next);
        }
    }

    #[test]
    fn a_session_ends_when_idle_or_at_its_absolute_end() {
        let policy = SessionPolicy::default();
        let session = SessionRecord {
            id_sha256: session_id_hash("id"),
            user: StaffUser {
                id: "ahmed".into(),
                name: "Ahmed".into(),
                role: complaints_core::roles::Role::Handler,
                email: None,
            },
            csrf: "c".into(),
            created_at: at(0),
            last_seen_at: at(0),
            expires_at: at(0) + policy.absolute,
        };
        assert!(session.is_live(at(29), &policy));
        assert!(!session.is_live(at(30), &policy), "idle for 30 minutes");
        let busy = SessionRecord { last_seen_at: at(599), ..session.clone() };
        assert!(busy.is_live(at(599), &policy));
        assert!(!busy.is_live(at(600), &policy), "ten hours after sign-in, however busy");
        assert_ne!(session_id_hash("id"), "id");
        assert_eq!(account_key(" Ahmed "), account_key("ahmed"));
        assert_ne!(account_key("ahmed"), account_key("mairi"));
    }
}
