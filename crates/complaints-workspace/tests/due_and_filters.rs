//! What the dashboard, the case list and the case page say about cases at known dates, through the
//! router on the memory store: which dashboard group (mine or the team's; overdue, due today, due
//! soon, stage 2 awaiting acknowledgement, new today) each case lands in with its counts; every
//! filter the case list offers, its paging, and a search narrowed by the filters; the case page's
//! "Letters sent"; and the clocks' working days left and over across the Christmas and New Year
//! bank holidays.
//!
//! The cases are logged by phone, letter or in person at chosen moments in December 2026, around
//! Christmas Day (Friday 25), the Boxing Day substitute (Monday 28), New Year's Day (Friday 1
//! January 2027) and the 2 January substitute (Monday 4 January). The tests whose dates step over
//! those days first check the core calendar has them, so a change of calendar fails there, by
//! name, not in a page check.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;

use axum::Router;
use axum::http::StatusCode;
use chrono::NaiveDate;
use common::{CSRF, World, at, post};
use complaints_app::ports::CaseStore;
use complaints_app::staff::{LogComplaint, StaffAction, StaffUser};
use complaints_core::calendar::Calendar;
use complaints_core::complaint::Channel;
use complaints_core::outcome::Outcome;
use complaints_core::reference::CaseRef;
use complaints_core::roles::Role;

/// The signed-in handler's id: cases assigned to it are "My cases".
const ME: &str = "handler-1";

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

/// The bank holidays the dates below step over are in the core calendar (and the days around them
/// are working days), so the expected counts in these tests hold.
fn christmas_holidays_are_in_the_core_calendar() {
    let calendar = Calendar::scotland();
    for holiday in [date(2026, 12, 25), date(2026, 12, 28), date(2027, 1, 1), date(2027, 1, 4)] {
        assert!(!calendar.is_working_day(holiday), "{holiday} is a Scottish bank holiday");
        assert!(calendar.non_working_day(holiday).is_some(), "{holiday} is listed");
    }
    for working in [date(2026, 12, 24), date(2026, 12, 29), date(2026, 12, 30), date(2026, 12, 31), date(2027, 1, 5)] {
        assert!(calendar.is_working_day(working), "{working} is a working day");
    }
}

fn staff(id: &str, role: Role) -> StaffUser {
    StaffUser { id: id.to_owned(), name: format!("Test {id}"), role, email: None }
}

impl World {
    /// The workspace with [`ME`] signed in.
    fn my_app(&self) -> Router {
        self.app_as(Some(staff(ME, Role::Handler)))
    }

    /// Logs a complaint received (and logged) at `when` by `channel`, with an email address.
    async fn log_at(&self, when: &str, channel: Channel, name: &str) -> CaseRef {
        self.clock.set(at(when));
        let complaint = LogComplaint { channel, name: Some(name.to_owned()), ..self.phoned() };
        self.log_as(&staff(ME, Role::Handler), complaint).await
    }

    /// `action` on `reference` by a manager at `when`.
    async fn act_at(&self, when: &str, reference: &CaseRef, action: StaffAction) {
        self.clock.set(at(when));
        self.staff
            .perform(&staff("manager-1", Role::Manager), reference, None, action, None)
            .await
            .expect("action done");
    }

    async fn assign(&self, when: &str, reference: &CaseRef, handler: &str) {
        let action = StaffAction::Assign { handler: handler.to_owned(), team: None, service_area: None };
        self.act_at(when, reference, action).await;
    }

    async fn respond(&self, when: &str, reference: &CaseRef) {
        let action = StaffAction::Respond {
            outcome: Outcome::Resolved,
            note: "We collected your bin on Wednesday and apologise.".to_owned(),
            route_given_by: None,
            staff_parts: Vec::new(),
        };
        self.act_at(when, reference, action).await;
    }

    async fn escalate(&self, when: &str, reference: &CaseRef) {
        let action = StaffAction::Escalate { channel: Channel::Email, requested_on: None, points: None };
        self.act_at(when, reference, action).await;
    }

