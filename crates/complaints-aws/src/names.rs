//! The names of the Amazon Trust Services roots and how to find them in a certificate's subject.
//! Shared by `build.rs` (which picks the certificates) and the library's tests.

/// Subject common names of the roots AWS endpoints chain to, as Amazon's certificate repository
/// lists them: Amazon Root CA 1–4, and the Starfield Services root that cross-signs them for older
/// clients (rustls finds the Amazon roots themselves; the Starfield root only matters for a chain
/// that stops at it). Each must be in Mozilla's list (`webpki-root-certs`); a test says so.
pub const AMAZON_ROOT_NAMES: [&str; 5] = [
    "Amazon Root CA 1",
    "Amazon Root CA 2",
    "Amazon Root CA 3",
    "Amazon Root CA 4",
    "Starfield Services Root Certificate Authority - G2",
];

/// Whether a DER-encoded X.509 name holds `name` as a whole attribute value: the value's length
/// byte, then exactly those bytes, then the end of the name or the next attribute (so "CA 1" does
/// not match "CA 10"). Our names are short ASCII, so the length is one byte.
#[allow(dead_code, reason = "build.rs and the tests use it; the library itself does not")]
pub fn has_common_name(subject: &[u8], name: &str) -> bool {
    let Ok(len) = u8::try_from(name.len()) else { return false };
    let mut needle = Vec::with_capacity(name.len() + 1);
    needle.push(len);
    needle.extend_from_slice(name.as_bytes());
    subject.windows(needle.len()).enumerate().any(|(at, window)| {
        let end = at + needle.len();
        window == needle.as_slice() && (end == subject.len() || subject[end] == 0x31 || subject[end] == 0x30)
    })
}
