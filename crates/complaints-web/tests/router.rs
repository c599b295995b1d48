//! The web form router driven with `oneshot`: rendering, validation, intake, honeypot, size limit
//! and double-submit protection, over the in-memory ports.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::NaiveDate;
use complaints_app::ports::{CaseStore, StoreError};
use complaints_core::case::{Case, CaseEvent, ContactKey, StaffFlag};
use complaints_core::config::OrgConfig;
use complaints_core::reference::CaseRef;
use complaints_core::timeline::TimelineEvent;
use complaints_web::date_for_people;
use support::{Harness, form_body, token_in};

#[tokio::test]
async fn the_form_labels_every_question_and_lists_the_configured_service_areas() {
    let harness = Harness::new();
    let reply = harness.get("/").await;
    assert_eq!(reply.status, StatusCode::OK);
    let html = &reply.body;
    // Every input a person fills has a visible label tied to it by id.
    for id in [
        "anonymous",
        "name",
        "email",
        "phone",
        "contact_method",
        "adjustments",
        "service_area",
        "description",
        "event_date_day",
        "event_date_month",
        "event_date_year",
        "awareness_date_day",
        "awareness_date_month",
        "awareness_date_year",
        "outcome",
        "on_behalf",
        "person_name",
        "relationship",
        "consent",
        "child",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "input {id} is missing");
        assert!(html.contains(&format!("for=\"{id}\"")), "label for {id} is missing");
    }
    // Grouped questions have a legend; hints are announced with their field.
    for legend in [
        "What is your complaint about?",
        "How should we contact you?",
        "Are you complaining for someone else?",
        "When did it happen?",
    ] {
        assert!(html.contains(legend), "legend {legend:?} is missing");
    }
    assert!(html.contains("aria-describedby=\"email-hint\""));
    for area in OrgConfig::builtin().service_areas {
        assert!(html.contains(&format!("value=\"{area}\"")), "service area {area:?} is missing");
    }
    assert!(html.contains("we cannot reply to you"), "the anonymous option explains the consequence");
    assert!(html.contains("How we use your information"), "privacy notice");
    assert!(token_in(html).is_some_and(|t| !t.is_empty()));
    assert!(!html.contains("<script"), "the form works without JavaScript");
}

#[tokio::test]
async fn a_valid_form_creates_one_case_and_redirects_to_a_confirmation_with_the_due_date() {
    let harness = Harness::new();
    let token = harness.token().await;
    let reply = harness.post_form(&form_body(&token, &[])).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert!(reply.location().starts_with("/confirmation?"), "{}", reply.location());

    let cases = harness.cases().await;
    assert_eq!(cases.len(), 1);
    let case = &cases[0].case;
    assert_eq!(case.complaint().service_area, "Bins and recycling");
    assert_eq!(harness.mailer.sent().len(), 1, "an acknowledgement was sent");

    let page = harness.get(reply.location()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&case.reference().to_string()));
    assert!(page.body.contains(&date_for_people(case.response_due())), "due date for people");
    assert!(page.body.contains(case.handler()));
    assert!(page.body.contains("What happens next"));
    assert!(page.body.contains("We have sent a confirmation email"));
}

#[tokio::test]
async fn the_confirmation_says_how_to_escalate_or_that_an_anonymous_complainant_gets_no_reply() {
    let harness = Harness::new();
    let cases = [(vec![], true), (vec![("anonymous", "yes"), ("name", ""), ("email", "")], false)];
    for (answers, expect_reply) in cases {
        let token = harness.token().await;
        let reply = harness.post_form(&form_body(&token, &answers)).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{answers:?}");
        let page = harness.get(reply.location()).await.body;
        assert!(page.contains("id=\"reference\"") && page.contains("id=\"response-due\""), "{answers:?}");
        assert!(page.contains("id=\"handler\""), "{answers:?}");
        for promise in ["We will respond by", "If you are unhappy with our response", "(SPSO)", "another format"] {
            assert_eq!(page.contains(promise), expect_reply, "{promise:?} for {answers:?}");
        }
        assert_eq!(page.contains("we cannot send you a response"), !expect_reply, "{answers:?}");
        assert_eq!(page.contains("the final stage for complaints"), expect_reply, "{answers:?}");
        // Wherever the page says "contact us", it says how.
        let contact = OrgConfig::builtin().organisation;
        for detail in [contact.phone, contact.email, contact.address] {
            let detail = detail.expect("the built-in configuration has every contact detail");
            assert!(page.contains(&detail), "{answers:?}: the confirmation lacks {detail:?}");
        }
    }
}

