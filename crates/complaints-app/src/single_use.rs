//! Single-use markers for the values handed out before there is a session: the staff sign-in
//! form's token and the hosted sign-in's `state`. A signed token proves the server issued it;
//! the [`SingleUseTokens`] port makes sure it is accepted once only, in every process and on
//! every Lambda instance, so a copied form (token and cookie) cannot be posted again.
//!
//! The store keeps only a keyed hash of the value ([`used_key`]), and only until the value has
//! expired anyway; SQLite deletes old markers as new ones are written, DynamoDB by its TTL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::ports::StoreError;

/// The key a value is marked under: SHA-256 of its purpose and the value, so the store never
/// holds the value itself and one purpose's values cannot mark another's.
#[must_use]
pub fn used_key(purpose: &str, value: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"complaints single-use\n");
    hasher.update(purpose.as_bytes());
    hasher.update(b"\n");
    hasher.update(value.as_bytes());
    hex::encode(hasher.finalize())
}

/// Where single-use values are marked as used. Every adapter passes the contract suite
/// (`single_use_contract`).
#[async_trait]
pub trait SingleUseTokens: Send + Sync {
    /// Marks `key` as used at `at`, to be remembered until `keep_until` (when the value it stands
    /// for has expired). `true` the first time; `false` when it was already used and that mark
    /// has not yet run out. Of several concurrent calls with one key exactly one gets `true`.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`]; the caller refuses the value rather than accept it unmarked.
    async fn use_once(&self, key: &str, at: DateTime<Utc>, keep_until: DateTime<Utc>) -> Result<bool, StoreError>;
}
