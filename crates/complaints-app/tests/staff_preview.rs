//! Previewing an action's letters: the same letter `perform` then sends, and nothing changed by
//! the preview itself (no version bump, no mail, no timeline entry).

use std::sync::Arc;

use complaints_app::ports::CaseStore;
use complaints_app::staff::{ActionError, StaffAction};
use complaints_app::staff_contract::{Harness, at, phoned, user};
use complaints_app::testing::MemoryCaseStore;
use complaints_core::case::{MessagePurpose, Status};
use complaints_core::outcome::Outcome;
use complaints_core::roles::Role;
use mail_parser::MessageParser;

fn text_of(raw: &[u8]) -> String {
    let parsed = MessageParser::default().parse(raw).expect("the letter parses");
    parsed.body_text(0).map(|text| text.replace("\r\n", "\n")).unwrap_or_default()
}

fn respond(note: &str) -> StaffAction {
    StaffAction::Respond {
        outcome: Outcome::Resolved,
        note: note.to_owned(),
        route_given_by: None,
        staff_parts: Vec::new(),
    }
}

#[tokio::test]
async fn a_preview_shows_the_letter_perform_sends_and_changes_nothing() {
    let store = Arc::new(MemoryCaseStore::new());
    let h = Harness::new(store.clone());
    let handler = user("h1", Role::Handler);
    let logged = h.log(&handler, phoned("preview@example.net"), at(2026, 2, 3, 10)).await;
    let before = store.get(&logged.reference).await.expect("case");
    let timeline_before = store.timeline(&logged.reference).await.expect("timeline").len();
    let when = at(2026, 2, 4, 11);
    h.clock.set(when);

    let preview = h
        .actions
        .preview(&handler, &logged.reference, Some(before.version), respond("We collected the bin."), Some(when))
        .await
        .expect("preview");

    assert_eq!(preview.status, Status::Stage1Closed);
    assert_eq!(preview.version, before.version);
    let [letter] = preview.letters.as_slice() else { panic!("one letter expected: {:?}", preview.letters) };
    assert_eq!(letter.purpose, MessagePurpose::Stage1Response);
    let previewed = text_of(&letter.message.raw);
    assert!(previewed.contains("We collected the bin."), "{previewed}");
    let after = store.get(&logged.reference).await.expect("case");
    assert_eq!(after.version, before.version, "a preview must not change the case");
    assert_eq!(store.timeline(&logged.reference).await.expect("timeline").len(), timeline_before);
    assert!(store.message(&letter.message.message_id).await.expect("read").is_none(), "nothing queued");

    let done = h
        .actions
        .perform(&handler, &logged.reference, Some(before.version), respond("We collected the bin."), Some(when))
        .await
        .expect("perform");
    let sent = h.letter_of(&done, MessagePurpose::Stage1Response).await;
    assert_eq!(sent, previewed, "the letter sent is the letter previewed");
}

#[tokio::test]
async fn a_preview_answers_the_errors_perform_would() {
    let store = Arc::new(MemoryCaseStore::new());
    let h = Harness::new(store.clone());
    let handler = user("h1", Role::Handler);
    let logged = h.log(&handler, phoned("preview-errors@example.net"), at(2026, 2, 3, 10)).await;
    let when = Some(at(2026, 2, 4, 11));

    let stale = h.actions.preview(&handler, &logged.reference, Some(logged.version + 1), respond("x"), when).await;
    assert!(matches!(stale, Err(ActionError::Conflict { .. })), "{stale:?}");
    let auditor = user("a1", Role::Auditor);
    let refused = h.actions.preview(&auditor, &logged.reference, None, respond("x"), when).await;
    assert!(matches!(refused, Err(ActionError::Forbidden { .. })), "{refused:?}");
    let close = StaffAction::Close {
        point_outcomes: vec![Outcome::Upheld],
        outcome_override: None,
        note: "n".to_owned(),
        staff_parts: Vec::new(),
    };
    let rule = h.actions.preview(&handler, &logged.reference, None, close, when).await.expect_err("stage 1 case");
    assert!(rule.rule_id().is_some(), "a refusal names its rule: {rule}");
}
