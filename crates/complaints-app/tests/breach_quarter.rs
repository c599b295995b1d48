//! The breach scan over a simulated quarter (April–June 2026: Good Friday, the May bank holidays,
//! the one-off 15 June holiday and a local closure on 15 May): 300 cases with realistic lifecycles
//! (stage 1 closures on time and late, extensions, escalations, direct stage 2 with extensions and
//! progress updates, withdrawals, reopenings) driven day by day, the scan run at 08:00 and 13:00
//! every day (weekends and holidays too, where it must send nothing), sometimes twice at once.
//!
//! The expected alerts are computed here, independently of the alert planner: this file counts
//! working days itself from its own list of the quarter's non-working days, knows each clock's due
//! date from the lifecycle it drove, and applies the levels as docs/breach-scan.md states them.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc, Weekday};
use complaints_app::alert_store::{AlertBatch, AlertCommit, AlertStore, DigestDraft, DigestSent};
use complaints_app::breach_scan::{BreachScan, ScanError, ScanReport};
use complaints_app::outbound::NewMessage;
use complaints_app::ports::{CaseStore, NewCase, StoreError, StoredCase};
use complaints_app::testing::{MemoryCaseStore, sample_complaint};
use complaints_core::actor::{Authoriser, StaffRole};
use complaints_core::alerts::AlertLevel;
use complaints_core::case::{Case, CaseEvent, PointOfComplaint, Rules, Stage};
use complaints_core::command::Command;
use complaints_core::complaint::Channel;
use complaints_core::config::OrgConfig;
use complaints_core::deadlines::ClockKind;
use complaints_core::outcome::Outcome;
use complaints_core::reference::CaseRef;
use complaints_core::signposting::{CustomerTold, SpsoSignposting, Stage2Signposting};
use complaints_core::timeline::Actor;

const COMPLAINANT_EMAIL: &str = "quarter.complainant@example.net";

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}

/// The quarter's non-working weekdays, listed by hand (not from the calendar module), and the
/// August bank holiday, which extended due dates reach.
fn holidays() -> BTreeSet<NaiveDate> {
    [d(2026, 4, 3), d(2026, 5, 4), d(2026, 5, 15), d(2026, 5, 25), d(2026, 6, 15), d(2026, 8, 3)].into_iter().collect()
}

/// This test's own working-day arithmetic.
struct WorkDays {
    off: BTreeSet<NaiveDate>,
}

impl WorkDays {
    fn working(&self, day: NaiveDate) -> bool {
        !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !self.off.contains(&day)
    }
    fn on_or_after(&self, mut day: NaiveDate) -> NaiveDate {
        while !self.working(day) {
            day = day + Days::new(1);
        }
        day
    }
    fn after(&self, day: NaiveDate) -> NaiveDate {
        self.on_or_after(day + Days::new(1))
    }
    fn before(&self, mut day: NaiveDate) -> NaiveDate {
        day = day - Days::new(1);
        while !self.working(day) {
            day = day - Days::new(1);
        }
        day
    }
    /// The `n`th working day counting `start` (a working day) as day 1.
    fn nth(&self, start: NaiveDate, n: u32) -> NaiveDate {
        (1..n).fold(start, |day, _| self.after(day))
    }
}

/// One deadline version of one clock, and the days it ran at scan time.
#[derive(Debug, Clone)]
struct ClockSpan {
    reference: String,
    stage: Stage,
    kind: ClockKind,
    due: NaiveDate,
    /// First day a scan can see it running.
    from: NaiveDate,
    /// Last day a scan sees it running (the day it was stopped: actions come after the scans).
    until: NaiveDate,
}

/// The due-soon leads of the default settings, as docs/breach-scan.md states them.
fn leads(stage: Stage, kind: ClockKind) -> Vec<u32> {
    match (stage, kind) {
        (Stage::One, _) => vec![2],
        (Stage::Two, ClockKind::Stage2Response | ClockKind::ReopenedResponse) => vec![5, 2],
        _ => vec![],
    }
}

type Key = (String, &'static str, &'static str, String, NaiveDate);

fn level_key(level: AlertLevel) -> String {
    level.key()
}

/// The alerts a span must produce: on each working day it runs, the most pressing level reached.
fn expected_of(span: &ClockSpan, days: &WorkDays, last_day: NaiveDate) -> BTreeSet<Key> {
    let mut out = BTreeSet::new();
    let mut day = span.from;
    let until = span.until.min(last_day);
    while day <= until {
        if days.working(day) {
            let mut level = None;
            for lead in leads(span.stage, span.kind) {
                let mut date = span.due;
                for _ in 0..lead {
                    date = days.before(date);
                }
                if date <= day {
                    level = Some(AlertLevel::DueSoon(lead));
                }
            }
            if span.due <= day {
                level = Some(AlertLevel::DueToday);
            }
            if days.after(span.due) <= day {
                level = Some(AlertLevel::Overdue);
            }
            if let Some(level) = level {
                out.insert((
                    span.reference.clone(),
                    stage_name(span.stage),
                    span.kind.as_str(),
                    level_key(level),
                    span.due,
                ));
            }
        }
        day = day + Days::new(1);
    }
    out
}

fn stage_name(stage: Stage) -> &'static str {
    match stage {
        Stage::One => "s1",
        Stage::Two => "s2",
    }
}

