//! Forms sent twice and forms that say too much, through the router on the memory store: a
//! second "Confirm" (double click, "resubmit form?", a retry after a lost response) is answered
//! "already done" and does nothing twice; staff free text has a length limit naming the field;
//! a preview is a view of the case; the success banner comes from the case, not the address;
//! the stylesheet may be cached; the flagged register counts what is waiting.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use axum::http::{StatusCode, header};
use common::{CSRF, World, get, phone_form, post};
use complaints_app::ports::CaseStore;
use complaints_core::case::Status;
use complaints_core::roles::Role;

const RESPONSE: &str = "We collected your bin on Wednesday and apologise.";

fn respond_form<'a>(version: &'a str, step: &'a str, note: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![("csrf", CSRF), ("version", version), ("step", step), ("outcome", "resolved"), ("note", note)]
}

#[tokio::test]
async fn confirming_the_log_form_twice_logs_one_case_and_sends_one_acknowledgement() {
    let world = World::new();
    let app = world.app(Role::Handler);
    let area = world.staff.config.service_areas[0].clone();
    let mut form = phone_form(&area);
    let check = post(app.clone(), "/staff/cases/new", &form).await;
    assert_eq!(check.status, StatusCode::OK, "{}", check.body);
    let key = check.hidden("submission");
    assert_eq!(key.len(), 64, "a random key on the check page");
    form.extend([("step", "confirm"), ("submission", key.as_str())]);

    let first = post(app.clone(), "/staff/cases/new", &form).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);
    let again = post(app.clone(), "/staff/cases/new", &form).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    assert_eq!(world.store.all_cases().len(), 1, "one case");
    let case_path = first.location().split('?').next().expect("path").to_owned();
    assert_eq!(again.location(), format!("{case_path}?done=log&again=yes"), "the repeat opens the same case");
    let acknowledgements = world.mailer.sent().len();
    assert_eq!(acknowledgements, 1, "one acknowledgement");
    let page = get(app.clone(), &again.location()).await;
    assert!(page.body.contains("This complaint was already logged"), "{}", page.body);

    // A new check page is a new submission: a second, different complaint is logged.
    let other = post(app.clone(), "/staff/cases/new", &form[..7]).await;
    let mut second = form[..7].to_vec();
    let other_key = other.hidden("submission");
    assert_ne!(other_key, key);
    second.extend([("step", "confirm"), ("submission", other_key.as_str())]);
    assert_eq!(post(app, "/staff/cases/new", &second).await.status, StatusCode::SEE_OTHER);
    assert_eq!(world.store.all_cases().len(), 2);
}

#[tokio::test]
async fn retrying_an_actions_confirm_after_it_was_done_says_already_done_not_someone_else_changed_it() {
    let world = World::new();
    let reference = world.log().await;
    let version = world.version(&reference).await.to_string();
    let app = world.app(Role::Handler);
    let uri = format!("/staff/cases/{reference}/actions/respond");
    let preview = post(app.clone(), &uri, &respond_form(&version, "preview", RESPONSE)).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    let key = preview.hidden("submission");
    let mut confirm = respond_form(&version, "confirm", RESPONSE);
    confirm.push(("submission", &key));

    let first = post(app.clone(), &uri, &confirm).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);
    let after = world.version(&reference).await;
    // The response was lost; the officer sends the same confirm again.
    let retry = post(app.clone(), &uri, &confirm).await;
    assert_eq!(retry.status, StatusCode::SEE_OTHER, "not 409: {}", retry.body);
    assert_eq!(retry.location(), format!("/staff/cases/{reference}?done={key}&again=yes"));
    assert_eq!(world.version(&reference).await, after, "nothing done twice");
    assert_eq!(world.sent_containing(RESPONSE), 1, "one stage 1 response letter");
    assert_eq!(world.store.get(&reference).await.expect("case").case.status(), Status::Stage1Closed);

    let page = get(app.clone(), &retry.location()).await;
    assert!(
        page.body
            .contains("This was already done: “Record the stage 1 response” was saved when you first confirmed it"),
        "{}",
        page.body
    );
    assert!(page.body.contains("1 letter was sent then."), "{}", page.body);
    assert!(page.body.contains("Stage 1 response"), "the letters are listed");

    // Someone else's change is still a conflict: a confirm without the key, at the old version.
    let stale = post(app, &uri, &respond_form(&version, "confirm", RESPONSE)).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(stale.body.contains("Someone else changed this case"));
}

