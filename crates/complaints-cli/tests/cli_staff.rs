//! Staff case handling through the real `complaints` binary: the scripted lifecycle of issue 11
//! (received by phone → stage 1 resolved → escalated two weeks later → acknowledged with two points
//! → extended → closed partially upheld → SPSO referral), each letter read back from the mail
//! folder with its dates checked against the Scottish calendar; refusals and bad arguments; the
//! users file; lists and pages; the subject-access export; the learning register.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use chrono::NaiveDate;
use complaints_core::calendar::Calendar;
use complaints_core::limits;
use support::{BIN, mail_files};

/// Runs `complaints ARGS`.
fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).env("RUST_LOG", "warn").output().expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs a command that must succeed; returns its stdout.
fn ok(args: &[&str]) -> String {
    let output = run(args);
    assert!(output.status.success(), "{args:?} failed: {}{}", stdout(&output), stderr(&output));
    stdout(&output)
}

/// Runs `complaints case ARGS --data-dir DIR --as USER --at AT`.
fn case(dir: &Path, user: &str, at: &str, args: &[&str]) -> Output {
    let dir = dir.to_str().expect("utf-8 path");
    let mut all = vec!["case"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--data-dir", dir, "--as", user, "--at", at]);
    run(&all)
}

fn case_ok(dir: &Path, user: &str, at: &str, args: &[&str]) -> String {
    let output = case(dir, user, at, args);
    assert!(output.status.success(), "{args:?} failed: {}{}", stdout(&output), stderr(&output));
    stdout(&output)
}

fn add_user(dir: &Path, name: &str, role: &str) -> String {
    let out = ok(&["users", "add", name, "--role", role, "--data-dir", dir.to_str().expect("utf-8"), "--json"]);
    let value: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    value["token"].as_str().expect("a token").to_owned()
}

/// A fresh data directory with a handler and a manager.
fn data_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    add_user(&dir.path().join("data"), "ahmed", "handler");
    add_user(&dir.path().join("data"), "mairi", "manager");
    dir
}

/// The reference on the first line of an action's text output.
fn reference_in(out: &str) -> String {
    out.split_whitespace().next().expect("a reference first").to_owned()
}

/// The plain-text body of the one letter in the mail folder whose file name has `purpose`.
fn letter(dir: &Path, purpose: &str) -> String {
    let files: Vec<String> =
        mail_files(dir).into_iter().filter(|name| name.contains(&format!(".{purpose}."))).collect();
    assert_eq!(files.len(), 1, "one {purpose} letter in {:?}", mail_files(dir));
    let raw = std::fs::read(dir.join("mail").join(&files[0])).expect("letter file");
    let parsed = mail_parser::MessageParser::default().parse(&raw).expect("the letter parses");
    parsed.body_text(0).expect("a text part").into_owned()
}

/// A date as letters write it: `Wednesday 15 April 2026`.
fn long(date: NaiveDate) -> String {
    date.format("%A %-d %B %Y").to_string()
}

fn date(text: &str) -> NaiveDate {
    text.parse().expect("date")
}

