//! The staff actions contract suite (feature `contract-tests`): every staff action through
//! [`StaffActions`] on a real store, run by the memory, SQLite and DynamoDB store crates with
//! [`staff_contract_tests!`](crate::staff_contract_tests), so each adapter commits an action, its
//! timeline and its letters together and refuses a stale version.
//!
//! Each contract uses its own reference prefix and addresses, so they can share one store.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use complaints_core::calendar::Calendar;
use complaints_core::case::{CaseEvent, MessagePurpose, PointOfComplaint, Stage, Status};
use complaints_core::command::Rejected;
use complaints_core::complaint::{Channel, ChildInvolvement, ContactMethod};
use complaints_core::config::OrgConfig;
use complaints_core::dates::long_date;
use complaints_core::outcome::{Outcome, SpsoOutcome};
use complaints_core::records::{NotAComplaintReason, RestrictionScope, StaffContact};
use complaints_core::reference::CaseRef;
use complaints_core::roles::Role;
use complaints_core::timeline::Actor;
use complaints_mail::templates::Templates;
use complaints_mail::{DELIVERY_HEADER, PRINT_DELIVERY};
use mail_parser::MessageParser;

use crate::contract_support::ok;
use crate::ports::{CaseStore, Clock};
use crate::staff::{
    ActionError, ActionOutcome, LetterDelivery, LogComplaint, MemoryAuditLog, StaffAction, StaffActions, StaffPart,
    StaffUser, Stage2How,
};
use crate::testing::{ManualClock, RecordingMailer, TEST_CONTACT_KEY_SECRET};

/// A contract: takes a store and panics when staff actions on it break the contract.
pub type StaffContract = fn(Arc<dyn CaseStore>) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// Every contract by name.
pub const STAFF_CONTRACTS: &[(&str, StaffContract)] = &[
    ("a_complaint_logged_by_phone_goes_through_its_lifecycle_with_the_right_letter_at_each_step", |s| {
        Box::pin(a_complaint_logged_by_phone_goes_through_its_lifecycle_with_the_right_letter_at_each_step(s))
    }),
    ("two_actions_at_the_same_expected_version_make_one_change_and_one_conflict", |s| {
        Box::pin(two_actions_at_the_same_expected_version_make_one_change_and_one_conflict(s))
    }),
    ("an_illegal_move_is_refused_naming_its_rule_and_changes_nothing", |s| {
        Box::pin(an_illegal_move_is_refused_naming_its_rule_and_changes_nothing(s))
    }),
    ("withdrawal_not_a_complaint_and_reopening_send_their_letters", |s| {
        Box::pin(withdrawal_not_a_complaint_and_reopening_send_their_letters(s))
    }),
    ("manager_decisions_and_staff_involved_are_recorded_with_their_letters", |s| {
        Box::pin(manager_decisions_and_staff_involved_are_recorded_with_their_letters(s))
    }),
    ("records_without_letters_are_kept_with_their_actor", |s| {
        Box::pin(records_without_letters_are_kept_with_their_actor(s))
    }),
    ("a_letter_preference_gets_a_printable_letter_and_an_anonymous_case_gets_none", |s| {
        Box::pin(a_letter_preference_gets_a_printable_letter_and_an_anonymous_case_gets_none(s))
    }),
    ("a_child_complainant_gets_the_child_friendly_letters", |s| {
        Box::pin(a_child_complainant_gets_the_child_friendly_letters(s))
    }),
];

/// Runs every contract on a store from `make` (which may return the same shared store).
pub async fn run_all<S, F, Fut>(make: F)
where
    S: CaseStore + 'static,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    for (_name, contract) in STAFF_CONTRACTS {
        contract(Arc::new(make().await)).await;
    }
}

/// Generates one `#[tokio::test]` per staff contract; `$make` is an async expression yielding the
/// store (as for [`case_store_contract_tests!`](crate::case_store_contract_tests)).
#[macro_export]
macro_rules! staff_contract_tests {
    ($make:expr) => {
        $crate::staff_contract_tests!(@each $make;
            a_complaint_logged_by_phone_goes_through_its_lifecycle_with_the_right_letter_at_each_step,
            two_actions_at_the_same_expected_version_make_one_change_and_one_conflict,
            an_illegal_move_is_refused_naming_its_rule_and_changes_nothing,
            withdrawal_not_a_complaint_and_reopening_send_their_letters,
            manager_decisions_and_staff_involved_are_recorded_with_their_letters,
            records_without_letters_are_kept_with_their_actor,
            a_letter_preference_gets_a_printable_letter_and_an_anonymous_case_gets_none,
            a_child_complainant_gets_the_child_friendly_letters,
        );
    };
    (@each $make:expr; $($name:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let store: ::std::sync::Arc<dyn $crate::ports::CaseStore> = ::std::sync::Arc::new($make.await);
                $crate::staff_contract::$name(store).await;
            }
        )+
    };
}

/// The exact SPSO block of every final response, restriction and "final response stands" letter
/// (R37, R38; mchp-rules §5).
pub const SPSO_BLOCK_TEXT: &str = "THE SCOTTISH PUBLIC SERVICES OMBUDSMAN

The Scottish Public Services Ombudsman (SPSO) is the final stage for complaints about public services in Scotland. It is independent of us and free to use. You must normally ask the SPSO to look at your complaint within 12 months of when you first knew about the problem. The SPSO can only look at a complaint after it has been through our complaints procedure.

You can contact the SPSO:

- Online: www.spso.org.uk/complain/form
- Freephone: 0800 377 7330
- Post: Freepost SPSO (you do not need a stamp)
- In person: Bridgeside House, 99 McDonald Road, Edinburgh EH7 4NS
";

/// The exact child-friendly SPSO block of those letters to a child complainant (R37, R38, R56).
pub const SPSO_BLOCK_CHILD_TEXT: &str = "THE OMBUDSMAN

If you are still not happy, you can ask the Scottish Public Services Ombudsman (SPSO) to look at your complaint. The SPSO does not work for us. It is free. You need to ask them within 12 months of when you first knew about the problem. An adult you trust can help you do this.

You can contact the SPSO:

