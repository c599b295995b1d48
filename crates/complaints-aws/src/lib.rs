//! The one HTTPS client every AWS SDK client in this workspace sends its requests through, and the
//! SDK configuration a Lambda function starts from.
//!
//! Three choices here are about cold starts (docs/cold-start.md):
//!
//! - **rustls on ring**, the only TLS stack in the workspace. The SDK's `default-https-client`
//!   feature is off everywhere because it links aws-lc as well (about 2 MiB of the bootstrap).
//! - **The SDK's own client** (`aws-smithy-http-client`: hyper, connection pooling and
//!   poisoning, connect and read timeouts, its errors sorted for the SDK's retries), built without
//!   its default features, in its `rustls-ring` crypto mode.
//! - **Trust the Amazon Trust Services roots**, not the system trust store, by default. Every AWS
//!   service endpoint presents a certificate that chains to one of them (AWS moved all endpoints
//!   to its own certificate authority in 2021). Reading and parsing the system's 140-odd root
//!   certificates was two thirds of the function's cold-start instructions. `TLS_ROOTS=system`
//!   brings the system store back, for an endpoint behind a proxy with its own authority.

use std::fmt;
use std::time::Duration;

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_http_client::Builder;
use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_http_client::tls::{Provider, TlsContext, TrustStore};
use aws_smithy_runtime_api::client::behavior_version::BehaviorVersion;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_smithy_types::timeout::TimeoutConfig;
use aws_types::SdkConfig;
use aws_types::region::Region;

mod names;

pub use names::AMAZON_ROOT_NAMES;

/// The environment variable that chooses the trust store: `amazon` (the default) or `system`.
pub const TLS_ROOTS_VAR: &str = "TLS_ROOTS";

/// Which certificate authorities the HTTPS client trusts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TrustRoots {
    /// The Amazon Trust Services roots only ([`AMAZON_ROOT_NAMES`]), compiled in.
    #[default]
    Amazon,
    /// The operating system's trust store (`SSL_CERT_FILE`, `SSL_CERT_DIR`, or the usual paths),
    /// read and parsed when the client is built.
    System,
}

/// `TLS_ROOTS` has a value we do not know. Names the variable and the accepted values.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("environment variable {TLS_ROOTS_VAR} must be \"amazon\" or \"system\"")]
pub struct UnknownTrustRoots;

impl TrustRoots {
    /// Reads [`TLS_ROOTS_VAR`]; unset or blank means [`TrustRoots::Amazon`].
    ///
    /// # Errors
    /// [`UnknownTrustRoots`] for any other value.
    pub fn from_env() -> Result<Self, UnknownTrustRoots> {
        Self::from_value(std::env::var(TLS_ROOTS_VAR).ok().as_deref())
    }

    /// As [`TrustRoots::from_env`], from the variable's value.
    ///
    /// # Errors
    /// [`UnknownTrustRoots`] for a value other than `amazon` or `system` (any case).
    pub fn from_value(value: Option<&str>) -> Result<Self, UnknownTrustRoots> {
        match value.map(str::trim).filter(|v| !v.is_empty()).map(str::to_ascii_lowercase).as_deref() {
            None | Some("amazon") => Ok(Self::Amazon),
            Some("system") => Ok(Self::System),
            Some(_) => Err(UnknownTrustRoots),
        }
    }
}

impl fmt::Display for TrustRoots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Amazon => "amazon",
            Self::System => "system",
        })
    }
}

/// The roots named in [`AMAZON_ROOT_NAMES`], in that order, as DER. `build.rs` takes them from
/// Mozilla's list (`webpki-root-certs`) at build time, so the function carries five certificates,
/// not the whole list, and a name missing from the list fails the build.
#[must_use]
pub fn amazon_roots() -> [&'static [u8]; 5] {
    AMAZON_ROOTS_DER
}

/// The same five roots as one PEM bundle, the form the SDK client's [`TrustStore`] takes.
#[must_use]
pub fn amazon_roots_pem() -> &'static str {
    AMAZON_ROOTS_PEM
}

include!(concat!(env!("OUT_DIR"), "/amazon_roots.rs"));

/// Idle connections are closed after this long; AWS endpoints close theirs after about a minute.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(45);

