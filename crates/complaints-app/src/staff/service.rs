//! The staff case-actions use case: load → role check → the core's state machine → the letters
//! the move causes → update at the expected version, the timeline entries (with who and when) and
//! the letters (as pending mail) in one store transaction. A concurrent edit is a conflict, never
//! a lost update.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use complaints_core::calendar::Calendar;
use complaints_core::case::{Case, Clock as CaseClock, Rules, Stage, Status, TimelineEvent, Warning, warnings};
use complaints_core::command::Command;
use complaints_core::complaint::{Channel, EmailAddress};
use complaints_core::config::OrgConfig;
use complaints_core::dates::today_in_scotland;
use complaints_core::records::StaffContact;
use complaints_core::reference::CaseRef;
use complaints_core::roles::Permission;
use complaints_core::signposting::{CustomerTold, SpsoSignposting, Stage2Signposting};
use complaints_mail::templates::Templates;
use serde::Serialize;
use tracing::warn;

use super::action::{LogComplaint, StaffAction, StaffPart, Stage2How};
use super::audit::{Access, AuditEntry, AuditLog};
use super::error::ActionError;
use super::letters::{self, Letter, LetterPlan, Letters};
use super::user::StaffUser;
use crate::intake::{IntakeError, IntakeRequest, IntakeService};
use crate::outbound::Delivery;
use crate::ports::{CaseStore, Clock, Mailer, StoreError};

/// How often a change without an expected version is tried again after losing a race.
const RETRIES_WITHOUT_VERSION: usize = 3;

/// Everything the staff actions need, built once per process (or per Lambda cold start).
#[derive(Clone)]
pub struct StaffActions {
    pub store: Arc<dyn CaseStore>,
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<OrgConfig>,
    pub calendar: Arc<Calendar>,
    pub templates: Arc<Templates>,
    /// Secret key for the keyed hash of contact addresses.
    pub contact_key_secret: Arc<[u8]>,
    /// Where every read and change is recorded with its actor (R57).
    pub audit: Arc<dyn AuditLog>,
}

impl std::fmt::Debug for StaffActions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffActions").finish_non_exhaustive()
    }
}

/// A letter queued by an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LetterQueued {
    pub message_id: String,
    pub purpose: complaints_core::case::MessagePurpose,
    /// `email`, or `print`: a printable HTML letter for staff to post (the complainant asked for
    /// letters, or gave no email address).
    pub delivery: LetterDelivery,
    /// `None` for the complainant; the staff reference for an internal notice (R59).
    pub staff_ref: Option<String>,
}

/// How a letter reaches its reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LetterDelivery {
    Email,
    Print,
}

/// What an action did.
#[derive(Debug, Clone, Serialize)]
pub struct ActionOutcome {
    pub reference: CaseRef,
    /// The case's version after the change: the next action's expected version.
    pub version: u64,
    pub status: Status,
    pub case: Case,
    /// The timeline entries the action added (with the actor and the moment).
    pub events: Vec<TimelineEvent>,
    pub letters: Vec<LetterQueued>,
    /// Things to know that did not block the change (R15, R16).
    pub warnings: Vec<Warning>,
    /// True when this request repeated one already done (the same submission key, or the same
    /// idempotency key for a logged complaint): nothing new was done or sent, and the case and
    /// letters are those of the first time.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub repeated: bool,
}

/// A case as staff see it: the record, its clocks and its timeline.
#[derive(Debug, Clone, Serialize)]
pub struct CaseView {
    pub reference: CaseRef,
    pub version: u64,
    pub status: Status,
    pub stage: Stage,
    pub handler: String,
    /// Every clock, running or stopped, stage 1 first.
    pub clocks: Vec<CaseClock>,
    pub case: Case,
    /// Oldest first, internal entries included (staff only).
    pub timeline: Vec<TimelineEvent>,
}

impl StaffActions {
    /// The staff actions over the same store, mail, clock, configuration and templates as intake.
    #[must_use]
    pub fn from_intake(intake: &IntakeService, audit: Arc<dyn AuditLog>) -> Self {
        Self {
            store: Arc::clone(&intake.store),
            mailer: Arc::clone(&intake.mailer),
            clock: Arc::clone(&intake.clock),
            config: Arc::clone(&intake.config),
            calendar: Arc::clone(&intake.calendar),
            templates: Arc::clone(&intake.templates),
            contact_key_secret: Arc::clone(&intake.contact_key_secret),
            audit,
        }
    }

