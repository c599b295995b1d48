//! How cases read on the pages: status names and tags, dates, each clock's due date with the
//! working days left or over (counted by the core's calendar, never by a rule of our own), and one
//! row of a case list.

use chrono::{DateTime, Days, NaiveDate, Utc};
use complaints_app::ports::StoredCase;
use complaints_app::queries::{StatusFilter, service_area_of};
use complaints_core::calendar::Calendar;
use complaints_core::case::{Case, Clock as CaseClock, MessagePurpose, Stage, Status, Warning};
use complaints_core::complaint::Channel;
use complaints_core::dates::long_date;
use complaints_core::deadlines::{ClockKind, ClockStatus};
use complaints_core::workdays::local_date_time;
use serde::Serialize;

/// A case is "due soon" when its next due date is within this many working days after today.
pub const DUE_SOON_WORKING_DAYS: u32 = 3;

/// The words for a status.
#[must_use]
pub fn status_words(status: StatusFilter) -> &'static str {
    match status {
        StatusFilter::Stage1Open => "Stage 1 open",
        StatusFilter::Stage1Extended => "Stage 1 extended",
        StatusFilter::Stage1Closed => "Stage 1 responded",
        StatusFilter::Stage2AwaitingAcknowledgement => "Stage 2 awaiting acknowledgement",
        StatusFilter::Stage2Acknowledged => "Stage 2 acknowledged",
        StatusFilter::Stage2Extended => "Stage 2 extended",
        StatusFilter::Stage2Closed => "Final response given",
        StatusFilter::Withdrawn => "Withdrawn",
        StatusFilter::NotAComplaint => "Not a complaint",
    }
}

/// The tag tone of a status: open, closed.
#[must_use]
pub fn status_tone(status: Status) -> &'static str {
    match status {
        Status::Stage1Open
        | Status::Stage1Extended
        | Status::Stage2AwaitingAcknowledgement
        | Status::Stage2Acknowledged
        | Status::Stage2Extended => "open",
        Status::Stage1Closed | Status::Stage2Closed | Status::Withdrawn { .. } | Status::NotAComplaint => "closed",
    }
}

#[must_use]
pub fn stage_words(stage: Stage) -> &'static str {
    match stage {
        Stage::One => "Stage 1",
        Stage::Two => "Stage 2",
    }
}

/// The words for a channel.
#[must_use]
pub fn channel_words(channel: Channel) -> &'static str {
    match channel {
        Channel::WebForm => "Web form",
        Channel::Email => "Email",
        Channel::Messenger => "Messenger",
        Channel::Instagram => "Instagram",
        Channel::WhatsApp => "WhatsApp",
        Channel::X => "X",
        Channel::Phone => "Phone",
        Channel::InPerson => "In person",
        Channel::Letter => "Letter",
    }
}

/// The words for a letter's purpose.
#[must_use]
pub fn purpose_words(purpose: MessagePurpose) -> String {
    #[allow(clippy::wildcard_enum_match_arm)]
    let words = match purpose {
        MessagePurpose::Acknowledgement => "Acknowledgement",
        MessagePurpose::Stage1Response => "Stage 1 response",
        MessagePurpose::Extension => "Extension",
        MessagePurpose::Stage2Acknowledgement => "Stage 2 acknowledgement",
        MessagePurpose::PointsAmended => "Points of complaint amended",
        MessagePurpose::ProgressUpdate => "Progress update",
        MessagePurpose::FinalResponse => "Final response",
        MessagePurpose::WithdrawalConfirmation => "Withdrawal confirmed",
        MessagePurpose::NotAComplaint => "Not a complaint",
        MessagePurpose::Reopened => "Reopened",
        MessagePurpose::ContactRestriction => "Contact restriction",
        MessagePurpose::StaffNotice => "Notice to staff involved",
        MessagePurpose::StaffClosureUpdate => "Update to staff involved",
        MessagePurpose::FinalResponseStands => "The final response stands",
        MessagePurpose::DeadlineDigest => "Deadline digest",
        // Purposes added later read as their short name.
        _ => return super::page::words(purpose.as_str()),
    };
    words.to_owned()
}

/// The words for a warning that did not block a change.
#[must_use]
pub fn warning_words(warning: &Warning) -> String {
    #[allow(clippy::wildcard_enum_match_arm)]
    match warning {
        Warning::ComplaintMayBeLate { time_limit } => format!(
            "R15: this complaint may be late (the time limit was {}); a manager may accept it with a reason.",
            long_date(*time_limit)
        ),
        Warning::EscalationAfterTimeLimit { time_limit, requested_on } => format!(
            "R16: stage 2 was asked for on {}, after the time limit of {}; it is accepted anyway.",
            long_date(*requested_on),
            long_date(*time_limit)
        ),
        #[allow(unreachable_patterns)]
        _ => "A warning was recorded on the timeline.".to_owned(),
    }
}

/// The words for a clock.
#[must_use]
pub fn clock_words(kind: ClockKind) -> &'static str {
    match kind {
        ClockKind::Stage1Response => "Stage 1 response",
        ClockKind::Stage2Acknowledgement => "Stage 2 acknowledgement",
        ClockKind::Stage2Response => "Stage 2 response",
        ClockKind::ProgressUpdate => "Progress update",
        ClockKind::ReopenedResponse => "Response after reopening",
    }
}

