//! The subject-access export: every case of one contact (found by the keyed hash of the address,
//! whatever its case), with its timeline and the messages sent, and nothing of anyone else.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use complaints_app::contact::contact_key;
use complaints_app::intake::IntakeRequest;
use complaints_app::ports::CaseStore;
use complaints_app::subject_access::{FORMAT, export_contact};
use complaints_app::testing::{
    MemoryCaseStore, RecordingMailer, TEST_CONTACT_KEY_SECRET, intake_service, sample_complaint,
};
use complaints_core::case::ContactKey;
use complaints_core::complaint::Channel;

fn at() -> DateTime<Utc> {
    "2026-03-02T10:00:00Z".parse().expect("instant")
}

#[tokio::test]
async fn the_bundle_holds_each_case_of_the_address_with_its_timeline_and_sent_letters_only() {
    let store = Arc::new(MemoryCaseStore::new());
    let mailer = Arc::new(RecordingMailer::new());
    let intake = intake_service(store.clone(), mailer.clone(), at());
    let mut references = Vec::new();
    for email in ["jo@example.org", "JO@example.org", "someone.else@example.org"] {
        let request = IntakeRequest {
            complaint: sample_complaint(Channel::WebForm, Some(email)),
            source_key: None,
            possible_spam: false,
        };
        references.push(intake.submit(request).await.expect("submitted").reference);
    }
    let complaint = sample_complaint(Channel::WebForm, Some("jo@example.org"));
    let person = complaint.complainant.as_ref().expect("a complainant");
    let key = contact_key(TEST_CONTACT_KEY_SECRET, Channel::WebForm, person).expect("a key");

    let bundle = export_contact(store.as_ref(), &key, at()).await.expect("exported");
    assert_eq!(bundle.format, FORMAT);
    assert_eq!(bundle.contact_key, key);
    let exported: Vec<_> = bundle.cases.iter().map(|c| c.reference.clone()).collect();
    assert_eq!(exported, references[..2], "both of Jo's cases, not {}", references[2]);
    for case in &bundle.cases {
        assert_eq!(case.timeline, store.timeline(&case.reference).await.expect("timeline"));
        assert_eq!(case.messages.len(), 1, "the acknowledgement");
        let message = &case.messages[0];
        assert_eq!(message.state, "sent");
        let to: Vec<String> = message.to.iter().map(|a| a.to_ascii_lowercase()).collect();
        assert_eq!(to, ["jo@example.org"], "sent to the address as given");
        assert!(message.content.contains(&case.reference.to_string()), "the whole message is included");
    }
    let json = serde_json::to_value(&bundle).expect("serialises");
    assert_eq!(json["cases"][0]["case"]["reference"], references[0].to_string());

    let nobody = export_contact(store.as_ref(), &ContactKey("no-such-key".to_owned()), at()).await.expect("exported");
    assert!(nobody.cases.is_empty());
}
