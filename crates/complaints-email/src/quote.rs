//! The reply without its quoted history: what a correspondent added on top of the message they
//! answer. Mail clients mark the history in a few common ways; the first one found ends the reply.

/// The text before the quoted history; the whole text when no history is found, or when nothing
/// would be left (a reply typed below the quote is still a reply).
#[must_use]
pub fn reply_part(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut cut = lines.len();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        if starts_history(trimmed, lines.get(i + 1).map(|l| l.trim())) {
            cut = i;
            break;
        }
    }
    let reply = lines[..cut].join("\n").trim().to_owned();
    if reply.is_empty() { text.trim().to_owned() } else { reply }
}

fn starts_history(line: &str, next: Option<&str>) -> bool {
    let lower = line.to_lowercase();
    // "> quoted" lines (format=flowed and plain quoting).
    if line.starts_with('>') {
        return true;
    }
    // Outlook and others: a separator line.
    if lower.starts_with("-----original message-----")
        || lower.starts_with("----- original message -----")
        || lower.starts_with("-------- original message --------")
        || lower.starts_with("---------- forwarded message")
        || lower.starts_with("-------- forwarded message")
        || (line.len() >= 20 && line.chars().all(|c| c == '_'))
    {
        return true;
    }
    // "On <date>, <person> wrote:" (possibly wrapped onto the next line), and common translations.
    let attribution = |l: &str| {
        let l = l.trim_end();
        (l.ends_with("wrote:") || l.ends_with("a écrit :") || l.ends_with("schrieb:") || l.ends_with("escribió:"))
            && l.len() < 300
    };
    if (lower.starts_with("on ") || lower.starts_with("le ") || lower.starts_with("am ") || lower.starts_with("el "))
        && (attribution(&lower) || next.is_some_and(|n| attribution(&n.to_lowercase())))
    {
        return true;
    }
    // An Outlook header block: "From: …" followed by "Sent:" or "Date:".
    if lower.starts_with("from:")
        && next.is_some_and(|n| {
            let n = n.to_lowercase();
            n.starts_with("sent:") || n.starts_with("date:") || n.starts_with("to:")
        })
    {
        return true;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::reply_part;

    #[test]
    fn quoted_lines_and_the_attribution_are_removed() {
        let text = "Thanks, but the bins are still there.\n\nOn Tue, 3 Mar 2026 at 09:00, Council <c@x.example> wrote:\n> We have received your complaint.";
        assert_eq!(reply_part(text), "Thanks, but the bins are still there.");
    }

    #[test]
    fn a_wrapped_attribution_is_recognised() {
        let text = "Still waiting.\nOn Tue, 3 Mar 2026 at 09:00, Council\n<c@x.example> wrote:\n\n> old";
        assert_eq!(reply_part(text), "Still waiting.");
    }

    #[test]
    fn outlook_history_blocks_are_removed() {
        let text = "Please call me.\n\n-----Original Message-----\nFrom: Council\nSent: Monday\n\nold text";
        assert_eq!(reply_part(text), "Please call me.");
        let text = "Please call me.\n\n________________________________\nFrom: Council\nSent: Monday";
        assert_eq!(reply_part(text), "Please call me.");
        let text = "Please call me.\n\nFrom: Council <c@x.example>\nSent: 3 March 2026\nTo: Jo";
        assert_eq!(reply_part(text), "Please call me.");
    }

    #[test]
    fn a_reply_below_the_quote_keeps_the_whole_text() {
        let text = "> We have received your complaint.\nThank you.";
        assert_eq!(reply_part(text), text);
    }

    #[test]
    fn text_without_history_is_kept_whole() {
        assert_eq!(reply_part("  Just my complaint.\nTwo lines.  "), "Just my complaint.\nTwo lines.");
    }
}
