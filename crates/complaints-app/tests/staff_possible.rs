//! The actions offered for a case's state ([`StaffActions::state_permits`], decided by the core's
//! `Case::state_allows`) against the planner: in a sample of states, every offered action, with
//! sensible answers, is accepted by `preview` (the very plan `perform` runs), and every action
//! not offered is refused by a rule about the case's state.

use std::sync::Arc;

use chrono::{Days, NaiveDate};
use complaints_app::ports::CaseStore;
use complaints_app::staff::possible::ACTION_MOVES;
use complaints_app::staff::{ActionError, LogComplaint, StaffAction};
use complaints_app::staff_contract::{Harness, at, phoned, user};
use complaints_app::testing::MemoryCaseStore;
use complaints_core::case::Case;
use complaints_core::complaint::{ChildInvolvement, Representation};
use complaints_core::records::{AgeBand, CapacityDecision, ChildDecision, ChildRecord, ChildWish};
use complaints_core::reference::CaseRef;
use complaints_core::rejection::RejectionKind;
use complaints_core::roles::Role;
use serde_json::{Value, json};

fn action(value: Value) -> StaffAction {
    serde_json::from_value(value.clone()).unwrap_or_else(|error| panic!("{value}: {error}"))
}

fn points() -> Value {
    json!([{ "summary": "The bin was missed", "outcome_sought": "Collect it" }])
}

/// The action named `name` with answers that suit `case` on `today` (dates on working days).
fn answers(h: &Harness, name: &str, case: &Case, today: NaiveDate) -> StaffAction {
    let working_day_after = |day: NaiveDate| h.calendar.next_working_day_after(day).to_string();
    let later = |days: u64| today.checked_add_days(Days::new(days)).unwrap_or(today).to_string();
    let point_count = case.stage2().and_then(|stage| stage.acknowledged.as_ref()).map_or(1, |ack| ack.points.len());
    let first_open_action = case.records().agreed_actions.iter().position(|agreed| agreed.done_on.is_none());
    let child = ChildRecord {
        involvement: ChildInvolvement::AdultAboutChild,
        age_band: AgeBand::From12To15,
        capacity: None,
        parents: None,
        child_decision: None,
        protection_referral_on: None,
        response_format: None,
    };
    let category = h.actions.config.procedure.categories.first().cloned().unwrap_or_default();
    action(match name {
        "respond" => json!({ "action": name, "outcome": "resolved", "note": "We collected the bin." }),
        "extend" => json!({
            "action": name,
            "reason": "Waiting for the crew's report",
            "new_due": working_day_after(case.response_due()),
        }),
        "escalate" => json!({ "action": name, "channel": "email" }),
        "stage2" => json!({ "action": name, "how": "move", "reason": "It is complex" }),
        "acknowledge" => json!({ "action": name, "points": points() }),
        "amend-points" => json!({ "action": name, "points": points(), "reason": "Agreed by phone" }),
        "update" => json!({ "action": name, "note": "We are still looking into it." }),
        "close" => json!({ "action": name, "point_outcomes": vec!["upheld"; point_count], "note": "Final." }),
        "withdraw" => json!({ "action": name }),
        "not-a-complaint" => json!({
            "action": name,
            "reason": "routine-service-request",
            "directed_to": "The repairs line",
        }),
        "reopen" => json!({ "action": name, "reason": "New evidence", "respond_by": working_day_after(today) }),
        "refer-spso" => json!({ "action": name }),
        "spso-outcome" => json!({ "action": name, "outcome": "not-upheld" }),
        "restrict" => json!({
            "action": name,
            "scope": { "scope": "subjects", "subjects": "The 2019 dispute" },
            "review_on": later(90),
            "reason": "Repeated abusive calls",
        }),
        "review-restriction" => json!({ "action": name, "restriction": 0, "next_review_on": later(120) }),
        "accept-late" => json!({ "action": name, "reason": "In hospital until last week" }),
        "staff-involved" => json!({ "action": name, "staff_ref": "S-9" }),
        "link-learning" => json!({ "action": name, "action_id": "LA-9" }),
        "correspondence-after-final" => json!({ "action": name, "channel": "email" }),
        "record-consent" => {
            json!({ "action": name, "consent_type": "written", "given_on": today.to_string(), "given_by": "Sam" })
        }
        "agree-action" => {
            json!({ "action": name, "description": "Replace the bin", "owner": "Waste team", "due_on": later(14) })
        }
        "complete-action" => json!({ "action": name, "index": first_open_action.unwrap_or(0) }),
        "record-child" => json!({ "action": name, "record": child }),
        "assign" => json!({ "action": name, "handler": "h2" }),
        "classify" => json!({ "action": name, "category": category, "lead_service": "Waste" }),
        other => panic!("no answers for {other}"),
    })
}

