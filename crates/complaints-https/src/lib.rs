//! The one HTTPS client builder for hosts that are not AWS: the platforms' send APIs and media
//! (complaints-social), Cognito's token endpoint and keys (complaints-workspace), and the test and
//! benchmark clients. AWS itself is reached through the SDK's client in `complaints-aws`.
//!
//! reqwest with its `rustls-no-provider` feature, given a ready [`rustls::ClientConfig`] on the
//! ring provider (the one TLS stack; reqwest's `rustls` feature would link aws-lc-rs as well)
//! trusting Mozilla's public web roots from `webpki-root-certs` only: no system trust store is
//! read, so a cold start does not parse one. Because the feature is unified across a build, a
//! `reqwest::Client` built any other way (`Client::new()`, `reqwest::get`) finds no crypto provider
//! and panics: build every client, in tests too, from [`client_builder`].
//!
//! Plain `http://` is for a stand-in on this machine only: [`allowed_base`] says which URLs a
//! caller may send a token to.

use std::sync::Arc;
use std::time::Duration;

pub use reqwest;

#[cfg(feature = "test-server")]
pub mod test_server;

/// How long a TCP connection may take to open: a host that does not answer in this time is
/// treated as down (the callers retry later).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Why a client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum HttpsError {
    #[error("cannot set up TLS for the HTTPS client")]
    Tls(#[source] rustls::Error),
    #[error("cannot build the HTTPS client")]
    Client(#[source] reqwest::Error),
}

/// A reqwest builder on rustls with ring, trusting the public web roots, with
/// [`CONNECT_TIMEOUT`]. Redirects follow reqwest's default; callers that send tokens turn them off.
///
/// # Errors
/// [`HttpsError::Tls`] when rustls refuses the configuration (ring lacks the protocol versions).
pub fn client_builder() -> Result<reqwest::ClientBuilder, HttpsError> {
    let mut roots = rustls::RootCertStore::empty();
    for der in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
        // A root rustls cannot parse is skipped, as every client does.
        let _ = roots.add(der.clone());
    }
    client_builder_trusting(roots)
}

/// As [`client_builder`], trusting `roots` instead of the public web roots (tests with a local
/// TLS server and a certificate of their own).
///
/// # Errors
/// [`HttpsError::Tls`].
pub fn client_builder_trusting(roots: rustls::RootCertStore) -> Result<reqwest::ClientBuilder, HttpsError> {
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(HttpsError::Tls)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(reqwest::Client::builder().tls_backend_preconfigured(tls).connect_timeout(CONNECT_TIMEOUT))
}

/// A client from [`client_builder`] that follows no redirect, for callers that send a token or a
/// secret (the platforms' send APIs, Cognito's token endpoint): a redirect could carry it to
/// another host, so a 3xx comes back to the caller as it is.
///
/// # Errors
/// [`HttpsError`].
pub fn client_without_redirects() -> Result<reqwest::Client, HttpsError> {
    client_builder()?.redirect(reqwest::redirect::Policy::none()).build().map_err(HttpsError::Client)
}

/// A client from [`client_builder`] with nothing else set (tests, benchmarks).
///
/// # Errors
/// [`HttpsError`].
pub fn client() -> Result<reqwest::Client, HttpsError> {
    client_builder()?.build().map_err(HttpsError::Client)
}

/// True for `https://…`, and for `http://` to a loopback address (127.0.0.0/8, `[::1]`,
/// `localhost`), where tests and benchmarks run their stand-ins, so a token is never sent in clear
/// by a misconfiguration.
#[must_use]
pub fn allowed_base(base: &str) -> bool {
    if base.starts_with("https://") {
        return true;
    }
    let Some(rest) = base.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return false;
    }
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(host, _)| host),
    };
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Why a body was not read whole.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("the answer is over {0} bytes")]
    TooLarge(usize),
    #[error("the answer could not be read")]
    Failed(#[source] reqwest::Error),
}

/// Reads at most `limit` bytes of `response`'s body: a larger one (by its `Content-Length` or as
/// it arrives) is [`ReadError::TooLarge`], so a platform or a forged URL cannot make us hold more.
///
/// # Errors
/// [`ReadError`].
pub async fn read_limited(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, ReadError> {
    if response.content_length().is_some_and(|length| length > limit as u64) {
        return Err(ReadError::TooLarge(limit));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(ReadError::Failed)? {
        if body.len() + chunk.len() > limit {
            return Err(ReadError::TooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_allowed_only_to_loopback() {
        for ok in [
            "https://graph.facebook.com",
            "http://127.0.0.1:9",
            "http://127.8.0.1",
            "http://[::1]:80",
            "http://localhost:3000/x",
        ] {
            assert!(allowed_base(ok), "{ok}");
        }
        for refused in [
            "http://graph.facebook.com",
            "http://10.0.0.1",
            "http://127.0.0.1.example.org",
            "http://localhost.example.org",
            "http://127.0.0.1@evil.example",
            "ftp://127.0.0.1",
            "graph.facebook.com",
        ] {
            assert!(!allowed_base(refused), "{refused}");
        }
    }
}
