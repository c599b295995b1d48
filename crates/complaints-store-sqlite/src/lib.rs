//! CaseStore on bundled SQLite: the embedded default for local runs.
//!
//! One connection behind a mutex, used from `spawn_blocking` so the async runtime never waits on
//! disk. Every intake is one `BEGIN IMMEDIATE` transaction (counter, case, idempotency record,
//! timeline); in WAL mode with `synchronous = FULL` it costs one fsync of the WAL.

mod alerts;
mod audit;
mod channel_health;
mod held_mail;
mod notices;
mod period_pages;
pub mod schema;
mod sessions;
mod single_use;
mod staff_items;
// Staff reading (issue 11): lists and search, and the learning register.
mod learning;
mod queries;
// Staff workspace registers (issue 12): quality reviews and flagged items.
mod registers;
// Names, SPSO referrals and flags, indexed with the case write (issue 12).
mod indexes;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use complaints_app::outbound::{DeliveryResult, DeliveryState, NewMessage, PendingMessage};
use complaints_app::ports::{CaseStore, NewCase, StoreError, StoredCase};
use complaints_core::case::{Case, ContactKey, MessagePurpose};
use complaints_core::complaint::EmailAddress;
use complaints_core::reference::CaseRef;
use complaints_core::timeline::TimelineEvent;
use complaints_mail::QueuedMessage;
use rusqlite::{Connection, ErrorCode, OptionalExtension, Transaction, TransactionBehavior, params};

pub use schema::MigrationError;

/// How long a writer waits for another process holding the file's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("could not open the SQLite data file")]
    Open(#[source] rusqlite::Error),
    #[error("could not configure the SQLite connection")]
    Configure(#[source] rusqlite::Error),
    #[error(transparent)]
    Migrate(#[from] MigrationError),
    #[error("could not index the cases written before the case indexes existed")]
    Backfill(#[source] StoreError),
}

/// The embedded case store.
#[derive(Debug, Clone)]
pub struct SqliteCaseStore {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteCaseStore {
    /// Opens (creating if needed) the data file at `path` and brings its schema up to date. The
    /// parent folder must exist. WAL mode adds `-wal` and `-shm` files beside it.
    ///
    /// # Errors
    /// [`OpenError`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self, OpenError> {
        Self::setup(Connection::open(path).map_err(OpenError::Open)?)
    }

    /// A private in-memory store, gone when dropped (tests, demos).
    ///
    /// # Errors
    /// [`OpenError`].
    pub fn in_memory() -> Result<Self, OpenError> {
        Self::setup(Connection::open_in_memory().map_err(OpenError::Open)?)
    }

    fn setup(mut conn: Connection) -> Result<Self, OpenError> {
        let configure = |conn: &Connection| -> rusqlite::Result<()> {
            conn.busy_timeout(BUSY_TIMEOUT)?;
            // WAL lets readers (a CLI, a backup) work while the server writes. In-memory
            // databases answer "memory", which is fine.
            let _mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
            // FULL: a commit is on disk before it returns, so a complaint whose reference the
            // citizen was given survives a power cut too (NORMAL would only survive a process
            // crash in WAL mode). One fsync of the WAL per transaction.
            conn.pragma_update(None, "synchronous", "FULL")?;
            conn.pragma_update(None, "foreign_keys", true)?;
            Ok(())
        };
        configure(&conn).map_err(OpenError::Configure)?;
        schema::migrate(&mut conn)?;
        indexes::backfill(&mut conn).map_err(OpenError::Backfill)?;
        Ok(Self { conn: Arc::new(Mutex::new(conn)) })
    }

    /// Runs `work` on the connection on a blocking thread.
    pub(crate) async fn call<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            // A panic while holding the lock cannot leave a half-done write: the open
            // transaction rolls back when dropped. So a poisoned lock is safe to reuse.
            let mut guard = conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            work(&mut guard)
        })
        .await
        .map_err(unavailable)?
    }
}

pub(crate) fn unavailable(error: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Unavailable(Box::new(error))
}

pub(crate) fn db(error: rusqlite::Error) -> StoreError {
    unavailable(error)
}

fn is_constraint(error: &rusqlite::Error) -> bool {
    error.sqlite_error_code() == Some(ErrorCode::ConstraintViolation)
}

fn immediate(conn: &mut Connection) -> Result<Transaction<'_>, StoreError> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)
}

