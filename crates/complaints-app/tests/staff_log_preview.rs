//! Previewing a complaint staff log (`StaffActions::preview_log`): the same checks as
//! `log_complaint`, the acknowledgement it then sends (the reference aside), a clock from the
//! moment it was received, and nothing written.

use std::sync::Arc;

use complaints_app::staff::{ActionError, LetterDelivery};
use complaints_app::staff_contract::{Harness, at, phoned, user};
use complaints_app::testing::MemoryCaseStore;
use complaints_core::case::MessagePurpose;
use complaints_core::complaint::{ContactMethod, Representation};
use complaints_core::roles::Role;
use mail_parser::MessageParser;

fn text_of(raw: &[u8]) -> String {
    let parsed = MessageParser::default().parse(raw).expect("the letter parses");
    parsed.body_text(0).map(|text| text.replace("\r\n", "\n")).unwrap_or_default()
}

#[tokio::test]
async fn the_preview_shows_the_acknowledgement_log_complaint_then_sends_and_writes_nothing() {
    let store = Arc::new(MemoryCaseStore::new());
    let h = Harness::new(store.clone());
    let handler = user("h1", Role::Handler);
    let now = at(2026, 2, 4, 11);
    h.clock.set(now);
    let mut complaint = phoned("log-preview@example.net");
    // A letter that arrived the day before it was typed in.
    complaint.received_at = Some(at(2026, 2, 3, 9));

    let preview = h.actions.preview_log(&handler, complaint.clone(), Some(now)).await.expect("preview");
    assert_eq!(preview.received_at, at(2026, 2, 3, 9));
    assert_eq!(preview.received_on.to_string(), "2026-02-03", "the clock runs from receipt (R8)");
    let [letter] = preview.letters.as_slice() else { panic!("one letter expected: {:?}", preview.letters) };
    assert_eq!((letter.purpose, letter.delivery), (MessagePurpose::Acknowledgement, LetterDelivery::Email));
    assert!(store.all_cases().is_empty(), "a preview opens no case");

    let logged = h.log(&handler, complaint, now).await;
    assert_eq!(logged.case.received_at(), at(2026, 2, 3, 9));
    assert_eq!(logged.case.response_due(), preview.response_due, "the same first response date");
    let sent = h.letter_of(&logged, MessagePurpose::Acknowledgement).await;
    let previewed = text_of(&letter.message.raw).replace(&preview.provisional_reference, &logged.reference.to_string());
    assert_eq!(sent, previewed, "the acknowledgement sent is the one previewed, with its reference");
}

#[tokio::test]
async fn the_preview_refuses_what_logging_refuses_and_shows_a_printed_acknowledgement() {
    let store = Arc::new(MemoryCaseStore::new());
    let h = Harness::new(store.clone());
    let handler = user("h1", Role::Handler);
    let now = at(2026, 2, 4, 11);

    let mut unconsented = phoned("consent@example.net");
    unconsented.representation = Some(Representation {
        person_affected: "Sam Campbell".to_owned(),
        relationship: "Son".to_owned(),
        consent_confirmed: false,
    });
    let refused = h.actions.preview_log(&handler, unconsented.clone(), Some(now)).await.expect_err("no consent");
    let logged = h.actions.log_complaint(&handler, unconsented, Some(now)).await.expect_err("no consent");
    assert_eq!(refused.to_string(), logged.to_string(), "the same refusal");
    assert!(refused.to_string().contains("(R52)"), "{refused}");

    let mut later = phoned("later@example.net");
    later.received_at = Some(at(2026, 2, 5, 9));
    let future = h.actions.preview_log(&handler, later, Some(now)).await.expect_err("after now");
    assert!(matches!(&future, ActionError::Invalid(message) if message.starts_with("received_at:")), "{future}");

    let auditor = user("a1", Role::Auditor);
    let forbidden = h.actions.preview_log(&auditor, phoned("a@example.net"), Some(now)).await;
    assert!(matches!(forbidden, Err(ActionError::Forbidden { .. })), "{forbidden:?}");

    let mut on_paper = phoned("paper@example.net");
    on_paper.email = None;
    on_paper.preferred_contact = Some(ContactMethod::Letter);
    on_paper.postal_address = Some("1 High Street, Kirkcaldy KY1 1AA".to_owned());
    let preview = h.actions.preview_log(&handler, on_paper, Some(now)).await.expect("preview");
    let [letter] = preview.letters.as_slice() else { panic!("one letter expected: {:?}", preview.letters) };
    assert_eq!((letter.purpose, letter.delivery), (MessagePurpose::Acknowledgement, LetterDelivery::Print));
    assert!(store.all_cases().is_empty(), "nothing was logged");
}

#[tokio::test]
async fn the_preview_refuses_an_over_long_text_with_the_same_words_as_logging() {
    let store = Arc::new(MemoryCaseStore::new());
    let h = Harness::new(store.clone());
    let handler = user("h1", Role::Handler);
    let now = at(2026, 2, 4, 11);
    let mut long = phoned("long@example.net");
    long.note = "n".repeat(complaints_core::text_limits::MAX_TYPED_TEXT_CHARS + 1);
    long.name = Some("m".repeat(complaints_core::text_limits::MAX_NAME_CHARS + 1));
    let previewed = h.actions.preview_log(&handler, long.clone(), Some(now)).await.expect_err("too long");
    let logged = h.actions.log_complaint(&handler, long, Some(now)).await.expect_err("too long");
    assert!(matches!(&previewed, ActionError::Invalid(message) if message.contains("must be at most")), "{previewed}");
    assert_eq!(previewed.to_string(), logged.to_string(), "the check page and confirm give the same error");
    assert!(store.all_cases().is_empty());
}
