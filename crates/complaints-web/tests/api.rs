//! The staff API through its router (tower `oneshot`): authentication, each error kind as problem
//! details, optimistic concurrency, and a whole lifecycle over HTTP, on the memory store and on
//! SQLite.

mod staff;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{Duration, NaiveDate};
use complaints_app::staff::Access;
use complaints_core::roles::Role;
use complaints_store_sqlite::SqliteCaseStore;
use serde_json::{Value, json};
use staff::{Api, api_over, memory_api};

const PROBLEM: &str = "application/problem+json";

fn is_problem(reply: &staff::Reply, status: StatusCode, kind: &str) {
    assert_eq!(reply.status, status, "{}", reply.json);
    assert_eq!(reply.content_type, PROBLEM);
    assert_eq!(reply.json["type"], format!("/problems/{kind}"), "{}", reply.json);
    assert_eq!(reply.json["status"], status.as_u16());
}

#[tokio::test]
async fn a_request_without_a_token_or_with_an_unknown_one_is_401_with_the_bearer_challenge() {
    let api = memory_api();
    let anonymous = api.send(Request::get("/api/cases").body(Body::empty()).expect("request")).await;
    is_problem(&anonymous, StatusCode::UNAUTHORIZED, "unauthenticated");
    assert!(anonymous.header("www-authenticate").is_some_and(|v| v.starts_with("Bearer")));

    for header in ["Bearer cpt_not-a-real-token", "Basic dXNlcjpwYXNz", "Bearer"] {
        let request = Request::get("/api/cases").header("authorization", header).body(Body::empty());
        let reply = api.send(request.expect("request")).await;
        is_problem(&reply, StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    assert!(api.audit.entries().is_empty(), "nobody was identified, so nothing is recorded against anyone");
}

#[tokio::test]
async fn an_auditor_reads_a_case_but_cannot_act_on_it_and_the_attempt_is_recorded() {
    let api = memory_api();
    let reference = api.log_phone_complaint(Some("alex@example.org")).await;

    let read = api.get(Role::Auditor, &format!("/api/cases/{reference}")).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.json);
    assert_eq!(read.header("etag"), Some("\"1\""));

    let act = api.act(Role::Auditor, &reference, 1, json!({"action": "assign", "handler": "Team B"})).await;
    is_problem(&act, StatusCode::FORBIDDEN, "forbidden");
    let entries = api.audit.entries();
    let auditor: Vec<Access> = entries.iter().filter(|e| e.actor == "auditor").map(|e| e.access).collect();
    assert_eq!(auditor, [Access::Read, Access::Refused]);
    let still = api.get(Role::Handler, &format!("/api/cases/{reference}")).await;
    assert_eq!(still.json["version"], 1, "nothing changed");
}

#[tokio::test]
async fn an_unknown_case_is_404_for_reads_and_actions() {
    let api = memory_api();
    for uri in ["/api/cases/CMP-2026-09999", "/api/cases/not-a-reference"] {
        is_problem(&api.get(Role::Handler, uri).await, StatusCode::NOT_FOUND, "not-found");
    }
    let act = api.act(Role::Handler, "CMP-2026-09999", 1, json!({"action": "withdraw"})).await;
    is_problem(&act, StatusCode::NOT_FOUND, "not-found");
}

#[tokio::test]
async fn a_stale_version_is_409_with_the_current_version_and_changes_nothing() {
    let api = memory_api();
    let reference = api.log_phone_complaint(None).await;
    let first = api.act(Role::Handler, &reference, 1, json!({"action": "assign", "handler": "Team A"})).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.json);
    assert_eq!(first.json["version"], 2);
    assert_eq!(first.header("etag"), Some("\"2\""));

    // A colleague still looking at version 1.
    let stale = api.act(Role::Handler, &reference, 1, json!({"action": "assign", "handler": "Team B"})).await;

    is_problem(&stale, StatusCode::CONFLICT, "version-conflict");
    assert_eq!(stale.json["current_version"], 2);
    let case = api.get(Role::Handler, &format!("/api/cases/{reference}")).await;
    assert_eq!(case.json["handler"], "Team A");
}

