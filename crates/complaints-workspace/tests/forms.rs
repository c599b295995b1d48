//! The forms through the router (`tower::ServiceExt::oneshot`) on the memory store: logging a
//! complaint with a representative, a child and the moment it reached us, with its acknowledgement
//! previewed on the check page; the child's record with capacity, parents and the child's own
//! decision; and the case page offering only the actions the case's state permits.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use axum::http::StatusCode;
use common::{CSRF, Reply, World, at, get, post, user};
use complaints_app::ports::CaseStore;
use complaints_app::staff::{LogComplaint, StaffAction};
use complaints_core::case::MessagePurpose;
use complaints_core::complaint::ChildInvolvement;
use complaints_core::outcome::Outcome;
use complaints_core::records::ChildWish;
use complaints_core::reference::CaseRef;
use complaints_core::roles::Role;

/// Logs [`World::phoned`], with no outcome sought.
async fn log(world: &World) -> CaseRef {
    world.log_complaint(LogComplaint { outcome_sought: None, ..world.phoned() }).await
}

fn with<'a>(base: &[(&'a str, &'a str)], more: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form: Vec<(&str, &str)> =
        base.iter().filter(|(key, _)| !more.iter().any(|(k, _)| k == key)).copied().collect();
    form.extend_from_slice(more);
    form
}

#[tokio::test]
async fn a_letter_logged_a_day_late_keeps_its_clock_from_receipt_and_its_acknowledgement_is_previewed() {
    let world = World::new();
    let app = world.app(Role::Handler);
    let area = world.staff.config.service_areas[0].clone();
    let form = [
        ("csrf", CSRF),
        ("channel", "letter"),
        ("received_at", "2026-11-30T09:30"),
        ("name", "Alex Example"),
        ("email", "alex@example.net"),
        ("representation_person_affected", "Sam Example"),
        ("representation_relationship", "Father"),
        ("representation_consent", "yes"),
        ("child", "adult-about-child"),
        ("service_area", area.as_str()),
        ("description", "The school crossing light has been out for a month."),
        ("note", "Letter dated 27 November, received yesterday."),
    ];
    let check = post(app.clone(), "/staff/cases/new", &form).await;
    assert_eq!(check.status, StatusCode::OK, "{}", check.body);
    assert!(check.body.contains("Check the complaint before you log it"));
    assert!(check.body.contains("Received Monday 30 November 2026, 09:30"), "{}", check.body);
    assert!(check.body.contains("The acknowledgement that will be sent"), "{}", check.body);
    assert!(check.body.contains("By email to") && check.body.contains("alex@example.net"));
    assert!(world.store.all_cases().is_empty(), "checking saves nothing");

    let done = post(app, "/staff/cases/new", &with(&form, &[("step", "confirm")])).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let cases = world.store.all_cases();
    assert_eq!(cases.len(), 1);
    let case = &cases[0].case;
    assert_eq!(case.received_at(), at("2026-11-30T09:30:00Z"), "the clock runs from receipt, not from typing");
    let representation = case.complaint().representation.as_ref().expect("a representative");
    assert_eq!((representation.person_affected.as_str(), representation.consent_confirmed), ("Sam Example", true));
    assert_eq!(case.complaint().child, Some(ChildInvolvement::AdultAboutChild));
    // The acknowledgement sent is the one the check page showed (the reference aside).
    let timeline = world.store.timeline(case.reference()).await.expect("timeline");
    let sent = timeline
        .iter()
        .find_map(|event| match &event.what {
            complaints_core::case::CaseEvent::MessageQueued {
                message_id,
                purpose: MessagePurpose::Acknowledgement,
            } => Some(message_id.clone()),
            _ => None,
        })
        .expect("an acknowledgement was queued");
    let stored = world.store.message(&sent).await.expect("read").expect("the message");
    let parsed = mail_parser::MessageParser::default().parse(&stored.message.raw).expect("parses");
    let subject = parsed.subject().expect("a subject").replace(&case.reference().to_string(), "CMP-2026-00000");
    assert!(!subject.is_empty());
    assert!(check.body.contains(&format!("Subject: {subject}")), "the previewed subject is {subject:?}");
}

