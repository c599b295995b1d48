//! The staff workspace in `complaints serve`: `complaints_workspace::router` under `/staff/`, with
//! sessions in the same SQLite file as the cases and passwords from the users file (set with
//! `complaints users set-password`). Documented in docs/signing-in.md.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use complaints_app::ports::{Clock, SystemClock};
use complaints_app::sessions::sign_in_secret;
use complaints_app::staff::StaffActions;
use complaints_store_sqlite::SqliteCaseStore;
use complaints_workspace::WorkspaceState;
use complaints_workspace::auth::{PasswordSource, SignInMethod, StoreSessions};

/// The workspace's router. Cookies are `Secure` unless the server listens on a loopback address
/// (a browser sends Secure cookies only over HTTPS, or to localhost).
pub(crate) fn router(
    staff: StaffActions,
    store: Arc<SqliteCaseStore>,
    data_dir: &Path,
    contact_secret: &[u8],
    addr: &SocketAddr,
) -> axum::Router {
    let sessions = StoreSessions::new(
        store.clone(),
        Arc::new(SystemClock) as Arc<dyn Clock>,
        SignInMethod::Passwords(PasswordSource::DataDir(data_dir.to_owned())),
        &sign_in_secret(contact_secret),
        !addr.ip().is_loopback(),
    )
    .with_settings(&staff.config.sign_in);
    complaints_workspace::router(WorkspaceState {
        staff,
        indexes: store.clone(),
        queries: store.clone(),
        learning: store.clone(),
        sessions: Arc::new(sessions),
        quality: store.clone(),
        flags: store.clone(),
        held_mail: store.clone(),
        staff_items: store,
    })
}
