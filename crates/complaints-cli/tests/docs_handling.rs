//! Runs every command of docs/handling.md, in order, in an empty folder, with the built
//! `complaints` first on the PATH: each must exit 0, or the code its `# exit N` comment says. So
//! the walkthrough cannot drift from what the CLI does.

mod support;

use std::path::Path;
use std::process::Command;

/// The commands of the page's `sh` blocks (continuation lines joined), each with the exit code it
/// must end with.
fn commands(page: &str) -> Vec<(String, i32)> {
    let mut commands = Vec::new();
    let mut in_block = false;
    let mut current = String::new();
    for line in page.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block && line.trim() == "```sh";
            continue;
        }
        if !in_block || line.trim().is_empty() {
            continue;
        }
        if let Some(start) = line.strip_suffix('\\') {
            current.push_str(start);
            continue;
        }
        current.push_str(line);
        let (command, expected) = match current.rsplit_once("# exit ") {
            Some((command, code)) => (command.trim().to_owned(), code.trim().parse().expect("an exit code")),
            None => (current.trim().to_owned(), 0),
        };
        commands.push((command, expected));
        current.clear();
    }
    commands
}

#[test]
fn every_command_in_the_handling_walkthrough_works_as_written() {
    let page = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/handling.md"))
        .expect("docs/handling.md");
    let commands = commands(&page);
    assert!(commands.len() > 20, "the walkthrough's commands were found: {}", commands.len());
    let folder = tempfile::tempdir().expect("temp dir");
    let bin_dir = Path::new(support::BIN).parent().expect("the binary's folder");
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    for (command, expected) in commands {
        let output = Command::new("sh")
            .arg("-c")
            .arg(&command)
            .current_dir(folder.path())
            .env("PATH", &path)
            .env("RUST_LOG", "warn")
            .output()
            .expect("sh runs");
        assert_eq!(
            output.status.code(),
            Some(expected),
            "{command}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    // The walkthrough's letters are there, in order.
    let letters = support::mail_files(&folder.path().join("data"));
    for purpose in ["ack", "s1-response", "s2-ack", "extension", "update", "final"] {
        assert!(letters.iter().any(|name| name.contains(&format!(".{purpose}."))), "{purpose} in {letters:?}");
    }
}