    async fn next_due(&self, reference: &CaseRef) -> Option<NaiveDate> {
        self.store.get(reference).await.expect("case").case.index().next_due
    }
}

async fn get(app: Router, uri: &str) -> (StatusCode, String) {
    let reply = common::get(app, uri).await;
    (reply.status, reply.body.replace("&amp;", "&"))
}

/// The text from `start` up to the next `end` after it (panics, naming `start`, when absent).
fn between<'a>(body: &'a str, start: &str, end: &str) -> &'a str {
    let from = body.find(start).unwrap_or_else(|| panic!("{start:?} is on the page:\n{body}"));
    let rest = &body[from..];
    let to = rest.find(end).unwrap_or(rest.len());
    &rest[..to]
}

/// Which of `known` appear in `html`.
fn listed(html: &str, known: &[&CaseRef]) -> BTreeSet<String> {
    known.iter().map(ToString::to_string).filter(|reference| html.contains(reference.as_str())).collect()
}

fn set(references: &[&CaseRef]) -> BTreeSet<String> {
    references.iter().map(ToString::to_string).collect()
}

/// One dashboard group of `who` (`mine` or `team`): its heading's count and the cases in its table
/// (none when the group says "None.").
fn group(body: &str, who: &str, id: &str, known: &[&CaseRef]) -> (String, BTreeSet<String>) {
    let heading = between(body, &format!(r#"id="{who}-{id}">"#), "</h3>");
    let count = heading.rsplit('(').next().unwrap_or_default().trim_end_matches(')').to_owned();
    let table = format!(r#"id="{who}-{id}-table""#);
    let cases = if body.contains(&table) { listed(between(body, &table, "</table>"), known) } else { BTreeSet::new() };
    (count, cases)
}

/// The count shown in the summary links at the top of `who`'s board for group `id`.
fn summary_count(body: &str, who: &str, id: &str) -> String {
    let link = between(body, &format!(r##"<a href="#{who}-{id}">"##), "</a>");
    between(link, r#"<span class="counts__number">"#, "</span>")
        .trim_start_matches(r#"<span class="counts__number">"#)
        .to_owned()
}

#[tokio::test]
async fn the_dashboard_puts_each_case_in_its_group_for_me_and_for_the_team_with_counts() {
    christmas_holidays_are_in_the_core_calendar();
    let world = World::new();
    // Stage 1 is 5 working days from receipt, the day of receipt being day 1 (R19; R7's rule A,
    // the built-in configuration's). Today is Wednesday 23 December 2026; "due soon" is due within
    // 3 working days after today: 24, 29 and 30 December.
    let overdue = world.log_at("2026-12-14T10:00:00Z", Channel::Phone, "A Overdue").await; // due Fri 18
    let due_today = world.log_at("2026-12-17T10:00:00Z", Channel::Phone, "B Today").await; // due Wed 23
    let soon = world.log_at("2026-12-21T10:00:00Z", Channel::Letter, "C Soon").await; // due Tue 29
    // Due Wed 30 December: 3 working days after today only because 25 and 28 December are holidays.
    let soon_over_christmas = world.log_at("2026-12-22T10:00:00Z", Channel::Phone, "D Holiday").await;
    // Extended by a manager (R21) to Thursday 31 December, as far as stage 1 may go (10 working
    // days): 4 working days after today, so open, mine and in no due group.
    let extended = world.log_at("2026-12-16T10:00:00Z", Channel::InPerson, "E Extended").await;
    world
        .act_at(
            "2026-12-18T10:00:00Z",
            &extended,
            StaffAction::Extend {
                reason: "Waiting for the contractor.".to_owned(),
                new_due: date(2026, 12, 31),
                stage: None,
            },
        )
        .await;
    // Responded to at stage 1 on 3 December, asked for stage 2 today: awaiting acknowledgement.
    let awaiting = world.log_at("2026-12-01T10:00:00Z", Channel::Phone, "G Awaiting").await;
    world.respond("2026-12-03T10:00:00Z", &awaiting).await;
    // Closed at stage 1 and not escalated: not open, on neither board.
    let closed = world.log_at("2026-12-02T10:00:00Z", Channel::Phone, "H Closed").await;
    world.respond("2026-12-04T10:00:00Z", &closed).await;
    for reference in [&overdue, &soon, &extended] {
        world.assign("2026-12-22T11:00:00Z", reference, ME).await;
    }
    world.assign("2026-12-22T11:00:00Z", &soon_over_christmas, "handler-2").await;
    world.escalate("2026-12-23T08:30:00Z", &awaiting).await;
    world.assign("2026-12-23T08:40:00Z", &awaiting, ME).await;
    // Received today: due Thursday 31 December, 4 working days after today, so not due soon.
    let new_today = world.log_at("2026-12-23T09:00:00Z", Channel::Phone, "F New").await;
    world.clock.set(at("2026-12-23T10:00:00Z"));

    // The due dates the groups follow, as the core computed them.
    assert_eq!(world.next_due(&overdue).await, Some(date(2026, 12, 18)));
    assert_eq!(world.next_due(&due_today).await, Some(date(2026, 12, 23)));
    assert_eq!(world.next_due(&soon).await, Some(date(2026, 12, 29)));
    assert_eq!(world.next_due(&soon_over_christmas).await, Some(date(2026, 12, 30)));
    assert_eq!(world.next_due(&extended).await, Some(date(2026, 12, 31)));
    assert_eq!(world.next_due(&new_today).await, Some(date(2026, 12, 31)));
    // R24: stage 2 is acknowledged within 3 working days of the request: 23, 24 and 29 December.
    assert_eq!(world.next_due(&awaiting).await, Some(date(2026, 12, 29)));

    let known = [&overdue, &due_today, &soon, &soon_over_christmas, &extended, &awaiting, &closed, &new_today];
    let (status, body) = get(world.my_app(), "/staff/").await;
    assert_eq!(status, StatusCode::OK);
    let mine = between(&body, r#"id="mine-heading""#, r#"id="team-heading""#);
    let team = between(&body, r#"id="team-heading""#, "</main>");
    assert!(mine.contains("4 open cases."), "{mine}");
    assert!(team.contains("7 open cases."), "{team}");
    assert!(!body.contains(&closed.to_string()), "a case closed at stage 1 is not on the dashboard");

    let expect = |who: &str, id: &str, cases: &[&CaseRef]| {
        let (count, found) = group(&body, who, id, &known);
        assert_eq!(found, set(cases), "{who} {id}");
        assert_eq!(count, cases.len().to_string(), "{who} {id}: the heading's count");
        assert_eq!(summary_count(&body, who, id), cases.len().to_string(), "{who} {id}: the summary's count");
    };
    expect("mine", "overdue", &[&overdue]);
    expect("mine", "due-today", &[]);
    expect("mine", "due-soon", &[&soon, &awaiting]);
    expect("mine", "awaiting-acknowledgement", &[&awaiting]);
    expect("mine", "new-today", &[]);
    expect("team", "overdue", &[&overdue]);
    expect("team", "due-today", &[&due_today]);
    expect("team", "due-soon", &[&soon, &soon_over_christmas, &awaiting]);
    expect("team", "awaiting-acknowledgement", &[&awaiting]);
    expect("team", "new-today", &[&new_today]);
    // Case E (extended) is open and mine but in no group: it counts as open only.
    assert!(!body.contains(&extended.to_string()), "4 working days left is not due soon");
    // Case F, 4 working days left, is only new: not due soon.
    assert!(
        !between(&body, r#"id="team-due-soon""#, r#"id="team-awaiting-acknowledgement""#)
            .contains(&new_today.to_string())
    );
    assert!(listed(mine, &[&due_today, &soon_over_christmas, &new_today]).is_empty(), "others' cases are not mine");
    // The group's link to the case list keeps the handler for "mine" and holds nothing personal.
    assert!(mine.contains(&format!("/staff/cases?due=overdue&handler={ME}")), "{mine}");
    assert!(team.contains("/staff/cases?due=soon\""), "{team}");
}

/// The cases in the list's table on `uri` (none when it says "No cases match.").
async fn list(world: &World, uri: &str, known: &[&CaseRef]) -> BTreeSet<String> {
    let (status, body) = get(world.my_app(), uri).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    if body.contains(r#"id="cases-table""#) {
        listed(between(&body, r#"id="cases-table""#, "</table>"), known)
    } else {
        assert!(body.contains("No cases match."), "{uri}: {body}");
        BTreeSet::new()
    }
}

#[tokio::test]
async fn every_filter_of_the_case_list_narrows_it_to_the_cases_that_match() {
    christmas_holidays_are_in_the_core_calendar();
    let world = World::new();
    // Day 1 is the day of receipt (R19, R7 rule A).
    let overdue = world.log_at("2026-12-14T10:00:00Z", Channel::Phone, "A Overdue").await; // due 18 Dec
    let today = world.log_at("2026-12-17T10:00:00Z", Channel::Letter, "B Today").await; // due 23 Dec
    let soon = world.log_at("2026-12-21T10:00:00Z", Channel::InPerson, "C Soon").await; // due 29 Dec
    let later = world.log_at("2026-12-23T08:00:00Z", Channel::Phone, "D Later").await; // due 31 Dec
    let stage2 = world.log_at("2026-12-01T10:00:00Z", Channel::Phone, "E Stage two").await;
    world.respond("2026-12-03T10:00:00Z", &stage2).await;
    let closed = world.log_at("2026-12-02T10:00:00Z", Channel::Letter, "F Closed").await;
    world.respond("2026-12-04T10:00:00Z", &closed).await;
    // Received and closed more than 12 months before today.
    let old = world.log_at("2025-11-03T10:00:00Z", Channel::Phone, "G Old").await;
    world.respond("2025-11-05T10:00:00Z", &old).await;
    world.assign("2026-12-22T11:00:00Z", &overdue, ME).await;
    world.escalate("2026-12-22T12:00:00Z", &stage2).await; // acknowledgement due 24 Dec (R24: 3 days)
    world.clock.set(at("2026-12-23T10:00:00Z"));
    assert_eq!(world.next_due(&overdue).await, Some(date(2026, 12, 18)));
    assert_eq!(world.next_due(&today).await, Some(date(2026, 12, 23)));
    assert_eq!(world.next_due(&soon).await, Some(date(2026, 12, 29)));
    assert_eq!(world.next_due(&stage2).await, Some(date(2026, 12, 24)));
    assert_eq!(world.next_due(&later).await, Some(date(2026, 12, 31)));

    let known = [&overdue, &today, &soon, &later, &stage2, &closed, &old];
    let open = set(&[&overdue, &today, &soon, &later, &stage2]);
    let cases = |uri: &'static str| list(&world, uri, &known);
    assert_eq!(cases("/staff/cases").await, open, "open cases by default");
    assert_eq!(cases("/staff/cases?scope=open").await, open);
    let mut year = open.clone();
    year.insert(closed.to_string());
    assert_eq!(cases("/staff/cases?scope=year").await, year, "closed too, but only the last 12 months");

    assert_eq!(cases("/staff/cases?status=stage1-open").await, set(&[&overdue, &today, &soon, &later]));
    assert_eq!(cases("/staff/cases?status=stage2-awaiting-acknowledgement").await, set(&[&stage2]));
    assert_eq!(cases("/staff/cases?status=stage1-closed").await, BTreeSet::new(), "closed cases are not open");
    assert_eq!(cases("/staff/cases?status=stage1-closed&scope=year").await, set(&[&closed]));
    assert_eq!(cases("/staff/cases?status=stage2-closed&scope=year").await, BTreeSet::new());

    assert_eq!(cases("/staff/cases?stage=1").await, set(&[&overdue, &today, &soon, &later]));
    assert_eq!(cases("/staff/cases?stage=2").await, set(&[&stage2]));
    assert_eq!(cases("/staff/cases?stage=1&scope=year").await, set(&[&overdue, &today, &soon, &later, &closed]));

    assert_eq!(cases("/staff/cases?channel=phone").await, set(&[&overdue, &later, &stage2]));
    assert_eq!(cases("/staff/cases?channel=letter").await, set(&[&today]));
    assert_eq!(cases("/staff/cases?channel=in-person").await, set(&[&soon]));
    assert_eq!(cases("/staff/cases?channel=web-form").await, BTreeSet::new());
    assert_eq!(cases("/staff/cases?channel=letter&scope=year").await, set(&[&today, &closed]));

    assert_eq!(cases("/staff/cases?handler=handler-1").await, set(&[&overdue]));
    assert_eq!(cases("/staff/cases?handler=+HANDLER-1+").await, set(&[&overdue]), "spaces and case do not matter");
    assert_eq!(cases("/staff/cases?handler=handler").await, BTreeSet::new(), "the whole id, not a part");

    // Today is Wednesday 23 December; "soon" is by the third working day after: 30 December.
    assert_eq!(cases("/staff/cases?due=overdue").await, set(&[&overdue]));
    assert_eq!(cases("/staff/cases?due=today").await, set(&[&overdue, &today]), "due by today, overdue included");
    assert_eq!(cases("/staff/cases?due=soon").await, set(&[&overdue, &today, &soon, &stage2]));
    assert_eq!(cases("/staff/cases?due=soon&channel=phone").await, set(&[&overdue, &stage2]), "filters combine");

    for bad in ["status=open", "stage=3", "channel=fax", "due=tomorrow", "scope=forever", "cursor=nonsense"] {
        let (status, body) = get(world.my_app(), &format!("/staff/cases?{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(body.contains("There is a problem"), "{bad}: {body}");
        assert!(listed(&body, &known).is_empty(), "{bad}: a bad filter lists nothing");
    }
}

#[tokio::test]
async fn the_case_list_pages_through_more_cases_than_fit_on_one_page_without_repeating_any() {
    let world = World::new();
    let mut logged = Vec::new();
    for n in 0..27_u32 {
        let when = format!("2026-12-{:02}T{:02}:00:00Z", 1 + n % 14, 8 + n % 9);
        logged.push(world.log_at(&when, Channel::Phone, &format!("Person {n}")).await);
    }
    world.clock.set(at("2026-12-15T10:00:00Z"));
    let known: Vec<&CaseRef> = logged.iter().collect();
    let (status, first) = get(world.my_app(), "/staff/cases").await;
    assert_eq!(status, StatusCode::OK);
    let page_one = listed(between(&first, r#"id="cases-table""#, "</table>"), &known);
    assert_eq!(page_one.len(), 25, "25 cases on a page");
    assert!(first.contains("25 cases on this page"), "{first}");
    let pager = between(&first, r#"<nav class="pager""#, "</nav>");
    assert!(!pager.contains("First page"), "the first page offers no way back to itself");
    let next = between(pager, r#"<a href=""#, r#"">Next page"#).trim_start_matches(r#"<a href=""#).to_owned();
    assert!(next.starts_with("/staff/cases?cursor="), "{next}");
    let (status, second) = get(world.my_app(), &next).await;
    assert_eq!(status, StatusCode::OK);
    let page_two = listed(between(&second, r#"id="cases-table""#, "</table>"), &known);
    assert_eq!(page_two.len(), 2, "the rest");
    assert!(page_one.is_disjoint(&page_two), "no case on both pages");
    assert_eq!(page_one.union(&page_two).count(), 27, "every case on one of the pages");
    assert!(!second.contains("Next page"), "the last page has no next");
    assert!(second.contains("First page"));
    // A filter is kept from page to page.
    let (_, filtered) = get(world.my_app(), "/staff/cases?channel=phone").await;
    let next = between(&filtered, r#"<nav class="pager""#, "</nav>");
    assert!(next.contains("channel=phone"), "{next}");
}

#[tokio::test]
async fn the_case_page_lists_every_letter_sent_oldest_first_with_its_text() {
    let world = World::new();
    let reference = world.log_at("2026-12-01T10:00:00Z", Channel::Phone, "Morag Campbell").await;
    world.respond("2026-12-03T10:00:00Z", &reference).await;
    world.clock.set(at("2026-12-04T10:00:00Z"));
    let sent = world.mailer.sent().len();
    assert_eq!(sent, 2, "the acknowledgement and the stage 1 response went");

    let (status, body) = get(world.my_app(), &format!("/staff/cases/{reference}")).await;
    assert_eq!(status, StatusCode::OK);
    let letters = between(&body, r#"id="letters""#, r#"id="timeline""#);
    assert_eq!(letters.matches(r#"<li class="timeline__item">"#).count(), sent, "one entry per letter: {letters}");
    assert_eq!(letters.matches(" · Sent</span>").count(), sent, "each says it was sent: {letters}");
    assert_eq!(letters.matches("to morag@example.net").count(), sent, "and to whom");
    let acknowledgement = letters.find("<strong>Acknowledgement</strong>").expect("the acknowledgement is listed");
    let response = letters.find("<strong>Stage 1 response</strong>").expect("the response is listed");
    assert!(acknowledgement < response, "oldest first");
    assert!(letters.contains("1 December 2026"), "when the acknowledgement went: {letters}");
    assert!(letters.contains("3 December 2026"), "when the response went");
    assert!(letters.contains("We collected your bin on Wednesday and apologise."), "the letter's text can be read");
    assert!(!letters.contains("No letters yet."));
}

#[tokio::test]
async fn a_case_with_nowhere_to_write_says_no_letters_yet() {
    let world = World::new();
    world.clock.set(at("2026-12-01T10:00:00Z"));
    let complaint = LogComplaint {
        name: Some("Alex Example".to_owned()),
        email: None,
        phone: Some("01234 567890".to_owned()),
        description: "The streetlight is out.".to_owned(),
        outcome_sought: None,
        note: "Called at 09:40.".to_owned(),
        ..world.phoned()
    };
    let reference = world.log_as(&staff(ME, Role::Handler), complaint).await;
    assert!(world.mailer.sent().is_empty(), "no address, no acknowledgement");
    let (_, body) = get(world.my_app(), &format!("/staff/cases/{reference}")).await;
    let letters = between(&body, r#"id="letters""#, r#"id="timeline""#);
    assert!(letters.contains("No letters yet."), "{letters}");
    assert!(!letters.contains(r#"<li class="timeline__item">"#));
}

/// The stage 1 clock's row on the case page: its due date and its working days.
async fn stage1_clock(world: &World, reference: &CaseRef, now: &str) -> String {
    world.clock.set(at(now));
    let (status, body) = get(world.my_app(), &format!("/staff/cases/{reference}")).await;
    assert_eq!(status, StatusCode::OK);
    let clocks = between(&body, r#"id="clocks""#, "</table>");
    between(clocks, "Stage 1 response", "</tr>").to_owned()
}

#[tokio::test]
async fn the_case_pages_clock_counts_working_days_left_and_over_across_the_christmas_holidays() {
    christmas_holidays_are_in_the_core_calendar();
    let world = World::new();
    // Received Wednesday 23 December: 23, 24, 29, 30 and 31 December are its 5 working days (the
    // day of receipt is day 1: R19, R7 rule A).
    let reference = world.log_at("2026-12-23T10:00:00Z", Channel::Phone, "Morag Campbell").await;
    assert_eq!(world.next_due(&reference).await, Some(date(2026, 12, 31)));

    // Thursday 24 December: 29, 30 and 31 left (not 25, 28: holidays; not 26, 27: the weekend).
    let row = stage1_clock(&world, &reference, "2026-12-24T10:00:00Z").await;
    assert!(row.contains("31 December 2026"), "{row}");
    assert!(row.contains("3 working days left"), "{row}");
    assert!(row.contains("tag--due"), "3 working days is due soon: {row}");
    // Sunday 27 December: still 3 (nothing was a working day since Thursday).
    let row = stage1_clock(&world, &reference, "2026-12-27T10:00:00Z").await;
    assert!(row.contains("3 working days left"), "{row}");
    let row = stage1_clock(&world, &reference, "2026-12-31T10:00:00Z").await;
    assert!(row.contains("Due today"), "{row}");
    // Monday 4 January 2027 (the 2 January substitute): past the date, so overdue, though no
    // working day has passed since (1 January is a holiday too).
    let row = stage1_clock(&world, &reference, "2027-01-04T10:00:00Z").await;
    assert!(row.contains("tag--overdue"), "past its date is overdue: {row}");
    // Tuesday 5 January 2027: 1 working day over (1 and 4 January are holidays).
    let row = stage1_clock(&world, &reference, "2027-01-05T10:00:00Z").await;
    assert!(row.contains("Overdue: 1 working day over"), "{row}");
    // Friday 8 January 2027: 5, 6, 7 and 8 January.
    let row = stage1_clock(&world, &reference, "2027-01-08T10:00:00Z").await;
    assert!(row.contains("Overdue: 4 working days over"), "{row}");
    assert!(row.contains("Running"), "{row}");
}

/// The cases a POST search of the case list finds (the words and the filters in the form body).
async fn search(world: &World, form: &[(&str, &str)], known: &[&CaseRef]) -> BTreeSet<String> {
    let reply = post(world.my_app(), "/staff/cases", form).await;
    assert_eq!(reply.status, StatusCode::OK);
    let page = reply.body;
    if page.contains(r#"id="cases-table""#) {
        listed(between(&page, r#"id="cases-table""#, "</table>"), known)
    } else {
        BTreeSet::new()
    }
}

#[tokio::test]
async fn a_search_covers_cases_of_any_age_narrowed_by_the_filters_beside_it() {
    let world = World::new();
    // Three Campbells and someone else (every case here has the same email address, without the name).
    let open_by_phone = world.log_at("2026-12-14T10:00:00Z", Channel::Phone, "Ailsa Campbell").await;
    let closed_by_letter = world.log_at("2026-06-02T10:00:00Z", Channel::Letter, "Iain Campbell").await;
    world.respond("2026-06-04T10:00:00Z", &closed_by_letter).await;
    let a_year_old = world.log_at("2025-11-03T10:00:00Z", Channel::Phone, "Rory Campbell").await;
    world.respond("2025-11-05T10:00:00Z", &a_year_old).await;
    let someone_else = world.log_at("2026-12-15T10:00:00Z", Channel::Phone, "Alex Example").await;
    world.clock.set(at("2026-12-23T10:00:00Z"));
    let known = [&open_by_phone, &closed_by_letter, &a_year_old, &someone_else];

    let words = |extra: &[(&'static str, &'static str)]| {
        let mut form = vec![("csrf", CSRF), ("q", "campbell")];
        form.extend_from_slice(extra);
        form
    };
    assert_eq!(
        search(&world, &words(&[]), &known).await,
        set(&[&open_by_phone, &closed_by_letter, &a_year_old]),
        "open or closed, of any age, matching every word of the name (the name index)"
    );
    assert_eq!(search(&world, &words(&[("channel", "letter")]), &known).await, set(&[&closed_by_letter]));
    assert_eq!(search(&world, &words(&[("scope", "open")]), &known).await, set(&[&open_by_phone]));
    assert_eq!(
        search(&world, &words(&[("status", "stage1-closed")]), &known).await,
        set(&[&closed_by_letter, &a_year_old])
    );
    assert_eq!(search(&world, &words(&[("stage", "2")]), &known).await, BTreeSet::new());
}
