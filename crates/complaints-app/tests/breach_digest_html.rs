//! The breach scan's digest as HTML: rendered through the message templates' engine (the one the
//! acknowledgement and letters use, which escapes every value it prints), so text a complainant
//! typed that reaches the digest (the service area of the web form) is shown, never run.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use complaints_app::breach_scan::BreachScan;
use complaints_app::outbound::Delivery;
use complaints_app::ports::{CaseStore, NewCase};
use complaints_app::testing::{ManualClock, MemoryCaseStore, RecordingMailer, sample_complaint};
use complaints_core::case::{Case, MessagePurpose, Rules};
use complaints_core::complaint::Channel;
use complaints_core::config::OrgConfig;
use complaints_core::reference::CaseRef;
use complaints_core::timeline::Actor;

const HOSTILE: &str = "<script>alert(\"Siobhán & 'co'\")</script>";

fn config() -> OrgConfig {
    OrgConfig::from_toml_str(
        "[alerts]\nteam_mailbox = \"team@example.org\"\nstaff_base_url = \"https://staff.example.org/\"\n",
    )
    .expect("config")
}

/// A web-form case received on Monday 12 January 2026 (stage 1 due Friday 16th) naming
/// `service_area`.
async fn open_case(store: &MemoryCaseStore, config: &OrgConfig, service_area: &str) {
    let calendar = config.calendar();
    let rules = Rules { calendar: &calendar, policy: &config.procedure };
    let at = Utc.with_ymd_and_hms(2026, 1, 12, 10, 0, 0).single().expect("instant");
    let mut complaint = sample_complaint(Channel::WebForm, Some("someone@example.net"));
    complaint.service_area = service_area.to_owned();
    let reference = CaseRef::new("DIG", 2026, 0).expect("prefix");
    let (case, events) = Case::open(reference, complaint, at, "Complaints Team".to_owned(), None, rules, Actor::System);
    store.create(NewCase { case, events, source_key: None, mail: None }).await.expect("create");
}

/// The HTML part of the one deadline digest the team mailbox was sent.
async fn digest_html(service_areas: &[&str]) -> String {
    let config = Arc::new(config());
    let store = Arc::new(MemoryCaseStore::new());
    for area in service_areas {
        open_case(&store, &config, area).await;
    }
    let at = Utc.with_ymd_and_hms(2026, 1, 14, 8, 0, 0).single().expect("instant");
    BreachScan::new(store.clone(), store.clone(), config).run(at).await.expect("scan");
    let mailer = Arc::new(RecordingMailer::new());
    Delivery::new(store, mailer.clone(), Arc::new(ManualClock::new(at))).sweep().await.expect("sweep");
    let sent = mailer.sent();
    let digests: Vec<_> = sent.iter().filter(|m| m.purpose == MessagePurpose::DeadlineDigest).collect();
    assert_eq!(digests.len(), 1, "one digest, to the team mailbox");
    let parsed = mail_parser::MessageParser::default().parse(&digests[0].raw).expect("parses");
    parsed.body_html(0).expect("an HTML part").into_owned()
}

/// This test's digest as the scan wrote it before it used the templates (its own hand-written
/// escape; taken from a run of this test on that code).
const BEFORE: &str = concat!(
    "<!doctype html><html><body><p>Deadlines needing attention on 2026-01-14.</p><table><tr><th>Reference</th>",
    "<th>Stage</th><th>Clock</th><th>Due</th><th>Working days</th><th>Service area</th><th>Alert</th></tr>",
    "<tr><td><a href=\"https://staff.example.org/staff/cases/DIG-2026-00001\">DIG-2026-00001</a></td>",
    "<td>stage 1</td><td>response</td><td>2026-01-16</td><td>2 working days left</td><td>Housing repairs</td>",
    "<td>due soon</td></tr>",
    "<tr><td><a href=\"https://staff.example.org/staff/cases/DIG-2026-00002\">DIG-2026-00002</a></td>",
    "<td>stage 1</td><td>response</td><td>2026-01-16</td><td>2 working days left</td>",
    "<td>&lt;script&gt;alert(&quot;Siobhán &amp; 'co'&quot;)&lt;/script&gt;</td><td>due soon</td></tr>",
    "</table></body></html>",
);

#[tokio::test]
async fn hostile_text_in_a_case_is_escaped_in_the_digest_and_the_rest_is_as_before() {
    let html = digest_html(&["Housing repairs", HOSTILE]).await;
    assert!(!html.contains("<script") && !html.contains("'co'"), "{html}");
    assert!(
        html.contains("<td>&lt;script&gt;alert(&quot;Siobhán &amp; &#x27;co&#x27;&quot;)&lt;&#x2f;script&gt;</td>"),
        "{html}"
    );
    // The engine also escapes `/` and `'`, which the old escape left alone: the same text and
    // the same link to a reader and to a mail client. Apart from those, the digest is unchanged.
    let before_escaped_as_now = BEFORE
        .replace(
            "https://staff.example.org/staff/cases/",
            "https:&#x2f;&#x2f;staff.example.org&#x2f;staff&#x2f;cases&#x2f;",
        )
        .replace("'co'", "&#x27;co&#x27;")
        .replace("&lt;/script", "&lt;&#x2f;script");
    assert_eq!(html, before_escaped_as_now);
}
