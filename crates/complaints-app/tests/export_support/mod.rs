//! Shared set-up of the export tests: three complaints received in 2026-27 Q2 (none answered yet)
//! and the export options they are exported with.

use chrono::{DateTime, TimeZone, Utc};
use complaints_app::ports::{CaseStore, NewCase};
use complaints_app::testing::{MemoryCaseStore, sample_complaint};
use complaints_core::calendar::Calendar;
use complaints_core::case::{Case, Rules};
use complaints_core::complaint::Channel;
use complaints_core::policy::Policy;
use complaints_core::reference::CaseRef;
use complaints_core::timeline::Actor;
use complaints_reports::ExportOptions;

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 10, 0, 0).single().expect("instant")
}

/// Opens three web-form complaints received on 6, 7 and 8 July 2026 and returns the options to
/// export them with.
pub async fn three_complaints_in_q2(store: &MemoryCaseStore) -> ExportOptions {
    let calendar = Calendar::scotland();
    let policy = Policy::default();
    let rules = Rules { calendar: &calendar, policy: &policy };
    for (number, day) in [(1, 6), (2, 7), (3, 8)] {
        let reference = CaseRef::new("CMP", 2026, number).expect("reference");
        let complaint = sample_complaint(Channel::WebForm, Some("someone@example.net"));
        let (case, events) = Case::open(
            reference,
            complaint,
            at(2026, 7, day),
            "Complaints Team".to_owned(),
            None,
            rules,
            Actor::System,
        );
        store.create(NewCase { case, events, source_key: None, mail: None }).await.expect("created");
    }
    ExportOptions {
        organisation: "Example Council".to_owned(),
        calendar_version: calendar.version().as_str().to_owned(),
        software_version: "test".to_owned(),
        population: None,
        learning_register: true,
    }
}
