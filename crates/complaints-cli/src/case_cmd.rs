//! `complaints case …`: every staff action on a case in the local store, through the same use case
//! as the HTTP API (`complaints_app::staff::StaffActions`), plus lists, the case with its clocks
//! and timeline, and the subject-access export. Documented in docs/handling.md.
//!
//! Each action is one [`StaffAction`]; the core decides whether the procedure allows it, and a
//! refusal ends the command with exit code 1 and the rule that refused it (`refused by R23: …`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use chrono::{Days, NaiveDate};
use clap::{Args, Subcommand};
use complaints_app::ports::{CaseStore, StoreError, StoredCase};
use complaints_app::queries::{CaseQueries, CaseQuery, Cursor, Scope, StatusFilter, parse_channel, parse_stage};
use complaints_app::staff::{ActionOutcome, LogComplaint, StaffAction, StaffPart, Stage2How};
use complaints_app::users::UsersFile;
use complaints_core::case::{PointOfComplaint, Stage};
use complaints_core::complaint::{Channel, Complainant, ContactMethod, EmailAddress};
use complaints_core::outcome::{Outcome, OutcomeOverride, SpsoOutcome};
use complaints_core::records::{NotAComplaintReason, RestrictionScope};
use complaints_core::reference::CaseRef;
use complaints_core::roles::Permission;
use complaints_core::text::neutralise;
use complaints_core::timeline::{Actor, TimelineEvent};
use complaints_store_sqlite::SqliteCaseStore;

use crate::serve::DATABASE_FILE;
use crate::staff_ctx::{Failure, Staff, StaffOpts, block_on, finish, kebab};

/// `complaints case [OPTIONS] <COMMAND>`: the options apply to every subcommand.
#[derive(Debug, Args)]
pub struct CaseArgs {
    #[command(flatten)]
    pub opts: StaffOpts,
    #[command(subcommand)]
    pub command: CaseCommand,
}

/// Points of complaint: each `--point` with the outcome sought after it (`--wants`), in order.
#[derive(Debug, Clone, Args)]
pub struct Points {
    /// A point (head) of complaint, as agreed with the customer; repeat for each (R25).
    #[arg(long = "point", value_name = "SUMMARY")]
    pub points: Vec<String>,
    /// The outcome the customer seeks on the point before it; one per --point.
    #[arg(long = "wants", value_name = "OUTCOME")]
    pub wants: Vec<String>,
}

impl Points {
    fn list(&self) -> Result<Option<Vec<PointOfComplaint>>, Failure> {
        if self.points.len() != self.wants.len() {
            return Err(Failure::Usage(format!(
                "give one --wants for each --point ({} points, {} outcomes sought)",
                self.points.len(),
                self.wants.len()
            )));
        }
        if self.points.is_empty() {
            return Ok(None);
        }
        Ok(Some(
            self.points
                .iter()
                .zip(&self.wants)
                .map(|(summary, sought)| PointOfComplaint { summary: summary.clone(), outcome_sought: sought.clone() })
                .collect(),
        ))
    }
}

/// `STAFF_REF=TEXT`: the part of a response that concerns one member of staff involved (R59).
fn staff_part(text: &str) -> Result<StaffPart, String> {
    let (staff_ref, part) =
        text.split_once('=').ok_or_else(|| format!("{text:?} is not STAFF_REF=TEXT (the part that concerns them)"))?;
    Ok(StaffPart { staff_ref: staff_ref.trim().to_owned(), part: part.trim().to_owned() })
}