/// The HTTPS client could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the HTTPS client")]
pub struct HttpsClientError(#[source] aws_smithy_http_client::HttpClientError);

/// The HTTPS client: the SDK's hyper client on rustls with ring (plain HTTP for local endpoints
/// such as moto), trusting `roots` only. Every client made from the same [`SdkConfig`] shares its
/// connection pool. Connect and read timeouts come from the SDK configuration
/// ([`lambda_timeouts`] in functions).
///
/// # Errors
/// [`HttpsClientError`] if the TLS context is refused (the SDK's builder does not refuse any
/// trust store today; the certificates themselves are checked when the first connection is made,
/// and a test checks the Amazon bundle parses).
pub fn https_client(roots: TrustRoots) -> Result<SharedHttpClient, HttpsClientError> {
    let store = match roots {
        TrustRoots::Amazon => TrustStore::empty().with_native_roots(false).with_pem_certificate(AMAZON_ROOTS_PEM),
        // Read once per process by the SDK; unreadable files are skipped, and a store left empty
        // shows up as a certificate error on the first request, naming the issuer.
        TrustRoots::System => TrustStore::empty().with_native_roots(true),
    };
    https_client_trusting(store)
}

/// As [`https_client`], trusting exactly `store` (the tests trust a self-signed certificate).
///
/// # Errors
/// As [`https_client`].
pub fn https_client_trusting(store: TrustStore) -> Result<SharedHttpClient, HttpsClientError> {
    let tls = TlsContext::builder().with_trust_store(store).build().map_err(HttpsClientError)?;
    Ok(Builder::new()
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .tls_context(tls)
        .build_https())
}

/// Timeouts for a function's AWS calls. The SDK's defaults limit only the connection set-up, so a
/// call that stalls after it would run into the function's own timeout (15 s in the template)
/// and end the request with nothing logged. Our calls (SSM, DynamoDB, SES) answer in tens of
/// milliseconds; these leave room for the SDK's retries and still end within the function's time.
/// The HTTPS client applies the connect timeout to the whole set-up (name lookup, TCP connect,
/// TLS handshake) and the read timeout to the wait for each response.
#[must_use]
pub fn lambda_timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_millis(3100))
        .read_timeout(Duration::from_millis(2500))
        .operation_attempt_timeout(Duration::from_secs(3))
        .operation_timeout(Duration::from_secs(8))
        .build()
}