#[test]
fn the_scripted_lifecycle_sends_every_letter_with_the_calendars_dates() {
    let root = data_dir();
    let dir = root.path().join("data");
    let calendar = Calendar::scotland();

    // Received by phone on Monday 2 March 2026, 10:00.
    let received = date("2026-03-02");
    let out = case_ok(
        &dir,
        "ahmed",
        "2026-03-02T10:00:00Z",
        &[
            "log",
            "--channel",
            "phone",
            "--name",
            "Morag Fictional",
            "--email",
            "morag@example.org",
            "--service-area",
            "Waste and recycling",
            "--description",
            "My bins were missed three weeks running.",
            "--note",
            "Called at 10:00; wants the bins collected and a call back.",
        ],
    );
    let reference = reference_in(&out);
    assert!(out.contains("stage1-open"), "{out}");
    // R8, R19: stage 1 is 5 working days counted from the day of receipt.
    let stage1_due = calendar.nth_working_day(received, 5);
    assert!(letter(&dir, "ack").contains(&long(stage1_due)), "the acknowledgement gives {stage1_due}");

    // Stage 1 resolved on Wednesday 4 March.
    let responded = date("2026-03-04");
    case_ok(
        &dir,
        "ahmed",
        "2026-03-04T14:00:00Z",
        &["respond", &reference, "--outcome", "resolved", "--note", "We collected the bins on 3 March."],
    );
    let response = letter(&dir, "s1-response");
    // R16: the customer may escalate until 2 months after the response (no earlier event date given).
    let escalation_deadline = limits::escalation_deadline(None, None, responded);
    assert!(response.contains(&long(escalation_deadline)), "the stage 1 response gives {escalation_deadline}");
    assert!(response.contains("stage 2"), "the letter says how to escalate");

    // Escalated two weeks later, and acknowledged at once with two points.
    let escalated = responded + chrono::Days::new(14);
    assert_eq!(escalated, date("2026-03-18"));
    let out = case_ok(
        &dir,
        "ahmed",
        "2026-03-18T11:00:00Z",
        &[
            "escalate",
            &reference,
            "--channel",
            "email",
            "--point",
            "The bins were missed three weeks running",
            "--wants",
            "Reliable collections",
            "--point",
            "Nobody called back",
            "--wants",
            "An apology",
        ],
    );
    assert!(out.contains("stage2-acknowledged"), "{out}");
    let acknowledgement = letter(&dir, "s2-ack");
    // R24, R26: 20 working days from the request; Good Friday (3 April 2026) is not one.
    let stage2_due = calendar.nth_working_day(escalated, 20);
    assert_eq!(stage2_due, date("2026-04-15"), "the calendar skips Good Friday");
    assert!(acknowledgement.contains(&long(stage2_due)), "the acknowledgement gives {stage2_due}");
    for point in ["The bins were missed three weeks running", "Nobody called back", "An apology"] {
        assert!(acknowledgement.contains(point), "the acknowledgement lists {point:?}");
    }

    // Extended by a manager to Wednesday 29 April (a handler may not).
    let extend = ["extend", &reference, "--reason", "Waiting for the crew's report", "--new-due", "2026-04-29"];
    let refused = case(&dir, "ahmed", "2026-04-01T10:00:00Z", &extend);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("may not"), "{}", stderr(&refused));
    case_ok(&dir, "mairi", "2026-04-01T10:00:00Z", &extend);
    let extension = letter(&dir, "extension");
    assert!(calendar.is_working_day(date("2026-04-29")));
    assert!(extension.contains(&long(date("2026-04-29"))), "the extension letter gives the new date");
    assert!(extension.contains("Waiting for the crew's report"));

    // Closed partially upheld on Monday 27 April: one point upheld, one not.
    let out = case_ok(
        &dir,
        "ahmed",
        "2026-04-27T15:00:00Z",
        &[
            "close",
            &reference,
            "--point-outcome",
            "upheld",
            "--point-outcome",
            "not-upheld",
            "--note",
            "The crew missed your street; we have changed the route.",
        ],
    );
    assert!(out.contains("stage2-closed"), "{out}");
    let final_response = letter(&dir, "final");
    assert!(final_response.contains("partially upheld"), "{final_response}");
    for line in [
        "Online: www.spso.org.uk/complain/form",
        "Freephone: 0800 377 7330",
        "Post: Freepost SPSO",
        "Bridgeside House, 99 McDonald Road, Edinburgh EH7 4NS",
        "within 12 months",
    ] {
        assert!(final_response.contains(line), "the final response carries {line:?}");
    }

    // Referred to the SPSO three weeks later: recorded, no letter.
    let before = mail_files(&dir).len();
    case_ok(&dir, "ahmed", "2026-05-18T09:00:00Z", &["refer-spso", &reference]);
    assert_eq!(mail_files(&dir).len(), before, "a referral sends nothing");
    let shown = case_ok(&dir, "ahmed", "2026-05-18T09:05:00Z", &["show", &reference, "--json"]);
    let shown: serde_json::Value = serde_json::from_str(&shown).expect("JSON");
    assert_eq!(shown["case"]["spso"]["referred_on"], "2026-05-18");
    assert_eq!(shown["status"], "stage2-closed");
    let closure = &shown["case"]["stage2"]["closure"];
    assert_eq!(closure["outcome"], "partially-upheld");
    assert_eq!(closure["responded_on"], "2026-04-27");
    // Every change is on the timeline with who did it.
    let actors: Vec<&str> =
        shown["timeline"].as_array().expect("timeline").iter().filter_map(|e| e["actor"]["id"].as_str()).collect();
    assert!(actors.contains(&"ahmed") && actors.contains(&"mairi"), "{actors:?}");
}

