//! The alert store contract suite against the DynamoDB store on a moto server (`MOTO_URL`, as in
//! `moto.rs`): each contract on its own table, in parallel.

mod support;
use support::{failed_contracts, fresh_table, moto_client};

use std::sync::Arc;

use complaints_app::alert_contract::ALERT_CONTRACTS;
use complaints_store_dynamodb::DynamoDbCaseStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_alert_contract_passes_each_on_its_own_table() {
    let Some(client) = moto_client() else { return };
    let mut running = Vec::new();
    for (name, contract) in ALERT_CONTRACTS {
        let client = client.clone();
        running.push((
            *name,
            tokio::spawn(async move {
                let table = fresh_table(&client, "alerts").await;
                contract(Arc::new(DynamoDbCaseStore::new(client, table))).await;
            }),
        ));
    }
    let failed = failed_contracts(running).await;
    assert!(failed.is_empty(), "alert contracts failed on DynamoDB (their panics are printed above): {failed:?}");
}

/// The whole scan through the DynamoDB store: 40 cases due soon make one digest per recipient for
/// the run (drafts appended across two batches, then swapped for the messages), and the next run
/// of the day reads nothing (the cases are dated past today in `gsi4-alert`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_breach_scan_on_dynamodb_sends_one_digest_per_recipient_and_reads_nothing_again() {
    use complaints_app::alert_store::AlertStore;
    use complaints_app::breach_scan::BreachScan;
    use complaints_app::ports::{CaseStore, NewCase};
    use complaints_app::testing::sample_complaint;
    use complaints_core::case::{Case, Rules};
    use complaints_core::complaint::Channel;
    use complaints_core::config::OrgConfig;
    use complaints_core::reference::CaseRef;
    use complaints_core::timeline::Actor;

    let Some(client) = moto_client() else { return };
    let table = fresh_table(&client, "alerts-scan").await;
    let store = Arc::new(DynamoDbCaseStore::new(client, table));
    let config = Arc::new(
        OrgConfig::from_toml_str(
            "[alerts]\nteam_mailbox = \"team@example.org\"\n[alerts.handlers]\n\"Complaints Team\" = \"handlers@example.org\"\n",
        )
        .expect("config"),
    );
    let calendar = config.calendar();
    let rules = Rules { calendar: &calendar, policy: &config.procedure };
    // Received Mon 12 Jan 2026: stage 1 due Fri 16 Jan; due soon (2) on Wed 14 Jan.
    let received = "2026-01-12T10:00:00Z".parse().expect("instant");
    for _ in 0..40 {
        let complaint = sample_complaint(Channel::WebForm, Some("someone@example.net"));
        let reference = CaseRef::new("DYN", 2026, 0).expect("prefix");
        let (case, events) =
            Case::open(reference, complaint, received, "Complaints Team".to_owned(), None, rules, Actor::System);
        store.create(NewCase { case, events, source_key: None, mail: None }).await.expect("create");
    }
    let scan = BreachScan::new(store.clone(), store.clone(), Arc::clone(&config));
    let morning = scan.run("2026-01-14T08:00:00Z".parse().expect("instant")).await.expect("scan");
    assert_eq!(morning.alerts.len(), 40);
    assert!(morning.batches >= 2, "40 alerts take more than one batch");
    let mut to: Vec<(String, usize)> = morning.digests.iter().map(|d| (d.to.clone(), d.lines.len())).collect();
    to.sort();
    assert_eq!(to, vec![("handlers@example.org".to_owned(), 40), ("team@example.org".to_owned(), 40)]);
    assert!(store.digest_drafts().await.expect("drafts").is_empty(), "every draft was swapped for its digest");
    for digest in &morning.digests {
        let pending = store.message(&digest.message_id).await.expect("read").expect("the digest is pending mail");
        assert_eq!(pending.message.to.len(), 1);
    }

    let afternoon = scan.run("2026-01-14T13:00:00Z".parse().expect("instant")).await.expect("scan");
    assert_eq!((afternoon.cases_read, afternoon.alerts.len(), afternoon.digests.len()), (0, 0, 0));
    let due_today = scan.run("2026-01-16T08:00:00Z".parse().expect("instant")).await.expect("scan");
    assert_eq!((due_today.cases_read, due_today.alerts.len()), (40, 40), "read again when the next level is due");
}
