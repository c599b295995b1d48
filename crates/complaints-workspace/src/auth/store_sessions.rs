//! [`StoreSessions`]: the real [`Sessions`] behind the staff pages. Session ids live only in the
//! browser's cookie; the store keeps their SHA-256, the user and the session's CSRF token.

use std::sync::Arc;

use axum::http::request::Parts;
use chrono::{DateTime, Duration, Utc};
use complaints_app::ports::{Clock, StoreError};
use complaints_app::sessions::{LockoutPolicy, SessionPolicy, SessionRecord, SessionStore, session_id_hash};
use complaints_app::staff::StaffUser;
use complaints_web::ratelimit::RateLimiter;

use super::cognito::Cognito;
use super::cookies::{self, CookieJar, SameSite};
use super::passwords::PasswordSource;
use super::tokens::{TokenSigner, random_hex};
use crate::session::{SessionError, Sessions, SignedIn};

/// A session's `last_seen_at` is written at most this often (seconds), so reading pages does not
/// mean a store write per request; the idle timeout is that much coarser.
const TOUCH_EVERY_SECONDS: i64 = 60;

/// Default per-client limit on sign-in attempts: 20 in 15 minutes from one address (or IPv6 /64),
/// checked before any password hashing, so the page cannot be used to burn CPU.
pub const DEFAULT_CLIENT_ATTEMPTS: u32 = 20;
pub const DEFAULT_CLIENT_WINDOW_MINUTES: u32 = 15;
/// At most this many password checks (19 MiB and tens of milliseconds each) run at once.
pub const MAX_CONCURRENT_PASSWORD_CHECKS: usize = 2;

/// How staff prove who they are.
#[derive(Debug, Clone)]
pub enum SignInMethod {
    /// Locally: a name and password from the users file, on the workspace's own page.
    Passwords(PasswordSource),
    /// On AWS: Cognito's hosted sign-in (authorization code with PKCE).
    Cognito(Arc<Cognito>),
}

/// Sessions in a [`SessionStore`], and everything signing in needs.
#[derive(Clone)]
pub struct StoreSessions {
    pub(crate) store: Arc<dyn SessionStore>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) policy: SessionPolicy,
    pub(crate) lockout: LockoutPolicy,
    pub(crate) cookies: CookieJar,
    pub(crate) signer: TokenSigner,
    pub(crate) method: SignInMethod,
    pub(crate) limiter: Arc<RateLimiter>,
    pub(crate) checks: Arc<tokio::sync::Semaphore>,
    /// The staff a case may be assigned to when signing in is through Cognito (the staff
    /// directory); locally the users file says ([`super::known_staff`]).
    pub(crate) directory: Option<Arc<[super::known_staff::KnownStaff]>>,
}

impl std::fmt::Debug for StoreSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreSessions")
            .field("policy", &self.policy)
            .field("lockout", &self.lockout)
            .field("cookies", &self.cookies)
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
}