/// Whether an error's chain holds a TLS certificate failure: the endpoint's certificate does not
/// chain to a trusted root (with [`TrustRoots::Amazon`], an endpoint outside AWS or behind a
/// proxy that re-signs TLS) or is invalid. Trying again will not help.
#[must_use]
pub fn is_certificate_error(err: &(dyn std::error::Error + 'static)) -> bool {
    causes(err).any(|current| {
        matches!(
            current.downcast_ref::<rustls::Error>(),
            Some(rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented)
        )
    })
}

/// `err` and each of its causes in turn. An `io::Error` wrapping another error is followed into
/// that error: its own `source()` skips the wrapped error and goes straight to that error's
/// source, and the HTTPS client nests the rustls error two `io::Error`s deep.
fn causes<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(err), |current| match current.downcast_ref::<std::io::Error>() {
        Some(io) => io.get_ref().map(|inner| inner as &(dyn std::error::Error + 'static)),
        None => current.source(),
    })
}

/// Why a Lambda function's SDK configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum LambdaSdkError {
    /// A variable the Lambda environment always sets is missing (so this is not running in
    /// Lambda, or the harness forgot it).
    #[error("environment variable {0} is not set (Lambda sets it for every function)")]
    MissingVariable(&'static str),
    #[error(transparent)]
    Https(#[from] HttpsClientError),
}

/// The SDK configuration of a Lambda function, from what Lambda puts in the environment: the
/// region (`AWS_REGION`) and the role's credentials (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_SESSION_TOKEN`), plus `AWS_ENDPOINT_URL` when set (the local tests point it at moto), and
/// [`https_client`].
///
/// Built by hand rather than by `aws-config`'s loader: the loader's default chains (profile
/// files, IMDS, STS for web identity) are never used in Lambda, yet they are code the function
/// would carry and partly run at every cold start. The service clients add the SDK's defaults
/// (standard retries) for the latest behaviour version as usual; timeouts are
/// [`lambda_timeouts`]. Other variables the loader would read (`AWS_MAX_ATTEMPTS`,
/// `AWS_RETRY_MODE`, `AWS_ENDPOINT_URL_<SERVICE>`, FIPS and dual-stack switches) are not, and
/// neither are container credentials (`AWS_CONTAINER_CREDENTIALS_FULL_URI`), which on-demand
/// Lambda does not use.
///
/// # Errors
/// [`LambdaSdkError::MissingVariable`] naming the first of those variables that is missing.
pub fn lambda_sdk_config(roots: TrustRoots) -> Result<SdkConfig, LambdaSdkError> {
    lambda_sdk_config_from(roots, |name| std::env::var(name).ok())
}

fn lambda_sdk_config_from(
    roots: TrustRoots,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<SdkConfig, LambdaSdkError> {
    let value = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
    let required = |name: &'static str| value(name).ok_or(LambdaSdkError::MissingVariable(name));
    let credentials = Credentials::new(
        required("AWS_ACCESS_KEY_ID")?,
        required("AWS_SECRET_ACCESS_KEY")?,
        value("AWS_SESSION_TOKEN"),
        None,
        "lambda-environment",
    );
    let mut config = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .timeout_config(lambda_timeouts())
        .region(Region::new(required("AWS_REGION")?))
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .http_client(https_client(roots)?);
    if let Some(url) = value("AWS_ENDPOINT_URL") {
        config = config.endpoint_url(url);
    }
    Ok(config.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    use names::has_common_name;

    #[test]
    fn the_five_roots_are_mozillas_certificates_with_the_amazon_names() {
        let roots = amazon_roots();

        assert!(webpki_root_certs::TLS_SERVER_ROOT_CERTS.len() > 100, "the full list is much longer");
        for (der, name) in roots.iter().zip(AMAZON_ROOT_NAMES) {
            let cert =
                webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().find(|c| c.as_ref() == *der).expect("from the list");
            let anchor = webpki::anchor_from_trusted_cert(cert).expect("a root certificate");
            assert!(has_common_name(anchor.subject.as_ref(), name), "{name}");
        }
        let mut distinct = roots.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), roots.len(), "five different certificates");
    }

    #[test]
    fn names_match_whole_values_only() {
        // SEQUENCE { SET { SEQUENCE { OID cn, UTF8String "Amazon Root CA 10" } } }
        let value = b"Amazon Root CA 10";
        let mut subject = vec![0x30, 0x00, 0x31, 0x00, 0x30, 0x00, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 17];
        subject.extend_from_slice(value);

        assert!(has_common_name(&subject, "Amazon Root CA 10"));
        assert!(!has_common_name(&subject, "Amazon Root CA 1"));
        assert!(!has_common_name(&subject, "Root CA 10"), "the length byte must match too");
    }

    #[test]
    fn the_pem_bundle_holds_exactly_the_five_der_roots_in_order() {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject as _;

        let from_pem: Vec<CertificateDer<'_>> = CertificateDer::pem_slice_iter(amazon_roots_pem().as_bytes())
            .collect::<Result<_, _>>()
            .expect("the bundle is valid PEM");

        let ders: Vec<&[u8]> = from_pem.iter().map(AsRef::as_ref).collect();
        assert_eq!(ders, amazon_roots());
    }

    #[test]
    fn the_lambda_configuration_comes_from_lambdas_variables() {
        let complete = [
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("AWS_SESSION_TOKEN", "token"),
            ("AWS_REGION", "eu-west-2"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
        ];
        let lookup =
            |vars: &[(&str, &str)], name: &str| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned());

        let config = lambda_sdk_config_from(TrustRoots::Amazon, |n| lookup(&complete, n)).expect("complete");

        assert_eq!(config.region().map(Region::as_ref), Some("eu-west-2"));
        assert_eq!(config.endpoint_url(), Some("http://127.0.0.1:5000"));
        assert!(config.credentials_provider().is_some() && config.http_client().is_some());
        for (i, (name, _)) in complete.iter().enumerate() {
            let mut without = complete.to_vec();
            without.remove(i);
            let result = lambda_sdk_config_from(TrustRoots::Amazon, |n| lookup(&without, n));
            match *name {
                "AWS_SESSION_TOKEN" => assert!(result.is_ok(), "the token is optional"),
                "AWS_ENDPOINT_URL" => assert_eq!(result.expect("optional").endpoint_url(), None),
                required => assert!(
                    matches!(result, Err(LambdaSdkError::MissingVariable(missing)) if missing == required),
                    "{required}"
                ),
            }
        }
    }

    #[test]
    fn certificate_errors_are_found_under_io_errors_and_nothing_else_counts() {
        let untrusted = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let wrapped = std::io::Error::new(std::io::ErrorKind::InvalidData, untrusted);
        #[derive(Debug, thiserror::Error)]
        #[error("dispatch failure")]
        struct Outer(#[source] std::io::Error);

        assert!(is_certificate_error(&Outer(wrapped)));
        let untrusted = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let twice = std::io::Error::other(std::io::Error::new(std::io::ErrorKind::InvalidData, untrusted));
        assert!(is_certificate_error(&Outer(twice)), "two io::Errors deep, as the HTTPS client nests it");
        assert!(!is_certificate_error(&Outer(std::io::Error::from(std::io::ErrorKind::ConnectionRefused))));
    }

    #[test]
    fn tls_roots_values() {
        assert_eq!(TrustRoots::from_value(None), Ok(TrustRoots::Amazon));
        assert_eq!(TrustRoots::from_value(Some(" ")), Ok(TrustRoots::Amazon));
        assert_eq!(TrustRoots::from_value(Some("amazon")), Ok(TrustRoots::Amazon));
        assert_eq!(TrustRoots::from_value(Some("System")), Ok(TrustRoots::System));
        let err = TrustRoots::from_value(Some("mozilla")).expect_err("unknown");
        assert!(err.to_string().contains(TLS_ROOTS_VAR), "{err}");
    }
}
