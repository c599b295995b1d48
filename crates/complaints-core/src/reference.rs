//! Case references such as `CMP-2026-00042`: prefix, year of receipt and a yearly counter.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A human-readable case reference. Citizens quote it, so it is short and unambiguous.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CaseRef {
    prefix: String,
    year: i32,
    number: u32,
}

/// Why a reference or prefix was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseRefError {
    #[error("reference prefix must be 1 to 10 capital letters or digits, starting with a letter")]
    BadPrefix,
    #[error("{0:?} is not a case reference like CMP-2026-00042")]
    Malformed(String),
}

/// Checks an organisation's reference prefix.
///
/// # Errors
/// [`CaseRefError::BadPrefix`] unless it is 1–10 ASCII capitals or digits starting with a capital.
pub fn validate_prefix(prefix: &str) -> Result<(), CaseRefError> {
    let ok = (1..=10).contains(&prefix.len())
        && prefix.starts_with(|c: char| c.is_ascii_uppercase())
        && prefix.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if ok { Ok(()) } else { Err(CaseRefError::BadPrefix) }
}

impl CaseRef {
    /// A reference from its parts.
    ///
    /// # Errors
    /// [`CaseRefError::BadPrefix`] for a prefix [`validate_prefix`] refuses.
    pub fn new(prefix: &str, year: i32, number: u32) -> Result<Self, CaseRefError> {
        validate_prefix(prefix)?;
        Ok(Self { prefix: prefix.to_owned(), year, number })
    }

    /// The same prefix and year with another counter value (the store assigns the number).
    #[must_use]
    pub fn with_number(&self, number: u32) -> Self {
        Self { number, ..self.clone() }
    }

    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    #[must_use]
    pub fn year(&self) -> i32 {
        self.year
    }

    #[must_use]
    pub fn number(&self) -> u32 {
        self.number
    }
}

impl fmt::Display for CaseRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{:05}", self.prefix, self.year, self.number)
    }
}

impl FromStr for CaseRef {
    type Err = CaseRefError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let malformed = || CaseRefError::Malformed(s.chars().take(40).collect());
        let trimmed = s.trim();
        let mut parts = trimmed.rsplitn(3, '-');
        let number = parts.next().ok_or_else(malformed)?;
        let year = parts.next().ok_or_else(malformed)?;
        let prefix = parts.next().ok_or_else(malformed)?;
        let digits = |text: &str| text.bytes().all(|b| b.is_ascii_digit());
        if number.len() < 5 || !digits(number) || year.len() != 4 || !digits(year) {
            return Err(malformed());
        }
        let number = number.parse().map_err(|_| malformed())?;
        let year = year.parse().map_err(|_| malformed())?;
        Self::new(&prefix.to_ascii_uppercase(), year, number).map_err(|_| malformed())
    }
}

impl Serialize for CaseRef {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CaseRef {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_prints_with_five_digit_counter_and_parses_back() {
        let r = CaseRef::new("CMP", 2026, 42).expect("valid");
        assert_eq!(r.to_string(), "CMP-2026-00042");
        assert_eq!("cmp-2026-00042".parse::<CaseRef>().expect("parses"), r);
    }

    #[test]
    fn references_that_are_not_ours_are_refused() {
        for bad in ["", "CMP-26-00042", "CMP-2026-42", "-2026-00042", "CMP 2026 00042", "C-M-P", "CMP-+202-00042"] {
            assert!(bad.parse::<CaseRef>().is_err(), "{bad:?} should be refused");
        }
    }
}
