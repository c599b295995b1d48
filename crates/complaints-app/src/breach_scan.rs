//! The breach scan: tells staff, in one digest per recipient per run, which complaints are about to
//! miss or have missed an MCHP deadline (R19–R29), each alert at most once per (case, clock,
//! level, deadline version). On a working day it (1) recomputes the open cases once per calendar
//! version (R13) — and reads every open case once whenever the calendar or the levels change —,
//! (2) otherwise reads only the open cases whose alert index date is due (never the closed ones,
//! nor an overdue case whose every level has fired), (3) asks the core which alert is current for
//! each clock, (4) writes markers, timeline entries and the lines of each recipient's digest draft
//! in batches, each one transaction, (5) dates each case read again in the alert index, and (6)
//! turns each recipient's draft into one pending digest (a deterministic Message-ID, written in one
//! transaction with the draft's removal) through the durable outbound path. Drafts a run left
//! behind when it stopped are sent by the next run. Docs: docs/breach-scan.md.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
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
use complaints_mail::digests::{DeadlineRow, deadline_digest_html};
use complaints_mail::message::{Mailbox, OutboundEmail};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tracing::{info, warn};

use crate::alert_store::{
    AlertBatch, AlertCommit, AlertEntry, AlertStore, DigestDraft, DigestSent, DraftKey, DraftLines,
    MAX_ALERTS_PER_BATCH, MAX_BATCH_ACTIONS,
};
use crate::outbound::NewMessage;
use crate::ports::{CaseStore, StoreError, StoredCase};
use crate::staff_directory::StaffDirectory;

/// How often one batch is composed again after an overlapping run placed some of its markers.
const MAX_BATCH_ATTEMPTS: usize = 5;

/// The most lines one digest carries before the run starts another digest for the same recipient:
/// keeps a draft far below DynamoDB's 400 KB item limit (a line is about 300 bytes) and a digest
/// readable. Only a run with more alerts than this for one recipient (the first run after a
/// calendar change, on a large backlog) sends that recipient more than one digest.
pub const MAX_LINES_PER_DIGEST: usize = 500;

/// How often the drafts are read again when one gained lines while being sent.
const MAX_DRAFT_PASSES: usize = 3;

/// A draft left by another run is sent once it has had no lines for this long: longer than any
/// run lasts (a Lambda invocation stops at 15 minutes), so a draft still being written by an
/// overlapping run is never taken from it.
const DRAFT_LEASE_MINUTES: i64 = 15;

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
    /// Some batches or digests could not be written; the alerts they carried are left for the
    /// next run (unwritten batches), or their drafts are sent by it (unsent digests).
    #[error("{failed} of {batches} alert batches and {digests_failed} digests could not be written")]
    Incomplete { failed: usize, batches: usize, digests_failed: usize, report: Box<ScanReport> },
}

/// One digest as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DigestSummary {
    pub to: String,
    pub message_id: String,
    pub subject: String,
    pub lines: Vec<String>,
    /// True for the draft of an earlier run that stopped before sending it.
    pub recovered: bool,
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
    /// True when the calendar or the levels changed, so every open case was read and dated again.
    pub full_pass: bool,
    /// Cases read (from the alert index, or every open case on a full pass).
    pub cases_read: usize,
    /// Alerts written this run (each once).
    pub alerts: Vec<Alert>,
    /// Alerts found already sent (by an earlier or overlapping run).
    pub already_sent: usize,
    pub digests: Vec<DigestSummary>,
    pub batches: usize,
    pub failed_batches: usize,
    /// Digests that could not be written (their drafts wait for the next run).
    pub failed_digests: usize,
}

