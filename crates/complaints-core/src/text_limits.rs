//! Length limits on free text, in one place for every way text comes in: the citizen form, the
//! staff forms, the staff API and the command line, and intake from email and social media. The
//! MCHP sets no lengths: the fields are R43's and R44's; the limits are ours, so a case never
//! holds more than a letter can carry or a store item can hold (a DynamoDB item is at most
//! 400 KB), and an over-long answer is refused with the field named instead of failing in the
//! store.

/// Longest paragraph typed into a form (what happened, the outcome sought, a response, a reason,
/// a note): about four pages of text. Longer complaints can be sent by email with attachments.
pub const MAX_TYPED_TEXT_CHARS: usize = 10_000;

/// Longest free text a complaint may hold whatever the channel: an email's body (often longer
/// than anyone types into a box, with its quoted history) is cut to this before intake.
pub const MAX_COMPLAINT_TEXT_CHARS: usize = 20_000;

/// Longest single-line answer (a service area, a relationship, a short reason, an address on one
/// line, a staff reference, a handler).
pub const MAX_SHORT_TEXT_CHARS: usize = 500;

/// Longest name of a person typed into a form (R43: the complainant's name; R52: the person
/// affected). People's names are rarely over 70 characters: this leaves room.
pub const MAX_NAME_CHARS: usize = 200;

/// A count as people read it: 10,000 rather than 10000 (the limits above, in messages).
#[must_use]
pub fn with_commas(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_in_messages_are_written_with_thousands_separators() {
        let cases = [(5, "5"), (500, "500"), (1_000, "1,000"), (10_000, "10,000"), (1_234_567, "1,234,567")];
        for (n, text) in cases {
            assert_eq!(with_commas(n), text);
        }
    }
}