/// A case being driven: its stored form and the clock spans it has had.
struct Driven {
    stored: StoredCase,
    spans: Vec<ClockSpan>,
    /// Index into `spans` of each running clock, by (stage, kind).
    running: BTreeMap<(&'static str, &'static str), usize>,
    plan: Plan,
}

/// What will happen to a case, by working-day offsets from the relevant start.
#[derive(Debug, Clone, Copy)]
enum Plan {
    /// Stage 1 answered on working day `n` (late when > 5).
    Stage1Close(u32),
    /// Stage 1 extended on day 3 to day 9, answered on day `n`.
    Stage1Extended(u32),
    /// Stage 1 answered on day 4, escalated 3 working days later, acknowledged on stage 2 day 2,
    /// answered on stage 2 day `n`.
    Escalated(u32),
    /// Direct to stage 2 on receipt; acknowledged on day `ack`; answered on day 18.
    Direct { ack: u32 },
    /// Direct; acknowledged on day 2; extended on day 15 to day 45; progress update given 6 working
    /// days after the first progress due date (late), never answered within the quarter.
    DirectExtended,
    /// Withdrawn on stage 1 day 2.
    Withdrawn,
    /// Stage 1 answered on day 3, reopened 4 working days later with a response due 4 working days
    /// after that, answered one working day late.
    Reopened,
}

fn plan_for(i: usize) -> Plan {
    match i % 12 {
        0 | 1 => Plan::Stage1Close(3),
        2 => Plan::Stage1Close(5),
        3 => Plan::Stage1Close(7),
        4 => Plan::Stage1Extended(9),
        5 => Plan::Stage1Extended(11),
        6 => Plan::Escalated(17),
        7 => Plan::Escalated(22),
        8 => Plan::Direct { ack: if i % 24 == 8 { 2 } else { 5 } },
        9 => Plan::DirectExtended,
        10 => Plan::Withdrawn,
        _ => Plan::Reopened,
    }
}

struct Sim {
    store: Arc<MemoryCaseStore>,
    config: Arc<OrgConfig>,
    days: WorkDays,
}

fn five_pm(on: NaiveDate) -> DateTime<Utc> {
    on.and_hms_opt(16, 0, 0).expect("time").and_utc()
}

impl Sim {
    fn rules_apply(
        &self,
        case: &Case,
        command: Command,
        on: NaiveDate,
    ) -> (Case, Vec<complaints_core::timeline::TimelineEvent>) {
        let calendar = self.config.calendar();
        let rules = Rules { calendar: &calendar, policy: &self.config.procedure };
        case.apply(command, five_pm(on), Actor::Staff("sim".to_owned()), rules).expect("command accepted")
    }

    async fn apply(&self, driven: &mut Driven, command: Command, on: NaiveDate) {
        let (next, events) = self.rules_apply(&driven.stored.case, command, on);
        let version = self.store.update(&next, driven.stored.version, events).await.expect("update");
        driven.stored = StoredCase { case: next, version };
    }
}

fn start(driven: &mut Driven, stage: Stage, kind: ClockKind, due: NaiveDate, from: NaiveDate) {
    let reference = driven.stored.case.reference().to_string();
    let key = (stage_name(stage), kind.as_str());
    driven.spans.push(ClockSpan { reference, stage, kind, due, from, until: NaiveDate::MAX });
    driven.running.insert(key, driven.spans.len() - 1);
}

fn stop(driven: &mut Driven, stage: Stage, kind: ClockKind, on: NaiveDate) {
    if let Some(index) = driven.running.remove(&(stage_name(stage), kind.as_str())) {
        driven.spans[index].until = on;
    }
}

fn authoriser() -> Authoriser {
    Authoriser { staff_id: "manager-1".to_owned(), role: StaffRole::Manager }
}

fn points() -> Vec<PointOfComplaint> {
    vec![PointOfComplaint { summary: "Point".to_owned(), outcome_sought: "Fix".to_owned() }]
}

fn config() -> OrgConfig {
    let text = r#"
[alerts]
team_mailbox = "complaints-team@example.org"
complaints_manager = "manager@example.org"
staff_base_url = "https://staff.example.org"
[alerts.handlers]
"Alex Handler" = "alex@example.org"
"Sam Handler" = "sam@example.org"

[[calendar.add]]
date = "2026-05-15"
name = "Office move"
kind = "closure"
source = "Test notice"
"#;
    OrgConfig::from_toml_str(text).expect("config")
}

/// The scan as run at a local (BST) time of day.
fn local(on: NaiveDate, hour: u32) -> DateTime<Utc> {
    // April to June is BST: UTC+1.
    Utc.with_ymd_and_hms(on.year(), on.month(), on.day(), hour - 1, 0, 0).single().expect("instant")
}