#[derive(Debug, Subcommand)]
pub enum CaseCommand {
    /// Log a complaint received by phone, in person or by letter, with the note of the conversation.
    Log(Box<LogArgs>),
    /// Assign or reassign the handler, team and service area (R42), and/or classify (R44, R53).
    Assign {
        reference: String,
        /// The person or team dealing with it (named in every letter).
        #[arg(long)]
        handler: Option<String>,
        #[arg(long)]
        team: Option<String>,
        /// The service area it now sits with.
        #[arg(long)]
        service_area: Option<String>,
        /// The category (one of the organisation's); needs --lead-service.
        #[arg(long)]
        category: Option<String>,
        /// The service that leads and gives the one response (R53).
        #[arg(long)]
        lead_service: Option<String>,
        /// Another service that contributes; repeat for each.
        #[arg(long = "contributing")]
        contributing: Vec<String>,
        /// Another organisation involved; repeat for each.
        #[arg(long = "external")]
        external: Vec<String>,
        #[command(flatten)]
        version: Expect,
    },
    /// Give the stage 1 response → the stage 1 response letter (how to escalate, by when).
    Respond {
        reference: String,
        #[arg(long, value_parser = kebab::<Outcome>)]
        outcome: Outcome,
        /// The response itself: what we found and will do (goes in the letter).
        #[arg(long)]
        note: String,
        /// How the stage 2 route was given when not by this letter (e.g. phone).
        #[arg(long, value_parser = channel)]
        route_given_by: Option<Channel>,
        /// STAFF_REF=TEXT: the part of the response that concerns a member of staff involved.
        #[arg(long = "staff-part", value_parser = staff_part)]
        staff_parts: Vec<StaffPart>,
        #[command(flatten)]
        version: Expect,
    },
    /// Extend the open stage's response date (manager) → the extension letter.
    Extend {
        reference: String,
        #[arg(long)]
        reason: String,
        /// The new response date.
        #[arg(long)]
        new_due: NaiveDate,
        /// 1 or 2; the stage the case is at by default.
        #[arg(long, value_parser = stage)]
        stage: Option<Stage>,
        #[command(flatten)]
        version: Expect,
    },
    /// The customer asked for stage 2 after the stage 1 response; with points, stage 2 is
    /// acknowledged at once → the stage 2 acknowledgement letter.
    Escalate {
        reference: String,
        /// How the customer asked.
        #[arg(long, value_parser = channel)]
        channel: Channel,
        /// The day they asked, when before the action's day.
        #[arg(long)]
        requested_on: Option<NaiveDate>,
        #[command(flatten)]
        points: Points,
        #[command(flatten)]
        version: Expect,
    },
    /// Take an open stage 1 complaint to stage 2: `--how move` (our decision) or `--how direct`
    /// (the customer asked straight away); with points, acknowledged at once.
    Stage2 {
        reference: String,
        #[arg(long, value_parser = kebab::<Stage2How>)]
        how: Stage2How,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        points: Points,
        #[command(flatten)]
        version: Expect,
    },
    /// Acknowledge stage 2 with the points of complaint → the acknowledgement letter; with
    /// `--amend --reason`, change the points after the acknowledgement → a letter with them.
    Points {
        reference: String,
        #[command(flatten)]
        points: Points,
        /// The day the points were agreed with the customer, when before the action's day.
        #[arg(long)]
        agreed_on: Option<NaiveDate>,
        /// Amend the points already acknowledged (needs --reason).
        #[arg(long)]
        amend: bool,
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        version: Expect,
    },
    /// A progress update on an extended stage 2 complaint → the update letter.
    Update {
        reference: String,
        /// The news (goes in the letter).
        #[arg(long)]
        note: String,
        /// How the update was given when not by this letter (e.g. phone).
        #[arg(long, value_parser = channel)]
        given_by: Option<Channel>,
        #[command(flatten)]
        version: Expect,
    },
    /// The final response: one --point-outcome per point, in order → the final response letter
    /// with the SPSO signposting.
    Close {
        reference: String,
        #[arg(long = "point-outcome", value_parser = kebab::<Outcome>, required = true)]
        point_outcomes: Vec<Outcome>,
        /// The overall outcome instead of the roll-up (needs --override-reason).
        #[arg(long = "override", value_parser = kebab::<Outcome>)]
        outcome_override: Option<Outcome>,
        #[arg(long)]
        override_reason: Option<String>,
        /// The response itself (goes in the letter).
        #[arg(long)]
        note: String,
        #[arg(long = "staff-part", value_parser = staff_part)]
        staff_parts: Vec<StaffPart>,
        #[command(flatten)]
        version: Expect,
    },
    /// The complainant withdrew the complaint → a confirmation letter.
    Withdraw {
        reference: String,
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        version: Expect,
    },
    /// The contact is not a complaint (R4); where the person was directed → a letter saying so.
    NotAComplaint {
        reference: String,
        #[arg(long, value_parser = kebab::<NotAComplaintReason>)]
        reason: NotAComplaintReason,
        #[arg(long)]
        directed_to: String,
        #[arg(long)]
        details: Option<String>,
        #[command(flatten)]
        version: Expect,
    },
    /// Reopen the last closed stage (R40) with the date a new response is due → a letter.
    Reopen {
        reference: String,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        respond_by: NaiveDate,
        #[command(flatten)]
        version: Expect,
    },
    /// The complainant took the complaint to the SPSO.
    ReferSpso {
        reference: String,
        /// The day of the referral, when before the action's day.
        #[arg(long)]
        referred_on: Option<NaiveDate>,
        #[command(flatten)]
        version: Expect,
    },
    /// The SPSO's decision.
    SpsoOutcome {
        reference: String,
        #[arg(long, value_parser = kebab::<SpsoOutcome>)]
        outcome: SpsoOutcome,
        #[arg(long)]
        decided_on: Option<NaiveDate>,
        #[command(flatten)]
        version: Expect,
    },
    /// Restrict contact (manager, R54) → the restriction letter with the appeal information and
    /// the SPSO signposting.
    Restrict {
        reference: String,
        /// contact (one channel or person), subjects, or procedure-access (a last resort).
        #[arg(long)]
        scope: String,
        #[arg(long, value_parser = channel)]
        allowed_channel: Option<Channel>,
        #[arg(long)]
        allowed_contact: Option<String>,
        #[arg(long)]
        subjects: Option<String>,
        /// When the decision is next reviewed.
        #[arg(long)]
        review_on: NaiveDate,
        /// What the person did and why contact is restricted (goes in the letter).
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        version: Expect,
    },
    /// Accept a complaint made after the time limit (manager, R15).
    AcceptLate {
        reference: String,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        version: Expect,
    },
    /// Any other action, as the API's JSON body (e.g. '{"action":"staff-involved","staff_ref":"S-12"}').
    Act {
        reference: String,
        /// The action as JSON, as `POST /api/cases/{reference}/actions` takes it.
        #[arg(long = "action-json", value_name = "JSON")]
        action: String,
        #[command(flatten)]
        version: Expect,
    },
    /// List and search cases: open ones by default, earliest due first.
    List(Box<ListArgs>),
    /// Print a case with its clocks and timeline.
    Show {
        /// The case reference, e.g. CMP-2026-00001.
        reference: String,
    },
    /// Everything held about a contact, as one JSON bundle (subject access).
    ExportContact {
        /// The contact's email address (found by its keyed hash).
        #[arg(long)]
        email: String,
        /// Write the bundle to this file (0600) instead of printing it.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// `--expect-version N`: change the case only if it is still at version N (from `case show`).
#[derive(Debug, Clone, Copy, Args)]
pub struct Expect {
    /// Apply only if the case is still at this version (else exit 1: changed by someone else).
    #[arg(long = "expect-version", value_name = "N")]
    pub expected: Option<u64>,
}

#[derive(Debug, Args)]
pub struct LogArgs {
    /// phone, in-person or letter.
    #[arg(long, value_parser = channel)]
    channel: Channel,
    /// The service area complained about.
    #[arg(long)]
    service_area: String,
    /// What happened, as the complainant told it.
    #[arg(long)]
    description: String,
    /// The note of the conversation (or a summary of the letter).
    #[arg(long)]
    note: String,
    /// The complainant's name; none for an anonymous complaint.
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    email: Option<String>,
    #[arg(long)]
    phone: Option<String>,
    /// Where to post letters, on one line.
    #[arg(long)]
    postal_address: Option<String>,
    #[arg(long)]
    event_date: Option<NaiveDate>,
    #[arg(long)]
    awareness_date: Option<NaiveDate>,
    #[arg(long)]
    outcome_sought: Option<String>,
    /// email, phone or letter.
    #[arg(long, value_parser = kebab::<ContactMethod>)]
    preferred_contact: Option<ContactMethod>,
    /// Help the person needs (large print, an interpreter…).
    #[arg(long)]
    adjustments: Option<String>,
    /// Take it straight to stage 2, with the reason (R22).
    #[arg(long)]
    direct_stage2: Option<String>,
    /// When it was received, when before the action's moment (RFC 3339).
    #[arg(long, value_parser = crate::staff_ctx::parse_instant)]
    received_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Every case received in --from..--to (default: the last year), not only open ones.
    #[arg(long)]
    all: bool,
    /// First day received, with --all.
    #[arg(long)]
    from: Option<NaiveDate>,
    /// Last day received, with --all.
    #[arg(long)]
    to: Option<NaiveDate>,
    /// Only cases due within this many working days (today included).
    #[arg(long, value_name = "DAYS")]
    due_within: Option<u32>,
    /// Only cases past their due date.
    #[arg(long)]
    overdue: bool,
    #[arg(long)]
    handler: Option<String>,
    #[arg(long)]
    team: Option<String>,
    #[arg(long, value_parser = stage)]
    stage: Option<Stage>,
    #[arg(long)]
    service_area: Option<String>,
    #[arg(long, value_parser = channel)]
    channel: Option<Channel>,
    #[arg(long)]
    category: Option<String>,
    /// stage1-open, stage1-extended, stage1-closed, stage2-awaiting-acknowledgement,
    /// stage2-acknowledged, stage2-extended, stage2-closed, withdrawn, not-a-complaint.
    #[arg(long, value_parser = |s: &str| s.parse::<StatusFilter>().map_err(|e| e.to_string()))]
    status: Option<StatusFilter>,
    /// Part of the reference (e.g. 00042).
    #[arg(long)]
    search: Option<String>,
    /// Cases per page.
    #[arg(long, default_value_t = complaints_app::queries::DEFAULT_PAGE)]
    limit: usize,
    /// Where the previous page ended (printed under it).
    #[arg(long, value_parser = |s: &str| s.parse::<Cursor>().map_err(|e| e.to_string()))]
    after: Option<Cursor>,
}

fn channel(text: &str) -> Result<Channel, String> {
    parse_channel(text).map_err(|e| e.to_string())
}

fn stage(text: &str) -> Result<Stage, String> {
    parse_stage(text).map_err(|e| e.to_string())
}

fn parse_reference(text: &str) -> Result<CaseRef, Failure> {
    text.trim()
        .parse::<CaseRef>()
        .map_err(|_| Failure::Usage(format!("{text:?} is not a case reference like CMP-2026-00042")))
}

pub fn run(args: CaseArgs) -> ExitCode {
    let CaseArgs { opts, command } = args;
    finish(dispatch(&opts, command))
}

fn dispatch(opts: &StaffOpts, command: CaseCommand) -> Result<String, Failure> {
    match command {
        CaseCommand::Log(log) => log_complaint(opts, *log),
        CaseCommand::List(list) => list_cases(opts, &list),
        CaseCommand::Show { reference } => {
            let reference = parse_reference(&reference)?;
            show(opts, &reference)
        }
        CaseCommand::ExportContact { email, out } => export_contact(opts, &email, out.as_deref()),
        CaseCommand::Assign {
            reference,
            handler,
            team,
            service_area,
            category,
            lead_service,
            contributing,
            external,
            version,
        } => {
            let mut actions = Vec::new();
            // The classification first: it is the one a rule may refuse (an unknown category).
            match (category, lead_service) {
                (Some(category), Some(lead_service)) => actions.push(StaffAction::Classify {
                    category,
                    lead_service,
                    contributing_services: contributing,
                    external_bodies: external,
                }),
                (None, None) if contributing.is_empty() && external.is_empty() => {}
                _ => return Err(Failure::Usage("--category and --lead-service go together".to_owned())),
            }
            if let Some(handler) = handler {
                actions.push(StaffAction::Assign { handler, team, service_area });
            } else if team.is_some() || service_area.is_some() {
                return Err(Failure::Usage("--team and --service-area go with --handler".to_owned()));
            }
            if actions.is_empty() {
                return Err(Failure::Usage("give --handler, or --category with --lead-service".to_owned()));
            }
            perform(opts, &reference, version, actions)
        }
        CaseCommand::Respond { reference, outcome, note, route_given_by, staff_parts, version } => perform(
            opts,
            &reference,
            version,
            vec![StaffAction::Respond { outcome, note, route_given_by, staff_parts }],
        ),
        CaseCommand::Extend { reference, reason, new_due, stage, version } => {
            perform(opts, &reference, version, vec![StaffAction::Extend { reason, new_due, stage }])
        }
        CaseCommand::Escalate { reference, channel, requested_on, points, version } => {
            let points = points.list()?;
            perform(opts, &reference, version, vec![StaffAction::Escalate { channel, requested_on, points }])
        }
        CaseCommand::Stage2 { reference, how, reason, points, version } => {
            let points = points.list()?;
            perform(opts, &reference, version, vec![StaffAction::Stage2 { how, reason, points }])
        }
        CaseCommand::Points { reference, points, agreed_on, amend, reason, version } => {
            let Some(points) = points.list()? else {
                return Err(Failure::Usage("give at least one --point with its --wants".to_owned()));
            };
            let action = match (amend, reason) {
                (true, Some(reason)) => StaffAction::AmendPoints { points, reason },
                (true, None) => return Err(Failure::Usage("--amend needs --reason".to_owned())),
                (false, Some(_)) => return Err(Failure::Usage("--reason goes with --amend".to_owned())),
                (false, None) => StaffAction::Acknowledge { points, agreed_on },
            };
            perform(opts, &reference, version, vec![action])
        }
        CaseCommand::Update { reference, note, given_by, version } => {
            perform(opts, &reference, version, vec![StaffAction::Update { note, given_by }])
        }
        CaseCommand::Close {
            reference,
            point_outcomes,
            outcome_override,
            override_reason,
            note,
            staff_parts,
            version,
        } => {
            let outcome_override = match (outcome_override, override_reason) {
                (Some(outcome), Some(reason)) => Some(OutcomeOverride { outcome, reason }),
                (None, None) => None,
                _ => return Err(Failure::Usage("--override and --override-reason go together".to_owned())),
            };
            perform(
                opts,
                &reference,
                version,
                vec![StaffAction::Close { point_outcomes, outcome_override, note, staff_parts }],
            )
        }
        CaseCommand::Withdraw { reference, reason, version } => {
            perform(opts, &reference, version, vec![StaffAction::Withdraw { reason }])
        }
        CaseCommand::NotAComplaint { reference, reason, directed_to, details, version } => {
            perform(opts, &reference, version, vec![StaffAction::NotAComplaint { reason, details, directed_to }])
        }
        CaseCommand::Reopen { reference, reason, respond_by, version } => {
            perform(opts, &reference, version, vec![StaffAction::Reopen { reason, respond_by }])
        }
        CaseCommand::ReferSpso { reference, referred_on, version } => {
            perform(opts, &reference, version, vec![StaffAction::ReferSpso { referred_on }])
        }
        CaseCommand::SpsoOutcome { reference, outcome, decided_on, version } => {
            perform(opts, &reference, version, vec![StaffAction::SpsoOutcome { outcome, decided_on }])
        }
        CaseCommand::Restrict {
            reference,
            scope,
            allowed_channel,
            allowed_contact,
            subjects,
            review_on,
            reason,
            version,
        } => {
            let scope = match (scope.trim(), subjects) {
                ("contact", None) => RestrictionScope::Contact { allowed_channel, allowed_contact },
                ("subjects", Some(subjects)) if allowed_channel.is_none() && allowed_contact.is_none() => {
                    RestrictionScope::Subjects { subjects }
                }
                ("procedure-access", None) if allowed_channel.is_none() && allowed_contact.is_none() => {
                    RestrictionScope::ProcedureAccess
                }
                ("subjects", None) => return Err(Failure::Usage("--scope subjects needs --subjects".to_owned())),
                ("contact" | "subjects" | "procedure-access", _) => {
                    return Err(Failure::Usage(
                        "--allowed-channel and --allowed-contact go with --scope contact, --subjects with --scope subjects"
                            .to_owned(),
                    ));
                }
                (other, _) => {
                    return Err(Failure::Usage(format!(
                        "{other:?} is not a scope (contact, subjects or procedure-access)"
                    )));
                }
            };
            perform(opts, &reference, version, vec![StaffAction::Restrict { scope, review_on, reason }])
        }
        CaseCommand::AcceptLate { reference, reason, version } => {
            perform(opts, &reference, version, vec![StaffAction::AcceptLate { reason }])
        }
        CaseCommand::Act { reference, action, version } => {
            let action: StaffAction = serde_json::from_str(&action)
                .map_err(|e| Failure::Usage(format!("--action-json is not a staff action: {e}")))?;
            perform(opts, &reference, version, vec![action])
        }
    }
}

/// Performs `actions` in order on one case as the `--as` user, each at the case's then version
/// (the first at `--expect-version` when given).
fn perform(opts: &StaffOpts, reference: &str, expect: Expect, actions: Vec<StaffAction>) -> Result<String, Failure> {
    let reference = parse_reference(reference)?;
    let staff = opts.open()?;
    block_on(async {
        let mut outcomes = Vec::new();
        let mut expected = expect.expected;
        for action in actions {
            let outcome = staff.actions.perform(&staff.user, &reference, expected, action, Some(staff.at)).await?;
            expected = expected.map(|_| outcome.version);
            outcomes.push(outcome);
        }
        Ok(outcomes)
    })
    .and_then(|outcomes| report(&staff, &outcomes))
}

fn report(staff: &Staff, outcomes: &[ActionOutcome]) -> Result<String, Failure> {
    if staff.json {
        let value = match outcomes {
            [one] => serde_json::to_value(one),
            many => serde_json::to_value(many),
        }
        .context("could not write the outcome as JSON")?;
        return Ok(format!("{}\n", serde_json::to_string_pretty(&value).context("JSON")?));
    }
    let mut out = String::new();
    for outcome in outcomes {
        out.push_str(&format!("{} {} (version {})\n", outcome.reference, name_of(&outcome.status), outcome.version));
        for clock in outcome.case.running_clocks() {
            out.push_str(&format!("  due: {} {}\n", clock.kind.as_str(), clock.due));
        }
        for letter in &outcome.letters {
            let to = letter.staff_ref.as_deref().map_or(String::new(), |r| format!(" to staff {r}"));
            out.push_str(&format!(
                "  letter: {} by {}{to} <{}>\n",
                letter.purpose.as_str(),
                name_of(&letter.delivery),
                letter.message_id
            ));
        }
        for warning in &outcome.warnings {
            out.push_str(&format!("  warning: {}\n", one_line(&compact(warning))));
        }
    }
    Ok(out)
}

/// A value's JSON on one line (for warnings).
fn compact<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "?".to_owned())
}

