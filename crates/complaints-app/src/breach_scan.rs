//! The breach scan: tells staff, in one digest per recipient per run, which complaints are about to
//! miss or have missed an MCHP deadline (R19–R29), each alert at most once per (case, clock,
//! level, deadline version). On a working day it (1) recomputes the open cases once per calendar
//! version (R13), (2) reads the open cases due within the longest alert lead through the due index
//! (never the closed ones), (3) asks the core which alert is current for each clock and (4) writes
//! markers, timeline entries and digests in batches, each one transaction, through the durable
//! outbound path. Delivery follows from the outbound sweep. Docs: docs/breach-scan.md.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use complaints_core::alerts::{self, Alert, AlertLevel, AlertRecord, AlertSettings};
use complaints_core::calendar::Calendar;
use complaints_core::case::{CaseEvent, MessagePurpose, Stage};
use complaints_core::complaint::EmailAddress;
use complaints_core::config::OrgConfig;
use complaints_core::deadlines::ClockKind;
use complaints_core::policy::Rules;
use complaints_core::reference::CaseRef;
use complaints_core::timeline::{Actor, TimelineEvent};
use complaints_core::workdays::local_date_time;
use complaints_mail::QueuedMessage;
use complaints_mail::message::{Mailbox, OutboundEmail};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tracing::{info, warn};

use crate::alert_store::{AlertBatch, AlertCommit, AlertEntry, AlertStore, MAX_ALERTS_PER_BATCH, MAX_BATCH_ACTIONS};
use crate::outbound::NewMessage;
use crate::ports::{CaseStore, StoreError};

/// How often one batch is composed again after an overlapping run placed some of its markers.
const MAX_BATCH_ATTEMPTS: usize = 5;

/// A date after every deadline: reading the due index up to it gives every open case with a running
/// clock (the R13 pass, once per calendar version).
fn end_of_time() -> NaiveDate {
    NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX)
}

/// What a scan can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The due cases could not be read: nothing was sent.
    #[error("could not read the due cases")]
    Read(#[source] StoreError),
    /// Some batches could not be written; the alerts they carried are left for the next run.
    #[error("{failed} of {batches} alert batches could not be written")]
    Incomplete { failed: usize, batches: usize, report: Box<ScanReport> },
}

/// One digest as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DigestSummary {
    pub to: String,
    pub message_id: String,
    pub subject: String,
    pub lines: Vec<String>,
}

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScanReport {
    /// The run's local (Europe/London) date.
    pub date: Option<NaiveDate>,
    /// False on a non-working day of the organisation's calendar: nothing was read or sent.
    pub working_day: bool,
    /// Open cases recomputed with a new calendar version (R13).
    pub recomputed: usize,
    /// Cases read from the due index.
    pub cases_read: usize,
    /// Alerts written this run (each once).
    pub alerts: Vec<Alert>,
    /// Alerts found already sent (by an earlier or overlapping run).
    pub already_sent: usize,
    pub digests: Vec<DigestSummary>,
    pub batches: usize,
    pub failed_batches: usize,
}

/// The breach scan use case.
#[derive(Clone)]
pub struct BreachScan {
    pub cases: Arc<dyn CaseStore>,
    pub alerts: Arc<dyn AlertStore>,
    pub config: Arc<OrgConfig>,
    pub calendar: Calendar,
}

impl std::fmt::Debug for BreachScan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BreachScan").finish_non_exhaustive()
    }
}

impl BreachScan {
    /// A scan over `store` (which is both the case store and the alert store) with `config`.
    #[must_use]
    pub fn new(cases: Arc<dyn CaseStore>, alerts: Arc<dyn AlertStore>, config: Arc<OrgConfig>) -> Self {
        let calendar = config.calendar();
        Self { cases, alerts, config, calendar }
    }

    fn settings(&self) -> &AlertSettings {
        &self.config.alerts
    }