#[tokio::test]
async fn the_version_comes_from_if_match_or_the_body_and_is_required() {
    let api = memory_api();
    let reference = api.log_phone_complaint(None).await;
    let uri = format!("/api/cases/{reference}/actions");
    let assign = json!({"action": "assign", "handler": "Team A"});

    let none = api.post(Role::Handler, &uri, &assign).await;
    is_problem(&none, StatusCode::PRECONDITION_REQUIRED, "version-required");

    let with_header = Request::post(&uri)
        .header("authorization", format!("Bearer {}", api.token(Role::Handler)))
        .header("content-type", "application/json")
        .header("if-match", "\"1\"")
        .body(Body::from(assign.to_string()))
        .expect("request");
    let reply = api.send(with_header).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);

    let disagreeing = Request::post(&uri)
        .header("authorization", format!("Bearer {}", api.token(Role::Handler)))
        .header("content-type", "application/json")
        .header("if-match", "\"2\"")
        .body(Body::from(json!({"action": "assign", "handler": "B", "expected_version": 1}).to_string()))
        .expect("request");
    let reply = api.send(disagreeing).await;
    is_problem(&reply, StatusCode::BAD_REQUEST, "invalid");
    assert_eq!(reply.json["errors"][0]["field"], "expected_version");
}

#[tokio::test]
async fn an_illegal_move_names_the_mchp_rule_409_for_the_state_and_422_for_the_request() {
    let api = memory_api();
    let reference = api.log_phone_complaint(Some("alex@example.org")).await;

    // No final response yet: there is nothing to take to the SPSO.
    let spso = api.act(Role::Handler, &reference, 1, json!({"action": "refer-spso"})).await;
    is_problem(&spso, StatusCode::CONFLICT, "rule-refused");
    assert!(spso.json["rule"].as_str().is_some_and(|r| r.starts_with('R')), "{}", spso.json);
    assert!(spso.json["detail"].as_str().is_some_and(|d| d.contains(spso.json["rule"].as_str().unwrap_or("?"))));

    // An extension to a date before the current due date is a bad request, by R21.
    let case = api.get(Role::Manager, &format!("/api/cases/{reference}")).await;
    let due: NaiveDate = case.json["clocks"][0]["due"].as_str().and_then(|d| d.parse().ok()).expect("a due date");
    let earlier = (due - Duration::days(7)).to_string();
    let extend = api
        .act(Role::Manager, &reference, 1, json!({"action": "extend", "reason": "Waiting", "new_due": earlier}))
        .await;
    is_problem(&extend, StatusCode::UNPROCESSABLE_ENTITY, "rule-refused");
    assert_eq!(extend.json["rule"], "R21");
}

