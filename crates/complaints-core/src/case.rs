//! The case aggregate and its lifecycle through the two stages (mchp-rules §1, §3–§5).
//!
//! SKELETON: the public signatures marked STABLE are relied on by other crates; the lifecycle
//! (commands, transitions, clocks) is being completed.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, CalendarVersion};
use crate::complaint::NewComplaint;
use crate::policy::{Policy, STAGE1_WORKING_DAYS};
use crate::reference::CaseRef;
use crate::timeline::{Actor, TimelineEvent};
use crate::workdays::{ClockStart, DayOneRule};

/// The calendar and policy every rule is computed with. STABLE.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    pub calendar: &'a Calendar,
    pub policy: &'a Policy,
}

/// A keyed hash of the complainant's normalised contact address, for finding cases by contact
/// without the address in a key (architecture §4). Computed outside the core. STABLE.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ContactKey(pub String);

/// What the stores index a case by. STABLE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseIndex {
    /// Not closed, withdrawn or otherwise finished.
    pub open: bool,
    /// The earliest due date among the case's running clocks (None when nothing is running).
    pub next_due: Option<NaiveDate>,
    /// Effective receipt date.
    pub received_on: NaiveDate,
    /// Dates on which a stage of this case was closed (one per closure), for period exports.
    pub closed_on: Vec<NaiveDate>,
    pub contact_key: Option<ContactKey>,
}

/// Things that happen to a case; each becomes a timeline entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "type")]
pub enum CaseEvent {
    /// The complaint was received and the case opened.
    Received { channel: crate::complaint::Channel, effective_receipt: NaiveDate, stage1_due: NaiveDate },
}

/// A running or finished clock (SKELETON: to be completed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    pub due: NaiveDate,
    pub base_due: NaiveDate,
    pub calendar_version: CalendarVersion,
    pub day_one_rule: DayOneRule,
}

/// A complaint case. STABLE: `open`, `reference`, `assign_number`, `complaint`, `received_at`,
/// `handler`, `index`, `stage1_due` and serde round-tripping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    reference: CaseRef,
    complaint: NewComplaint,
    received_at: DateTime<Utc>,
    receipt: ClockStart,
    handler: String,
    contact_key: Option<ContactKey>,
    stage1: Clock,
}

impl Case {
    /// Opens a case for a new complaint received at `received_at`, handled by `handler` (a person
    /// or team, named in acknowledgements: R42). STABLE.
    #[must_use]
    pub fn open(
        reference: CaseRef,
        complaint: NewComplaint,
        received_at: DateTime<Utc>,
        handler: String,
        contact_key: Option<ContactKey>,
        rules: Rules<'_>,
        actor: Actor,
    ) -> (Self, Vec<TimelineEvent>) {
        let receipt = ClockStart::received_at(rules.calendar, received_at, rules.policy.cutoff);
        let rule = rules.policy.day_one_rule;
        let due = receipt.due_after(rules.calendar, rule, STAGE1_WORKING_DAYS);
        let stage1 = Clock { due, base_due: due, calendar_version: rules.calendar.version().clone(), day_one_rule: rule };
        let event = TimelineEvent {
            at: received_at,
            actor,
            what: CaseEvent::Received { channel: complaint.channel, effective_receipt: receipt.effective, stage1_due: due },
        };
        let case = Self { reference, complaint, received_at, receipt, handler, contact_key, stage1 };
        (case, vec![event])
    }

    /// STABLE.
    #[must_use]
    pub fn reference(&self) -> &CaseRef {
        &self.reference
    }

    /// Gives the case its final counter value; stores call this when they allocate the number. STABLE.
    pub fn assign_number(&mut self, number: u32) {
        self.reference = self.reference.with_number(number);
    }

    /// STABLE.
    #[must_use]
    pub fn complaint(&self) -> &NewComplaint {
        &self.complaint
    }

    /// The raw receipt timestamp (R8). STABLE.
    #[must_use]
    pub fn received_at(&self) -> DateTime<Utc> {
        self.received_at
    }

    /// The effective receipt date (R8). STABLE.
    #[must_use]
    pub fn effective_receipt(&self) -> NaiveDate {
        self.receipt.effective
    }

    /// Who is handling the case (R42). STABLE.
    #[must_use]
    pub fn handler(&self) -> &str {
        &self.handler
    }

    /// The current stage 1 due date (with any extension). STABLE.
    #[must_use]
    pub fn stage1_due(&self) -> NaiveDate {
        self.stage1.due
    }

    /// What stores index this case by. STABLE.
    #[must_use]
    pub fn index(&self) -> CaseIndex {
        CaseIndex {
            open: true,
            next_due: Some(self.stage1.due),
            received_on: self.receipt.effective,
            closed_on: Vec::new(),
            contact_key: self.contact_key.clone(),
        }
    }
}
