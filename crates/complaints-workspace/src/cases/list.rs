//! `/staff/cases`: the case list. Filters that say nothing about a person (status, stage,
//! channel, handler, due, scope) are GET query parameters, so a filtered list can be bookmarked;
//! a search by reference, name or email is a POST, so the words searched for never land in a URL,
//! a server log or the browser's history (issue 12: no personal data in URLs). A search for a
//! whole reference opens that case; other searches cover the last 12 months unless the filters
//! choose open cases. Paging follows
//! the cursor of `complaints_app::queries` (a date and a reference: nothing personal).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Days, NaiveDate};
use complaints_app::ports::StoreError;
use complaints_app::queries::{CaseQuery, Cursor, Scope, StatusFilter, fold, parse_channel, parse_stage};
use complaints_core::dates::today_in_scotland;
use complaints_core::reference::CaseRef;
use complaints_core::roles::Permission;
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};

use super::display::{CaseRow, DUE_SOON_WORKING_DAYS, case_row, channel_words, status_words};
use super::{PAGES, csrf_ok, csrf_refused, failure_page};
use crate::WorkspaceState;
use crate::layout::{PageFrame, Section};
use crate::session::SignedIn;

/// Cases on one page of the list.
const PAGE_SIZE: usize = 25;
/// The most results a search shows.
const SEARCH_RESULTS: usize = super::search::MAX_RESULTS;

/// The list's filters, as the query string (GET) or the search form (POST) gives them.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Filters {
    pub status: String,
    pub stage: String,
    pub channel: String,
    pub handler: String,
    /// `overdue`, `today` (due by today, overdue included) or `soon`.
    pub due: String,
    /// `open` (default) or `year` (received in the last 12 months, open or closed).
    pub scope: String,
    pub cursor: String,
}

/// The search form: the filters plus the words searched for (a reference, a name or an email).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Search {
    #[serde(flatten)]
    pub filters: Filters,
    pub q: String,
    pub csrf: String,
}

/// What was searched for, and whether more cases match than the index read gave.
#[derive(Debug, Clone, Copy)]
struct SearchResult<'a> {
    words: &'a str,
    cut_short: bool,
}

