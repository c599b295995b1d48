//! Signed values the server hands out before there is a session: the sign-in form's token
//! (double-submitted: once in the form, once in a SameSite=Strict cookie, so another site cannot
//! post the form, "login CSRF") and the hosted sign-in's state cookie (so it cannot be forged or
//! kept past its time). HMAC-SHA-256 with a key only the server has, truncated to 128 bits.

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Bytes of the MAC kept (128 bits), as 32 hex digits.
const TAG_BYTES: usize = 16;

/// Signs and checks `issued.fields….tag` strings for one purpose each.
#[derive(Clone)]
pub struct TokenSigner {
    key: Vec<u8>,
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSigner").finish_non_exhaustive()
    }
}

/// 32 random bytes as 64 hex digits: session ids, CSRF tokens, nonces, state.
///
/// # Errors
/// When the operating system has no randomness to give.
pub fn random_hex() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(hex::encode(bytes))
}

/// Equal in time that depends only on the lengths.
#[must_use]
pub fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl TokenSigner {
    /// A signer whose key is derived from `secret` for the workspace only, so the same secret
    /// used elsewhere (the citizen form's tokens) never signs a workspace token.
    #[must_use]
    pub fn new(secret: &[u8]) -> Self {
        use sha2::Digest;
        let mut hasher = Sha256::new();
        hasher.update(b"complaints-workspace sign-in tokens v1\n");
        hasher.update(secret);
        Self { key: hasher.finalize().to_vec() }
    }

    fn mac(&self, purpose: &str, body: &str) -> Option<HmacSha256> {
        let mut mac = HmacSha256::new_from_slice(&self.key).ok()?;
        mac.update(purpose.as_bytes());
        mac.update(b"\n");
        mac.update(body.as_bytes());
        Some(mac)
    }

    /// `issued.field1.field2….tag` for `fields` (which must not contain '.').
    #[must_use]
    pub fn sign(&self, purpose: &str, issued: DateTime<Utc>, fields: &[&str]) -> String {
        let mut body = issued.timestamp().to_string();
        for field in fields {
            body.push('.');
            body.push_str(field);
        }
        let tag = self.mac(purpose, &body).map(|mac| hex::encode(&mac.finalize().into_bytes()[..TAG_BYTES]));
        format!("{body}.{}", tag.unwrap_or_default())
    }

    /// The fields of a genuine token for `purpose` issued at most `max_age_seconds` ago (a few
    /// minutes of clock difference between servers allowed the other way).
    #[must_use]
    pub fn check(&self, purpose: &str, token: &str, now: DateTime<Utc>, max_age_seconds: i64) -> Option<Vec<String>> {
        let (body, tag) = token.trim().rsplit_once('.')?;
        let tag = hex::decode(tag).ok()?;
        if tag.len() != TAG_BYTES || self.mac(purpose, body)?.verify_truncated_left(&tag).is_err() {
            return None;
        }
        let mut parts = body.split('.');
        let issued: i64 = parts.next()?.parse().ok()?;
        let age = now.timestamp() - issued;
        if !(-300..=max_age_seconds).contains(&age) {
            return None;
        }
        Some(parts.map(str::to_owned).collect())
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn at() -> DateTime<Utc> {
        "2026-12-01T09:00:00Z".parse().expect("instant")
    }

    #[test]
    fn a_token_checks_only_for_its_purpose_key_and_age() {
        let signer = TokenSigner::new(b"secret");
        let token = signer.sign("sign-in", at(), &["abc", "def"]);
        assert_eq!(
            signer.check("sign-in", &token, at() + Duration::minutes(5), 3600),
            Some(vec!["abc".into(), "def".into()])
        );
        assert_eq!(signer.check("hosted", &token, at(), 3600), None, "another purpose");
        assert_eq!(TokenSigner::new(b"other").check("sign-in", &token, at(), 3600), None, "another key");
        assert_eq!(signer.check("sign-in", &token, at() + Duration::seconds(3601), 3600), None, "too old");
        let forged = token.replacen("abc", "abd", 1);
        assert_eq!(signer.check("sign-in", &forged, at(), 3600), None, "changed field");
        let (body, tag) = token.rsplit_once('.').expect("tag");
        assert_eq!(signer.check("sign-in", &format!("{body}.{}", &tag[..8]), at(), 3600), None, "short tag");
    }

    #[test]
    fn random_values_differ_and_comparison_is_exact() {
        let (a, b) = (random_hex().expect("random"), random_hex().expect("random"));
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(same(&a, &a.clone()));
        assert!(!same(&a, &b));
        assert!(!same(&a, &a[..63]));
    }
}