/// The columns a case is found by, derived from [`Case::index`].
struct Columns {
    body: String,
    open: bool,
    next_due: Option<String>,
    received_on: String,
    contact_key: Option<String>,
    closed_on: Vec<String>,
}

impl Columns {
    fn of(case: &Case) -> Result<Self, StoreError> {
        let index = case.index();
        Ok(Self {
            body: serde_json::to_string(case).map_err(unavailable)?,
            open: index.open,
            // Only open cases are in the due index, whatever the lifecycle reports for closed ones.
            next_due: index.next_due.filter(|_| index.open).map(|d| d.to_string()),
            received_on: index.received_on.to_string(),
            contact_key: index.contact_key.map(|k| k.0),
            closed_on: index.closed_on.iter().map(ToString::to_string).collect(),
        })
    }
}

fn write_closures(tx: &Transaction<'_>, reference: &str, closed_on: &[String]) -> Result<(), StoreError> {
    tx.prepare_cached("DELETE FROM stage_closures WHERE reference = ?1")
        .and_then(|mut s| s.execute([reference]))
        .map_err(db)?;
    let mut insert =
        tx.prepare_cached("INSERT INTO stage_closures (reference, seq, closed_on) VALUES (?1, ?2, ?3)").map_err(db)?;
    for (seq, date) in (0_i64..).zip(closed_on) {
        insert.execute(params![reference, seq, date]).map_err(db)?;
    }
    Ok(())
}

fn append_timeline(tx: &Transaction<'_>, reference: &str, events: &[TimelineEvent]) -> Result<(), StoreError> {
    let mut insert = tx.prepare_cached("INSERT INTO timeline (reference, at, body) VALUES (?1, ?2, ?3)").map_err(db)?;
    for event in events {
        let body = serde_json::to_string(event).map_err(unavailable)?;
        insert.execute(params![reference, event.at.to_rfc3339(), body]).map_err(db)?;
    }
    // The flags among the events go in the register in the same transaction.
    indexes::raise_flags(tx, reference, events)?;
    Ok(())
}

pub(crate) fn stored_case(body: &str, version: i64) -> Result<StoredCase, StoreError> {
    let case: Case = serde_json::from_str(body).map_err(unavailable)?;
    let version = u64::try_from(version).map_err(unavailable)?;
    Ok(StoredCase { case, version })
}

fn parse_ref(text: &str) -> Result<CaseRef, StoreError> {
    text.parse().map_err(unavailable)
}

fn case_exists(conn: &Connection, reference: &str) -> Result<bool, StoreError> {
    conn.prepare_cached("SELECT 1 FROM cases WHERE reference = ?1").and_then(|mut s| s.exists([reference])).map_err(db)
}

/// Runs a `SELECT body, version …` and returns the cases in the query's order.
fn query_cases(conn: &Connection, sql: &str, args: impl rusqlite::Params) -> Result<Vec<StoredCase>, StoreError> {
    let mut statement = conn.prepare_cached(sql).map_err(db)?;
    let rows = statement
        .query_map(args, |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)))
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)?;
    rows.iter().map(|(body, version)| stored_case(body, *version)).collect()
}