#[tokio::test]
async fn a_handler_may_not_extend_which_is_for_managers() {
    let api = memory_api();
    let reference = api.log_phone_complaint(Some("alex@example.org")).await;
    let reply = api
        .act(Role::Handler, &reference, 1, json!({"action": "extend", "reason": "Waiting", "new_due": "2027-01-29"}))
        .await;
    is_problem(&reply, StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn bad_json_is_400_and_a_missing_or_wrong_field_is_named() {
    let api = memory_api();
    let reference = api.log_phone_complaint(None).await;
    let uri = format!("/api/cases/{reference}/actions");
    let raw = |body: &'static str, content_type: &'static str| {
        Request::post(&uri)
            .header("authorization", format!("Bearer {}", api.token(Role::Handler)))
            .header("content-type", content_type)
            .body(Body::from(body))
            .expect("request")
    };

    let broken = api.send(raw("{\"action\": \"respond\", ", "application/json")).await;
    is_problem(&broken, StatusCode::BAD_REQUEST, "not-json");
    let form = api.send(raw("action=respond", "application/x-www-form-urlencoded")).await;
    is_problem(&form, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type");

    let missing = api.act(Role::Handler, &reference, 1, json!({"action": "respond", "outcome": "upheld"})).await;
    is_problem(&missing, StatusCode::UNPROCESSABLE_ENTITY, "invalid-fields");
    assert_eq!(missing.json["errors"][0]["field"], "note");

    let unknown = api.act(Role::Handler, &reference, 1, json!({"action": "make-tea"})).await;
    is_problem(&unknown, StatusCode::UNPROCESSABLE_ENTITY, "invalid-fields");
    assert_eq!(unknown.json["errors"][0]["field"], "action");

    let bad_log = api.post(Role::Handler, "/api/cases", &json!({"channel": "phone", "service_area": "Bins"})).await;
    is_problem(&bad_log, StatusCode::UNPROCESSABLE_ENTITY, "invalid-fields");
    assert_eq!(bad_log.json["errors"][0]["field"], "description");

    let web = json!({"channel": "web-form", "service_area": "Bins", "description": "d", "note": "n"});
    let wrong_channel = api.post(Role::Handler, "/api/cases", &web).await;
    is_problem(&wrong_channel, StatusCode::BAD_REQUEST, "invalid");
    assert_eq!(wrong_channel.json["errors"][0]["field"], "channel");
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problems_too() {
    let api = memory_api();
    is_problem(&api.get(Role::Handler, "/api/nothing-here").await, StatusCode::NOT_FOUND, "no-such-route");
    let delete = Request::delete("/api/cases")
        .header("authorization", format!("Bearer {}", api.token(Role::Handler)))
        .body(Body::empty())
        .expect("request");
    is_problem(&api.send(delete).await, StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed");
}

#[tokio::test]
async fn lists_filter_and_page_with_a_cursor_and_a_bad_filter_is_named() {
    let api = memory_api();
    let mut references = Vec::new();
    for _ in 0..5 {
        references.push(api.log_phone_complaint(None).await);
    }
    let assigned = api.act(Role::Handler, &references[2], 1, json!({"action": "assign", "handler": "Team Z"})).await;
    assert_eq!(assigned.status, StatusCode::OK, "{}", assigned.json);

    let mut seen = Vec::new();
    let mut uri = "/api/cases?limit=2".to_owned();
    loop {
        let page = api.get(Role::Auditor, &uri).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.json);
        let cases = page.json["cases"].as_array().expect("cases");
        assert!(cases.len() <= 2);
        seen.extend(cases.iter().map(|c| c["reference"].as_str().unwrap_or_default().to_owned()));
        match page.json["next"].as_str() {
            Some(next) => uri = format!("/api/cases?limit=2&cursor={}", next.replace('#', "%23")),
            None => break,
        }
    }
    seen.sort();
    let mut expected = references.clone();
    expected.sort();
    assert_eq!(seen, expected, "every open case once, over three pages");

    let team = api.get(Role::Handler, "/api/cases?handler=team%20z").await;
    let only: Vec<&str> =
        team.json["cases"].as_array().expect("cases").iter().filter_map(|c| c["reference"].as_str()).collect();
    assert_eq!(only, [references[2].as_str()]);

    let bad = api.get(Role::Handler, "/api/cases?status=lost").await;
    is_problem(&bad, StatusCode::BAD_REQUEST, "invalid-query");
    assert_eq!(bad.json["errors"][0]["field"], "status");
    let unknown = api.get(Role::Handler, "/api/cases?colour=red").await;
    is_problem(&unknown, StatusCode::BAD_REQUEST, "invalid-query");
}

#[tokio::test]
async fn the_subject_access_export_is_for_managers_and_finds_the_contacts_cases() {
    let api = memory_api();
    let reference = api.log_phone_complaint(Some("Alex@Example.org")).await;
    api.log_phone_complaint(Some("someone.else@example.org")).await;

    let handler = api.get(Role::Handler, "/api/contacts/export?email=alex%40example.org").await;
    is_problem(&handler, StatusCode::FORBIDDEN, "forbidden");

    let bundle = api.get(Role::Manager, "/api/contacts/export?email=alex%40example.org").await;
    assert_eq!(bundle.status, StatusCode::OK, "{}", bundle.json);
    let cases: Vec<&str> =
        bundle.json["cases"].as_array().expect("cases").iter().filter_map(|c| c["reference"].as_str()).collect();
    assert_eq!(cases, [reference.as_str()]);
    let export = api.audit.entries().into_iter().find(|e| e.actor == "manager").expect("the export is recorded");
    assert!(export.contact.is_some(), "by the keyed hash");

    let bad = api.get(Role::Manager, "/api/contacts/export?email=not-an-address").await;
    is_problem(&bad, StatusCode::BAD_REQUEST, "invalid-query");
}

#[tokio::test]
async fn learning_actions_are_created_linked_and_completed_by_handlers_not_auditors() {
    let api = memory_api();
    let reference = api.log_phone_complaint(None).await;
    let new = json!({"root_cause": "Rounds changed", "action": "Publish changes", "owner": "Waste manager",
        "due_on": "2027-01-29", "cases": [reference]});

    let auditor = api.post(Role::Auditor, "/api/learning", &new).await;
    is_problem(&auditor, StatusCode::FORBIDDEN, "forbidden");
    let created = api.post(Role::Handler, "/api/learning", &new).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    let id = created.json["action"]["id"].as_str().expect("id").to_owned();

    let other = api.log_phone_complaint(None).await;
    let linked = api.post(Role::Handler, &format!("/api/learning/{id}/links"), &json!({"reference": other})).await;
    assert_eq!(linked.status, StatusCode::OK, "{}", linked.json);
    assert_eq!(linked.json["action"]["cases"].as_array().map(Vec::len), Some(2));

    let open = api.get(Role::Auditor, "/api/learning").await;
    assert_eq!(open.json["actions"].as_array().map(Vec::len), Some(1));
    let done = api.post(Role::Handler, &format!("/api/learning/{id}/complete"), &json!({})).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.json);
    assert_eq!(done.json["action"]["done_on"], "2026-12-01");
    let again = api.post(Role::Handler, &format!("/api/learning/{id}/complete"), &json!({})).await;
    is_problem(&again, StatusCode::UNPROCESSABLE_ENTITY, "rule-refused");
    let missing = api.post(Role::Handler, "/api/learning/LA-00000000/complete", &json!({})).await;
    is_problem(&missing, StatusCode::NOT_FOUND, "not-found");
}

/// Received by phone → stage 1 response → escalated two weeks later with two points → extended by
/// a manager → closed partially upheld → referred to the SPSO; each step's letter and version.
async fn lifecycle(api: &Api) {
    let reference = api.log_phone_complaint(Some("alex@example.org")).await;
    let version = std::cell::Cell::new(1_u64);
    let step = |reply: staff::Reply, letters: &[&str]| {
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        version.set(version.get() + 1);
        assert_eq!(reply.json["version"], version.get());
        let purposes: Vec<String> = reply.json["letters"]
            .as_array()
            .expect("letters")
            .iter()
            .filter_map(|l| l["purpose"].as_str().map(str::to_owned))
            .collect();
        assert_eq!(purposes.len(), letters.len(), "{purposes:?}");
        reply.json
    };

    let responded = api
        .act(
            Role::Handler,
            &reference,
            version.get(),
            json!({"action": "respond", "outcome": "not-upheld",
            "note": "The crew found the bin blocked by a car."}),
        )
        .await;
    let responded = step(responded, &["stage1-response"]);
    assert_eq!(responded["status"], "stage1-closed");

    api.clock.advance(Duration::days(14));
    let escalated = api
        .act(
            Role::Handler,
            &reference,
            version.get(),
            json!({"action": "escalate", "channel": "email", "points": [
            {"summary": "The bin was not collected", "outcome_sought": "Collect it"},
            {"summary": "The crew were rude", "outcome_sought": "An apology"}]}),
        )
        .await;
    let escalated = step(escalated, &["stage2-acknowledgement"]);
    assert_eq!(escalated["status"], "stage2-acknowledged");

    let case = api.get(Role::Manager, &format!("/api/cases/{reference}")).await;
    let due: NaiveDate = case.json["clocks"]
        .as_array()
        .expect("clocks")
        .iter()
        .find(|c| c["kind"] == "stage2-response")
        .and_then(|c| c["due"].as_str())
        .and_then(|d| d.parse().ok())
        .expect("the stage 2 response is due");
    let extended = api
        .act(
            Role::Manager,
            &reference,
            version.get(),
            json!({"action": "extend", "reason": "Waiting for the crew's statements",
            "new_due": (due + Duration::days(7)).to_string()}),
        )
        .await;
    let extended = step(extended, &["extension"]);
    assert_eq!(extended["status"], "stage2-extended");

    let closed = api
        .act(
            Role::Handler,
            &reference,
            version.get(),
            json!({"action": "close", "point_outcomes": ["upheld", "not-upheld"],
            "note": "We collected the bin; we found no evidence of rudeness."}),
        )
        .await;
    let closed = step(closed, &["final-response"]);
    assert_eq!(closed["status"], "stage2-closed");

    let referred = api.act(Role::Handler, &reference, version.get(), json!({"action": "refer-spso"})).await;
    step(referred, &[]);

    let timeline = api.get(Role::Auditor, &format!("/api/cases/{reference}")).await;
    let staff_entries = timeline.json["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["actor"]["kind"] == "staff")
        .count();
    assert!(staff_entries >= 5, "each change is on the timeline with its actor");
}

#[tokio::test]
async fn a_complaint_goes_through_its_lifecycle_over_http_on_the_memory_store() {
    lifecycle(&memory_api()).await;
}

#[tokio::test]
async fn a_complaint_goes_through_its_lifecycle_over_http_on_sqlite() {
    let store = Arc::new(SqliteCaseStore::in_memory().expect("SQLite"));
    let api = api_over(store.clone(), store.clone(), store);
    lifecycle(&api).await;
    let cases = api.get(Role::Auditor, "/api/cases?scope=received&from=2026-12-01&to=2026-12-31").await;
    assert_eq!(cases.json["cases"].as_array().map(Vec::len), Some(1), "{}", cases.json);
}

#[tokio::test]
async fn answers_are_never_cached() {
    let api = memory_api();
    let reply = api.get(Role::Handler, "/api/cases").await;
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let _: &Value = &reply.json;
}