fn keys_of(report: &ScanReport) -> Vec<Key> {
    report
        .alerts
        .iter()
        .map(|a| (a.reference.clone(), stage_name(a.stage), a.clock.as_str(), a.level.key(), a.due))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulated_quarter_sends_exactly_the_expected_alerts_once_each() {
    let config = Arc::new(config());
    let store = Arc::new(MemoryCaseStore::new());
    let sim = Sim { store: Arc::clone(&store), config: Arc::clone(&config), days: WorkDays { off: holidays() } };
    let scan = BreachScan::new(store.clone(), store.clone(), Arc::clone(&config));
    let calendar = config.calendar();
    let policy = &config.procedure;

    let first = d(2026, 4, 1);
    let last = d(2026, 6, 30);
    let mut driven: Vec<Driven> = Vec::new();
    let mut received = 0usize;
    let mut sent: Vec<Key> = Vec::new();
    let mut nothing_on_non_working_days = true;
    // The recipients of each run's digests.
    let mut runs: Vec<Vec<String>> = Vec::new();
    let mut day = first;
    while day <= last {
        let working = sim.days.working(day);
        // 08:00: the scan, and on every fifth day a second, overlapping one.
        let morning = local(day, 8);
        let (a, b) = if day.ordinal().is_multiple_of(5) {
            tokio::join!(scan.run(morning), scan.run(morning))
        } else {
            (scan.run(morning).await, Ok(ScanReport::default()))
        };
        for report in [a.expect("scan"), b.expect("scan")] {
            if !working && !report.alerts.is_empty() {
                nothing_on_non_working_days = false;
            }
            sent.extend(keys_of(&report));
            runs.push(report.digests.iter().map(|d| d.to.clone()).collect());
        }

        // Receipts at 10:00 UTC, 300 over the first 60 calendar days (weekends too).
        if day < first + Days::new(60) {
            for _ in 0..5 {
                let i = received;
                received += 1;
                let reference = CaseRef::new("QTR", 2026, 0).expect("prefix");
                let rules = Rules { calendar: &calendar, policy };
                let at = day.and_hms_opt(10, 0, 0).expect("time").and_utc();
                let complaint = sample_complaint(Channel::WebForm, Some(COMPLAINANT_EMAIL));
                let (case, events) =
                    Case::open(reference, complaint, at, "Complaints Team".to_owned(), None, rules, Actor::System);
                let stored =
                    store.create(NewCase { case, events, source_key: None, mail: None }).await.expect("create");
                let effective = sim.days.on_or_after(day);
                let mut item = Driven { stored, spans: Vec::new(), running: BTreeMap::new(), plan: plan_for(i) };
                start(&mut item, Stage::One, ClockKind::Stage1Response, sim.days.nth(effective, 5), effective);
                assert_eq!(item.stored.case.stage1_due(), sim.days.nth(effective, 5), "stage 1 due date (rule A)");
                driven.push(item);
            }
        }

        // 13:00: the scan again, repeated at once on every seventh day.
        let afternoon = local(day, 13);
        for _ in 0..(if day.ordinal().is_multiple_of(7) { 2 } else { 1 }) {
            let report = scan.run(afternoon).await.expect("scan");
            if !working && !report.alerts.is_empty() {
                nothing_on_non_working_days = false;
            }
            sent.extend(keys_of(&report));
            runs.push(report.digests.iter().map(|d| d.to.clone()).collect());
        }

        // 17:00: staff actions, on working days.
        if working {
            for (i, item) in driven.iter_mut().enumerate() {
                act(&sim, item, day, i).await;
            }
        }
        day = day + Days::new(1);
    }

    // Every alert once.
    let unique: BTreeSet<Key> = sent.iter().cloned().collect();
    assert_eq!(unique.len(), sent.len(), "no alert was sent twice");
    assert!(nothing_on_non_working_days, "no alert on a weekend or holiday");

    let mut expected = BTreeSet::new();
    for item in &driven {
        for span in &item.spans {
            expected.extend(expected_of(span, &sim.days, last));
        }
    }
    let missing: Vec<_> = expected.difference(&unique).take(10).collect();
    let extra: Vec<_> = unique.difference(&expected).take(10).collect();
    assert!(missing.is_empty() && extra.is_empty(), "missing {missing:?}\nextra {extra:?}");
    assert_eq!(received, 300);
    assert!(expected.len() > 300, "a quarter of 300 cases raises many alerts ({})", expected.len());
    for level in ["due-soon-5", "due-soon-2", "due-today", "overdue"] {
        assert!(expected.iter().any(|k| k.3 == level), "the quarter exercises {level}");
    }
    for kind in ["stage1-response", "stage2-acknowledgement", "stage2-response", "progress-update", "reopened-response"]
    {
        assert!(expected.iter().any(|k| k.2 == kind), "the quarter exercises {kind}");
    }

    // Each alert is on its case's timeline once; the digests carry no complainant details.
    let mut on_timelines = 0;
    for item in &driven {
        let timeline = store.timeline(item.stored.case.reference()).await.expect("timeline");
        on_timelines += timeline.iter().filter(|e| matches!(e.what, CaseEvent::DeadlineAlerted { .. })).count();
    }
    assert_eq!(on_timelines, unique.len());
    let pending = store.pending_messages(local(last, 23), 100_000).await.expect("pending");
    let digests: Vec<_> =
        pending.iter().filter(|p| p.message.purpose == complaints_core::case::MessagePurpose::DeadlineDigest).collect();
    assert!(!digests.is_empty());
    for digest in &digests {
        let raw = String::from_utf8_lossy(&digest.message.raw);
        assert!(!raw.contains(COMPLAINANT_EMAIL), "a digest quotes the complainant's address");
        assert!(!raw.contains("Jo Bloggs") && !raw.contains("Pat Example"), "a digest quotes a name");
        assert_eq!(digest.message.case_ref, None);
    }
    let to_manager =
        digests.iter().filter(|p| p.message.to.iter().any(|a| a.as_str() == "manager@example.org")).count();
    let to_team =
        digests.iter().filter(|p| p.message.to.iter().any(|a| a.as_str() == "complaints-team@example.org")).count();
    let to_alex = digests.iter().filter(|p| p.message.to.iter().any(|a| a.as_str() == "alex@example.org")).count();
    assert!(
        to_manager > 0 && to_alex > 0 && to_team >= to_manager,
        "team {to_team}, manager {to_manager}, alex {to_alex}"
    );
    // One digest per recipient per run, and every line reaches the team mailbox exactly once.
    for recipients in &runs {
        let distinct: BTreeSet<&String> = recipients.iter().collect();
        assert_eq!(distinct.len(), recipients.len(), "a run sent one recipient two digests: {recipients:?}");
    }
    assert_eq!(to_team, runs.iter().filter(|r| r.iter().any(|t| t == "complaints-team@example.org")).count());
    let lines = team_lines(&store).await;
    assert_eq!(lines.len(), unique.len(), "the team mailbox got every alert");
    assert_eq!(lines.iter().collect::<BTreeSet<_>>().len(), lines.len(), "and none twice");
}

/// The staff actions of day `day` on one case, following its plan.
async fn act(sim: &Sim, item: &mut Driven, day: NaiveDate, i: usize) {
    let case = item.stored.case.clone();
    if !case.is_open() && !matches!(item.plan, Plan::Reopened | Plan::Escalated(_)) {
        return;
    }
    let days = &sim.days;
    let effective = case.effective_receipt();
    if effective > day {
        return;
    }
    let day_no = |from: NaiveDate| -> u32 {
        let mut n = 1;
        let mut at = from;
        while at < day {
            at = days.after(at);
            n += 1;
        }
        n
    };
    let s1_day = day_no(effective);
    let signposting = Stage2Signposting { given_on: day, channel: Channel::Email, time_limit_given: true };
    let spso = SpsoSignposting { given_on: day, channel: Channel::Email, template_version: "sim".to_owned() };
    let told = CustomerTold { on: day, channel: Channel::Email };
    let close1 = Command::CloseStage1 { responded_on: day, outcome: Outcome::Upheld, signposting: Some(signposting) };

    // Assign a handler on the first day, to some cases.
    if s1_day == 1 && case.records().assignment.is_none() && i % 3 != 2 {
        let handler = if i.is_multiple_of(3) { "Alex Handler" } else { "Sam Handler" };
        let assign = Command::Assign {
            handler: handler.to_owned(),
            team: Some("Housing team".to_owned()),
            service_area: Some("Housing and repairs".to_owned()),
            assigned_on: day,
        };
        sim.apply(item, assign, day).await;
    }
    let case = item.stored.case.clone();
    let status_stage2 = case.stage2().is_some();

    match item.plan {
        Plan::Stage1Close(n) if s1_day == n && case.is_open() => {
            sim.apply(item, close1, day).await;
            stop(item, Stage::One, ClockKind::Stage1Response, day);
        }
        Plan::Stage1Extended(n) if case.is_open() => {
            if s1_day == 3 {
                let new_due = days.nth(effective, 9);
                let extend = Command::ExtendStage1 {
                    authoriser: authoriser(),
                    reason: "Awaiting a report".to_owned(),
                    new_due,
                    customer_told: told,
                    decided_on: None,
                };
                sim.apply(item, extend, day).await;
                stop(item, Stage::One, ClockKind::Stage1Response, day);
                start(item, Stage::One, ClockKind::Stage1Response, new_due, days.after(day));
            } else if s1_day == n {
                sim.apply(item, close1, day).await;
                stop(item, Stage::One, ClockKind::Stage1Response, day);
            }
        }
        Plan::Escalated(n) => {
            if !status_stage2 && case.is_open() && s1_day == 4 {
                sim.apply(item, close1, day).await;
                stop(item, Stage::One, ClockKind::Stage1Response, day);
            } else if !status_stage2 && !case.is_open() && s1_day == 7 {
                let escalate = Command::Escalate { requested_on: day, channel: Channel::Email, received_at: None };
                sim.apply(item, escalate, day).await;
                start(item, Stage::Two, ClockKind::Stage2Acknowledgement, days.nth(day, 3), days.after(day));
                start(item, Stage::Two, ClockKind::Stage2Response, days.nth(day, 20), days.after(day));
            } else if let Some(stage2) = case.stage2().filter(|_| case.is_open()) {
                let s2_day = day_no(stage2.start.effective);
                if s2_day == 2 {
                    let ack = Command::AcknowledgeStage2 { acknowledged_on: day, points: points(), agreed_on: day };
                    sim.apply(item, ack, day).await;
                    stop(item, Stage::Two, ClockKind::Stage2Acknowledgement, day);
                } else if s2_day == n {
                    close2(sim, item, day, spso).await;
                }
            }
        }
        Plan::Direct { ack } if case.is_open() => {
            if !status_stage2 {
                let route = Command::RouteDirectToStage2 { routed_on: day, reason: "Serious".to_owned() };
                sim.apply(item, route, day).await;
                stop(item, Stage::One, ClockKind::Stage1Response, day);
                // Direct: stage 2 counts from the effective receipt date.
                start(item, Stage::Two, ClockKind::Stage2Acknowledgement, days.nth(effective, 3), days.after(day));
                start(item, Stage::Two, ClockKind::Stage2Response, days.nth(effective, 20), days.after(day));
            } else if s1_day == ack {
                let command = Command::AcknowledgeStage2 { acknowledged_on: day, points: points(), agreed_on: day };
                sim.apply(item, command, day).await;
                stop(item, Stage::Two, ClockKind::Stage2Acknowledgement, day);
            } else if s1_day == 18 {
                close2(sim, item, day, spso).await;
            }
        }
        Plan::DirectExtended if case.is_open() => {
            if !status_stage2 {
                let route = Command::RouteDirectToStage2 { routed_on: day, reason: "Complex".to_owned() };
                sim.apply(item, route, day).await;
                stop(item, Stage::One, ClockKind::Stage1Response, day);
                start(item, Stage::Two, ClockKind::Stage2Acknowledgement, days.nth(effective, 3), days.after(day));
                start(item, Stage::Two, ClockKind::Stage2Response, days.nth(effective, 20), days.after(day));
            } else if s1_day == 2 {
                let command = Command::AcknowledgeStage2 { acknowledged_on: day, points: points(), agreed_on: day };
                sim.apply(item, command, day).await;
                stop(item, Stage::Two, ClockKind::Stage2Acknowledgement, day);
            } else if s1_day == 15 {
                let new_due = days.nth(effective, 45);
                let extend = Command::ExtendStage2 {
                    authoriser: authoriser(),
                    reason: "Independent survey".to_owned(),
                    new_due,
                    customer_told: told,
                    decided_on: None,
                };
                sim.apply(item, extend, day).await;
                stop(item, Stage::Two, ClockKind::Stage2Response, day);
                start(item, Stage::Two, ClockKind::Stage2Response, new_due, days.after(day));
                // R29: the first update is due 20 working days after the original due date.
                let progress_due = days.nth(days.after(days.nth(effective, 20)), 20);
                start(item, Stage::Two, ClockKind::ProgressUpdate, progress_due, days.after(day));
            } else if let Some(progress) = case.stage2().and_then(|s| s.progress.as_ref())
                && progress.is_running()
                && day == days.nth(days.after(progress.due), 6)
            {
                let update = Command::GiveProgressUpdate { given_on: day, channel: Channel::Email };
                sim.apply(item, update, day).await;
                stop(item, Stage::Two, ClockKind::ProgressUpdate, day);
                let next_due = days.nth(days.after(day), 20);
                start(item, Stage::Two, ClockKind::ProgressUpdate, next_due, days.after(day));
            }
        }
        Plan::Withdrawn if case.is_open() && s1_day == 2 => {
            let withdraw = Command::Withdraw { withdrawn_on: day, reason: None };
            sim.apply(item, withdraw, day).await;
            stop(item, Stage::One, ClockKind::Stage1Response, day);
        }
        Plan::Reopened => {
            if case.is_open() && case.reopenings().is_empty() && s1_day == 3 {
                sim.apply(item, close1, day).await;
                stop(item, Stage::One, ClockKind::Stage1Response, day);
            } else if !case.is_open() && case.reopenings().is_empty() && s1_day == 7 {
                let respond_by = days.nth(days.after(day), 4);
                let reopen = Command::Reopen { reopened_on: day, reason: "New evidence".to_owned(), respond_by };
                sim.apply(item, reopen, day).await;
                start(item, Stage::One, ClockKind::ReopenedResponse, respond_by, days.after(day));
            } else if case.is_open() && !case.reopenings().is_empty() {
                let due = case.stage1().and_then(|s| s.reopened_response.as_ref()).map(|c| c.due);
                if due.is_some_and(|due| day == days.after(due)) {
                    sim.apply(item, close1, day).await;
                    stop(item, Stage::One, ClockKind::ReopenedResponse, day);
                }
            }
        }
        _ => {}
    }
}

async fn close2(sim: &Sim, item: &mut Driven, day: NaiveDate, spso: SpsoSignposting) {
    let close = Command::CloseStage2 {
        responded_on: day,
        point_outcomes: vec![Outcome::NotUpheld],
        outcome_override: None,
        signposting: Some(spso),
    };
    sim.apply(item, close, day).await;
    stop(item, Stage::Two, ClockKind::Stage2Response, day);
    stop(item, Stage::Two, ClockKind::Stage2Acknowledgement, day);
    stop(item, Stage::Two, ClockKind::ProgressUpdate, day);
}

/// An alert store that fails its `fail_at`th commit (counting from 1), then works again.
struct FailingOnce {
    inner: Arc<MemoryCaseStore>,
    commits: AtomicUsize,
    fail_at: usize,
    /// While set, sending a digest fails (a run stopping after its batches, before its digests).
    fail_digests: std::sync::atomic::AtomicBool,
}

#[async_trait]
impl AlertStore for FailingOnce {
    async fn commit_alerts(&self, batch: AlertBatch) -> Result<AlertCommit, StoreError> {
        if self.commits.fetch_add(1, Ordering::SeqCst) + 1 == self.fail_at {
            return Err(StoreError::Unavailable("induced failure".into()));
        }
        self.inner.commit_alerts(batch).await
    }
    async fn digest_drafts(&self) -> Result<Vec<DigestDraft>, StoreError> {
        self.inner.digest_drafts().await
    }
    async fn send_digest(&self, draft: &DigestDraft, message: NewMessage) -> Result<DigestSent, StoreError> {
        if self.fail_digests.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable("induced failure after the batches".into()));
        }
        self.inner.send_digest(draft, message).await
    }
    async fn alert_due_by(&self, horizon: NaiveDate) -> Result<Vec<StoredCase>, StoreError> {
        self.inner.alert_due_by(horizon).await
    }
    async fn set_alert_date(
        &self,
        reference: &CaseRef,
        version: u64,
        date: Option<NaiveDate>,
    ) -> Result<(), StoreError> {
        self.inner.set_alert_date(reference, version, date).await
    }
    async fn calendar_applied(&self, version: &str) -> Result<bool, StoreError> {
        self.inner.calendar_applied(version).await
    }
    async fn mark_calendar_applied(&self, version: &str) -> Result<(), StoreError> {
        self.inner.mark_calendar_applied(version).await
    }
}