fn log_complaint(opts: &StaffOpts, log: LogArgs) -> Result<String, Failure> {
    let staff = opts.open()?;
    let complaint = LogComplaint {
        channel: log.channel,
        name: log.name,
        email: log.email,
        phone: log.phone,
        postal_address: log.postal_address,
        service_area: log.service_area,
        description: log.description,
        event_date: log.event_date,
        awareness_date: log.awareness_date,
        outcome_sought: log.outcome_sought,
        preferred_contact: log.preferred_contact,
        adjustments: log.adjustments,
        representation: None,
        child: None,
        direct_stage2_reason: log.direct_stage2,
        note: log.note,
        received_at: log.received_at,
    };
    let outcome = block_on(async { Ok(staff.actions.log_complaint(&staff.user, complaint, Some(staff.at)).await?) })?;
    report(&staff, &[outcome])
}

fn list_cases(opts: &StaffOpts, args: &ListArgs) -> Result<String, Failure> {
    let staff = opts.open()?;
    let today = complaints_core::dates::today_in_scotland(staff.at);
    let scope = if args.all {
        let to = args.to.unwrap_or(today);
        let from = args.from.unwrap_or_else(|| to.checked_sub_days(Days::new(365)).unwrap_or(to));
        if from > to {
            return Err(Failure::Usage(format!("--from {from} is after --to {to}")));
        }
        Scope::Received { from, to }
    } else if args.from.is_some() || args.to.is_some() {
        return Err(Failure::Usage("--from and --to go with --all".to_owned()));
    } else {
        Scope::Open
    };
    if args.overdue && args.due_within.is_some() {
        return Err(Failure::Usage("give --overdue or --due-within, not both".to_owned()));
    }
    let due_by = if args.overdue {
        today.pred_opt()
    } else if let Some(days) = args.due_within {
        // Working days: the organisation's calendar decides, as it does for every deadline.
        Some(staff.actions.calendar.nth_working_day(today, days))
    } else {
        None
    };
    if !(1..=complaints_app::queries::MAX_PAGE).contains(&args.limit) {
        return Err(Failure::Usage(format!("--limit is 1 to {}", complaints_app::queries::MAX_PAGE)));
    }
    let query = CaseQuery {
        scope,
        due_by,
        handler: args.handler.clone(),
        team: args.team.clone(),
        stage: args.stage,
        service_area: args.service_area.clone(),
        channel: args.channel,
        category: args.category.clone(),
        status: args.status,
        text: args.search.clone(),
        limit: args.limit,
        after: args.after.clone(),
    };
    let page = block_on(async {
        staff.actions.record_read(&staff.user, Permission::ListCases, None, None).await?;
        Ok(staff.store.list(&query).await?)
    })?;
    if staff.json {
        let cases: Vec<serde_json::Value> = page.cases.iter().map(|s| summary(s, today)).collect();
        let value = serde_json::json!({ "cases": cases, "next": page.next.as_ref().map(ToString::to_string) });
        return Ok(format!("{}\n", serde_json::to_string_pretty(&value).context("JSON")?));
    }
    let mut out = format!(
        "{:<16} {:<32} {:<5} {:<11} {:<20} {}\n",
        "REFERENCE", "STATUS", "STAGE", "NEXT DUE", "HANDLER", "SERVICE AREA"
    );
    for stored in &page.cases {
        let case = &stored.case;
        let due = case.index().next_due.map_or_else(|| "-".to_owned(), |d| d.to_string());
        let late = case.index().next_due.is_some_and(|d| d < today);
        out.push_str(&format!(
            "{:<16} {:<32} {:<5} {:<11} {:<20} {}\n",
            case.reference().to_string(),
            name_of(&case.status()),
            if case.stage() == Stage::One { "1" } else { "2" },
            if late { format!("{due}!") } else { due },
            one_line(case.handler()),
            one_line(complaints_app::queries::service_area_of(case)),
        ));
    }
    if page.cases.is_empty() {
        out.push_str("(no cases)\n");
    }
    if let Some(next) = &page.next {
        out.push_str(&format!("more: --after {next}\n"));
    }
    Ok(out)
}

