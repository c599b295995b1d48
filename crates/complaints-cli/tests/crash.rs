//! The durable outbound path under a real crash: `complaints serve` is killed with SIGKILL after
//! the case and its acknowledgement were committed but before the acknowledgement could be
//! delivered, and again in the middle of a burst of submissions. After a restart every
//! acknowledgement owed goes out exactly once.

mod support;

use std::path::Path;
use std::sync::Arc;

use complaints_app::ports::CaseStore;
use complaints_core::case::CaseEvent;
use complaints_store_sqlite::SqliteCaseStore;
use support::{Server, mail_files, submit_form};

/// Every case in the store with the Message-IDs its timeline says were queued and sent.
async fn queued_and_sent(data_dir: &Path) -> Vec<(String, Vec<String>, Vec<String>)> {
    let store = SqliteCaseStore::open(data_dir.join("complaints.sqlite3")).expect("store opens");
    let from = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).expect("date");
    let to = chrono::NaiveDate::from_ymd_opt(2100, 1, 1).expect("date");
    let mut found = Vec::new();
    for stored in store.received_between(from, to).await.expect("cases") {
        let reference = stored.case.reference().clone();
        let timeline = store.timeline(&reference).await.expect("timeline");
        let ids = |pick: fn(&CaseEvent) -> Option<&String>| -> Vec<String> {
            timeline.iter().filter_map(|e| pick(&e.what)).cloned().collect()
        };
        let queued = ids(|e| match e {
            CaseEvent::MessageQueued { message_id, .. } => Some(message_id),
            _ => None,
        });
        let sent = ids(|e| match e {
            CaseEvent::MessageSent { message_id, .. } => Some(message_id),
            _ => None,
        });
        found.push((reference.to_string(), queued, sent));
    }
    found
}

/// The cases stored so far, reading the file while the server may be writing it.
async fn queued_and_sent_or_empty(database: &Path) -> Vec<String> {
    let Ok(store) = SqliteCaseStore::open(database) else { return Vec::new() };
    let from = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).expect("date");
    let to = chrono::NaiveDate::from_ymd_opt(2100, 1, 1).expect("date");
    store
        .received_between(from, to)
        .await
        .map(|cases| cases.iter().map(|c| c.case.reference().to_string()).collect())
        .unwrap_or_default()
}

/// Waits until `check` holds, for up to `seconds`.
async fn eventually(seconds: u64, mut check: impl AsyncFnMut() -> bool) -> bool {
    for _ in 0..seconds * 10 {
        if check().await {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

fn kill_9(mut server: Server) {
    let pid = server.child.id().to_string();
    let killed = std::process::Command::new("kill").args(["-KILL", &pid]).status().expect("kill runs");
    assert!(killed.success());
    let _ = server.child.wait();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_acknowledgement_committed_but_not_delivered_before_a_kill_goes_out_exactly_once_after_restart() {
    let data = tempfile::tempdir().expect("temp dir");
    let client = complaints_https::client_builder()
        .expect("builder")
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let server = Server::start(data.path());

    // The mail folder becomes unwritable: the case and its pending acknowledgement commit, the
    // delivery attempt fails, and the message waits in the store.
    let mail = data.path().join("mail");
    std::fs::remove_dir_all(&mail).expect("remove the mail folder");
    std::fs::write(&mail, b"not a folder").expect("block the mail folder");
    let reference = submit_form(&client, &server.url, "Jo Bloggs", "jo@example.org").await;
    kill_9(server);

    let before = queued_and_sent(data.path()).await;
    assert_eq!(before.len(), 1);
    assert_eq!(before[0].0, reference);
    assert_eq!(before[0].1.len(), 1, "the acknowledgement was committed with the case");
    assert!(before[0].2.is_empty(), "and not delivered before the kill");

    std::fs::remove_file(&mail).expect("unblock");
    let server = Server::start(data.path());
    // The failed attempt set the first retry 30 seconds on; the restarted server's sweep (at
    // start, then every 15 seconds) sends it then.
    assert!(eventually(60, async || mail_files(data.path()).len() == 1).await, "delivered after the restart");
    // Well past another delivery tick: still one message.
    tokio::time::sleep(std::time::Duration::from_secs(16)).await;
    assert_eq!(mail_files(data.path()).len(), 1, "exactly once");
    let after = queued_and_sent(data.path()).await;
    assert_eq!(after[0].1, after[0].2, "the queued message is recorded as sent, once");
    assert!(mail_files(data.path())[0].contains(&reference.to_lowercase()));
    assert!(server.stop().success());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_kill_in_the_middle_of_a_burst_loses_no_acknowledgement_and_sends_none_twice() {
    let data = tempfile::tempdir().expect("temp dir");
    // Every post comes from 127.0.0.1, so the per-client submission limit is turned off here.
    let config = data.path().join("no-rate-limit.toml");
    std::fs::write(&config, "[intake]\nrate_limit_submissions = 0\n").expect("config");
    let server = Server::start_with(data.path(), &[std::ffi::OsStr::new("--config"), config.as_os_str()]);
    let url = Arc::new(server.url.clone());
    let client = complaints_https::client_builder()
        .expect("builder")
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let mut tasks = Vec::new();
    for n in 0..40 {
        let (client, url) = (client.clone(), Arc::clone(&url));
        tasks.push(tokio::spawn(async move {
            let email = format!("burst{n}@example.org");
            // Requests cut off by the kill fail; that is the point.
            tokio::time::timeout(std::time::Duration::from_secs(5), async {
                let form = client.get(format!("{url}/")).send().await.ok()?.text().await.ok()?;
                let token = support::token_in(&form);
                let body = support::serde_urlencoded_body(&[
                    ("token", token.as_str()),
                    ("name", "Burst Tester"),
                    ("email", email.as_str()),
                    ("service_area", "Roads, parking and transport"),
                    ("description", "A complaint sent in a burst."),
                    ("on_behalf", "no"),
                ]);
                client
                    .post(format!("{url}/"))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body)
                    .send()
                    .await
                    .ok()
            })
            .await
        }));
    }
    // Kill once the burst is under way: some complaints stored, others still arriving.
    let database = data.path().join("complaints.sqlite3");
    let under_way = eventually(20, async || !queued_and_sent_or_empty(&database).await.is_empty()).await;
    assert!(under_way, "no complaint was stored within 20 seconds");
    kill_9(server);
    for task in tasks {
        let _ = task.await;
    }

    let server = Server::start_with(data.path(), &[std::ffi::OsStr::new("--config"), config.as_os_str()]);
    // A message whose delivery the kill interrupted is held by its claim for a minute (the lease),
    // then the next sweep (every 15 seconds) takes it.
    let settled = eventually(100, async || {
        let cases = queued_and_sent(data.path()).await;
        let owed: usize = cases.iter().map(|(_, queued, _)| queued.len()).sum();
        owed == mail_files(data.path()).len() && cases.iter().all(|(_, queued, sent)| queued == sent)
    })
    .await;
    let cases = queued_and_sent(data.path()).await;
    assert!(settled, "every acknowledgement owed was delivered: {cases:?} vs {:?}", mail_files(data.path()));
    assert!(!cases.is_empty(), "some complaints were taken before the kill");
    for (reference, queued, sent) in &cases {
        assert_eq!(queued.len(), 1, "{reference}: one acknowledgement queued");
        assert_eq!(sent, queued, "{reference}: sent once");
    }
    let files = mail_files(data.path());
    let mut ids: Vec<&String> = cases.iter().flat_map(|(_, queued, _)| queued).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(files.len(), ids.len(), "one file per message, none twice");
    assert!(server.stop().success());
}
