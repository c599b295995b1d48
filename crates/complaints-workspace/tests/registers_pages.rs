//! The registers' pages through the router (`tower::ServiceExt::oneshot`) with a fixed signed-in
//! member of staff: what each page shows, role refusals, CSRF refusals, hostile text escaped,
//! and `Cache-Control: no-store` on every answer.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use chrono::{NaiveDate, TimeZone, Utc};
use complaints_app::flagged::{FlagKind, FlagStore, FlaggedItem, case_flag_id};
use complaints_app::held_mail::{HeldMail, HeldMailStore, MemoryHeldMail};
use complaints_app::learning::{self, LearningStore};
use complaints_app::ports::{CaseStore, NewCase};
use complaints_app::quality::QualityStore;
use complaints_app::staff::{MemoryAuditLog, StaffActions, StaffUser};
use complaints_app::testing::{MemoryCaseStore, RecordingMailer, intake_service, sample_complaint};
use complaints_app::testing_read::MemoryLearningStore;
use complaints_app::testing_registers::{MemoryFlagStore, MemoryQualityStore};
use complaints_core::calendar::Calendar;
use complaints_core::case::{Case, PointOfComplaint, Rules, StaffFlag};
use complaints_core::command::Command;
use complaints_core::complaint::Channel;
use complaints_core::outcome::{Outcome, SpsoOutcome};
use complaints_core::policy::Policy;
use complaints_core::reference::CaseRef;
use complaints_core::roles::Role;
use complaints_core::signposting::{SpsoSignposting, Stage2Signposting};
use complaints_core::timeline::Actor;
use complaints_workspace::session::{FixedSessions, SignedIn};
use complaints_workspace::{WorkspaceState, router};
use http_body_util::BodyExt;
use tower::ServiceExt;

const CSRF: &str = "token-0123456789abcdef";
const HOSTILE: &str = "<script>alert('x')</script>";

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 20, 10, 0, 0).single().expect("instant")
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).expect("date")
}

struct World {
    cases: Arc<MemoryCaseStore>,
    learning: Arc<MemoryLearningStore>,
    quality: Arc<MemoryQualityStore>,
    flags: Arc<MemoryFlagStore>,
    held: Arc<MemoryHeldMail>,
    audit: Arc<MemoryAuditLog>,
    staff: StaffActions,
}

impl World {
    fn new() -> Self {
        let cases = Arc::new(MemoryCaseStore::new());
        let intake = intake_service(cases.clone(), Arc::new(RecordingMailer::new()), now());
        let audit = Arc::new(MemoryAuditLog::new());
        let staff = StaffActions::from_intake(&intake, audit.clone());
        Self {
            cases,
            learning: Arc::new(MemoryLearningStore::new()),
            quality: Arc::new(MemoryQualityStore::default()),
            flags: Arc::new(MemoryFlagStore::default()),
            held: Arc::new(MemoryHeldMail::new()),
            audit,
            staff,
        }
    }

    fn app(&self, id: &str, role: Role) -> axum::Router {
        let user = StaffUser { id: id.to_owned(), name: format!("{id} {HOSTILE}"), role, email: None };
        self.app_with(Some(SignedIn { user, csrf: CSRF.to_owned() }))
    }

    fn app_with(&self, signed_in: Option<SignedIn>) -> axum::Router {
        router(WorkspaceState {
            staff: self.staff.clone(),
            indexes: self.cases.clone(),
            queries: self.cases.clone(),
            learning: self.learning.clone(),
            sessions: Arc::new(FixedSessions(signed_in)),
            quality: self.quality.clone(),
            flags: self.flags.clone(),
            held_mail: self.held.clone(),
            staff_items: self.cases.clone(),
        })
    }