    pub(super) fn intake(&self) -> IntakeService {
        IntakeService {
            store: Arc::clone(&self.store),
            mailer: Arc::clone(&self.mailer),
            clock: Arc::clone(&self.clock),
            config: Arc::clone(&self.config),
            calendar: Arc::clone(&self.calendar),
            templates: Arc::clone(&self.templates),
            contact_key_secret: Arc::clone(&self.contact_key_secret),
        }
    }

    pub(super) fn letters(&self) -> Letters<'_> {
        Letters { config: &self.config, templates: &self.templates }
    }

    /// Checks the role matrix; a refusal is audited too.
    pub(super) async fn allow(
        &self,
        actor: &StaffUser,
        permission: Permission,
        action: &str,
        reference: Option<&CaseRef>,
        at: DateTime<Utc>,
    ) -> Result<(), ActionError> {
        if actor.may(permission) {
            return Ok(());
        }
        let entry = audit_entry(actor, Access::Refused, permission, action, reference, at);
        if let Err(error) = self.audit.record(entry).await {
            warn!(error = %crate::error_chain(&error), "refused attempt not audited");
        }
        Err(ActionError::Forbidden { role: actor.role, needs: permission })
    }

    /// Performs `action` on the case `reference` as `actor`, at `at` (the moment it happened; now
    /// when `None`). With `expected_version`, the change applies only to that version of the case
    /// (else [`ActionError::Conflict`], nothing retried); without, the current version is used and
    /// a lost race is retried a few times. The letters the move causes are queued in the same
    /// transaction and then delivered at once when the mail service allows.
    ///
    /// # Errors
    /// [`ActionError`]: forbidden, not found, conflict, refused by a rule (named), bad input, store.
    pub async fn perform(
        &self,
        actor: &StaffUser,
        reference: &CaseRef,
        expected_version: Option<u64>,
        action: StaffAction,
        at: Option<DateTime<Utc>>,
    ) -> Result<ActionOutcome, ActionError> {
        self.perform_once(actor, reference, expected_version, action, None, at).await
    }

    /// [`Self::perform`] with the form's submission key (`key`, see [`super::submissions`]): the
    /// key is written with the action, and a repeat with the same key by the same member of staff
    /// returns the first outcome with `repeated` set (nothing done twice, no false conflict).
    ///
    /// # Errors
    /// As [`Self::perform`].
    #[tracing::instrument(skip_all, fields(case_ref = %reference, action = action.name()))]
    pub async fn perform_once(
        &self,
        actor: &StaffUser,
        reference: &CaseRef,
        expected_version: Option<u64>,
        action: StaffAction,
        key: Option<&str>,
        at: Option<DateTime<Utc>>,
    ) -> Result<ActionOutcome, ActionError> {
        let at = at.unwrap_or_else(|| self.clock.now());
        let permission = action.permission();
        self.allow(actor, permission, action.name(), Some(reference), at).await?;
        let mut attempts = 0;
        let outcome = loop {
            attempts += 1;
            let stored = self.store.get(reference).await?;
            // A repeat finds the case moved on by its own first attempt: answer with that.
            if let Some(key) = key
                && expected_version.is_none_or(|expected| expected != stored.version)
                && let Some(done) = self.already_done(actor, &stored, key).await?
            {
                return Ok(done);
            }
            if let Some(expected) = expected_version
                && expected != stored.version
            {
                return Err(ActionError::Conflict { current_version: Some(stored.version) });
            }
            let plan = self.plan(actor, &stored.case, action.clone(), at)?;
            let Plan { case, mut events, letters } = plan;
            let (letter_events, messages, queued) = self.letters().queue(&case, letters, at, actor)?;
            events.extend(letter_events);
            if let Some(key) = key {
                events.push(super::submissions::marker(actor, at, action.name(), key, &queued));
            }
            match self.store.update_with_messages(&case, stored.version, events.clone(), messages).await {
                Ok(version) => {
                    break ActionOutcome {
                        reference: reference.clone(),
                        version,
                        status: case.status(),
                        warnings: warnings(&events).into_iter().cloned().collect(),
                        case,
                        events,
                        letters: queued,
                        repeated: false,
                    };
                }
                Err(StoreError::VersionConflict { .. })
                    if expected_version.is_none() && attempts < RETRIES_WITHOUT_VERSION => {}
                Err(StoreError::VersionConflict { .. }) => {
                    let current = self.store.get(reference).await.ok();
                    // Two copies of one submission raced: the other copy did it.
                    if let (Some(key), Some(stored)) = (key, &current)
                        && let Some(done) = self.already_done(actor, stored, key).await?
                    {
                        return Ok(done);
                    }
                    return Err(ActionError::Conflict { current_version: current.map(|stored| stored.version) });
                }
                Err(other) => return Err(other.into()),
            }
        };
        let entry = audit_entry(actor, Access::Change, permission, action.name(), Some(reference), at);
        if let Err(error) = self.audit.record(entry).await {
            // The change is on the timeline with its actor already; the audit line is a copy.
            warn!(error = %crate::error_chain(&error), "change not copied to the audit log");
        }
        self.deliver(&outcome.letters).await;
        Ok(outcome)
    }

    /// Delivers queued letters now when the mail service allows; else the sweep does.
    async fn deliver(&self, letters: &[LetterQueued]) {
        let delivery = Delivery::new(Arc::clone(&self.store), Arc::clone(&self.mailer), Arc::clone(&self.clock));
        for letter in letters {
            if let Err(error) = delivery.deliver(&letter.message_id).await {
                warn!(error = %crate::error_chain(&error), "letter left pending for the next sweep");
            }
        }
    }

    /// Logs a complaint received by phone, in person or by letter, with the note of the
    /// conversation (R3, R44): validated like every channel, opened by `actor`, acknowledged like
    /// any complaint (by email, or not at all when there is no address).
    ///
    /// # Errors
    /// [`ActionError::Forbidden`]; [`ActionError::Invalid`] listing what is wrong with the
    /// complaint; [`ActionError::Store`].
    pub async fn log_complaint(
        &self,
        actor: &StaffUser,
        complaint: LogComplaint,
        at: Option<DateTime<Utc>>,
    ) -> Result<ActionOutcome, ActionError> {
        self.log_complaint_once(actor, complaint, None, at).await
    }

    /// [`Self::log_complaint`] with an idempotency key (the check page's submission key, or the
    /// API's `Idempotency-Key`): intake's idempotency record, as for the citizen form, so a
    /// repeat returns the case the first one opened with `repeated` set, and sends nothing.
    ///
    /// # Errors
    /// As [`Self::log_complaint`].
    pub async fn log_complaint_once(
        &self,
        actor: &StaffUser,
        complaint: LogComplaint,
        key: Option<&str>,
        at: Option<DateTime<Utc>>,
    ) -> Result<ActionOutcome, ActionError> {
        let at = at.unwrap_or_else(|| self.clock.now());
        self.allow(actor, Permission::LogComplaint, "log", None, at).await?;
        // The same checks (lengths included) the workspace's check page runs before it previews
        // the acknowledgement.
        let super::log_preview::PreparedLog { complaint: validated, received_at, postal_address, note, on_paper } =
            self.prepare_log(complaint, at)?;
        let note = Command::NoteIntake { note, postal_address: postal_address.clone() };
        let config = Arc::clone(&self.config);
        let calendar = Arc::clone(&self.calendar);
        let staff = actor.actor();
        let edit: crate::intake::CaseEdit = Box::new(move |case: Case| {
            let rules = Rules { calendar: &calendar, policy: &config.procedure };
            match case.apply(note, received_at, staff, rules) {
                Ok(noted) => noted,
                Err(rejected) => {
                    // Checked above (channel, blank note): only a blank postal address gets here.
                    warn!(rule = rejected.rule_id(), "intake note not recorded");
                    (case, Vec::new())
                }
            }
        });
        let source_key = key.map(|key| super::submissions::log_source_key(actor, key));
        let request = IntakeRequest { complaint: validated, source_key, possible_spam: false };
        // The printed acknowledgement is written with the case, in the same transaction: a crash
        // or a retry can neither lose it nor open a second case.
        let printed_record: Arc<std::sync::Mutex<Vec<LetterQueued>>> = Arc::default();
        let mut extras = crate::intake::IntakeExtras::default();
        if on_paper {
            let (config, templates) = (Arc::clone(&self.config), Arc::clone(&self.templates));
            let (actor, record) = (actor.clone(), Arc::clone(&printed_record));
            extras.mail = Some(crate::ports::CaseMail::new(move |case: &Case| {
                let mut record = record.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                // The composer runs again on each attempt of the store: only the last counts.
                record.clear();
                if !letters::prints(case) {
                    return (Vec::new(), Vec::new());
                }
                let plans = vec![LetterPlan::citizen(Letter::Acknowledgement)];
                match (Letters { config: &config, templates: &templates }).queue(case, plans, received_at, &actor) {
                    Ok((events, messages, queued)) => {
                        *record = queued;
                        (events, messages)
                    }
                    // Only signposting letters are refused; an acknowledgement never is.
                    Err(error) => {
                        warn!(error = %error, "printed acknowledgement not queued");
                        (Vec::new(), Vec::new())
                    }
                }
            }));
        }
        let receipt = self
            .intake()
            .submit_by(request, actor.actor(), received_at, Some(edit), !on_paper, extras)
            .await
            .map_err(|error| match error {
                IntakeError::Store(store) => ActionError::from(store),
                IntakeError::Config(config) => ActionError::Invalid(format!("organisation configuration: {config}")),
            })?;
        let stored = self.store.get(&receipt.reference).await?;
        let printed = std::mem::take(&mut *printed_record.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        // A repeat stored nothing: what the composer wrote for it was never committed.
        let printed = if receipt.duplicate { Vec::new() } else { printed };
        self.deliver(&printed).await;
        let events = self.store.timeline(&receipt.reference).await?;
        // A repeat reports the first submission's letters as they went: printed when the case
        // prints (as `submissions::already_done` does), not as emails.
        let repeat_prints = receipt.duplicate && letters::prints(&stored.case);
        let mut letters: Vec<LetterQueued> = events
            .iter()
            .filter_map(|event| match &event.what {
                complaints_core::case::CaseEvent::MessageQueued { message_id, purpose }
                    if !printed.iter().any(|letter| &letter.message_id == message_id) =>
                {
                    use complaints_core::case::MessagePurpose as P;
                    let internal = matches!(purpose, P::StaffNotice | P::StaffClosureUpdate);
                    Some(LetterQueued {
                        message_id: message_id.clone(),
                        purpose: *purpose,
                        delivery: if repeat_prints && !internal {
                            LetterDelivery::Print
                        } else {
                            LetterDelivery::Email
                        },
                        staff_ref: None,
                    })
                }
                _ => None,
            })
            .collect();
        letters.extend(printed);
        // A repeat logged nothing: the first submission's audit entry stands alone (R57).
        if !receipt.duplicate {
            let entry =
                audit_entry(actor, Access::Change, Permission::LogComplaint, "log", Some(&receipt.reference), at);
            if let Err(error) = self.audit.record(entry).await {
                warn!(error = %crate::error_chain(&error), "change not copied to the audit log");
            }
        }
        Ok(ActionOutcome {
            reference: receipt.reference,
            version: stored.version,
            status: stored.case.status(),
            warnings: warnings(&events).into_iter().cloned().collect(),
            case: stored.case,
            events,
            letters,
            repeated: receipt.duplicate,
        })
    }

    /// The case with its clocks and timeline, for `actor`; the read is recorded in the audit log
    /// first (R57), and refused when it cannot be.
    ///
    /// # Errors
    /// [`ActionError::Forbidden`]; [`ActionError::NotFound`]; [`ActionError::Store`] (including
    /// an audit log that cannot record the read).
    pub async fn view(&self, actor: &StaffUser, reference: &CaseRef) -> Result<CaseView, ActionError> {
        let at = self.clock.now();
        self.allow(actor, Permission::ViewCase, "view", Some(reference), at).await?;
        let stored = self.store.get(reference).await?;
        self.audit.record(audit_entry(actor, Access::Read, Permission::ViewCase, "view", Some(reference), at)).await?;
        let timeline = self.store.timeline(reference).await?;
        let case = stored.case;
        Ok(CaseView {
            reference: reference.clone(),
            version: stored.version,
            status: case.status(),
            stage: case.stage(),
            handler: case.handler().to_owned(),
            clocks: case.clocks().into_iter().cloned().collect(),
            case,
            timeline,
        })
    }

    /// Records a read done elsewhere (a list, a search, a subject-access export) in the audit log,
    /// after checking the role matrix: the one way other read use cases audit.
    ///
    /// # Errors
    /// [`ActionError::Forbidden`]; [`ActionError::Store`] when the read cannot be recorded.
    pub async fn record_read(
        &self,
        actor: &StaffUser,
        permission: Permission,
        reference: Option<&CaseRef>,
        contact: Option<complaints_core::case::ContactKey>,
    ) -> Result<(), ActionError> {
        let at = self.clock.now();
        self.allow(actor, permission, permission.as_str(), reference, at).await?;
        let mut entry = audit_entry(actor, Access::Read, permission, permission.as_str(), reference, at);
        entry.contact = contact;
        self.audit.record(entry).await?;
        Ok(())
    }

    /// The core commands for `action` on `case`, applied in order, and the letters they cause.
    pub(super) fn plan(
        &self,
        actor: &StaffUser,
        case: &Case,
        action: StaffAction,
        at: DateTime<Utc>,
    ) -> Result<Plan, ActionError> {
        // One place for the pages, the API and the CLI: no answer longer than a letter can carry.
        super::text_limits::check(&action)?;
        let today = today_in_scotland(at);
        let letters = self.letters();
        // How the complainant is written to, if at all (R51: never for anonymous complaints).
        let channel = letters.citizen_channel(case);
        let told = |given: Option<Channel>, what: &str| -> Result<CustomerTold, ActionError> {
            given.or(channel).map(|channel| CustomerTold { on: today, channel }).ok_or_else(|| {
                ActionError::Invalid(format!(
                    "{what}: no letter can be sent (no email or postal address): say how the customer was told"
                ))
            })
        };
        let spso = |given: Option<Channel>| {
            given.or(channel).map(|channel| SpsoSignposting {
                given_on: today,
                channel,
                template_version: letters.spso_block_version(),
            })
        };
        let authoriser =
            || actor.authoriser().ok_or(ActionError::Forbidden { role: actor.role, needs: Permission::Extend });
        let mut steps = Steps::new(self, actor, case, at);
        match action {
            StaffAction::Assign { handler, team, service_area } => {
                steps.apply(Command::Assign { handler, team, service_area, assigned_on: today })?;
            }
            StaffAction::Classify { category, lead_service, contributing_services, external_bodies } => {
                steps.apply(Command::Classify { category, lead_service, contributing_services, external_bodies })?;
            }
            StaffAction::Respond { outcome, note, route_given_by, staff_parts } => {
                not_blank(&note, "note")?;
                let signposting = if case.no_contact_possible() {
                    None
                } else {
                    let told = told(route_given_by, "route_given_by")?;
                    Some(Stage2Signposting { given_on: today, channel: told.channel, time_limit_given: true })
                };
                steps.apply(Command::CloseStage1 { responded_on: today, outcome, signposting })?;
                steps.letter(LetterPlan::citizen(Letter::Stage1Response { note }));
                steps.closure_updates(&staff_parts, today)?;
            }
            StaffAction::Extend { reason, new_due, stage } => {
                // Told by the letter; with no letter possible (anonymous, or no address), the way
                // the person contacted us (a phone-only complainant is phoned).
                let customer_told = CustomerTold { on: today, channel: channel.unwrap_or(case.complaint().channel) };
                let authoriser = authoriser()?;
                let command = match stage.unwrap_or_else(|| case.stage()) {
                    Stage::One => Command::ExtendStage1 {
                        authoriser,
                        reason: reason.clone(),
                        new_due,
                        customer_told,
                        decided_on: Some(today),
                    },
                    Stage::Two => Command::ExtendStage2 {
                        authoriser,
                        reason: reason.clone(),
                        new_due,
                        customer_told,
                        decided_on: Some(today),
                    },
                };
                steps.apply(command)?;
                steps.letter(LetterPlan::citizen(Letter::Extension { reason, new_due }));
            }
            StaffAction::Escalate { channel: asked_by, requested_on, points } => {
                steps.apply(Command::Escalate {
                    requested_on: requested_on.unwrap_or(today),
                    channel: asked_by,
                    received_at: None,
                })?;
                steps.support_at_stage2(today)?;
                steps.acknowledge(points, today, None)?;
            }
            StaffAction::Stage2 { how, reason, points } => {
                steps.apply(match how {
                    Stage2How::Move => Command::MoveToStage2 { decided_on: today, reason },
                    Stage2How::Direct => Command::RouteDirectToStage2 { routed_on: today, reason },
                })?;
                steps.support_at_stage2(today)?;
                steps.acknowledge(points, today, None)?;
            }
            StaffAction::Acknowledge { points, agreed_on } => {
                steps.acknowledge(Some(points), today, agreed_on)?;
            }
            StaffAction::AmendPoints { points, reason } => {
                let customer_told = if case.no_contact_possible() {
                    None
                } else {
                    Some(CustomerTold { on: today, channel: channel.unwrap_or(case.complaint().channel) })
                };
                steps.apply(Command::AmendPointsOfComplaint {
                    amended_on: today,
                    points,
                    reason: reason.clone(),
                    customer_told,
                })?;
                steps.letter(LetterPlan::citizen(Letter::PointsAmended { reason }));
            }
            StaffAction::Update { note, given_by } => {
                not_blank(&note, "note")?;
                let given = if case.no_contact_possible() {
                    given_by.unwrap_or(case.complaint().channel)
                } else {
                    told(given_by, "given_by")?.channel
                };
                steps.apply(Command::GiveProgressUpdate { given_on: today, channel: given })?;
                steps.letter(LetterPlan::citizen(Letter::ProgressUpdate { note }));
            }
            StaffAction::Close { point_outcomes, outcome_override, note, staff_parts } => {
                not_blank(&note, "note")?;
                let signposting = if case.no_contact_possible() {
                    None
                } else {
                    Some(spso(None).ok_or_else(|| {
                        ActionError::Invalid(
                            "close: no letter can be sent (no email or postal address) for the SPSO signposting"
                                .to_owned(),
                        )
                    })?)
                };
                steps.apply(Command::CloseStage2 {
                    responded_on: today,
                    point_outcomes,
                    outcome_override,
                    signposting,
                })?;
                steps.letter(LetterPlan::citizen(Letter::FinalResponse { note }));
                steps.closure_updates(&staff_parts, today)?;
            }
            StaffAction::Withdraw { reason } => {
                steps.apply(Command::Withdraw { withdrawn_on: today, reason })?;
                steps.letter(LetterPlan::citizen(Letter::WithdrawalConfirmation));
                steps.closure_updates(&[], today)?;
            }
            StaffAction::NotAComplaint { reason, details, directed_to } => {
                steps.apply(Command::RecordNotAComplaint { decided_on: today, reason, details, directed_to })?;
                steps.letter(LetterPlan::citizen(Letter::NotAComplaint));
                steps.closure_updates(&[], today)?;
            }
            StaffAction::Reopen { reason, respond_by } => {
                steps.apply(Command::Reopen { reopened_on: today, reason: reason.clone(), respond_by })?;
                steps.letter(LetterPlan::citizen(Letter::Reopened { reason }));
            }
            StaffAction::ReferSpso { referred_on } => {
                steps.apply(Command::ReferToSpso { referred_on: referred_on.unwrap_or(today) })?;
            }
            StaffAction::SpsoOutcome { outcome, decided_on } => {
                steps.apply(Command::RecordSpsoOutcome { decided_on: decided_on.unwrap_or(today), outcome })?;
            }
            StaffAction::Restrict { scope, review_on, reason } => {
                not_blank(&reason, "reason")?;
                let appeal_information_sent = channel.map(|channel| CustomerTold { on: today, channel }).ok_or_else(|| {
                    ActionError::Invalid(
                        "restrict: the decision, the right of appeal and the SPSO signposting go in writing, and there is no email or postal address to write to"
                            .to_owned(),
                    )
                })?;
                steps.apply(Command::RestrictContact {
                    scope,
                    approver: authoriser()?,
                    starts_on: today,
                    review_on,
                    appeal_information_sent,
                    spso_signposting: spso(None),
                })?;
                steps.letter(LetterPlan::citizen(Letter::ContactRestriction { reason }));
            }
            StaffAction::ReviewRestriction { restriction, next_review_on } => {
                steps.apply(Command::ReviewContactRestriction {
                    restriction,
                    reviewed_on: today,
                    reviewer: authoriser()?,
                    next_review_on,
                })?;
            }
            StaffAction::AcceptLate { reason } => {
                steps.apply(Command::AcceptLateComplaint { reason })?;
            }
            StaffAction::StaffInvolved { staff_ref, email } => {
                let email = match email.as_deref().map(str::trim).filter(|raw| !raw.is_empty()) {
                    Some(raw) => Some(
                        EmailAddress::parse(raw)
                            .map_err(|error| ActionError::Invalid(format!("email: {error}")))?
                            .to_string(),
                    ),
                    None => None,
                };
                steps.apply(Command::AddStaffInvolved {
                    staff_ref: staff_ref.clone(),
                    added_on: today,
                    email: email.clone(),
                })?;
                if email.is_some() {
                    steps.apply(Command::RecordStaffContact {
                        staff_ref: staff_ref.clone(),
                        contact: StaffContact::Told { on: today },
                    })?;
                    // R59: support and information are signposted at stage 2.
                    if steps.case.stage() == Stage::Two {
                        steps.apply(Command::RecordStaffContact {
                            staff_ref: staff_ref.clone(),
                            contact: StaffContact::SupportOffered { on: today },
                        })?;
                    }
                    steps.letter(LetterPlan::staff(staff_ref, Letter::StaffNotice));
                }
            }
            StaffAction::LinkLearning { action_id } => {
                steps.apply(Command::LinkLearningAction { action_id, linked_on: today })?;
            }
            StaffAction::CorrespondenceAfterFinal { channel: came_by } => {
                let spso_signposting = if case.no_contact_possible() { None } else { spso(None) };
                if spso_signposting.is_none() && !case.no_contact_possible() {
                    return Err(ActionError::Invalid(
                        "correspondence-after-final: no letter can be sent (no email or postal address)".to_owned(),
                    ));
                }
                steps.apply(Command::RecordCorrespondenceAfterFinalResponse {
                    received_on: today,
                    channel: came_by,
                    spso_signposting,
                })?;
                steps.letter(LetterPlan::citizen(Letter::FinalResponseStands));
            }
            StaffAction::RecordConsent { consent_type, given_on, given_by } => {
                steps.apply(Command::RecordRepresentativeConsent { consent_type, given_on, given_by })?;
            }
            StaffAction::AgreeAction { description, owner, due_on } => {
                steps.apply(Command::AgreeAction { description, owner, agreed_on: today, due_on })?;
            }
            StaffAction::CompleteAction { index } => {
                steps.apply(Command::CompleteAgreedAction { action: index, done_on: today })?;
            }
            StaffAction::RecordChild { record } => {
                steps.apply(Command::RecordChild { record })?;
            }
        }
        Ok(steps.finish())
    }
}

