//! Staff passwords for local runs: Argon2id hashes kept as PHC strings in the users file
//! (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`), checked in constant time by the library.
//! On AWS, Cognito keeps the passwords and this module is not used.
//!
//! Hashing is deliberately slow (tens of milliseconds of CPU and 19 MiB per check), so callers on
//! a request path run it on a blocking thread and only after a cheap limit (the sign-in page's
//! per-client limit and its cap on checks at once).

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};

/// Argon2id memory cost in KiB: 19 MiB, with [`T_COST`] 2 iterations and [`P_COST`] 1 lane. These
/// are OWASP's Password Storage Cheat Sheet's first recommended Argon2id configuration
/// (m=19456, t=2, p=1), which is also RustCrypto's default.
pub const M_COST_KIB: u32 = 19 * 1024;
/// Argon2id iterations (OWASP: 2 with 19 MiB).
pub const T_COST: u32 = 2;
/// Argon2id parallelism (OWASP: 1).
pub const P_COST: u32 = 1;

/// Shortest password accepted: 12 characters (NCSC and OWASP advise long passphrases over
/// composition rules, and no maximum below 64).
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted, in bytes: long enough for any passphrase, short enough that a huge
/// body cannot make hashing costly.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Why a password could not be set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("a password has at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("a password has at most {MAX_PASSWORD_BYTES} bytes")]
    TooLong,
    #[error("the password could not be hashed: {0}")]
    Hash(String),
}

fn hasher() -> Result<Argon2<'static>, PasswordError> {
    let params = Params::new(M_COST_KIB, T_COST, P_COST, None).map_err(|e| PasswordError::Hash(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// The PHC string of a new password, with a fresh random salt.
///
/// # Errors
/// [`PasswordError::TooShort`] / [`PasswordError::TooLong`] for a password outside the limits;
/// [`PasswordError::Hash`] when no randomness is available.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(PasswordError::TooLong);
    }
    let hash = hasher()?.hash_password(password.as_bytes()).map_err(|e| PasswordError::Hash(e.to_string()))?;
    Ok(hash.to_string())
}

/// A hash of no one's password, checked instead when there is no such user (or no password), so
/// a sign-in takes as long for an unknown name as for a known one.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let mut random = [0u8; 24];
        let _ = getrandom::fill(&mut random);
        hash_password(&hex::encode(random)).unwrap_or_default()
    })
}

/// Whether `password` matches the PHC string `phc`. `None` (a user without a password, or no
/// user) checks against a decoy and is always false, taking the same time.
#[must_use]
pub fn verify_password(password: &str, phc: Option<&str>) -> bool {
    let too_long = password.len() > MAX_PASSWORD_BYTES;
    let target = match phc {
        Some(phc) if !too_long => phc,
        _ => decoy_hash(),
    };
    // The parameters come from the PHC string itself (so older hashes keep working).
    let matched = hasher().is_ok_and(|argon| argon.verify_password(password.as_bytes(), target).is_ok());
    matched && phc.is_some() && !too_long
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashed_password_verifies_and_a_different_one_does_not() {
        let phc = hash_password("correct horse battery").expect("hashed");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(!phc.contains("correct horse"), "the password itself is not kept");
        assert!(verify_password("correct horse battery", Some(&phc)));
        assert!(!verify_password("correct horse batterY", Some(&phc)));
        assert!(!verify_password("", Some(&phc)));
    }

    #[test]
    fn the_same_password_hashes_differently_each_time() {
        let one = hash_password("the same passphrase").expect("hashed");
        let two = hash_password("the same passphrase").expect("hashed");
        assert_ne!(one, two, "a fresh salt each time");
        assert!(verify_password("the same passphrase", Some(&two)));
    }

    #[test]
    fn no_hash_never_verifies_and_limits_are_enforced() {
        assert!(!verify_password("anything at all here", None));
        assert_eq!(hash_password("short"), Err(PasswordError::TooShort));
        assert_eq!(hash_password(&"x".repeat(MAX_PASSWORD_BYTES + 1)), Err(PasswordError::TooLong));
        let garbage = "not a phc string";
        assert!(!verify_password("anything at all here", Some(garbage)));
    }
}