impl StoreSessions {
    /// Sessions in `store` with the default lifetimes and lockout. `secure` sets `Secure` on
    /// every cookie: true whenever the server is reached other than on loopback. `secret` signs
    /// the pre-session tokens (at least 16 bytes; derive it from a secret the deployment keeps).
    #[must_use]
    pub fn new(
        store: Arc<dyn SessionStore>,
        clock: Arc<dyn Clock>,
        method: SignInMethod,
        secret: &[u8],
        secure: bool,
    ) -> Self {
        Self {
            store,
            clock,
            policy: SessionPolicy::default(),
            lockout: LockoutPolicy::default(),
            cookies: CookieJar { secure },
            signer: TokenSigner::new(secret),
            method,
            limiter: Arc::new(RateLimiter::new(DEFAULT_CLIENT_ATTEMPTS, DEFAULT_CLIENT_WINDOW_MINUTES)),
            checks: Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT_PASSWORD_CHECKS)),
            directory: None,
        }
    }

    /// The same with the staff directory's handlers as the staff a case may be assigned to (on
    /// AWS, where there is no users file): `DirectoryMap::handlers`, each person once by id.
    #[must_use]
    pub fn with_staff_directory(mut self, handlers: &[complaints_app::staff_directory::DirectoryHandler]) -> Self {
        self.directory = Some(
            handlers
                .iter()
                .map(|h| super::known_staff::KnownStaff { id: h.id.clone(), label: h.label.clone() })
                .collect(),
        );
        self
    }

    /// The staff a case may be assigned to, when known: the users file's handlers and managers
    /// locally, else the staff directory.
    #[must_use]
    pub fn known_staff(&self) -> Option<Vec<super::known_staff::KnownStaff>> {
        match &self.method {
            SignInMethod::Passwords(source) => source.known_staff(),
            SignInMethod::Cognito(_) => self.directory.as_deref().map(<[_]>::to_vec),
        }
    }

    /// The same with the lifetimes, lockout and attempt limit of the organisation configuration's
    /// `[sign_in]` (each at least 1 minute or 1 hour, so a typo cannot end every session at once).
    #[must_use]
    pub fn with_settings(self, settings: &complaints_core::sign_in::SignInSettings) -> Self {
        let minutes = |n: u32| Duration::minutes(i64::from(n.max(1)));
        self.with_policy(SessionPolicy {
            idle: minutes(settings.idle_minutes),
            absolute: Duration::hours(i64::from(settings.absolute_hours.max(1))),
        })
        .with_lockout(LockoutPolicy {
            max_failures: settings.max_failures.max(1),
            window: minutes(settings.failure_window_minutes),
            lock_for: minutes(settings.lock_minutes),
        })
        .with_client_limit(settings.client_attempts, settings.client_window_minutes.max(1))
    }

    /// The same with other session lifetimes.
    #[must_use]
    pub fn with_policy(mut self, policy: SessionPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The same with another lockout.
    #[must_use]
    pub fn with_lockout(mut self, lockout: LockoutPolicy) -> Self {
        self.lockout = lockout;
        self
    }

    /// The same with another per-client attempt limit (0 attempts: no limit).
    #[must_use]
    pub fn with_client_limit(mut self, attempts: u32, window_minutes: u32) -> Self {
        self.limiter = Arc::new(RateLimiter::new(attempts, window_minutes));
        self
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Starts a session for `user`: stores it and returns the `Set-Cookie` value that carries it.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot write it (or no randomness is available).
    pub async fn start(&self, user: StaffUser) -> Result<String, StoreError> {
        let random =
            || random_hex().map_err(|e| StoreError::Unavailable(Box::new(std::io::Error::other(e.to_string()))));
        let (id, csrf) = (random()?, random()?);
        let now = self.now();
        let record = SessionRecord {
            id_sha256: session_id_hash(&id),
            user,
            csrf,
            created_at: now,
            last_seen_at: now,
            expires_at: now + self.policy.absolute,
        };
        self.store.create_session(&record).await?;
        Ok(self.cookies.set(cookies::SESSION, &id, crate::PREFIX, SameSite::Strict, self.policy.absolute.num_seconds()))
    }

    /// Ends the request's session, if any: deletes it from the store and returns the
    /// `Set-Cookie` value that removes the cookie.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot delete it.
    pub async fn end(&self, parts: &Parts) -> Result<String, StoreError> {
        if let Some(id) = self.session_id(parts) {
            self.store.delete_session(&session_id_hash(&id)).await?;
        }
        Ok(self.cookies.clear(cookies::SESSION, crate::PREFIX, SameSite::Strict))
    }

    /// The session id the request's cookie carries, when it has the shape of one.
    fn session_id(&self, parts: &Parts) -> Option<String> {
        self.cookies
            .get(&parts.headers, cookies::SESSION)
            .filter(|id| id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()))
    }

    /// Whether the user a session was made for still stands: locally, still in the users file
    /// (with their role now); on AWS, the ID token was checked at sign-in and the session's
    /// lifetime bounds it.
    fn current_user(&self, user: StaffUser) -> Option<StaffUser> {
        match &self.method {
            SignInMethod::Passwords(source) => source.current(&user.id),
            SignInMethod::Cognito(_) => Some(user),
        }
    }
}

#[async_trait::async_trait]
impl Sessions for StoreSessions {
    async fn current(&self, parts: &Parts) -> Result<Option<SignedIn>, SessionError> {
        let Some(id) = self.session_id(parts) else { return Ok(None) };
        let hash = session_id_hash(&id);
        let unavailable = |err: StoreError| SessionError(complaints_app::error_chain(&err));
        let Some(session) = self.store.session(&hash).await.map_err(unavailable)? else { return Ok(None) };
        let now = self.now();
        if !session.is_live(now, &self.policy) {
            self.store.delete_session(&hash).await.map_err(unavailable)?;
            return Ok(None);
        }
        let Some(user) = self.current_user(session.user) else {
            self.store.delete_session(&hash).await.map_err(unavailable)?;
            return Ok(None);
        };
        if now - session.last_seen_at >= Duration::seconds(TOUCH_EVERY_SECONDS) {
            self.store.touch_session(&hash, now).await.map_err(unavailable)?;
        }
        Ok(Some(SignedIn { user, csrf: session.csrf }))
    }

    fn store_sessions(&self) -> Option<&StoreSessions> {
        Some(self)
    }
}