/// A case in a list, as JSON: the fields a list shows, not the complaint.
fn summary(stored: &StoredCase, today: NaiveDate) -> serde_json::Value {
    let case = &stored.case;
    let index = case.index();
    serde_json::json!({
        "reference": case.reference().to_string(),
        "version": stored.version,
        "status": case.status(),
        "stage": case.stage(),
        "handler": case.handler(),
        "service_area": complaints_app::queries::service_area_of(case),
        "channel": case.complaint().channel,
        "category": case.records().classification.as_ref().map(|c| c.category.clone()),
        "received_on": index.received_on,
        "next_due": index.next_due,
        "overdue": index.next_due.is_some_and(|d| d < today),
    })
}

fn show(opts: &StaffOpts, reference: &CaseRef) -> Result<String, Failure> {
    // A local data directory nobody has added staff to yet (a first `serve` demo) shows cases
    // without --as; once the users file names anyone, every read is by a named user, audited.
    if opts.as_user.is_none() && UsersFile::load(&opts.data_dir)?.users().is_empty() {
        return show_unaudited(reference, &opts.data_dir, opts.json).map_err(Failure::Other);
    }
    let staff = opts.open()?;
    let view = block_on(async { Ok(staff.actions.view(&staff.user, reference).await?) })?;
    let stored = StoredCase { case: view.case.clone(), version: view.version };
    if staff.json {
        let value = serde_json::json!({
            "case": view.case,
            "version": view.version,
            "status": view.status,
            "clocks": view.clocks,
            "timeline": view.timeline,
        });
        return Ok(format!("{}\n", serde_json::to_string_pretty(&value).context("JSON")?));
    }
    Ok(as_text(&stored, &view.timeline))
}

