//! The OpenAPI 3.1 document (docs/api/openapi.json) against the staff API: every route the router
//! serves is documented and every documented operation is served; the request examples are
//! accepted; and real responses — successes and problems, from a run that calls every operation —
//! have a documented status and media type and match the documented schema.
//!
//! The schemas are checked by a small structural validator (below) for the JSON Schema keywords
//! the document uses: `$ref`, `type`, `properties`, `required`, `additionalProperties: false`,
//! `items`, `minItems`, `enum`, `const`, `oneOf`, `anyOf` and `minimum`. `format` and `pattern`
//! are annotations here and are not checked.

mod staff;

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use complaints_app::staff::{LogComplaint, StaffAction};
use complaints_core::roles::Role;
use serde_json::{Value, json};
use staff::{Api, Reply, memory_api};

fn document() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/api/openapi.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("the OpenAPI document is JSON")
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn documented_operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if item.get(method).is_some() {
                operations.insert((method.to_owned(), path.clone()));
            }
        }
    }
    operations
}

#[test]
fn every_route_is_documented_and_every_documented_operation_is_served() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    let served: BTreeSet<(String, String)> = complaints_web::api::routes()
        .into_iter()
        .map(|(method, path)| (method.as_str().to_ascii_lowercase(), path))
        .collect();

    assert_eq!(served, documented_operations(&doc));
}

// ---------------------------------------------------------------------------------------------
// A structural JSON Schema check for the keywords the document uses.

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference.strip_prefix("#/components/schemas/").expect("a local schema reference");
            resolve(doc, &doc["components"]["schemas"][name])
        }
        None => schema,
    }
}

fn type_matches(kind: &str, value: &Value) -> bool {
    match kind {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.as_i64().is_some() || value.as_u64().is_some(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        other => panic!("the document uses a type the check does not know: {other}"),
    }
}

/// The first way `value` fails `schema`, with its path.
fn check(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let schema = resolve(doc, schema);
    if let Some(kind) = schema.get("type") {
        let ok = match kind {
            Value::String(kind) => type_matches(kind, value),
            Value::Array(kinds) => kinds.iter().filter_map(Value::as_str).any(|k| type_matches(k, value)),
            _ => false,
        };
        if !ok {
            return Err(format!("{at}: expected {kind}, got {value}"));
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        return Err(format!("{at}: {value} is not one of {allowed:?}"));
    }
    if let Some(constant) = schema.get("const")
        && constant != value
    {
        return Err(format!("{at}: expected {constant}, got {value}"));
    }
    if let (Some(minimum), Some(number)) = (schema.get("minimum").and_then(Value::as_f64), value.as_f64())
        && number < minimum
    {
        return Err(format!("{at}: {number} is below {minimum}"));
    }
    if let Some(object) = value.as_object() {
        let properties = schema.get("properties").and_then(Value::as_object);
        for name in schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
            if !object.contains_key(name) {
                return Err(format!("{at}: missing {name}"));
            }
        }
        for (name, member) in object {
            match properties.and_then(|p| p.get(name)) {
                Some(property) => check(doc, property, member, &format!("{at}.{name}"))?,
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    return Err(format!("{at}: {name} is not in the schema"));
                }
                None => {}
            }
        }
    }
    if let Some(items) = value.as_array() {
        if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
            && (items.len() as u64) < min
        {
            return Err(format!("{at}: fewer than {min} items"));
        }
        if let Some(item_schema) = schema.get("items") {
            for (i, item) in items.iter().enumerate() {
                check(doc, item_schema, item, &format!("{at}[{i}]"))?;
            }
        }
    }
    if let Some(options) = schema.get("oneOf").and_then(Value::as_array) {
        let passing = options.iter().filter(|option| check(doc, option, value, at).is_ok()).count();
        if passing != 1 {
            let why: Vec<String> = options.iter().filter_map(|o| check(doc, o, value, at).err()).collect();
            return Err(format!("{at}: matches {passing} of oneOf ({})", why.join(" | ")));
        }
    }
    if let Some(options) = schema.get("anyOf").and_then(Value::as_array)
        && !options.iter().any(|option| check(doc, option, value, at).is_ok())
    {
        return Err(format!("{at}: matches none of anyOf"));
    }
    Ok(())
}

#[test]
fn the_schema_check_refuses_what_does_not_match() {
    let doc = document();
    let problem = json!({"$ref": "#/components/schemas/Problem"});
    assert!(check(&doc, &problem, &json!({"type": "/problems/x", "title": "t", "status": 400}), "$").is_ok());
    assert!(check(&doc, &problem, &json!({"type": "/problems/x", "status": 400}), "$").is_err(), "title missing");
    assert!(check(&doc, &problem, &json!({"type": "/x", "title": "t", "status": "400"}), "$").is_err(), "type");
    assert!(check(&doc, &problem, &json!({"type": "/x", "title": "t", "status": 400, "extra": 1}), "$").is_err());
    let action = json!({"$ref": "#/components/schemas/StaffAction"});
    assert!(check(&doc, &action, &json!({"action": "withdraw"}), "$").is_ok());
    assert!(check(&doc, &action, &json!({"action": "fly"}), "$").is_err());
}

