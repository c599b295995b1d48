//! The "export is ready" email: one pending message per address on the reporting list, with the
//! headline figures and where the files are, written once per export however often it is re-run.

use chrono::{DateTime, TimeZone, Utc};
use complaints_app::export::export_period;
use complaints_app::export_notice::{NoticeError, NoticeSettings, Notified, notify_export};
use complaints_app::ports::CaseStore;
use complaints_app::testing::MemoryCaseStore;
use complaints_core::case::MessagePurpose;
use complaints_core::indicators::Period;
use complaints_reports::Finished;

mod export_support;

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 10, 0, 0).single().expect("instant")
}

/// Three complaints received in 2026-27 Q2 (none answered yet), exported.
async fn exported(store: &MemoryCaseStore) -> Finished {
    let options = export_support::three_complaints_in_q2(store).await;
    let period = Period::parse("2026-27-Q2").expect("period");
    export_period(store, period, Vec::new(), &[], Vec::new(), &options).await.expect("exported").0
}

fn settings(recipients: &[String]) -> NoticeSettings<'_> {
    NoticeSettings { organisation: "Example Council", from: "complaints@example.org", recipients }
}

fn text_of(raw: &[u8]) -> String {
    let parsed = mail_parser::MessageParser::default().parse(raw).expect("a message");
    parsed.body_text(0).expect("a text part").into_owned()
}

#[tokio::test]
async fn each_address_on_the_list_is_told_once_with_the_headline_figures_and_where_the_files_are() {
    let store = MemoryCaseStore::new();
    let finished = exported(&store).await;
    assert_eq!(finished.indicators.total.k2_received, 3, "the figures the email should carry");
    // One address twice (once with spaces): told once.
    let list = vec![
        "performance@example.org".to_owned(),
        "chief.executive@example.org".to_owned(),
        " performance@example.org ".to_owned(),
    ];
    let location = "s3://exports-bucket/exports/2026-27/Q2/";
    let notified = notify_export(&store, &finished, location, settings(&list), at(2026, 10, 1)).await.expect("written");
    let Notified::Queued { message_ids } = notified else { panic!("expected messages, got {notified:?}") };
    assert_eq!(message_ids.len(), 2);

    let pending = store.pending_messages(at(2026, 10, 1), 100).await.expect("pending");
    let notices: Vec<_> = pending.iter().filter(|p| p.message.purpose == MessagePurpose::ExportReady).collect();
    assert_eq!(notices.len(), 2);
    let mut told: Vec<&str> = notices.iter().map(|p| p.message.to[0].as_str()).collect();
    told.sort_unstable();
    assert_eq!(told, ["chief.executive@example.org", "performance@example.org"]);
    for notice in &notices {
        assert_eq!(notice.message.case_ref, None);
        let text = text_of(&notice.message.raw);
        assert!(text.contains("2026-27-Q2 (2026-07-01 to 2026-09-30)"), "{text}");
        assert!(text.contains(location), "where the files are: {text}");
        let total = text.lines().find(|l| l.starts_with("total")).expect("a total row");
        let cells: Vec<&str> = total.split_whitespace().collect();
        assert_eq!(cells[1], "3", "received in total: {total}");
        assert_eq!(cells[2], "0", "closed in total: {total}");
        assert!(!text.contains("someone@example.net"), "no complainant details");
    }

    // A re-run of the same export (even with figures changed since) tells nobody again.
    let again = notify_export(&store, &finished, location, settings(&list), at(2026, 10, 2)).await.expect("ran");
    assert_eq!(again, Notified::AlreadySent);
    let after = store.pending_messages(at(2026, 10, 2), 100).await.expect("pending");
    assert_eq!(after.iter().filter(|p| p.message.purpose == MessagePurpose::ExportReady).count(), 2);
}

#[tokio::test]
async fn an_empty_list_writes_nothing_and_a_bad_address_is_refused_before_anything_is_written() {
    let store = MemoryCaseStore::new();
    let finished = exported(&store).await;
    let nobody = notify_export(&store, &finished, "exports/2026-27/Q2/", settings(&[]), at(2026, 10, 1)).await;
    assert_eq!(nobody.expect("ran"), Notified::NobodyToTell);

    let bad = vec!["performance@example.org".to_owned(), "not an address".to_owned()];
    let refused = notify_export(&store, &finished, "exports/2026-27/Q2/", settings(&bad), at(2026, 10, 1)).await;
    assert!(matches!(refused, Err(NoticeError::Recipient(2))), "{refused:?}");
    let pending = store.pending_messages(at(2026, 10, 1), 100).await.expect("pending");
    assert!(pending.iter().all(|p| p.message.purpose != MessagePurpose::ExportReady));

    // Neither placed the marker: once the list is right, the export's email goes out.
    let good = vec!["performance@example.org".to_owned()];
    let told = notify_export(&store, &finished, "exports/2026-27/Q2/", settings(&good), at(2026, 10, 1)).await;
    assert!(matches!(told, Ok(Notified::Queued { .. })), "{told:?}");
}
