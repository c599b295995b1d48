//! Parameters from SSM Parameter Store (keys as SecureStrings, configuration as text), fetched in
//! one `GetParameters` call, and SDK failures sorted into transient and permanent ones.
//!
//! Only SSM for now. Secrets Manager would be one more module here: fetch with
//! `GetSecretValue`, sort its failures with the same [`fault`] (it works for any SDK operation's
//! error), and map them into the same [`ParameterError`] kinds. It is not here because nothing
//! uses it yet and its SDK crate is a large build.

use std::error::Error;

use aws_runtime::retries::classifiers::{THROTTLING_ERRORS, TRANSIENT_ERRORS};
use aws_sdk_ssm::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

use crate::prepared::StartupError;

/// Whether an AWS call's failure can pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Unreachable, timed out, throttled or failing on the service's side: try again later.
    Transient,
    /// Refused (permissions, a KMS key, a malformed request), or the endpoint's certificate is
    /// not trusted: it stays so until someone changes the deployment.
    Permanent,
}

/// Sorts any SDK operation's failure. Throttling and transient error codes are the SDK's own lists
/// (the ones its retry strategy uses), read from the error's metadata; other 4xx answers are
/// refusals; 429, 5xx, timeouts and connection failures pass; a certificate the client does not
/// trust, and a request the SDK could not even build, do not.
pub fn fault<E>(err: &SdkError<E, HttpResponse>) -> Fault
where
    E: ProvideErrorMetadata + Error + 'static,
{
    if complaints_aws::is_certificate_error(err) {
        return Fault::Permanent;
    }
    match err {
        SdkError::ServiceError(service) => {
            let code = service.err().code();
            let status = service.raw().status().as_u16();
            fault_of_answer(status, code)
        }
        SdkError::ConstructionFailure(_) => Fault::Permanent,
        _ => Fault::Transient,
    }
}

fn fault_of_answer(status: u16, code: Option<&str>) -> Fault {
    let passing_code = code.is_some_and(|code| THROTTLING_ERRORS.contains(&code) || TRANSIENT_ERRORS.contains(&code));
    if passing_code || status == 429 || !(400..500).contains(&status) { Fault::Transient } else { Fault::Permanent }
}

/// Why parameters could not be read. Names the parameter, never its value.
#[derive(Debug, thiserror::Error)]
pub enum ParameterError {
    /// SSM could not be reached, timed out, throttled or failed on its side: worth another try.
    #[error("SSM parameter store unavailable")]
    Unavailable(#[source] Box<dyn Error + Send + Sync>),
    /// SSM refused the request or its certificate is not trusted: it will say the same until
    /// someone changes the deployment.
    #[error(
        "SSM parameter store refused the request (check the function's permissions, the parameter names and TLS_ROOTS)"
    )]
    Refused(#[source] Box<dyn Error + Send + Sync>),
    #[error("SSM parameter {0} does not exist")]
    Missing(String),
    #[error("SSM parameter {name} is shorter than {min_len} characters")]
    TooShort { name: String, min_len: usize },
}

impl StartupError for ParameterError {
    fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

/// Parameters by name, as SSM returned them (SecureStrings decrypted). `Debug` never shows a value.
#[derive(Clone, Default)]
pub struct Parameters {
    found: Vec<(String, String)>,
}

impl std::fmt::Debug for Parameters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parameters").field("names", &self.found.iter().map(|(n, _)| n).collect::<Vec<_>>()).finish()
    }
}

impl Parameters {
    /// Fetches `names` (at most ten, SSM's limit for one call) in one `GetParameters` call.
    /// Names SSM does not know are simply absent: [`Parameters::text`] names them.
    ///
    /// # Errors
    /// [`ParameterError::Unavailable`] or [`ParameterError::Refused`], by [`fault`].
    pub async fn fetch(client: &aws_sdk_ssm::Client, names: &[&str]) -> Result<Self, ParameterError> {
        let mut request = client.get_parameters().with_decryption(true);
        for name in names {
            request = request.names(*name);
        }
        let output = request.send().await.map_err(|err| match fault(&err) {
            Fault::Transient => ParameterError::Unavailable(err.into()),
            Fault::Permanent => ParameterError::Refused(err.into()),
        })?;
        let found =
            output.parameters().iter().filter_map(|p| Some((p.name()?.to_owned(), p.value()?.to_owned()))).collect();
        Ok(Self { found })
    }