fn create_case(conn: &mut Connection, new: NewCase) -> Result<StoredCase, StoreError> {
    let tx = immediate(conn)?;
    if let Some(key) = &new.source_key {
        // Checked inside the write transaction, so no other writer can slip in between.
        let existing: Option<String> = tx
            .prepare_cached("SELECT reference FROM intake_keys WHERE source_key = ?1")
            .and_then(|mut s| s.query_row([key], |row| row.get(0)).optional())
            .map_err(db)?;
        if let Some(existing) = existing {
            return Err(StoreError::AlreadyExists { existing: Some(parse_ref(&existing)?) });
        }
    }
    let mut case = new.case;
    let number: u32 = tx
        .prepare_cached(
            "INSERT INTO counters (prefix, year, last) VALUES (?1, ?2, 1)
             ON CONFLICT (prefix, year) DO UPDATE SET last = last + 1 RETURNING last",
        )
        .and_then(|mut s| s.query_row(params![case.reference().prefix(), case.reference().year()], |row| row.get(0)))
        .map_err(db)?;
    case.assign_number(number);
    let reference = case.reference().to_string();
    let columns = Columns::of(&case)?;
    let inserted = tx
        .prepare_cached(
            "INSERT INTO cases (reference, prefix, year, number, version, body, open, next_due, received_on, contact_key)
             VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, ?7, ?8, ?9)",
        )
        .and_then(|mut s| {
            s.execute(params![
                reference,
                case.reference().prefix(),
                case.reference().year(),
                number,
                columns.body,
                columns.open,
                columns.next_due,
                columns.received_on,
                columns.contact_key,
            ])
        });
    match inserted {
        Ok(_) => {}
        // The counter was behind the cases table (e.g. a hand-edited file): refuse, do not overwrite.
        Err(e) if is_constraint(&e) => {
            return Err(StoreError::AlreadyExists { existing: Some(case.reference().clone()) });
        }
        Err(e) => return Err(db(e)),
    }
    if let Some(key) = &new.source_key {
        tx.prepare_cached("INSERT INTO intake_keys (source_key, reference) VALUES (?1, ?2)")
            .and_then(|mut s| s.execute(params![key, reference]))
            .map_err(db)?;
    }
    write_closures(&tx, &reference, &columns.closed_on)?;
    indexes::write_names(&tx, &reference, &case)?;
    append_timeline(&tx, &reference, &new.events)?;
    // The mail is composed for the case's final number, inside the transaction: the case and the
    // mail it causes are committed together or not at all.
    // The caps are counted here, inside the write transaction, so concurrent intakes for one
    // recipient are decided one after another.
    let mut over = std::collections::HashSet::new();
    for cap in new.mail.iter().flat_map(|mail| mail.caps()) {
        let recent: u32 = tx
            .prepare_cached("SELECT COUNT(*) FROM outgoing WHERE recipient_key = ?1 AND queued_at >= ?2")
            .and_then(|mut s| s.query_row(params![cap.recipient.0, ts(cap.since)], |row| row.get(0)))
            .map_err(db)?;
        if recent >= cap.limit {
            over.insert(cap.recipient.clone());
        }
    }
    let (mail_events, messages) =
        new.mail.as_ref().map(|mail| mail.compose(&case, &|key| over.contains(key))).unwrap_or_default();
    append_timeline(&tx, &reference, &mail_events)?;
    queue_messages(&tx, &reference, &messages)?;
    tx.commit().map_err(db)?;
    Ok(StoredCase { case, version: 1 })
}

/// Timestamps as fixed-width UTC text, so text order is time order in SQL comparisons.
pub(crate) fn ts(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

pub(crate) fn parse_ts(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc)).map_err(unavailable)
}

fn purpose_name(purpose: MessagePurpose) -> Result<String, StoreError> {
    match serde_json::to_value(purpose).map_err(unavailable)? {
        serde_json::Value::String(name) => Ok(name),
        _ => Err(unavailable(std::io::Error::other("message purpose is not a string"))),
    }
}

/// Writes messages as pending and indexes their Message-IDs to the case.
fn queue_messages(tx: &Transaction<'_>, reference: &str, messages: &[NewMessage]) -> Result<(), StoreError> {
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO outgoing (message_id, reference, purpose, sender, recipients, date, raw, recipient_key,
                                   queued_at, state, attempts, next_attempt_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'pending', 0, ?9)",
        )
        .map_err(db)?;
    let mut index =
        tx.prepare_cached("INSERT OR REPLACE INTO messages (message_id, reference) VALUES (?1, ?2)").map_err(db)?;
    for NewMessage { message, recipient_key } in messages {
        let recipients: Vec<&str> = message.to.iter().map(EmailAddress::as_str).collect();
        let recipients = serde_json::to_string(&recipients).map_err(unavailable)?;
        let message_reference = message.case_ref.as_ref().map(ToString::to_string);
        insert
            .execute(params![
                message.message_id,
                message_reference,
                purpose_name(message.purpose)?,
                message.from.as_str(),
                recipients,
                ts(message.date),
                message.raw,
                recipient_key.as_ref().map(|k| k.0.as_str()),
                ts(message.date),
            ])
            .map_err(db)?;
        index.execute(params![message.message_id, message_reference.as_deref().unwrap_or(reference)]).map_err(db)?;
    }
    Ok(())
}

const OUTGOING_COLUMNS: &str = "message_id, reference, purpose, sender, recipients, date, raw, recipient_key, state,
     attempts, next_attempt_at, last_error, finished_at";