#[tokio::test]
async fn a_missing_email_is_reported_in_a_summary_linking_to_the_field_and_the_answers_are_kept() {
    let harness = Harness::new();
    let token = harness.token().await;
    let body = form_body(&token, &[("email", ""), ("name", "Jo <b>Bloggs</b> & \"co\"")]);
    let reply = harness.post_form(&body).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = &reply.body;
    assert!(html.contains("There is a problem"));
    assert!(html.contains("<a href=\"#email\">Enter your email address</a>"));
    assert!(html.contains("id=\"email-error\""));
    assert!(html.contains("aria-describedby=\"email-hint email-error\""));
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<title>Error: "));
    // Kept, and escaped.
    assert!(html.contains("value=\"Jo &lt;b&gt;Bloggs&lt;&#x2f;b&gt; &amp; &quot;co&quot;\""), "name kept escaped");
    assert!(!html.contains("<b>Bloggs</b>"));
    assert!(html.contains("My bin was not collected for three weeks."));
    assert_eq!(
        token_in(html).as_deref(),
        Some(token.as_str()),
        "the same token, so a corrected send is still one case"
    );
    assert!(harness.cases().await.is_empty());
}

#[tokio::test]
async fn the_error_summary_takes_focus_on_load_without_script() {
    let harness = Harness::new();
    let token = harness.token().await;
    let html = harness.post_form(&form_body(&token, &[("email", "")])).await.body;
    let summary_tag = html
        .split("<div class=\"error-summary\"")
        .nth(1)
        .and_then(|rest| rest.split('>').next())
        .expect("an error summary");
    for attribute in ["role=\"alert\"", "tabindex=\"-1\"", "autofocus"] {
        assert!(summary_tag.contains(attribute), "{attribute} missing from {summary_tag}");
    }
    let blank = harness.get("/").await.body;
    assert!(!blank.contains("autofocus"), "a blank form does not move focus");
}

#[tokio::test]
async fn a_date_missing_one_part_points_at_that_box_and_a_wrong_date_at_all_three() {
    let harness = Harness::new();
    let token = harness.token().await;
    let parts = [("event_date_day", "3"), ("event_date_month", ""), ("event_date_year", "2026")];
    let html = harness.post_form(&form_body(&token, &parts)).await.body;
    assert!(html.contains("<a href=\"#event_date_month\">The date it happened must include a month</a>"), "{html}");
    let invalid: Vec<&str> = ["event_date_day", "event_date_month", "event_date_year"]
        .into_iter()
        .filter(|id| input_tag(&html, id).contains("aria-invalid=\"true\""))
        .collect();
    assert_eq!(invalid, ["event_date_month"]);

    let wrong = [("event_date_day", "31"), ("event_date_month", "2"), ("event_date_year", "2026")];
    let html = harness.post_form(&form_body(&token, &wrong)).await.body;
    assert!(html.contains("<a href=\"#event_date_day\">The date it happened must be a real date"), "{html}");
    for id in ["event_date_day", "event_date_month", "event_date_year"] {
        assert!(input_tag(&html, id).contains("aria-invalid=\"true\""), "{id} not marked");
    }
    assert!(harness.cases().await.is_empty());
}

/// The `<input …>` tag with this id.
fn input_tag<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no {id}"));
    let start = html[..at].rfind('<').expect("tag start");
    let end = at + html[at..].find('>').expect("tag end");
    &html[start..=end]
}

#[tokio::test]
async fn the_questions_about_someone_else_sit_inside_the_yes_answer() {
    // The CSS shows them only while Yes is selected; that needs them to follow the Yes radio
    // in the same item, with no other radio in between.
    let html = Harness::new().get("/").await.body;
    let yes = html.find("name=\"on_behalf\" type=\"radio\" value=\"yes\"").expect("a Yes radio");
    let reveal = html.find("class=\"radios__conditional\" id=\"on_behalf-conditional\"").expect("a reveal");
    let person = html.find("id=\"person_name\"").expect("their name");
    let consent = html.find("id=\"consent\"").expect("consent");
    let after_yes = yes + html[yes..].find('>').expect("end of the Yes radio");
    let next_radio = html[after_yes..].find("type=\"radio\"").map(|i| i + after_yes);
    assert!(yes < reveal && reveal < person && person < consent, "{yes} {reveal} {person} {consent}");
    assert!(next_radio.is_none_or(|r| r > consent), "another radio sits between Yes and its questions");
}

