//! The indexes staff pages read cases through besides the case list's (issue 12): cases by a
//! party's name, and cases referred to the SPSO by the date of the referral. Each store keeps
//! them in its own save path, in the same transaction as the case, so an index never lags the
//! case it points to.
//!
//! - **Names.** Every case is indexed under the normalised tokens of its parties' names (the
//!   complainant, and the person affected when a representative complains for them, R52):
//!   folded ([`crate::name_fold`]: accents dropped, lower case), split on anything that is not a
//!   letter or a digit, at most [`MAX_NAME_TOKENS`] a case. The parties are fixed when the case
//!   is created (nothing changes them afterwards), so the entries are written with the case's
//!   creation only. A search finds the cases with **every** word searched for at the start of one
//!   of their tokens (a word of one or two letters: the whole token,
//!   [`crate::name_fold::token_matches`]); stores read the index entries of the words and then
//!   only the cases that match all of them. Email addresses are found through the
//!   contact index every case already has (the keyed hash of the normalised address,
//!   [`crate::contact::contact_key`]), so they cost no new entries.
//! - **SPSO referrals.** A case with a referral recorded (R43 item 12) is indexed by its
//!   `referred_on` date, so `/staff/spso` reads the referrals of a period and nothing else.
//!
//! Names are personal data: stores keep tokens out of keys on the cloud store (a keyed hash,
//! [`name_key`]), and nothing here logs them.

use async_trait::async_trait;
use chrono::NaiveDate;
use complaints_core::case::Case;

use crate::name_fold::fold;
use crate::ports::{StoreError, StoredCase};

/// The most name tokens one case is indexed under (each is one index entry written with the
/// case: this bounds the create's extra writes).
pub const MAX_NAME_TOKENS: usize = 6;
/// The most tokens one search looks up.
pub const MAX_SEARCH_TOKENS: usize = 4;
/// The most index entries a store reads for one token of a search; a token more common than
/// that (a frequent surname) needs another token beside it, and the result says it was cut.
pub const MAX_ENTRIES_PER_TOKEN: usize = 5_000;

/// The normalised tokens of a name: folded ([`fold`]: accents dropped, lower case), split on
/// every character that is not a letter or a digit, in order, each once. "Mary-Jane O'Néil"
/// gives `mary`, `jane`, `o`, `neil`.
#[must_use]
pub fn name_tokens(text: &str) -> Vec<String> {
    let mut tokens: Vec<String> = Vec::new();
    for token in fold(text).split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()) {
        let token = token.to_owned();
        if !tokens.contains(&token) {
            tokens.push(token);
        }
    }
    tokens
}

/// The tokens `case` is indexed under: its complainant's name, then the person affected's
/// (R52), at most [`MAX_NAME_TOKENS`], single letters left out (an initial finds too much).
#[must_use]
pub fn case_name_tokens(case: &Case) -> Vec<String> {
    let complaint = case.complaint();
    let names = complaint
        .complainant
        .iter()
        .map(|person| person.name.as_str())
        .chain(complaint.representation.iter().map(|r| r.person_affected.as_str()));
    let mut tokens: Vec<String> = Vec::new();
    for token in names.flat_map(name_tokens) {
        if token.chars().count() > 1 && !tokens.contains(&token) && tokens.len() < MAX_NAME_TOKENS {
            tokens.push(token);
        }
    }
    tokens
}

/// The tokens a search for `text` looks up: as [`case_name_tokens`] would index them, at most
/// [`MAX_SEARCH_TOKENS`]; empty when nothing searchable is left.
#[must_use]
pub fn search_tokens(text: &str) -> Vec<String> {
    name_tokens(text).into_iter().filter(|t| t.chars().count() > 1).take(MAX_SEARCH_TOKENS).collect()
}

/// The date `case` is indexed under in the referral index, when it has been referred.
#[must_use]
pub fn referred_on(case: &Case) -> Option<NaiveDate> {
    case.spso_referral().map(|referral| referral.referred_on)
}

