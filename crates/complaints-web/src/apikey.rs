//! API keys for trusted integrations: `Authorization: Bearer <key>`, checked against the SHA-256
//! digests in configuration (`[intake] api_key_sha256`). Only digests are configured, and every
//! comparison runs over all of them in constant time, so neither the file nor timing gives a key away.

use sha2::{Digest, Sha256};

/// The longest `Idempotency-Key` accepted, in characters.
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 200;

/// The configured keys, as digests.
#[derive(Clone, Default)]
pub struct ApiKeys {
    digests: Vec<[u8; 32]>,
}

impl std::fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeys").field("count", &self.digests.len()).finish()
    }
}

/// A key that matched: which integration it is, for the idempotency key and the logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiClient {
    /// The first 12 hex characters of the key's digest: names the integration, reveals nothing.
    pub id: String,
}

impl ApiKeys {
    /// The keys whose digests are given as hex (as validated by the configuration); anything that
    /// is not 64 hex characters is skipped.
    #[must_use]
    pub fn from_hex_digests(digests: &[String]) -> Self {
        let digests = digests
            .iter()
            .filter_map(|hex_digest| hex::decode(hex_digest.trim()).ok())
            .filter_map(|bytes| <[u8; 32]>::try_from(bytes).ok())
            .collect();
        Self { digests }
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }

    /// The integration whose key is in this `Authorization` header value, if any.
    #[must_use]
    pub fn check(&self, authorization: &str) -> Option<ApiClient> {
        let (scheme, key) = authorization.trim().split_once(' ')?;
        let key = key.trim();
        if !scheme.eq_ignore_ascii_case("bearer") || key.is_empty() {
            return None;
        }
        let presented: [u8; 32] = Sha256::digest(key.as_bytes()).into();
        // Look at every digest whatever matches, and compare without early exits.
        let mut found = None;
        for digest in &self.digests {
            let difference = digest.iter().zip(presented.iter()).fold(0u8, |acc, (a, b)| acc | (a ^ b));
            if difference == 0 {
                found = Some(digest);
            }
        }
        found.map(|digest| ApiClient { id: hex::encode(&digest[..6]) })
    }
}

/// The intake idempotency key for an API submission: the integration's own `Idempotency-Key`,
/// namespaced by integration so two integrations never collide.
///
/// # Errors
/// A message for the client when the key is empty, too long or not printable ASCII.
pub fn source_key(client: &ApiClient, idempotency_key: &str) -> Result<String, &'static str> {
    let key = idempotency_key.trim();
    if key.is_empty() || key.chars().count() > MAX_IDEMPOTENCY_KEY_CHARS {
        return Err("The Idempotency-Key header must be 1 to 200 characters");
    }
    if !key.chars().all(|c| c.is_ascii_graphic()) {
        return Err("The Idempotency-Key header must be printable ASCII with no spaces");
    }
    Ok(format!("api:{}:{key}", client.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(plain: &[&str]) -> ApiKeys {
        let digests: Vec<String> = plain.iter().map(|k| hex::encode(Sha256::digest(k.as_bytes()))).collect();
        ApiKeys::from_hex_digests(&digests)
    }

    #[test]
    fn a_configured_key_is_accepted_as_a_bearer_token_and_others_are_not() {
        let keys = keys(&["first-integration-key", "second-integration-key"]);
        let first = keys.check("Bearer first-integration-key").expect("accepted");
        let second = keys.check("bearer   second-integration-key ").expect("scheme is case-insensitive");
        assert_ne!(first, second);
        assert_eq!(first.id.len(), 12);
        for wrong in ["Bearer", "Bearer ", "Bearer wrong", "Basic first-integration-key", "first-integration-key"] {
            assert_eq!(keys.check(wrong), None, "{wrong:?}");
        }
        assert_eq!(ApiKeys::default().check("Bearer first-integration-key"), None);
    }

    #[test]
    fn idempotency_keys_are_namespaced_by_integration_and_checked() {
        let client = ApiClient { id: "abcdef012345".to_owned() };
        assert_eq!(source_key(&client, " order-42 "), Ok("api:abcdef012345:order-42".to_owned()));
        for bad in ["", "  ", "has space", "tab\there", "ü", &"x".repeat(MAX_IDEMPOTENCY_KEY_CHARS + 1)] {
            assert!(source_key(&client, bad).is_err(), "{bad:?}");
        }
    }
}