#[test]
fn the_request_examples_match_their_schemas_and_the_api_accepts_them() {
    let doc = document();
    let mut seen = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            let Some(body) = item.get(method).and_then(|op| op.get("requestBody")) else { continue };
            let media = &body["content"]["application/json"];
            let example = media.get("example").unwrap_or_else(|| panic!("{method} {path}: no example"));
            check(&doc, &media["schema"], example, "$").unwrap_or_else(|e| panic!("{method} {path}: {e}"));
            seen += 1;
        }
    }
    assert_eq!(seen, 5, "every operation with a body has an example");

    let cases = &doc["paths"]["/api/cases"]["post"]["requestBody"]["content"]["application/json"]["example"];
    serde_json::from_value::<LogComplaint>(cases.clone()).expect("the log example is a LogComplaint");
    let mut action =
        doc["paths"]["/api/cases/{reference}/actions"]["post"]["requestBody"]["content"]["application/json"]["example"]
            .clone();
    action.as_object_mut().map(|o| o.remove("expected_version"));
    serde_json::from_value::<StaffAction>(action).expect("the action example is a StaffAction");
}

#[test]
fn every_staff_action_the_api_takes_is_in_the_document() {
    let doc = document();
    let documented: BTreeSet<&str> = doc["components"]["schemas"]["StaffAction"]["oneOf"]
        .as_array()
        .expect("oneOf")
        .iter()
        .filter_map(|option| option["properties"]["action"]["const"].as_str())
        .collect();
    // Each documented action with its required fields only must be one the API can read, and every
    // action name the API refuses as unknown must not be documented.
    for option in doc["components"]["schemas"]["StaffAction"]["oneOf"].as_array().expect("oneOf") {
        let name = option["properties"]["action"]["const"].as_str().expect("name");
        let probe = json!({"action": name});
        let error = serde_json::from_value::<StaffAction>(probe).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(!error.starts_with("unknown variant"), "{name} is documented but not an action: {error}");
    }
    let unknown =
        serde_json::from_value::<StaffAction>(json!({"action": "not-an-action"})).expect_err("unknown").to_string();
    let taken: BTreeSet<&str> = unknown
        .split("expected one of ")
        .nth(1)
        .expect("serde lists the variants")
        .split(", ")
        .map(|name| name.trim().trim_matches('`'))
        .collect();
    assert_eq!(documented, taken);
}

// ---------------------------------------------------------------------------------------------
// Real responses.

/// The documented operation for a method and a concrete path.
fn operation<'a>(doc: &'a Value, method: &str, path: &str) -> (&'a str, &'a Value) {
    let path = path.split('?').next().unwrap_or(path);
    let segments: Vec<&str> = path.split('/').collect();
    for (template, item) in doc["paths"].as_object().expect("paths") {
        let parts: Vec<&str> = template.split('/').collect();
        let same = parts.len() == segments.len()
            && parts.iter().zip(&segments).all(|(t, s)| t == s || (t.starts_with('{') && t.ends_with('}')));
        if same && let Some(op) = item.get(method) {
            return (template.as_str(), op);
        }
    }
    panic!("{method} {path} is not documented")
}

struct Recorder {
    doc: Value,
    covered: BTreeSet<(String, String, u16)>,
}

impl Recorder {
    fn record(&mut self, method: &str, path: &str, reply: &Reply) {
        let (template, op) = operation(&self.doc, method, path);
        let status = reply.status.as_u16().to_string();
        let documented = &op["responses"][&status];
        assert!(
            documented.is_object(),
            "{method} {template} answered {status}, which is not documented: {}",
            reply.json
        );
        let media = reply.content_type.split(';').next().unwrap_or_default().trim();
        let schema = &documented["content"][media]["schema"];
        assert!(schema.is_object(), "{method} {template} {status}: {media} is not documented");
        check(&self.doc, schema, &reply.json, "$")
            .unwrap_or_else(|e| panic!("{method} {template} {status} does not match the document: {e}"));
        self.covered.insert((method.to_owned(), template.to_owned(), reply.status.as_u16()));
    }
}

async fn get(api: &Api, recorder: &mut Recorder, role: Role, uri: &str) -> Reply {
    let reply = api.get(role, uri).await;
    recorder.record("get", uri, &reply);
    reply
}

async fn post(api: &Api, recorder: &mut Recorder, role: Role, uri: &str, body: &Value) -> Reply {
    let reply = api.post(role, uri, body).await;
    recorder.record("post", uri, &reply);
    reply
}