/// The key a token is stored under where keys must not hold personal data: HMAC-SHA256 (hex)
/// of `name:<token>` with the deployment's contact key secret (the same secret as the contact
/// index, with its own prefix so a name key never equals a contact key).
#[must_use]
pub fn name_key(secret: &[u8], token: &str) -> String {
    // HMAC takes keys of any length: the empty fallback is unreachable.
    crate::contact::hmac_hex(secret, &format!("name:{token}")).unwrap_or_default()
}

/// Cases found by name, newest received first.
#[derive(Debug, Clone, Default)]
pub struct NamedCases {
    pub cases: Vec<StoredCase>,
    /// More cases match than were returned, or a token's entries were cut at
    /// [`MAX_ENTRIES_PER_TOKEN`]: the search should be narrowed.
    pub cut_short: bool,
}

/// The name and referral indexes. Every adapter passes the index contract suite
/// (`contract_indexes`), which also checks that the entries are written with the case.
#[async_trait]
pub trait CaseIndexes: Send + Sync {
    /// Cases with every one of `tokens` (from [`search_tokens`]) at the start of one of their
    /// name tokens, as [`crate::name_fold::case_matches`] decides, newest received first
    /// (then by reference, last first), at most `limit`. Reads the tokens' index entries and the
    /// matching cases only.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn cases_named(&self, tokens: &[String], limit: usize) -> Result<NamedCases, StoreError>;

    /// Cases whose SPSO referral date is in `from..=to`, earliest referral first (then by
    /// reference). Reads the period's referrals only.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn referred_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<StoredCase>, StoreError>;
}

/// Orders found cases as [`CaseIndexes::cases_named`] promises and keeps `limit`.
#[must_use]
pub fn newest_first(mut cases: Vec<StoredCase>, limit: usize, cut_short: bool) -> NamedCases {
    cases.sort_by(|a, b| {
        (b.case.index().received_on, b.case.reference()).cmp(&(a.case.index().received_on, a.case.reference()))
    });
    let more = cases.len() > limit;
    cases.truncate(limit);
    NamedCases { cases, cut_short: cut_short || more }
}

/// Orders referred cases as [`CaseIndexes::referred_between`] promises.
#[must_use]
pub fn by_referral(mut cases: Vec<StoredCase>) -> Vec<StoredCase> {
    cases.sort_by(|a, b| (referred_on(&a.case), a.case.reference()).cmp(&(referred_on(&b.case), b.case.reference())));
    cases
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_tokens_are_lower_cased_split_on_punctuation_and_each_kept_once() {
        assert_eq!(name_tokens("Mary-Jane O'Neil"), ["mary", "jane", "o", "neil"]);
        assert_eq!(name_tokens("  JO   jo Bloggs "), ["jo", "bloggs"]);
        assert_eq!(name_tokens("Siobhán NÍ Bhriain"), ["siobhan", "ni", "bhriain"]);
        assert_eq!(name_tokens("Seán seán SEAN"), ["sean"]);
        assert!(name_tokens(" -- ").is_empty());
    }

    #[test]
    fn a_search_drops_initials_and_looks_up_at_most_four_tokens() {
        assert_eq!(search_tokens("J. Bloggs"), ["bloggs"]);
        assert_eq!(search_tokens("a b c d e f g h").len(), 0);
        assert_eq!(search_tokens("one two three four five"), ["one", "two", "three", "four"]);
    }

    #[test]
    fn name_keys_are_keyed_hashes_that_hide_the_token() {
        let a = name_key(b"secret one", "bloggs");
        assert_eq!(a, name_key(b"secret one", "bloggs"));
        assert_ne!(a, name_key(b"secret two", "bloggs"), "the key depends on the secret");
        assert_ne!(a, name_key(b"secret one", "blogg"));
        assert_eq!(a.len(), 64);
        assert!(!a.contains("bloggs"));
    }
}