    /// Runs the scan as at `at` (the scheduler's scheduled time, or `--at`).
    ///
    /// # Errors
    /// [`ScanError::Read`] when the due cases cannot be read; [`ScanError::Incomplete`] when some
    /// batches failed (what was written stays written; the rest waits for the next run).
    #[tracing::instrument(skip_all, fields(date = tracing::field::Empty))]
    pub async fn run(&self, at: DateTime<Utc>) -> Result<ScanReport, ScanError> {
        let today = local_date_time(at).date();
        tracing::Span::current().record("date", tracing::field::display(today));
        let mut report = ScanReport { date: Some(today), ..ScanReport::default() };
        if !self.calendar.is_working_day(today) {
            info!(%today, "not a working day of the organisation's calendar: no alerts sent");
            return Ok(report);
        }
        report.working_day = true;
        report.recomputed = self.apply_calendar(at).await;

        let horizon = alerts::scan_horizon(self.settings(), &self.calendar, today);
        let due = self.cases.open_due_by(horizon).await.map_err(ScanError::Read)?;
        report.cases_read = due.len();
        let mut current: Vec<Alert> = due
            .iter()
            .flat_map(|stored| alerts::current_alerts(&stored.case, self.settings(), &self.calendar, today))
            .collect();
        current.sort_by(|a, b| {
            (&a.handler, &a.reference, alerts::stage_key(a.stage), a.clock.as_str()).cmp(&(
                &b.handler,
                &b.reference,
                alerts::stage_key(b.stage),
                b.clock.as_str(),
            ))
        });

        for batch in self.batches(current) {
            report.batches += 1;
            match self.write_batch(batch, at, today, &mut report).await {
                Ok(()) => {}
                Err(error) => {
                    report.failed_batches += 1;
                    warn!(error = %crate::error_chain(&error), "alert batch not written; left for the next run");
                }
            }
        }
        info!(
            %today,
            cases_read = report.cases_read,
            alerts = report.alerts.len(),
            already_sent = report.already_sent,
            digests = report.digests.len(),
            recomputed = report.recomputed,
            failed_batches = report.failed_batches,
            "breach scan done"
        );
        if report.failed_batches > 0 {
            return Err(ScanError::Incomplete {
                failed: report.failed_batches,
                batches: report.batches,
                report: Box::new(report),
            });
        }
        Ok(report)
    }

    /// R13: once per calendar version, recomputes every open case computed with another version
    /// and records it on its timeline. A failure leaves the version unmarked, so the next run tries
    /// again (recomputing is idempotent). Returns how many cases changed.
    async fn apply_calendar(&self, at: DateTime<Utc>) -> usize {
        let version = self.calendar.version().as_str().to_owned();
        match self.alerts.calendar_applied(&version).await {
            Ok(true) => return 0,
            Ok(false) => {}
            Err(error) => {
                warn!(error = %crate::error_chain(&error), "could not read the applied calendar version");
                return 0;
            }
        }
        let open = match self.cases.open_due_by(end_of_time()).await {
            Ok(open) => open,
            Err(error) => {
                warn!(error = %crate::error_chain(&error), "could not read the open cases to recompute");
                return 0;
            }
        };
        let rules = Rules { calendar: &self.calendar, policy: &self.config.procedure };
        let mut changed = 0;
        let mut failed = 0;
        for stored in open {
            let mut current = stored;
            // Three attempts; a case still conflicting after them counts as failed, so the
            // calendar version is not marked applied and the next run tries it again (R13).
            let mut attempts_left = 3;
            while let Some((next, event)) = current.case.recompute(rules, at) {
                if attempts_left == 0 {
                    failed += 1;
                    break;
                }
                attempts_left -= 1;
                match self.cases.update(&next, current.version, vec![event]).await {
                    Ok(_) => {
                        changed += 1;
                        break;
                    }
                    Err(StoreError::VersionConflict { .. }) => match self.cases.get(current.case.reference()).await {
                        Ok(reloaded) => current = reloaded,
                        Err(_) => {
                            failed += 1;
                            break;
                        }
                    },
                    Err(error) => {
                        warn!(error = %crate::error_chain(&error), "could not recompute a case");
                        failed += 1;
                        break;
                    }
                }
            }
        }
        if failed == 0 {
            if let Err(error) = self.alerts.mark_calendar_applied(&version).await {
                warn!(error = %crate::error_chain(&error), "could not record the applied calendar version");
            }
            info!(calendar_version = %version, recomputed = changed, "open cases recomputed with the calendar (R13)");
        } else {
            warn!(calendar_version = %version, failed, "some open cases not recomputed; next run tries again");
        }
        changed
    }

    /// The recipients of one alert: the team mailbox always, the handler for their own cases, the
    /// complaints manager when overdue.
    fn recipients(&self, alert: &Alert) -> BTreeSet<String> {
        let settings = self.settings();
        let mut to = BTreeSet::new();
        to.insert(self.team_mailbox());
        if let Some(address) = settings.handlers.get(&alert.handler) {
            to.insert(address.clone());
        }
        if alert.level == AlertLevel::Overdue
            && let Some(manager) = &settings.complaints_manager
        {
            to.insert(manager.clone());
        }
        to
    }