    /// A case handled by `handler`, with `commands` applied in order (each on its date).
    async fn case(&self, handler: &str, commands: Vec<(Command, NaiveDate)>) -> CaseRef {
        let calendar = Calendar::scotland();
        let policy = Policy::default();
        let rules = Rules { calendar: &calendar, policy: &policy };
        let received = Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).single().expect("instant");
        let (case, events) = Case::open(
            CaseRef::new("CMP", 2026, 0).expect("reference"),
            sample_complaint(Channel::Email, Some("jo@example.net")),
            received,
            handler.to_owned(),
            None,
            rules,
            Actor::System,
        );
        let stored = self.cases.create(NewCase { case, events, source_key: None, mail: None }).await.expect("create");
        let (mut case, mut version) = (stored.case, stored.version);
        for (command, on) in commands {
            let when = on.and_hms_opt(15, 0, 0).expect("time").and_utc();
            let (next, events) = case.apply(command, when, Actor::Staff(handler.to_owned()), rules).expect("allowed");
            version = self.cases.update(&next, version, events).await.expect("stored");
            case = next;
        }
        case.reference().clone()
    }

    async fn closed_stage1(&self, handler: &str, outcome: Outcome) -> CaseRef {
        let signposting = Stage2Signposting { given_on: day(4), channel: Channel::Email, time_limit_given: true };
        self.case(
            handler,
            vec![(Command::CloseStage1 { responded_on: day(4), outcome, signposting: Some(signposting) }, day(4))],
        )
        .await
    }

    async fn referred(&self, decided: bool) -> CaseRef {
        let points = vec![PointOfComplaint { summary: "Bins".to_owned(), outcome_sought: "Collect".to_owned() }];
        let spso = SpsoSignposting { given_on: day(5), channel: Channel::Email, template_version: "1".to_owned() };
        let mut commands = vec![
            (Command::RouteDirectToStage2 { routed_on: day(2), reason: "Asked".to_owned() }, day(2)),
            (Command::AcknowledgeStage2 { acknowledged_on: day(3), points, agreed_on: day(3) }, day(3)),
            (
                Command::CloseStage2 {
                    responded_on: day(5),
                    point_outcomes: vec![Outcome::NotUpheld],
                    outcome_override: None,
                    signposting: Some(spso),
                },
                day(5),
            ),
            (Command::ReferToSpso { referred_on: day(10) }, day(10)),
        ];
        if decided {
            commands
                .push((Command::RecordSpsoOutcome { decided_on: day(18), outcome: SpsoOutcome::SomeUpheld }, day(18)));
        }
        self.case("ann", commands).await
    }
}

async fn send(app: axum::Router, request: Request<Body>) -> (StatusCode, HeaderMap, String) {
    let response = app.oneshot(request).await.expect("answered");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.expect("body").to_bytes();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).expect("request")
}

fn post(path: &str, form: &[(&str, &str)]) -> Request<Body> {
    let body = serde_urlencoded::to_string(form).expect("form");
    Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .expect("request")
}

fn assert_no_store(headers: &HeaderMap) {
    assert_eq!(headers.get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()), Some("no-store"));
}

fn assert_escaped(body: &str) {
    assert!(!body.contains(HOSTILE), "hostile text must never be printed as markup");
    assert!(body.contains("&lt;script&gt;"), "hostile text is shown escaped");
}

fn location(headers: &HeaderMap) -> &str {
    headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

#[tokio::test]
async fn nobody_signed_in_is_sent_to_sign_in_from_every_register() {
    let world = World::new();
    for path in
        ["/staff/learning", "/staff/spso", "/staff/flagged", "/staff/quality", "/staff/quality/review?closure=x"]
    {
        let (status, headers, _) = send(world.app_with(None), get(path)).await;
        assert!(status.is_redirection(), "{path}: {status}");
        assert!(location(&headers).starts_with("/staff/sign-in"), "{path}");
    }
}

#[tokio::test]
async fn the_learning_register_lists_open_actions_escaped_and_tags_the_overdue() {
    let world = World::new();
    let reference = world.closed_stage1("ann", Outcome::Upheld).await;
    learning::create(
        world.learning.as_ref(),
        "LA-0000000A".to_owned(),
        HOSTILE.to_owned(),
        "Train the team".to_owned(),
        "Bins team".to_owned(),
        day(1),
        day(10),
        vec![reference.clone()],
    )
    .await
    .expect("action");
    let (status, headers, body) = send(world.app("ann", Role::Handler), get("/staff/learning")).await;
    assert_eq!(status, StatusCode::OK);
    assert_no_store(&headers);
    assert_escaped(&body);
    assert!(body.contains("LA-0000000A"));
    assert!(body.contains("Overdue"), "due on the 10th, today is the 20th");
    assert!(body.contains(&format!("href=\"/staff/cases/{reference}\"")));
    assert!(body.contains(&format!("name=\"csrf\" value=\"{CSRF}\"")), "forms carry the token");
}

#[tokio::test]
async fn adding_a_learning_action_needs_the_token_the_role_and_every_field() {
    let world = World::new();
    let reference = world.closed_stage1("ann", Outcome::Upheld).await.to_string();
    let form = |csrf: &'static str| {
        vec![
            ("csrf", csrf),
            ("root_cause", "Letters went to an old address"),
            ("action", "Check the address on every letter"),
            ("owner", "Complaints team"),
            ("due_on", "2026-04-30"),
        ]
    };
    let with_case = |mut fields: Vec<(&'static str, &'static str)>, case: &str| {
        let mut owned: Vec<(String, String)> = fields.drain(..).map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
        owned.push(("cases".to_owned(), case.to_owned()));
        owned
    };
    let post_owned = |fields: &[(String, String)]| {
        let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        post("/staff/learning", &borrowed)
    };

    let (status, _, _) =
        send(world.app("ann", Role::Handler), post_owned(&with_case(form("wrong-token"), &reference))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a forged form is refused");
    let (status, _, body) = send(world.app("dee", Role::Auditor), post_owned(&with_case(form(CSRF), &reference))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "auditors change nothing");
    assert!(body.contains("auditor"));
    assert!(world.learning.open_learning().await.expect("list").is_empty(), "nothing was added");

    let (status, _, body) =
        send(world.app("ann", Role::Handler), post_owned(&with_case(form(CSRF), "not-a-ref <b>"))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("There is a problem") && body.contains("href=\"#cases\""),
        "the error summary links to the field"
    );
    assert!(body.contains("not-a-ref &lt;b&gt;"), "what was typed is shown back, escaped");

    let (status, headers, _) =
        send(world.app("ann", Role::Handler), post_owned(&with_case(form(CSRF), &reference))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), "/staff/learning?notice=created");
    let open = world.learning.open_learning().await.expect("list");
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].cases, vec![reference.parse::<CaseRef>().expect("reference")]);

    let id = open[0].id.clone();
    let (status, _, _) =
        send(world.app("ann", Role::Handler), post("/staff/learning/complete", &[("csrf", ""), ("id", &id)])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) =
        send(world.app("ann", Role::Handler), post("/staff/learning/complete", &[("csrf", CSRF), ("id", &id)])).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(world.learning.learning(&id).await.expect("read").action.done_on, Some(day(20)));
}

