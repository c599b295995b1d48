//! The dashboard, the case list, the case page and a form for every staff action with its letter previewed.

use axum::Router;

use crate::WorkspaceState;

/// The routes of this part of the workspace.
pub fn routes() -> Router<WorkspaceState> {
    Router::new()
}
