//! Sign-in values accepted once only. The local sign-in form's token and the hosted sign-in's
//! `state` are signed, so they cannot be forged, but a signature alone would let a copy of a form
//! (its token and its cookie) be posted again for as long as the token lasts. Each value is
//! therefore marked as used in the session store ([`SingleUseTokens`]) the first time it is
//! accepted, which holds across `complaints serve` processes and Lambda instances; a second use
//! gets [`already_used`], whose link starts again with a fresh form.

use axum::http::StatusCode;
use axum::response::Response;
use chrono::Duration;
use complaints_app::ports::StoreError;
use complaints_app::single_use::used_key;

use super::store_sessions::StoreSessions;
use super::{message_page, return_to};
use crate::WorkspaceState;

/// The clock difference between servers a signed token's check allows the other way
/// (`TokenSigner::check` accepts a token issued up to five minutes in the future).
const CLOCK_DIFFERENCE_SECONDS: i64 = 300;

/// The title of the page a second use gets.
pub const ALREADY_USED_TITLE: &str = "This sign-in form was already used";

/// Marks `value` (a nonce of `purpose`, valid for `lifetime_seconds`) as used: `true` the first
/// time only. The mark is kept as long as any copy of the value could still pass its signed check.
///
/// # Errors
/// [`StoreError`] when the store cannot say; the caller refuses the sign-in.
pub(crate) async fn first_use(
    sessions: &StoreSessions,
    purpose: &str,
    value: &str,
    lifetime_seconds: i64,
) -> Result<bool, StoreError> {
    let now = sessions.now();
    let keep_until = now + Duration::seconds(lifetime_seconds + CLOCK_DIFFERENCE_SECONDS);
    sessions.store.use_once(&used_key(purpose, value), now, keep_until).await
}

/// "This sign-in form was already used — start again", with a link to a fresh sign-in (that
/// returns to `next`, when there was a page to return to).
pub(crate) fn already_used(state: &WorkspaceState, next: Option<&str>) -> Response {
    let start_again = return_to::sign_in_path(next.unwrap_or_default());
    message_page(
        state,
        StatusCode::BAD_REQUEST,
        ALREADY_USED_TITLE,
        &[
            "This sign-in form was already used, so it cannot be sent again.",
            "Start again: the link below opens a new sign-in form.",
        ],
        Some((&start_again, "Start again")),
        false,
    )
}
