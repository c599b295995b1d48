//! Why a staff action failed, classified once so the HTTP API (problem+json status) and the CLI
//! (exit codes) never decide it again.

use complaints_core::case::{MessagePurpose, NotQueuedReason};
use complaints_core::command::Rejected;
use complaints_core::rejection::RejectionKind;
use complaints_core::roles::{Permission, Role};

use crate::ports::StoreError;

/// Why a staff action (or read) failed. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// The role matrix does not allow it ([`Role::may`]).
    #[error("a {role} may not {needs}")]
    Forbidden { role: Role, needs: Permission },
    #[error("no such case")]
    NotFound,
    /// The case changed since the version the caller saw (or a concurrent edit won): reload and
    /// decide again. Never retried automatically when the caller gave the version.
    #[error("the case was changed by someone else; it is now at version {current_version:?}")]
    Conflict { current_version: Option<u64> },
    /// The procedure does not allow the move; [`Rejected::rule_id`] names the rule.
    #[error("refused by {rule}: {0}", rule = .0.rule_id())]
    Rejected(#[source] Rejected),
    /// The request is malformed or incomplete (bad input), before any rule was asked.
    #[error("{0}")]
    Invalid(String),
    #[error("case store unavailable")]
    Store(#[source] StoreError),
    /// A letter that carries the signposting the change records (R23, R37) could not be written
    /// (the organisation's sender address or a template is broken): the change is not saved, so
    /// no case says its customer was signposted when nothing went out.
    #[error("the {purpose} letter could not be written ({reason}); nothing was changed", purpose = .purpose.as_str(), reason = reason_text(.reason))]
    LetterNotComposed { purpose: MessagePurpose, reason: NotQueuedReason },
}

/// Why a letter could not be written, for people who fix the configuration.
fn reason_text(reason: &NotQueuedReason) -> &'static str {
    match reason {
        NotQueuedReason::SenderConfiguration => "the organisation's mail.from or mail.reply_to is not a valid address",
        NotQueuedReason::Template => "its template failed to render",
        NotQueuedReason::NoAddress => "there is no address to write to",
        NotQueuedReason::RecipientCap => "the recipient cap was reached",
        NotQueuedReason::PossibleSpam => "the case is flagged as possible spam",
    }
}

/// The class of an [`ActionError`], with its HTTP status and CLI exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// 403; CLI exit 1.
    Forbidden,
    /// 404; CLI exit 1.
    NotFound,
    /// 409 (stale version, or the case's state forbids the move); CLI exit 1.
    Conflict,
    /// 422 (the rules refuse what was asked); CLI exit 1.
    Unprocessable,
    /// 400 (bad input); CLI exit 2.
    BadRequest,
    /// 503 (the store failed; may be retried); CLI exit 1.
    Unavailable,
    /// 500 (the service is misconfigured: a letter cannot be written); CLI exit 1.
    Internal,
}

impl ErrorKind {
    /// The HTTP status code the API answers with.
    #[must_use]
    pub fn http_status(self) -> u16 {
        match self {
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::Conflict => 409,
            Self::Unprocessable => 422,
            Self::BadRequest => 400,
            Self::Unavailable => 503,
            Self::Internal => 500,
        }
    }

    /// The CLI exit code: 2 for bad arguments, 1 for anything refused or failed.
    #[must_use]
    pub fn exit_code(self) -> i32 {
        match self {
            Self::BadRequest => 2,
            _ => 1,
        }
    }
}

impl ActionError {
    /// The class of this error.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden { .. } => ErrorKind::Forbidden,
            Self::NotFound => ErrorKind::NotFound,
            Self::Conflict { .. } => ErrorKind::Conflict,
            Self::Rejected(rejected) => match rejected.kind() {
                RejectionKind::State => ErrorKind::Conflict,
                RejectionKind::Request => ErrorKind::Unprocessable,
            },
            Self::Invalid(_) => ErrorKind::BadRequest,
            Self::Store(_) => ErrorKind::Unavailable,
            Self::LetterNotComposed { .. } => ErrorKind::Internal,
        }
    }

    /// The MCHP rule id that refused the move, for a [`ActionError::Rejected`].
    #[must_use]
    pub fn rule_id(&self) -> Option<&'static str> {
        match self {
            Self::Rejected(rejected) => Some(rejected.rule_id()),
            _ => None,
        }
    }
}

impl From<Rejected> for ActionError {
    fn from(rejected: Rejected) -> Self {
        Self::Rejected(rejected)
    }
}

impl From<StoreError> for ActionError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => Self::NotFound,
            StoreError::VersionConflict { .. } => Self::Conflict { current_version: None },
            other => Self::Store(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use complaints_core::case::Stage;

    use super::*;

    #[test]
    fn each_error_maps_to_one_status_and_exit_code() {
        let forbidden = ActionError::Forbidden { role: Role::Auditor, needs: Permission::Respond };
        assert_eq!((forbidden.kind().http_status(), forbidden.kind().exit_code()), (403, 1));
        let stale = ActionError::Conflict { current_version: Some(4) };
        assert_eq!(stale.kind().http_status(), 409);
        let state = ActionError::Rejected(Rejected::AlreadyClosed);
        assert_eq!((state.kind().http_status(), state.rule_id()), (409, Some("R40")));
        let request = ActionError::Rejected(Rejected::SignpostingRequired { stage: Stage::One });
        assert_eq!((request.kind().http_status(), request.rule_id()), (422, Some("R23")));
        let invalid = ActionError::Invalid("points: expected a list".to_owned());
        assert_eq!((invalid.kind().http_status(), invalid.kind().exit_code(), invalid.rule_id()), (400, 2, None));
        assert_eq!(ActionError::NotFound.kind().http_status(), 404);
    }

    #[test]
    fn a_refusal_names_its_rule_in_the_message() {
        let error = ActionError::Rejected(Rejected::SpsoSignpostingRequired);
        assert_eq!(error.to_string(), "refused by R37: the customer must be signposted to the SPSO");
    }
}