#[tokio::test]
async fn the_success_banner_comes_from_the_case_and_a_made_up_address_shows_none() {
    let world = World::new();
    let reference = world.log().await;
    // handler-1 logged the case; manager-1 looks at addresses claiming things were done.
    let app = world.app(Role::Manager);
    for made_up in ["?done=respond&letters=99", "?done=0123456789abcdef&letters=99", "?done=log"] {
        let page = get(app.clone(), &format!("/staff/cases/{reference}{made_up}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.body.contains("99 letters") && !page.body.contains(": done."), "{made_up}: {}", page.body);
        assert!(!page.body.contains("The complaint was logged"), "{made_up}: manager-1 did not log it");
    }
    let mine = get(world.app(Role::Handler), &format!("/staff/cases/{reference}?done=log")).await;
    assert!(mine.body.contains("The complaint was logged."), "handler-1 did, just now: {}", mine.body);
}

#[tokio::test]
async fn a_response_longer_than_ten_thousand_characters_is_refused_naming_the_field() {
    let world = World::new();
    let reference = world.log().await;
    let version = world.version(&reference).await.to_string();
    let app = world.app(Role::Handler);
    let uri = format!("/staff/cases/{reference}/actions/respond");
    let long = "x".repeat(10_001);
    for step in ["preview", "confirm"] {
        let reply = post(app.clone(), &uri, &respond_form(&version, step, &long)).await;
        assert_eq!(reply.status.as_u16() / 100, 4, "{step}: {}", reply.status);
        assert!(
            reply.body.contains("The response: must be at most 10,000 characters (it has 10,001)"),
            "{step}: {}",
            &reply.body[..reply.body.len().min(4000)]
        );
        assert!(reply.body.contains(r##"href="#note""##), "the error summary points at the box");
    }
    assert_eq!(world.version(&reference).await.to_string(), version, "nothing saved");
    assert_eq!(world.sent_containing(&long), 0, "nothing sent");
    let fits = post(app, &uri, &respond_form(&version, "confirm", &"x".repeat(10_000))).await;
    assert_eq!(fits.status, StatusCode::SEE_OTHER, "10,000 is allowed");
}

#[tokio::test]
async fn previewing_an_action_is_recorded_as_a_view_of_the_case() {
    let world = World::new();
    let reference = world.log().await;
    let version = world.version(&reference).await.to_string();
    let app = world.app(Role::Handler);
    let before = world.views_of(&reference);
    let uri = format!("/staff/cases/{reference}/actions/respond");
    let preview = post(app, &uri, &respond_form(&version, "preview", RESPONSE)).await;
    assert_eq!(preview.status, StatusCode::OK);
    assert!(preview.body.contains("morag@example.net"), "the preview shows the contact details");
    assert_eq!(world.views_of(&reference), before + 1, "and is audited as a view");
}

#[tokio::test]
async fn the_stylesheet_may_be_cached_but_pages_are_not() {
    let world = World::new();
    let css = get(world.app(Role::Handler), "/staff/assets/staff.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.headers.get(header::CACHE_CONTROL).expect("cache-control"), "public, max-age=3600");
    let page = get(world.app(Role::Handler), "/staff/").await;
    assert_eq!(page.headers.get(header::CACHE_CONTROL).expect("cache-control"), "no-store");
}

#[tokio::test]
async fn the_flagged_register_counts_what_is_not_dealt_with_yet() {
    let world = World::new();
    let page = get(world.app(Role::Handler), "/staff/flagged").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Not dealt with yet (0)"), "{}", page.body);
}