fn pending_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<OutgoingRow> {
    Ok(OutgoingRow {
        message_id: row.get(0)?,
        reference: row.get(1)?,
        purpose: row.get(2)?,
        sender: row.get(3)?,
        recipients: row.get(4)?,
        date: row.get(5)?,
        raw: row.get(6)?,
        recipient_key: row.get(7)?,
        state: row.get(8)?,
        attempts: row.get(9)?,
        next_attempt_at: row.get(10)?,
        last_error: row.get(11)?,
        finished_at: row.get(12)?,
    })
}

/// One `outgoing` row as read.
struct OutgoingRow {
    message_id: String,
    reference: Option<String>,
    purpose: String,
    sender: String,
    recipients: String,
    date: String,
    raw: Vec<u8>,
    recipient_key: Option<String>,
    state: String,
    attempts: i64,
    next_attempt_at: Option<String>,
    last_error: Option<String>,
    finished_at: Option<String>,
}

impl OutgoingRow {
    fn decode(self) -> Result<PendingMessage, StoreError> {
        let address = |text: &str| EmailAddress::parse(text).map_err(unavailable);
        let recipients: Vec<String> = serde_json::from_str(&self.recipients).map_err(unavailable)?;
        let purpose: MessagePurpose =
            serde_json::from_value(serde_json::Value::String(self.purpose)).map_err(unavailable)?;
        let finished = || -> Result<DateTime<Utc>, StoreError> {
            parse_ts(self.finished_at.as_deref().ok_or_else(|| unavailable(std::io::Error::other("no finish time")))?)
        };
        let state = match self.state.as_str() {
            "pending" => DeliveryState::Pending,
            "sent" => DeliveryState::Sent { at: finished()? },
            _ => DeliveryState::Failed { at: finished()?, reason: self.last_error.clone().unwrap_or_default() },
        };
        let date = parse_ts(&self.date)?;
        Ok(PendingMessage {
            message: QueuedMessage {
                message_id: self.message_id,
                case_ref: self.reference.as_deref().map(parse_ref).transpose()?,
                purpose,
                from: address(&self.sender)?,
                to: recipients.iter().map(|r| address(r)).collect::<Result<_, _>>()?,
                date,
                raw: self.raw,
            },
            recipient_key: self.recipient_key.map(ContactKey),
            state,
            attempts: u32::try_from(self.attempts).map_err(unavailable)?,
            next_attempt_at: self.next_attempt_at.as_deref().map(parse_ts).transpose()?.unwrap_or(date),
            last_error: self.last_error,
        })
    }
}

fn read_message(conn: &Connection, message_id: &str) -> Result<Option<PendingMessage>, StoreError> {
    let sql = format!("SELECT {OUTGOING_COLUMNS} FROM outgoing WHERE message_id = ?1");
    let row = conn
        .prepare_cached(&sql)
        .and_then(|mut s| s.query_row([message_id], pending_from_row).optional())
        .map_err(db)?;
    row.map(OutgoingRow::decode).transpose()
}

fn update_case(
    conn: &mut Connection,
    case: &Case,
    expected: u64,
    events: &[TimelineEvent],
    messages: &[NewMessage],
) -> Result<u64, StoreError> {
    let reference = case.reference().to_string();
    let columns = Columns::of(case)?;
    let expected_db = i64::try_from(expected).map_err(unavailable)?;
    let tx = immediate(conn)?;
    let changed = tx
        .prepare_cached(
            "UPDATE cases SET version = version + 1, body = ?1, open = ?2, next_due = ?3, received_on = ?4, contact_key = ?5
             WHERE reference = ?6 AND version = ?7",
        )
        .and_then(|mut s| {
            s.execute(params![
                columns.body,
                columns.open,
                columns.next_due,
                columns.received_on,
                columns.contact_key,
                reference,
                expected_db
            ])
        })
        .map_err(db)?;
    if changed == 0 {
        return Err(if case_exists(&tx, &reference)? {
            StoreError::VersionConflict { expected }
        } else {
            StoreError::NotFound
        });
    }
    write_closures(&tx, &reference, &columns.closed_on)?;
    append_timeline(&tx, &reference, events)?;
    queue_messages(&tx, &reference, messages)?;
    tx.commit().map_err(db)?;
    Ok(expected + 1)
}

