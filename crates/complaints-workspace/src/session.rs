//! Who is signed in: the [`Sessions`] port the pages ask, and the [`SignedIn`] extractor every
//! staff route takes. A route that takes [`SignedIn`] cannot run for someone who is not signed in:
//! the extractor answers with a redirect to the sign-in page instead.
//!
//! **Every POST handler must call [`SignedIn::check_csrf`]** with the form's `csrf` field (and
//! refuse the request when it is false) before it changes anything: the session cookie is
//! SameSite=Strict, and the per-session token is the second, independent defence against a form
//! on another site posting with it. Every form renders `<input type="hidden" name="csrf"
//! value="{{ csrf }}">` from [`SignedIn::csrf`].

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use complaints_app::staff::StaffUser;

use crate::WorkspaceState;

/// A signed-in member of staff and the CSRF token of their session (every form carries it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub user: StaffUser,
    /// The token each form posts back in its `csrf` field.
    pub csrf: String,
}

impl SignedIn {
    /// The name of the hidden field every form carries the token in.
    pub const CSRF_FIELD: &'static str = "csrf";

    /// Whether `submitted` is this session's CSRF token, compared in constant time (the time
    /// depends only on the lengths). An empty token never matches.
    #[must_use]
    pub fn check_csrf(&self, submitted: &str) -> bool {
        let (a, b) = (self.csrf.as_bytes(), submitted.trim().as_bytes());
        !a.is_empty() && a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// Why the session could not be read (the store did not answer): the page says "try again".
#[derive(Debug, thiserror::Error)]
#[error("the session could not be read: {0}")]
pub struct SessionError(pub String);

/// Finds the signed-in member of staff behind a request (from its session cookie).
#[async_trait::async_trait]
pub trait Sessions: Send + Sync + std::fmt::Debug {
    /// The member of staff signed in on this request, or `None` when nobody is.
    ///
    /// # Errors
    /// [`SessionError`] when the session store cannot be read.
    async fn current(&self, parts: &Parts) -> Result<Option<SignedIn>, SessionError>;

    /// The real sessions behind this port, which the sign-in and sign-out routes need (to create
    /// and delete sessions); `None` for stand-ins such as [`FixedSessions`], where those routes
    /// answer 404.
    fn store_sessions(&self) -> Option<&crate::auth::StoreSessions> {
        None
    }

    /// The members of staff a case may be assigned to, when known (the "Assign" form offers
    /// them as a choice and refuses anyone else); `None` keeps a free-text box.
    fn known_staff(&self) -> Option<Vec<crate::auth::known_staff::KnownStaff>> {
        self.store_sessions().and_then(crate::auth::StoreSessions::known_staff)
    }
}

/// One fixed member of staff, or nobody: for tests and tools, never for a server.
#[derive(Debug, Clone)]
pub struct FixedSessions(pub Option<SignedIn>);

#[async_trait::async_trait]
impl Sessions for FixedSessions {
    async fn current(&self, _parts: &Parts) -> Result<Option<SignedIn>, SessionError> {
        Ok(self.0.clone())
    }
}

impl FromRequestParts<WorkspaceState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &WorkspaceState) -> Result<Self, Self::Rejection> {
        match state.sessions.current(parts).await {
            Ok(Some(signed_in)) => Ok(signed_in),
            // A page asked for by a signed-out member of staff (a link in the breach-scan digest)
            // is where they return after signing in; never a form's target.
            Ok(None) if parts.method == axum::http::Method::GET => {
                Err(Redirect::to(&crate::auth::return_to::sign_in_path(parts.uri.path())).into_response())
            }
            Ok(None) => Err(Redirect::to(&format!("{}/sign-in", crate::PREFIX)).into_response()),
            Err(error) => {
                tracing::error!(error = %error, "session could not be read");
                Err((axum::http::StatusCode::SERVICE_UNAVAILABLE, "Sorry, try again in a moment.").into_response())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use complaints_core::roles::Role;

    use super::*;

    #[test]
    fn only_the_sessions_own_token_passes_the_csrf_check() {
        let signed_in = SignedIn {
            user: StaffUser { id: "ahmed".into(), name: "Ahmed".into(), role: Role::Handler, email: None },
            csrf: "3f1c0a9e".into(),
        };
        assert!(signed_in.check_csrf("3f1c0a9e"));
        assert!(!signed_in.check_csrf("3f1c0a9f"));
        assert!(!signed_in.check_csrf("3f1c0a9"));
        assert!(!signed_in.check_csrf(""));
        let empty = SignedIn { csrf: String::new(), ..signed_in };
        assert!(!empty.check_csrf(""), "a session without a token accepts nothing");
    }
}