/// The breach scan use case.
#[derive(Clone)]
pub struct BreachScan {
    pub cases: Arc<dyn CaseStore>,
    pub alerts: Arc<dyn AlertStore>,
    pub config: Arc<OrgConfig>,
    pub calendar: Calendar,
    /// Handlers' addresses (the users file, or the staff directory on AWS); `[alerts] handlers`
    /// answers for handlers it does not know.
    pub directory: Option<Arc<dyn StaffDirectory>>,
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
        Self { cases, alerts, config, calendar, directory: None }
    }

    /// The same scan, finding handlers' addresses in `directory` first.
    #[must_use]
    pub fn with_directory(mut self, directory: Arc<dyn StaffDirectory>) -> Self {
        self.directory = Some(directory);
        self
    }

    fn settings(&self) -> &AlertSettings {
        &self.config.alerts
    }

    /// Runs the scan as at `at` (the scheduler's scheduled time, or `--at`).
    ///
    /// # Errors
    /// [`ScanError::Read`] when the due cases cannot be read; [`ScanError::Incomplete`] when some
    /// batches or digests failed (what was written stays written; the rest waits for the next run).
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
        // Overlapping runs (two deliveries of one schedule, or `complaints scan` beside `serve`)
        // each get their own drafts.
        let run = format!("{}~{}", at.to_rfc3339_opts(SecondsFormat::Secs, true), uuid::Uuid::new_v4().simple());

        let schedule = alerts::schedule_version(self.settings(), &self.calendar);
        let pass = self.apply_schedule(&schedule, at).await;
        report.recomputed = pass.as_ref().map_or(0, |p| p.recomputed);
        let read = match &pass {
            Some(pass) => pass.open.clone(),
            None => {
                let horizon = alerts::scan_horizon(self.settings(), &self.calendar, today);
                self.alerts.alert_due_by(horizon).await.map_err(ScanError::Read)?
            }
        };
        report.full_pass = pass.is_some();
        report.cases_read = read.len();
        let mut current: Vec<Alert> = read
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

        let mut unsettled: BTreeSet<String> = BTreeSet::new();
        let mut lines_so_far: BTreeMap<String, usize> = BTreeMap::new();
        for batch in self.batches(current) {
            report.batches += 1;
            let references: Vec<String> = batch.iter().map(|a| a.reference.clone()).collect();
            if let Err(error) = self.write_batch(batch, &run, at, &mut lines_so_far, &mut report).await {
                report.failed_batches += 1;
                unsettled.extend(references);
                warn!(error = %crate::error_chain(&error), "alert batch not written; left for the next run");
            }
        }

        // Each case whose alerts are all written is dated again: the next run reads it only when
        // a new level is current. A case whose batch failed keeps its date and is read again.
        let mut dating_failed = 0usize;
        for stored in &read {
            if unsettled.contains(&stored.case.reference().to_string()) {
                continue;
            }
            let date = alerts::alert_index_date(&stored.case, self.settings(), &self.calendar, today);
            if let Err(error) = self.alerts.set_alert_date(stored.case.reference(), stored.version, date).await {
                dating_failed += 1;
                warn!(error = %crate::error_chain(&error), "could not date a case in the alert index; read again next run");
            }
        }

        self.send_drafts(&run, at, today, &mut report).await;

        if let Some(pass) = &pass
            && pass.complete
            && report.failed_batches == 0
            && dating_failed == 0
            && let Err(error) = self.alerts.mark_calendar_applied(&schedule).await
        {
            warn!(error = %crate::error_chain(&error), "could not record the applied calendar and levels");
        }
        info!(
            %today,
            full_pass = report.full_pass,
            cases_read = report.cases_read,
            alerts = report.alerts.len(),
            already_sent = report.already_sent,
            digests = report.digests.len(),
            recomputed = report.recomputed,
            failed_batches = report.failed_batches,
            failed_digests = report.failed_digests,
            "breach scan done"
        );
        if report.failed_batches > 0 || report.failed_digests > 0 {
            return Err(ScanError::Incomplete {
                failed: report.failed_batches,
                batches: report.batches,
                digests_failed: report.failed_digests,
                report: Box::new(report),
            });
        }
        Ok(report)
    }

    /// Once per calendar version and set of levels: recomputes every open case computed with
    /// another calendar (R13, recorded on its timeline) and gives back every open case, to be read
    /// and dated again in the alert index. `None` when this version was applied already or the
    /// open cases cannot be read (the run then reads the index; the next run tries again).
    async fn apply_schedule(&self, schedule: &str, at: DateTime<Utc>) -> Option<FullPass> {
        match self.alerts.calendar_applied(schedule).await {
            Ok(true) => return None,
            Ok(false) => {}
            Err(error) => {
                warn!(error = %crate::error_chain(&error), "could not read the applied calendar version");
                return None;
            }
        }
        let open = match self.cases.open_due_by(end_of_time()).await {
            Ok(open) => open,
            Err(error) => {
                warn!(error = %crate::error_chain(&error), "could not read the open cases to recompute");
                return None;
            }
        };
        let rules = Rules { calendar: &self.calendar, policy: &self.config.procedure };
        let mut recomputed = 0;
        let mut failed = 0;
        let mut after = Vec::with_capacity(open.len());
        for stored in open {
            let mut current = stored;
            // Three attempts; a case still conflicting after them counts as failed, so the
            // calendar version is not marked applied and the next run tries it again (R13).
            let mut attempts_left = 3;
            // True once the case holds the new calendar's dates (recomputed here, by another
            // writer meanwhile, or never needing it).
            let mut settled = false;
            loop {
                let Some((next, event)) = current.case.recompute(rules, at) else {
                    settled = true;
                    break;
                };
                if attempts_left == 0 {
                    break;
                }
                attempts_left -= 1;
                match self.cases.update(&next, current.version, vec![event]).await {
                    Ok(version) => {
                        recomputed += 1;
                        current = StoredCase { case: next, version };
                        settled = true;
                        break;
                    }
                    Err(StoreError::VersionConflict { .. }) => match self.cases.get(current.case.reference()).await {
                        Ok(reloaded) => current = reloaded,
                        Err(_) => break,
                    },
                    Err(error) => {
                        warn!(error = %crate::error_chain(&error), "could not recompute a case");
                        break;
                    }
                }
            }
            if settled {
                after.push(current);
            } else {
                // Its clocks are those of the old calendar: alerting them now would send dates
                // the next run replaces (a second alert for one deadline). It is neither alerted
                // nor dated this run; the next run's pass recomputes it and alerts it then.
                failed += 1;
            }
        }
        if failed == 0 {
            info!(schedule, recomputed, "open cases recomputed with the calendar (R13) and read for the alert index");
        } else {
            warn!(schedule, failed, "some open cases not recomputed; next run tries again");
        }
        Some(FullPass { open: after, recomputed, complete: failed == 0 })
    }

    /// The recipients of one alert: the team mailbox always, the handler for their own cases, the
    /// complaints manager when overdue.
    fn recipients(&self, alert: &Alert) -> BTreeSet<String> {
        let settings = self.settings();
        let mut to = BTreeSet::new();
        to.insert(self.team_mailbox());
        if let Some(address) = self.handler_address(&alert.handler) {
            to.insert(address);
        }
        if alert.level == AlertLevel::Overdue
            && let Some(manager) = &settings.complaints_manager
        {
            to.insert(manager.clone());
        }
        to
    }

    /// The handler's address: the staff directory (users file / SSM), else `[alerts] handlers`.
    fn handler_address(&self, handler: &str) -> Option<String> {
        self.directory
            .as_ref()
            .and_then(|directory| directory.address_of(handler))
            .map(|address| address.as_str().to_owned())
            .or_else(|| self.settings().handlers.get(handler).cloned())
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
        run: &str,
        at: DateTime<Utc>,
        lines_so_far: &mut BTreeMap<String, usize>,
        report: &mut ScanReport,
    ) -> Result<(), StoreError> {
        for _ in 0..MAX_BATCH_ATTEMPTS {
            if batch.is_empty() {
                return Ok(());
            }
            let store_batch = self.compose(&batch, run, at, lines_so_far)?;
            let added: Vec<(String, usize)> =
                store_batch.drafts.iter().map(|d| (d.key.recipient.clone(), d.lines.len())).collect();
            match self.alerts.commit_alerts(store_batch).await? {
                AlertCommit::Written => {
                    for (recipient, count) in added {
                        *lines_so_far.entry(recipient).or_default() += count;
                    }
                    report.alerts.extend(batch);
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

    /// The sender and the domain of digest Message-IDs.
    fn sender(&self) -> Result<(EmailAddress, String), StoreError> {
        let from = EmailAddress::parse(&self.config.mail.from).map_err(|e| StoreError::Unavailable(e.into()))?;
        let domain = from.as_str().rsplit_once('@').map_or("localhost", |(_, domain)| domain).to_owned();
        Ok((from, domain))
    }

    /// The markers, timeline entries and draft lines of one batch.
    fn compose(
        &self,
        batch: &[Alert],
        run: &str,
        at: DateTime<Utc>,
        lines_so_far: &BTreeMap<String, usize>,
    ) -> Result<AlertBatch, StoreError> {
        let (_, domain) = self.sender()?;
        let mut by_recipient: BTreeMap<String, Vec<&Alert>> = BTreeMap::new();
        for alert in batch {
            for to in self.recipients(alert) {
                by_recipient.entry(to).or_default().push(alert);
            }
        }
        let mut carried: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut drafts = Vec::new();
        for (to, lines) in &by_recipient {
            let part = lines_so_far.get(to).copied().unwrap_or(0) / MAX_LINES_PER_DIGEST;
            let key = DraftKey { run: draft_run(run, part), recipient: to.clone() };
            let message_id = digest_message_id(&key, &domain);
            let mut encoded = Vec::with_capacity(lines.len());
            for alert in lines {
                carried.entry(alert.marker()).or_default().push(message_id.clone());
                encoded.push(serde_json::to_string(alert).map_err(|e| StoreError::Unavailable(e.into()))?);
            }
            drafts.push(DraftLines { key, lines: encoded });
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
        Ok(AlertBatch { at, alerts: entries, drafts })
    }

    /// Sends this run's drafts, one digest per recipient, and any draft an earlier run left when it
    /// stopped (unchanged for [`DRAFT_LEASE_MINUTES`]). A draft that gained lines meanwhile is
    /// read again; one that cannot be sent waits for the next run.
    async fn send_drafts(&self, run: &str, at: DateTime<Utc>, today: NaiveDate, report: &mut ScanReport) {
        let lease = chrono::Duration::minutes(DRAFT_LEASE_MINUTES);
        for _ in 0..MAX_DRAFT_PASSES {
            let drafts = match self.alerts.digest_drafts().await {
                Ok(drafts) => drafts,
                Err(error) => {
                    report.failed_digests += 1;
                    warn!(error = %crate::error_chain(&error), "could not read the digest drafts; the next run sends them");
                    return;
                }
            };
            let ours: Vec<DigestDraft> =
                drafts.into_iter().filter(|d| is_of_run(&d.key.run, run) || d.updated + lease <= at).collect();
            let mut changed = false;
            for draft in &ours {
                match self.send_draft(draft, run, at, today).await {
                    Ok(Some(summary)) => report.digests.push(summary),
                    Ok(None) => changed = true,
                    Err(error) => {
                        report.failed_digests += 1;
                        warn!(error = %crate::error_chain(&error), "digest not written; its draft waits for the next run");
                    }
                }
            }
            if !changed {
                return;
            }
        }
    }

    /// One draft as one pending digest (`None` when it changed meanwhile).
    async fn send_draft(
        &self,
        draft: &DigestDraft,
        run: &str,
        at: DateTime<Utc>,
        today: NaiveDate,
    ) -> Result<Option<DigestSummary>, StoreError> {
        let (from, domain) = self.sender()?;
        let mut alerts: Vec<Alert> = Vec::with_capacity(draft.lines.len());
        for line in &draft.lines {
            alerts.push(serde_json::from_str(line).map_err(|e| StoreError::Unavailable(e.into()))?);
        }
        let address = EmailAddress::parse(&draft.key.recipient).map_err(|e| StoreError::Unavailable(e.into()))?;
        let message_id = digest_message_id(&draft.key, &domain);
        let lines: Vec<&Alert> = alerts.iter().collect();
        let (subject, text_lines, text, html) = self.digest_body(&lines, today)?;
        let email = OutboundEmail {
            message_id: message_id.clone(),
            date: at,
            from: Mailbox { name: Some(self.config.organisation.name.clone()), address: from },
            reply_to: None,
            to: vec![Mailbox { name: None, address }],
            subject: subject.clone(),
            text,
            html,
            auto_submitted: true,
            in_reply_to: None,
            case_ref: None,
        };
        let message = NewMessage {
            message: QueuedMessage::from_email(&email, MessagePurpose::DeadlineDigest),
            recipient_key: None,
        };
        Ok(match self.alerts.send_digest(draft, message).await? {
            DigestSent::Sent => Some(DigestSummary {
                to: draft.key.recipient.clone(),
                message_id,
                subject,
                lines: text_lines,
                recovered: !is_of_run(&draft.key.run, run),
            }),
            DigestSent::Changed => None,
        })
    }

    /// Subject, lines, text and HTML of one digest: reference, stage, clock, due date, working days
    /// left or over, service area, link. No complaint text, no contact details. The HTML is the
    /// message templates' (every value escaped: the service area is what the complainant typed).
    fn digest_body(
        &self,
        alerts: &[&Alert],
        today: NaiveDate,
    ) -> Result<(String, Vec<String>, String, String), StoreError> {
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
        let rows: Vec<DeadlineRow> = ordered
            .iter()
            .map(|alert| DeadlineRow {
                link: case_link(base, &alert.reference),
                reference: alert.reference.clone(),
                stage: stage_name(alert.stage).to_owned(),
                clock: clock_name(alert.clock).to_owned(),
                due: alert.due.to_string(),
                days: days_text(alert.working_days_left),
                service_area: alert.service_area.as_deref().unwrap_or("-").to_owned(),
                level: level_name(alert.level),
            })
            .collect();
        let html = deadline_digest_html(&today.to_string(), &rows).map_err(|e| StoreError::Unavailable(e.into()))?;
        Ok((subject, lines, text, html))
    }
}

/// Every open case read on a full pass, after recomputing.
struct FullPass {
    open: Vec<StoredCase>,
    recomputed: usize,
    /// False when a case could not be recomputed: the version stays unapplied.
    complete: bool,
}

/// The draft run key of the `part`th digest of a run for one recipient (see [`MAX_LINES_PER_DIGEST`]).
fn draft_run(run: &str, part: usize) -> String {
    if part == 0 { run.to_owned() } else { format!("{run}/{part}") }
}

/// True when a draft's run key belongs to `run`.
fn is_of_run(draft_run: &str, run: &str) -> bool {
    draft_run == run || draft_run.strip_prefix(run).is_some_and(|rest| rest.starts_with('/'))
}

/// The Message-ID of a recipient's digest of one run: fixed by the draft, so sending the draft
/// again (after a crash between the write and its report) can never make a second message.
#[must_use]
pub fn digest_message_id(key: &DraftKey, domain: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(key.run.as_bytes());
    hasher.update([0]);
    hasher.update(key.recipient.as_bytes());
    let hash = hex::encode(hasher.finalize());
    format!("deadlines.{}@{domain}", &hash[..32])
}

/// The staff workspace page of a case: `<base>/staff/cases/<REF>`.
#[must_use]
pub fn case_link(base: &str, reference: &str) -> String {
    format!("{}/staff/cases/{reference}", base.trim_end_matches('/'))
}

fn digest_line(alert: &Alert, base: &str) -> String {
    format!(
        "{} | {} | {} | due {} | {} | {} | {} | {}",
        alert.reference,
        stage_name(alert.stage),
        clock_name(alert.clock),
        alert.due,
        days_text(alert.working_days_left),
        alert.service_area.as_deref().unwrap_or("-"),
        level_name(alert.level),
        case_link(base, &alert.reference)
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
