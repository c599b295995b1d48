//! The case pages through the router (`tower::ServiceExt::oneshot`) on the memory store, with a
//! fixed member of staff signed in: each page, the action flow (form → preview → confirm), and
//! what is refused (a stale version, a missing CSRF token, another role's action, a rule).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use axum::http::{StatusCode, header};
use common::{CSRF, World, get, phone_form, post};
use complaints_app::ports::CaseStore;
use complaints_app::staff::LogComplaint;
use complaints_core::case::Status;
use complaints_core::reference::CaseRef;
use complaints_core::roles::Role;

/// Logs [`World::phoned`] with `name` and `description`.
async fn log(world: &World, name: &str, description: &str) -> CaseRef {
    let complaint = LogComplaint { name: Some(name.to_owned()), description: description.to_owned(), ..world.phoned() };
    world.log_complaint(complaint).await
}

fn respond_form<'a>(version: &'a str, step: &'a str, csrf: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("version", version),
        ("step", step),
        ("outcome", "resolved"),
        ("note", "We collected your bin on Wednesday and apologise."),
    ]
}

#[tokio::test]
async fn nobody_signed_in_is_sent_to_the_sign_in_page() {
    let world = World::new();
    let reply = get(world.app_as(None), "/staff/").await;
    assert!(reply.status.is_redirection(), "{}", reply.status);
    assert_eq!(reply.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()), Some("/staff/sign-in"));
}

#[tokio::test]
async fn the_dashboard_counts_what_is_due_and_is_never_cached() {
    let world = World::new();
    let reference = world.log().await;
    let reply = get(world.app(Role::Handler), "/staff/").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.headers.get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()), Some("no-store"));
    assert!(reply.body.contains("The team&#x27;s cases") || reply.body.contains("The team's cases"), "{}", reply.body);
    assert!(reply.body.contains(&reference.to_string()), "the new case is listed");
    assert!(reply.body.contains("1 open case."), "{}", reply.body);
}