#[tokio::test]
async fn real_responses_have_documented_statuses_and_match_the_schemas() {
    let api = memory_api();
    let mut recorder = Recorder { doc: document(), covered: BTreeSet::new() };
    let r = &mut recorder;

    let logged = post(
        &api,
        r,
        Role::Handler,
        "/api/cases",
        &json!({"channel": "letter", "name": "Sam Example",
        "email": "sam@example.org", "service_area": "Housing repairs", "description": "The boiler is broken.",
        "note": "Letter dated 28 November."}),
    )
    .await;
    assert_eq!(logged.status, StatusCode::CREATED);
    let reference = logged.json["reference"].as_str().expect("reference").to_owned();
    post(&api, r, Role::Handler, "/api/cases", &json!({"channel": "phone"})).await;
    post(
        &api,
        r,
        Role::Auditor,
        "/api/cases",
        &json!({"channel": "phone", "service_area": "Bins",
        "description": "d", "note": "n"}),
    )
    .await;

    get(&api, r, Role::Handler, "/api/cases").await;
    get(&api, r, Role::Handler, "/api/cases?limit=1&stage=1&channel=letter&overdue=false").await;
    get(&api, r, Role::Handler, "/api/cases?limit=0").await;
    let view = get(&api, r, Role::Auditor, &format!("/api/cases/{reference}")).await;
    assert_eq!(view.status, StatusCode::OK);
    get(&api, r, Role::Auditor, "/api/cases/CMP-2026-09999").await;

    let actions = format!("/api/cases/{reference}/actions");
    let assign = json!({"action": "assign", "handler": "Team A", "expected_version": 1});
    assert_eq!(post(&api, r, Role::Handler, &actions, &assign).await.status, StatusCode::OK);
    post(&api, r, Role::Handler, &actions, &assign).await; // stale: 409
    post(&api, r, Role::Auditor, &actions, &assign).await; // 403
    post(&api, r, Role::Handler, &actions, &json!({"action": "assign", "handler": "B"})).await; // 428
    post(&api, r, Role::Handler, &actions, &json!({"action": "refer-spso", "expected_version": 2})).await; // 409 rule
    post(&api, r, Role::Handler, &actions, &json!({"action": "respond", "expected_version": 2})).await; // 422
    post(
        &api,
        r,
        Role::Handler,
        "/api/cases/CMP-2026-09999/actions",
        &json!({"action": "withdraw",
        "expected_version": 1}),
    )
    .await;
    let responded = post(
        &api,
        r,
        Role::Handler,
        &actions,
        &json!({"action": "respond", "outcome": "resolved",
        "note": "We repaired the boiler.", "expected_version": 2}),
    )
    .await;
    assert_eq!(responded.status, StatusCode::OK, "{}", responded.json);

    get(&api, r, Role::Manager, "/api/contacts/export?email=sam%40example.org").await;
    get(&api, r, Role::Handler, "/api/contacts/export?email=sam%40example.org").await;
    get(&api, r, Role::Manager, "/api/contacts/export").await;

    let created = post(
        &api,
        r,
        Role::Handler,
        "/api/learning",
        &json!({"root_cause": "Old boilers",
        "action": "Survey boilers", "owner": "Housing manager", "due_on": "2027-02-26", "cases": [reference]}),
    )
    .await;
    let id = created.json["action"]["id"].as_str().expect("id").to_owned();
    post(&api, r, Role::Handler, "/api/learning", &json!({"root_cause": "x"})).await;
    get(&api, r, Role::Auditor, "/api/learning").await;
    post(&api, r, Role::Handler, &format!("/api/learning/{id}/links"), &json!({"reference": reference})).await;
    post(&api, r, Role::Handler, "/api/learning/LA-00000000/links", &json!({"reference": reference})).await;
    post(&api, r, Role::Handler, &format!("/api/learning/{id}/complete"), &json!({"done_on": "2026-12-01"})).await;
    post(&api, r, Role::Handler, &format!("/api/learning/{id}/complete"), &json!({})).await;

    let unauthenticated = api
        .send(Request::builder().method(Method::GET).uri("/api/learning").body(Body::empty()).expect("request"))
        .await;
    r.record("get", "/api/learning", &unauthenticated);

    // Every documented operation answered at least once with a success.
    let succeeded: BTreeSet<(String, String)> = recorder
        .covered
        .iter()
        .filter(|(_, _, status)| *status < 300)
        .map(|(method, path, _)| (method.clone(), path.clone()))
        .collect();
    assert_eq!(succeeded, documented_operations(&recorder.doc));
    let statuses: BTreeSet<u16> = recorder.covered.iter().map(|(_, _, status)| *status).collect();
    for expected in [200, 201, 400, 401, 403, 404, 409, 422, 428] {
        assert!(statuses.contains(&expected), "no {expected} was checked against the document");
    }
}

#[test]
fn the_reference_page_describes_every_documented_operation_and_action() {
    let doc = document();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/api.md");
    let page = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for (method, route) in documented_operations(&doc) {
        let named = format!("`{} {route}", method.to_ascii_uppercase());
        assert!(page.contains(&named), "docs/api.md does not describe {named}`");
    }
    for option in doc["components"]["schemas"]["StaffAction"]["oneOf"].as_array().expect("oneOf") {
        let name = option["properties"]["action"]["const"].as_str().expect("name");
        assert!(page.contains(&format!("| `{name}`")), "docs/api.md's action table lacks {name}");
    }
}
