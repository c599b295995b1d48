//! A complaint logged twice under one submission key (`StaffActions::log_complaint_once`): the
//! repeat reports what the first submission did (a printed acknowledgement stays printed) and
//! adds nothing to the audit log (R57), since nothing was logged.

use std::sync::Arc;

use complaints_app::staff::LetterDelivery;
use complaints_app::staff_contract::{Harness, at, phoned, user};
use complaints_app::testing::MemoryCaseStore;
use complaints_core::case::MessagePurpose;
use complaints_core::complaint::ContactMethod;
use complaints_core::roles::{Permission, Role};

#[tokio::test]
async fn a_repeated_log_reports_the_printed_acknowledgement_and_writes_no_second_audit_entry() {
    let store = Arc::new(MemoryCaseStore::new());
    let h = Harness::new(store.clone());
    let handler = user("h1", Role::Handler);
    let now = at(2026, 2, 4, 11);
    h.clock.set(now);
    let mut on_paper = phoned("paper-repeat@example.net");
    on_paper.email = None;
    on_paper.preferred_contact = Some(ContactMethod::Letter);
    on_paper.postal_address = Some("1 High Street, Kirkcaldy KY1 1AA".to_owned());

    let first = h.actions.log_complaint_once(&handler, on_paper.clone(), Some("key-1"), Some(now)).await.expect("log");
    let again = h.actions.log_complaint_once(&handler, on_paper, Some("key-1"), Some(now)).await.expect("repeat");
    assert!(!first.repeated && again.repeated);
    assert_eq!(again.reference, first.reference, "the same case");
    let deliveries = |outcome: &complaints_app::staff::ActionOutcome| -> Vec<(MessagePurpose, LetterDelivery)> {
        outcome.letters.iter().map(|letter| (letter.purpose, letter.delivery)).collect()
    };
    assert_eq!(deliveries(&first), vec![(MessagePurpose::Acknowledgement, LetterDelivery::Print)]);
    assert_eq!(deliveries(&again), deliveries(&first), "the repeat reports the letter as it went");
    let logged = h.audit.entries().into_iter().filter(|entry| entry.permission == Permission::LogComplaint).count();
    assert_eq!(logged, 1, "one complaint logged, one audit entry");
}
