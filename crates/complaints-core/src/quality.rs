//! The quality check of closed complaints: a deterministic, explainable sample of a period's
//! closures for a second reader, and the review the reader records (pure; the app layer stores it).
//!
//! Why: the SPSO asks organisations to watch that complaints are not "inappropriately resolved"
//! (R48) and to learn from every complaint whatever the outcome (R35); a response must answer every
//! point (R30), say what was decided (R31, R32) and signpost the next stage (R23, R37), on time
//! (R19, R26). A second reader checks exactly those things on a sample of closures.
//!
//! How the sample is drawn: **every** closure with the outcome "resolved" (R48: the outcome most
//! at risk of being used to close a complaint without answering it), plus a configurable share of
//! the other closures. The share is picked by a fixed hash of the closure's reference, stage and
//! date, lowest first, so the same period always gives the same sample, anyone can recompute it,
//! and nobody chooses which cases are read. A reader is never given their own case: the second
//! reader is not the handler.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::case::{Case, CaseEvent, Stage, TimelineEvent};
use crate::outcome::Outcome;
use crate::reference::CaseRef;

/// The share of non-"resolved" closures sampled when the configuration does not say (percent).
/// Every "resolved" closure is sampled whatever this says (R48).
pub const DEFAULT_OTHER_SHARE_PERCENT: u8 = 10;
/// At least this many non-"resolved" closures are sampled when there are that many (so a small
/// period is not left with none).
pub const DEFAULT_MINIMUM_OTHERS: u32 = 1;

/// `[quality]` in the organisation configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QualitySettings {
    /// Percent (0–100) of the closures that are not "resolved" which are sampled (R35, R48).
    pub other_share_percent: u8,
    /// The least number of other closures sampled when the period has that many.
    pub minimum_others: u32,
}

impl Default for QualitySettings {
    fn default() -> Self {
        Self { other_share_percent: DEFAULT_OTHER_SHARE_PERCENT, minimum_others: DEFAULT_MINIMUM_OTHERS }
    }
}

impl QualitySettings {
    /// Checks the values a well-formed file can still get wrong.
    ///
    /// # Errors
    /// The dotted field and why.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if self.other_share_percent > 100 {
            return Err(("quality.other_share_percent", format!("{} is over 100", self.other_share_percent)));
        }
        Ok(())
    }
}

/// One response that closed a stage: what the sample is drawn from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closure {
    pub reference: CaseRef,
    pub stage: Stage,
    pub closed_on: NaiveDate,
    pub outcome: Outcome,
    /// The case's handler (R42): never its own second reader.
    pub handler: String,
    /// The member of staff who recorded the response (from the timeline), when known: never its
    /// own second reader either.
    #[serde(default)]
    pub responded_by: Option<String>,
}

impl Closure {
    /// True when `reader` handled the case or recorded this response: the second reader is not
    /// the handler.
    #[must_use]
    pub fn is_own(&self, reader: &str) -> bool {
        same_person(&self.handler, reader) || self.responded_by.as_deref().is_some_and(|r| same_person(r, reader))
    }

    /// Fills [`Closure::responded_by`] from the case's timeline: the member of staff who recorded
    /// the response of this stage on this date.
    pub fn find_responder(&mut self, timeline: &[TimelineEvent]) {
        self.responded_by = timeline.iter().find_map(|event| {
            let (stage, on) = match &event.what {
                CaseEvent::Stage1Closed { closure } => (Stage::One, closure.responded_on),
                CaseEvent::Stage2Closed { closure } => (Stage::Two, closure.responded_on),
                _ => return None,
            };
            match &event.actor {
                Actor::Staff(id) if stage == self.stage && on == self.closed_on => Some(id.clone()),
                _ => None,
            }
        });
    }

    /// The closure's id: reference, stage number and date (no personal data).
    #[must_use]
    pub fn id(&self) -> String {
        closure_id(&self.reference, self.stage, self.closed_on)
    }
}

