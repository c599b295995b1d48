//! The stored form of a case: what the SQLite and DynamoDB stores persist as JSON, with a schema
//! version and the migrations from older versions (architecture: stores keep the case as JSON).
//!
//! A [`Case`] always serialises with `schema_version` = [`CASE_SCHEMA_VERSION`]. Reading goes
//! through [`StoredCase`], which accepts every older version and migrates it on the way in.
//!
//! Versions:
//! - 0 (no `schema_version` field): before the records of [`crate::records`], the closures kept
//!   across reopenings and the "no contact possible" signposting. Every newer field has a default,
//!   so migrating only stamps the version; closures a reopening set aside in version 0 are known
//!   only from their [`crate::case::Reopening`] and reported from it.
//! - 1: the current form.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{
    CASE_SCHEMA_VERSION, Case, ContactKey, LateAcceptance, Reopening, SpsoReferral, Stage1, Stage2, Withdrawal,
};
use crate::complaint::NewComplaint;
use crate::records::CaseRecords;
use crate::reference::CaseRef;
use crate::workdays::ClockStart;

/// A case as read from a store, of any schema version up to the current one.
#[derive(Debug, Deserialize)]
pub(crate) struct StoredCase {
    #[serde(default)]
    schema_version: u32,
    reference: CaseRef,
    complaint: NewComplaint,
    received_at: DateTime<Utc>,
    receipt: ClockStart,
    handler: String,
    contact_key: Option<ContactKey>,
    stage1: Option<Stage1>,
    stage2: Option<Stage2>,
    withdrawal: Option<Withdrawal>,
    late_acceptance: Option<LateAcceptance>,
    #[serde(default)]
    reopenings: Vec<Reopening>,
    spso: Option<SpsoReferral>,
    #[serde(default)]
    records: CaseRecords,
}

/// Why a stored case could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stored case schema version {found} is newer than this release reads ({CASE_SCHEMA_VERSION})")]
pub struct SchemaTooNew {
    pub found: u32,
}

/// The migration hook: brings a stored case of `from` up to `from + 1`. Each version's step is
/// one arm; a new schema version adds an arm here and bumps [`CASE_SCHEMA_VERSION`].
fn migrate_step(case: Case, from: u32) -> Case {
    // 0 → 1: every new field defaults (see the module documentation); nothing to rewrite.
    debug_assert!(from < CASE_SCHEMA_VERSION, "migrations run only below the current version");
    case
}

impl TryFrom<StoredCase> for Case {
    type Error = SchemaTooNew;

    fn try_from(stored: StoredCase) -> Result<Self, Self::Error> {
        if stored.schema_version > CASE_SCHEMA_VERSION {
            return Err(SchemaTooNew { found: stored.schema_version });
        }
        let mut case = Case {
            reference: stored.reference,
            complaint: stored.complaint,
            received_at: stored.received_at,
            receipt: stored.receipt,
            handler: stored.handler,
            contact_key: stored.contact_key,
            stage1: stored.stage1,
            stage2: stored.stage2,
            withdrawal: stored.withdrawal,
            late_acceptance: stored.late_acceptance,
            reopenings: stored.reopenings,
            spso: stored.spso,
            records: stored.records,
            schema_version: stored.schema_version,
        };
        for from in stored.schema_version..CASE_SCHEMA_VERSION {
            case = migrate_step(case, from);
        }
        case.schema_version = CASE_SCHEMA_VERSION;
        Ok(case)
    }
}