#[tokio::test]
async fn errors_in_the_summary_follow_the_order_of_the_page() {
    let harness = Harness::new();
    let token = harness.token().await;
    let body = form_body(&token, &[("child", "maybe"), ("description", ""), ("name", ""), ("service_area", "")]);
    let html = harness.post_form(&body).await.body;
    let positions: Vec<usize> = ["#name", "#service_area", "#description", "#child"]
        .iter()
        .map(|anchor| html.find(&format!("href=\"{anchor}\"")).unwrap_or_else(|| panic!("{anchor} not linked")))
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
}

#[tokio::test]
async fn a_filled_honeypot_keeps_the_complaint_flagged_for_staff_unacknowledged_behind_the_usual_confirmation() {
    let harness = Harness::new();
    let token = harness.token().await;
    let reply = harness.post_form(&form_body(&token, &[("website", "http://spam.example")])).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert!(reply.location().starts_with("/confirmation?"), "the same confirmation as anyone: {}", reply.location());
    let cases = harness.cases().await;
    assert_eq!(cases.len(), 1, "the complaint is kept");
    assert!(harness.mailer.sent().is_empty(), "and never acknowledged");
    let timeline = harness.store.timeline(cases[0].case.reference()).await.expect("timeline");
    assert!(timeline.iter().any(|e| e.what == CaseEvent::FlaggedForStaff { reason: StaffFlag::PossibleSpam }));
    let page = harness.get(reply.location()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Complaint received") && page.body.contains(&cases[0].case.reference().to_string()));

    let json_token = harness.json_token().await;
    let json = harness
        .post_json(&serde_json::json!({
            "token": json_token, "website": "x", "name": "Jo Bloggs", "email": "jo@example.org",
            "service_area": "Something else", "description": "Kept though the honeypot was filled."
        }))
        .await;
    assert_eq!(json.status, StatusCode::CREATED);
    assert_eq!(json.json()["acknowledged"], false);
    assert_eq!(harness.cases().await.len(), 2);
    assert!(harness.mailer.sent().is_empty());
}

#[tokio::test]
async fn an_oversized_body_gets_a_clear_413_page_whether_or_not_its_length_is_declared() {
    let harness = Harness::new();
    let state = harness.state.clone().with_body_limit(4 * 1024);
    let big = form_body("t", &[("description", &"x".repeat(8 * 1024))]);
    for declared in [true, false] {
        let mut request = Request::post("/").header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if declared {
            request = request.header(header::CONTENT_LENGTH, big.len());
        }
        let request = request.body(Body::from(big.clone())).expect("request");
        let response =
            tower::ServiceExt::oneshot(complaints_web::router(state.clone()), request).await.expect("infallible");
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE, "declared: {declared}");
        let body = http_body_util::BodyExt::collect(response.into_body()).await.expect("body").to_bytes();
        let html = String::from_utf8_lossy(&body);
        assert!(html.contains("Your complaint is too long to send"), "declared: {declared}");
        assert!(html.contains("has not been sent"), "says nothing was stored");
        assert!(html.contains("back button"), "says how to get back to the answers");
        let contact = OrgConfig::builtin().organisation;
        for detail in [contact.phone, contact.email, contact.address] {
            let detail = detail.expect("the built-in configuration has every contact detail");
            assert!(html.contains(&detail), "413 page lacks {detail:?}");
        }
        assert!(html.contains("email it to us at complaints@example.org"), "{html}");
    }
    assert!(harness.cases().await.is_empty());
}

#[tokio::test]
async fn answers_at_the_length_limit_fit_the_body_limit_in_any_script() {
    // Non-ASCII text grows up to twelvefold when form-encoded; a person within the per-answer
    // limits must get their complaint taken in, never a 413.
    let harness = Harness::new();
    for letter in ["x", "ł", "ب", "語", "🙂"] {
        let long = letter.repeat(complaints_web::form::MAX_TEXT_CHARS);
        let token = harness.token().await;
        let body = form_body(&token, &[("description", &long), ("outcome", &long), ("adjustments", &long)]);
        let reply = harness.post_form(&body).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{letter}: {} bytes", body.len());
    }
    assert_eq!(harness.cases().await.len(), 5);
}

