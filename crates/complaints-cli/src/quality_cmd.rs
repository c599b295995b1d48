//! `complaints quality …`: the quality check of closed complaints (R48, docs/quality-check.md):
//! draw a month's sample of closures for a second reader, record a review, list the reviews and
//! the results.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::Context;
use chrono::{Datelike, NaiveDate};
use clap::{Args, Subcommand};
use complaints_app::quality::{self, QualityError, ReviewInput};
use complaints_app::staff::ActionError;
use complaints_core::quality::{Answer, Checklist, QualityReview, Question, Sampled, stage_number};
use complaints_core::roles::Permission;

use crate::staff_ctx::{Failure, Staff, StaffOpts, block_on, finish};

#[derive(Debug, Args)]
pub struct QualityArgs {
    #[command(flatten)]
    pub opts: StaffOpts,
    #[command(subcommand)]
    pub command: QualityCommand,
}

/// The month a command is about.
#[derive(Debug, Clone, Args)]
pub struct Month {
    /// The month, as YYYY-MM; the current month by default.
    #[arg(long)]
    period: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum QualityCommand {
    /// The month's sample: every "resolved" response and a fixed share of the others, why each
    /// is in it, and whether it is reviewed.
    Sample {
        #[command(flatten)]
        month: Month,
    },
    /// Record your review of one response (a manager who did not handle the case).
    Review {
        /// The response's id from `quality sample`, like CMP-2026-00042/1/2026-03-04.
        closure: String,
        /// yes, no or not-applicable: was the response on time (R19, R26)?
        #[arg(long)]
        response_on_time: String,
        /// Was every point of complaint answered (R30)?
        #[arg(long)]
        all_points_answered: String,
        /// Was the outcome right and explained (R31, R32)?
        #[arg(long)]
        outcome_explained: String,
        /// Was the next stage signposted correctly (R23, R37)?
        #[arg(long)]
        signposting_correct: String,
        /// Was the letter clear, polite and in plain language?
        #[arg(long)]
        letter_quality: String,
        /// What you found (needed when an answer is no).
        #[arg(long, default_value = "")]
        findings: String,
        /// A learning action raised from the review (LA-…, in the register); repeat for each.
        #[arg(long = "learning")]
        learning: Vec<String>,
    },
    /// The month's reviews and the summary of results.
    List {
        #[command(flatten)]
        month: Month,
    },
}

pub fn run(args: QualityArgs) -> ExitCode {
    let QualityArgs { opts, command } = args;
    finish(dispatch(&opts, command))
}

/// The first and last day of `YYYY-MM`, or of the month `today` is in.
fn month_bounds(period: Option<&str>, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), Failure> {
    let text = period.map_or_else(|| format!("{:04}-{:02}", today.year(), today.month()), |p| p.trim().to_owned());
    let bad = || Failure::Usage(format!("{text:?} is not a month like 2026-03"));
    let first = NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").map_err(|_| bad())?;
    let next = first.checked_add_months(chrono::Months::new(1)).ok_or_else(bad)?;
    Ok((first, next.pred_opt().ok_or_else(bad)?))
}

fn answer(text: &str, question: Question) -> Result<Answer, Failure> {
    Answer::parse(text).ok_or_else(|| {
        Failure::Usage(format!("--{} must be yes, no or not-applicable, not {text:?}", question.as_str()))
    })
}

fn quality_failure(error: QualityError, staff: &Staff) -> Failure {
    match error {
        QualityError::NotAllowed { .. } => {
            Failure::Action(ActionError::Forbidden { role: staff.user.role, needs: Permission::QualityReview })
        }
        QualityError::Store(store) => store.into(),
        QualityError::Refused(refused) => Failure::Action(ActionError::Invalid(format!("refused by R48: {refused}"))),
        other => Failure::Action(ActionError::Invalid(other.to_string())),
    }
}

fn dispatch(opts: &StaffOpts, command: QualityCommand) -> Result<String, Failure> {
    let staff = opts.open()?;
    let today = complaints_core::dates::today_in_scotland(staff.at);
    let settings = staff.actions.config.quality.clone();
    match command {
        QualityCommand::Sample { month } => {
            let (from, to) = month_bounds(month.period.as_deref(), today)?;
            let check = block_on(async {
                staff.actions.record_read(&staff.user, Permission::ListCases, None, None).await?;
                Ok(quality::period_check(staff.store.as_ref(), staff.store.as_ref(), &settings, from, to).await?)
            })?;
            if staff.json {
                let rows: Vec<serde_json::Value> = check
                    .sample
                    .iter()
                    .map(|s| {
                        serde_json::json!({
                            "closure": s.closure.id(),
                            "reference": s.closure.reference,
                            "stage": stage_number(s.closure.stage),
                            "closed_on": s.closure.closed_on,
                            "outcome": s.closure.outcome,
                            "handler": s.closure.handler,
                            "responded_by": s.closure.responded_by,
                            "why": s.reason,
                            "reviewed": check.review_of(&s.closure.id()).is_some(),
                        })
                    })
                    .collect();
                let json = serde_json::json!({ "from": from, "to": to, "settings": settings, "sample": rows });
                return Ok(format!("{}\n", serde_json::to_string_pretty(&json).context("JSON")?));
            }
            let mut out = format!(
                "Sample of responses {from} to {to}: every \"resolved\" one and {}% of the others (at least {}).\n",
                settings.other_share_percent, settings.minimum_others
            );
            for sampled in &check.sample {
                out.push_str(&sample_line(sampled, check.review_of(&sampled.closure.id()).is_some(), &staff.user.id));
            }
            if check.sample.is_empty() {
                out.push_str("(no responses in this month)\n");
            }
            Ok(out)
        }
        QualityCommand::Review {
            closure,
            response_on_time,
            all_points_answered,
            outcome_explained,
            signposting_correct,
            letter_quality,
            findings,
            learning,
        } => {
            let checklist = Checklist {
                response_on_time: answer(&response_on_time, Question::ResponseOnTime)?,
                all_points_answered: answer(&all_points_answered, Question::AllPointsAnswered)?,
                outcome_explained: answer(&outcome_explained, Question::OutcomeExplained)?,
                signposting_correct: answer(&signposting_correct, Question::SignpostingCorrect)?,
                letter_quality: answer(&letter_quality, Question::LetterQuality)?,
            };
            let date = closure
                .rsplit('/')
                .next()
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .ok_or_else(|| Failure::Usage(format!("{closure:?} is not a response id from `quality sample`")))?;
            let period = format!("{:04}-{:02}", date.year(), date.month());
            let (from, to) = month_bounds(Some(&period), today)?;
            let input = ReviewInput { closure_id: closure, reviewed_on: today, checklist, findings, learning };
            let review = block_on(async {
                quality::record_review(
                    staff.store.as_ref(),
                    staff.store.as_ref(),
                    staff.store.as_ref(),
                    &staff.user,
                    from,
                    to,
                    input,
                )
                .await
                .map_err(|e| quality_failure(e, &staff))
            })?;
            shown(&staff, &review)
        }
        QualityCommand::List { month } => {
            let (from, to) = month_bounds(month.period.as_deref(), today)?;
            let check = block_on(async {
                staff.actions.record_read(&staff.user, Permission::ListCases, None, None).await?;
                Ok(quality::period_check(staff.store.as_ref(), staff.store.as_ref(), &settings, from, to).await?)
            })?;
            if staff.json {
                let json =
                    serde_json::json!({ "from": from, "to": to, "reviews": check.reviews, "summary": check.summary });
                return Ok(format!("{}\n", serde_json::to_string_pretty(&json).context("JSON")?));
            }
            let s = &check.summary;
            let mut out = format!(
                "Quality check {from} to {to}: {} sampled, {} reviewed, {} to review, {} with a \"no\", {} learning actions raised.\n",
                s.sampled, s.reviewed, s.outstanding, s.with_failings, s.learning_raised
            );
            for (question, tally) in &s.tallies {
                let _ = writeln!(
                    out,
                    "  {}  yes {}  no {}  n/a {}",
                    question.text(),
                    tally.yes,
                    tally.no,
                    tally.not_applicable
                );
            }
            for review in &check.reviews {
                out.push_str(&review_line(review));
            }
            Ok(out)
        }
    }
}

fn sample_line(sampled: &Sampled, reviewed: bool, reader: &str) -> String {
    let c = &sampled.closure;
    let state = if reviewed {
        "reviewed"
    } else if c.is_own(reader) {
        "your case: another reader"
    } else {
        "to review"
    };
    format!("{}  {}  handler {}  {state}  ({})\n", c.id(), c.outcome.as_str(), c.handler, sampled.reason)
}

fn review_line(review: &QualityReview) -> String {
    let noes: Vec<&str> =
        Question::ALL.into_iter().filter(|q| review.checklist.answer(*q) == Answer::No).map(Question::as_str).collect();
    let noes = if noes.is_empty() { "all yes or n/a".to_owned() } else { format!("no: {}", noes.join(", ")) };
    format!(
        "{}  by {} on {}  {noes}  learning: {}\n",
        review.id(),
        review.reviewer,
        review.reviewed_on,
        review.learning.join(", ")
    )
}

fn shown(staff: &Staff, review: &QualityReview) -> Result<String, Failure> {
    if staff.json {
        return Ok(format!("{}\n", serde_json::to_string_pretty(review).context("JSON")?));
    }
    let mut out = review_line(review);
    let _ = writeln!(out, "Findings: {}", review.findings);
    Ok(out)
}
