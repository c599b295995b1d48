//! The register of flags on cases (issue 12): the flags intake and delivery put on a case's
//! timeline (possible spam from the honeypot, over the mail cap, undeliverable mail, a
//! feedback-loop complaint, quarantined mail, a held attachment, mail on a closed case). Each
//! becomes a [`FlaggedItem`] in a [`FlagStore`], listed open-first by the time it was raised from
//! a sparse index of open items (never a scan), and marked dealt with by staff. Intake records
//! that belong to no case have their own registers (held mail, social staff items).
//!
//! Items hold codes, references and times only: never a name, an address or complaint text (the
//! case page shows those to whoever may see them).
//!
//! Flags on a case are raised into the register by the case store itself, from the events it
//! writes, in the same transaction as the case ([`flags_in_events`] says which items; every store
//! calls it in its save path and the index contract suite checks it). The id is derived from the
//! case, the time and the flag, so raising the same events twice creates nothing twice, and a
//! backfill ([`raise_case_flags`] over old timelines) is idempotent.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use complaints_core::case::{CaseEvent, StaffFlag, TimelineEvent};
use complaints_core::reference::CaseRef;
use complaints_core::roles::Permission;
use serde::{Deserialize, Serialize};

use crate::ports::StoreError;
use crate::staff::StaffUser;

/// The most items one page may hold.
pub const MAX_FLAG_PAGE: usize = 200;

/// What kind of thing was flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlagKind {
    /// A flag on a case's timeline. (Records that belong to no case, held mail and social staff
    /// items, have their own registers: [`crate::held_mail`], [`crate::staff_items`].)
    Case(StaffFlag),
    // Kinds no longer raised: intake records that belong to no case now have their own
    // registers. Registers written before still hold them (the social intake's quarantine and
    // triage items), so they stay readable and are listed with a label, never an error page.
    /// A social delivery that could not be read (no longer raised: [`crate::staff_items`]).
    SocialQuarantine,
    /// A public social mention to triage (no longer raised: [`crate::staff_items`]).
    SocialTriage,
    /// An email from a robot (no longer raised: [`crate::held_mail`]).
    EmailRobot,
    /// An email refused at intake (no longer raised: [`crate::held_mail`]).
    EmailRejected,
}

impl FlagKind {
    /// What staff see.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Case(StaffFlag::PossibleSpam) => "Possible spam",
            Self::Case(StaffFlag::OverMailCap) => "Over the mail cap",
            Self::Case(StaffFlag::UndeliverableMail) => "Mail could not be delivered",
            Self::Case(StaffFlag::PossiblyAboutAnotherCase) => "Mail may be about another case",
            Self::Case(StaffFlag::MailOnClosedCase) => "Mail on a closed case",
            Self::Case(StaffFlag::QuarantinedMail) => "Quarantined email",
            Self::Case(StaffFlag::AttachmentHeld) => "Attachment held back",
            Self::Case(StaffFlag::MailComplaint) => "Our mail reported as abuse",
            Self::SocialQuarantine => "Quarantined social message (older register)",
            Self::SocialTriage => "Social mention to triage (older register)",
            Self::EmailRobot => "Email from a robot (older register)",
            Self::EmailRejected => "Email rejected (older register)",
        }
    }

    /// A short stable code (ids, filters).
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Case(StaffFlag::PossibleSpam) => "possible-spam",
            Self::Case(StaffFlag::OverMailCap) => "over-mail-cap",
            Self::Case(StaffFlag::UndeliverableMail) => "undeliverable-mail",
            Self::Case(StaffFlag::PossiblyAboutAnotherCase) => "possibly-about-another-case",
            Self::Case(StaffFlag::MailOnClosedCase) => "mail-on-closed-case",
            Self::Case(StaffFlag::QuarantinedMail) => "quarantined-mail",
            Self::Case(StaffFlag::AttachmentHeld) => "attachment-held",
            Self::Case(StaffFlag::MailComplaint) => "mail-complaint",
            Self::SocialQuarantine => "social-quarantine",
            Self::SocialTriage => "social-triage",
            Self::EmailRobot => "email-robot",
            Self::EmailRejected => "email-rejected",
        }
    }
}

/// Who marked an item dealt with, when, and a note (internal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealtWith {
    pub by: String,
    pub at: DateTime<Utc>,
    pub note: String,
}

/// One item flagged for staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlaggedItem {
    /// Derived from the source (see [`case_flag_id`]); no personal data.
    pub id: String,
    pub kind: FlagKind,
    /// The case it is on, when it is on one.
    pub reference: Option<CaseRef>,
    pub raised_at: DateTime<Utc>,
    /// A code or object key saying where to look (a reason code, the raw record's key); never
    /// personal data.
    pub detail: String,
    pub dealt_with: Option<DealtWith>,
}

