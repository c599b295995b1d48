//! The SQLite schema and its migrations, versioned with `PRAGMA user_version`.

use rusqlite::Connection;

/// Each entry upgrades the schema by one version; entry `i` takes `user_version` from `i` to `i + 1`.
/// Never edit an entry once released: append a new one.
const MIGRATIONS: &[&str] = &[
    // 1: cases as JSON plus the columns they are found by, and everything written with them.
    "
    CREATE TABLE cases (
        reference   TEXT PRIMARY KEY,
        prefix      TEXT NOT NULL,
        year        INTEGER NOT NULL,
        number      INTEGER NOT NULL,
        version     INTEGER NOT NULL,
        body        TEXT NOT NULL,
        open        INTEGER NOT NULL,
        -- Set only while the case is open, so the due index holds open cases only.
        next_due    TEXT,
        received_on TEXT NOT NULL,
        contact_key TEXT,
        UNIQUE (prefix, year, number)
    );
    -- Sparse: the breach scan's cost grows with the cases due, never with closed cases.
    CREATE INDEX cases_open_by_due ON cases (next_due) WHERE next_due IS NOT NULL;
    CREATE INDEX cases_by_received ON cases (received_on);
    CREATE INDEX cases_by_contact ON cases (contact_key) WHERE contact_key IS NOT NULL;

    CREATE TABLE stage_closures (
        reference TEXT NOT NULL REFERENCES cases (reference) ON DELETE CASCADE,
        seq       INTEGER NOT NULL,
        closed_on TEXT NOT NULL,
        PRIMARY KEY (reference, seq)
    ) WITHOUT ROWID;
    CREATE INDEX stage_closures_by_date ON stage_closures (closed_on, reference);

    CREATE TABLE counters (
        prefix TEXT NOT NULL,
        year   INTEGER NOT NULL,
        last   INTEGER NOT NULL,
        PRIMARY KEY (prefix, year)
    ) WITHOUT ROWID;

    CREATE TABLE intake_keys (
        source_key TEXT PRIMARY KEY,
        reference  TEXT NOT NULL REFERENCES cases (reference) ON DELETE CASCADE
    ) WITHOUT ROWID;

    CREATE TABLE timeline (
        id        INTEGER PRIMARY KEY AUTOINCREMENT,
        reference TEXT NOT NULL REFERENCES cases (reference) ON DELETE CASCADE,
        at        TEXT NOT NULL,
        body      TEXT NOT NULL
    );
    CREATE INDEX timeline_by_case ON timeline (reference, id);

    -- No foreign keys below: like the cloud store, these are plain lookups written after the case.
    CREATE TABLE messages (
        message_id TEXT PRIMARY KEY,
        reference  TEXT NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE alert_markers (
        marker    TEXT PRIMARY KEY,
        reference TEXT NOT NULL
    ) WITHOUT ROWID;
    ",
    // 2: the durable outbound path. Every message is written here, pending, in the transaction of
    // the change that causes it; delivery claims it, sends it and marks it sent or failed.
    "
    CREATE TABLE outgoing (
        message_id      TEXT PRIMARY KEY,
        reference       TEXT,
        purpose         TEXT NOT NULL,
        sender          TEXT NOT NULL,
        recipients      TEXT NOT NULL,
        date            TEXT NOT NULL,
        raw             BLOB NOT NULL,
        recipient_key   TEXT,
        queued_at       TEXT NOT NULL,
        state           TEXT NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        -- Set only while pending, so the sweep's index holds unsent messages only.
        next_attempt_at TEXT,
        lease_until     TEXT,
        last_error      TEXT,
        finished_at     TEXT
    );
    CREATE INDEX outgoing_pending ON outgoing (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
    CREATE INDEX outgoing_by_recipient ON outgoing (recipient_key, queued_at) WHERE recipient_key IS NOT NULL;
    ",
    // Staff lists and search (issue 11): the fields lists filter by, read from the stored JSON as
    // virtual columns (how cases are written does not change), with indexes for the open list in
    // due order, overall and per handler, service area and category; and the learning register
    // (R35) with a sparse index of open actions and one of actions done, by date.
    "
    ALTER TABLE cases ADD COLUMN list_handler TEXT
        GENERATED ALWAYS AS (lower(trim(json_extract(body, '$.handler')))) VIRTUAL;
    ALTER TABLE cases ADD COLUMN list_service_area TEXT GENERATED ALWAYS AS (lower(trim(coalesce(
        json_extract(body, '$.records.assignment.service_area'), json_extract(body, '$.complaint.service_area'))))) VIRTUAL;
    ALTER TABLE cases ADD COLUMN list_team TEXT
        GENERATED ALWAYS AS (lower(trim(json_extract(body, '$.records.assignment.team')))) VIRTUAL;
    ALTER TABLE cases ADD COLUMN list_category TEXT
        GENERATED ALWAYS AS (lower(trim(json_extract(body, '$.records.classification.category')))) VIRTUAL;
    ALTER TABLE cases ADD COLUMN list_channel TEXT
        GENERATED ALWAYS AS (json_extract(body, '$.complaint.channel')) VIRTUAL;
    ALTER TABLE cases ADD COLUMN list_stage INTEGER
        GENERATED ALWAYS AS (CASE WHEN json_extract(body, '$.stage2') IS NULL THEN 1 ELSE 2 END) VIRTUAL;
    CREATE INDEX cases_open_by_due_ref ON cases (next_due, reference) WHERE next_due IS NOT NULL;
    CREATE INDEX cases_open_by_handler ON cases (list_handler, next_due, reference) WHERE next_due IS NOT NULL;
    CREATE INDEX cases_open_by_service_area ON cases (list_service_area, next_due, reference)
        WHERE next_due IS NOT NULL;
    CREATE INDEX cases_open_by_category ON cases (list_category, next_due, reference) WHERE next_due IS NOT NULL;
    CREATE INDEX cases_by_received_ref ON cases (received_on, reference);

    CREATE TABLE learning_actions (
        id          TEXT PRIMARY KEY,
        version     INTEGER NOT NULL,
        body        TEXT NOT NULL,
        recorded_on TEXT NOT NULL,
        -- Set only while the action is not done, so the open index holds open actions only.
        open_due    TEXT,
        done_on     TEXT
    ) WITHOUT ROWID;
    CREATE INDEX learning_open ON learning_actions (open_due, id) WHERE open_due IS NOT NULL;
    CREATE INDEX learning_done ON learning_actions (done_on, id) WHERE done_on IS NOT NULL;
    CREATE INDEX learning_recorded ON learning_actions (recorded_on, id);
    CREATE TABLE learning_links (
        reference TEXT NOT NULL,
        action_id TEXT NOT NULL REFERENCES learning_actions (id) ON DELETE CASCADE,
        PRIMARY KEY (reference, action_id)
    ) WITHOUT ROWID;
    ",
    // Breach scan: the calendar versions every open case was recomputed with (R13).
    "
    CREATE TABLE IF NOT EXISTS calendar_applied (
        version TEXT PRIMARY KEY
    ) WITHOUT ROWID;
    ",
    // The audit log of staff reads and changes (R57): ids only, never names or complaint text.
    "
    CREATE TABLE IF NOT EXISTS staff_audit (
        id          INTEGER PRIMARY KEY,
        at          TEXT NOT NULL,
        actor       TEXT NOT NULL,
        role        TEXT NOT NULL,
        access      TEXT NOT NULL,
        permission  TEXT NOT NULL,
        action      TEXT NOT NULL,
        reference   TEXT,
        contact     TEXT
    );
    CREATE INDEX IF NOT EXISTS staff_audit_by_reference ON staff_audit (reference, at) WHERE reference IS NOT NULL;
    ",
    // Export notices: the once-only markers of staff mail that belongs to no case (the "export is
    // ready" email, one per export key).
    "
    CREATE TABLE IF NOT EXISTS notice_markers (
        marker TEXT PRIMARY KEY
    ) WITHOUT ROWID;
    ",
    // Export: the date a case went from stage 1 to stage 2 (K2 of the escalated bucket: the
    // customer's request or the organisation's decision), so a case received before a period,
    // escalated in it and still open is found by the period's export.
    "
    ALTER TABLE cases ADD COLUMN escalated_on TEXT GENERATED ALWAYS AS (
        CASE json_extract(body, '$.stage2.route.route')
            WHEN 'escalated-by-customer' THEN json_extract(body, '$.stage2.route.requested_on')
            WHEN 'moved-by-organisation' THEN json_extract(body, '$.stage2.route.decided_on')
        END) VIRTUAL;
    CREATE INDEX IF NOT EXISTS cases_by_escalated ON cases (escalated_on, reference) WHERE escalated_on IS NOT NULL;
    ",
    // Breach scan: the alert index (the date the scan next needs an open case: its next due date
    // after every write, set later by the scan once its levels have fired, NULL when none is
    // left) and the digest drafts (one per recipient per run, sent as one message).
    "
    ALTER TABLE cases ADD COLUMN alert_due TEXT;
    UPDATE cases SET alert_due = next_due;
    CREATE INDEX IF NOT EXISTS cases_by_alert_due ON cases (alert_due, reference) WHERE alert_due IS NOT NULL;
    CREATE TRIGGER IF NOT EXISTS cases_alert_due_on_insert AFTER INSERT ON cases BEGIN
        UPDATE cases SET alert_due = NEW.next_due WHERE reference = NEW.reference;
    END;
    CREATE TRIGGER IF NOT EXISTS cases_alert_due_on_write AFTER UPDATE OF version, next_due ON cases BEGIN
        UPDATE cases SET alert_due = NEW.next_due WHERE reference = NEW.reference;
    END;
    CREATE TABLE IF NOT EXISTS alert_digest_drafts (
        run       TEXT NOT NULL,
        recipient TEXT NOT NULL,
        lines     TEXT NOT NULL,
        version   INTEGER NOT NULL,
        updated   TEXT NOT NULL,
        PRIMARY KEY (run, recipient)
    ) WITHOUT ROWID;
    ",
    // Email intake: mail kept for staff without a case (robot, rejected, bounces naming no
    // message of ours), listed newest first until it expires with its raw message.
    "
    CREATE TABLE IF NOT EXISTS held_mail (
        id          TEXT PRIMARY KEY,
        received_at TEXT NOT NULL,
        expires_at  TEXT,
        body        TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS held_mail_by_received ON held_mail (received_at);
    ",
    // Items kept for staff that belong to no case (social quarantine and triage, failed
    // attachments): the open ones are listed newest first.
    "
    CREATE TABLE IF NOT EXISTS staff_items (
        id          TEXT PRIMARY KEY,
        received_at TEXT NOT NULL,
        resolved_at TEXT,
        body        TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS staff_items_open ON staff_items (received_at DESC, id DESC) WHERE resolved_at IS NULL;
    ",
    // Staff sessions (by the SHA-256 of their id, never the id) and failed sign-in counts (by a
    // hash of the account name), for the staff pages' sign-in and lockout.
    "
    CREATE TABLE IF NOT EXISTS staff_sessions (
        id_sha256    TEXT PRIMARY KEY,
        body         TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        expires_at   TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS staff_sessions_by_expiry ON staff_sessions (expires_at);
    CREATE TABLE IF NOT EXISTS sign_in_failures (
        account        TEXT PRIMARY KEY,
        count          INTEGER NOT NULL,
        window_started TEXT NOT NULL,
        locked_until   TEXT,
        forget_after   TEXT NOT NULL
    ) WITHOUT ROWID;
    ",
    // Staff workspace registers (issue 12): second readers' quality reviews by closure date (R48),
    // and items flagged for staff, the open ones through a partial index.
    "
    CREATE TABLE IF NOT EXISTS quality_reviews (
        id        TEXT PRIMARY KEY,
        closed_on TEXT NOT NULL,
        body      TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS quality_reviews_by_closed_on ON quality_reviews (closed_on, id);
    CREATE TABLE IF NOT EXISTS staff_flags (
        id        TEXT PRIMARY KEY,
        raised_at TEXT NOT NULL,
        open      INTEGER NOT NULL,
        body      TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS staff_flags_open ON staff_flags (raised_at, id) WHERE open = 1;
    ",
    // Case indexes written with the case (issue 12): name tokens for the staff search, SPSO
    // referrals by date (an expression index: SQLite keeps it with every write of the case and
    // fills it for the cases already there), and the record of the one-off backfills run when the
    // store opens (names and flags of cases written before; see `indexes.rs`).
    "
    CREATE TABLE IF NOT EXISTS case_names (
        token     TEXT NOT NULL,
        reference TEXT NOT NULL REFERENCES cases (reference) ON DELETE CASCADE,
        PRIMARY KEY (token, reference)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS case_names_by_case ON case_names (reference);
    CREATE INDEX IF NOT EXISTS cases_by_spso_referral ON cases (json_extract(body, '$.spso.referred_on'))
        WHERE json_extract(body, '$.spso.referred_on') IS NOT NULL;
    CREATE TABLE IF NOT EXISTS index_backfills (
        name    TEXT PRIMARY KEY,
        done_at TEXT NOT NULL
    ) WITHOUT ROWID;
    ",
    // Social channel health (issue 15 §5): per channel, the last event taken in and the run of
    // failed sends, so the sweep's notices survive a cold start.
    "
    CREATE TABLE IF NOT EXISTS channel_health (
        channel       TEXT PRIMARY KEY,
        last_event_at TEXT,
        failures      INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
    ",
    // Staff sessions by user, for ending one member of staff's sessions (an expression index, so
    // the sessions already stored are indexed too), and the single-use marks of sign-in forms
    // (a hash of the form's token, kept until the token has expired).
    "
    CREATE INDEX IF NOT EXISTS staff_sessions_by_user ON staff_sessions (json_extract(body, '$.user.id'));
    CREATE TABLE IF NOT EXISTS used_tokens (
        key        TEXT PRIMARY KEY,
        keep_until TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS used_tokens_by_expiry ON used_tokens (keep_until);
    ",
];

/// The schema version this build writes.
#[must_use]
pub fn current_version() -> u32 {
    u32::try_from(MIGRATIONS.len()).unwrap_or(u32::MAX)
}

/// Why the schema could not be brought up to date.
#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error("the data file has schema version {found}, newer than this build's {supported}")]
    TooNew { found: u32, supported: u32 },
    #[error("migrating the schema to version {to} failed")]
    Failed {
        to: u32,
        #[source]
        source: rusqlite::Error,
    },
}

/// Applies every migration the file has not had yet, each in its own transaction.
///
/// # Errors
/// [`MigrationError`].
pub fn migrate(conn: &mut Connection) -> Result<(), MigrationError> {
    let read = |conn: &Connection| conn.pragma_query_value(None, "user_version", |row| row.get::<_, u32>(0));
    let found = read(conn).map_err(|source| MigrationError::Failed { to: 0, source })?;
    let supported = current_version();
    if found > supported {
        return Err(MigrationError::TooNew { found, supported });
    }
    for (to, sql) in (found + 1..).zip(MIGRATIONS.iter().skip(found as usize)) {
        let apply = |conn: &mut Connection| -> rusqlite::Result<()> {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", to)?;
            tx.commit()
        };
        apply(conn).map_err(|source| MigrationError::Failed { to, source })?;
        tracing::info!(schema_version = to, "case store schema migrated");
    }
    Ok(())
}