/// The id of the closure of `stage` of `reference` on `closed_on`: `CMP-2026-00042/1/2026-03-04`.
#[must_use]
pub fn closure_id(reference: &CaseRef, stage: Stage, closed_on: NaiveDate) -> String {
    format!("{reference}/{}/{closed_on}", stage_number(stage))
}

/// 1 or 2.
#[must_use]
pub fn stage_number(stage: Stage) -> u8 {
    match stage {
        Stage::One => 1,
        Stage::Two => 2,
    }
}

/// Every response given on `case` dated in `from..=to` (both included), stage 1 first. Closures
/// later set aside by a reopening are included: each was a response the customer received (R40).
#[must_use]
pub fn closures_of(case: &Case, from: NaiveDate, to: NaiveDate) -> Vec<Closure> {
    let make = |stage, closed_on, outcome| Closure {
        reference: case.reference().clone(),
        stage,
        closed_on,
        outcome,
        handler: case.handler().to_owned(),
        responded_by: None,
    };
    let mut found = Vec::new();
    if let Some(stage1) = case.stage1() {
        found.extend(stage1.closures().map(|c| make(Stage::One, c.responded_on, c.outcome)));
    }
    if let Some(stage2) = case.stage2() {
        found.extend(stage2.closures().map(|c| make(Stage::Two, c.responded_on, c.outcome)));
    }
    found.retain(|c| (from..=to).contains(&c.closed_on));
    found
}

/// Why a closure is in the sample: said on the page beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "why")]
pub enum SampleReason {
    /// Every "resolved" closure is read (R48).
    Resolved,
    /// One of the share of the others: `rank` (1-based) by the fixed hash among `of` others.
    Share { rank: u32, of: u32 },
}

impl fmt::Display for SampleReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Resolved => f.write_str("every \"resolved\" closure is read (R48)"),
            Self::Share { rank, of } => write!(f, "number {rank} by the fixed hash of {of} other closures"),
        }
    }
}

/// A closure in the sample and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sampled {
    pub closure: Closure,
    pub reason: SampleReason,
}

/// A fixed 64-bit FNV-1a hash: the same on every machine and every release, unlike the standard
/// library's hasher, so a sample can be recomputed from the closures alone.
#[must_use]
pub fn fixed_hash(text: &str) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0100_0000_01b3;
    text.bytes().fold(OFFSET, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(PRIME))
}

/// How many of `others` closures the share takes: `percent` of them rounded up, at least
/// `minimum` (when there are that many).
#[must_use]
pub fn share_size(others: usize, settings: &QualitySettings) -> usize {
    let percent = usize::from(settings.other_share_percent.min(100));
    let by_share = (others * percent).div_ceil(100);
    let minimum = usize::try_from(settings.minimum_others).unwrap_or(usize::MAX);
    by_share.max(minimum.min(others)).min(others)
}

/// The sample of `closures`: every "resolved" one, then the share of the others with the lowest
/// [`fixed_hash`] of their id. The result is ordered by closure date then id, and does not depend
/// on the order `closures` came in. Duplicates (the same closure twice) count once.
#[must_use]
pub fn draw_sample(closures: &[Closure], settings: &QualitySettings) -> Vec<Sampled> {
    let mut unique: Vec<&Closure> = closures.iter().collect();
    unique.sort_by_key(|c| c.id());
    unique.dedup_by_key(|c| c.id());
    let (resolved, mut others): (Vec<&Closure>, Vec<&Closure>) =
        unique.into_iter().partition(|c| c.outcome == Outcome::Resolved);
    others.sort_by_key(|c| (fixed_hash(&c.id()), c.id()));
    let of = u32::try_from(others.len()).unwrap_or(u32::MAX);
    let take = share_size(others.len(), settings);
    let mut sample: Vec<Sampled> = resolved
        .into_iter()
        .map(|c| Sampled { closure: c.clone(), reason: SampleReason::Resolved })
        .chain(
            others
                .into_iter()
                .take(take)
                .zip(1..)
                .map(|(c, rank)| Sampled { closure: c.clone(), reason: SampleReason::Share { rank, of } }),
        )
        .collect();
    sample.sort_by_key(|s| (s.closure.closed_on, s.closure.id()));
    sample
}

