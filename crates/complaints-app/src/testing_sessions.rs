//! [`SessionStore`] (and [`SingleUseTokens`]) in memory (feature `testing`): the double the
//! workspace's tests sign in with.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::ports::StoreError;
use crate::sessions::{LockoutPolicy, SessionRecord, SessionStore, SignInFailures};
use crate::single_use::SingleUseTokens;

/// Sessions and failure counts in two maps behind one mutex.
#[derive(Debug, Default)]
pub struct MemorySessionStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    sessions: HashMap<String, SessionRecord>,
    failures: HashMap<String, SignInFailures>,
    /// Single-use keys and until when each is kept.
    used: HashMap<String, DateTime<Utc>>,
}

impl MemorySessionStore {
    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many sessions are stored (expired ones too), for tests.
    #[must_use]
    pub fn session_count(&self) -> usize {
        self.inner().sessions.len()
    }
}

#[async_trait]
impl SessionStore for MemorySessionStore {
    async fn create_session(&self, session: &SessionRecord) -> Result<(), StoreError> {
        let mut inner = self.inner();
        if inner.sessions.contains_key(&session.id_sha256) {
            return Err(StoreError::AlreadyExists { existing: None });
        }
        inner.sessions.insert(session.id_sha256.clone(), session.clone());
        Ok(())
    }

    async fn session(&self, id_sha256: &str) -> Result<Option<SessionRecord>, StoreError> {
        Ok(self.inner().sessions.get(id_sha256).cloned())
    }

    async fn touch_session(&self, id_sha256: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        if let Some(session) = self.inner().sessions.get_mut(id_sha256) {
            session.last_seen_at = session.last_seen_at.max(at);
        }
        Ok(())
    }

    async fn delete_session(&self, id_sha256: &str) -> Result<(), StoreError> {
        self.inner().sessions.remove(id_sha256);
        Ok(())
    }

    async fn sessions_of_user(&self, user_id: &str) -> Result<Vec<SessionRecord>, StoreError> {
        let mut found: Vec<SessionRecord> =
            self.inner().sessions.values().filter(|session| session.user.id == user_id).cloned().collect();
        found.sort_by(|a, b| (a.created_at, &a.id_sha256).cmp(&(b.created_at, &b.id_sha256)));
        Ok(found)
    }

    async fn sign_in_failures(&self, account: &str) -> Result<Option<SignInFailures>, StoreError> {
        Ok(self.inner().failures.get(account).copied())
    }

    async fn record_sign_in_failure(
        &self,
        account: &str,
        at: DateTime<Utc>,
        policy: &LockoutPolicy,
    ) -> Result<SignInFailures, StoreError> {
        let mut inner = self.inner();
        let next = SignInFailures::after_failure(inner.failures.get(account).copied(), at, policy);
        inner.failures.insert(account.to_owned(), next);
        Ok(next)
    }

    async fn clear_sign_in_failures(&self, account: &str) -> Result<(), StoreError> {
        self.inner().failures.remove(account);
        Ok(())
    }
}

#[async_trait]
impl SingleUseTokens for MemorySessionStore {
    async fn use_once(&self, key: &str, at: DateTime<Utc>, keep_until: DateTime<Utc>) -> Result<bool, StoreError> {
        let mut inner = self.inner();
        inner.used.retain(|_, until| *until > at);
        if inner.used.contains_key(key) {
            return Ok(false);
        }
        inner.used.insert(key.to_owned(), keep_until);
        Ok(true)
    }
}

/// `name=value` of the cookie `name` among a response's `Set-Cookie` values: what a browser sends
/// back. For the sign-in tests, through the router or against a running server.
#[must_use]
pub fn cookie_pair<'a>(set_cookies: impl IntoIterator<Item = &'a str>, name: &str) -> Option<String> {
    let prefix = format!("{name}=");
    set_cookies
        .into_iter()
        .find(|cookie| cookie.starts_with(&prefix))
        .map(|cookie| cookie.split(';').next().unwrap_or_default().to_owned())
}

/// The value of the hidden form field `name` on a page, as the page holds it (the sign-in token,
/// a session's CSRF token).
#[must_use]
pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    Some(html[start..].split('"').next().unwrap_or_default().to_owned())
}