/// A named case and the steps that bring it to its state, all on one working day.
struct Sample {
    label: &'static str,
    complaint: LogComplaint,
    steps: Vec<Value>,
}

fn sample(label: &'static str, steps: Vec<Value>) -> Sample {
    Sample { label, complaint: phoned("possible@example.net"), steps }
}

fn samples() -> Vec<Sample> {
    let respond = json!({ "action": "respond", "outcome": "resolved", "note": "Collected." });
    let escalate = json!({ "action": "escalate", "channel": "email" });
    let acknowledge = json!({ "action": "acknowledge", "points": points() });
    let close = json!({ "action": "close", "point_outcomes": ["upheld"], "note": "Final." });
    let extend2 = json!({ "action": "extend", "reason": "Report awaited", "new_due": "2026-03-31" });
    let mut represented = sample(
        "represented, resolved, restricted, with an action agreed",
        vec![
            respond.clone(),
            json!({ "action": "agree-action", "description": "Replace the bin", "owner": "Waste", "due_on": "2026-02-20" }),
            json!({
                "action": "restrict",
                "scope": { "scope": "subjects", "subjects": "The 2019 dispute" },
                "review_on": "2026-05-01",
                "reason": "Repeated abusive calls",
            }),
        ],
    );
    represented.complaint.representation = Some(Representation {
        person_affected: "Sam Campbell".to_owned(),
        relationship: "Son".to_owned(),
        consent_confirmed: true,
    });
    let mut late = sample("late, open at stage 1", Vec::new());
    late.complaint.event_date = NaiveDate::from_ymd_opt(2024, 1, 10);
    let child_goes_on = ChildRecord {
        involvement: ChildInvolvement::ChildComplainant,
        age_band: AgeBand::From16To17,
        capacity: Some(CapacityDecision {
            has_capacity: true,
            decided_by: "Team leader".to_owned(),
            decided_on: NaiveDate::from_ymd_opt(2026, 2, 3).unwrap_or_default(),
        }),
        parents: None,
        child_decision: Some(ChildDecision {
            wish: ChildWish::GoOn,
            on: NaiveDate::from_ymd_opt(2026, 2, 3).unwrap_or_default(),
        }),
        protection_referral_on: None,
        response_format: None,
    };
    vec![
        sample("stage 1 open", Vec::new()),
        sample(
            "stage 1 extended",
            vec![json!({ "action": "extend", "reason": "Report awaited", "new_due": "2026-02-12" })],
        ),
        sample("stage 1 closed (resolved)", vec![respond.clone()]),
        sample(
            "stage 1 reopened",
            vec![respond.clone(), json!({ "action": "reopen", "reason": "New evidence", "respond_by": "2026-02-10" })],
        ),
        sample("stage 2 awaiting acknowledgement", vec![respond.clone(), escalate.clone()]),
        sample("stage 2 acknowledged", vec![respond.clone(), escalate.clone(), acknowledge.clone()]),
        sample("stage 2 extended", vec![respond.clone(), escalate.clone(), acknowledge.clone(), extend2]),
        sample("stage 2 closed", vec![respond.clone(), escalate.clone(), acknowledge.clone(), close.clone()]),
        sample(
            "referred to the SPSO",
            vec![
                respond.clone(),
                escalate.clone(),
                acknowledge.clone(),
                close.clone(),
                json!({ "action": "refer-spso" }),
            ],
        ),
        sample("withdrawn", vec![json!({ "action": "withdraw" })]),
        sample(
            "not a complaint",
            vec![json!({
                "action": "not-a-complaint",
                "reason": "routine-service-request",
                "directed_to": "The repairs line",
            })],
        ),
        sample(
            "a child with capacity decided to go on",
            vec![json!({ "action": "record-child", "record": child_goes_on })],
        ),
        represented,
        late,
    ]
}

