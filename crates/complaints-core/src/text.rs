//! Text a citizen typed, made safe to show (web pages, email, `complaints case show`) and checked
//! before any automatic message uses it.
//!
//! Stored text is kept exactly as it arrived (it is the complainant's own record); these functions
//! work at display time, so every place that shows citizen text shows it the same way.

use std::borrow::Cow;

/// What replaces a character that could hide or reorder text: visible, so staff can see that
/// something was there.
pub const REPLACEMENT: char = '\u{fffd}';

/// The longest name an automatic message will greet someone by. Longer "names" are sentences.
pub const MAX_GREETING_NAME_CHARS: usize = 100;

/// True for characters that must not reach a reader as they are:
/// - C0 and C1 control characters other than tab and newline (terminal escapes, bells, NUL);
/// - Unicode format characters (general category Cf) that reorder or hide text: the bidirectional
///   marks, embeddings, overrides and isolates (U+061C, U+200E/F, U+202A–U+202E, U+2066–U+2069,
///   the "Trojan Source" set), zero-width space, word joiner and invisible operators
///   (U+200B, U+2060–U+2064), the deprecated format characters (U+206A–U+206F), the byte order
///   mark (U+FEFF), the Mongolian vowel separator (U+180E), interlinear annotation marks
///   (U+FFF9–U+FFFB) and the language tag (U+E0001).
///
/// Format characters that scripts and emoji need are kept: zero-width non-joiner and joiner
/// (U+200C/D; Persian, Indic scripts, emoji sequences), the soft hyphen, Arabic and Syriac number
/// marks, and the tag characters of flag emoji (🏴󠁧󠁢󠁳󠁣󠁴󠁿 is written with them).
#[must_use]
pub fn is_hidden_control(c: char) -> bool {
    match c {
        '\t' | '\n' => false,
        c if c.is_control() => true,
        '\u{061c}'
        | '\u{180e}'
        | '\u{200b}'
        | '\u{200e}'
        | '\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206f}'
        | '\u{feff}'
        | '\u{fff9}'..='\u{fffb}'
        | '\u{e0001}' => true,
        _ => false,
    }
}

/// Citizen text ready to show: line endings become `\n` (a browser sends `\r\n`), and every
/// [hidden control](is_hidden_control) becomes U+FFFD. Borrows when there is nothing to change.
#[must_use]
pub fn neutralise(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c == '\r' || is_hidden_control(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                // `\r\n` is one line break; a lone `\r` is one too (old Mac text).
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            c if is_hidden_control(c) => out.push(REPLACEMENT),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// True when `text` looks like a person's name, so an automatic message may greet them by it.
///
/// Automatic messages go to whatever address a stranger typed, so they must never carry words or
/// links that stranger chose ("Your account is locked, visit …"). A name here is at most
/// [`MAX_GREETING_NAME_CHARS`] characters of letters (any script), spaces, apostrophes, hyphens,
/// full stops and commas, with at least one letter, and nothing that reads as a web or email
/// address: no `://`, no `www.`, no `@`, and no dotted word like `phish.example`.
#[must_use]
pub fn looks_like_a_name(text: &str) -> bool {
    let name = text.trim();
    let lower = name.to_lowercase();
    !name.is_empty()
        && name.chars().count() <= MAX_GREETING_NAME_CHARS
        && name.chars().any(char::is_alphabetic)
        && name
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, ' ' | '\'' | '\u{2019}' | '-' | '\u{2010}' | '.' | ','))
        && !lower.contains("://")
        && !lower.contains("www.")
        && !name.split_whitespace().any(looks_like_a_domain)
}

/// A word like `phish.example` or `bit.ly`: two or more letters on both sides of a full stop.
/// Initials (`J.R.R.`) and abbreviations followed by a space (`St. John`) are not domains.
fn looks_like_a_domain(word: &str) -> bool {
    let parts: Vec<&str> = word.split('.').collect();
    parts.windows(2).any(|pair| pair[0].chars().count() >= 2 && pair[1].chars().count() >= 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidirectional_and_other_hiding_characters_become_visible_replacements() {
        let cases = [
            ("plain text", "plain text"),
            ("a\u{202e}fdp.exe", "a\u{fffd}fdp.exe"),
            ("\u{2066}isolate\u{2069}", "\u{fffd}isolate\u{fffd}"),
            ("mark\u{200e}\u{200f}", "mark\u{fffd}\u{fffd}"),
            ("zero\u{200b}width", "zero\u{fffd}width"),
            ("\u{feff}bom", "\u{fffd}bom"),
            ("bell\u{7} escape\u{1b}[31m c1\u{85}", "bell\u{fffd} escape\u{fffd}[31m c1\u{fffd}"),
            ("tab\tand\nnewline", "tab\tand\nnewline"),
            ("windows\r\nline\rends", "windows\nline\nends"),
        ];
        for (text, shown) in cases {
            assert_eq!(neutralise(text), shown, "{text:?}");
        }
    }

    #[test]
    fn joiners_soft_hyphens_and_flag_tags_that_scripts_need_are_kept() {
        // Persian with a zero-width non-joiner, a family emoji with joiners, the flag of Scotland.
        for text in [
            "می\u{200c}خواهم",
            "👩\u{200d}👩\u{200d}👧",
            "🏴\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}",
            "Zucker\u{ad}watte",
        ] {
            assert_eq!(neutralise(text), text, "{text:?}");
            assert!(matches!(neutralise(text), Cow::Borrowed(_)));
        }
    }

    #[test]
    fn names_are_accepted_in_any_script_with_apostrophes_and_hyphens() {
        for name in [
            "Jo Bloggs",
            "Seán O'Neill",
            "Mhairi Nic a' Phearsain",
            "Anna-Maria Smith-Jones",
            "J.R.R. Tolkien",
            "Dr. St. John Rivers",
            "Zoë Ng",
            "محمد علي",
            "王小明",
            "Ngozi Okonjo-Iweala, MSP",
        ] {
            assert!(looks_like_a_name(name), "{name:?}");
        }
    }

    #[test]
    fn links_addresses_and_sentences_are_not_names() {
        let long = "A".repeat(MAX_GREETING_NAME_CHARS + 1);
        for text in [
            "",
            "   ",
            "Your account is locked visit http://phish.example/refund",
            "visit www.phish",
            "WWW.PHISH.EXAMPLE",
            "go to phish.example now",
            "bit.ly",
            "jo@example.org",
            "Call 0800 123 456",
            "Jo <b>Bloggs</b>",
            "Jo\u{202e}Bloggs",
            "...",
            long.as_str(),
        ] {
            assert!(!looks_like_a_name(text), "{text:?}");
        }
        assert!(looks_like_a_name(&"A".repeat(MAX_GREETING_NAME_CHARS)));
    }
}
