//! Why a function's first event could not prepare what the events need. Every function fails the
//! same few ways (the SDK's environment, SSM, the organisation configuration) plus its own
//! (a client, the form, a directory), and only an unreachable parameter store is worth another
//! try: one error type for all of them, so the policy is written once.

use std::error::Error;

use crate::deployment::OrgConfigError;
use crate::prepared::StartupError;
use crate::ssm::ParameterError;

/// A failed preparation. Names kinds of failure and parameter names, never a value.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// The Lambda environment lacks what the SDK needs, which no retry mends.
    #[error(transparent)]
    Sdk(#[from] complaints_aws::LambdaSdkError),
    /// A parameter could not be read: transient when SSM was unreachable, else the deployment's.
    #[error("cannot read the parameters: {0}")]
    Parameters(#[from] ParameterError),
    #[error(transparent)]
    OrgConfig(#[from] OrgConfigError),
    /// Something else the function builds from its configuration (a client, the form, the staff
    /// directory) cannot be built: the deployment's to mend.
    #[error("{what}")]
    Invalid {
        what: &'static str,
        #[source]
        source: Box<dyn Error + Send + Sync>,
    },
}

impl PrepareError {
    /// `what` could not be built, because of `source`.
    pub fn invalid(what: &'static str, source: impl Error + Send + Sync + 'static) -> Self {
        Self::Invalid { what, source: Box::new(source) }
    }
}

impl StartupError for PrepareError {
    /// Only an unreachable parameter store is worth another try; everything else (a refusal, a
    /// missing or short key, an invalid configuration) stays wrong until someone fixes it.
    fn is_transient(&self) -> bool {
        matches!(self, Self::Parameters(err) if err.is_transient())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::error_chain;

    #[test]
    fn only_an_unreachable_parameter_store_is_worth_another_try() {
        let unreachable = PrepareError::Parameters(ParameterError::Unavailable("connection refused".into()));
        let missing = PrepareError::Parameters(ParameterError::Missing("/c/form".to_owned()));
        let refused = PrepareError::Parameters(ParameterError::Refused("AccessDeniedException".into()));
        let sdk = PrepareError::Sdk(complaints_aws::LambdaSdkError::MissingVariable("AWS_REGION"));
        let invalid = PrepareError::invalid("the form cannot be built", std::io::Error::other("short key"));

        assert!(unreachable.is_transient());
        for permanent in [missing, refused, sdk, invalid] {
            assert!(!permanent.is_transient(), "{permanent}");
        }
    }

    #[test]
    fn the_error_chain_reaches_the_root_cause_once() {
        let err =
            PrepareError::Parameters(ParameterError::Unavailable("invalid peer certificate: UnknownIssuer".into()));
        assert_eq!(
            error_chain(&err),
            "cannot read the parameters: SSM parameter store unavailable: invalid peer certificate: UnknownIssuer"
        );
        let invalid = PrepareError::invalid("the hosted sign-in cannot be set up", std::io::Error::other("bad URL"));
        assert_eq!(error_chain(&invalid), "the hosted sign-in cannot be set up: bad URL");
    }
}