#[tokio::test]
async fn a_representative_without_consent_and_a_receipt_after_now_are_refused_with_the_rule_and_nothing_is_saved() {
    let world = World::new();
    let app = world.app(Role::Handler);
    let area = world.staff.config.service_areas[0].clone();
    let form = [
        ("csrf", CSRF),
        ("channel", "phone"),
        ("name", "Alex Example"),
        ("email", "alex@example.net"),
        ("representation_person_affected", "Sam Example"),
        ("representation_relationship", "Neighbour"),
        ("representation_consent", "no"),
        ("service_area", area.as_str()),
        ("description", "The streetlight has been out for a month."),
        ("note", "Called at 09:40."),
    ];
    let refused = post(app.clone(), "/staff/cases/new", &form).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(
        refused.body.contains(
            r##"<a href="#representation_consent">A representative needs the consent of the person affected (R52)</a>"##
        ),
        "{}",
        refused.body
    );
    let blank_person = post(
        app.clone(),
        "/staff/cases/new",
        &with(&form, &[("representation_person_affected", ""), ("representation_consent", "yes")]),
    )
    .await;
    assert_eq!(blank_person.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        blank_person
            .body
            .contains(r##"<a href="#representation_person_affected">Person affected must not be blank</a>"##),
        "{}",
        blank_person.body
    );
    let future = post(
        app.clone(),
        "/staff/cases/new",
        &with(&form, &[("representation_consent", "yes"), ("received_at", "2026-12-02 09:00")]),
    )
    .await;
    assert_eq!(future.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(future.body.contains("When it reached us: must not be after the moment it is logged"), "{}", future.body);
    let confirmed = post(app, "/staff/cases/new", &with(&form, &[("step", "confirm")])).await;
    assert_eq!(confirmed.status, StatusCode::UNPROCESSABLE_ENTITY, "confirming is refused the same way");
    assert!(world.store.all_cases().is_empty(), "nothing was logged");
}

#[tokio::test]
async fn someone_who_prefers_letters_is_shown_the_printed_acknowledgement_and_an_anonymous_complaint_none() {
    let world = World::new();
    let app = world.app(Role::Handler);
    let area = world.staff.config.service_areas[0].clone();
    let form = [
        ("csrf", CSRF),
        ("channel", "in-person"),
        ("name", "Alex Example"),
        ("postal_address", "1 High Street, Kirkcaldy KY1 1AA"),
        ("preferred_contact", "letter"),
        ("service_area", area.as_str()),
        ("description", "The library was closed without notice."),
        ("note", "Came to the front desk."),
    ];
    let check = post(app.clone(), "/staff/cases/new", &form).await;
    assert_eq!(check.status, StatusCode::OK, "{}", check.body);
    assert!(check.body.contains("A printed letter"), "{}", check.body);
    let anonymous = post(app, "/staff/cases/new", &with(&form, &[("name", ""), ("preferred_contact", "")])).await;
    assert_eq!(anonymous.status, StatusCode::OK, "{}", anonymous.body);
    assert!(anonymous.body.contains("No acknowledgement will be sent") && anonymous.body.contains("(R51)"));
}

#[tokio::test]
async fn the_child_record_carries_capacity_parents_and_the_childs_decision_and_the_core_names_its_rules() {
    let world = World::new();
    let reference = log(&world).await;
    let version = world.version(&reference).await.to_string();
    let app = world.app(Role::Handler);
    let uri = format!("/staff/cases/{reference}/actions/record-child");
    let form = GetForm::page(get(app.clone(), &uri).await);
    for id in ["record_capacity", "record_capacity_by", "record_parents", "record_not_told", "record_decision"] {
        assert!(form.0.contains(&format!("id=\"{id}\"")), "the form asks {id}");
    }
    let base = [
        ("csrf", CSRF),
        ("version", version.as_str()),
        ("record_involvement", "child-complainant"),
        ("record_age_band", "from16-to17"),
        ("record_capacity", "yes"),
        ("record_capacity_by", "Team leader"),
        ("record_capacity_on", "2026-12-01"),
        ("record_parents", "involved"),
        ("record_parents_reason", "The child asked for their mother to help"),
        ("record_not_told", "no"),
        ("record_decision", "go-on"),
        ("record_decision_on", "2026-12-01"),
    ];
    let nobody = post(app.clone(), &uri, &with(&base, &[("record_capacity_by", "")])).await;
    assert!(nobody.status.is_client_error(), "{}", nobody.status);
    assert!(nobody.body.contains("refused by R44: capacity decided by must not be blank"), "{}", nobody.body);
    let untold = post(app.clone(), &uri, &with(&base, &[("record_not_told", "yes")])).await;
    assert!(untold.body.contains("refused by R56"), "{}", untold.body);
    let orphan = post(app.clone(), &uri, &with(&base, &[("record_decision", "")])).await;
    assert!(
        orphan.body.contains(
            r##"<a href="#record_decision">Choose the child&#x27;s decision, or leave its details blank</a>"##
        ),
        "{}",
        orphan.body
    );
    assert_eq!(world.version(&reference).await.to_string(), version, "refusals change nothing");

    let done = post(app, &uri, &with(&base, &[("step", "confirm")])).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let case = world.store.get(&reference).await.expect("case").case;
    let child = case.records().child.as_ref().expect("recorded");
    let capacity = child.capacity.as_ref().expect("capacity");
    assert!(capacity.has_capacity && capacity.decided_by == "Team leader");
    let parents = child.parents.as_ref().expect("parents");
    assert!(parents.involved && !parents.parent_asked_child_not_told && parents.best_interests_decision.is_none());
    assert_eq!(child.child_decision.map(|decision| decision.wish), Some(ChildWish::GoOn));
    assert!(child.child_controls_going_on(), "the child now controls going on (R56)");
    let page = get(world.app(Role::Handler), &format!("/staff/cases/{reference}")).await;
    assert!(!page.body.contains("/actions/withdraw\""), "so a withdrawal is no longer offered");
}

/// A page's HTML, to look for its boxes.
struct GetForm(String);

impl GetForm {
    fn page(reply: Reply) -> Self {
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        Self(reply.body)
    }
}

#[tokio::test]
async fn the_case_page_offers_only_the_actions_its_state_permits() {
    let world = World::new();
    let reference = log(&world).await;
    let path = format!("/staff/cases/{reference}");
    let link = |action: &str| format!("href=\"{path}/actions/{action}\"");
    let page = get(world.app(Role::Manager), &path).await;
    for offered in ["respond", "extend", "stage2", "withdraw", "not-a-complaint", "assign", "restrict"] {
        assert!(page.body.contains(&link(offered)), "{offered} is offered at stage 1");
    }
    for hidden in
        ["close", "acknowledge", "escalate", "reopen", "refer-spso", "update", "record-consent", "accept-late"]
    {
        assert!(!page.body.contains(&link(hidden)), "{hidden} is not offered at stage 1");
    }
    let respond = StaffAction::Respond {
        outcome: Outcome::Resolved,
        note: "We collected the bin.".to_owned(),
        route_given_by: None,
        staff_parts: Vec::new(),
    };
    world.staff.perform(&user(Role::Handler), &reference, None, respond, None).await.expect("responded");
    let page = get(world.app(Role::Manager), &path).await;
    for offered in ["escalate", "reopen", "agree-action", "classify"] {
        assert!(page.body.contains(&link(offered)), "{offered} is offered after the stage 1 response");
    }
    for hidden in ["respond", "extend", "withdraw", "not-a-complaint", "close", "assign"] {
        assert!(!page.body.contains(&link(hidden)), "{hidden} is not offered after the stage 1 response");
    }
    // What is hidden is still refused by the server, naming the rule, if asked for anyway.
    let version = world.version(&reference).await.to_string();
    let forced = post(
        world.app(Role::Manager),
        &format!("{path}/actions/withdraw"),
        &[("csrf", CSRF), ("version", version.as_str()), ("step", "confirm")],
    )
    .await;
    assert!(forced.status.is_client_error(), "{}", forced.status);
    assert!(forced.body.contains("refused by R40"), "{}", forced.body);
    assert!(forced.location().is_empty());
}