#[test]
fn a_refused_action_names_its_rule_and_exits_1() {
    let root = data_dir();
    let dir = root.path().join("data");
    let out = case_ok(
        &dir,
        "ahmed",
        "2026-03-02T10:00:00Z",
        &[
            "log",
            "--channel",
            "letter",
            "--name",
            "A Person",
            "--email",
            "a.person@example.org",
            "--service-area",
            "Housing",
            "--description",
            "Damp.",
            "--note",
            "Letter dated 27 February.",
        ],
    );
    let reference = reference_in(&out);
    // Closing stage 2 while the case is at stage 1 is not allowed by the procedure.
    let refused = case(
        &dir,
        "ahmed",
        "2026-03-03T10:00:00Z",
        &["close", &reference, "--point-outcome", "upheld", "--note", "Fixed."],
    );
    assert_eq!(refused.status.code(), Some(1));
    let message = stderr(&refused);
    assert_eq!(message.lines().count(), 1, "one line: {message}");
    assert!(message.contains("refused by R"), "{message}");
    // A stale version is refused too: a concurrent edit never overwrites.
    let stale = case(&dir, "ahmed", "2026-03-03T10:00:00Z", &["withdraw", &reference, "--expect-version", "7"]);
    assert_eq!(stale.status.code(), Some(1));
    assert!(stderr(&stale).contains("changed by someone else"), "{}", stderr(&stale));
    // An auditor reads but changes nothing.
    add_user(&dir, "aud", "auditor");
    let forbidden = case(&dir, "aud", "2026-03-03T10:00:00Z", &["withdraw", &reference]);
    assert_eq!(forbidden.status.code(), Some(1));
    assert!(stderr(&forbidden).contains("may not"), "{}", stderr(&forbidden));
    case_ok(&dir, "aud", "2026-03-03T10:00:00Z", &["show", &reference]);
}

#[test]
fn bad_arguments_are_one_line_and_exit_2() {
    let root = data_dir();
    let dir = root.path().join("data");
    let bad = [
        vec!["respond", "CMP-2026-00001", "--outcome", "mostly", "--note", "x"],
        vec!["respond", "not-a-reference", "--outcome", "upheld", "--note", "x"],
        vec!["list", "--status", "sleeping"],
        vec!["escalate", "CMP-2026-00001", "--channel", "email", "--point", "One", "--point", "Two", "--wants", "x"],
        vec!["list", "--due-within", "3", "--overdue"],
    ];
    for args in bad {
        let output = case(&dir, "ahmed", "2026-03-02T10:00:00Z", &args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
        assert_eq!(stderr(&output).trim().lines().count(), 1, "{args:?}: {}", stderr(&output));
    }
    let no_user = run(&["case", "list", "--data-dir", dir.to_str().expect("utf-8")]);
    assert_eq!(no_user.status.code(), Some(2), "{}", stderr(&no_user));
    assert!(stderr(&no_user).contains("--as"));
}

#[test]
fn a_users_token_is_shown_once_and_the_file_keeps_only_its_hash() {
    let root = tempfile::tempdir().expect("dir");
    let dir = root.path().join("data");
    let d = dir.to_str().expect("utf-8");
    let out = ok(&["users", "add", "fiona", "--role", "admin", "--email", "fiona@council.example", "--data-dir", d]);
    let token = out.split("token (shown once; keep it safe): ").nth(1).expect("the token line").trim().to_owned();
    assert!(token.starts_with("cpt_"), "{token}");
    let file = std::fs::read_to_string(dir.join("users.json")).expect("users file");
    assert!(!file.contains(&token), "the token itself is not stored");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("users.json")).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let listed = ok(&["users", "list", "--data-dir", d]);
    assert!(listed.contains("fiona") && listed.contains("admin") && !listed.contains(&token), "{listed}");
    let again = run(&["users", "add", "fiona", "--role", "handler", "--data-dir", d]);
    assert_eq!(again.status.code(), Some(1), "{}", stderr(&again));
    let bad_role = run(&["users", "add", "gus", "--role", "boss", "--data-dir", d]);
    assert_eq!(bad_role.status.code(), Some(2));
    ok(&["users", "remove", "fiona", "--data-dir", d]);
    assert!(!ok(&["users", "list", "--data-dir", d]).contains("fiona"));
}