#[async_trait]
impl CaseStore for SqliteCaseStore {
    #[tracing::instrument(skip_all)]
    async fn create(&self, new: NewCase) -> Result<StoredCase, StoreError> {
        self.call(move |conn| create_case(conn, new)).await
    }

    async fn get(&self, reference: &CaseRef) -> Result<StoredCase, StoreError> {
        let reference = reference.to_string();
        self.call(move |conn| {
            let row: Option<(String, i64)> = conn
                .prepare_cached("SELECT body, version FROM cases WHERE reference = ?1")
                .and_then(|mut s| s.query_row([&reference], |row| Ok((row.get(0)?, row.get(1)?))).optional())
                .map_err(db)?;
            let (body, version) = row.ok_or(StoreError::NotFound)?;
            stored_case(&body, version)
        })
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn update_with_messages(
        &self,
        case: &Case,
        expected_version: u64,
        events: Vec<TimelineEvent>,
        messages: Vec<NewMessage>,
    ) -> Result<u64, StoreError> {
        let case = case.clone();
        self.call(move |conn| update_case(conn, &case, expected_version, &events, &messages)).await
    }

    async fn timeline(&self, reference: &CaseRef) -> Result<Vec<TimelineEvent>, StoreError> {
        let reference = reference.to_string();
        self.call(move |conn| {
            let tx = conn.transaction().map_err(db)?;
            if !case_exists(&tx, &reference)? {
                return Err(StoreError::NotFound);
            }
            let mut statement =
                tx.prepare_cached("SELECT body FROM timeline WHERE reference = ?1 ORDER BY id").map_err(db)?;
            let bodies = statement
                .query_map([&reference], |row| row.get::<_, String>(0))
                .map_err(db)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db)?;
            bodies.iter().map(|body| serde_json::from_str(body).map_err(unavailable)).collect()
        })
        .await
    }

    async fn open_due_by(&self, date: NaiveDate) -> Result<Vec<StoredCase>, StoreError> {
        let date = date.to_string();
        self.call(move |conn| query_cases(conn, OPEN_DUE_BY, [date])).await
    }

    async fn received_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<StoredCase>, StoreError> {
        let (from, to) = (from.to_string(), to.to_string());
        self.call(move |conn| {
            query_cases(
                conn,
                "SELECT body, version FROM cases WHERE received_on BETWEEN ?1 AND ?2
                 ORDER BY received_on, prefix, year, number",
                [from, to],
            )
        })
        .await
    }

    async fn closed_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<StoredCase>, StoreError> {
        let (from, to) = (from.to_string(), to.to_string());
        self.call(move |conn| {
            query_cases(
                conn,
                "SELECT body, version FROM cases WHERE reference IN
                   (SELECT reference FROM stage_closures WHERE closed_on BETWEEN ?1 AND ?2)
                 ORDER BY prefix, year, number",
                [from, to],
            )
        })
        .await
    }

