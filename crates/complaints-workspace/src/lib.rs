//! The staff workspace: server-rendered pages under `/staff/` (dashboard, case list, case page,
//! a form for every staff action with the letter previewed, the registers, the quality check) and
//! signing in. It works without JavaScript. `complaints serve` mounts [`router`] locally and the
//! `staff-api` function serves the same router on AWS.
//!
//! Pages only translate: who is signed in comes from [`session::Sessions`], what a role may do and
//! what an action changes are decided by `complaints_app::staff::StaffActions` (the core's role
//! matrix and state machine), so a page and the API can never disagree.
//!
//! Modules, one job each: [`session`] (who is signed in, the CSRF check), [`auth`] (sign-in and
//! sign-out routes), [`layout`] (the page every staff page sits in), [`cases`] (dashboard, case list, case page, action forms), [`registers`]
//! (learning actions, SPSO referrals, flagged items, quality check).

pub mod auth;
pub mod cases;
pub mod layout;
pub mod registers;
pub mod session;

use std::sync::Arc;

use axum::Router;
use complaints_app::flagged::FlagStore;
use complaints_app::held_mail::HeldMailStore;
use complaints_app::learning::LearningStore;
use complaints_app::quality::QualityStore;
use complaints_app::queries::CaseQueries;
use complaints_app::staff::StaffActions;
use complaints_app::staff_items::StaffItemStore;

use crate::session::Sessions;

/// Where the workspace is mounted.
pub const PREFIX: &str = "/staff";

/// Everything the workspace's handlers need, built once per process or cold start.
#[derive(Clone)]
pub struct WorkspaceState {
    pub staff: StaffActions,
    pub queries: Arc<dyn CaseQueries>,
    pub learning: Arc<dyn LearningStore>,
    pub sessions: Arc<dyn Sessions>,
    /// Second readers' reviews of closed complaints (the quality check, R48).
    pub quality: Arc<dyn QualityStore>,
    /// Everything flagged for staff (`/staff/flagged`).
    pub flags: Arc<dyn FlagStore>,
    /// Mail email intake kept without a case (robots, rejections, bounces), on `/staff/flagged`.
    pub held_mail: Arc<dyn HeldMailStore>,
    /// Social items kept for staff (quarantine, triage, failed attachments), on `/staff/flagged`.
    pub staff_items: Arc<dyn StaffItemStore>,
    /// The name and SPSO referral indexes (the case list's search, `/staff/spso`).
    pub indexes: Arc<dyn complaints_app::case_indexes::CaseIndexes>,
}

impl std::fmt::Debug for WorkspaceState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkspaceState").field("sessions", &self.sessions).finish_non_exhaustive()
    }
}

/// The workspace's routes, all under [`PREFIX`], each response with the security headers.
pub fn router(state: WorkspaceState) -> Router {
    Router::new()
        .merge(auth::routes())
        .merge(cases::routes())
        .merge(registers::routes())
        .with_state(state)
        .layer(axum::middleware::map_response(security_headers))
}

/// The citizen form's headers (a CSP without scripts, nosniff, no framing, no referrer) and
/// `Cache-Control: no-store` on every response, whatever a handler set: staff pages hold personal
/// data and must never be kept by a browser or a proxy.
async fn security_headers(response: axum::response::Response) -> axum::response::Response {
    let mut response = complaints_web::with_security_headers(response);
    // Only the stylesheet, the same for everyone, may be cached (`layout::PublicAsset`).
    if response.extensions().get::<layout::PublicAsset>().is_none() {
        response
            .headers_mut()
            .insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    }
    response
}
