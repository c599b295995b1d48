//! The intake use case: a validated complaint becomes a case with a reference, a timeline and an
//! acknowledgement. SKELETON: the public signatures are STABLE; the body is being built.

use std::sync::Arc;

use chrono::NaiveDate;
use complaints_core::calendar::Calendar;
use complaints_core::complaint::NewComplaint;
use complaints_core::config::OrgConfig;
use complaints_core::reference::CaseRef;
use complaints_mail::templates::Templates;

use crate::ports::{CaseStore, Clock, Mailer, StoreError};

/// Everything intake needs, built once per process (or per Lambda cold start).
#[derive(Clone)]
pub struct IntakeService {
    pub store: Arc<dyn CaseStore>,
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<OrgConfig>,
    pub calendar: Arc<Calendar>,
    pub templates: Arc<Templates>,
    /// Secret key for the keyed hash of contact addresses (never stored in clear in a key).
    pub contact_key_secret: Arc<[u8]>,
}

impl std::fmt::Debug for IntakeService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntakeService").finish_non_exhaustive()
    }
}

/// One complaint to take in.
#[derive(Debug, Clone)]
pub struct IntakeRequest {
    pub complaint: NewComplaint,
    /// Idempotency key from the channel (a repeat returns the existing case and sends nothing).
    pub source_key: Option<String>,
}

/// What the citizen is told back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeReceipt {
    pub reference: CaseRef,
    /// The date the stage 1 response (or stage 2 response for direct stage 2) is due.
    pub response_due: NaiveDate,
    /// Who is handling the case (R42).
    pub handler: String,
    /// True when this request repeated an earlier one and nothing new was created.
    pub duplicate: bool,
    /// True when an acknowledgement email was sent (false for anonymous complaints or no email).
    pub acknowledged: bool,
}

/// Why intake failed. Nothing is lost: the caller keeps the raw input and may retry.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("could not store the case")]
    Store(#[from] StoreError),
    #[error("could not render the acknowledgement")]
    Template(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl IntakeService {
    /// Takes in one complaint.
    ///
    /// # Errors
    /// [`IntakeError`]; a failed acknowledgement after a stored case is not an error (it is
    /// recorded on the case and retried), so the citizen always gets their reference.
    pub async fn submit(&self, _request: IntakeRequest) -> Result<IntakeReceipt, IntakeError> {
        Err(IntakeError::Template("intake is not built yet".into()))
    }
}