/// The outcome of planning an action: the next case, its timeline entries and the letters to queue.
pub(crate) struct Plan {
    pub case: Case,
    pub events: Vec<TimelineEvent>,
    pub letters: Vec<LetterPlan>,
}

/// Core commands applied one after another to a working copy of the case.
struct Steps<'s> {
    service: &'s StaffActions,
    actor: &'s StaffUser,
    at: DateTime<Utc>,
    case: Case,
    events: Vec<TimelineEvent>,
    letters: Vec<LetterPlan>,
}

impl<'s> Steps<'s> {
    fn new(service: &'s StaffActions, actor: &'s StaffUser, case: &Case, at: DateTime<Utc>) -> Self {
        Self { service, actor, at, case: case.clone(), events: Vec::new(), letters: Vec::new() }
    }

    fn apply(&mut self, command: Command) -> Result<(), ActionError> {
        let rules = Rules { calendar: &self.service.calendar, policy: &self.service.config.procedure };
        let (next, events) = self.case.apply(command, self.at, self.actor.actor(), rules)?;
        self.case = next;
        self.events.extend(events);
        Ok(())
    }

    fn letter(&mut self, letter: LetterPlan) {
        self.letters.push(letter);
    }

    /// R24: acknowledge stage 2 with `points` (when given) and queue the acknowledgement letter.
    fn acknowledge(
        &mut self,
        points: Option<Vec<complaints_core::case::PointOfComplaint>>,
        today: NaiveDate,
        agreed_on: Option<NaiveDate>,
    ) -> Result<(), ActionError> {
        let Some(points) = points else { return Ok(()) };
        self.apply(Command::AcknowledgeStage2 {
            acknowledged_on: today,
            points,
            agreed_on: agreed_on.unwrap_or(today),
        })?;
        self.letter(LetterPlan::citizen(Letter::Stage2Acknowledgement));
        Ok(())
    }

