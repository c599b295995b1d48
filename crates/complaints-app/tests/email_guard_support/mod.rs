//! Shared set-up of the parser-failure tests (`email_parse_guard.rs`, `email_parser_panic.rs`):
//! email intake over in-memory stores, a recording mailer and held mail, on a fixed Monday.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use complaints_app::email_intake::EmailIntake;
use complaints_app::held_mail::MemoryHeldMail;
use complaints_app::object_store::ObjectStore;
use complaints_app::testing::{MemoryCaseStore, RecordingMailer, intake_service};
use complaints_email::Limits;

pub fn monday() -> DateTime<Utc> {
    "2026-03-02T10:00:00Z".parse().expect("instant")
}

/// Intake and the stores a test looks at afterwards.
pub struct World {
    pub held: Arc<MemoryHeldMail>,
    pub mailer: Arc<RecordingMailer>,
    pub intake: EmailIntake,
}

/// Intake over `objects`, holding robot and rejected mail for `raw_retention_days` (`None`: kept).
pub fn world(objects: Arc<dyn ObjectStore>, raw_retention_days: Option<u32>) -> World {
    let held = Arc::new(MemoryHeldMail::new());
    let mailer = Arc::new(RecordingMailer::new());
    let intake = EmailIntake {
        intake: intake_service(Arc::new(MemoryCaseStore::new()), mailer.clone(), monday()),
        objects,
        limits: Limits::default(),
        reply_token_key: Arc::from(&b"parser-failure-tests-reply-token-key-32"[..]),
        held: held.clone(),
        raw_retention_days,
    };
    World { held, mailer, intake }
}