#[tokio::test]
async fn the_same_token_sent_twice_makes_one_case_and_shows_the_same_reference() {
    let harness = Harness::new();
    let token = harness.token().await;
    let body = form_body(&token, &[]);
    let first = harness.post_form(&body).await;
    let second = harness.post_form(&body).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    assert_eq!(second.status, StatusCode::SEE_OTHER);
    assert_eq!(harness.cases().await.len(), 1);
    let reference = harness.cases().await[0].case.reference().to_string();
    assert!(harness.get(second.location()).await.body.contains(&reference));
    assert_eq!(harness.mailer.sent().len(), 1, "the repeat sends nothing");

    // A fresh form is a fresh complaint.
    let other = harness.token().await;
    assert_ne!(other, token);
    harness.post_form(&form_body(&other, &[])).await;
    assert_eq!(harness.cases().await.len(), 2);
}

#[tokio::test]
async fn a_forged_or_missing_token_keeps_the_answers_and_offers_a_fresh_form() {
    let harness = Harness::new();
    let token = harness.token().await;
    // Change the signature's last hex digit (to another digit: a '0' replaced by '0' is no forgery).
    let last = if token.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{last}", &token[..token.len() - 1]);
    assert_ne!(forged, token);
    for bad in ["", forged.as_str()] {
        let reply = harness.post_form(&form_body(bad, &[])).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        // The token has no box of its own, so the summary points at the button to press again.
        assert!(reply.body.contains("href=\"#send\""));
        assert!(reply.body.contains("id=\"send\""));
        assert!(reply.body.contains("My bin was not collected"));
        let fresh = token_in(&reply.body).expect("fresh token");
        assert!(!fresh.is_empty() && fresh != bad);
    }
    assert!(harness.cases().await.is_empty());
}

#[tokio::test]
async fn json_clients_get_201_with_the_reference_or_422_with_field_errors() {
    let harness = Harness::new();
    let token = harness.json_token().await;
    let complaint = serde_json::json!({
        "token": token,
        "name": "Jo Bloggs", "email": "jo@example.org", "service_area": "Housing and repairs",
        "description": "The repair to my roof has not been done.", "event_date": "2026-11-02", "child": "no"
    });
    let created = harness.post_json(&complaint).await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert!(created.headers[header::CONTENT_TYPE].to_str().expect("ascii").starts_with("application/json"));
    let receipt: complaints_web::JsonReceipt = serde_json::from_str(&created.body).expect("JSON receipt");
    let cases = harness.cases().await;
    assert_eq!(cases.len(), 1);
    assert_eq!(receipt.reference, cases[0].case.reference().to_string());
    assert_eq!(receipt.response_due, cases[0].case.response_due());
    assert_eq!(receipt.response_due_text, date_for_people(receipt.response_due));

    let mut missing = complaint.clone();
    missing["email"] = serde_json::json!("");
    missing["token"] = serde_json::json!(harness.json_token().await);
    let refused = harness.post_json(&missing).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.content_type(), "application/problem+json");
    let problem = refused.json();
    assert_eq!((problem["type"].as_str(), problem["status"].as_u64()), (Some("/problems/invalid-fields"), Some(422)));
    assert_eq!(problem["errors"][0]["field"], "email");
    assert_eq!(problem["errors"][0]["message"], "Enter your email address");

    let garbled = harness
        .send(
            Request::post("/")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{not json"))
                .expect("request"),
        )
        .await;
    assert_eq!(garbled.status, StatusCode::BAD_REQUEST);
    assert_eq!(garbled.content_type(), "application/problem+json");
    let not_an_object = harness.post_json(&serde_json::json!([1, 2])).await;
    assert_eq!(not_an_object.status, StatusCode::BAD_REQUEST);
    assert!(
        !not_an_object.body.contains("ComplaintForm") && !not_an_object.body.contains("struct"),
        "{}",
        not_an_object.body
    );
    assert_eq!(harness.cases().await.len(), 1);
}

#[tokio::test]
async fn a_json_repeat_with_the_same_token_returns_the_same_case() {
    let harness = Harness::new();
    let token = harness.token().await;
    let complaint = serde_json::json!({
        "token": token, "anonymous": true, "service_area": "Something else", "description": "Anonymous report."
    });
    let first = harness.post_json(&complaint).await;
    let second = harness.post_json(&complaint).await;
    assert_eq!((first.status, second.status), (StatusCode::CREATED, StatusCode::OK));
    let (a, b): (complaints_web::JsonReceipt, complaints_web::JsonReceipt) =
        (serde_json::from_str(&first.body).expect("json"), serde_json::from_str(&second.body).expect("json"));
    assert_eq!(a.reference, b.reference);
    assert!(b.duplicate && !a.duplicate);
    assert!(!a.acknowledged, "anonymous complaints get no email");
    assert_eq!(harness.cases().await.len(), 1);
    assert!(harness.cases().await[0].case.complaint().is_anonymous());
}