async fn case_of(store: &MemoryCaseStore, reference: &CaseRef) -> Case {
    store.get(reference).await.expect("the case").case
}

#[tokio::test]
async fn every_offered_action_is_planned_and_every_hidden_one_refused_by_the_state() {
    let store = Arc::new(MemoryCaseStore::new());
    let h = Harness::new(store.clone());
    let manager = user("m1", Role::Manager);
    let when = at(2026, 2, 3, 10);
    let today = NaiveDate::from_ymd_opt(2026, 2, 3).expect("date");
    let mut problems = Vec::new();
    let mut offered_somewhere = std::collections::BTreeSet::new();
    let mut hidden_somewhere = std::collections::BTreeSet::new();
    for Sample { label, complaint, steps } in samples() {
        let reference = h.log(&manager, complaint, when).await.reference;
        for step in steps {
            h.must(&manager, &reference, action(step), when).await;
        }
        let case = case_of(&store, &reference).await;
        for (name, _) in ACTION_MOVES {
            let offered = h.actions.state_permits(&case, name);
            let planned =
                h.actions.preview(&manager, &reference, None, answers(&h, name, &case, today), Some(when)).await;
            match (offered, planned) {
                (true, Ok(_)) => {
                    offered_somewhere.insert(name);
                }
                (false, Err(ActionError::Rejected(rejected))) if rejected.kind() == RejectionKind::State => {
                    hidden_somewhere.insert(name);
                }
                (true, Err(error)) => problems.push(format!("{label}: {name} is offered but refused: {error}")),
                (false, outcome) => {
                    problems.push(format!("{label}: {name} is hidden but planned as {:?}", outcome.map(|p| p.status)));
                }
            }
        }
    }
    assert!(problems.is_empty(), "the offer and the planner disagree:\n{}", problems.join("\n"));
    // The sample reaches every action, and hides every action that has a state to wait for.
    assert_eq!(offered_somewhere.len(), ACTION_MOVES.len(), "offered somewhere: {offered_somewhere:?}");
    for always in ["restrict", "staff-involved", "link-learning", "record-child", "classify"] {
        assert!(!hidden_somewhere.contains(always), "{always} needs no particular state");
    }
    assert_eq!(hidden_somewhere.len(), ACTION_MOVES.len() - 5, "hidden somewhere: {hidden_somewhere:?}");
}

#[tokio::test]
async fn a_case_at_stage_one_is_offered_its_response_and_not_the_final_one() {
    let store = Arc::new(MemoryCaseStore::new());
    let h = Harness::new(store.clone());
    let handler = user("h1", Role::Handler);
    let reference = h.log(&handler, phoned("stage-one@example.net"), at(2026, 2, 3, 10)).await.reference;
    let case = case_of(&store, &reference).await;
    let offered: Vec<&str> =
        ACTION_MOVES.iter().map(|(name, _)| *name).filter(|name| h.actions.state_permits(&case, name)).collect();
    for name in ["respond", "extend", "stage2", "withdraw", "not-a-complaint"] {
        assert!(offered.contains(&name), "{name} is possible at stage 1: {offered:?}");
    }
    for name in ["close", "acknowledge", "escalate", "reopen", "refer-spso", "update", "record-consent"] {
        assert!(!offered.contains(&name), "{name} is not possible on an open stage 1 case: {offered:?}");
    }
    assert!(!h.actions.state_permits(&case, "no-such-action"), "an unknown name is never offered");
}
