//! The learning-actions register, SPSO referrals, items flagged for staff and the quality check of closed complaints.

use axum::Router;

use crate::WorkspaceState;

/// The routes of this part of the workspace.
pub fn routes() -> Router<WorkspaceState> {
    Router::new()
}