    /// `alerts.team_mailbox`, else the organisation's contact address, else the sender address.
    fn team_mailbox(&self) -> String {
        self.settings()
            .team_mailbox
            .clone()
            .or_else(|| self.config.organisation.contact_email().map(str::to_owned))
            .unwrap_or_else(|| self.config.mail.from.clone())
    }

    /// Splits the alerts into batches within [`MAX_ALERTS_PER_BATCH`] and [`MAX_BATCH_ACTIONS`]
    /// (alerts come sorted by handler, so a batch names few recipients).
    fn batches(&self, alerts: Vec<Alert>) -> Vec<Vec<Alert>> {
        let mut batches: Vec<Vec<Alert>> = Vec::new();
        let mut current: Vec<Alert> = Vec::new();
        let mut recipients: BTreeSet<String> = BTreeSet::new();
        for alert in alerts {
            let mut with = recipients.clone();
            with.extend(self.recipients(&alert));
            let actions = (current.len() + 1) * 2 + with.len();
            if !current.is_empty() && (current.len() >= MAX_ALERTS_PER_BATCH || actions > MAX_BATCH_ACTIONS) {
                batches.push(std::mem::take(&mut current));
                recipients.clear();
                recipients.extend(self.recipients(&alert));
            } else {
                recipients = with;
            }
            current.push(alert);
        }
        if !current.is_empty() {
            batches.push(current);
        }
        batches
    }

    /// Writes one batch, composing it again without the alerts an overlapping run sent meanwhile.
    async fn write_batch(
        &self,
        mut batch: Vec<Alert>,
        at: DateTime<Utc>,
        today: NaiveDate,
        report: &mut ScanReport,
    ) -> Result<(), StoreError> {
        for _ in 0..MAX_BATCH_ATTEMPTS {
            if batch.is_empty() {
                return Ok(());
            }
            let (store_batch, summaries) = self.compose(&batch, at, today)?;
            match self.alerts.commit_alerts(store_batch).await? {
                AlertCommit::Written => {
                    report.alerts.extend(batch);
                    report.digests.extend(summaries);
                    return Ok(());
                }
                AlertCommit::AlreadyPlaced { markers } => {
                    let placed: BTreeSet<String> = markers.into_iter().collect();
                    let before = batch.len();
                    batch.retain(|alert| !placed.contains(&alert.marker()));
                    report.already_sent += before - batch.len();
                    if batch.len() == before {
                        // The store named no marker of ours: do not loop on it.
                        return Err(StoreError::Unavailable("alert batch refused without a known marker".into()));
                    }
                }
            }
        }
        Err(StoreError::Unavailable("alert batch kept conflicting with other runs".into()))
    }

    /// The markers, timeline entries and digests of one batch.
    fn compose(
        &self,
        batch: &[Alert],
        at: DateTime<Utc>,
        today: NaiveDate,
    ) -> Result<(AlertBatch, Vec<DigestSummary>), StoreError> {
        let mut by_recipient: BTreeMap<String, Vec<&Alert>> = BTreeMap::new();
        for alert in batch {
            for to in self.recipients(alert) {
                by_recipient.entry(to).or_default().push(alert);
            }
        }
        let from = EmailAddress::parse(&self.config.mail.from).map_err(|e| StoreError::Unavailable(e.into()))?;
        let domain = from.as_str().rsplit_once('@').map_or("localhost", |(_, domain)| domain).to_owned();
        let mut carried: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut digests = Vec::new();
        let mut summaries = Vec::new();
        for (to, lines) in &by_recipient {
            let address = EmailAddress::parse(to).map_err(|e| StoreError::Unavailable(e.into()))?;
            let mut hasher = Sha256::new();
            hasher.update(to.as_bytes());
            for alert in lines {
                hasher.update([0]);
                hasher.update(alert.marker().as_bytes());
            }
            let hash = hex::encode(hasher.finalize());
            let message_id = format!("deadlines.{today}.{}@{domain}", &hash[..24]);
            for alert in lines {
                carried.entry(alert.marker()).or_default().push(message_id.clone());
            }
            let (subject, text_lines, text, html) = self.digest_body(lines, today);
            let organisation = Some(self.config.organisation.name.clone());
            let email = OutboundEmail {
                message_id: message_id.clone(),
                date: at,
                from: Mailbox { name: organisation, address: from.clone() },
                reply_to: None,
                to: vec![Mailbox { name: None, address }],
                subject: subject.clone(),
                text,
                html,
                auto_submitted: true,
                in_reply_to: None,
                case_ref: None,
            };
            digests.push(NewMessage {
                message: QueuedMessage::from_email(&email, MessagePurpose::DeadlineDigest),
                recipient_key: None,
            });
            summaries.push(DigestSummary { to: to.clone(), message_id, subject, lines: text_lines });
        }
        let mut entries = Vec::new();
        for alert in batch {
            let reference: CaseRef = alert.reference.parse().map_err(|_| {
                StoreError::Unavailable(std::io::Error::other("stored case has an unreadable reference").into())
            })?;
            let marker = alert.marker();
            let message_ids = carried.get(&marker).cloned().unwrap_or_default();
            entries.push(AlertEntry {
                marker,
                reference,
                event: TimelineEvent {
                    at,
                    actor: Actor::System,
                    what: CaseEvent::DeadlineAlerted { alert: AlertRecord::from(alert), message_ids },
                },
            });
        }
        Ok((AlertBatch { alerts: entries, digests }, summaries))
    }