/// The id of a flag raised on a case: reference, time and flag.
#[must_use]
pub fn case_flag_id(reference: &CaseRef, at: DateTime<Utc>, flag: StaffFlag) -> String {
    format!("{reference}#{}#{}", at.format("%Y%m%dT%H%M%S%.6fZ"), FlagKind::Case(flag).code())
}

/// A page of open items and, when more may follow, the id the next page starts after.
#[derive(Debug, Clone, Default)]
pub struct FlagPage {
    pub items: Vec<FlaggedItem>,
    pub next: Option<String>,
}

/// Where flagged items live. Every adapter passes the flag contract suite.
#[async_trait]
pub trait FlagStore: Send + Sync {
    /// Stores a new item; `false` (and nothing written) when the id is already there.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn raise_flag(&self, item: &FlaggedItem) -> Result<bool, StoreError>;

    /// One item.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn flag(&self, id: &str) -> Result<Option<FlaggedItem>, StoreError>;

    /// At most `limit` (1..=[`MAX_FLAG_PAGE`]) items not dealt with yet, oldest raised first (then
    /// by id), starting after the item `after` (the previous page's `next`).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn open_flags(&self, after: Option<&str>, limit: usize) -> Result<FlagPage, StoreError>;

    /// Marks an item dealt with: it leaves the open list. Returns the item as saved.
    ///
    /// # Errors
    /// [`StoreError::NotFound`]; [`StoreError::VersionConflict`] when it was already dealt with;
    /// [`StoreError::Unavailable`].
    async fn deal_with_flag(&self, id: &str, dealt_with: DealtWith) -> Result<FlaggedItem, StoreError>;
}

/// The flags among events written on `reference`'s case.
#[must_use]
pub fn flags_in_events(reference: &CaseRef, events: &[TimelineEvent]) -> Vec<FlaggedItem> {
    events
        .iter()
        .filter_map(|event| match &event.what {
            CaseEvent::FlaggedForStaff { reason } => Some(FlaggedItem {
                id: case_flag_id(reference, event.at, *reason),
                kind: FlagKind::Case(*reason),
                reference: Some(reference.clone()),
                raised_at: event.at,
                detail: String::new(),
                dealt_with: None,
            }),
            _ => None,
        })
        .collect()
}

/// Raises every flag among `events` (idempotent); returns how many were new.
///
/// # Errors
/// [`StoreError`].
pub async fn raise_case_flags(
    flags: &dyn FlagStore,
    reference: &CaseRef,
    events: &[TimelineEvent],
) -> Result<usize, StoreError> {
    let mut new = 0;
    for item in flags_in_events(reference, events) {
        if flags.raise_flag(&item).await? {
            new += 1;
        }
    }
    Ok(new)
}

/// Why an item could not be marked dealt with.
#[derive(Debug, thiserror::Error)]
pub enum FlagError {
    #[error("your role ({role}) may not clear flags")]
    NotAllowed { role: String },
    #[error("say what was done (the note must not be blank)")]
    BlankNote,
    #[error("no such flagged item")]
    NotFound,
    #[error("this item has already been dealt with")]
    AlreadyDealtWith,
    #[error(transparent)]
    Store(StoreError),
}

/// Marks `id` dealt with by `user` at `at` with `note`.
///
/// # Errors
/// [`FlagError`].
pub async fn deal_with(
    flags: &dyn FlagStore,
    user: &StaffUser,
    id: &str,
    at: DateTime<Utc>,
    note: &str,
) -> Result<FlaggedItem, FlagError> {
    if !user.role.may(Permission::ClearFlag) {
        return Err(FlagError::NotAllowed { role: user.role.to_string() });
    }
    if note.trim().is_empty() {
        return Err(FlagError::BlankNote);
    }
    let dealt = DealtWith { by: user.id.clone(), at, note: note.trim().to_owned() };
    flags.deal_with_flag(id, dealt).await.map_err(|e| match e {
        StoreError::NotFound => FlagError::NotFound,
        StoreError::VersionConflict { .. } => FlagError::AlreadyDealtWith,
        other => FlagError::Store(other),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_an_older_register_wrote_still_decodes() {
        // As the social intake's flagging store wrote a quarantined delivery before those items
        // moved to their own register.
        let old = r#"{"id":"social-quarantine#2026-11-02T09:00:00Z#abc","kind":"social-quarantine","reference":null,
            "raised_at":"2026-11-02T09:00:00Z","detail":"social/quarantine/abc.json","dealt_with":null}"#;
        let item: FlaggedItem = serde_json::from_str(old).expect("an older item reads");
        assert_eq!(item.kind, FlagKind::SocialQuarantine);
        assert_eq!(item.kind.code(), "social-quarantine");
        for (code, kind) in [
            ("social-triage", FlagKind::SocialTriage),
            ("email-robot", FlagKind::EmailRobot),
            ("email-rejected", FlagKind::EmailRejected),
        ] {
            let read: FlagKind = serde_json::from_str(&format!("\"{code}\"")).expect("an older kind reads");
            assert_eq!((read, read.code()), (kind, code));
        }
    }
}
