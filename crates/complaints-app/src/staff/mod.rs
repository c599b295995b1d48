//! Staff case handling (issue "Staff case handling"): every MCHP action on a case through one use
//! case ([`StaffActions`]), the authenticated actor ([`StaffUser`]) and the role matrix it is
//! checked against ([`complaints_core::roles::Role::may`]), the actions' JSON form
//! ([`StaffAction`]), the letters each sends, and the audit trail of reads and changes (R57).
//! Documented in docs/roles-and-letters.md.

pub mod action;
pub mod audit;
pub mod error;
mod letters;
pub mod log_preview;
pub mod possible;
pub mod preview;
pub mod service;
pub mod submissions;
pub mod text_limits;
pub mod user;

pub use action::{LogComplaint, StaffAction, StaffPart, Stage2How};
pub use audit::{Access, AuditEntry, AuditLog, MemoryAuditLog, TracingAuditLog};
pub use error::{ActionError, ErrorKind};
pub use log_preview::LogPreview;
pub use preview::{ActionPreview, LetterPreview};
pub use service::{ActionOutcome, CaseView, LetterDelivery, LetterQueued, StaffActions};
pub use user::StaffUser;
