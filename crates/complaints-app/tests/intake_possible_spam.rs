//! A complaint a channel suspects is spam (the web form's honeypot was filled) is kept and flagged
//! for staff, and never acknowledged: a real complaint is never lost, a bot never makes us send mail.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use complaints_app::intake::IntakeRequest;
use complaints_app::ports::CaseStore;
use complaints_app::testing::{MemoryCaseStore, RecordingMailer, intake_service, sample_complaint};
use complaints_core::case::{CaseEvent, StaffFlag};
use complaints_core::complaint::Channel;

#[tokio::test]
async fn possible_spam_is_stored_flagged_for_staff_and_never_acknowledged() {
    let store = Arc::new(MemoryCaseStore::new());
    let mailer = Arc::new(RecordingMailer::new());
    let now = Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).single().expect("valid instant");
    let service = intake_service(store.clone(), mailer.clone(), now);
    let complaint = sample_complaint(Channel::WebForm, Some("jo.bloggs@example.net"));
    let request = IntakeRequest { complaint, source_key: Some("web:spam".to_owned()), possible_spam: true };

    let receipt = service.submit(request.clone()).await.expect("intake succeeds");
    assert!(!receipt.acknowledged && !receipt.duplicate);
    assert!(mailer.sent().is_empty(), "nothing is sent to the address given");
    let stored = store.get(&receipt.reference).await.expect("the case is kept");
    assert_eq!(stored.case.complaint().description, request.complaint.description);
    let timeline = store.timeline(&receipt.reference).await.expect("timeline");
    let flags: Vec<&CaseEvent> =
        timeline.iter().map(|e| &e.what).filter(|w| matches!(w, CaseEvent::FlaggedForStaff { .. })).collect();
    assert_eq!(flags, [&CaseEvent::FlaggedForStaff { reason: StaffFlag::PossibleSpam }]);
    assert!(!timeline.iter().any(|e| matches!(e.what, CaseEvent::AcknowledgementSent { .. })));

    // Sent again (a double click), it is the same case, still unacknowledged.
    let again = service.submit(request).await.expect("intake succeeds");
    assert_eq!((again.reference, again.duplicate, again.acknowledged), (receipt.reference, true, false));
    assert!(mailer.sent().is_empty());
}

#[tokio::test]
async fn an_ordinary_complaint_is_not_flagged() {
    let store = Arc::new(MemoryCaseStore::new());
    let mailer = Arc::new(RecordingMailer::new());
    let now = Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).single().expect("valid instant");
    let service = intake_service(store.clone(), mailer.clone(), now);
    let complaint = sample_complaint(Channel::WebForm, Some("jo.bloggs@example.net"));
    let receipt =
        service.submit(IntakeRequest { complaint, source_key: None, possible_spam: false }).await.expect("intake");
    assert!(receipt.acknowledged);
    let timeline = store.timeline(&receipt.reference).await.expect("timeline");
    assert!(!timeline.iter().any(|e| matches!(e.what, CaseEvent::FlaggedForStaff { .. })));
}
