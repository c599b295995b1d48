//! `AuditLog::entries_for` on the DynamoDB store through the trait (as the staff workspace's case
//! page calls it), on a moto server (`MOTO_URL`): a case's entries oldest first, nobody else's.

use std::sync::Arc;

use aws_sdk_dynamodb::Client;
use chrono::{TimeZone, Utc};
use complaints_app::staff::{Access, AuditEntry, AuditLog};
use complaints_core::reference::CaseRef;
use complaints_core::roles::{Permission, Role};
use complaints_store_dynamodb::{DynamoDbCaseStore, create_table};

/// A client for the moto server, or `None` when none was started (a failure under CI).
fn moto_client() -> Option<Client> {
    Some(Client::new(&complaints_testkit::moto_sdk_config()?))
}

fn entry(minute: u32, actor: &str, reference: Option<&CaseRef>) -> AuditEntry {
    AuditEntry {
        at: Utc.with_ymd_and_hms(2026, 2, 3, 10, minute, 0).single().expect("valid instant"),
        actor: actor.to_owned(),
        role: Role::Handler,
        access: Access::Read,
        permission: Permission::ViewCase,
        action: "view-case".to_owned(),
        reference: reference.cloned(),
        contact: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_case_page_reads_who_viewed_a_case_through_the_audit_log_trait() {
    let Some(client) = moto_client() else { return };
    let table = format!("audit-{}", uuid::Uuid::new_v4().simple());
    create_table(&client, &table).await.expect("create the table");
    let log: Arc<dyn AuditLog> = Arc::new(DynamoDbCaseStore::new(client, table));
    let viewed: CaseRef = "CMP-2026-00011".parse().expect("valid reference");
    let other: CaseRef = "CMP-2026-00012".parse().expect("valid reference");
    let never: CaseRef = "CMP-2026-00013".parse().expect("valid reference");
    let second = entry(9, "h-2", Some(&viewed));
    let first = entry(4, "h-1", Some(&viewed));
    for written in [second.clone(), entry(5, "h-3", Some(&other)), entry(6, "h-4", None), first.clone()] {
        log.record(written).await.expect("recorded");
    }
    assert_eq!(log.entries_for(&viewed).await.expect("read back"), vec![first, second]);
    assert_eq!(log.entries_for(&other).await.expect("read back").len(), 1);
    assert!(log.entries_for(&never).await.expect("read back").is_empty(), "a case nobody opened has none");
}