    async fn find_by_contact(&self, key: &ContactKey) -> Result<Vec<CaseRef>, StoreError> {
        let key = key.0.clone();
        self.call(move |conn| {
            let mut statement = conn
                .prepare_cached(
                    "SELECT reference FROM cases WHERE contact_key = ?1 ORDER BY received_on, prefix, year, number",
                )
                .map_err(db)?;
            let refs = statement
                .query_map([&key], |row| row.get::<_, String>(0))
                .map_err(db)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db)?;
            refs.iter().map(|r| parse_ref(r)).collect()
        })
        .await
    }

    async fn record_message(&self, message_id: &str, reference: &CaseRef) -> Result<(), StoreError> {
        let (message_id, reference) = (message_id.to_owned(), reference.to_string());
        self.call(move |conn| {
            conn.prepare_cached("INSERT OR REPLACE INTO messages (message_id, reference) VALUES (?1, ?2)")
                .and_then(|mut s| s.execute([message_id, reference]))
                .map(|_| ())
                .map_err(db)
        })
        .await
    }

    async fn case_for_message(&self, message_id: &str) -> Result<Option<CaseRef>, StoreError> {
        let message_id = message_id.to_owned();
        self.call(move |conn| {
            let found: Option<String> = conn
                .prepare_cached("SELECT reference FROM messages WHERE message_id = ?1")
                .and_then(|mut s| s.query_row([message_id], |row| row.get(0)).optional())
                .map_err(db)?;
            found.as_deref().map(parse_ref).transpose()
        })
        .await
    }

    async fn place_alert_marker(&self, marker: &str, reference: &CaseRef) -> Result<bool, StoreError> {
        let (marker, reference) = (marker.to_owned(), reference.to_string());
        self.call(move |conn| {
            conn.prepare_cached(
                "INSERT INTO alert_markers (marker, reference) VALUES (?1, ?2) ON CONFLICT (marker) DO NOTHING",
            )
            .and_then(|mut s| s.execute([marker, reference]))
            .map(|placed| placed == 1)
            .map_err(db)
        })
        .await
    }

    async fn pending_messages(&self, due_by: DateTime<Utc>, limit: usize) -> Result<Vec<PendingMessage>, StoreError> {
        let due_by = ts(due_by);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.call(move |conn| {
            let mut statement = conn.prepare_cached(PENDING_DUE_BY).map_err(db)?;
            let rows = statement
                .query_map(params![due_by, limit], pending_from_row)
                .map_err(db)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db)?;
            rows.into_iter().map(OutgoingRow::decode).collect()
        })
        .await
    }

    async fn claim_message(
        &self,
        message_id: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<PendingMessage>, StoreError> {
        let message_id = message_id.to_owned();
        let (now, lease_until) = (ts(now), ts(lease_until));
        self.call(move |conn| {
            let tx = immediate(conn)?;
            let claimed = tx
                .prepare_cached(
                    "UPDATE outgoing SET lease_until = ?2, attempts = attempts + 1
                     WHERE message_id = ?1 AND state = 'pending' AND next_attempt_at <= ?3
                       AND (lease_until IS NULL OR lease_until <= ?3)",
                )
                .and_then(|mut s| s.execute(params![message_id, lease_until, now]))
                .map_err(db)?;
            if claimed == 0 {
                return Ok(None);
            }
            let message = read_message(&tx, &message_id)?;
            tx.commit().map_err(db)?;
            Ok(message)
        })
        .await
    }

    async fn finish_message(
        &self,
        message_id: &str,
        result: DeliveryResult,
        event: Option<TimelineEvent>,
    ) -> Result<(), StoreError> {
        let message_id = message_id.to_owned();
        self.call(move |conn| {
            let tx = immediate(conn)?;
            let run = |sql: &str, args: &[&dyn rusqlite::ToSql]| {
                tx.prepare_cached(sql).and_then(|mut s| s.execute(args)).map_err(db)
            };
            let changed = match result {
                DeliveryResult::Sent { at } => run(
                    "UPDATE outgoing SET state = 'sent', next_attempt_at = NULL, lease_until = NULL, finished_at = ?2
                     WHERE message_id = ?1 AND state = 'pending'",
                    &[&message_id, &ts(at)],
                )?,
                DeliveryResult::Retry { next_attempt_at, reason } => run(
                    "UPDATE outgoing SET next_attempt_at = ?2, last_error = ?3, lease_until = NULL WHERE message_id = ?1 AND state = 'pending'",
                    &[&message_id, &ts(next_attempt_at), &reason],
                )?,
                DeliveryResult::Failed { at, reason } => run(
                    "UPDATE outgoing SET state = 'failed', next_attempt_at = NULL, lease_until = NULL,
                            finished_at = ?2, last_error = ?3
                     WHERE message_id = ?1 AND state = 'pending'",
                    &[&message_id, &ts(at), &reason],
                )?,
            };
            if changed == 0 {
                // Another deliverer already recorded this message's end: keep its result.
                let known = tx
                    .prepare_cached("SELECT 1 FROM outgoing WHERE message_id = ?1")
                    .and_then(|mut s| s.exists([&message_id]))
                    .map_err(db)?;
                return if known { Ok(()) } else { Err(StoreError::NotFound) };
            }
            if let Some(event) = event {
                let reference: Option<String> = tx
                    .prepare_cached("SELECT reference FROM outgoing WHERE message_id = ?1")
                    .and_then(|mut s| s.query_row([&message_id], |row| row.get(0)))
                    .map_err(db)?;
                if let Some(reference) = reference {
                    append_timeline(&tx, &reference, &[event])?;
                }
            }
            tx.commit().map_err(db)
        })
        .await
    }

    async fn message(&self, message_id: &str) -> Result<Option<PendingMessage>, StoreError> {
        let message_id = message_id.to_owned();
        self.call(move |conn| read_message(conn, &message_id)).await
    }

    async fn automatic_messages_since(&self, recipient: &ContactKey, since: DateTime<Utc>) -> Result<u32, StoreError> {
        let (key, since) = (recipient.0.clone(), ts(since));
        self.call(move |conn| {
            conn.prepare_cached("SELECT COUNT(*) FROM outgoing WHERE recipient_key = ?1 AND queued_at >= ?2")
                .and_then(|mut s| s.query_row(params![key, since], |row| row.get::<_, u32>(0)))
                .map_err(db)
        })
        .await
    }
}

