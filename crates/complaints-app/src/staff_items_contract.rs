//! The [`StaffItemStore`] contract (feature `contract-tests`): memory, SQLite and DynamoDB each run
//! it, so "kept for staff, listed until dealt with, never twice" means the same on every store.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::staff_items::{ItemWrite, StaffItem, StaffItemKind, StaffItemStore};

fn at(minute: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).single().unwrap_or_default() + Duration::minutes(minute)
}

fn item(id: &str, kind: StaffItemKind, minute: i64) -> StaffItem {
    StaffItem {
        id: id.to_owned(),
        kind,
        source: "meta".to_owned(),
        reason: "unknown messaging item".to_owned(),
        object_key: format!("social/raw/meta/2026/11/25/{id}.json"),
        case_ref: (kind == StaffItemKind::AttachmentFailed).then(|| "EXC-2026-00001".to_owned()),
        received_at: at(minute),
        resolved_at: None,
        resolved_by: None,
    }
}

/// Runs every check of the contract on `store` (which must hold no staff items yet).
///
/// # Panics
/// When the store breaks the contract.
pub async fn staff_items_contract(store: Arc<dyn StaffItemStore>) {
    assert!(store.open_staff_items(10).await.expect("list").is_empty(), "a fresh store has no items");

    let first = item("a1", StaffItemKind::Quarantine, 0);
    let second = item("b2", StaffItemKind::Triage, 5);
    let third = item("c3", StaffItemKind::AttachmentFailed, 10);
    for written in [&first, &second, &third] {
        assert_eq!(store.record_staff_item(written).await.expect("write"), ItemWrite::Written);
    }
    let changed = StaffItem { reason: "something else".to_owned(), ..first.clone() };
    assert_eq!(store.record_staff_item(&changed).await.expect("repeat"), ItemWrite::AlreadyThere);

    let open = store.open_staff_items(10).await.expect("list");
    assert_eq!(open, vec![third.clone(), second.clone(), first.clone()], "newest first, each once, as written");
    assert_eq!(store.open_staff_items(2).await.expect("list").len(), 2, "the limit holds");

    assert_eq!(store.staff_item("c3").await.expect("read"), Some(third.clone()), "one item read by its id");
    assert_eq!(store.staff_item("nope").await.expect("read"), None, "no such item");

    assert!(store.resolve_staff_item("b2", "u-manager", at(20)).await.expect("resolve"));
    let dealt = store.staff_item("b2").await.expect("read").expect("still kept");
    assert_eq!(
        (dealt.resolved_at, dealt.resolved_by.as_deref()),
        (Some(at(20)), Some("u-manager")),
        "a dealt-with item is still read, with who dealt with it and when"
    );
    assert!(!store.resolve_staff_item("b2", "u-manager", at(21)).await.expect("again"), "already dealt with");
    assert!(!store.resolve_staff_item("nope", "u-manager", at(21)).await.expect("unknown"), "no such item");
    let open = store.open_staff_items(10).await.expect("list");
    assert_eq!(
        open.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
        ["c3", "a1"],
        "a dealt-with item leaves the list"
    );
    assert_eq!(
        store.record_staff_item(&second).await.expect("rewrite"),
        ItemWrite::AlreadyThere,
        "a resolved item is not reopened by a repeat"
    );
}