#[test]
fn lists_filter_and_page_with_a_cursor() {
    let root = data_dir();
    let dir = root.path().join("data");
    let mut references = Vec::new();
    for (day, channel) in [("02", "phone"), ("03", "letter"), ("04", "phone")] {
        let out = case_ok(
            &dir,
            "ahmed",
            &format!("2026-03-{day}T10:00:00Z"),
            &[
                "log",
                "--channel",
                channel,
                "--name",
                "A Person",
                "--service-area",
                "Roads",
                "--description",
                "Pothole.",
                "--note",
                "Noted.",
            ],
        );
        references.push(reference_in(&out));
    }
    case_ok(
        &dir,
        "ahmed",
        "2026-03-05T10:00:00Z",
        &["assign", &references[1], "--handler", "Roads Team", "--team", "Roads"],
    );

    let json = |args: &[&str]| -> serde_json::Value {
        let mut all = vec!["list"];
        all.extend_from_slice(args);
        all.push("--json");
        serde_json::from_str(&case_ok(&dir, "ahmed", "2026-03-05T12:00:00Z", &all)).expect("JSON")
    };
    let refs = |value: &serde_json::Value| -> Vec<String> {
        value["cases"]
            .as_array()
            .expect("cases")
            .iter()
            .map(|c| c["reference"].as_str().expect("ref").to_owned())
            .collect()
    };
    assert_eq!(refs(&json(&[])), references, "open cases, earliest due first");
    assert_eq!(refs(&json(&["--handler", "roads team"])), [references[1].clone()]);
    assert_eq!(refs(&json(&["--channel", "phone"])), [references[0].clone(), references[2].clone()]);
    // Due within 2 working days of Thursday 5 March: the case received on Monday 2nd is due on Friday 6th.
    assert_eq!(refs(&json(&["--due-within", "2"])), [references[0].clone()]);
    assert!(refs(&json(&["--overdue"])).is_empty());

    let first = json(&["--limit", "2"]);
    assert_eq!(refs(&first), references[..2]);
    let next = first["next"].as_str().expect("a cursor").to_owned();
    let second = json(&["--limit", "2", "--after", &next]);
    assert_eq!(refs(&second), references[2..]);
    assert!(second["next"].is_null());
    let text = case_ok(&dir, "ahmed", "2026-03-05T12:00:00Z", &["list", "--limit", "2"]);
    assert!(text.contains(&format!("more: --after {next}")), "{text}");
}

#[test]
fn the_subject_access_export_holds_every_case_and_letter_of_one_address_only() {
    let root = data_dir();
    let dir = root.path().join("data");
    let log = |email: &str, at: &str| {
        let out = case_ok(
            &dir,
            "ahmed",
            at,
            &[
                "log",
                "--channel",
                "phone",
                "--name",
                "A Person",
                "--email",
                email,
                "--service-area",
                "Roads",
                "--description",
                "Pothole.",
                "--note",
                "Noted.",
            ],
        );
        reference_in(&out)
    };
    let first = log("jo@example.org", "2026-03-02T10:00:00Z");
    let second = log("Jo@Example.org", "2026-03-03T10:00:00Z");
    let other = log("someone.else@example.org", "2026-03-03T11:00:00Z");
    let out = dir.join("..").join("sar.json");
    let refused = case(&dir, "ahmed", "2026-03-04T10:00:00Z", &["export-contact", "--email", "jo@example.org"]);
    assert_eq!(refused.status.code(), Some(1), "a handler may not export");
    case_ok(
        &dir,
        "mairi",
        "2026-03-04T10:00:00Z",
        &["export-contact", "--email", "jo@example.org", "--out", out.to_str().expect("utf-8")],
    );
    let bundle: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("bundle")).expect("JSON");
    let cases = bundle["cases"].as_array().expect("cases");
    let references: Vec<&str> = cases.iter().map(|c| c["reference"].as_str().expect("ref")).collect();
    assert_eq!(references, [first.as_str(), second.as_str()], "not {other}");
    for case in cases {
        assert!(!case["timeline"].as_array().expect("timeline").is_empty());
        let messages = case["messages"].as_array().expect("messages");
        assert_eq!(messages.len(), 1, "the acknowledgement");
        assert!(messages[0]["content"].as_str().expect("content").contains(case["reference"].as_str().expect("ref")));
    }
    // The data file's audit log has the export, by whom, with the keyed hash and never the address.
    let conn = rusqlite::Connection::open(dir.join("complaints.sqlite3")).expect("data file");
    let exports: Vec<(String, String, Option<String>)> = conn
        .prepare("SELECT actor, access, contact FROM staff_audit WHERE permission = 'export-contact'")
        .expect("audit query")
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("audit rows");
    let read = exports.iter().find(|(actor, access, _)| actor == "mairi" && access == "read").expect("the export");
    let contact = read.2.clone().expect("the keyed hash");
    assert_eq!(contact.len(), 64, "a hex HMAC");
    assert!(exports.iter().any(|(actor, access, _)| actor == "ahmed" && access == "refused"), "{exports:?}");
    let everything: Vec<String> = conn
        .prepare("SELECT actor || role || access || permission || action || coalesce(contact, '') FROM staff_audit")
        .expect("audit query")
        .query_map([], |row| row.get(0))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("audit rows");
    assert!(everything.iter().all(|row| !row.contains("jo@example.org") && !row.contains("Jo@")));
}