- Online: www.spso.org.uk/complain/form
- Freephone: 0800 377 7330
- Post: Freepost SPSO (you do not need a stamp)
- In person: Bridgeside House, 99 McDonald Road, Edinburgh EH7 4NS
";

/// A service on `store` with its own reference prefix, a manual clock and an audit log.
#[allow(missing_debug_implementations)]
pub struct Harness {
    pub actions: StaffActions,
    pub clock: Arc<ManualClock>,
    pub audit: Arc<MemoryAuditLog>,
    pub calendar: Calendar,
}

impl Harness {
    /// A harness on `store` with the built-in configuration and a fresh reference prefix.
    #[must_use]
    pub fn new(store: Arc<dyn CaseStore>) -> Self {
        let mut config = OrgConfig::builtin();
        config.organisation.reference_prefix = unique_prefix();
        Self::with_config(store, config)
    }

    #[must_use]
    pub fn with_config(store: Arc<dyn CaseStore>, config: OrgConfig) -> Self {
        let clock = Arc::new(ManualClock::new(at(2026, 2, 3, 10)));
        let audit = Arc::new(MemoryAuditLog::new());
        let calendar = config.calendar();
        let actions = StaffActions {
            store,
            mailer: Arc::new(RecordingMailer::new()),
            clock: Arc::clone(&clock) as Arc<dyn Clock>,
            calendar: Arc::new(config.calendar()),
            config: Arc::new(config),
            templates: Arc::new(Templates::builtin()),
            contact_key_secret: Arc::from(TEST_CONTACT_KEY_SECRET),
            audit: Arc::clone(&audit) as Arc<dyn crate::staff::AuditLog>,
        };
        Self { actions, clock, audit, calendar }
    }

    /// Performs `action` at `when` (the clock is set there too, so letters are delivered).
    pub async fn perform(
        &self,
        actor: &StaffUser,
        reference: &CaseRef,
        action: StaffAction,
        when: DateTime<Utc>,
    ) -> Result<ActionOutcome, ActionError> {
        self.clock.set(when);
        self.actions.perform(actor, reference, None, action, Some(when)).await
    }

    /// Performs an action that must succeed.
    pub async fn must(
        &self,
        actor: &StaffUser,
        reference: &CaseRef,
        action: StaffAction,
        when: DateTime<Utc>,
    ) -> ActionOutcome {
        let name = action.name();
        ok(self.perform(actor, reference, action, when).await, name)
    }

    /// Logs a complaint that must be accepted.
    pub async fn log(&self, actor: &StaffUser, complaint: LogComplaint, when: DateTime<Utc>) -> ActionOutcome {
        self.clock.set(when);
        ok(self.actions.log_complaint(actor, complaint, Some(when)).await, "log")
    }

    /// The text part, the HTML part and the delivery header of a queued letter, read from the store.
    pub async fn letter(&self, message_id: &str) -> (String, String, Option<String>) {
        let stored = ok(self.actions.store.message(message_id).await, "read the message");
        let Some(stored) = stored else { fail(&format!("message {message_id} is not in the store")) };
        let Some(parsed) = MessageParser::default().parse(&stored.message.raw) else {
            fail("the letter does not parse")
        };
        let text = parsed.body_text(0).map(|text| text.replace("\r\n", "\n")).unwrap_or_default();
        let html = parsed.body_html(0).map(|html| html.into_owned()).unwrap_or_default();
        let delivery = parsed.header(DELIVERY_HEADER).and_then(|value| value.as_text()).map(str::to_owned);
        (text, html, delivery)
    }

    /// The one letter of `purpose` an action queued.
    pub async fn letter_of(&self, outcome: &ActionOutcome, purpose: MessagePurpose) -> String {
        let letters: Vec<_> = outcome.letters.iter().filter(|letter| letter.purpose == purpose).collect();
        if letters.len() != 1 {
            fail(&format!("expected one {purpose:?} letter, got {:?}", outcome.letters));
        }
        self.letter(&letters[0].message_id).await.0
    }
}

/// A member of staff of `role`.
#[must_use]
pub fn user(id: &str, role: Role) -> StaffUser {
    StaffUser { id: id.to_owned(), name: format!("User {id}"), role, email: None }
}

/// A complaint taken by phone from a named person with an email address.
#[must_use]
pub fn phoned(email: &str) -> LogComplaint {
    LogComplaint {
        channel: Channel::Phone,
        name: Some("Morag Campbell".to_owned()),
        email: Some(email.to_owned()),
        phone: Some("0131 496 0000".to_owned()),
        postal_address: None,
        service_area: "Bins and recycling".to_owned(),
        description: "My bin has been missed three weeks running.".to_owned(),
        event_date: Some(date(2026, 1, 20)),
        awareness_date: None,
        outcome_sought: Some("Collect the bin and stop missing it".to_owned()),
        preferred_contact: Some(ContactMethod::Email),
        adjustments: None,
        representation: None,
        child: None,
        direct_stage2_reason: None,
        note: "Caller upset; third missed collection on Brae Road.".to_owned(),
        received_at: None,
    }
}

fn points() -> Vec<PointOfComplaint> {
    vec![
        PointOfComplaint {
            summary: "The bin was missed three weeks running".to_owned(),
            outcome_sought: "An apology and a collection".to_owned(),
        },
        PointOfComplaint {
            summary: "Nobody answered my calls".to_owned(),
            outcome_sought: "Call handling reviewed".to_owned(),
        },
    ]
}

fn unique_prefix() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string().to_ascii_uppercase();
    format!("S{}", &id[..9])
}

