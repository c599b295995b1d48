//! Intake on the embedded store: references survive a restart, repeats are idempotent, and the
//! acknowledgement's Message-ID leads back to the case from the data file.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use complaints_app::intake::{IntakeReceipt, IntakeRequest, IntakeService};
use complaints_app::outbound::DeliveryState;
use complaints_app::ports::CaseStore;
use complaints_app::testing::{RecordingMailer, intake_service, sample_complaint};
use complaints_core::case::{CaseEvent, MessagePurpose};
use complaints_core::complaint::Channel;
use complaints_store_sqlite::SqliteCaseStore;

fn service(store: &SqliteCaseStore, mailer: &Arc<RecordingMailer>) -> IntakeService {
    let at = Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).single().expect("instant");
    intake_service(Arc::new(store.clone()), mailer.clone(), at)
}

async fn submit(service: &IntakeService, key: &str) -> IntakeReceipt {
    let complaint = sample_complaint(Channel::WebForm, Some("jo.bloggs@example.net"));
    service
        .submit(IntakeRequest { complaint, source_key: Some(key.to_owned()), possible_spam: false })
        .await
        .expect("intake succeeds")
}

#[tokio::test]
async fn references_continue_after_reopening_the_data_file_and_repeats_stay_duplicates() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("cases.sqlite3");
    let mailer = Arc::new(RecordingMailer::new());

    let first = {
        let store = SqliteCaseStore::open(&path).expect("open");
        submit(&service(&store, &mailer), "web:a").await
    };
    let store = SqliteCaseStore::open(&path).expect("reopen");
    let intake = service(&store, &mailer);
    let second = submit(&intake, "web:b").await;
    let repeat = submit(&intake, "web:a").await;

    assert_eq!(first.reference.to_string(), "CMP-2026-00001");
    assert_eq!(second.reference.to_string(), "CMP-2026-00002");
    assert!(repeat.duplicate && !repeat.acknowledged);
    assert_eq!(repeat.reference, first.reference);
    assert_eq!(mailer.sent().len(), 2, "the repeat sent nothing");
}

#[tokio::test]
async fn the_acknowledgement_is_recorded_in_the_data_file() {
    let store = SqliteCaseStore::in_memory().expect("store");
    let mailer = Arc::new(RecordingMailer::new());
    let receipt = submit(&service(&store, &mailer), "web:ack").await;
    assert!(receipt.acknowledged);

    let sent = mailer.sent();
    let message_id = &sent.first().expect("one message").message_id;
    assert_eq!(store.case_for_message(message_id).await.expect("lookup"), Some(receipt.reference.clone()));
    let stored = store.get(&receipt.reference).await.expect("case");
    assert_eq!(stored.version, 1, "the acknowledgement's queueing and sending do not change the case");
    let timeline = store.timeline(&receipt.reference).await.expect("timeline");
    assert!(matches!(timeline.first().map(|e| &e.what), Some(CaseEvent::Received { .. })));
    let purpose = MessagePurpose::Acknowledgement;
    let mail: Vec<&CaseEvent> = timeline.iter().map(|e| &e.what).skip(1).collect();
    assert_eq!(
        mail,
        [
            &CaseEvent::MessageQueued { message_id: message_id.clone(), purpose },
            &CaseEvent::MessageSent { message_id: message_id.clone(), purpose },
        ]
    );
    let record = store.message(message_id).await.expect("lookup").expect("kept");
    assert!(matches!(record.state, DeliveryState::Sent { .. }));
    assert_eq!(record.message.raw, sent[0].raw, "the bytes sent are the bytes stored");
}