/// A moment as people in Scotland read it: `3 February 2026, 10:05`.
#[must_use]
pub fn moment(at: DateTime<Utc>) -> String {
    let local = local_date_time(at);
    format!("{}, {}", long_date(local.date()), local.format("%H:%M"))
}

/// Where a due date stands today, in words and as a tag tone.
#[derive(Debug, Clone, Serialize)]
pub struct Due {
    pub date: String,
    pub iso: String,
    /// "Due today", "3 working days left", "2 working days over".
    pub words: String,
    /// `overdue`, `due` (today or soon) or empty.
    pub tone: &'static str,
}

/// `due` as seen on `today`: working days left (after today, up to and including the due date)
/// or over (after the due date, up to and including today), counted on `calendar`.
#[must_use]
pub fn due(calendar: &Calendar, due: NaiveDate, today: NaiveDate) -> Due {
    let next = |date: NaiveDate| date.checked_add_days(Days::new(1)).unwrap_or(date);
    let (words, tone) = if due == today {
        ("Due today".to_owned(), "due")
    } else if due > today {
        let left = calendar.working_days_inclusive(next(today), due);
        let tone = if left <= DUE_SOON_WORKING_DAYS { "due" } else { "" };
        (format!("{left} working day{} left", plural(left)), tone)
    } else {
        let over = calendar.working_days_inclusive(next(due), today);
        // Seen on a non-working day just after the due date no working day has passed yet.
        let words = if over == 0 {
            "Overdue: the due date has passed".to_owned()
        } else {
            format!("Overdue: {over} working day{} over", plural(over))
        };
        (words, "overdue")
    };
    Due { date: long_date(due), iso: due.to_string(), words, tone }
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// One clock on the case page.
#[derive(Debug, Clone, Serialize)]
pub struct ClockRow {
    pub name: &'static str,
    pub running: bool,
    pub due: Due,
    /// "Running", "Met on …", "Missed (done on …)", "Stopped on …".
    pub state: String,
    pub extended: bool,
}

#[must_use]
pub fn clock_row(calendar: &Calendar, clock: &CaseClock, today: NaiveDate) -> ClockRow {
    let state = match clock.status() {
        ClockStatus::Running => "Running".to_owned(),
        ClockStatus::Met { on } => format!("Met on {}", long_date(on)),
        ClockStatus::Missed { on } => format!("Missed: done on {}", long_date(on)),
        ClockStatus::Stopped { on } => format!("Stopped on {}", long_date(on)),
    };
    let mut due = due(calendar, clock.due, today);
    if !clock.is_running() {
        due.words = String::new();
        due.tone = "";
    }
    ClockRow { name: clock_words(clock.kind), running: clock.is_running(), due, state, extended: clock.is_extended() }
}

/// One case in a list.
#[derive(Debug, Clone, Serialize)]
pub struct CaseRow {
    pub reference: String,
    pub href: String,
    pub status: &'static str,
    pub tone: &'static str,
    pub stage: &'static str,
    pub handler: String,
    pub service_area: String,
    pub channel: &'static str,
    pub received: String,
    pub due: Option<Due>,
}

#[must_use]
pub fn case_row(calendar: &Calendar, stored: &StoredCase, today: NaiveDate) -> CaseRow {
    let case: &Case = &stored.case;
    let index = case.index();
    CaseRow {
        reference: case.reference().to_string(),
        href: super::case_path(case.reference()),
        status: status_words(StatusFilter::of(case.status())),
        tone: status_tone(case.status()),
        stage: stage_words(case.stage()),
        handler: case.handler().to_owned(),
        service_area: service_area_of(case).to_owned(),
        channel: channel_words(case.complaint().channel),
        received: long_date(index.received_on),
        due: index.next_due.filter(|_| index.open).map(|date| due(calendar, date, today)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    #[test]
    fn working_days_left_and_over_skip_weekends_and_holidays() {
        let calendar = Calendar::scotland();
        // Thursday 24 December 2026; Christmas and Boxing Day substitute (Monday 28) are holidays.
        let left = due(&calendar, date(2026, 12, 30), date(2026, 12, 24));
        assert_eq!(left.words, "2 working days left", "29 and 30 December");
        assert_eq!(left.tone, "due");
        let over = due(&calendar, date(2026, 12, 23), date(2026, 12, 29));
        assert_eq!(over.words, "Overdue: 2 working days over", "24 and 29 December");
        assert_eq!(over.tone, "overdue");
        assert_eq!(due(&calendar, date(2026, 12, 1), date(2026, 12, 1)).words, "Due today");
        // Due Thursday 31 December, seen on Monday 4 January 2027 (the 2 January substitute
        // holiday): past due, but no working day over yet.
        let holiday = due(&calendar, date(2026, 12, 31), date(2027, 1, 4));
        assert_eq!(holiday.words, "Overdue: the due date has passed");
        assert_eq!(holiday.tone, "overdue");
        let far = due(&calendar, date(2027, 1, 29), date(2026, 12, 1));
        assert_eq!(far.tone, "");
    }
}