fn show_unaudited(reference: &CaseRef, data_dir: &Path, json: bool) -> anyhow::Result<String> {
    let database = data_dir.join(DATABASE_FILE);
    anyhow::ensure!(
        database.exists(),
        "there is no case store at {} (run `complaints serve` first)",
        database.display()
    );
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("no async runtime")?;
    runtime.block_on(async {
        let store =
            SqliteCaseStore::open(&database).with_context(|| format!("could not open {}", database.display()))?;
        let stored = match store.get(reference).await {
            Ok(stored) => stored,
            Err(StoreError::NotFound) => anyhow::bail!("there is no case {reference}"),
            Err(err) => return Err(err).context("could not read the case"),
        };
        let timeline = store.timeline(reference).await.context("could not read the timeline")?;
        if json {
            let value = serde_json::json!({ "case": stored.case, "version": stored.version, "timeline": timeline });
            Ok(format!("{}\n", serde_json::to_string_pretty(&value)?))
        } else {
            Ok(as_text(&stored, &timeline))
        }
    })
}

fn export_contact(opts: &StaffOpts, email: &str, out: Option<&Path>) -> Result<String, Failure> {
    let address =
        EmailAddress::parse(email).map_err(|e| Failure::Usage(format!("--email {email:?} is not an address: {e}")))?;
    let staff = opts.open()?;
    let person = Complainant { name: String::new(), email: Some(address), phone: None, handle: None };
    let key = complaints_app::contact::contact_key(&staff.actions.contact_key_secret, Channel::Email, &person)
        .ok_or_else(|| Failure::Other(anyhow::anyhow!("could not key the address")))?;
    let bundle = block_on(async {
        staff.actions.record_read(&staff.user, Permission::ExportContact, None, Some(key.clone())).await?;
        Ok(complaints_app::subject_access::export_contact(staff.store.as_ref(), &key, staff.at).await?)
    })?;
    let text = format!("{}\n", serde_json::to_string_pretty(&bundle).context("JSON")?);
    match out {
        None => Ok(text),
        Some(path) => {
            write_private(path, &text).with_context(|| format!("could not write {}", path.display()))?;
            Ok(format!("{} case(s) written to {}\n", bundle.cases.len(), path.display()))
        }
    }
}

