//! The signed Reply-To token: acknowledgements ask for replies at `local+<token>@domain`, where
//! the token names the case and carries an HMAC of it, so a reply can be threaded even when the
//! mail client dropped In-Reply-To, and nobody can forge a token for a case they were not sent.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Hex characters of the HMAC kept in the token: 80 bits, far beyond guessing by mail.
const TAG_HEX: usize = 20;

/// The token for `reference`: `<reference in lower case>.<tag>`.
#[must_use]
pub fn sign(key: &[u8], reference: &str) -> String {
    let reference = reference.to_ascii_lowercase();
    format!("{reference}.{}", tag(key, &reference))
}

/// The reply address for `reference` on `base` (`complaints@council.example` →
/// `complaints+cmp-2026-00042.<tag>@council.example`); `None` when `base` has no `@`.
#[must_use]
pub fn reply_address(key: &[u8], base: &str, reference: &str) -> Option<String> {
    let (local, domain) = base.rsplit_once('@')?;
    let local = local.split('+').next().unwrap_or(local);
    Some(format!("{local}+{}@{domain}", sign(key, reference)))
}

/// The reference (lower case) a token or an address carrying one names, when its tag is right.
/// The tag is compared in constant time.
#[must_use]
pub fn verify(key: &[u8], address_or_token: &str) -> Option<String> {
    let local = address_or_token.rsplit_once('@').map_or(address_or_token, |(local, _)| local);
    let token = local.split_once('+').map_or(local, |(_, token)| token).to_ascii_lowercase();
    let (reference, given) = token.rsplit_once('.')?;
    if given.len() != TAG_HEX {
        return None;
    }
    let given = hex::decode(given).ok()?;
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).ok()?;
    mac.update(b"reply-to:");
    mac.update(reference.as_bytes());
    mac.verify_truncated_left(&given).ok()?;
    Some(reference.to_owned())
}

fn tag(key: &[u8], reference: &str) -> String {
    // HMAC takes keys of any length; the fallback (an empty tag) never verifies.
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(b"reply-to:");
    mac.update(reference.as_bytes());
    let full = hex::encode(mac.finalize().into_bytes());
    full[..TAG_HEX].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn a_signed_reply_address_names_its_case() {
        let address = reply_address(KEY, "complaints@council.example", "CMP-2026-00042").expect("address");
        assert!(address.starts_with("complaints+cmp-2026-00042."), "{address}");
        assert!(address.ends_with("@council.example"));
        assert_eq!(verify(KEY, &address).as_deref(), Some("cmp-2026-00042"));
        assert_eq!(verify(KEY, &address.to_uppercase()).as_deref(), Some("cmp-2026-00042"));
    }

    #[test]
    fn a_forged_or_altered_token_names_no_case() {
        let address = reply_address(KEY, "complaints@council.example", "CMP-2026-00042").expect("address");
        let other_case = address.replace("00042", "00043");
        assert_eq!(verify(KEY, &other_case), None);
        assert_eq!(verify(b"another key entirely, 32 bytes!!", &address), None);
        assert_eq!(verify(KEY, "complaints+cmp-2026-00042@council.example"), None);
        assert_eq!(verify(KEY, "complaints@council.example"), None);
    }
}
