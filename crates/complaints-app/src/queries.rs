//! Reading cases for staff: list and search (open, due soon, overdue, by handler, stage, service
//! area, channel, category, status, free text on the reference), one page at a time with a cursor.
//!
//! Every store answers the same [`CaseQuery`] through [`CaseQueries`]: the store supplies
//! candidates in the scope's order from its indexes (the due index for open cases, the received
//! period for everything else: never a scan of closed cases for an open list), and may narrow them
//! with the filters it can index; [`CaseQuery::matches`] then decides, in one place, so the
//! stores cannot disagree about what matches.

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use chrono::NaiveDate;
use complaints_core::case::{Case, Stage, Status};
use complaints_core::complaint::Channel;
use complaints_core::reference::CaseRef;

use crate::ports::{CaseStore, StoreError, StoredCase};

/// The most cases one page may hold.
pub const MAX_PAGE: usize = 500;
/// The page size when none is asked for.
pub const DEFAULT_PAGE: usize = 50;

/// Which cases a query ranges over, and in which order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// Open cases (every open case has a running clock, so this is the due index), earliest next
    /// due date first.
    #[default]
    Open,
    /// Cases received (local date, K2) in `from..=to`, open or not, oldest first.
    Received { from: NaiveDate, to: NaiveDate },
}

/// A case's status without the detail (a withdrawal at either stage is `Withdrawn`), for filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusFilter {
    Stage1Open,
    Stage1Extended,
    Stage1Closed,
    Stage2AwaitingAcknowledgement,
    Stage2Acknowledged,
    Stage2Extended,
    Stage2Closed,
    Withdrawn,
    NotAComplaint,
}

impl StatusFilter {
    /// Every filter, in lifecycle order.
    pub const ALL: [Self; 9] = [
        Self::Stage1Open,
        Self::Stage1Extended,
        Self::Stage1Closed,
        Self::Stage2AwaitingAcknowledgement,
        Self::Stage2Acknowledged,
        Self::Stage2Extended,
        Self::Stage2Closed,
        Self::Withdrawn,
        Self::NotAComplaint,
    ];

    /// The kebab-case name, as the case's `status` serialises.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stage1Open => "stage1-open",
            Self::Stage1Extended => "stage1-extended",
            Self::Stage1Closed => "stage1-closed",
            Self::Stage2AwaitingAcknowledgement => "stage2-awaiting-acknowledgement",
            Self::Stage2Acknowledged => "stage2-acknowledged",
            Self::Stage2Extended => "stage2-extended",
            Self::Stage2Closed => "stage2-closed",
            Self::Withdrawn => "withdrawn",
            Self::NotAComplaint => "not-a-complaint",
        }
    }

    /// The filter a status falls under.
    #[must_use]
    pub fn of(status: Status) -> Self {
        match status {
            Status::Stage1Open => Self::Stage1Open,
            Status::Stage1Extended => Self::Stage1Extended,
            Status::Stage1Closed => Self::Stage1Closed,
            Status::Stage2AwaitingAcknowledgement => Self::Stage2AwaitingAcknowledgement,
            Status::Stage2Acknowledged => Self::Stage2Acknowledged,
            Status::Stage2Extended => Self::Stage2Extended,
            Status::Stage2Closed => Self::Stage2Closed,
            Status::Withdrawn { .. } => Self::Withdrawn,
            Status::NotAComplaint => Self::NotAComplaint,
        }
    }
}

impl fmt::Display for StatusFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of the listed values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a {what} (one of: {allowed})")]
pub struct UnknownName {
    pub what: &'static str,
    pub value: String,
    pub allowed: String,
}

impl FromStr for StatusFilter {
    type Err = UnknownName;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|s| s.as_str() == text.trim()).ok_or_else(|| UnknownName {
            what: "status",
            value: text.to_owned(),
            allowed: Self::ALL.map(Self::as_str).join(", "),
        })
    }
}

/// The channel a name stands for (`phone`, `in-person`, `web-form`, …).
///
/// # Errors
/// [`UnknownName`].
pub fn parse_channel(text: &str) -> Result<Channel, UnknownName> {
    Channel::ALL.into_iter().find(|c| c.as_str() == text.trim()).ok_or_else(|| UnknownName {
        what: "channel",
        value: text.to_owned(),
        allowed: Channel::ALL.map(Channel::as_str).join(", "),
    })
}

/// The stage a name stands for (`1` or `2`).
///
/// # Errors
/// [`UnknownName`].
pub fn parse_stage(text: &str) -> Result<Stage, UnknownName> {
    match text.trim() {
        "1" | "one" => Ok(Stage::One),
        "2" | "two" => Ok(Stage::Two),
        _ => Err(UnknownName { what: "stage", value: text.to_owned(), allowed: "1, 2".to_owned() }),
    }
}