#[tokio::test]
async fn a_run_that_fails_half_way_leaves_the_rest_for_the_next_run_which_sends_each_once() {
    let config = Arc::new(config());
    let store = Arc::new(MemoryCaseStore::new());
    let calendar = config.calendar();
    let rules = Rules { calendar: &calendar, policy: &config.procedure };
    // 80 complaints received on Wed 1 Apr 2026: stage 1 due Wed 8 Apr (Good Friday and the
    // weekend skipped), so "due soon 2" is current on Tue 7 Apr.
    for _ in 0..80 {
        let at = d(2026, 4, 1).and_hms_opt(10, 0, 0).expect("time").and_utc();
        let complaint = sample_complaint(Channel::WebForm, Some(COMPLAINANT_EMAIL));
        let reference = CaseRef::new("HALF", 2026, 0).expect("prefix");
        let (case, events) =
            Case::open(reference, complaint, at, "Complaints Team".to_owned(), None, rules, Actor::System);
        store.create(NewCase { case, events, source_key: None, mail: None }).await.expect("create");
    }
    let failing = Arc::new(FailingOnce {
        inner: Arc::clone(&store),
        commits: AtomicUsize::new(0),
        fail_at: 2,
        fail_digests: Default::default(),
    });
    let scan = BreachScan::new(store.clone(), failing, Arc::clone(&config));

    let first = scan.run(local(d(2026, 4, 7), 8)).await;
    let Err(ScanError::Incomplete { failed, batches, digests_failed, report }) = first else {
        panic!("the run should report the failed batch")
    };
    assert_eq!((failed, batches, digests_failed), (1, 3, 0), "80 alerts make three batches; the second failed");
    assert_eq!(report.alerts.len(), 50, "the first and third batches were written");
    // One digest per recipient for the whole run, carrying both written batches.
    assert_eq!(digests_to(&report, "complaints-team@example.org"), vec![50]);

    let second = scan.run(local(d(2026, 4, 7), 13)).await.expect("the next run");
    assert_eq!(second.alerts.len(), 30, "the next run sends what the failed batch carried");
    assert!(second.full_pass, "the first run stopped short, so the next one reads every open case again");
    assert_eq!(digests_to(&second, "complaints-team@example.org"), vec![30]);
    let third = scan.run(local(d(2026, 4, 7), 13)).await.expect("a repeat");
    assert!(third.alerts.is_empty() && third.digests.is_empty(), "and nothing is sent twice");
    assert_eq!(third.cases_read, 0, "every case is dated past today in the alert index");

    let all: BTreeSet<String> = report.alerts.iter().chain(&second.alerts).map(|a| a.marker()).collect();
    assert_eq!(all.len(), 80);
    assert!(report.alerts.iter().chain(&second.alerts).all(|a| a.level == AlertLevel::DueSoon(2)));
    let lines = team_lines(&store).await;
    assert_eq!(lines.len(), 80, "80 lines reached the team mailbox");
    assert_eq!(lines.iter().collect::<BTreeSet<_>>().len(), 80, "each once");
}