    /// R59: support and information are signposted at stage 2: when a case reaches it, every
    /// member of staff involved with an address who was not yet offered support gets a notice
    /// (with the support section) and the offer is recorded.
    fn support_at_stage2(&mut self, today: NaiveDate) -> Result<(), ActionError> {
        let due: Vec<String> = self
            .case
            .records()
            .staff_involved
            .iter()
            .filter(|staff| staff.email.is_some())
            .filter(|staff| !staff.contacts.iter().any(|c| matches!(c, StaffContact::SupportOffered { .. })))
            .map(|staff| staff.staff_ref.clone())
            .collect();
        for staff_ref in due {
            self.apply(Command::RecordStaffContact {
                staff_ref: staff_ref.clone(),
                contact: StaffContact::SupportOffered { on: today },
            })?;
            self.letter(LetterPlan::staff(staff_ref, Letter::StaffNotice));
        }
        Ok(())
    }

    /// R59: at each closure, every member of staff involved with an address gets an update: with
    /// the part of the response that concerns them when given (recorded as shared), else a note
    /// that the stage closed (recorded as an update).
    fn closure_updates(&mut self, parts: &[StaffPart], today: NaiveDate) -> Result<(), ActionError> {
        for part in parts {
            if !self.case.records().staff_involved.iter().any(|staff| staff.staff_ref == part.staff_ref) {
                return Err(ActionError::Invalid(format!(
                    "staff_parts: {} is not recorded as a member of staff involved",
                    part.staff_ref
                )));
            }
            not_blank(&part.part, "staff_parts.part")?;
        }
        let involved: Vec<(String, bool)> = self
            .case
            .records()
            .staff_involved
            .iter()
            .map(|staff| (staff.staff_ref.clone(), staff.email.is_some()))
            .collect();
        for (staff_ref, has_email) in involved {
            let part = parts.iter().find(|part| part.staff_ref == staff_ref).map(|part| part.part.clone());
            let answered = matches!(self.case.status(), Status::Stage1Closed | Status::Stage2Closed);
            let contact = match (&part, answered) {
                (Some(part), true) => StaffContact::ResponseShared { on: today, part: part.clone() },
                _ => StaffContact::Updated { on: today },
            };
            if part.is_none() && !has_email {
                continue;
            }
            self.apply(Command::RecordStaffContact { staff_ref: staff_ref.clone(), contact })?;
            if has_email {
                self.letter(LetterPlan::staff(staff_ref, Letter::StaffClosureUpdate { part }));
            }
        }
        Ok(())
    }

    fn finish(self) -> Plan {
        Plan { case: self.case, events: self.events, letters: self.letters }
    }
}

fn not_blank(text: &str, field: &str) -> Result<(), ActionError> {
    if text.trim().is_empty() { Err(ActionError::Invalid(format!("{field}: must not be blank"))) } else { Ok(()) }
}

fn audit_entry(
    actor: &StaffUser,
    access: Access,
    permission: Permission,
    action: &str,
    reference: Option<&CaseRef>,
    at: DateTime<Utc>,
) -> AuditEntry {
    AuditEntry {
        at,
        actor: actor.id.clone(),
        role: actor.role,
        access,
        permission,
        action: action.to_owned(),
        reference: reference.cloned(),
        contact: None,
    }
}
