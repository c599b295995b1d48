//! Signing in and out: the sign-in page, sign-out, and on AWS Cognito's hosted sign-in callback.

use axum::Router;

use crate::WorkspaceState;

/// The routes of this part of the workspace.
pub fn routes() -> Router<WorkspaceState> {
    Router::new()
}