/// The sample a given reader may review: everything but their own cases.
#[must_use]
pub fn for_reader(sample: &[Sampled], reader: &str) -> Vec<Sampled> {
    sample.iter().filter(|s| !s.closure.is_own(reader)).cloned().collect()
}

fn same_person(handler: &str, reader: &str) -> bool {
    handler.trim().eq_ignore_ascii_case(reader.trim())
}

/// A checklist answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Answer {
    Yes,
    No,
    NotApplicable,
}

impl Answer {
    /// Every answer, in form order.
    pub const ALL: [Self; 3] = [Self::Yes, Self::No, Self::NotApplicable];

    /// The kebab-case name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Yes => "yes",
            Self::No => "no",
            Self::NotApplicable => "not-applicable",
        }
    }

    /// Words for a page.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Yes => "Yes",
            Self::No => "No",
            Self::NotApplicable => "Not applicable",
        }
    }

    /// Parses the kebab-case name.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == text.trim())
    }
}

/// The questions a second reader answers, each with the rule it checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Question {
    /// R19, R26: the response was given within the timescale (or a properly authorised extension).
    ResponseOnTime,
    /// R30: every point of complaint was answered.
    AllPointsAnswered,
    /// R31, R32: the outcome was right for what was decided and explained.
    OutcomeExplained,
    /// R23, R37: the next stage (stage 2, or the SPSO) was signposted correctly.
    SignpostingCorrect,
    /// The letter was clear, polite and in plain language.
    LetterQuality,
}

impl Question {
    /// Every question, in form order.
    pub const ALL: [Self; 5] = [
        Self::ResponseOnTime,
        Self::AllPointsAnswered,
        Self::OutcomeExplained,
        Self::SignpostingCorrect,
        Self::LetterQuality,
    ];

    /// The kebab-case name (form field and CLI option).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ResponseOnTime => "response-on-time",
            Self::AllPointsAnswered => "all-points-answered",
            Self::OutcomeExplained => "outcome-explained",
            Self::SignpostingCorrect => "signposting-correct",
            Self::LetterQuality => "letter-quality",
        }
    }

    /// The question as the form asks it, with its rule.
    #[must_use]
    pub fn text(self) -> &'static str {
        match self {
            Self::ResponseOnTime => "Was the response given on time? (R19, R26)",
            Self::AllPointsAnswered => "Was every point of complaint answered? (R30)",
            Self::OutcomeExplained => "Was the outcome right and explained? (R31, R32)",
            Self::SignpostingCorrect => "Was the next stage signposted correctly? (R23, R37)",
            Self::LetterQuality => "Was the letter clear, polite and in plain language?",
        }
    }
}

/// The answers to every [`Question`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checklist {
    pub response_on_time: Answer,
    pub all_points_answered: Answer,
    pub outcome_explained: Answer,
    pub signposting_correct: Answer,
    pub letter_quality: Answer,
}

impl Checklist {
    /// The answer to `question`.
    #[must_use]
    pub fn answer(&self, question: Question) -> Answer {
        match question {
            Question::ResponseOnTime => self.response_on_time,
            Question::AllPointsAnswered => self.all_points_answered,
            Question::OutcomeExplained => self.outcome_explained,
            Question::SignpostingCorrect => self.signposting_correct,
            Question::LetterQuality => self.letter_quality,
        }
    }

