//! The staff API as `complaints serve` mounts it, through the real binary: a user added to the
//! users file while the server runs can act at once, and a removed one is refused at once.

mod support;

use complaints_app::users::UsersFile;
use complaints_core::roles::Role;
use support::Server;

#[tokio::test(flavor = "multi_thread")]
async fn serve_answers_the_staff_api_for_users_of_the_users_file_as_the_file_changes() {
    let data = tempfile::tempdir().expect("temp dir");
    let server = Server::start(data.path());
    let client = complaints_https::client().expect("client");
    let cases = format!("{}/api/cases", server.url);

    let nobody = client.get(&cases).header("authorization", "Bearer cpt_unknown").send().await.expect("GET");
    assert_eq!(nobody.status(), 401);
    assert_eq!(nobody.headers()["content-type"], "application/problem+json");

    let mut users = UsersFile::load(data.path()).expect("users file");
    let token = users.add("sam", Some("Sam Handler".to_owned()), Role::Handler, None, chrono::Utc::now()).expect("add");
    users.save().expect("saved");

    let complaint = serde_json::json!({"channel": "phone", "name": "Alex Example", "service_area": "Bins and recycling",
        "description": "The bin was not collected.", "note": "Called at 10:05."});
    let logged = client
        .post(&cases)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(complaint.to_string())
        .send()
        .await
        .expect("POST");
    assert_eq!(logged.status(), 201, "the new user is let in without a restart");
    let listed: serde_json::Value = client
        .get(&cases)
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON");
    assert_eq!(listed["cases"].as_array().map(Vec::len), Some(1));

    // mtime granularity: make sure the rewrite is seen as a change.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let mut users = UsersFile::load(data.path()).expect("users file");
    users.remove("sam").expect("removed");
    users.save().expect("saved");
    let removed = client.get(&cases).header("authorization", format!("Bearer {token}")).send().await.expect("GET");
    assert_eq!(removed.status(), 401, "a removed user is refused at their next request");
    drop(server);
}