#[tokio::test]
async fn the_case_list_filters_by_status_in_the_url_and_searches_names_by_post() {
    let world = World::new();
    let reference = world.log().await;
    let app = world.app(Role::Handler);
    let open = get(app.clone(), "/staff/cases?status=stage1-open").await;
    assert_eq!(open.status, StatusCode::OK);
    assert!(open.body.contains(&reference.to_string()));
    let closed = get(app.clone(), "/staff/cases?status=stage2-closed").await;
    assert!(!closed.body.contains(&reference.to_string()));
    assert!(closed.body.contains("No cases match."));
    let bad = get(app.clone(), "/staff/cases?status=nonsense").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("There is a problem"));

    let found = post(app.clone(), "/staff/cases", &[("csrf", CSRF), ("q", "morag")]).await;
    assert_eq!(found.status, StatusCode::OK);
    assert!(found.body.contains(&reference.to_string()), "{}", found.body);
    let none = post(app.clone(), "/staff/cases", &[("csrf", CSRF), ("q", "someone else")]).await;
    assert!(!none.body.contains(&reference.to_string()));
    let forged = post(app, "/staff/cases", &[("q", "morag")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(!forged.body.contains(&reference.to_string()));
}

#[tokio::test]
async fn a_search_finds_cases_by_every_word_of_a_name_or_by_the_whole_email_address_and_keeps_both_out_of_the_url() {
    let world = World::new();
    let morag = world.log().await;
    let other = log(&world, "Morag Stewart", "The bin was missed again.").await;
    let app = world.app(Role::Handler);

    let both = post(app.clone(), "/staff/cases", &[("csrf", CSRF), ("q", "MORAG")]).await;
    assert!(both.body.contains(&morag.to_string()) && both.body.contains(&other.to_string()), "{}", both.body);
    let one = post(app.clone(), "/staff/cases", &[("csrf", CSRF), ("q", "campbell, morag")]).await;
    assert!(one.body.contains(&morag.to_string()), "every word, any order and case");
    assert!(!one.body.contains(&other.to_string()), "a case without every word is left out");
    let part = post(app.clone(), "/staff/cases", &[("csrf", CSRF), ("q", "pbell")]).await;
    assert!(!part.body.contains(&morag.to_string()), "the start of a word, not its middle");

    let by_email = post(app.clone(), "/staff/cases", &[("csrf", CSRF), ("q", " Morag@Example.NET ")]).await;
    assert_eq!(by_email.status, StatusCode::OK);
    assert!(by_email.body.contains(&morag.to_string()) && by_email.body.contains(&other.to_string()));
    let unknown = post(app.clone(), "/staff/cases", &[("csrf", CSRF), ("q", "nobody@example.net")]).await;
    assert!(!unknown.body.contains(&morag.to_string()));

    // Closed or open, any age: the status filter narrows what the index found.
    let open_only =
        post(app.clone(), "/staff/cases", &[("csrf", CSRF), ("q", "morag"), ("status", "stage2-closed")]).await;
    assert!(!open_only.body.contains(&morag.to_string()));

    let initial = post(app.clone(), "/staff/cases", &[("csrf", CSRF), ("q", "M.")]).await;
    assert_eq!(initial.status, StatusCode::BAD_REQUEST, "a single letter is not searched for");
    // The results page links to cases by reference only.
    for reply in [&both, &by_email] {
        assert!(!reply.body.contains("href=\"/staff/cases?q="), "no search words in a link");
        assert!(!reply.body.contains("morag%40") && !reply.body.contains("q=morag"), "no search words in a link");
    }
}

#[tokio::test]
async fn the_case_page_shows_the_clocks_records_the_view_and_lists_it_without_a_new_version() {
    let world = World::new();
    let reference = world.log().await;
    let version = world.version(&reference).await;
    let app = world.app(Role::Handler);
    let uri = format!("/staff/cases/{reference}");
    let first = get(app.clone(), &uri).await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(first.body.contains("Stage 1 response"), "{}", first.body);
    assert!(first.body.contains("working days left"), "{}", first.body);
    assert!(first.body.contains("Record the stage 1 response"), "a handler may respond");
    let views = world.views_of(&reference);
    assert_eq!(views, 1);
    assert_eq!(world.version(&reference).await, version, "a view does not change the case");
    let second = get(app, &uri).await;
    assert!(second.body.contains("Viewed by handler-1 (you)"), "{}", second.body);
    assert_eq!(get(world.app(Role::Handler), "/staff/cases/CMP-2026-99999").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn complaint_text_is_escaped_on_the_case_page_and_in_the_list() {
    let world = World::new();
    let reference = log(&world, "<b>Morag</b>", "<script>alert('x')</script> and more").await;
    let page = get(world.app(Role::Handler), &format!("/staff/cases/{reference}")).await;
    assert!(!page.body.contains("<script>alert"), "{}", page.body);
    assert!(page.body.contains("&lt;script&gt;"));
    assert!(!page.body.contains("<b>Morag</b>"));
}

#[tokio::test]
async fn responding_previews_the_letter_then_confirms_and_goes_back_to_the_case() {
    let world = World::new();
    let reference = world.log().await;
    let version = world.version(&reference).await.to_string();
    let app = world.app(Role::Handler);
    let uri = format!("/staff/cases/{reference}/actions/respond");
    let form = get(app.clone(), &uri).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains(&format!(r#"name="version" value="{version}""#)), "{}", form.body);
    assert!(form.body.contains(&format!(r#"name="csrf" value="{CSRF}""#)));

    let sent_before = world.mailer.sent().len();
    let preview = post(app.clone(), &uri, &respond_form(&version, "preview", CSRF)).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert!(preview.body.contains("Check before you confirm"));
    assert!(
        preview.body.contains("We collected your bin on Wednesday and apologise."),
        "the letter shows the response"
    );
    assert!(preview.body.contains("Confirm and send"));
    assert_eq!(world.version(&reference).await.to_string(), version, "a preview changes nothing");
    assert_eq!(world.mailer.sent().len(), sent_before, "a preview sends nothing");

    // The confirm carries the preview's submission key; the banner is found by it.
    let marker = r#"name="submission" value=""#;
    let start = preview.body.find(marker).expect("a submission key") + marker.len();
    let key = preview.body[start..].split('"').next().expect("key").to_owned();
    let mut confirm = respond_form(&version, "confirm", CSRF);
    confirm.push(("submission", &key));
    let done = post(app.clone(), &uri, &confirm).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let location = done.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).expect("location");
    assert_eq!(location, format!("/staff/cases/{reference}?done={key}"));
    assert_eq!(world.store.get(&reference).await.expect("case").case.status(), Status::Stage1Closed);
    assert!(world.mailer.sent_texts().iter().any(|text| text.contains("We collected your bin on Wednesday")));
    let page = get(app, location).await;
    assert!(page.body.contains("Record the stage 1 response: done. 1 letter was sent."), "{}", page.body);
    assert!(page.body.contains("Stage 1 response"));
}

#[tokio::test]
async fn a_change_made_since_the_form_was_opened_is_refused_as_someone_elses() {
    let world = World::new();
    let reference = world.log().await;
    let stale = world.version(&reference).await.saturating_sub(1).to_string();
    let uri = format!("/staff/cases/{reference}/actions/respond");
    let reply = post(world.app(Role::Handler), &uri, &respond_form(&stale, "confirm", CSRF)).await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert!(reply.body.contains("Someone else changed this case"));
    assert_eq!(world.store.get(&reference).await.expect("case").case.status(), Status::Stage1Open);
}

#[tokio::test]
async fn a_form_without_the_sessions_csrf_token_changes_nothing() {
    let world = World::new();
    let reference = world.log().await;
    let version = world.version(&reference).await.to_string();
    let uri = format!("/staff/cases/{reference}/actions/respond");
    for token in ["", "csrf-token-for-tests-0123456788"] {
        let reply = post(world.app(Role::Handler), &uri, &respond_form(&version, "confirm", token)).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{token:?}");
        assert!(reply.body.contains("This form has expired"));
    }
    assert_eq!(world.version(&reference).await.to_string(), version);
}

#[tokio::test]
async fn another_roles_action_is_neither_offered_nor_done() {
    let world = World::new();
    let reference = world.log().await;
    let version = world.version(&reference).await.to_string();
    let auditor = world.app(Role::Auditor);
    let page = get(auditor.clone(), &format!("/staff/cases/{reference}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("/actions/"), "an auditor is offered no action");
    let uri = format!("/staff/cases/{reference}/actions/respond");
    assert_eq!(get(auditor.clone(), &uri).await.status, StatusCode::FORBIDDEN);
    let reply = post(auditor, &uri, &respond_form(&version, "confirm", CSRF)).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(reply.body.contains("You cannot do this"));
    assert_eq!(world.version(&reference).await.to_string(), version);
    // A handler may not extend (R21: a manager decides).
    let handler = world.app(Role::Handler);
    let extend = format!("/staff/cases/{reference}/actions/extend");
    assert_eq!(get(handler.clone(), &extend).await.status, StatusCode::FORBIDDEN);
    let forged = [
        ("csrf", CSRF),
        ("version", version.as_str()),
        ("step", "confirm"),
        ("reason", "r"),
        ("new_due", "2026-12-31"),
    ];
    let refused = post(handler.clone(), &extend, &forged).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "the server refuses what the page did not offer");
    assert_eq!(world.version(&reference).await.to_string(), version);
    let page = get(handler, &format!("/staff/cases/{reference}")).await;
    assert!(!page.body.contains(&extend));
    let manager = get(world.app(Role::Manager), &format!("/staff/cases/{reference}")).await;
    assert!(manager.body.contains(&extend));
}

#[tokio::test]
async fn a_blank_answer_and_a_rule_refusal_come_back_as_the_error_summary() {
    let world = World::new();
    let reference = world.log().await;
    let version = world.version(&reference).await.to_string();
    let app = world.app(Role::Handler);
    let blank = post(
        app.clone(),
        &format!("/staff/cases/{reference}/actions/respond"),
        &[("csrf", CSRF), ("version", &version), ("outcome", "upheld")],
    )
    .await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(blank.body.contains("There is a problem"));
    assert!(blank.body.contains(r##"<a href="#note">Enter the response</a>"##), "{}", blank.body);
    assert!(blank.body.contains("<title>Error: "));

    let close = post(
        app,
        &format!("/staff/cases/{reference}/actions/close"),
        &[("csrf", CSRF), ("version", &version), ("point_outcomes_1", "upheld"), ("note", "Final.")],
    )
    .await;
    assert!(close.status.is_client_error(), "{}", close.status);
    assert!(close.body.contains("There is a problem"));
    assert!(close.body.contains("refused by R"), "the rule is named: {}", close.body);
}

#[tokio::test]
async fn a_phone_complaint_is_checked_then_logged_and_opens_its_case_page() {
    let world = World::new();
    let app = world.app(Role::Handler);
    let area = world.staff.config.service_areas[0].clone();
    let mut form = phone_form(&area);
    let blank = post(app.clone(), "/staff/cases/new", &[("csrf", CSRF), ("channel", "phone")]).await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(blank.body.contains("Enter what happened"), "{}", blank.body);
    let check = post(app.clone(), "/staff/cases/new", &form).await;
    assert_eq!(check.status, StatusCode::OK);
    assert!(check.body.contains("Check the complaint before you log it"));
    assert!(world.store.all_cases().is_empty(), "checking saves nothing");
    form.push(("step", "confirm"));
    let done = post(app, "/staff/cases/new", &form).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let location = done.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).expect("location");
    assert!(location.starts_with("/staff/cases/") && location.ends_with("?done=log"), "{location}");
    assert_eq!(world.store.all_cases().len(), 1);
}
