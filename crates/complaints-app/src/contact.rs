//! Contact keys: a keyed hash of a complainant's normalised address, so stores can find a
//! contact's cases without the address in a key or an index (architecture §4, R57).

use complaints_core::case::ContactKey;
use complaints_core::complaint::{Channel, Complainant, EmailAddress};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The contact key for a complainant: HMAC-SHA256 (hex) of the normalised email address, or,
/// without one, of `<channel>:<handle>` for a social media sender. `None` when neither is known.
///
/// Every channel must key contacts with this function, so an email reply and a web form from the
/// same address meet on the same key.
#[must_use]
pub fn contact_key(secret: &[u8], channel: Channel, complainant: &Complainant) -> Option<ContactKey> {
    if let Some(email) = &complainant.email {
        return keyed_hash(secret, &email.normalised());
    }
    let handle = complainant.handle.as_deref()?.trim().trim_start_matches('@').to_lowercase();
    if handle.is_empty() {
        return None;
    }
    keyed_hash(secret, &format!("{}:{handle}", channel.as_str()))
}

/// The key the per-recipient cap of automatic messages counts by: the same keyed hash as
/// [`contact_key`] for an email address, so it never puts an address in a key.
#[must_use]
pub fn recipient_key(secret: &[u8], address: &EmailAddress) -> ContactKey {
    // One inbox, one count: `jo+1@…` and `jo+2@…` reach the same mailbox at most providers, so the
    // cap counts the address without its `+tag`.
    let normalised = address.normalised();
    let inbox = match normalised.split_once('@') {
        Some((local, domain)) => format!("{}@{domain}", local.split('+').next().unwrap_or(local)),
        None => normalised,
    };
    // HMAC takes keys of any length, so the fallback is unreachable; it still keeps every
    // recipient capped (in one shared bucket) rather than none.
    keyed_hash(secret, &format!("cap:{inbox}")).unwrap_or_else(|| ContactKey("unkeyed".to_owned()))
}

fn keyed_hash(secret: &[u8], text: &str) -> Option<ContactKey> {
    hmac_hex(secret, text).map(ContactKey)
}

/// HMAC-SHA-256 of `text` under `secret`, in hex: the one keyed hash behind every index key
/// that must not show what it stands for (contact details, name words).
pub(crate) fn hmac_hex(secret: &[u8], text: &str) -> Option<String> {
    // HMAC takes keys of any length, so this only fails for a broken hash implementation.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).ok()?;
    mac.update(text.as_bytes());
    Some(hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(email: Option<&str>, handle: Option<&str>) -> Complainant {
        Complainant {
            name: "A Person".to_owned(),
            email: email.map(|e| EmailAddress::parse(e).expect("valid address")),
            phone: None,
            handle: handle.map(str::to_owned),
        }
    }

    #[test]
    fn the_same_address_in_any_case_gives_the_same_key_on_every_channel() {
        let a = contact_key(b"secret", Channel::WebForm, &person(Some("Jo.Bloggs@Example.org"), None));
        let b = contact_key(b"secret", Channel::Email, &person(Some("jo.bloggs@example.ORG"), None));
        assert!(a.is_some());
        assert_eq!(a, b);
    }

    #[test]
    fn the_key_is_a_keyed_hash_that_does_not_contain_the_address() {
        let a = contact_key(b"one secret", Channel::WebForm, &person(Some("jo@example.org"), None)).expect("key");
        let b = contact_key(b"another secret", Channel::WebForm, &person(Some("jo@example.org"), None)).expect("key");
        assert_ne!(a, b, "the key depends on the secret");
        assert!(!a.0.contains("jo"), "no part of the address is in the key");
        assert_eq!(a.0.len(), 64, "hex of a SHA-256 sized MAC");
    }

    #[test]
    fn social_handles_are_keyed_with_their_channel() {
        let cases = [
            (Channel::X, "@CouncilWatcher", Channel::X, "councilwatcher", true),
            (Channel::X, "someone", Channel::Instagram, "someone", false),
            (Channel::Messenger, "12345", Channel::Messenger, " 12345 ", true),
        ];
        for (channel_a, handle_a, channel_b, handle_b, same) in cases {
            let a = contact_key(b"s", channel_a, &person(None, Some(handle_a)));
            let b = contact_key(b"s", channel_b, &person(None, Some(handle_b)));
            assert!(a.is_some() && b.is_some());
            assert_eq!(a == b, same, "{channel_a}:{handle_a} vs {channel_b}:{handle_b}");
        }
    }

    #[test]
    fn the_recipient_key_counts_one_inbox_whatever_its_case_or_plus_tag() {
        let key = |text: &str| recipient_key(b"s", &EmailAddress::parse(text).expect("valid"));
        assert_eq!(key("Jo@Example.org"), key("jo@example.org"));
        assert_eq!(key("jo+1@example.org"), key("jo@example.org"));
        assert_eq!(key("jo+news+2@example.org"), key("jo@example.org"));
        assert_ne!(key("jo@example.org"), key("jo.b@example.org"));
        assert_ne!(key("jo@example.org"), key("jo@example.net"));
        let contact = contact_key(b"s", Channel::WebForm, &person(Some("jo@example.org"), None)).expect("key");
        assert_ne!(key("jo@example.org").0, contact.0, "a cap key is not a contact key: different indexes");
        assert!(!key("jo@example.org").0.contains("jo"));
    }

    #[test]
    fn a_complainant_with_neither_email_nor_handle_has_no_key() {
        assert_eq!(contact_key(b"s", Channel::Phone, &person(None, None)), None);
        assert_eq!(contact_key(b"s", Channel::X, &person(None, Some("  @ "))), None);
    }
}