/// Pending messages due by a time, served by the sparse `outgoing_pending` index.
const PENDING_DUE_BY: &str =
    "SELECT message_id, reference, purpose, sender, recipients, date, raw, recipient_key, state,
            attempts, next_attempt_at, last_error, finished_at
     FROM outgoing WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= ?1
     ORDER BY next_attempt_at, queued_at LIMIT ?2";

/// Open cases due by a date, served by the sparse `cases_open_by_due` index.
const OPEN_DUE_BY: &str = "SELECT body, version FROM cases
     WHERE next_due IS NOT NULL AND next_due <= ?1
     ORDER BY next_due, prefix, year, number";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_due_by_is_served_by_the_sparse_due_index_without_a_table_scan() {
        let store = SqliteCaseStore::in_memory().expect("store");
        let conn = store.conn.lock().expect("lock");
        let mut statement = conn.prepare(&format!("EXPLAIN QUERY PLAN {OPEN_DUE_BY}")).expect("plan");
        let plan: Vec<String> = statement
            .query_map(["2026-01-01"], |row| row.get::<_, String>(3))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        let plan = plan.join(" | ");
        assert!(plan.contains("USING INDEX cases_open_by_due"), "plan was: {plan}");
        assert!(!plan.contains("SCAN cases"), "plan was: {plan}");
    }

    #[test]
    fn pending_messages_are_served_by_the_sparse_pending_index_without_a_table_scan() {
        let store = SqliteCaseStore::in_memory().expect("store");
        let conn = store.conn.lock().expect("lock");
        let mut statement = conn.prepare(&format!("EXPLAIN QUERY PLAN {PENDING_DUE_BY}")).expect("plan");
        let plan: Vec<String> = statement
            .query_map(params!["2026-01-01", 10], |row| row.get::<_, String>(3))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        let plan = plan.join(" | ");
        assert!(plan.contains("USING INDEX outgoing_pending"), "plan was: {plan}");
        assert!(!plan.contains("SCAN outgoing"), "plan was: {plan}");
    }

    #[test]
    fn a_fresh_file_gets_the_current_schema_version_and_reopening_keeps_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("cases.sqlite3");
        drop(SqliteCaseStore::open(&path).expect("first open"));
        let store = SqliteCaseStore::open(&path).expect("second open");
        let conn = store.conn.lock().expect("lock");
        let version: u32 = conn.pragma_query_value(None, "user_version", |row| row.get(0)).expect("version");
        assert_eq!(version, schema::current_version());
        let mode: String = conn.pragma_query_value(None, "journal_mode", |row| row.get(0)).expect("mode");
        assert_eq!(mode.to_lowercase(), "wal");
    }

    #[test]
    fn a_file_store_syncs_every_commit_to_disk() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteCaseStore::open(dir.path().join("cases.sqlite3")).expect("open");
        let conn = store.conn.lock().expect("lock");
        // 2 = FULL: a commit survives a power cut, not only a crash of the process.
        let level: i64 = conn.pragma_query_value(None, "synchronous", |row| row.get(0)).expect("level");
        assert_eq!(level, 2);
    }

    #[test]
    fn a_file_from_a_newer_build_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("cases.sqlite3");
        let conn = Connection::open(&path).expect("open");
        conn.pragma_update(None, "user_version", schema::current_version() + 1).expect("set version");
        drop(conn);
        match SqliteCaseStore::open(&path) {
            Err(OpenError::Migrate(MigrationError::TooNew { found, .. })) => {
                assert_eq!(found, schema::current_version() + 1)
            }
            other => panic!("expected TooNew, got {other:?}"),
        }
    }
}