/// Writes a new file readable by its owner only (0600).
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(text.as_bytes())
}

/// A kebab-case name for a serde enum value (status, channel), falling back to its JSON.
fn name_of<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => "?".to_owned(),
    }
}

fn actor_name(actor: &Actor) -> String {
    match actor {
        Actor::System => "system".to_owned(),
        Actor::Complainant => "complainant".to_owned(),
        Actor::Staff(id) => format!("staff {id}"),
    }
}

/// One line for a timeline entry: its type, then its fields as `key=value`.
fn event_line(event: &TimelineEvent) -> String {
    let mut line = format!("  {}  {:<12}", event.at.format("%Y-%m-%d %H:%M UTC"), actor_name(&event.actor));
    match serde_json::to_value(&event.what) {
        Ok(serde_json::Value::Object(fields)) => {
            let kind = fields.get("type").and_then(|v| v.as_str()).unwrap_or("event").to_owned();
            line.push_str(&kind);
            for (key, value) in fields.iter().filter(|(k, _)| k.as_str() != "type") {
                // Reasons and notes are typed by people: one line, hidden controls made visible.
                let shown = match value {
                    serde_json::Value::String(s) => one_line(s),
                    other => other.to_string(),
                };
                line.push_str(&format!(" {key}={shown}"));
            }
        }
        _ => line.push_str("event"),
    }
    line
}

