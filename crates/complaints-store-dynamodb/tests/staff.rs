//! The staff actions contract suite against the DynamoDB store on a moto server (`MOTO_URL`, as
//! in `moto.rs`): every staff action commits its change, timeline and letters in one transaction,
//! and a stale version is refused. Each contract on its own table, in parallel.

mod support;
use support::{failed_contracts, fresh_table, moto_client};

use std::sync::Arc;

use complaints_app::staff_contract::STAFF_CONTRACTS;
use complaints_store_dynamodb::DynamoDbCaseStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_staff_contract_passes_each_on_its_own_table() {
    let Some(client) = moto_client() else { return };
    let mut running = Vec::new();
    for (name, contract) in STAFF_CONTRACTS {
        let client = client.clone();
        running.push((
            *name,
            tokio::spawn(async move {
                let table = fresh_table(&client, "staff").await;
                contract(Arc::new(DynamoDbCaseStore::new(client, table))).await;
            }),
        ));
    }
    let failed = failed_contracts(running).await;
    assert!(failed.is_empty(), "staff contracts failed on DynamoDB (their panics are printed above): {failed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_entries_are_kept_per_case_and_read_back_oldest_first() {
    use chrono::{TimeZone, Utc};
    use complaints_app::staff::{Access, AuditEntry, AuditLog};
    use complaints_core::reference::CaseRef;
    use complaints_core::roles::{Permission, Role};

    let Some(client) = moto_client() else { return };
    let table = fresh_table(&client, "staff").await;
    let store = DynamoDbCaseStore::new(client, table);
    let reference: CaseRef = "CMP-2026-00001".parse().expect("valid reference");
    let other: CaseRef = "CMP-2026-00002".parse().expect("valid reference");
    let entry = |minute, actor: &str, access, reference: &CaseRef| AuditEntry {
        at: Utc.with_ymd_and_hms(2026, 2, 3, 10, minute, 0).single().expect("valid instant"),
        actor: actor.to_owned(),
        role: Role::Manager,
        access,
        permission: Permission::Respond,
        action: "respond".to_owned(),
        reference: Some(reference.clone()),
        contact: None,
    };
    let later = entry(5, "m-2", Access::Change, &reference);
    let earlier = entry(1, "m-1", Access::Refused, &reference);
    for written in [later.clone(), earlier.clone(), entry(2, "m-3", Access::Read, &other)] {
        store.record(written).await.expect("recorded");
    }
    assert_eq!(store.audit_entries(&reference).await.expect("read back"), vec![earlier, later]);
}