/// Where a page ended: the sort position of its last case (a date and a reference, no personal
/// data). The next page starts strictly after it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cursor(String);

impl Cursor {
    /// The sort position of `stored` in `scope` (`<date>#<reference>`), `None` when the case is
    /// not in the scope at all (an open list and a closed case).
    #[must_use]
    pub fn of(scope: Scope, stored: &StoredCase) -> Option<Self> {
        let case = &stored.case;
        let index = case.index();
        let date = match scope {
            Scope::Open => index.next_due.filter(|_| index.open)?,
            Scope::Received { from, to } => Some(index.received_on).filter(|d| (from..=to).contains(d))?,
        };
        Some(Self(format!("{date}#{}", case.reference())))
    }

    /// The position as text (`<date>#<reference>`); it sorts like the scope's order.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The date and reference parts.
    #[must_use]
    pub fn parts(&self) -> (&str, &str) {
        self.0.split_once('#').unwrap_or((self.0.as_str(), ""))
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A cursor that is not `<date>#<reference>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a cursor from an earlier page (<date>#<reference>)")]
pub struct BadCursor(String);

impl FromStr for Cursor {
    type Err = BadCursor;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || BadCursor(text.to_owned());
        let (date, reference) = text.split_once('#').ok_or_else(bad)?;
        date.parse::<NaiveDate>().map_err(|_| bad())?;
        reference.parse::<CaseRef>().map_err(|_| bad())?;
        Ok(Self(text.to_owned()))
    }
}

/// What to list. Filters combine with AND; text filters ignore case and surrounding space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseQuery {
    pub scope: Scope,
    /// Only cases whose next due date is on or before this date (due soon: a date ahead;
    /// overdue: the day before today). Closed cases have no due date and never match.
    pub due_by: Option<NaiveDate>,
    pub handler: Option<String>,
    /// The team of the latest assignment (R42).
    pub team: Option<String>,
    pub stage: Option<Stage>,
    /// The service area the complaint sits with: the latest assignment's, else the one it came
    /// with ([`service_area_of`]).
    pub service_area: Option<String>,
    pub channel: Option<Channel>,
    /// The category recorded by a classification (R44).
    pub category: Option<String>,
    pub status: Option<StatusFilter>,
    /// Part of the reference, e.g. `00042` or `CMP-2026-000`.
    pub text: Option<String>,
    /// At most this many cases (1..=[`MAX_PAGE`]).
    pub limit: usize,
    /// Start after this position (the previous page's `next`).
    pub after: Option<Cursor>,
}

impl Default for CaseQuery {
    fn default() -> Self {
        Self {
            scope: Scope::Open,
            due_by: None,
            handler: None,
            team: None,
            stage: None,
            service_area: None,
            channel: None,
            category: None,
            status: None,
            text: None,
            limit: DEFAULT_PAGE,
            after: None,
        }
    }
}

/// Text compared the way filters compare it: without surrounding spaces, ASCII letters in lower
/// case (exactly what SQLite's `trim` and `lower` do, so an index and this check agree).
#[must_use]
pub fn fold(text: &str) -> String {
    text.trim_matches(' ').to_ascii_lowercase()
}

/// The service area a case sits with now: the latest assignment's (R42), else the one the
/// complaint came with.
#[must_use]
pub fn service_area_of(case: &Case) -> &str {
    case.records()
        .assignment
        .as_ref()
        .and_then(|assignment| assignment.service_area.as_deref())
        .unwrap_or(&case.complaint().service_area)
}

fn same(filter: Option<&String>, value: Option<&str>) -> bool {
    filter.is_none_or(|wanted| value.is_some_and(|value| fold(value) == fold(wanted)))
}

impl CaseQuery {
    /// True when `stored` is in the scope and passes every filter.
    #[must_use]
    pub fn matches(&self, stored: &StoredCase) -> bool {
        let case: &Case = &stored.case;
        let index = case.index();
        let complaint = case.complaint();
        let team = case.records().assignment.as_ref().and_then(|a| a.team.as_deref());
        let classification = case.records().classification.as_ref();
        Cursor::of(self.scope, stored).is_some()
            && self.due_by.is_none_or(|by| index.open && index.next_due.is_some_and(|due| due <= by))
            && same(self.handler.as_ref(), Some(case.handler()))
            && same(self.team.as_ref(), team)
            && self.stage.is_none_or(|stage| case.stage() == stage)
            && same(self.service_area.as_ref(), Some(service_area_of(case)))
            && self.channel.is_none_or(|channel| complaint.channel == channel)
            && same(self.category.as_ref(), classification.map(|c| c.category.as_str()))
            && self.status.is_none_or(|status| StatusFilter::of(case.status()) == status)
            && self
                .text
                .as_ref()
                .is_none_or(|text| case.reference().to_string().to_ascii_lowercase().contains(&fold(text)))
    }

    /// The page size to use: `limit` within 1..=[`MAX_PAGE`].
    #[must_use]
    pub fn page_size(&self) -> usize {
        self.limit.clamp(1, MAX_PAGE)
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct CasePage {
    pub cases: Vec<StoredCase>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Cursor>,
}

/// How many candidates a store is asked for at a time when it cannot apply every filter itself.
const BATCH: usize = 200;

/// Listing and searching cases. Every adapter passes the queries contract suite.
#[async_trait]
pub trait CaseQueries: CaseStore {
    /// Up to `limit` cases of `query.scope`, in its order, strictly after `after` (a
    /// [`Cursor`]'s text). A store may leave out cases that fail `query`'s filters (using its
    /// indexes) but need not: [`CaseQueries::list`] checks every filter again. Fewer than
    /// `limit` means the scope has no more.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn candidates(
        &self,
        query: &CaseQuery,
        after: Option<&Cursor>,
        limit: usize,
    ) -> Result<Vec<StoredCase>, StoreError>;

    /// One page of the cases matching `query`, in the scope's order.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn list(&self, query: &CaseQuery) -> Result<CasePage, StoreError> {
        let size = query.page_size();
        // A whole reference is one read, whatever the scope's size.
        if let Some(reference) = query.text.as_deref().and_then(|t| t.trim().parse::<CaseRef>().ok()) {
            let found = match self.get(&reference).await {
                Ok(stored) => Some(stored),
                Err(StoreError::NotFound) => None,
                Err(err) => return Err(err),
            };
            let after = query.after.as_ref();
            let cases: Vec<StoredCase> = found
                .into_iter()
                .filter(|s| query.matches(s))
                .filter(|s| after.is_none_or(|after| Cursor::of(query.scope, s).is_some_and(|at| &at > after)))
                .collect();
            return Ok(CasePage { cases, next: None });
        }
        let mut kept = Vec::new();
        let mut after = query.after.clone();
        // One more than a page first (enough when the store applies every filter), then larger
        // batches while the filters leave too few.
        let mut want = size + 1;
        loop {
            let batch = self.candidates(query, after.as_ref(), want).await?;
            let exhausted = batch.len() < want;
            want = BATCH.max(size + 1);
            for stored in batch {
                let Some(at) = Cursor::of(query.scope, &stored) else { continue };
                after = Some(at);
                if query.matches(&stored) {
                    kept.push(stored);
                }
            }
            if kept.len() > size || exhausted {
                break;
            }
        }
        let next = if kept.len() > size {
            kept.truncate(size);
            kept.last().and_then(|last| Cursor::of(query.scope, last))
        } else {
            None
        };
        Ok(CasePage { cases: kept, next })
    }
}

/// Candidates from an in-memory list of cases: those in scope, in order, after `after`. For the
/// memory double and for tests.
#[must_use]
pub fn candidates_from(
    cases: impl IntoIterator<Item = StoredCase>,
    query: &CaseQuery,
    after: Option<&Cursor>,
    limit: usize,
) -> Vec<StoredCase> {
    let mut positioned: Vec<(Cursor, StoredCase)> = cases
        .into_iter()
        .filter_map(|stored| Cursor::of(query.scope, &stored).map(|at| (at, stored)))
        .filter(|(at, _)| after.is_none_or(|after| at > after))
        .collect();
    positioned.sort_by(|a, b| a.0.cmp(&b.0));
    positioned.into_iter().take(limit).map(|(_, stored)| stored).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_filter_reads_back_from_its_name() {
        for status in StatusFilter::ALL {
            assert_eq!(status.as_str().parse::<StatusFilter>(), Ok(status));
        }
        let err = "stage3".parse::<StatusFilter>().expect_err("unknown");
        assert!(err.to_string().contains("stage1-open"), "{err}");
    }

    #[test]
    fn channels_and_stages_parse_from_their_names() {
        assert_eq!(parse_channel("in-person"), Ok(Channel::InPerson));
        assert_eq!(parse_channel(" phone "), Ok(Channel::Phone));
        assert!(parse_channel("fax").is_err());
        assert_eq!(parse_stage("2"), Ok(Stage::Two));
        assert!(parse_stage("3").is_err());
    }

    #[test]
    fn a_cursor_must_be_a_date_and_a_reference() {
        assert!("2026-12-01#CMP-2026-00042".parse::<Cursor>().is_ok());
        assert!("2026-12-01".parse::<Cursor>().is_err());
        assert!("someday#CMP-2026-00042".parse::<Cursor>().is_err());
        assert!("2026-12-01#not a reference".parse::<Cursor>().is_err());
    }
}
