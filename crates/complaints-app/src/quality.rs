//! The quality check of closed complaints (R35, R48): the store port for second readers' reviews,
//! and the use cases over it: draw a period's sample from the case store's closure index, record
//! a review (managers only, never of the reader's own case), list and summarise. The sample itself
//! is decided in the core ([`complaints_core::quality`]) so the CLI and the pages cannot disagree.

use async_trait::async_trait;
use chrono::NaiveDate;
use complaints_core::quality::{
    Checklist, Closure, QualityReview, QualitySettings, QualitySummary, ReviewError, Sampled, closures_of, draw_sample,
    summarise,
};
use complaints_core::roles::Permission;

use crate::learning::LearningStore;
use crate::ports::{CaseStore, StoreError};
use crate::staff::StaffUser;

/// Where reviews live. Every adapter passes the quality contract suite
/// ([`crate::contract_registers`]).
#[async_trait]
pub trait QualityStore: Send + Sync {
    /// Stores a review. One review per closure: a second one is refused, never overwritten.
    ///
    /// # Errors
    /// [`StoreError::AlreadyExists`] when the closure has a review; [`StoreError::Unavailable`].
    async fn record_review(&self, review: &QualityReview) -> Result<(), StoreError>;

    /// The review of a closure ([`Closure::id`]), if there is one.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn review_of(&self, closure_id: &str) -> Result<Option<QualityReview>, StoreError>;

    /// Reviews of closures dated in `from..=to` (both included), by closure date then id: what a
    /// period's check reads (served by per-month partitions, never a scan).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn reviews_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<QualityReview>, StoreError>;
}

/// What a quality-check step can fail with.
#[derive(Debug, thiserror::Error)]
pub enum QualityError {
    /// The signed-in role may not review (R48: managers are the second readers).
    #[error("your role ({role}) may not record quality reviews")]
    NotAllowed { role: String },
    #[error(transparent)]
    Refused(#[from] ReviewError),
    /// The closure is not one of the period's closures.
    #[error("no closure {0} in the period")]
    NoSuchClosure(String),
    /// A learning action named by the review is not in the register (R35).
    #[error("learning action {0} is not in the register")]
    UnknownLearning(String),
    #[error("this closure has already been reviewed")]
    AlreadyReviewed,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Every closure dated in `from..=to`, from the case store's closure index (cost follows the
/// period's closures only), by date then id.
///
/// # Errors
/// [`StoreError`].
pub async fn closures_between(
    cases: &dyn CaseStore,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Closure>, StoreError> {
    let mut found: Vec<Closure> =
        cases.closed_between(from, to).await?.iter().flat_map(|stored| closures_of(&stored.case, from, to)).collect();
    found.sort_by_key(|c| (c.closed_on, c.id()));
    found.dedup_by_key(|c| c.id());
    Ok(found)
}

/// Fills who recorded each closure's response from its case's timeline (one timeline read per
/// case), so the reader of their own response is known.
///
/// # Errors
/// [`StoreError`].
pub async fn find_responders(cases: &dyn CaseStore, closures: Vec<&mut Closure>) -> Result<(), StoreError> {
    let mut timelines = std::collections::BTreeMap::new();
    for closure in closures {
        let reference = closure.reference.clone();
        if !timelines.contains_key(&reference) {
            timelines.insert(reference.clone(), cases.timeline(&reference).await?);
        }
        if let Some(timeline) = timelines.get(&reference) {
            closure.find_responder(timeline);
        }
    }
    Ok(())
}

/// The period's sample ([`draw_sample`]), each with who recorded the response.
///
/// # Errors
/// [`StoreError`].
pub async fn sample(
    cases: &dyn CaseStore,
    settings: &QualitySettings,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Sampled>, StoreError> {
    let mut sample = draw_sample(&closures_between(cases, from, to).await?, settings);
    let closures: Vec<&mut Closure> = sample.iter_mut().map(|s| &mut s.closure).collect();
    find_responders(cases, closures).await?;
    Ok(sample)
}

/// A period's sample, its reviews and their summary.
#[derive(Debug, Clone)]
pub struct PeriodCheck {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub sample: Vec<Sampled>,
    pub reviews: Vec<QualityReview>,
    pub summary: QualitySummary,
}

impl PeriodCheck {
    /// The review of a sampled closure, if recorded.
    #[must_use]
    pub fn review_of(&self, closure_id: &str) -> Option<&QualityReview> {
        self.reviews.iter().find(|r| r.id() == closure_id)
    }
}

/// Reads a period's check.
///
/// # Errors
/// [`StoreError`].
pub async fn period_check(
    cases: &dyn CaseStore,
    reviews: &dyn QualityStore,
    settings: &QualitySettings,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<PeriodCheck, StoreError> {
    let sample = sample(cases, settings, from, to).await?;
    let reviews = reviews.reviews_between(from, to).await?;
    let summary = summarise(&sample, &reviews);
    Ok(PeriodCheck { from, to, sample, reviews, summary })
}

/// What a second reader records about one closure.
#[derive(Debug, Clone)]
pub struct ReviewInput {
    pub closure_id: String,
    pub reviewed_on: NaiveDate,
    pub checklist: Checklist,
    pub findings: String,
    pub learning: Vec<String>,
}

/// Records `input` as `user`'s review of a closure dated in `from..=to`. Any closure of the period
/// may be reviewed (the sample says which must be), except the reader's own case.
///
/// # Errors
/// [`QualityError`].
#[allow(clippy::too_many_arguments)]
pub async fn record_review(
    cases: &dyn CaseStore,
    reviews: &dyn QualityStore,
    learning: &dyn LearningStore,
    user: &StaffUser,
    from: NaiveDate,
    to: NaiveDate,
    input: ReviewInput,
) -> Result<QualityReview, QualityError> {
    if !user.role.may(Permission::QualityReview) {
        return Err(QualityError::NotAllowed { role: user.role.to_string() });
    }
    let mut closure = closures_between(cases, from, to)
        .await?
        .into_iter()
        .find(|c| c.id() == input.closure_id)
        .ok_or_else(|| QualityError::NoSuchClosure(input.closure_id.clone()))?;
    find_responders(cases, vec![&mut closure]).await?;
    let review = QualityReview::new(
        closure,
        user.id.clone(),
        input.reviewed_on,
        input.checklist,
        input.findings,
        input.learning,
    )?;
    for id in &review.learning {
        match learning.learning(id).await {
            Ok(_) => {}
            Err(StoreError::NotFound) => return Err(QualityError::UnknownLearning(id.clone())),
            Err(other) => return Err(other.into()),
        }
    }
    match reviews.record_review(&review).await {
        Ok(()) => Ok(review),
        Err(StoreError::AlreadyExists { .. }) => Err(QualityError::AlreadyReviewed),
        Err(other) => Err(other.into()),
    }
}