    /// A checklist from an answer per question.
    #[must_use]
    pub fn from_fn(mut answer: impl FnMut(Question) -> Answer) -> Self {
        Self {
            response_on_time: answer(Question::ResponseOnTime),
            all_points_answered: answer(Question::AllPointsAnswered),
            outcome_explained: answer(Question::OutcomeExplained),
            signposting_correct: answer(Question::SignpostingCorrect),
            letter_quality: answer(Question::LetterQuality),
        }
    }

    /// True when some answer is "no".
    #[must_use]
    pub fn has_failings(&self) -> bool {
        Question::ALL.into_iter().any(|q| self.answer(q) == Answer::No)
    }
}

/// Why a review was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    #[error("the second reader is not the handler: {reader} handled this case")]
    OwnCase { reader: String },
    #[error("{field} must not be blank")]
    Blank { field: &'static str },
    #[error("findings are needed when an answer is \"no\" (say what went wrong)")]
    FindingsNeeded,
    #[error("reviewed on {reviewed_on}, before the closure on {closed_on}")]
    BeforeClosure { reviewed_on: NaiveDate, closed_on: NaiveDate },
    #[error("{0:?} is not a learning action id (LA-…)")]
    BadLearningId(String),
}

/// A second reader's review of one closure (R35, R48).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualityReview {
    pub closure: Closure,
    pub reviewer: String,
    pub reviewed_on: NaiveDate,
    pub checklist: Checklist,
    /// What the reader found, in their words (internal; never sent to the complainant).
    pub findings: String,
    /// Learning actions raised from the review (`LA-…` ids in the learning register, R35).
    pub learning: Vec<String>,
}

impl QualityReview {
    /// A validated review.
    ///
    /// # Errors
    /// [`ReviewError`]: the reader's own case, a blank reader, a "no" without findings, a date
    /// before the closure, a learning id that is not one.
    pub fn new(
        closure: Closure,
        reviewer: String,
        reviewed_on: NaiveDate,
        checklist: Checklist,
        findings: String,
        learning: Vec<String>,
    ) -> Result<Self, ReviewError> {
        if reviewer.trim().is_empty() {
            return Err(ReviewError::Blank { field: "reviewer" });
        }
        if closure.is_own(&reviewer) {
            return Err(ReviewError::OwnCase { reader: reviewer });
        }
        if checklist.has_failings() && findings.trim().is_empty() {
            return Err(ReviewError::FindingsNeeded);
        }
        if reviewed_on < closure.closed_on {
            return Err(ReviewError::BeforeClosure { reviewed_on, closed_on: closure.closed_on });
        }
        let mut learning: Vec<String> =
            learning.into_iter().map(|id| id.trim().to_owned()).filter(|id| !id.is_empty()).collect();
        if let Some(bad) = learning.iter().find(|id| !id.starts_with("LA-")) {
            return Err(ReviewError::BadLearningId(bad.clone()));
        }
        learning.sort();
        learning.dedup();
        Ok(Self { closure, reviewer: reviewer.trim().to_owned(), reviewed_on, checklist, findings, learning })
    }

    /// The id: the closure's.
    #[must_use]
    pub fn id(&self) -> String {
        self.closure.id()
    }
}

/// Counts of one question's answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Tally {
    pub yes: u32,
    pub no: u32,
    pub not_applicable: u32,
}

/// The results of a period's check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QualitySummary {
    pub sampled: u32,
    pub reviewed: u32,
    /// Sampled closures with no review yet.
    pub outstanding: u32,
    /// Reviews with at least one "no".
    pub with_failings: u32,
    /// One tally per [`Question::ALL`], in that order.
    pub tallies: Vec<(Question, Tally)>,
    pub learning_raised: u32,
}

