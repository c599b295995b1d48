//! `GET /staff/`: what needs doing, for the member of staff signed in and for the whole team: due
//! today, due soon, overdue, stage 2 complaints awaiting acknowledgement (R24) and new today, with
//! counts.
//! One read of the open cases (earliest due first) answers all of it; the read is audited as a list.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use complaints_app::queries::{CaseQuery, MAX_PAGE, StatusFilter, fold};
use complaints_core::dates::today_in_scotland;
use complaints_core::roles::Permission;
use minijinja::context;
use serde::Serialize;

use super::display::{CaseRow, case_row};
use super::{PAGES, failure_page};
use crate::WorkspaceState;
use crate::layout::{PageFrame, Section};
use crate::session::SignedIn;

/// One group of cases on the dashboard.
#[derive(Debug, Default, Serialize)]
struct Group {
    id: &'static str,
    title: &'static str,
    /// A link to the same cases in the case list (non-personal filters only); empty when the list
    /// has no such filter.
    href: String,
    cases: Vec<CaseRow>,
}

/// The dashboard's groups for one set of cases.
#[derive(Debug, Serialize)]
struct Board {
    overdue: Group,
    due_today: Group,
    due_soon: Group,
    awaiting_acknowledgement: Group,
    /// Received today: new complaints to pick up.
    new_today: Group,
    open: usize,
}

impl Board {
    fn new(handler: Option<&str>) -> Self {
        let list = |query: &str| {
            let mut href = format!("{}/cases?{query}", crate::PREFIX);
            if let Some(handler) = handler {
                href.push_str("&handler=");
                href.push_str(&form_urlencoded(handler));
            }
            href
        };
        Self {
            overdue: Group { id: "overdue", title: "Overdue", href: list("due=overdue"), cases: Vec::new() },
            due_today: Group { id: "due-today", title: "Due today", href: list("due=today"), cases: Vec::new() },
            due_soon: Group { id: "due-soon", title: "Due soon", href: list("due=soon"), cases: Vec::new() },
            awaiting_acknowledgement: Group {
                id: "awaiting-acknowledgement",
                title: "Stage 2 awaiting acknowledgement",
                href: list("status=stage2-awaiting-acknowledgement"),
                cases: Vec::new(),
            },
            new_today: Group { id: "new-today", title: "New today", href: String::new(), cases: Vec::new() },
            open: 0,
        }
    }

    fn add(&mut self, row: &CaseRow, awaiting: bool, new: bool) {
        self.open += 1;
        if new {
            self.new_today.cases.push(row.clone());
        }
        if let Some(due) = &row.due {
            match (due.tone, due.words.as_str()) {
                ("overdue", _) => self.overdue.cases.push(row.clone()),
                (_, "Due today") => self.due_today.cases.push(row.clone()),
                ("due", _) => self.due_soon.cases.push(row.clone()),
                _ => {}
            }
        }
        if awaiting {
            self.awaiting_acknowledgement.cases.push(row.clone());
        }
    }
}

/// A handler's id in a query string.
fn form_urlencoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b' ' => "+".to_owned(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// `GET /staff/`.
pub async fn show(State(state): State<WorkspaceState>, signed_in: SignedIn) -> Response {
    if let Err(error) = state.staff.record_read(&signed_in.user, Permission::ListCases, None, None).await {
        return failure_page(&state, &signed_in, None, &error);
    }
    let today = today_in_scotland(state.staff.clock.now());
    let query = CaseQuery { limit: MAX_PAGE, ..CaseQuery::default() };
    let page = match state.queries.list(&query).await {
        Ok(page) => page,
        Err(error) => return failure_page(&state, &signed_in, None, &error.into()),
    };
    let me = &signed_in.user;
    let mut mine = Board::new(Some(&me.id));
    let mut team = Board::new(None);
    for stored in &page.cases {
        let row = case_row(&state.staff.calendar, stored, today);
        let awaiting = StatusFilter::of(stored.case.status()) == StatusFilter::Stage2AwaitingAcknowledgement;
        let new = stored.case.index().received_on == today;
        let handler = fold(stored.case.handler());
        if handler == fold(&me.id) || handler == fold(&me.name) {
            mine.add(&row, awaiting, new);
        }
        team.add(&row, awaiting, new);
    }
    let frame = PageFrame::new(&state, Some(&signed_in), Section::Dashboard);
    PAGES.render(
        StatusCode::OK,
        "dashboard.html",
        &frame,
        context! {
            mine => crate::layout::ser(&mine),
            team => crate::layout::ser(&team),
            truncated => page.next.is_some(),
            max => MAX_PAGE,
            today => complaints_core::dates::long_date(today),
            soon_days => super::display::DUE_SOON_WORKING_DAYS,
        },
    )
}
