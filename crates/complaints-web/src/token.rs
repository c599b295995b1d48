//! Signed one-time form tokens (double-submit protection) and signed confirmation links.
//!
//! A token is minted with every rendering of the form and becomes the intake idempotency key
//! (`web:<id>`), so a double click or a browser resubmit returns the case the first request made.
//! Tokens are signed so a client cannot choose a key (and so cannot probe another person's case),
//! and they carry their issue time so stale forms are caught before anything is stored.

use chrono::{DateTime, NaiveDate, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// How long a rendered form stays valid. Long enough to write a complaint slowly, with breaks.
pub const FORM_TOKEN_MAX_AGE_HOURS: i64 = 24;

/// Bytes of the HMAC kept in tokens and links (128 bits), written as 32 hex characters.
const SIGNATURE_LEN: usize = 16;

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the form token is missing")]
    Missing,
    #[error("the form token is not one we issued")]
    Invalid,
    #[error("the form token has expired")]
    Expired,
}

/// A token that passed its signature and age checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormToken {
    /// The whole token as it travels in the form.
    pub raw: String,
    /// The random part, used in the intake key.
    pub id: String,
}

impl FormToken {
    /// The intake idempotency key for this form submission.
    #[must_use]
    pub fn source_key(&self) -> String {
        format!("web:{}", self.id)
    }
}

/// Mints and checks tokens and confirmation links with one secret.
#[derive(Clone)]
pub struct Signer {
    secret: Vec<u8>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer").finish_non_exhaustive()
    }
}

impl Signer {
    #[must_use]
    pub fn new(secret: &[u8]) -> Self {
        Self { secret: secret.to_vec() }
    }

    /// The MAC over `purpose` and `message`. An HMAC accepts keys of any length, so this is
    /// never `None` in practice; callers treat `None` as "does not verify".
    fn mac(&self, purpose: &str, message: &str) -> Option<HmacSha256> {
        let mut mac = HmacSha256::new_from_slice(&self.secret).ok()?;
        mac.update(purpose.as_bytes());
        mac.update(b"\n");
        mac.update(message.as_bytes());
        Some(mac)
    }

    /// The first [`SIGNATURE_LEN`] bytes of the MAC, as hex (empty, which never verifies, in the
    /// case that cannot happen).
    fn sign(&self, purpose: &str, message: &str) -> String {
        self.mac(purpose, message)
            .map(|mac| hex::encode(&mac.finalize().into_bytes()[..SIGNATURE_LEN]))
            .unwrap_or_default()
    }

    /// Whether `tag` is our signature. The MAC library compares in constant time; the length is
    /// checked first because `verify_truncated_left` accepts any prefix, even one byte long.
    fn verify(&self, purpose: &str, message: &str, tag: &str) -> bool {
        let Ok(tag) = hex::decode(tag) else { return false };
        tag.len() == SIGNATURE_LEN
            && self.mac(purpose, message).is_some_and(|mac| mac.verify_truncated_left(&tag).is_ok())
    }

    /// A fresh token issued at `now`.
    #[must_use]
    pub fn mint(&self, now: DateTime<Utc>) -> FormToken {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let body = format!("{}.{id}", now.timestamp());
        let raw = format!("{body}.{}", self.sign("form-token", &body));
        FormToken { raw, id }
    }

    /// Checks a token from a submitted form.
    ///
    /// # Errors
    /// [`TokenError`] when it is missing, forged or older than [`FORM_TOKEN_MAX_AGE_HOURS`].
    pub fn check(&self, raw: &str, now: DateTime<Utc>) -> Result<FormToken, TokenError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(TokenError::Missing);
        }
        let mut parts = raw.splitn(3, '.');
        let (Some(issued), Some(id), Some(tag)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(TokenError::Invalid);
        };
        if !self.verify("form-token", &format!("{issued}.{id}"), tag) {
            return Err(TokenError::Invalid);
        }
        let issued: i64 = issued.parse().map_err(|_| TokenError::Invalid)?;
        let age = now.timestamp() - issued;
        // A little slack for clocks that differ between Lambda instances.
        if !(-300..=FORM_TOKEN_MAX_AGE_HOURS * 3600).contains(&age) {
            return Err(TokenError::Expired);
        }
        Ok(FormToken { raw: raw.to_owned(), id: id.to_owned() })
    }

    /// The signature of a confirmation link, so only the person who submitted sees the page.
    #[must_use]
    pub fn confirmation_signature(&self, reference: &str, due: NaiveDate) -> String {
        self.sign("confirmation", &format!("{reference}|{due}"))
    }

    /// Checks a confirmation link.
    #[must_use]
    pub fn confirmation_is_genuine(&self, reference: &str, due: NaiveDate, tag: &str) -> bool {
        self.verify("confirmation", &format!("{reference}|{due}"), tag)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, hour, 0, 0).single().expect("valid time")
    }

    #[test]
    fn a_minted_token_checks_and_keeps_its_id() {
        let signer = Signer::new(b"secret");
        let token = signer.mint(at(9));
        let checked = signer.check(&token.raw, at(10)).expect("valid");
        assert_eq!(checked.id, token.id);
        assert_eq!(checked.source_key(), format!("web:{}", token.id));
    }

    #[test]
    fn tokens_that_are_tampered_forged_stale_or_missing_are_refused() {
        let signer = Signer::new(b"secret");
        let token = signer.mint(at(9));
        let other = Signer::new(b"another secret").mint(at(9));
        let tampered = token.raw.replacen(&token.id, &"0".repeat(token.id.len()), 1);
        let cases: [(&str, String, DateTime<Utc>, TokenError); 5] = [
            ("empty", String::new(), at(9), TokenError::Missing),
            ("garbage", "abc".to_owned(), at(9), TokenError::Invalid),
            ("tampered id", tampered, at(9), TokenError::Invalid),
            ("other secret", other.raw, at(9), TokenError::Invalid),
            ("a day and more later", token.raw.clone(), at(9) + chrono::Duration::hours(25), TokenError::Expired),
        ];
        for (what, raw, now, expected) in cases {
            assert_eq!(signer.check(&raw, now), Err(expected), "{what}");
        }
    }

    #[test]
    fn a_genuine_signature_cut_short_is_refused() {
        let signer = Signer::new(b"secret");
        let token = signer.mint(at(9));
        let (body, tag) = token.raw.rsplit_once('.').expect("three parts");

        for kept in [2, 16, tag.len() - 2] {
            let cut = format!("{body}.{}", &tag[..kept]);
            assert_eq!(signer.check(&cut, at(9)), Err(TokenError::Invalid), "{kept} hex characters");
        }
        assert!(signer.check(&token.raw, at(9)).is_ok(), "the whole signature still verifies");
    }

    #[test]
    fn confirmation_links_only_verify_for_what_was_signed() {
        let signer = Signer::new(b"secret");
        let due = NaiveDate::from_ymd_opt(2026, 12, 2).expect("date");
        let tag = signer.confirmation_signature("CMP-2026-00001", due);
        assert!(signer.confirmation_is_genuine("CMP-2026-00001", due, &tag));
        assert!(!signer.confirmation_is_genuine("CMP-2026-00002", due, &tag));
        assert!(!signer.confirmation_is_genuine("CMP-2026-00001", due.succ_opt().expect("date"), &tag));
        assert!(!Signer::new(b"other").confirmation_is_genuine("CMP-2026-00001", due, &tag));
    }
}