#[tokio::test]
async fn tampered_confirmation_links_and_unknown_pages_get_a_404_page() {
    let harness = Harness::new();
    let token = harness.token().await;
    let location = harness.post_form(&form_body(&token, &[])).await.location().to_owned();
    let tampered = location.replace("CMP-2026-00001", "CMP-2026-00002");
    assert_ne!(tampered, location, "the link names the case");
    for uri in
        [tampered.as_str(), "/confirmation", "/confirmation?reference=CMP-2026-00001&due=2026-12-02&sig=00", "/nope"]
    {
        let reply = harness.get(uri).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(reply.body.contains("<h1"), "{uri} has a page");
    }
}

#[tokio::test]
async fn pages_carry_security_headers_and_the_stylesheet_is_served() {
    let harness = Harness::new();
    let form = harness.get("/").await;
    let csp = form.headers[header::CONTENT_SECURITY_POLICY].to_str().expect("ascii");
    assert!(csp.contains("default-src 'none'") && csp.contains("form-action 'self'"));
    assert_eq!(form.headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(form.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let css = harness.get("/assets/style.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.headers[header::CONTENT_TYPE].to_str().expect("ascii").starts_with("text/css"));
    assert!(css.body.contains(":focus"), "focus styles");
}

#[tokio::test]
async fn an_unsupported_body_type_is_refused_with_a_page() {
    let harness = Harness::new();
    let reply = harness
        .send(Request::post("/").header(header::CONTENT_TYPE, "text/plain").body(Body::from("hello")).expect("request"))
        .await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(harness.cases().await.is_empty());
}

/// A store that is always down, to see what people get when something unexpected fails.
struct DownStore;

#[async_trait::async_trait]
impl complaints_app::ports::CaseStore for DownStore {
    async fn create(&self, _: complaints_app::ports::NewCase) -> Result<complaints_app::ports::StoredCase, StoreError> {
        Err(down())
    }
    async fn get(&self, _: &CaseRef) -> Result<complaints_app::ports::StoredCase, StoreError> {
        Err(down())
    }
    async fn update_with_messages(
        &self,
        _: &Case,
        _: u64,
        _: Vec<TimelineEvent>,
        _: Vec<complaints_app::outbound::NewMessage>,
    ) -> Result<u64, StoreError> {
        Err(down())
    }
    async fn timeline(&self, _: &CaseRef) -> Result<Vec<TimelineEvent>, StoreError> {
        Err(down())
    }
    async fn open_due_by(&self, _: NaiveDate) -> Result<Vec<complaints_app::ports::StoredCase>, StoreError> {
        Err(down())
    }
    async fn received_between(
        &self,
        _: NaiveDate,
        _: NaiveDate,
    ) -> Result<Vec<complaints_app::ports::StoredCase>, StoreError> {
        Err(down())
    }
    async fn closed_between(
        &self,
        _: NaiveDate,
        _: NaiveDate,
    ) -> Result<Vec<complaints_app::ports::StoredCase>, StoreError> {
        Err(down())
    }
    async fn find_by_contact(&self, _: &ContactKey) -> Result<Vec<CaseRef>, StoreError> {
        Err(down())
    }
    async fn record_message(&self, _: &str, _: &CaseRef) -> Result<(), StoreError> {
        Err(down())
    }
    async fn case_for_message(&self, _: &str) -> Result<Option<CaseRef>, StoreError> {
        Err(down())
    }
    async fn place_alert_marker(&self, _: &str, _: &CaseRef) -> Result<bool, StoreError> {
        Err(down())
    }
    async fn pending_messages(
        &self,
        _: chrono::DateTime<chrono::Utc>,
        _: usize,
    ) -> Result<Vec<complaints_app::outbound::PendingMessage>, StoreError> {
        Err(down())
    }
    async fn claim_message(
        &self,
        _: &str,
        _: chrono::DateTime<chrono::Utc>,
        _: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<complaints_app::outbound::PendingMessage>, StoreError> {
        Err(down())
    }
    async fn finish_message(
        &self,
        _: &str,
        _: complaints_app::outbound::DeliveryResult,
        _: Option<TimelineEvent>,
    ) -> Result<(), StoreError> {
        Err(down())
    }
    async fn message(&self, _: &str) -> Result<Option<complaints_app::outbound::PendingMessage>, StoreError> {
        Err(down())
    }
    async fn automatic_messages_since(
        &self,
        _: &ContactKey,
        _: chrono::DateTime<chrono::Utc>,
    ) -> Result<u32, StoreError> {
        Err(down())
    }
}

fn down() -> StoreError {
    StoreError::Unavailable("database file is locked at /secret/path".into())
}

#[tokio::test]
async fn an_unexpected_failure_shows_a_500_page_without_detail() {
    let intake = complaints_app::testing::intake_service(
        std::sync::Arc::new(DownStore),
        std::sync::Arc::new(complaints_app::testing::RecordingMailer::new()),
        support::now(),
    );
    let state = complaints_web::WebState::new(intake, support::FORM_SECRET).expect("pages");
    let app = complaints_web::router(state);
    let form = tower::ServiceExt::oneshot(app.clone(), Request::get("/").body(Body::empty()).expect("request"))
        .await
        .expect("ok");
    let html = http_body_util::BodyExt::collect(form.into_body()).await.expect("body").to_bytes();
    let token = token_in(&String::from_utf8_lossy(&html)).expect("token");
    let request = Request::post("/")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form_body(&token, &[])))
        .expect("request");
    let response = tower::ServiceExt::oneshot(app, request).await.expect("ok");
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body = http_body_util::BodyExt::collect(response.into_body()).await.expect("body").to_bytes();
    let page = String::from_utf8_lossy(&body);
    assert!(page.contains("Sorry, there is a problem with the service"));
    assert!(!page.contains("locked") && !page.contains("/secret/path"), "no detail leaks");
}

#[tokio::test]
async fn a_month_that_cannot_be_read_is_linked_to_the_month_box() {
    let harness = Harness::new();
    let token = harness.token().await;
    let parts = [("event_date_day", "3"), ("event_date_month", "Smarch"), ("event_date_year", "2026")];
    let html = harness.post_form(&form_body(&token, &parts)).await.body;
    assert!(html.contains("<a href=\"#event_date_month\">The month of the date it happened must be"), "{html}");
    assert!(input_tag(&html, "event_date_month").contains("aria-invalid=\"true\""));
    assert!(!input_tag(&html, "event_date_day").contains("aria-invalid"));
    let sept = [("event_date_day", "3"), ("event_date_month", "Sept"), ("event_date_year", "2026")];
    let reply = harness.post_form(&form_body(&token, &sept)).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(harness.cases().await[0].case.complaint().event_date, NaiveDate::from_ymd_opt(2026, 9, 3));
}

#[tokio::test]
async fn hidden_direction_controls_in_answers_shown_again_are_made_visible() {
    let harness = Harness::new();
    let token = harness.token().await;
    let body = form_body(&token, &[("email", ""), ("description", "Pay \u{202e}01$ \u{2066}now")]);
    let html = harness.post_form(&body).await.body;
    assert!(html.contains("Pay \u{fffd}01$ \u{fffd}now"), "{html}");
    assert!(!html.contains('\u{202e}') && !html.contains('\u{2066}'));
}

#[tokio::test]
async fn a_json_client_that_accepts_json_gets_problem_details_for_an_unsupported_body() {
    let harness = Harness::new();
    let reply = harness
        .send(
            Request::post("/")
                .header(header::CONTENT_TYPE, "text/plain")
                .header(header::ACCEPT, "application/json")
                .body(Body::from("hello"))
                .expect("request"),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(reply.content_type(), "application/problem+json");
    assert_eq!(reply.json()["status"], 415);
    assert_eq!(reply.json()["type"], "/problems/unsupported-media-type");
}

#[tokio::test]
async fn an_oversized_json_body_gets_problem_details() {
    let harness = Harness::new();
    let app = complaints_web::router(harness.state.clone().with_body_limit(1024));
    let body = serde_json::json!({ "description": "x".repeat(4096) }).to_string();
    let request =
        Request::post("/").header(header::CONTENT_TYPE, "application/json").body(Body::from(body)).expect("request");
    let response = tower::ServiceExt::oneshot(app, request).await.expect("infallible");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/problem+json");
    let bytes = http_body_util::BodyExt::collect(response.into_body()).await.expect("body").to_bytes();
    let problem: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
    assert_eq!((problem["status"].as_u64(), problem["type"].as_str()), (Some(413), Some("/problems/too-large")));
    assert!(problem["title"].is_string() && problem["detail"].is_string());
}
