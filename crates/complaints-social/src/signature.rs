//! Webhook signatures, checked on the raw body before anything parses it: Meta's
//! `X-Hub-Signature-256` (`sha256=` + lowercase hex HMAC-SHA256 with the app secret) and X's
//! `X-Twitter-Webhooks-Signature-OAuth2` / legacy `X-Twitter-Webhooks-Signature` (`sha256=` +
//! base64 HMAC-SHA256 with the OAuth 2.0 client secret / consumer secret), and X's CRC answer.
//!
//! Every comparison is the MAC library's constant-time `verify_slice`, never `==` on strings.

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Meta's signature header.
pub const META_SIGNATURE_HEADER: &str = "x-hub-signature-256";
/// X's signature header for apps using the OAuth 2.0 client secret.
pub const X_OAUTH2_SIGNATURE_HEADER: &str = "x-twitter-webhooks-signature-oauth2";
/// X's legacy signature header (consumer secret).
pub const X_LEGACY_SIGNATURE_HEADER: &str = "x-twitter-webhooks-signature";

/// Why a signature was refused. Log-safe: never the header or the secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("signature missing")]
    Missing,
    #[error("signature malformed")]
    Malformed,
    #[error("signature does not match")]
    Mismatch,
}

impl SignatureError {
    /// Short name for the rejection counter.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Malformed => "malformed",
            Self::Mismatch => "mismatch",
        }
    }
}

/// HMAC-SHA256 of `body`. HMAC takes keys of any length, so the error is unreachable; it still
/// refuses rather than panics.
fn mac(secret: &[u8], body: &[u8]) -> Result<HmacSha256, SignatureError> {
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(secret).map_err(|_| SignatureError::Mismatch)?;
    mac.update(body);
    Ok(mac)
}

fn tag(secret: &[u8], body: &[u8]) -> Vec<u8> {
    mac(secret, body).map(|mac| mac.finalize().into_bytes().to_vec()).unwrap_or_default()
}

/// Checks Meta's `X-Hub-Signature-256` value against the raw body.
///
/// # Errors
/// [`SignatureError`].
pub fn verify_meta(app_secret: &[u8], header: Option<&str>, body: &[u8]) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let hex_part = header.trim().strip_prefix("sha256=").ok_or(SignatureError::Malformed)?;
    let expected = hex::decode(hex_part).map_err(|_| SignatureError::Malformed)?;
    mac(app_secret, body)?.verify_slice(&expected).map_err(|_| SignatureError::Mismatch)
}

/// Checks an X signature header value (`sha256=` + base64) against the raw body.
///
/// # Errors
/// [`SignatureError`].
pub fn verify_x(secret: &[u8], header: Option<&str>, body: &[u8]) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let b64 = header.trim().strip_prefix("sha256=").ok_or(SignatureError::Malformed)?;
    let expected = base64::engine::general_purpose::STANDARD.decode(b64).map_err(|_| SignatureError::Malformed)?;
    mac(secret, body)?.verify_slice(&expected).map_err(|_| SignatureError::Mismatch)
}

/// Meta's header value for `body` (tests, the benchmark and the fake platform sign with it).
#[must_use]
pub fn meta_signature(app_secret: &[u8], body: &[u8]) -> String {
    format!("sha256={}", hex::encode(tag(app_secret, body)))
}

/// X's header value for `body`, and the CRC `response_token` for a `crc_token`.
#[must_use]
pub fn x_signature(secret: &[u8], body: &[u8]) -> String {
    format!("sha256={}", base64::engine::general_purpose::STANDARD.encode(tag(secret, body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    // GitHub's documented X-Hub-Signature-256 vector: the same HMAC-SHA256-hex scheme as Meta's.
    const VECTOR_SECRET: &[u8] = b"It's a Secret to Everybody";
    const VECTOR_BODY: &[u8] = b"Hello, World!";
    const VECTOR_HEADER: &str = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    #[test]
    fn the_published_hub_signature_vector_verifies() {
        assert_eq!(meta_signature(VECTOR_SECRET, VECTOR_BODY), VECTOR_HEADER);
        assert_eq!(verify_meta(VECTOR_SECRET, Some(VECTOR_HEADER), VECTOR_BODY), Ok(()));
    }

    #[test]
    fn rfc_4231_case_2_gives_the_x_signature_in_base64() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let expected_hex = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        let expected = format!(
            "sha256={}",
            base64::engine::general_purpose::STANDARD.encode(hex::decode(expected_hex).expect("hex"))
        );
        assert_eq!(x_signature(b"Jefe", b"what do ya want for nothing?"), expected);
        assert_eq!(verify_x(b"Jefe", Some(&expected), b"what do ya want for nothing?"), Ok(()));
    }

    #[test]
    fn forged_truncated_and_missing_signatures_are_refused() {
        let good = meta_signature(b"secret", b"{}");
        assert_eq!(verify_meta(b"secret", None, b"{}"), Err(SignatureError::Missing));
        assert_eq!(verify_meta(b"other", Some(&good), b"{}"), Err(SignatureError::Mismatch));
        assert_eq!(verify_meta(b"secret", Some(&good), b"{ }"), Err(SignatureError::Mismatch));
        assert_eq!(verify_meta(b"secret", Some(&good[..good.len() - 2]), b"{}"), Err(SignatureError::Mismatch));
        assert_eq!(verify_meta(b"secret", Some(&good[..good.len() - 1]), b"{}"), Err(SignatureError::Malformed));
        assert_eq!(verify_meta(b"secret", Some(&good["sha256=".len()..]), b"{}"), Err(SignatureError::Malformed));
        assert_eq!(verify_meta(b"secret", Some("sha1=00"), b"{}"), Err(SignatureError::Malformed));
        assert_eq!(verify_meta(b"secret", Some("sha256="), b"{}"), Err(SignatureError::Mismatch));

        let x = x_signature(b"secret", b"{}");
        assert_eq!(verify_x(b"secret", Some(&x), b"{}"), Ok(()));
        assert_eq!(verify_x(b"secret", Some(&x), b"{} "), Err(SignatureError::Mismatch));
        assert_eq!(verify_x(b"secret", Some(&x[..x.len() - 4]), b"{}"), Err(SignatureError::Mismatch));
        assert_eq!(verify_x(b"secret", Some("sha256=!!"), b"{}"), Err(SignatureError::Malformed));
        assert_eq!(verify_x(b"secret", None, b"{}"), Err(SignatureError::Missing));
    }
}
