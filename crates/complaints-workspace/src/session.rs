//! Who is signed in: the [`Sessions`] port the pages ask, and the [`SignedIn`] extractor every
//! staff route takes. A route that takes [`SignedIn`] cannot run for someone who is not signed in:
//! the extractor answers with a redirect to the sign-in page instead.

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
            Ok(None) => Err(Redirect::to(&format!("{}/sign-in", crate::PREFIX)).into_response()),
            Err(error) => {
                tracing::error!(error = %error, "session could not be read");
                Err((axum::http::StatusCode::SERVICE_UNAVAILABLE, "Sorry, try again in a moment.").into_response())
            }
        }
    }
}
