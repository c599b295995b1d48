//! `complaints case …`: look at cases in the local store (the SQLite file `complaints serve` writes).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use complaints_app::ports::{CaseStore, StoreError, StoredCase};
use complaints_core::reference::CaseRef;
use complaints_core::text::neutralise;
use complaints_core::timeline::{Actor, TimelineEvent};
use complaints_store_sqlite::SqliteCaseStore;

use crate::serve::DATABASE_FILE;

#[derive(Debug, Subcommand)]
pub enum CaseCommand {
    /// Print a case and its timeline.
    Show {
        /// The case reference, e.g. CMP-2026-00001.
        reference: String,
        /// The data directory `complaints serve` uses.
        #[arg(long, default_value = "data")]
        data_dir: PathBuf,
        /// Print JSON (the stored case, its version and timeline) instead of text.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(command: CaseCommand) -> ExitCode {
    match command {
        CaseCommand::Show { reference, data_dir, json } => {
            let Ok(reference) = reference.parse::<CaseRef>() else {
                eprintln!("complaints: {reference:?} is not a case reference like CMP-2026-00042");
                return ExitCode::from(2);
            };
            match show(&reference, &data_dir, json) {
                Ok(text) => {
                    print!("{text}");
                    ExitCode::SUCCESS
                }
                Err(err) => {
                    eprintln!("complaints: {err:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

fn show(reference: &CaseRef, data_dir: &std::path::Path, json: bool) -> anyhow::Result<String> {
    let database = data_dir.join(DATABASE_FILE);
    anyhow::ensure!(
        database.exists(),
        "there is no case store at {} (run `complaints serve` first)",
        database.display()
    );
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("no async runtime")?;
    runtime.block_on(async {
        let store =
            SqliteCaseStore::open(&database).with_context(|| format!("could not open {}", database.display()))?;
        let stored = match store.get(reference).await {
            Ok(stored) => stored,
            Err(StoreError::NotFound) => anyhow::bail!("there is no case {reference}"),
            Err(err) => return Err(err).context("could not read the case"),
        };
        let timeline = store.timeline(reference).await.context("could not read the timeline")?;
        if json {
            let value = serde_json::json!({ "case": stored.case, "version": stored.version, "timeline": timeline });
            Ok(format!("{}\n", serde_json::to_string_pretty(&value)?))
        } else {
            Ok(as_text(&stored, &timeline))
        }
    })
}

/// A kebab-case name for a serde enum value (status, channel), falling back to its JSON.
fn name_of<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => "?".to_owned(),
    }
}

fn actor_name(actor: &Actor) -> String {
    match actor {
        Actor::System => "system".to_owned(),
        Actor::Complainant => "complainant".to_owned(),
        Actor::Staff(id) => format!("staff {id}"),
    }
}

/// One line for a timeline entry: its type, then its fields as `key=value`.
fn event_line(event: &TimelineEvent) -> String {
    let mut line = format!("  {}  {:<12}", event.at.format("%Y-%m-%d %H:%M UTC"), actor_name(&event.actor));
    match serde_json::to_value(&event.what) {
        Ok(serde_json::Value::Object(fields)) => {
            let kind = fields.get("type").and_then(|v| v.as_str()).unwrap_or("event").to_owned();
            line.push_str(&kind);
            for (key, value) in fields.iter().filter(|(k, _)| k.as_str() != "type") {
                // Reasons and notes are typed by people: one line, hidden controls made visible.
                let shown = match value {
                    serde_json::Value::String(s) => one_line(s),
                    other => other.to_string(),
                };
                line.push_str(&format!(" {key}={shown}"));
            }
        }
        _ => line.push_str("event"),
    }
    line
}

/// The citizen's text on one line (for short answers shown beside a label). Control and
/// direction-changing characters show as U+FFFD (the same rule as the web pages and email,
/// `complaints_core::text`), so text a citizen typed (an escape sequence, a right-to-left
/// override) cannot drive the officer's terminal or disguise itself.
fn one_line(text: &str) -> String {
    neutralise(&text.split_whitespace().collect::<Vec<_>>().join(" ")).into_owned()
}

/// The citizen's text as written, each line indented under its heading.
fn indented(text: &str) -> String {
    neutralise(text).lines().map(|line| format!("  {line}\n")).collect()
}

fn as_text(stored: &StoredCase, timeline: &[TimelineEvent]) -> String {
    let case = &stored.case;
    let complaint = case.complaint();
    let mut out = String::new();
    let mut row = |label: &str, value: String| out.push_str(&format!("{label:<14}{value}\n"));
    row("Reference:", case.reference().to_string());
    row("Status:", name_of(&case.status()));
    row("Channel:", complaint.channel.to_string());
    row("Service area:", complaint.service_area.clone());
    row(
        "Received:",
        format!("{} (counts from {})", case.received_at().format("%Y-%m-%d %H:%M UTC"), case.effective_receipt()),
    );
    row("Stage 1 due:", case.stage1_due().to_string());
    row("Response due:", case.response_due().to_string());
    for clock in case.running_clocks() {
        row("Clock:", format!("{} due {}", clock.kind.as_str(), clock.due));
    }
    row("Handler:", case.handler().to_owned());
    row("Version:", stored.version.to_string());
    // What arrived, as the complaints officer needs to read it before replying. This prints to the
    // officer's own terminal; it is never logged.
    out.push_str("\nFrom:\n");
    let mut detail = |label: &str, value: String| out.push_str(&format!("  {label:<18}{}\n", one_line(&value)));
    match &complaint.complainant {
        None => detail("Anonymous:", "yes (we cannot reply)".to_owned()),
        Some(person) => {
            detail("Name:", person.name.clone());
            if let Some(email) = &person.email {
                detail("Email:", email.to_string());
            }
            if let Some(phone) = &person.phone {
                detail("Phone:", phone.clone());
            }
            if let Some(handle) = &person.handle {
                detail("Handle:", handle.clone());
            }
        }
    }
    if let Some(method) = &complaint.preferred_contact {
        detail("Contact by:", name_of(method));
    }
    if let Some(adjustments) = &complaint.adjustments {
        detail("Help needed:", adjustments.clone());
    }
    if let Some(rep) = &complaint.representation {
        let consent = if rep.consent_confirmed { "consent confirmed" } else { "consent NOT confirmed" };
        detail("On behalf of:", format!("{} ({}; {consent})", rep.person_affected, rep.relationship));
    }
    if let Some(child) = &complaint.child {
        detail("Child involved:", name_of(child));
    }
    if let Some(date) = complaint.event_date {
        detail("Happened on:", date.to_string());
    }
    if let Some(date) = complaint.awareness_date {
        detail("Found out on:", date.to_string());
    }
    out.push_str("\nWhat happened:\n");
    out.push_str(&indented(&complaint.description));
    if let Some(outcome) = &complaint.outcome_sought {
        out.push_str("\nOutcome wanted:\n");
        out.push_str(&indented(outcome));
    }
    out.push_str("\nTimeline:\n");
    for event in timeline {
        out.push_str(&event_line(event));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_citizens_text_is_indented_and_control_characters_cannot_drive_the_terminal() {
        let cases = [
            ("one line", "  one line\n"),
            ("two\nlines", "  two\n  lines\n"),
            ("red \u{1b}[31mtext", "  red \u{fffd}[31mtext\n"),
            ("tab\tkept", "  tab\tkept\n"),
        ];
        for (text, shown) in cases {
            assert_eq!(indented(text), shown, "{text:?}");
        }
        assert_eq!(one_line("large\n print  please"), "large print please");
        assert_eq!(one_line("Jo\u{1b}]0;x\u{7}"), "Jo\u{fffd}]0;x\u{fffd}");
        // Direction overrides and isolates cannot make text read differently from what it is.
        assert_eq!(one_line("Pay \u{202e}01$\u{2066}"), "Pay \u{fffd}01$\u{fffd}");
        assert_eq!(indented("a\u{200f}\r\nb\rc"), "  a\u{fffd}\n  b\n  c\n");
    }
}