fn unique_email(label: &str) -> String {
    format!("{label}-{}@example.net", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

/// `hour`:00 UTC on a date (GMT in winter: the same local date and time).
#[must_use]
pub fn at(year: i32, month: u32, day: u32, hour: u32) -> DateTime<Utc> {
    ok(Utc.with_ymd_and_hms(year, month, day, hour, 0, 0).single().ok_or("no such instant"), "valid test instant")
}

#[must_use]
pub fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    ok(NaiveDate::from_ymd_opt(year, month, day).ok_or("no such date"), "valid test date")
}

#[allow(clippy::panic)]
fn fail(what: &str) -> ! {
    panic!("{what}")
}

fn contains(text: &str, needle: &str) {
    assert!(text.contains(needle), "expected {needle:?} in:\n{text}");
}

/// The scripted lifecycle: received by phone → stage 1 resolved → escalated two weeks later →
/// acknowledged with two points → extended → update → closed partially upheld → SPSO referral and
/// outcome; each letter's dates checked against the calendar, each step on the timeline with its actor.
pub async fn a_complaint_logged_by_phone_goes_through_its_lifecycle_with_the_right_letter_at_each_step(
    store: Arc<dyn CaseStore>,
) {
    let h = Harness::new(store);
    let handler = user("h-ailsa", Role::Handler);
    let manager = user("m-bruce", Role::Manager);
    let email = unique_email("morag");

    // Tuesday 3 February 2026, 10:00: a phone call.
    let logged = h.log(&handler, phoned(&email), at(2026, 2, 3, 10)).await;
    let reference = logged.reference.clone();
    assert_eq!(logged.status, Status::Stage1Open);
    // Everything but the acknowledgement and its delivery (the service's, for every channel) is the handler's.
    assert!(
        logged
            .events
            .iter()
            .filter(|event| !matches!(event.what, CaseEvent::MessageQueued { .. } | CaseEvent::MessageSent { .. }))
            .all(|event| event.actor == Actor::Staff("h-ailsa".to_owned()))
    );
    assert!(logged.events.iter().any(|event| matches!(&event.what, CaseEvent::IntakeNoted { note }
        if note.note.contains("Brae Road") && note.noted_by == "h-ailsa")));
    assert_eq!(logged.letters.len(), 1, "the acknowledgement is queued");

    // Thursday 5 February: resolved at stage 1.
    let responded = h
        .must(
            &handler,
            &reference,
            StaffAction::Respond {
                outcome: Outcome::Resolved,
                note: "We collected your bin on 4 February and added Brae Road to the crew's checklist.".to_owned(),
                route_given_by: None,
                staff_parts: Vec::new(),
            },
            at(2026, 2, 5, 11),
        )
        .await;
    assert_eq!(responded.status, Status::Stage1Closed);
    assert_eq!(responded.version, logged.version + 1);
    // R16: the later of 6 months from the event (20 January → 20 July) and 2 months from the response (5 April).
    let escalation_deadline = date(2026, 7, 20);
    assert_eq!(responded.case.escalation_deadline(), Some(escalation_deadline));
    let org = OrgConfig::builtin().organisation;
    let stage1_letter = h.letter_of(&responded, MessagePurpose::Stage1Response).await;
    let expected_stage1 = format!(
        "Dear Morag Campbell,
This is our response to your complaint, reference {reference}, at stage 1 of our complaints procedure.
OUR DECISION
We have resolved your complaint with you.
We collected your bin on 4 February and added Brae Road to the crew's checklist.
IF YOU ARE UNHAPPY WITH OUR RESPONSE
You can ask us to look at your complaint again at stage 2 of our complaints procedure, where it will be investigated. Please ask by {deadline}. If you ask later and there is a good reason, we will still consider it.
To ask for stage 2, reply to this email, quoting your reference {reference}. Tell us why you are still unhappy and what you would like us to do.
If you are still unhappy after stage 2, you can ask the Scottish Public Services Ombudsman (SPSO) to look at your complaint. We will tell you how when we send our stage 2 response.
HOW TO CONTACT US
Reply to this email, quoting your reference {reference}.
Phone: {phone}
If you would like this letter in another format (for example large print, Braille or audio) or in another language, please tell us.
Yours sincerely,
Complaints Team
{name}
",
        deadline = "Monday 20 July 2026",
        phone = org.phone.clone().unwrap_or_default(),
        name = org.name,
    );
    // Blank lines are layout; the words, their order and every line are compared whole.
    let lines = |text: &str| text.lines().filter(|line| !line.trim().is_empty()).collect::<Vec<_>>().join("\n") + "\n";
    assert_eq!(lines(&stage1_letter), expected_stage1);
    assert_eq!(long_date(escalation_deadline), "Monday 20 July 2026");

    // Thursday 19 February, two weeks later: the customer escalates by email; acknowledged with two points.
    let escalated = h
        .must(
            &handler,
            &reference,
            StaffAction::Escalate { channel: Channel::Email, requested_on: None, points: Some(points()) },
            at(2026, 2, 19, 10),
        )
        .await;
    assert_eq!(escalated.status, Status::Stage2Acknowledged);
    // R26, rule A: the request day is day 1; 20 working days from it (no holidays in Feb–Mar 2026).
    let stage2_due = h.calendar.nth_working_day(date(2026, 2, 19), 20);
    assert_eq!(stage2_due, date(2026, 3, 18));
    let ack = h.letter_of(&escalated, MessagePurpose::Stage2Acknowledgement).await;
    contains(&ack, "- The bin was missed three weeks running (you would like: An apology and a collection)");
    contains(&ack, "- Nobody answered my calls (you would like: Call handling reviewed)");
    contains(&ack, "Complaints Team is investigating your complaint.");
    contains(
        &ack,
        &format!("We will give you our full response by {}. That is within 20 working days.", long_date(stage2_due)),
    );

    // A handler may not extend; the manager does, on Monday 16 March, to Wednesday 1 April.
    let refused = h
        .perform(
            &handler,
            &reference,
            StaffAction::Extend {
                reason: "Waiting for the crew's records".to_owned(),
                new_due: date(2026, 4, 1),
                stage: None,
            },
            at(2026, 3, 16, 10),
        )
        .await;
    assert!(matches!(refused, Err(ActionError::Forbidden { role: Role::Handler, .. })), "{refused:?}");
    let extended = h
        .must(
            &manager,
            &reference,
            StaffAction::Extend {
                reason: "We are waiting for the crew's records.".to_owned(),
                new_due: date(2026, 4, 1),
                stage: None,
            },
            at(2026, 3, 16, 10),
        )
        .await;
    assert_eq!(extended.status, Status::Stage2Extended);
    let extension = h.letter_of(&extended, MessagePurpose::Extension).await;
    contains(&extension, "We are waiting for the crew's records.");
    contains(&extension, "We will give you our response by Wednesday 1 April 2026.");
    assert!(extended.events.iter().any(|event| matches!(&event.what, CaseEvent::Stage2Extended { extension, .. }
        if extension.authoriser.staff_id == "m-bruce")));

    // A progress update on Monday 23 March.
    let updated = h
        .must(
            &handler,
            &reference,
            StaffAction::Update { note: "We have the crew's records and are reading them.".to_owned(), given_by: None },
            at(2026, 3, 23, 10),
        )
        .await;
    let update = h.letter_of(&updated, MessagePurpose::ProgressUpdate).await;
    contains(&update, "We have the crew's records and are reading them.");
    contains(&update, "We still expect to give you our response by Wednesday 1 April 2026.");

    // Closed partially upheld on Tuesday 31 March.
    let closed = h
        .must(
            &handler,
            &reference,
            StaffAction::Close {
                point_outcomes: vec![Outcome::Upheld, Outcome::NotUpheld],
                outcome_override: None,
                note: "The crew missed your street; calls were answered within our standard.".to_owned(),
                staff_parts: Vec::new(),
            },
            at(2026, 3, 31, 10),
        )
        .await;
    assert_eq!(closed.status, Status::Stage2Closed);
    let final_letter = h.letter_of(&closed, MessagePurpose::FinalResponse).await;
    contains(&final_letter, "- The bin was missed three weeks running: upheld\n");
    contains(&final_letter, "- Nobody answered my calls: not upheld\n");
    contains(&final_letter, "Overall, we have decided that your complaint is partially upheld.");
    contains(&final_letter, SPSO_BLOCK_TEXT);
    let signposting = closed.case.stage2().and_then(|stage| stage.closure.as_ref()).and_then(|c| c.signposting.clone());
    assert_eq!(
        signposting.map(|s| (s.template_version, s.channel)),
        Some(("spso-block-2025-1".to_owned(), Channel::Email))
    );

    // The complainant went to the SPSO; its outcome follows. No letters.
    let referred =
        h.must(&handler, &reference, StaffAction::ReferSpso { referred_on: None }, at(2026, 4, 20, 10)).await;
    assert!(referred.letters.is_empty());
    let decided = h
        .must(
            &handler,
            &reference,
            StaffAction::SpsoOutcome { outcome: SpsoOutcome::NotTakenForward, decided_on: None },
            at(2026, 6, 1, 10),
        )
        .await;
    assert!(
        decided.case.spso_referral().is_some_and(|referral| referral.outcome == Some(SpsoOutcome::NotTakenForward))
    );

    // Every change is on the timeline with its actor, and in the audit log; a view is audited only.
    let viewed = ok(h.actions.view(&user("a-auditor", Role::Auditor), &reference).await, "view");
    assert_eq!(viewed.version, decided.version);
    assert!(!viewed.clocks.is_empty());
    let staff_entries = viewed.timeline.iter().filter(|event| matches!(event.actor, Actor::Staff(_))).count();
    assert!(staff_entries >= 9, "{:?}", viewed.timeline);
    let audit = h.audit.entries();
    assert!(audit.iter().any(|entry| entry.actor == "a-auditor" && entry.reference.as_ref() == Some(&reference)));
    assert!(audit.iter().any(|entry| entry.actor == "h-ailsa" && entry.action == "close"));
}

/// Two actions on the same version: one wins, the other is a conflict; the loser changed nothing.
pub async fn two_actions_at_the_same_expected_version_make_one_change_and_one_conflict(store: Arc<dyn CaseStore>) {
    let h = Harness::new(store);
    let handler = user("h-one", Role::Handler);
    let other = user("h-two", Role::Handler);
    let logged = h.log(&handler, phoned(&unique_email("race")), at(2026, 2, 3, 10)).await;
    let when = at(2026, 2, 4, 10);
    h.clock.set(when);
    let respond = StaffAction::Respond {
        outcome: Outcome::NotUpheld,
        note: "We looked at the collection records.".to_owned(),
        route_given_by: None,
        staff_parts: Vec::new(),
    };
    let assign = StaffAction::Assign { handler: "Waste team".to_owned(), team: None, service_area: None };
    let (first, second) = tokio::join!(
        h.actions.perform(&handler, &logged.reference, Some(logged.version), respond, Some(when)),
        h.actions.perform(&other, &logged.reference, Some(logged.version), assign, Some(when)),
    );
    let results = [&first, &second];
    let won = results.iter().filter(|result| result.is_ok()).count();
    let conflicts = results
        .iter()
        .filter(|result| matches!(result, Err(ActionError::Conflict { current_version: Some(v) }) if *v == logged.version + 1))
        .count();
    assert_eq!((won, conflicts), (1, 1), "{first:?} / {second:?}");
    let stored = ok(h.actions.store.get(&logged.reference).await, "get");
    assert_eq!(stored.version, logged.version + 1);
    // A stale version is refused whatever the action, and nothing is retried.
    let stale = h
        .actions
        .perform(
            &handler,
            &logged.reference,
            Some(logged.version),
            StaffAction::LinkLearning { action_id: "LA-stale".to_owned() },
            Some(when),
        )
        .await;
    assert!(
        matches!(stale, Err(ActionError::Conflict { current_version: Some(v) }) if v == stored.version),
        "{stale:?}"
    );
}

/// An illegal move names the MCHP rule and leaves the case (and its mail) as it was.
pub async fn an_illegal_move_is_refused_naming_its_rule_and_changes_nothing(store: Arc<dyn CaseStore>) {
    let h = Harness::new(store);
    let handler = user("h-three", Role::Handler);
    let logged = h.log(&handler, phoned(&unique_email("illegal")), at(2026, 2, 3, 10)).await;
    // Closing stage 2 on a stage 1 case.
    let close = StaffAction::Close {
        point_outcomes: vec![Outcome::Upheld],
        outcome_override: None,
        note: "n".to_owned(),
        staff_parts: Vec::new(),
    };
    let refused = h.perform(&handler, &logged.reference, close, at(2026, 2, 4, 10)).await;
    let Err(error) = refused else { fail("closing stage 2 at stage 1 was accepted") };
    assert_eq!(error.rule_id(), Some("R22"), "{error}");
    assert_eq!(error.kind().http_status(), 409);
    assert!(matches!(error, ActionError::Rejected(Rejected::NotAtStage { expected: Stage::Two })));
    // Acknowledging with no points: the request is at fault (422, R24).
    let moved = h
        .must(
            &handler,
            &logged.reference,
            StaffAction::Stage2 { how: Stage2How::Move, reason: "Needs an investigation".to_owned(), points: None },
            at(2026, 2, 4, 10),
        )
        .await;
    assert!(moved.letters.is_empty(), "no acknowledgement without points");
    let empty = h
        .perform(
            &handler,
            &logged.reference,
            StaffAction::Acknowledge { points: Vec::new(), agreed_on: None },
            at(2026, 2, 5, 10),
        )
        .await;
    let Err(error) = empty else { fail("an acknowledgement without points was accepted") };
    assert_eq!((error.rule_id(), error.kind().http_status()), (Some("R24"), 422));
    let stored = ok(h.actions.store.get(&logged.reference).await, "get");
    assert_eq!(stored.version, moved.version, "a refused action writes nothing");
    // Late acceptance of a complaint made in time (R15) — refused for the manager too.
    let late = h
        .perform(
            &user("m-late", Role::Manager),
            &logged.reference,
            StaffAction::AcceptLate { reason: "r".to_owned() },
            at(2026, 2, 5, 10),
        )
        .await;
    assert!(matches!(&late, Err(error) if error.rule_id() == Some("R15")), "{late:?}");
}

/// Withdrawal, not-a-complaint and reopening each queue their letter.
pub async fn withdrawal_not_a_complaint_and_reopening_send_their_letters(store: Arc<dyn CaseStore>) {
    let h = Harness::new(store);
    let handler = user("h-four", Role::Handler);

    let first = h.log(&handler, phoned(&unique_email("withdraw")), at(2026, 2, 3, 10)).await;
    let withdrawn = h
        .must(
            &handler,
            &first.reference,
            StaffAction::Withdraw { reason: Some("Sorted locally".to_owned()) },
            at(2026, 2, 4, 10),
        )
        .await;
    assert_eq!(withdrawn.status, Status::Withdrawn { stage: Stage::One });
    contains(&h.letter_of(&withdrawn, MessagePurpose::WithdrawalConfirmation).await, "we have closed your complaint");

    let second = h.log(&handler, phoned(&unique_email("nac")), at(2026, 2, 3, 10)).await;
    let not = h
        .must(
            &handler,
            &second.reference,
            StaffAction::NotAComplaint {
                reason: NotAComplaintReason::RoutineServiceRequest,
                details: None,
                directed_to: "We have booked a collection with the waste team for Friday.".to_owned(),
            },
            at(2026, 2, 4, 10),
        )
        .await;
    assert_eq!(not.status, Status::NotAComplaint);
    let letter = h.letter_of(&not, MessagePurpose::NotAComplaint).await;
    contains(&letter, "because it is a first request for a service.");
    contains(&letter, "We have booked a collection with the waste team for Friday.");

    let third = h.log(&handler, phoned(&unique_email("reopen")), at(2026, 2, 3, 10)).await;
    h.must(
        &handler,
        &third.reference,
        StaffAction::Respond {
            outcome: Outcome::Upheld,
            note: "Sorry.".to_owned(),
            route_given_by: None,
            staff_parts: Vec::new(),
        },
        at(2026, 2, 4, 10),
    )
    .await;
    let reopened = h
        .must(
            &handler,
            &third.reference,
            StaffAction::Reopen {
                reason: "New photographs show a second missed street.".to_owned(),
                respond_by: date(2026, 2, 13),
            },
            at(2026, 2, 9, 10),
        )
        .await;
    let letter = h.letter_of(&reopened, MessagePurpose::Reopened).await;
    contains(&letter, "New photographs show a second missed street.");
    contains(&letter, "We will give you a new response by Friday 13 February 2026.");
    // The customer writes again after a final response: it stands, with the SPSO block (R40).
    let fourth = h.log(&handler, phoned(&unique_email("stands")), at(2026, 2, 3, 10)).await;
    let mut direct = h
        .must(
            &handler,
            &fourth.reference,
            StaffAction::Stage2 {
                how: Stage2How::Direct,
                reason: "Asked for stage 2".to_owned(),
                points: Some(points()),
            },
            at(2026, 2, 4, 10),
        )
        .await;
    assert_eq!(direct.status, Status::Stage2Acknowledged);
    direct = h
        .must(
            &handler,
            &fourth.reference,
            StaffAction::Close {
                point_outcomes: vec![Outcome::NotUpheld, Outcome::NotUpheld],
                outcome_override: None,
                note: "We found no fault.".to_owned(),
                staff_parts: Vec::new(),
            },
            at(2026, 2, 20, 10),
        )
        .await;
    contains(&h.letter_of(&direct, MessagePurpose::FinalResponse).await, SPSO_BLOCK_TEXT);
    let stands = h
        .must(
            &handler,
            &fourth.reference,
            StaffAction::CorrespondenceAfterFinal { channel: Channel::Email },
            at(2026, 3, 2, 10),
        )
        .await;
    let letter = h.letter_of(&stands, MessagePurpose::FinalResponseStands).await;
    contains(&letter, "We have already given you our final response, and it stands");
    contains(&letter, SPSO_BLOCK_TEXT);
}

/// Restriction (with its review), late acceptance and staff involved: who may, what is recorded,
/// which letters go.
pub async fn manager_decisions_and_staff_involved_are_recorded_with_their_letters(store: Arc<dyn CaseStore>) {
    let h = Harness::new(store);
    let handler = user("h-five", Role::Handler);
    let manager = user("m-five", Role::Manager);
    let mut late = phoned(&unique_email("late"));
    late.event_date = Some(date(2025, 3, 1));
    let logged = h.log(&handler, late, at(2026, 2, 3, 10)).await;
    assert!(!logged.warnings.is_empty(), "a late complaint is flagged (R15)");
    let accepted = h
        .must(
            &manager,
            &logged.reference,
            StaffAction::AcceptLate { reason: "In hospital until January".to_owned() },
            at(2026, 2, 3, 11),
        )
        .await;
    assert_eq!(accepted.case.late_acceptance().map(|l| l.staff_id.as_str()), Some("m-five"));

    let scope = RestrictionScope::Contact { allowed_channel: Some(Channel::Email), allowed_contact: None };
    let restricted = h
        .must(
            &manager,
            &logged.reference,
            StaffAction::Restrict {
                scope,
                review_on: date(2026, 5, 4),
                reason: "You called the office 40 times in one day.".to_owned(),
            },
            at(2026, 2, 4, 10),
        )
        .await;
    let letter = h.letter_of(&restricted, MessagePurpose::ContactRestriction).await;
    contains(&letter, "we have decided to limit your contact with us: please contact us only by email.");
    contains(&letter, "We will review this decision by Monday 4 May 2026");
    contains(&letter, SPSO_BLOCK_TEXT);
    let reviewed = h
        .must(
            &manager,
            &logged.reference,
            StaffAction::ReviewRestriction { restriction: 0, next_review_on: None },
            at(2026, 3, 4, 10),
        )
        .await;
    assert_eq!(reviewed.case.records().restrictions[0].lifted_on, Some(date(2026, 3, 4)));

    // Staff involved: a notice to them; at closure the part of the response that concerns them.
    let staff_email = unique_email("crew");
    let involved = h
        .must(
            &handler,
            &logged.reference,
            StaffAction::StaffInvolved { staff_ref: "crew-7".to_owned(), email: Some(staff_email.clone()) },
            at(2026, 2, 5, 10),
        )
        .await;
    assert_eq!(involved.letters.len(), 1);
    assert_eq!(involved.letters[0].staff_ref.as_deref(), Some("crew-7"));
    let notice = h.letter_of(&involved, MessagePurpose::StaffNotice).await;
    contains(&notice, "This is an internal message.");
    assert!(!notice.contains("SUPPORT"), "support is signposted at stage 2");
    let moved = h
        .must(
            &handler,
            &logged.reference,
            StaffAction::Stage2 {
                how: Stage2How::Move,
                reason: "Needs investigation".to_owned(),
                points: Some(points()),
            },
            at(2026, 2, 6, 10),
        )
        .await;
    assert_eq!(moved.case.stage(), Stage::Two);
    // R59: at stage 2 the member of staff is signposted to support.
    let support = moved.letters.iter().find(|letter| letter.purpose == MessagePurpose::StaffNotice);
    let Some(support) = support else { fail("no support notice at stage 2") };
    assert_eq!(support.staff_ref.as_deref(), Some("crew-7"));
    contains(&h.letter(&support.message_id).await.0, "SUPPORT\n\nThe complaint is being investigated at stage 2.");
    assert!(
        moved.case.records().staff_involved[0]
            .contacts
            .iter()
            .any(|c| matches!(c, StaffContact::SupportOffered { .. }))
    );
    let closed = h
        .must(
            &handler,
            &logged.reference,
            StaffAction::Close {
                point_outcomes: vec![Outcome::Upheld, Outcome::Upheld],
                outcome_override: None,
                note: "We got this wrong.".to_owned(),
                staff_parts: vec![StaffPart {
                    staff_ref: "crew-7".to_owned(),
                    part: "The crew skipped Brae Road.".to_owned(),
                }],
            },
            at(2026, 2, 20, 10),
        )
        .await;
    let update = closed.letters.iter().find(|letter| letter.purpose == MessagePurpose::StaffClosureUpdate);
    let Some(update) = update else { fail("no closure update to the member of staff") };
    let (text, _, _) = h.letter(&update.message_id).await;
    contains(&text, "THE PART OF THE RESPONSE THAT CONCERNS YOU\n\nThe crew skipped Brae Road.");
    let staff = &closed.case.records().staff_involved[0];
    assert!(
        staff
            .contacts
            .iter()
            .any(|c| matches!(c, StaffContact::ResponseShared { part, .. } if part == "The crew skipped Brae Road."))
    );
    // The complainant's final response never mentions the member of staff's part.
    assert!(!h.letter_of(&closed, MessagePurpose::FinalResponse).await.contains("skipped Brae Road"));
}

/// Assign, classify, learning, consent, agreed actions and the child record: recorded with their
/// actor, no letter.
pub async fn records_without_letters_are_kept_with_their_actor(store: Arc<dyn CaseStore>) {
    let h = Harness::new(store);
    let handler = user("h-six", Role::Handler);
    let logged = h.log(&handler, phoned(&unique_email("records")), at(2026, 2, 3, 10)).await;
    let reference = &logged.reference;
    let when = at(2026, 2, 4, 10);
    let assigned = h
        .must(
            &handler,
            reference,
            StaffAction::Assign {
                handler: "Jamie Reid".to_owned(),
                team: Some("Waste services".to_owned()),
                service_area: Some("Bins and recycling".to_owned()),
            },
            when,
        )
        .await;
    assert_eq!(assigned.case.handler(), "Jamie Reid");
    assert!(assigned.letters.is_empty());
    let classified = h
        .must(
            &handler,
            reference,
            StaffAction::Classify {
                category: "Quality of service".to_owned(),
                lead_service: "Waste".to_owned(),
                contributing_services: vec!["Contact centre".to_owned()],
                external_bodies: Vec::new(),
            },
            when,
        )
        .await;
    assert!(classified.case.records().classification.is_some());
    let linked = h.must(&handler, reference, StaffAction::LinkLearning { action_id: "LA-1".to_owned() }, when).await;
    assert_eq!(linked.case.records().learning.len(), 1);
    let responded = h
        .must(
            &handler,
            reference,
            StaffAction::Respond {
                outcome: Outcome::Resolved,
                note: "Collected.".to_owned(),
                route_given_by: Some(Channel::Phone),
                staff_parts: Vec::new(),
            },
            when,
        )
        .await;
    // The stage 2 route was given by phone; the letter still goes (R23: signposting recorded as phone).
    let signposting = responded.case.stage1().and_then(|s| s.closure.as_ref()).and_then(|c| c.signposting);
    assert_eq!(signposting.map(|s| s.channel), Some(Channel::Phone));
    // The letter names the new handler and team (R42).
    contains(&h.letter_of(&responded, MessagePurpose::Stage1Response).await, "Jamie Reid, Waste services");
    let agreed = h
        .must(
            &handler,
            reference,
            StaffAction::AgreeAction {
                description: "Add to checklist".to_owned(),
                owner: "Waste".to_owned(),
                due_on: date(2026, 2, 27),
            },
            when,
        )
        .await;
    assert_eq!(agreed.case.records().agreed_actions.len(), 1);
    let done = h.must(&handler, reference, StaffAction::CompleteAction { index: 0 }, at(2026, 2, 10, 10)).await;
    assert_eq!(done.case.records().agreed_actions[0].done_on, Some(date(2026, 2, 10)));
    for outcome in [&assigned, &classified, &linked, &agreed, &done] {
        assert!(outcome.letters.is_empty());
        assert!(!outcome.events.is_empty());
        assert!(outcome.events.iter().all(|event| event.actor == Actor::Staff("h-six".to_owned())));
    }
    // An auditor may read but not change.
    let auditor = user("a-six", Role::Auditor);
    let refused =
        h.perform(&auditor, reference, StaffAction::LinkLearning { action_id: "LA-2".to_owned() }, when).await;
    assert!(matches!(refused, Err(ActionError::Forbidden { role: Role::Auditor, .. })));
}

/// A complainant who prefers letters gets a printable letter; an anonymous complaint gets none;
/// someone with no address gets none and the timeline says so.
pub async fn a_letter_preference_gets_a_printable_letter_and_an_anonymous_case_gets_none(store: Arc<dyn CaseStore>) {
    let h = Harness::new(store);
    let handler = user("h-seven", Role::Handler);
    let respond = || StaffAction::Respond {
        outcome: Outcome::NotUpheld,
        note: "We checked <b>the</b> records & found the bin out late.".to_owned(),
        route_given_by: None,
        staff_parts: Vec::new(),
    };

    let mut by_post = phoned(&unique_email("post"));
    by_post.channel = Channel::Letter;
    by_post.preferred_contact = Some(ContactMethod::Letter);
    by_post.postal_address = Some("12 Brae Road, Exampletown EX1 2AB".to_owned());
    let logged = h.log(&handler, by_post, at(2026, 2, 3, 10)).await;
    // Acknowledged on paper too, not by email.
    assert_eq!(logged.letters.len(), 1, "{:?}", logged.letters);
    assert_eq!(
        (logged.letters[0].purpose, logged.letters[0].delivery),
        (MessagePurpose::Acknowledgement, LetterDelivery::Print)
    );
    // Written with the case in its one create transaction, like an emailed acknowledgement: no
    // second write that a crash could lose or a retry repeat.
    let by_email = h.log(&handler, phoned(&unique_email("post-email")), at(2026, 2, 3, 10)).await;
    assert_eq!(logged.version, by_email.version, "the printed acknowledgement is written with the case");
    let (text, html, delivery) = h.letter(&logged.letters[0].message_id).await;
    assert_eq!(delivery.as_deref(), Some(PRINT_DELIVERY));
    contains(&text, "Write to us or email complaints@example.org, quoting your reference");
    assert!(!text.contains("Reply to this email"));
    contains(&html, "Morag Campbell<br>12 Brae Road, Exampletown EX1 2AB");
    let responded = h.must(&handler, &logged.reference, respond(), at(2026, 2, 4, 10)).await;
    assert_eq!(responded.letters.len(), 1);
    assert_eq!(responded.letters[0].delivery, LetterDelivery::Print);
    let (text, html, delivery) = h.letter(&responded.letters[0].message_id).await;
    assert_eq!(delivery.as_deref(), Some(PRINT_DELIVERY));
    contains(&text, "Post it to: Morag Campbell, 12 Brae Road, Exampletown EX1 2AB.");
    contains(&html, "12 Brae Road, Exampletown EX1 2AB");
    contains(&html, "write to us or phone us");
    // Staff text is escaped in the HTML letter.
    contains(&html, "We checked &lt;b&gt;the&lt;&#x2f;b&gt; records &amp; found the bin out late.");
    let signposting = responded.case.stage1().and_then(|s| s.closure.as_ref()).and_then(|c| c.signposting);
    assert_eq!(signposting.map(|s| s.channel), Some(Channel::Letter));

    let mut anonymous = phoned("unused@example.net");
    anonymous.name = None;
    anonymous.email = None;
    anonymous.phone = None;
    anonymous.preferred_contact = None;
    let logged = h.log(&handler, anonymous, at(2026, 2, 3, 10)).await;
    assert!(logged.letters.is_empty());
    let responded = h.must(&handler, &logged.reference, respond(), at(2026, 2, 4, 10)).await;
    assert!(responded.letters.is_empty(), "R51: nobody is written to");
    assert!(!responded.events.iter().any(|event| matches!(event.what, CaseEvent::MessageNotQueued { .. })));

    let mut phone_only = phoned("unused@example.net");
    phone_only.email = None;
    let logged = h.log(&handler, phone_only, at(2026, 2, 3, 10)).await;
    let refused = h.perform(&handler, &logged.reference, respond(), at(2026, 2, 4, 10)).await;
    assert!(matches!(&refused, Err(ActionError::Invalid(_))), "say how the route was given: {refused:?}");
    let told_by_phone = StaffAction::Respond {
        outcome: Outcome::NotUpheld,
        note: "Checked.".to_owned(),
        route_given_by: Some(Channel::Phone),
        staff_parts: Vec::new(),
    };
    let responded = h.must(&handler, &logged.reference, told_by_phone, at(2026, 2, 4, 10)).await;
    assert!(responded.letters.is_empty());
    assert!(responded.events.iter().any(|event| matches!(
        event.what,
        CaseEvent::MessageNotQueued {
            purpose: MessagePurpose::Stage1Response,
            reason: complaints_core::case::NotQueuedReason::NoAddress
        }
    )));
}

/// A child complainant gets the child-friendly wording in every letter (R56): the stage 1
/// response, reopening, withdrawal, not a complaint, amended points, restriction, the final
/// response and "final response stands" (with the child-friendly SPSO block, word for word).
pub async fn a_child_complainant_gets_the_child_friendly_letters(store: Arc<dyn CaseStore>) {
    let h = Harness::new(store);
    let handler = user("h-eight", Role::Handler);
    let manager = user("m-eight", Role::Manager);
    let child = |label: &str| {
        let mut child = phoned(&unique_email(label));
        child.child = Some(ChildInvolvement::ChildComplainant);
        child.name = Some("Ellie".to_owned());
        child
    };
    let logged = h.log(&handler, child("child"), at(2026, 2, 3, 10)).await;
    let responded = h
        .must(
            &handler,
            &logged.reference,
            StaffAction::Respond {
                outcome: Outcome::Upheld,
                note: "We are sorry.".to_owned(),
                route_given_by: None,
                staff_parts: Vec::new(),
            },
            at(2026, 2, 4, 10),
        )
        .await;
    let letter = h.letter_of(&responded, MessagePurpose::Stage1Response).await;
    contains(&letter, "Hello Ellie,");
    contains(&letter, "We agree with your complaint.");
    contains(&letter, "An adult you trust can help you do this.");
    assert!(!letter.contains("Dear"));

    // Reopened (R40).
    let reopened = h
        .must(
            &handler,
            &logged.reference,
            StaffAction::Reopen {
                reason: "You sent us a new photo of the broken swing.".to_owned(),
                respond_by: date(2026, 2, 13),
            },
            at(2026, 2, 9, 10),
        )
        .await;
    let letter = h.letter_of(&reopened, MessagePurpose::Reopened).await;
    contains(&letter, "Hello Ellie,\n");
    contains(&letter, "We are looking at your complaint again.");
    contains(&letter, "WHY\n\nYou sent us a new photo of the broken swing.");
    contains(&letter, "We will give you our new answer by Friday 13 February 2026.");
    assert!(!letter.contains("Dear"));

    // Withdrawn (R33).
    let second = h.log(&handler, child("child-withdraw"), at(2026, 2, 3, 10)).await;
    let withdrawn =
        h.must(&handler, &second.reference, StaffAction::Withdraw { reason: None }, at(2026, 2, 4, 10)).await;
    let letter = h.letter_of(&withdrawn, MessagePurpose::WithdrawalConfirmation).await;
    contains(&letter, "Hello Ellie,\n");
    contains(&letter, "You asked us to stop looking at your complaint. We have done that.");
    contains(&letter, "If you change your mind, please tell us.");
    assert!(!letter.contains("Dear"));

    // Not a complaint (R4).
    let third = h.log(&handler, child("child-nac"), at(2026, 2, 3, 10)).await;
    let not = h
        .must(
            &handler,
            &third.reference,
            StaffAction::NotAComplaint {
                reason: NotAComplaintReason::RoutineServiceRequest,
                details: None,
                directed_to: "The parks team will mend the swing this week.".to_owned(),
            },
            at(2026, 2, 4, 10),
        )
        .await;
    let letter = h.letter_of(&not, MessagePurpose::NotAComplaint).await;
    contains(&letter, "Hello Ellie,\n");
    contains(&letter, "Our complaints team cannot deal with it, because it is a first request for a service.");
    contains(&letter, "WHAT HAPPENS NEXT\n\nThe parks team will mend the swing this week.");
    assert!(!letter.contains("Dear"));

    // Stage 2: points amended (R25), a restriction (R54), the final response and "it stands" (R40).
    let fourth = h.log(&handler, child("child-stage2"), at(2026, 2, 3, 10)).await;
    h.must(
        &handler,
        &fourth.reference,
        StaffAction::Stage2 { how: Stage2How::Direct, reason: "Asked for stage 2".to_owned(), points: Some(points()) },
        at(2026, 2, 4, 10),
    )
    .await;
    let amended = h
        .must(
            &handler,
            &fourth.reference,
            StaffAction::AmendPoints {
                points: vec![PointOfComplaint {
                    summary: "The swing is still broken".to_owned(),
                    outcome_sought: "Mend the swing".to_owned(),
                }],
                reason: "You told us the swing matters most.".to_owned(),
            },
            at(2026, 2, 5, 10),
        )
        .await;
    let letter = h.letter_of(&amended, MessagePurpose::PointsAmended).await;
    contains(&letter, "Hello Ellie,\n");
    contains(&letter, "We have changed what we are looking at in your complaint.");
    contains(&letter, "WHAT WE WILL LOOK AT NOW\n\n- The swing is still broken (you would like: Mend the swing)");
    contains(&letter, "WHY\n\nYou told us the swing matters most.");
    assert!(!letter.contains("Dear"));
    let scope = RestrictionScope::Contact { allowed_channel: Some(Channel::Email), allowed_contact: None };
    let restricted = h
        .must(
            &manager,
            &fourth.reference,
            StaffAction::Restrict {
                scope,
                review_on: date(2026, 5, 4),
                reason: "You sent us 30 messages in one day.".to_owned(),
            },
            at(2026, 2, 6, 10),
        )
        .await;
    let letter = h.letter_of(&restricted, MessagePurpose::ContactRestriction).await;
    contains(&letter, "Hello Ellie,\n");
    contains(&letter, "We have decided to limit how you contact us: please contact us only by email.");
    contains(&letter, "We will look at this decision again by Monday 4 May 2026.");
    contains(&letter, SPSO_BLOCK_CHILD_TEXT);
    assert!(!letter.contains("Dear") && !letter.contains(SPSO_BLOCK_TEXT));
    let closed = h
        .must(
            &handler,
            &fourth.reference,
            StaffAction::Close {
                point_outcomes: vec![Outcome::Upheld],
                outcome_override: None,
                note: "The swing will be mended on Monday.".to_owned(),
                staff_parts: Vec::new(),
            },
            at(2026, 2, 20, 10),
        )
        .await;
    let letter = h.letter_of(&closed, MessagePurpose::FinalResponse).await;
    contains(&letter, "- The swing is still broken: upheld");
    contains(&letter, SPSO_BLOCK_CHILD_TEXT);
    let stands = h
        .must(
            &handler,
            &fourth.reference,
            StaffAction::CorrespondenceAfterFinal { channel: Channel::Email },
            at(2026, 3, 2, 10),
        )
        .await;
    let letter = h.letter_of(&stands, MessagePurpose::FinalResponseStands).await;
    contains(&letter, "Hello Ellie,\n");
    contains(&letter, "We have already given you our final answer. It has not changed.");
    contains(&letter, SPSO_BLOCK_CHILD_TEXT);
    assert!(!letter.contains("Dear") && !letter.contains(SPSO_BLOCK_TEXT));
}