#[test]
fn a_learning_action_links_its_cases_and_is_listed_by_the_period_it_was_done_in() {
    let root = data_dir();
    let dir = root.path().join("data");
    let d = dir.to_str().expect("utf-8");
    let out = case_ok(
        &dir,
        "ahmed",
        "2026-03-02T10:00:00Z",
        &[
            "log",
            "--channel",
            "phone",
            "--name",
            "A Person",
            "--service-area",
            "Waste",
            "--description",
            "Missed bin.",
            "--note",
            "Noted.",
        ],
    );
    let reference = reference_in(&out);
    let learning = |user: &str, at: &str, args: &[&str]| -> String {
        let mut all = vec!["learning"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--data-dir", d, "--as", user, "--at", at, "--json"]);
        ok(&all)
    };
    let added: serde_json::Value = serde_json::from_str(&learning(
        "ahmed",
        "2026-03-10T10:00:00Z",
        &[
            "add",
            "--root-cause",
            "Route sheets out of date",
            "--action",
            "Reissue route sheets",
            "--owner",
            "Waste manager",
            "--due",
            "2026-04-30",
            "--case",
            &reference,
        ],
    ))
    .expect("JSON");
    let id = added["id"].as_str().expect("id").to_owned();
    let open: serde_json::Value =
        serde_json::from_str(&learning("ahmed", "2026-03-10T10:00:00Z", &["list"])).expect("JSON");
    assert_eq!(open[0]["id"], id.as_str());
    learning("ahmed", "2026-04-20T10:00:00Z", &["complete", &id]);
    let quarter: serde_json::Value = serde_json::from_str(&learning(
        "ahmed",
        "2026-07-01T10:00:00Z",
        &["list", "--done-from", "2026-04-01", "--done-to", "2026-06-30"],
    ))
    .expect("JSON");
    assert_eq!(quarter[0]["done_on"], "2026-04-20");
    // An auditor reads the register, as through the API, but changes nothing in it.
    add_user(&dir, "aud", "auditor");
    let read: serde_json::Value = serde_json::from_str(&learning(
        "aud",
        "2026-07-01T10:00:00Z",
        &["list", "--done-from", "2026-04-01", "--done-to", "2026-06-30"],
    ))
    .expect("JSON");
    assert_eq!(read[0]["id"], id.as_str());
    let one: serde_json::Value =
        serde_json::from_str(&learning("aud", "2026-07-01T10:00:00Z", &["show", &id])).expect("JSON");
    assert_eq!(one["id"], id.as_str());
    let refused = run(&["learning", "complete", &id, "--data-dir", d, "--as", "aud", "--json"]);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    let shown = case_ok(&dir, "ahmed", "2026-07-01T10:00:00Z", &["show", &reference, "--json"]);
    assert!(shown.contains(&id), "the case's timeline records the link");
}
