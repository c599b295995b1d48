//! The contract every [`HeldMailStore`] meets, run by each store's tests.

use chrono::{DateTime, Utc};

use crate::held_mail::{HeldMail, HeldMailStore, held_mail_id};

/// The contract every [`HeldMailStore`] meets, run by each store's tests.
///
/// # Panics
/// When the store breaks the contract.
pub async fn held_mail_contract(store: &dyn HeldMailStore) {
    let at = |text: &str| text.parse::<DateTime<Utc>>().expect("instant");
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let mail = |n: u32, received: &str, expires: Option<&str>| HeldMail {
        id: held_mail_id(&format!("inbound/{unique}-{n}")),
        received_at: at(received),
        outcome: "robot".to_owned(),
        reason: "auto-submitted".to_owned(),
        raw_key: format!("inbound/{unique}-{n}"),
        message_id: Some(format!("{n}.{unique}@mail.example")),
        from: Some("jo@example.net".to_owned()),
        subject: "Out of office".to_owned(),
        expires_at: expires.map(at),
    };
    let older = mail(1, "2026-03-02T10:00:00Z", Some("2026-04-01T10:00:00Z"));
    let newer = mail(2, "2026-03-03T10:00:00Z", None);
    let expired = mail(3, "2026-03-04T10:00:00Z", Some("2026-03-05T10:00:00Z"));
    for record in [&older, &newer, &expired] {
        store.hold_mail(record).await.expect("hold");
    }
    // A retry of the same message (same id) changes nothing.
    let retry = HeldMail { reason: "changed".to_owned(), ..older.clone() };
    store.hold_mail(&retry).await.expect("hold again");

    let now = at("2026-03-10T00:00:00Z");
    let mine = |list: Vec<HeldMail>| list.into_iter().filter(|r| r.raw_key.contains(&unique)).collect::<Vec<_>>();
    assert_eq!(mine(store.held_mail(now, 1_000).await.expect("list")), [newer.clone(), older.clone()]);
    let later = at("2026-05-01T00:00:00Z");
    assert_eq!(mine(store.held_mail(later, 1_000).await.expect("list")), [newer]);
    assert!(store.held_mail(now, 1).await.expect("limited").len() <= 1);
}