/// How many lines each digest of `report` to `to` carried.
fn digests_to(report: &ScanReport, to: &str) -> Vec<usize> {
    report.digests.iter().filter(|d| d.to == to).map(|d| d.lines.len()).collect()
}

/// Every digest line queued for the team mailbox (from the messages themselves).
async fn team_lines(store: &MemoryCaseStore) -> Vec<String> {
    let far = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).single().expect("instant");
    let pending = store.pending_messages(far, 100_000).await.expect("pending");
    pending
        .iter()
        .filter(|p| p.message.to.iter().any(|a| a.as_str() == "complaints-team@example.org"))
        .flat_map(|p| {
            let parsed = mail_parser::MessageParser::default().parse(&p.message.raw).expect("a digest parses");
            let text = parsed.body_text(0).expect("a text part").into_owned();
            text.lines().filter(|l| l.contains(" | ")).map(str::to_owned).collect::<Vec<_>>()
        })
        .collect()
}

/// A run that stops after writing its alerts and before turning its drafts into digests (the
/// crash window between the markers and the mail): an overlapping run leaves its drafts alone, the
/// next run sends them, once, and nothing is lost or doubled.
#[tokio::test]
async fn drafts_of_a_run_that_stopped_before_its_digests_are_sent_once_by_the_next_run() {
    let config = Arc::new(config());
    let store = Arc::new(MemoryCaseStore::new());
    let calendar = config.calendar();
    let rules = Rules { calendar: &calendar, policy: &config.procedure };
    for _ in 0..40 {
        let at = d(2026, 4, 1).and_hms_opt(10, 0, 0).expect("time").and_utc();
        let complaint = sample_complaint(Channel::WebForm, Some(COMPLAINANT_EMAIL));
        let reference = CaseRef::new("CRSH", 2026, 0).expect("prefix");
        let (case, events) =
            Case::open(reference, complaint, at, "Complaints Team".to_owned(), None, rules, Actor::System);
        store.create(NewCase { case, events, source_key: None, mail: None }).await.expect("create");
    }
    let failing = Arc::new(FailingOnce {
        inner: Arc::clone(&store),
        commits: AtomicUsize::new(0),
        fail_at: 0,
        fail_digests: std::sync::atomic::AtomicBool::new(true),
    });
    let crashing = BreachScan::new(store.clone(), failing.clone(), Arc::clone(&config));
    let morning = local(d(2026, 4, 7), 8);
    let Err(ScanError::Incomplete { failed: 0, digests_failed, report, .. }) = crashing.run(morning).await else {
        panic!("the run should report its unsent digests")
    };
    assert!(digests_failed > 0);
    assert_eq!(report.alerts.len(), 40, "the alerts were written (markers, timeline, drafts)");
    assert!(team_lines(&store).await.is_empty(), "but no digest yet");

    // An overlapping run of the same slot finds every alert sent and leaves the drafts (their
    // run may still be sending them).
    let scan = BreachScan::new(store.clone(), store.clone(), Arc::clone(&config));
    let overlapping = scan.run(morning).await.expect("overlapping run");
    assert!(overlapping.alerts.is_empty() && overlapping.digests.is_empty());
    assert_eq!(store.digest_drafts().await.expect("drafts").len(), 1, "the team mailbox's draft waits");

    // The next run sends the stopped run's digest: one message with the 40 lines.
    let next = scan.run(local(d(2026, 4, 7), 13)).await.expect("next run");
    assert!(next.alerts.is_empty(), "no alert is sent again");
    assert_eq!(digests_to(&next, "complaints-team@example.org"), vec![40]);
    assert!(next.digests.iter().all(|d| d.recovered));
    assert!(store.digest_drafts().await.expect("drafts").is_empty());
    let again = scan.run(local(d(2026, 4, 8), 8)).await.expect("the day after");
    assert!(again.digests.iter().all(|d| !d.recovered), "a draft is sent once");
    let lines = team_lines(&store).await;
    let on_seventh: Vec<&String> = lines.iter().filter(|l| l.contains("due soon")).collect();
    assert_eq!(on_seventh.len(), 40);
    assert_eq!(on_seventh.iter().collect::<BTreeSet<_>>().len(), 40, "each line once");
}