#[tokio::test]
async fn the_spso_page_lists_referred_cases_with_the_spso_outcome_or_awaiting() {
    let world = World::new();
    let decided = world.referred(true).await;
    let awaiting = world.referred(false).await;
    let not_referred = world.closed_stage1("ann", Outcome::Upheld).await;
    let (status, headers, body) = send(world.app("dee", Role::Auditor), get("/staff/spso")).await;
    assert_eq!(status, StatusCode::OK);
    assert_no_store(&headers);
    assert!(body.contains(&format!("/staff/cases/{decided}")) && body.contains(&format!("/staff/cases/{awaiting}")));
    assert!(!body.contains(&format!("/staff/cases/{not_referred}\"")), "only referred cases");
    assert!(body.contains("Some upheld") && body.contains("Awaiting the SPSO"));
    assert!(body.contains("2 referred, 1 awaiting the SPSO"));
    let (status, _, body) = send(world.app("dee", Role::Auditor), get("/staff/spso?from=%3Cx%3E&to=2026-03-31")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("&lt;x&gt;") && !body.contains("<x>"));
}

#[tokio::test]
async fn flagged_items_are_listed_and_dealt_with_by_handlers_with_the_token_and_a_note() {
    let world = World::new();
    let reference = CaseRef::new("CMP", 2026, 9).expect("reference");
    let at = Utc.with_ymd_and_hms(2026, 3, 19, 9, 0, 0).single().expect("instant");
    let item = FlaggedItem {
        id: case_flag_id(&reference, at, StaffFlag::PossibleSpam),
        kind: FlagKind::Case(StaffFlag::PossibleSpam),
        reference: Some(reference.clone()),
        raised_at: at,
        detail: HOSTILE.to_owned(),
        dealt_with: None,
    };
    world.flags.raise_flag(&item).await.expect("raise");
    let (status, headers, body) = send(world.app("ann", Role::Handler), get("/staff/flagged")).await;
    assert_eq!(status, StatusCode::OK);
    assert_no_store(&headers);
    assert_escaped(&body);
    assert!(body.contains("Possible spam") && body.contains(&format!("/staff/cases/{reference}")));

    let deal = |csrf: &str, note: &str| {
        post("/staff/flagged/deal", &[("csrf", csrf), ("id", item.id.as_str()), ("note", note)])
    };
    let (status, _, _) = send(world.app("ann", Role::Handler), deal("nope", "done")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = send(world.app("dee", Role::Auditor), deal(CSRF, "done")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, body) = send(world.app("ann", Role::Handler), deal(CSRF, "  ")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("href=\"#note-1\""), "the summary links to the row's note");
    assert!(world.flags.flag(&item.id).await.expect("read").and_then(|i| i.dealt_with).is_none());

    let (status, headers, _) = send(world.app("ann", Role::Handler), deal(CSRF, "A real person: acknowledged")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), "/staff/flagged?notice=dealt");
    let dealt = world.flags.flag(&item.id).await.expect("read").and_then(|i| i.dealt_with).expect("dealt with");
    assert_eq!(dealt.by, "ann");
    let (_, _, body) = send(world.app("ann", Role::Handler), get("/staff/flagged?notice=dealt")).await;
    assert!(body.contains("Nothing is waiting") && body.contains("marked as dealt with"));
}

