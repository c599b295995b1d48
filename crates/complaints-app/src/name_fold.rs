//! How names are folded and matched for the staff search (issue 12's name index): one place, used
//! by the indexes every store writes and by the words a search looks up, so "Siobhan" finds
//! "Siobhán" and "Siob" finds both.
//!
//! - **Folding.** Unicode compatibility decomposition (NFKD) with the combining marks dropped
//!   (accents, the fada, the cedilla…), then lower case. A few Latin letters have no
//!   decomposition (ł, ø, đ, ħ, ı, ß, æ, œ, þ, ð): they are spelled as a keyboard without them
//!   would, since staff type what they can.
//! - **Matching.** A word searched for of [`MIN_PREFIX_CHARS`] letters or more matches every name
//!   word that starts with it ("Siob" finds Siobhán); a shorter one only the same word (a search
//!   for "Ni" does not find every Nicola).
//! - **Index keys.** Stores that can only look a key up exactly (DynamoDB, where the key is a
//!   keyed hash that hides prefixes) index every prefix of a word from [`MIN_PREFIX_CHARS`] to
//!   [`MAX_KEY_CHARS`] letters ([`index_keys`]); a word searched for that is longer is looked up
//!   by its first [`MAX_KEY_CHARS`] letters ([`lookup_key`]) and the cases read are checked
//!   against the whole word ([`case_matches`]).

use icu_normalizer::DecomposingNormalizerBorrowed;
use icu_normalizer::properties::CanonicalCombiningClassMapBorrowed;

/// The shortest word searched for that matches the start of name words; shorter ones match whole
/// words only.
pub const MIN_PREFIX_CHARS: usize = 3;
/// The longest prefix indexed under its own key: each word of a name costs at most
/// `MAX_KEY_CHARS - MIN_PREFIX_CHARS + 1` keys (six), so a case at most 36.
pub const MAX_KEY_CHARS: usize = 8;

/// `text` folded for search: NFKD, combining marks dropped, lower case, and the letters NFKD
/// leaves alone spelled plainly. "Siobhán NÍ" gives `siobhan ni`.
#[must_use]
pub fn fold(text: &str) -> String {
    let marks = CanonicalCombiningClassMapBorrowed::new();
    let mut folded = String::with_capacity(text.len());
    for c in DecomposingNormalizerBorrowed::new_nfkd().normalize_iter(text.chars()) {
        if marks.get_u8(c) != 0 {
            continue;
        }
        match plain(c) {
            Some(spelled) => folded.push_str(spelled),
            None => folded.extend(c.to_lowercase()),
        }
    }
    folded
}

/// Latin letters without a decomposition, as they are written without them.
fn plain(c: char) -> Option<&'static str> {
    Some(match c {
        'ł' | 'Ł' => "l",
        'ø' | 'Ø' => "o",
        'đ' | 'Đ' | 'ð' | 'Ð' => "d",
        'ħ' | 'Ħ' => "h",
        'ı' => "i",
        'ß' | 'ẞ' => "ss",
        'æ' | 'Æ' => "ae",
        'œ' | 'Œ' => "oe",
        'þ' | 'Þ' => "th",
        _ => return None,
    })
}

/// Whether the folded word `searched` finds the indexed word `indexed`: its start when `searched`
/// has [`MIN_PREFIX_CHARS`] letters or more, else the whole word.
#[must_use]
pub fn token_matches(searched: &str, indexed: &str) -> bool {
    if searched.chars().count() >= MIN_PREFIX_CHARS { indexed.starts_with(searched) } else { indexed == searched }
}

/// Whether every word of `searched` finds one of `indexed` (a case's [`crate::case_indexes::case_name_tokens`]).
#[must_use]
pub fn case_matches(indexed: &[String], searched: &[String]) -> bool {
    searched.iter().all(|word| indexed.iter().any(|token| token_matches(word, token)))
}

/// The exact keys a case with the name words `tokens` is indexed under where keys are looked up
/// exactly: a word of fewer than [`MIN_PREFIX_CHARS`] letters itself, a longer one each prefix of
/// [`MIN_PREFIX_CHARS`]..=[`MAX_KEY_CHARS`] letters; each key once.
#[must_use]
pub fn index_keys(tokens: &[String]) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for token in tokens {
        let chars: Vec<char> = token.chars().collect();
        let lengths = if chars.len() < MIN_PREFIX_CHARS {
            chars.len()..=chars.len()
        } else {
            MIN_PREFIX_CHARS..=chars.len().min(MAX_KEY_CHARS)
        };
        for length in lengths {
            let key: String = chars[..length].iter().collect();
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    keys
}

/// The key a word searched for is looked up by among [`index_keys`]: its first [`MAX_KEY_CHARS`]
/// letters. Every case it finds is a candidate; a longer word needs [`case_matches`] on the case.
#[must_use]
pub fn lookup_key(searched: &str) -> String {
    searched.chars().take(MAX_KEY_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn folding_drops_accents_and_letter_case_and_spells_undecomposed_letters_plainly() {
        assert_eq!(fold("Siobhán NÍ Bhriain"), "siobhan ni bhriain");
        assert_eq!(fold("Seán Ó Súilleabháin"), "sean o suilleabhain");
        assert_eq!(fold("François Müller-Çelik"), "francois muller-celik");
        assert_eq!(fold("Łukasz Søren Straße Æsa"), "lukasz soren strasse aesa");
        // Compatibility forms: the ligature and full-width letters are ordinary letters.
        assert_eq!(fold("ﬁona ＭＡＣ"), "fiona mac");
        assert_eq!(fold("McDonald"), "mcdonald");
    }

    #[test]
    fn a_word_of_three_letters_or_more_matches_the_start_of_a_name_word_and_a_shorter_one_the_whole_word() {
        assert!(token_matches("siob", "siobhan"));
        assert!(token_matches("siobhan", "siobhan"));
        assert!(!token_matches("siobhan", "siob"));
        assert!(!token_matches("hhan", "siobhan"), "the start of a word, not the middle");
        assert!(token_matches("ni", "ni"));
        assert!(!token_matches("ni", "nicola"));
        assert!(case_matches(&words(&["siobhan", "ni", "bhriain"]), &words(&["bhr", "siobhan"])));
        assert!(!case_matches(&words(&["siobhan", "ni", "bhriain"]), &words(&["bhr", "sean"])));
    }

    #[test]
    fn index_keys_are_the_prefixes_of_three_to_eight_letters_and_short_words_whole() {
        assert_eq!(index_keys(&words(&["jo", "bloggs"])), ["jo", "blo", "blog", "blogg", "bloggs"]);
        assert_eq!(
            index_keys(&words(&["macdonaldson", "mac"])),
            ["mac", "macd", "macdo", "macdon", "macdona", "macdonal"]
        );
        let most =
            index_keys(&words(&["abcdefghij", "bcdefghijk", "cdefghijkl", "defghijklm", "efghijklmn", "fghijklmno"]));
        assert_eq!(most.len(), 6 * (MAX_KEY_CHARS - MIN_PREFIX_CHARS + 1));
        assert_eq!(lookup_key("macdonaldson"), "macdonal");
        assert_eq!(lookup_key("siob"), "siob");
    }
}