#[tokio::test]
async fn a_calendar_change_recomputes_open_cases_only_records_it_and_re_arms_the_alerts() {
    let before = Arc::new(config());
    let store = Arc::new(MemoryCaseStore::new());
    let calendar = before.calendar();
    let rules = Rules { calendar: &calendar, policy: &before.procedure };
    let mut references = Vec::new();
    for _ in 0..2 {
        // Received Mon 1 Jun 2026: stage 1 due Fri 5 Jun.
        let at = d(2026, 6, 1).and_hms_opt(10, 0, 0).expect("time").and_utc();
        let complaint = sample_complaint(Channel::WebForm, Some(COMPLAINANT_EMAIL));
        let reference = CaseRef::new("CAL", 2026, 0).expect("prefix");
        let (case, events) =
            Case::open(reference, complaint, at, "Complaints Team".to_owned(), None, rules, Actor::System);
        let stored = store.create(NewCase { case, events, source_key: None, mail: None }).await.expect("create");
        references.push(stored);
    }
    // The second one is answered at once: closed cases keep what was live (R13).
    let closed = &references[1];
    let signposting = Stage2Signposting { given_on: d(2026, 6, 1), channel: Channel::Email, time_limit_given: true };
    let close =
        Command::CloseStage1 { responded_on: d(2026, 6, 1), outcome: Outcome::Upheld, signposting: Some(signposting) };
    let (next, events) =
        closed.case.apply(close, five_pm(d(2026, 6, 1)), Actor::Staff("s".to_owned()), rules).expect("close");
    store.update(&next, closed.version, events).await.expect("update");

    let scan = BreachScan::new(store.clone(), store.clone(), Arc::clone(&before));
    let wednesday = scan.run(local(d(2026, 6, 3), 8)).await.expect("scan");
    assert_eq!(wednesday.alerts.len(), 1, "due soon on Wed 3 Jun");
    assert_eq!(wednesday.alerts[0].due, d(2026, 6, 5));

    // The organisation closes on Thu 4 Jun: a new calendar version.
    let mut after = config();
    let extra = OrgConfig::from_toml_str(
        "[[calendar.add]]\ndate = \"2026-06-04\"\nname = \"Closure\"\nkind = \"closure\"\nsource = \"Notice\"\n",
    )
    .expect("config");
    after.calendar.extend(extra.calendar);
    let scan = BreachScan::new(store.clone(), store.clone(), Arc::new(after));
    let report = scan.run(local(d(2026, 6, 3), 13)).await.expect("scan");
    assert_eq!(report.recomputed, 1, "only the open case is recomputed");
    assert_eq!(report.alerts.len(), 1, "the new due date re-arms the alert");
    assert_eq!(report.alerts[0].due, d(2026, 6, 8), "Fri 5 Jun moved to Mon 8 Jun");
    let timeline = store.timeline(references[0].case.reference()).await.expect("timeline");
    assert!(timeline.iter().any(|e| matches!(e.what, CaseEvent::DeadlinesRecomputed { .. })));
    let closed_timeline = store.timeline(references[1].case.reference()).await.expect("timeline");
    assert!(!closed_timeline.iter().any(|e| matches!(e.what, CaseEvent::DeadlinesRecomputed { .. })));
    let again = scan.run(local(d(2026, 6, 3), 13)).await.expect("scan");
    assert_eq!((again.recomputed, again.alerts.len()), (0, 0), "once per calendar version, each alert once");
}