#[tokio::test]
async fn the_quality_check_samples_resolved_closures_and_only_a_manager_who_did_not_handle_it_reviews() {
    let world = World::new();
    let resolved = world.closed_stage1("ann", Outcome::Resolved).await;
    let closure = format!("{resolved}/1/2026-03-04");
    let (status, headers, body) = send(world.app("bob", Role::Manager), get("/staff/quality?period=2026-03")).await;
    assert_eq!(status, StatusCode::OK);
    assert_no_store(&headers);
    assert!(body.contains(&format!("/staff/cases/{resolved}")));
    assert!(body.contains("closure is read (R48)"), "the reason is given");
    let link = format!("/staff/quality/review?closure={}", urlencode(&closure));
    assert!(body.contains(&link), "the manager is offered the review");

    let review = |csrf: &str, findings: &str| {
        post(
            "/staff/quality/review",
            &[
                ("csrf", csrf),
                ("closure", closure.as_str()),
                ("response-on-time", "yes"),
                ("all-points-answered", "no"),
                ("outcome-explained", "yes"),
                ("signposting-correct", "yes"),
                ("letter-quality", "not-applicable"),
                ("findings", findings),
                ("learning", ""),
            ],
        )
    };
    let (status, _, _) = send(world.app("bob", Role::Manager), review("forged", HOSTILE)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "csrf");
    let (status, _, _) = send(world.app("carl", Role::Handler), review(CSRF, HOSTILE)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "handlers are not second readers");
    let (status, _, body) = send(world.app("ann", Role::Manager), review(CSRF, HOSTILE)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "nobody reviews their own case");
    assert!(body.contains("You handled this case"));
    let (status, _, body) = send(world.app("bob", Role::Manager), review(CSRF, "")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a no needs findings");
    assert!(body.contains("href=\"#findings\""));
    assert!(world.quality.review_of(&closure).await.expect("read").is_none());

    let (status, headers, _) = send(world.app("bob", Role::Manager), review(CSRF, HOSTILE)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), "/staff/quality?period=2026-03&notice=reviewed");
    let (_, _, body) =
        send(world.app("dee", Role::Auditor), get(&format!("/staff/quality/review?closure={}", urlencode(&closure))))
            .await;
    assert_escaped(&body);
    assert!(body.contains("Review by bob"));
    let (_, _, body) = send(world.app("bob", Role::Manager), get("/staff/quality?period=2026-03")).await;
    assert!(body.contains("Reviewed, with failings"));
}

fn urlencode(text: &str) -> String {
    serde_urlencoded::to_string([("x", text)]).expect("encode").trim_start_matches("x=").to_owned()
}

#[tokio::test]
async fn held_mail_is_listed_with_its_sender_and_subject_escaped_and_expired_mail_left_out() {
    let world = World::new();
    let received = Utc.with_ymd_and_hms(2026, 3, 19, 8, 0, 0).single().expect("instant");
    let held = HeldMail {
        id: "held-1".to_owned(),
        received_at: received,
        outcome: "robot".to_owned(),
        reason: "auto-submitted".to_owned(),
        raw_key: "raw/held-1".to_owned(),
        message_id: None,
        from: Some(format!("robot@example.net {HOSTILE}")),
        subject: format!("Out of office {HOSTILE}"),
        expires_at: None,
    };
    let expired = HeldMail {
        id: "held-2".to_owned(),
        subject: "Gone already".to_owned(),
        expires_at: Some(now() - chrono::Duration::hours(1)),
        ..held.clone()
    };
    world.held.hold_mail(&held).await.expect("hold");
    world.held.hold_mail(&expired).await.expect("hold");
    let (status, headers, body) = send(world.app("dee", Role::Auditor), get("/staff/flagged")).await;
    assert_eq!(status, StatusCode::OK);
    assert_no_store(&headers);
    assert_escaped(&body);
    assert!(body.contains("Email kept without a case (1)"), "the count is shown");
    assert!(body.contains("From a robot") && body.contains("auto-submitted") && body.contains("Out of office"));
    assert!(body.contains("robot@example.net"), "the sender is shown");
    assert!(body.contains("Out of office &lt;script&gt;"), "the subject is escaped, not dropped");
    assert!(!body.contains("Gone already"), "mail past its expiry is not listed");
}

