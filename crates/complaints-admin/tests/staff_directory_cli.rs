//! `complaints-admin staff-directory` run as a process against a moto server (`MOTO_URL`): it
//! creates the SSM parameter from a CSV, a dry run shows the changes of another CSV and writes
//! nothing, the real run writes them in the form the breach scan reads, a users file is a source
//! too, and a bad row is refused before anything is written.

use std::process::Output;

mod common;
use common::admin;

use aws_sdk_ssm::Client;
use complaints_app::staff_directory::{DirectoryMap, StaffDirectory};
use complaints_app::users::UsersFile;
use complaints_core::complaint::EmailAddress;
use complaints_core::roles::Role;

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).expect("utf-8")
}

async fn stored(ssm: &Client, name: &str) -> Option<String> {
    match ssm.get_parameter().name(name).send().await {
        Ok(output) => output.parameter.and_then(|p| p.value),
        Err(error) if error.as_service_error().is_some_and(|e| e.is_parameter_not_found()) => None,
        Err(error) => panic!("get_parameter: {error:?}"),
    }
}

fn address_in(text: &str, handler: &str) -> Option<String> {
    DirectoryMap::from_json(text).expect("a staff directory").address_of(handler).map(|a| a.as_str().to_owned())
}

#[tokio::test]
async fn the_staff_directory_is_written_from_a_csv_after_a_dry_run_that_shows_the_changes() {
    let Some(url) = complaints_testkit::moto_url() else { return };
    let ssm = Client::new(&complaints_testkit::sdk_config_at(&url));
    let name = format!("/complaints/test/staff-directory-{}", uuid::Uuid::new_v4().simple());
    // Also wakes moto's SSM backend, whose first request can outlast the command's 8 s timeout.
    assert_eq!(stored(&ssm, &name).await, None, "a fresh parameter name");
    let dir = tempfile::tempdir().expect("dir");
    let first = dir.path().join("first.csv");
    std::fs::write(&first, "handler,email,full_name\nalex,alex@example.org,\nsam,sam.old@example.org,Sam Smith\n")
        .expect("csv");

    let created =
        stdout(&admin(&url, &["staff-directory", "--parameter", &name, "--csv", first.to_str().expect("path")]));
    assert!(created.contains("+ alex: alex@example.org\n"), "{created}");
    assert!(created.contains("3 added, 0 removed, 0 changed, 0 unchanged"), "{created}");
    let text = stored(&ssm, &name).await.expect("the parameter exists");
    assert_eq!(address_in(&text, "Sam Smith").as_deref(), Some("sam.old@example.org"));

    // A second CSV: sam moved, kim joined, alex left.
    let second = dir.path().join("second.csv");
    std::fs::write(&second, "handler,email,full_name\nsam,sam@example.org,Sam Smith\nkim,kim@example.org,\n")
        .expect("csv");
    let path = second.to_str().expect("path");
    let dry = stdout(&admin(&url, &["staff-directory", "--parameter", &name, "--csv", path, "--dry-run"]));
    assert_eq!(
        dry,
        format!(
            "~ Sam Smith: sam.old@example.org -> sam@example.org\n- alex: alex@example.org\n+ kim: kim@example.org\n~ sam: sam.old@example.org -> sam@example.org\n1 added, 1 removed, 2 changed, 0 unchanged; dry run: {name} not written\n"
        )
    );
    assert_eq!(stored(&ssm, &name).await.as_deref(), Some(text.as_str()), "a dry run writes nothing");

    let written = stdout(&admin(&url, &["staff-directory", "--parameter", &name, "--csv", path]));
    assert!(written.contains(&format!("{name} written")), "{written}");
    let text = stored(&ssm, &name).await.expect("the parameter");
    assert_eq!(address_in(&text, "sam").as_deref(), Some("sam@example.org"));
    assert_eq!(address_in(&text, "kim").as_deref(), Some("kim@example.org"));
    assert_eq!(address_in(&text, "alex"), None);

    let again = stdout(&admin(&url, &["staff-directory", "--parameter", &name, "--csv", path]));
    assert!(
        again.ends_with(&format!("0 added, 0 removed, 0 changed, 3 unchanged; {name} already up to date\n")),
        "{again}"
    );

    // A bad row is refused before anything is written.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "handler,email\nsam,sam@example.org\nkim,kim at example.org\n").expect("csv");
    let refused = admin(&url, &["staff-directory", "--parameter", &name, "--csv", bad.to_str().expect("path")]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("CSV row 3"));
    assert_eq!(stored(&ssm, &name).await.as_deref(), Some(text.as_str()));
}

#[tokio::test]
async fn the_staff_directory_is_written_from_a_users_file_under_user_names_and_full_names() {
    let Some(url) = complaints_testkit::moto_url() else { return };
    let ssm = Client::new(&complaints_testkit::sdk_config_at(&url));
    let name = format!("/complaints/test/staff-directory-{}", uuid::Uuid::new_v4().simple());
    // Also wakes moto's SSM backend, whose first request can outlast the command's 8 s timeout.
    assert_eq!(stored(&ssm, &name).await, None, "a fresh parameter name");
    let dir = tempfile::tempdir().expect("dir");
    let now = chrono::Utc::now();
    UsersFile::update(dir.path(), |users| {
        let address = |a: &str| Some(EmailAddress::parse(a).expect("address"));
        users.add("alex", Some("Alex Reid".to_owned()), Role::Handler, address("alex@example.org"), now)?;
        users.add("noaddress", None, Role::Handler, None, now)?;
        Ok::<_, complaints_app::users::UsersError>(())
    })
    .expect("users file");

    let users_file = UsersFile::path_in(dir.path());
    let out =
        stdout(&admin(&url, &["staff-directory", "--parameter", &name, "--users", users_file.to_str().expect("path")]));
    assert!(out.contains("2 added, 0 removed, 0 changed, 0 unchanged"), "{out}");
    let text = stored(&ssm, &name).await.expect("the parameter");
    assert_eq!(address_in(&text, "alex").as_deref(), Some("alex@example.org"));
    assert_eq!(address_in(&text, "Alex Reid").as_deref(), Some("alex@example.org"));
    assert_eq!(address_in(&text, "noaddress"), None);

    // The data directory names the same file.
    let same = stdout(&admin(
        &url,
        &["staff-directory", "--parameter", &name, "--users", dir.path().to_str().expect("path"), "--dry-run"],
    ));
    assert!(same.starts_with("0 added, 0 removed, 0 changed, 2 unchanged"), "{same}");
}