/// A case store whose updates always lose the race (another writer is always first).
struct AlwaysConflicting(Arc<MemoryCaseStore>);

#[async_trait]
impl CaseStore for AlwaysConflicting {
    async fn create(&self, new: NewCase) -> Result<StoredCase, StoreError> {
        self.0.create(new).await
    }
    async fn get(&self, reference: &CaseRef) -> Result<StoredCase, StoreError> {
        self.0.get(reference).await
    }
    async fn update_with_messages(
        &self,
        _case: &Case,
        expected_version: u64,
        _events: Vec<complaints_core::timeline::TimelineEvent>,
        _messages: Vec<complaints_app::outbound::NewMessage>,
    ) -> Result<u64, StoreError> {
        Err(StoreError::VersionConflict { expected: expected_version })
    }
    async fn timeline(&self, reference: &CaseRef) -> Result<Vec<complaints_core::timeline::TimelineEvent>, StoreError> {
        self.0.timeline(reference).await
    }
    async fn open_due_by(&self, date: NaiveDate) -> Result<Vec<StoredCase>, StoreError> {
        self.0.open_due_by(date).await
    }
    async fn received_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<StoredCase>, StoreError> {
        self.0.received_between(from, to).await
    }
    async fn closed_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<StoredCase>, StoreError> {
        self.0.closed_between(from, to).await
    }
    async fn find_by_contact(&self, key: &complaints_core::case::ContactKey) -> Result<Vec<CaseRef>, StoreError> {
        self.0.find_by_contact(key).await
    }
    async fn record_message(&self, message_id: &str, reference: &CaseRef) -> Result<(), StoreError> {
        self.0.record_message(message_id, reference).await
    }
    async fn case_for_message(&self, message_id: &str) -> Result<Option<CaseRef>, StoreError> {
        self.0.case_for_message(message_id).await
    }
    async fn place_alert_marker(&self, marker: &str, reference: &CaseRef) -> Result<bool, StoreError> {
        self.0.place_alert_marker(marker, reference).await
    }
    async fn pending_messages(
        &self,
        due_by: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<complaints_app::outbound::PendingMessage>, StoreError> {
        self.0.pending_messages(due_by, limit).await
    }
    async fn claim_message(
        &self,
        message_id: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<complaints_app::outbound::PendingMessage>, StoreError> {
        self.0.claim_message(message_id, now, lease_until).await
    }
    async fn finish_message(
        &self,
        message_id: &str,
        result: complaints_app::outbound::DeliveryResult,
        event: Option<complaints_core::timeline::TimelineEvent>,
    ) -> Result<(), StoreError> {
        self.0.finish_message(message_id, result, event).await
    }
    async fn message(&self, message_id: &str) -> Result<Option<complaints_app::outbound::PendingMessage>, StoreError> {
        self.0.message(message_id).await
    }
    async fn automatic_messages_since(
        &self,
        recipient: &complaints_core::case::ContactKey,
        since: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        self.0.automatic_messages_since(recipient, since).await
    }
}

#[tokio::test]
async fn a_case_that_keeps_conflicting_leaves_the_calendar_version_unapplied_for_the_next_run() {
    let before = config();
    let store = Arc::new(MemoryCaseStore::new());
    let calendar = before.calendar();
    let rules = Rules { calendar: &calendar, policy: &before.procedure };
    // Received Mon 1 Jun 2026: stage 1 due Fri 5 Jun; a closure on Thu 4 Jun moves it.
    let at = d(2026, 6, 1).and_hms_opt(10, 0, 0).expect("time").and_utc();
    let complaint = sample_complaint(Channel::WebForm, Some(COMPLAINANT_EMAIL));
    let reference = CaseRef::new("RACE", 2026, 0).expect("prefix");
    let (case, events) = Case::open(reference, complaint, at, "Complaints Team".to_owned(), None, rules, Actor::System);
    store.create(NewCase { case, events, source_key: None, mail: None }).await.expect("create");

    let mut after = config();
    let extra = OrgConfig::from_toml_str(
        "[[calendar.add]]\ndate = \"2026-06-04\"\nname = \"Closure\"\nkind = \"closure\"\nsource = \"Notice\"\n",
    )
    .expect("config");
    after.calendar.extend(extra.calendar);
    let after = Arc::new(after);

    let racing = Arc::new(AlwaysConflicting(Arc::clone(&store)));
    let scan = BreachScan::new(racing, store.clone(), Arc::clone(&after));
    let _ = scan.run(local(d(2026, 6, 3), 8)).await;
    let version = complaints_core::alerts::schedule_version(&after.alerts, &after.calendar());
    assert!(
        !store.calendar_applied(&version).await.expect("read"),
        "a case never recomputed must leave the calendar version for the next run (R13)"
    );

    // The next run, with the race gone, recomputes it and only then marks the version applied.
    let scan = BreachScan::new(store.clone(), store.clone(), after);
    let report = scan.run(local(d(2026, 6, 3), 13)).await.expect("scan");
    assert_eq!(report.recomputed, 1);
    assert!(store.calendar_applied(&version).await.expect("read"));
}