/// The summary of `reviews` against `sample` (reviews of closures outside the sample still count
/// as reviewed).
#[must_use]
pub fn summarise(sample: &[Sampled], reviews: &[QualityReview]) -> QualitySummary {
    let reviewed_ids: std::collections::BTreeSet<String> = reviews.iter().map(QualityReview::id).collect();
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let tallies = Question::ALL
        .into_iter()
        .map(|q| {
            let mut tally = Tally::default();
            for review in reviews {
                match review.checklist.answer(q) {
                    Answer::Yes => tally.yes += 1,
                    Answer::No => tally.no += 1,
                    Answer::NotApplicable => tally.not_applicable += 1,
                }
            }
            (q, tally)
        })
        .collect();
    QualitySummary {
        sampled: count(sample.len()),
        reviewed: count(reviews.len()),
        outstanding: count(sample.iter().filter(|s| !reviewed_ids.contains(&s.closure.id())).count()),
        with_failings: count(reviews.iter().filter(|r| r.checklist.has_failings()).count()),
        tallies,
        learning_raised: count(reviews.iter().map(|r| r.learning.len()).sum()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(n: u32) -> CaseRef {
        CaseRef::new("CMP", 2026, n).expect("reference")
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).expect("date")
    }

    fn closure(n: u32, outcome: Outcome, handler: &str) -> Closure {
        Closure {
            reference: reference(n),
            stage: Stage::One,
            closed_on: day(1 + n % 28),
            outcome,
            handler: handler.to_owned(),
            responded_by: None,
        }
    }

    fn yes() -> Checklist {
        Checklist::from_fn(|_| Answer::Yes)
    }

    #[test]
    fn every_resolved_closure_and_the_share_of_the_others_are_sampled() {
        let mut closures: Vec<Closure> = (1..=5).map(|n| closure(n, Outcome::Resolved, "ann")).collect();
        closures.extend((6..=25).map(|n| closure(n, Outcome::Upheld, "ann")));
        let settings = QualitySettings { other_share_percent: 10, minimum_others: 1 };
        let sample = draw_sample(&closures, &settings);
        let resolved = sample.iter().filter(|s| s.reason == SampleReason::Resolved).count();
        let others: Vec<_> = sample.iter().filter(|s| s.reason != SampleReason::Resolved).collect();
        assert_eq!(resolved, 5);
        assert_eq!(others.len(), 2, "10% of 20, rounded up");
        assert!(others.iter().all(|s| s.closure.outcome == Outcome::Upheld));
        assert!(others.iter().all(|s| matches!(s.reason, SampleReason::Share { of: 20, .. })));
    }

    #[test]
    fn the_sample_does_not_depend_on_the_order_the_closures_came_in() {
        let closures: Vec<Closure> = (1..=40).map(|n| closure(n, Outcome::NotUpheld, "ann")).collect();
        let mut reversed = closures.clone();
        reversed.reverse();
        let settings = QualitySettings { other_share_percent: 25, minimum_others: 0 };
        let first = draw_sample(&closures, &settings);
        assert_eq!(first, draw_sample(&reversed, &settings));
        assert_eq!(first.len(), 10);
        // The picked ones are those with the lowest hashes.
        let mut hashes: Vec<u64> = closures.iter().map(|c| fixed_hash(&c.id())).collect();
        hashes.sort_unstable();
        let highest_picked = first.iter().map(|s| fixed_hash(&s.closure.id())).max().expect("picked some");
        assert_eq!(highest_picked, hashes[9]);
    }

    #[test]
    fn a_small_period_still_samples_the_minimum_and_a_zero_share_only_the_resolved() {
        let closures = vec![closure(1, Outcome::Upheld, "ann"), closure(2, Outcome::Resolved, "ann")];
        let minimum = QualitySettings { other_share_percent: 0, minimum_others: 1 };
        assert_eq!(draw_sample(&closures, &minimum).len(), 2);
        let none = QualitySettings { other_share_percent: 0, minimum_others: 0 };
        let sample = draw_sample(&closures, &none);
        assert_eq!(sample.len(), 1);
        assert_eq!(sample[0].closure.outcome, Outcome::Resolved);
    }

    #[test]
    fn the_fixed_hash_is_fnv_1a() {
        // Published FNV-1a 64-bit test vectors.
        assert_eq!(fixed_hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fixed_hash("a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn a_reader_is_never_given_or_allowed_their_own_case() {
        let closures = vec![closure(1, Outcome::Resolved, "Ann"), closure(2, Outcome::Resolved, "bob")];
        let sample = draw_sample(&closures, &QualitySettings::default());
        let for_ann = for_reader(&sample, "ann");
        assert_eq!(for_ann.len(), 1);
        assert_eq!(for_ann[0].closure.handler, "bob");
        let refused =
            QualityReview::new(closures[0].clone(), " ann ".to_owned(), day(20), yes(), String::new(), vec![]);
        assert_eq!(refused, Err(ReviewError::OwnCase { reader: " ann ".to_owned() }));
        // The one who recorded the response is not a second reader either, whoever the handler.
        let mut team_case = closure(3, Outcome::Resolved, "Waste Services Team");
        team_case.responded_by = Some("carl".to_owned());
        assert!(team_case.is_own("carl") && !team_case.is_own("bob"));
        let sample = draw_sample(&[team_case], &QualitySettings::default());
        assert!(for_reader(&sample, "carl").is_empty());
    }

    #[test]
    fn a_no_needs_findings_and_learning_ids_are_checked_and_tidied() {
        let c = closure(3, Outcome::Upheld, "ann");
        let mut checklist = yes();
        checklist.all_points_answered = Answer::No;
        let refused =
            QualityReview::new(c.clone(), "bob".to_owned(), day(20), checklist.clone(), " ".to_owned(), vec![]);
        assert_eq!(refused, Err(ReviewError::FindingsNeeded));
        let bad = QualityReview::new(c.clone(), "bob".to_owned(), day(20), yes(), String::new(), vec!["x1".to_owned()]);
        assert_eq!(bad, Err(ReviewError::BadLearningId("x1".to_owned())));
        let early = QualityReview::new(c.clone(), "bob".to_owned(), day(1), yes(), String::new(), vec![]);
        assert!(matches!(early, Err(ReviewError::BeforeClosure { .. })));
        let review = QualityReview::new(
            c,
            "bob".to_owned(),
            day(20),
            checklist,
            "Point 2 not answered".to_owned(),
            vec!["LA-2".to_owned(), " LA-1 ".to_owned(), "LA-2".to_owned()],
        )
        .expect("valid");
        assert_eq!(review.learning, vec!["LA-1".to_owned(), "LA-2".to_owned()]);
    }

    #[test]
    fn the_summary_counts_answers_outstanding_reviews_and_learning() {
        let closures: Vec<Closure> = (1..=3).map(|n| closure(n, Outcome::Resolved, "ann")).collect();
        let sample = draw_sample(&closures, &QualitySettings::default());
        let mut checklist = yes();
        checklist.letter_quality = Answer::No;
        let review = QualityReview::new(
            closures[0].clone(),
            "bob".to_owned(),
            day(25),
            checklist,
            "Jargon".to_owned(),
            vec!["LA-9".to_owned()],
        )
        .expect("valid");
        let summary = summarise(&sample, &[review]);
        assert_eq!((summary.sampled, summary.reviewed, summary.outstanding), (3, 1, 2));
        assert_eq!(summary.with_failings, 1);
        assert_eq!(summary.learning_raised, 1);
        let letter = summary.tallies.iter().find(|(q, _)| *q == Question::LetterQuality).expect("tallied");
        assert_eq!(letter.1, Tally { yes: 0, no: 1, not_applicable: 0 });
    }

    #[test]
    fn a_share_over_a_hundred_percent_is_refused() {
        let settings = QualitySettings { other_share_percent: 101, minimum_others: 0 };
        assert_eq!(settings.validate().map_err(|(field, _)| field), Err("quality.other_share_percent"));
    }
}