    /// Parameters already known (tests, or values from elsewhere).
    #[must_use]
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        Self { found: pairs.into_iter().collect() }
    }

    /// The value of `name`.
    ///
    /// # Errors
    /// [`ParameterError::Missing`] when SSM did not return it.
    pub fn text(&self, name: &str) -> Result<&str, ParameterError> {
        self.found
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, value)| value.as_str())
            .ok_or_else(|| ParameterError::Missing(name.to_owned()))
    }

    /// The value of `name` as key bytes, at least `min_len` long.
    ///
    /// # Errors
    /// [`ParameterError::Missing`], or [`ParameterError::TooShort`].
    pub fn key(&self, name: &str, min_len: usize) -> Result<Vec<u8>, ParameterError> {
        let value = self.text(name)?;
        if value.len() < min_len {
            return Err(ParameterError::TooShort { name: name.to_owned(), min_len });
        }
        Ok(value.as_bytes().to_vec())
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_ssm::error::ErrorMetadata;
    use aws_sdk_ssm::operation::get_parameters::GetParametersError;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    use super::*;

    fn answered(status: u16, code: &str) -> SdkError<GetParametersError, HttpResponse> {
        let err = GetParametersError::generic(ErrorMetadata::builder().code(code).build());
        let status = StatusCode::try_from(status).expect("status");
        SdkError::service_error(err, HttpResponse::new(status, SdkBody::empty()))
    }

    #[test]
    fn throttling_and_server_trouble_pass_and_refusals_do_not() {
        let cases = [
            (400, "ThrottlingException", Fault::Transient),
            (400, "TooManyRequestsException", Fault::Transient),
            (400, "RequestTimeoutException", Fault::Transient),
            (429, "SomethingNew", Fault::Transient),
            (500, "InternalServerError", Fault::Transient),
            (503, "ServiceUnavailable", Fault::Transient),
            (400, "AccessDeniedException", Fault::Permanent),
            (400, "ValidationException", Fault::Permanent),
            // A code that only looks like throttling is not on the SDK's list.
            (400, "NotThrottlingAtAllException", Fault::Permanent),
        ];
        for (status, code, expected) in cases {
            assert_eq!(fault(&answered(status, code)), expected, "{status} {code}");
        }
    }

    #[test]
    fn failures_without_an_answer_pass_except_a_request_that_could_not_be_built() {
        let timeout: SdkError<GetParametersError, HttpResponse> = SdkError::timeout_error("no answer");
        let built: SdkError<GetParametersError, HttpResponse> = SdkError::construction_failure("bad input");

        assert_eq!(fault(&timeout), Fault::Transient);
        assert_eq!(fault(&built), Fault::Permanent);
    }

    #[test]
    fn only_an_unavailable_store_is_worth_another_try() {
        assert!(ParameterError::Unavailable("connection refused".into()).is_transient());
        for permanent in [
            ParameterError::Refused("AccessDeniedException".into()),
            ParameterError::Missing("/c/form".to_owned()),
            ParameterError::TooShort { name: "/c/form".to_owned(), min_len: 32 },
        ] {
            assert!(!permanent.is_transient(), "{permanent}");
        }
    }

    #[test]
    fn values_are_found_by_name_and_never_shown() {
        let key = "k".repeat(40);
        let parameters =
            Parameters::from_pairs([("/c/form".to_owned(), key.clone()), ("/c/org".to_owned(), "a = 1".to_owned())]);

        assert_eq!(parameters.text("/c/org").expect("present"), "a = 1");
        assert_eq!(parameters.key("/c/form", 32).expect("long enough"), key.as_bytes());
        assert!(!format!("{parameters:?}").contains(&key));
    }

    #[test]
    fn a_missing_or_short_key_names_its_parameter_only() {
        let short = "s".repeat(31);
        let parameters = Parameters::from_pairs([("/c/form".to_owned(), short.clone())]);

        let missing = parameters.key("/c/contact", 32).expect_err("missing");
        let too_short = parameters.key("/c/form", 32).expect_err("short");

        assert!(missing.to_string().contains("/c/contact"), "{missing}");
        assert!(too_short.to_string().contains("/c/form") && !too_short.to_string().contains(&short), "{too_short}");
    }
}