#[tokio::test]
async fn social_items_are_listed_and_marked_dealt_with_by_handlers_with_the_token() {
    use complaints_app::staff_items::{StaffItem, StaffItemKind, StaffItemStore};
    let world = World::new();
    let reference = CaseRef::new("CMP", 2026, 7).expect("reference");
    let item = StaffItem {
        id: "item-1".to_owned(),
        kind: StaffItemKind::AttachmentFailed,
        source: "meta".to_owned(),
        reason: HOSTILE.to_owned(),
        object_key: "social/raw/1".to_owned(),
        case_ref: Some(reference.to_string()),
        received_at: Utc.with_ymd_and_hms(2026, 3, 19, 9, 30, 0).single().expect("instant"),
        resolved_at: None,
        resolved_by: None,
    };
    world.cases.record_staff_item(&item).await.expect("record");
    let (status, headers, body) = send(world.app("ann", Role::Handler), get("/staff/flagged")).await;
    assert_eq!(status, StatusCode::OK);
    assert_no_store(&headers);
    assert_escaped(&body);
    assert!(body.contains("Social messages kept for staff (1)"), "the count is shown");
    assert!(body.contains("Attachment could not be fetched") && body.contains(&format!("/staff/cases/{reference}")));
    assert!(body.contains("<span class=\"hint\">&lt;script&gt;"), "the reason is escaped, not dropped");
    assert!(body.contains("action=\"/staff/flagged/item\""), "a handler gets the form");
    let (_, _, body) = send(world.app("dee", Role::Auditor), get("/staff/flagged")).await;
    assert!(!body.contains("action=\"/staff/flagged/item\""), "an auditor does not");

    let deal = |csrf: &str| post("/staff/flagged/item", &[("csrf", csrf), ("id", "item-1")]);
    let (status, _, _) = send(world.app("ann", Role::Handler), deal("nope")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = send(world.app("dee", Role::Auditor), deal(CSRF)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(world.cases.open_staff_items(10).await.expect("read").len(), 1, "refusals change nothing");

    let (status, headers, _) = send(world.app("ann", Role::Handler), deal(CSRF)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), "/staff/flagged?notice=dealt");
    assert!(world.cases.open_staff_items(10).await.expect("read").is_empty());
    let (_, _, body) = send(world.app("ann", Role::Handler), get("/staff/flagged")).await;
    assert!(body.contains("Social messages kept for staff (0)") && body.contains("No social messages are waiting"));
    let (status, headers, _) = send(world.app("ann", Role::Handler), deal(CSRF)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), "/staff/flagged?notice=gone", "a second click is told it is done");
}

#[tokio::test]
async fn a_staff_item_dealt_with_is_audited_with_its_case_or_as_having_no_case() {
    use complaints_app::staff_items::{StaffItem, StaffItemKind, StaffItemStore};
    let world = World::new();
    let reference = CaseRef::new("CMP", 2026, 7).expect("reference");
    let item = |id: &str, kind, case_ref: Option<String>| StaffItem {
        id: id.to_owned(),
        kind,
        source: "meta".to_owned(),
        reason: "kept".to_owned(),
        object_key: format!("social/raw/{id}"),
        case_ref,
        received_at: Utc.with_ymd_and_hms(2026, 3, 19, 9, 30, 0).single().expect("instant"),
        resolved_at: None,
        resolved_by: None,
    };
    world
        .cases
        .record_staff_item(&item("with-case", StaffItemKind::AttachmentFailed, Some(reference.to_string())))
        .await
        .expect("record");
    world.cases.record_staff_item(&item("no-case", StaffItemKind::Triage, None)).await.expect("record");
    for id in ["with-case", "no-case"] {
        let (status, _, _) =
            send(world.app("ann", Role::Handler), post("/staff/flagged/item", &[("csrf", CSRF), ("id", id)])).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{id}");
    }
    let dealt: Vec<(String, Option<CaseRef>)> = world
        .audit
        .entries()
        .into_iter()
        .filter(|entry| entry.action.starts_with("staff-item-dealt-with"))
        .map(|entry| (entry.action, entry.reference))
        .collect();
    assert_eq!(
        dealt,
        vec![("staff-item-dealt-with".to_owned(), Some(reference)), ("staff-item-dealt-with:no-case".to_owned(), None),],
        "the case the item concerns is named; an item with none says so"
    );
}