    /// Subject, lines, text and HTML of one digest: reference, stage, clock, due date, working days
    /// left or over, service area, link. No complaint text, no contact details.
    fn digest_body(&self, alerts: &[&Alert], today: NaiveDate) -> (String, Vec<String>, String, String) {
        let overdue = alerts.iter().filter(|a| a.level == AlertLevel::Overdue).count();
        let due_today = alerts.iter().filter(|a| a.level == AlertLevel::DueToday).count();
        let soon = alerts.len() - overdue - due_today;
        let subject = format!("Complaint deadlines {today}: {overdue} overdue, {due_today} due today, {soon} due soon");
        let base = self.settings().staff_base_url.trim_end_matches('/');
        let mut ordered: Vec<&&Alert> = alerts.iter().collect();
        ordered.sort_by_key(|a| (std::cmp::Reverse(a.level), a.due, a.reference.clone()));
        let lines: Vec<String> = ordered.iter().map(|alert| digest_line(alert, base)).collect();
        let text = format!(
            "Deadlines needing attention on {today} ({} alert{}).\n\n{}\n\nEach alert is sent once; the case timeline records it.\n",
            alerts.len(),
            if alerts.len() == 1 { "" } else { "s" },
            lines.join("\n")
        );
        let rows: String = ordered
            .iter()
            .map(|alert| {
                let link = format!("{base}/staff/cases/{}", alert.reference);
                format!(
                    "<tr><td><a href=\"{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    escape(&link),
                    escape(&alert.reference),
                    stage_name(alert.stage),
                    clock_name(alert.clock),
                    alert.due,
                    escape(&days_text(alert.working_days_left)),
                    escape(alert.service_area.as_deref().unwrap_or("-")),
                    level_name(alert.level),
                )
            })
            .collect();
        let html = format!(
            "<!doctype html><html><body><p>Deadlines needing attention on {today}.</p><table><tr><th>Reference</th><th>Stage</th><th>Clock</th><th>Due</th><th>Working days</th><th>Service area</th><th>Alert</th></tr>{rows}</table></body></html>"
        );
        (subject, lines, text, html)
    }
}

fn digest_line(alert: &Alert, base: &str) -> String {
    format!(
        "{} | {} | {} | due {} | {} | {} | {} | {}/staff/cases/{}",
        alert.reference,
        stage_name(alert.stage),
        clock_name(alert.clock),
        alert.due,
        days_text(alert.working_days_left),
        alert.service_area.as_deref().unwrap_or("-"),
        level_name(alert.level),
        base,
        alert.reference
    )
}

fn stage_name(stage: Stage) -> &'static str {
    match stage {
        Stage::One => "stage 1",
        Stage::Two => "stage 2",
    }
}

fn clock_name(clock: ClockKind) -> &'static str {
    match clock {
        ClockKind::Stage1Response | ClockKind::Stage2Response => "response",
        ClockKind::Stage2Acknowledgement => "acknowledgement",
        ClockKind::ProgressUpdate => "progress update",
        ClockKind::ReopenedResponse => "response (reopened)",
    }
}

fn level_name(level: AlertLevel) -> String {
    match level {
        AlertLevel::DueSoon(_) => "due soon".to_owned(),
        AlertLevel::DueToday => "due today".to_owned(),
        AlertLevel::Overdue => "OVERDUE".to_owned(),
    }
}

fn days_text(left: i64) -> String {
    match left {
        0 => "due today".to_owned(),
        1 => "1 working day left".to_owned(),
        -1 => "1 working day over".to_owned(),
        n if n > 0 => format!("{n} working days left"),
        n => format!("{} working days over", -n),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