/// A filter that is not one of its values: the field and what is wrong.
struct BadFilter(&'static str, String);

fn text(value: &str) -> Option<String> {
    Some(value.trim().to_owned()).filter(|v| !v.is_empty())
}

fn query_of(state: &WorkspaceState, filters: &Filters, today: NaiveDate) -> Result<CaseQuery, BadFilter> {
    let status = text(&filters.status)
        .map(|s| s.parse::<StatusFilter>())
        .transpose()
        .map_err(|e| BadFilter("status", e.to_string()))?;
    let stage =
        text(&filters.stage).map(|s| parse_stage(&s)).transpose().map_err(|e| BadFilter("stage", e.to_string()))?;
    let channel = text(&filters.channel)
        .map(|s| parse_channel(&s))
        .transpose()
        .map_err(|e| BadFilter("channel", e.to_string()))?;
    let due_by = match filters.due.trim() {
        "" => None,
        "overdue" => today.checked_sub_days(Days::new(1)),
        "today" => Some(today),
        "soon" => {
            let calendar = &state.staff.calendar;
            Some(calendar.nth_working_day(calendar.next_working_day_after(today), DUE_SOON_WORKING_DAYS))
        }
        _ => return Err(BadFilter("due", "choose overdue, due today or due soon".to_owned())),
    };
    let scope = match filters.scope.trim() {
        "" | "open" => Scope::Open,
        "year" => Scope::Received { from: today.checked_sub_days(Days::new(365)).unwrap_or(today), to: today },
        _ => return Err(BadFilter("scope", "choose open cases or the last 12 months".to_owned())),
    };
    let after = text(&filters.cursor)
        .map(|c| c.parse::<Cursor>())
        .transpose()
        .map_err(|_| BadFilter("cursor", "the page link is out of date: start again from the first page".to_owned()))?;
    Ok(CaseQuery {
        scope,
        due_by,
        handler: text(&filters.handler),
        stage,
        channel,
        status,
        limit: PAGE_SIZE,
        after,
        ..CaseQuery::default()
    })
}

fn options() -> Value {
    let statuses: Vec<[&str; 2]> = StatusFilter::ALL.iter().map(|s| [s.as_str(), status_words(*s)]).collect();
    let channels: Vec<[&str; 2]> = super::actions::CHANNELS.iter().map(|c| [c.as_str(), channel_words(*c)]).collect();
    context! { statuses => statuses, channels => channels }
}

/// The list page answering 400, naming the field `error` is about, with no cases.
fn refuse(
    state: &WorkspaceState,
    signed_in: &SignedIn,
    filters: &Filters,
    searched: Option<SearchResult<'_>>,
    error: (&str, String),
) -> Response {
    render(state, signed_in, StatusCode::BAD_REQUEST, filters, &[], None, searched, Some(error))
}

#[allow(clippy::too_many_arguments)]
fn render(
    state: &WorkspaceState,
    signed_in: &SignedIn,
    status: StatusCode,
    filters: &Filters,
    rows: &[CaseRow],
    next: Option<String>,
    searched: Option<SearchResult<'_>>,
    error: Option<(&str, String)>,
) -> Response {
    let frame = PageFrame::new(state, Some(signed_in), Section::Cases);
    // The filters as a query string, without blank ones.
    let href = |cursor: String| {
        let pairs = serde_urlencoded::to_string(Filters { cursor, ..filters.clone() }).unwrap_or_default();
        let pairs = pairs.split('&').filter(|pair| !pair.ends_with('=')).collect::<Vec<_>>().join("&");
        format!("{}/cases?{pairs}", crate::PREFIX)
    };
    let next_href = next.map(href);
    let first_href = href(String::new());
    PAGES.render(
        status,
        "case_list.html",
        &frame,
        context! {
            filters => crate::layout::ser(filters),
            rows => crate::layout::ser(rows),
            next_href,
            searched => searched.map(|s| s.words),
            cut_short => searched.is_some_and(|s| s.cut_short),
            options => options(),
            errors => error.as_ref().map(|(field, message)| vec![context! { field => *field, message }]),
            has_errors => error.is_some(),
            paged => !filters.cursor.trim().is_empty(),
            first_href,
            search_results => SEARCH_RESULTS,
        },
    )
}

/// `GET /staff/cases`: one page of cases matching the filters.
pub async fn show(
    State(state): State<WorkspaceState>,
    signed_in: SignedIn,
    Query(filters): Query<Filters>,
) -> Response {
    if let Err(error) = state.staff.record_read(&signed_in.user, Permission::ListCases, None, None).await {
        return failure_page(&state, &signed_in, None, &error);
    }
    let today = today_in_scotland(state.staff.clock.now());
    let query = match query_of(&state, &filters, today) {
        Ok(query) => query,
        Err(BadFilter(field, message)) => {
            let filters = Filters { cursor: String::new(), ..filters };
            return refuse(&state, &signed_in, &filters, None, (field, message));
        }
    };
    match state.queries.list(&query).await {
        Ok(page) => {
            let rows: Vec<CaseRow> = page.cases.iter().map(|s| case_row(&state.staff.calendar, s, today)).collect();
            render(&state, &signed_in, StatusCode::OK, &filters, &rows, page.next.map(|c| c.to_string()), None, None)
        }
        Err(error) => failure_page(&state, &signed_in, None, &error.into()),
    }
}

/// `POST /staff/cases`: search the cases in the filters' scope by reference, name or email.
pub async fn search(
    State(state): State<WorkspaceState>,
    signed_in: SignedIn,
    axum::Form(search): axum::Form<Search>,
) -> Response {
    if !csrf_ok(&signed_in, Some(&search.csrf)) {
        return csrf_refused(&state, &signed_in);
    }
    if let Err(error) = state.staff.record_read(&signed_in.user, Permission::ListCases, None, None).await {
        return failure_page(&state, &signed_in, None, &error);
    }
    let today = today_in_scotland(state.staff.clock.now());
    let filters = Filters { cursor: String::new(), ..search.filters };
    let words = fold(&search.q);
    if words.is_empty() {
        let message = "Enter a reference, a name or an email address to search for".to_owned();
        return refuse(
            &state,
            &signed_in,
            &filters,
            Some(SearchResult { words: "", cut_short: false }),
            ("q", message),
        );
    }
    // A whole reference opens its case (a reference is not personal data, so the address may hold it).
    if let Ok(reference) = search.q.trim().to_uppercase().parse::<CaseRef>() {
        match state.staff.store.get(&reference).await {
            Ok(_) => return Redirect::to(&super::case_path(&reference)).into_response(),
            Err(StoreError::NotFound) => {}
            Err(error) => return failure_page(&state, &signed_in, None, &error.into()),
        }
    }
    // A search covers every case, open or closed, of any age, unless the filters choose a scope;
    // the other filters narrow what the index found.
    let mut scoped = filters.clone();
    let any_age = scoped.scope.trim().is_empty();
    if any_age {
        scoped.scope = "year".to_owned();
    }
    let mut query = match query_of(&state, &scoped, today) {
        Ok(query) => query,
        Err(BadFilter(field, message)) => {
            return refuse(&state, &signed_in, &filters, None, (field, message));
        }
    };
    if any_age {
        query.scope = Scope::Received { from: NaiveDate::MIN, to: today };
    }
    let found = match super::search::find(&state, search.q.trim()).await {
        Ok(Some(found)) => found,
        Ok(None) => {
            let message = "Enter a name (at least two letters) or a whole email address or reference".to_owned();
            return refuse(
                &state,
                &signed_in,
                &filters,
                Some(SearchResult { words: search.q.trim(), cut_short: false }),
                ("q", message),
            );
        }
        Err(error) => return failure_page(&state, &signed_in, None, &error.into()),
    };
    let rows: Vec<CaseRow> = found
        .cases
        .iter()
        .filter(|stored| query.matches(stored))
        .take(SEARCH_RESULTS)
        .map(|stored| case_row(&state.staff.calendar, stored, today))
        .collect();
    let searched = SearchResult { words: search.q.trim(), cut_short: found.cut_short };
    render(&state, &signed_in, StatusCode::OK, &filters, &rows, None, Some(searched), None)
}