/// The citizen's text on one line (for short answers shown beside a label). Control and
/// direction-changing characters show as U+FFFD (the same rule as the web pages and email,
/// `complaints_core::text`), so text a citizen typed (an escape sequence, a right-to-left
/// override) cannot drive the officer's terminal or disguise itself.
fn one_line(text: &str) -> String {
    neutralise(&text.split_whitespace().collect::<Vec<_>>().join(" ")).into_owned()
}

/// The citizen's text as written, each line indented under its heading.
fn indented(text: &str) -> String {
    neutralise(text).lines().map(|line| format!("  {line}\n")).collect()
}

fn as_text(stored: &StoredCase, timeline: &[TimelineEvent]) -> String {
    let case = &stored.case;
    let complaint = case.complaint();
    let mut out = String::new();
    let mut row = |label: &str, value: String| out.push_str(&format!("{label:<14}{value}\n"));
    row("Reference:", case.reference().to_string());
    row("Status:", name_of(&case.status()));
    row("Channel:", complaint.channel.to_string());
    row("Service area:", one_line(complaints_app::queries::service_area_of(case)));
    if let Some(team) = case.records().assignment.as_ref().and_then(|a| a.team.as_deref()) {
        row("Team:", one_line(team));
    }
    if let Some(classification) = &case.records().classification {
        row(
            "Category:",
            format!("{} (lead: {})", one_line(&classification.category), one_line(&classification.lead_service)),
        );
    }
    row(
        "Received:",
        format!("{} (counts from {})", case.received_at().format("%Y-%m-%d %H:%M UTC"), case.effective_receipt()),
    );
    row("Stage 1 due:", case.stage1_due().to_string());
    row("Response due:", case.response_due().to_string());
    for clock in case.running_clocks() {
        row("Clock:", format!("{} due {}", clock.kind.as_str(), clock.due));
    }
    row("Handler:", case.handler().to_owned());
    row("Version:", stored.version.to_string());
    // What arrived, as the complaints officer needs to read it before replying. This prints to the
    // officer's own terminal; it is never logged.
    out.push_str("\nFrom:\n");
    let mut detail = |label: &str, value: String| out.push_str(&format!("  {label:<18}{}\n", one_line(&value)));
    match &complaint.complainant {
        None => detail("Anonymous:", "yes (we cannot reply)".to_owned()),
        Some(person) => {
            detail("Name:", person.name.clone());
            if let Some(email) = &person.email {
                detail("Email:", email.to_string());
            }
            if let Some(phone) = &person.phone {
                detail("Phone:", phone.clone());
            }
            if let Some(handle) = &person.handle {
                detail("Handle:", handle.clone());
            }
        }
    }
    if let Some(method) = &complaint.preferred_contact {
        detail("Contact by:", name_of(method));
    }
    if let Some(adjustments) = &complaint.adjustments {
        detail("Help needed:", adjustments.clone());
    }
    if let Some(rep) = &complaint.representation {
        let consent = if rep.consent_confirmed { "consent confirmed" } else { "consent NOT confirmed" };
        detail("On behalf of:", format!("{} ({}; {consent})", rep.person_affected, rep.relationship));
    }
    if let Some(child) = &complaint.child {
        detail("Child involved:", name_of(child));
    }
    if let Some(date) = complaint.event_date {
        detail("Happened on:", date.to_string());
    }
    if let Some(date) = complaint.awareness_date {
        detail("Found out on:", date.to_string());
    }
    out.push_str("\nWhat happened:\n");
    out.push_str(&indented(&complaint.description));
    if let Some(outcome) = &complaint.outcome_sought {
        out.push_str("\nOutcome wanted:\n");
        out.push_str(&indented(outcome));
    }
    out.push_str("\nTimeline:\n");
    for event in timeline {
        out.push_str(&event_line(event));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_citizens_text_is_indented_and_control_characters_cannot_drive_the_terminal() {
        let cases = [
            ("one line", "  one line\n"),
            ("two\nlines", "  two\n  lines\n"),
            ("red \u{1b}[31mtext", "  red \u{fffd}[31mtext\n"),
            ("tab\tkept", "  tab\tkept\n"),
        ];
        for (text, shown) in cases {
            assert_eq!(indented(text), shown, "{text:?}");
        }
        assert_eq!(one_line("large\n print  please"), "large print please");
        assert_eq!(one_line("Jo\u{1b}]0;x\u{7}"), "Jo\u{fffd}]0;x\u{fffd}");
        // Direction overrides and isolates cannot make text read differently from what it is.
        assert_eq!(one_line("Pay \u{202e}01$\u{2066}"), "Pay \u{fffd}01$\u{fffd}");
        assert_eq!(indented("a\u{200f}\r\nb\rc"), "  a\u{fffd}\n  b\n  c\n");
    }
}
