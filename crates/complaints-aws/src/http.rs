//! The SDK's HTTP client: hyper's pooled HTTP/1.1 client over rustls on ring.
//!
//! Why not the SDK's own (`aws-smithy-http-client`)? Even on ring it always carries HTTP/2 (h2),
//! proxy support and a pluggable TLS layer, code a function ships and partly pages in at every
//! cold start although every AWS endpoint we call speaks HTTP/1.1 and no proxy is involved.
//! This is the part we use: one connection pool per timeout setting; the connect timeout around
//! the whole connection set-up (name lookup, TCP and TLS handshake); the read timeout around each
//! response; the connection handed to the SDK so its retry strategy can close one that answered
//! with a server error; and hyper's errors sorted into the kinds that strategy acts on.

use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use aws_smithy_runtime_api::client::connection::{CaptureSmithyConnection, ConnectionMetadata};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::ErrorKind;
use hyper::Uri;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{CaptureConnection, HttpConnector as TcpConnector, capture_connection};
use hyper_util::rt::{TokioExecutor, TokioTimer};

type Pool = Client<ConnectTimeout<HttpsConnector<TcpConnector>>, SdkBody>;
type BoxError = Box<dyn StdError + Send + Sync>;

/// Idle connections are closed after this long; AWS endpoints close theirs after about a minute.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(45);

/// The client handed to the SDK. It makes one pool per distinct (connect, read) timeout pair the
/// SDK asks for (in practice one), so connections are reused across operations and services.
#[derive(Debug, Clone)]
pub(crate) struct Http1Client {
    tls: Arc<rustls::ClientConfig>,
    pools: Arc<Mutex<Vec<(Timeouts, SharedHttpConnector)>>>,
}

type Timeouts = (Option<Duration>, Option<Duration>);

impl Http1Client {
    pub(crate) fn new(tls: rustls::ClientConfig) -> Self {
        Self { tls: Arc::new(tls), pools: Arc::default() }
    }

    fn pool(&self, connect_timeout: Option<Duration>) -> Pool {
        let mut tcp = TcpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config((*self.tls).clone())
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp);
        Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .build(ConnectTimeout { inner: https, limit: connect_timeout })
    }
}

impl HttpClient for Http1Client {
    fn http_connector(&self, settings: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
        let timeouts = (settings.connect_timeout(), settings.read_timeout());
        let mut pools = self.pools.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, connector)) = pools.iter().find(|(t, _)| *t == timeouts) {
            return connector.clone();
        }
        let connector = SharedHttpConnector::new(Connector { pool: self.pool(timeouts.0), read_timeout: timeouts.1 });
        pools.push((timeouts, connector.clone()));
        connector
    }
}

#[derive(Debug)]
struct Connector {
    pool: Pool,
    read_timeout: Option<Duration>,
}

impl HttpConnector for Connector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let mut request = match request.try_into_http1x() {
            Ok(request) => request,
            Err(err) => return HttpConnectorFuture::ready(Err(ConnectorError::user(err.into()))),
        };
        // The SDK asks for the connection after a server error, to close it rather than send the
        // retry down the same one.
        let captured = capture_connection(&mut request);
        if let Some(smithy) = request.extensions().get::<CaptureSmithyConnection>() {
            smithy.set_connection_retriever(move || connection_metadata(&captured));
        }
        let sent = self.pool.request(request);
        let read_timeout = self.read_timeout;
        HttpConnectorFuture::new(async move {
            let response = match read_timeout {
                Some(limit) => tokio::time::timeout(limit, sent)
                    .await
                    .map_err(|_| ConnectorError::timeout(format!("no response within {limit:?}").into()))?,
                None => sent.await,
            }
            .map_err(|err| classify(err.into()))?;
            HttpResponse::try_from(response.map(SdkBody::from_body_1_x))
                .map_err(|err| ConnectorError::other(err.into(), None))
        })
    }
}

/// What the SDK may know of the connection a request went out on: a way to close it.
fn connection_metadata(captured: &CaptureConnection) -> Option<ConnectionMetadata> {
    captured.connection_metadata().as_ref()?;
    let captured = captured.clone();
    Some(
        ConnectionMetadata::builder()
            .proxied(false)
            .poison_fn(move || {
                if let Some(connected) = captured.connection_metadata().as_ref() {
                    connected.poison();
                }
            })
            .build(),
    )
}

/// The connect timeout around the whole set-up of a connection: name lookup, TCP connect and TLS
/// handshake (hyper's own connect timeout covers the TCP connect only).
#[derive(Debug, Clone)]
struct ConnectTimeout<C> {
    inner: C,
    limit: Option<Duration>,
}

/// The connection was not set up within the connect timeout.
#[derive(Debug, thiserror::Error)]
#[error("no connection within {0:?}")]
struct ConnectTimedOut(Duration);

impl<C> tower::Service<Uri> for ConnectTimeout<C>
where
    C: tower::Service<Uri>,
    C::Future: Send + 'static,
    C::Error: Into<BoxError>,
{
    type Response = C::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<C::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let connecting = self.inner.call(uri);
        let limit = self.limit;
        Box::pin(async move {
            match limit {
                Some(limit) => match tokio::time::timeout(limit, connecting).await {
                    Ok(result) => result.map_err(Into::into),
                    Err(_) => Err(ConnectTimedOut(limit).into()),
                },
                None => connecting.await.map_err(Into::into),
            }
        })
    }
}

/// Sorts a failed request into what the SDK's retry strategy needs to know: could not connect or
/// the connection broke (I/O, retried), took too long (timeout, retried), our own mistake (user,
/// not retried), or anything else.
fn classify(err: BoxError) -> ConnectorError {
    if find::<ConnectTimedOut>(err.as_ref()).is_some() {
        return ConnectorError::timeout(err);
    }
    if let Some(client_error) = find::<hyper_util::client::legacy::Error>(err.as_ref())
        && client_error.is_connect()
    {
        return ConnectorError::io(err);
    }
    if let Some(hyper_error) = find::<hyper::Error>(err.as_ref()) {
        if hyper_error.is_timeout() {
            return ConnectorError::timeout(err);
        }
        if hyper_error.is_user() {
            return ConnectorError::user(err);
        }
        if hyper_error.is_closed() || hyper_error.is_canceled() {
            return ConnectorError::io(err);
        }
        if hyper_error.is_incomplete_message() {
            return ConnectorError::other(err, Some(ErrorKind::TransientError));
        }
    }
    if find::<std::io::Error>(err.as_ref()).is_some() {
        return ConnectorError::io(err);
    }
    ConnectorError::other(err, None)
}

/// The first error of type `E` in `err`'s chain of sources.
fn find<'a, E: StdError + 'static>(err: &'a (dyn StdError + 'static)) -> Option<&'a E> {
    crate::sources(err).find_map(|current| current.downcast_ref::<E>())
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt as _;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::TcpListener;

    use super::*;

    fn connector(read_timeout: Duration) -> Connector {
        connector_trusting(crate::amazon_root_store(), read_timeout)
    }

    fn connector_trusting(roots: rustls::RootCertStore, read_timeout: Duration) -> Connector {
        let client = Http1Client::new(crate::tls_config(roots));
        Connector { pool: client.pool(Some(Duration::from_secs(2))), read_timeout: Some(read_timeout) }
    }

    fn get(address: std::net::SocketAddr) -> HttpRequest {
        get_url(&format!("http://{address}/ping"))
    }

    fn get_url(url: &str) -> HttpRequest {
        let request = ::http::Request::get(url).body(SdkBody::empty()).expect("request");
        HttpRequest::try_from(request).expect("an SDK request")
    }

    /// An HTTPS server on 127.0.0.1 with a self-signed certificate for `localhost`, answering
    /// every request with 200; returns its port and the certificate.
    async fn https_server() -> (u16, rustls::pki_types::CertificateDer<'static>) {
        let key = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("a certificate");
        let cert = key.cert.der().clone();
        let private = rustls::pki_types::PrivateKeyDer::Pkcs8(key.signing_key.serialize_der().into());
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_no_client_auth()
            .with_single_cert(vec![cert.clone()], private)
            .expect("server config");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    // A client that does not trust the certificate hangs up during the handshake.
                    let Ok(mut tls) = acceptor.accept(socket).await else { return };
                    let mut buffer = [0_u8; 1024];
                    let _ = tls.read(&mut buffer).await;
                    let _ = tls.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").await;
                    let _ = tls.shutdown().await;
                });
            }
        });
        (port, cert)
    }

    #[tokio::test]
    async fn an_https_server_that_does_not_chain_to_an_amazon_root_is_refused() {
        let (port, cert) = https_server().await;
        let url = format!("https://localhost:{port}/");

        let refused = connector(Duration::from_secs(2)).call(get_url(&url)).await.expect_err("not an Amazon root");

        let chain = format!("{refused:?}");
        assert!(chain.contains("UnknownIssuer"), "{chain}");
        // The control: the same server, trusted, answers; so the refusal was about trust.
        let mut trusting = rustls::RootCertStore::empty();
        trusting.add(cert).expect("the test certificate");
        let response = connector_trusting(trusting, Duration::from_secs(2)).call(get_url(&url)).await.expect("trusted");
        assert_eq!(response.status().as_u16(), 200);
    }

    /// A server on 127.0.0.1 that reads one request and answers with `answer` (or nothing).
    async fn server(answer: Option<&'static [u8]>) -> std::net::SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.expect("accept");
            let mut buffer = [0_u8; 1024];
            let _ = socket.read(&mut buffer).await;
            match answer {
                Some(bytes) => socket.write_all(bytes).await.expect("write"),
                None => tokio::time::sleep(Duration::from_secs(5)).await,
            }
        });
        address
    }

    #[tokio::test]
    async fn a_response_comes_back_with_its_status_and_body() {
        let address = server(Some(b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\npong")).await;

        let response = connector(Duration::from_secs(2)).call(get(address)).await.expect("a response");

        assert_eq!(response.status().as_u16(), 200);
        let body = response.into_body().collect().await.expect("body").to_bytes();
        assert_eq!(&body[..], b"pong");
    }

    #[tokio::test]
    async fn a_refused_connection_is_io_so_the_sdk_retries_it() {
        let address = TcpListener::bind("127.0.0.1:0").await.expect("bind").local_addr().expect("address");
        // The listener is dropped: nothing listens there now.

        let err = connector(Duration::from_secs(2)).call(get(address)).await.expect_err("refused");

        assert!(err.is_io(), "{err:?}");
    }

    #[tokio::test]
    async fn a_server_that_never_answers_is_a_timeout() {
        let address = server(None).await;

        let err = connector(Duration::from_millis(200)).call(get(address)).await.expect_err("no answer");

        assert!(err.is_timeout(), "{err:?}");
    }

    #[tokio::test]
    async fn a_server_that_never_finishes_the_tls_handshake_is_a_connect_timeout() {
        // Accepts the TCP connection, then says nothing: the TLS handshake never completes.
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        tokio::spawn(async move {
            let (_socket, _) = listener.accept().await.expect("accept");
            tokio::time::sleep(Duration::from_secs(5)).await;
        });
        let client = Http1Client::new(crate::tls_config(crate::amazon_root_store()));
        let connector = Connector { pool: client.pool(Some(Duration::from_millis(200))), read_timeout: None };

        let err = connector.call(get_url(&format!("https://localhost:{port}/"))).await.expect_err("no handshake");

        assert!(err.is_timeout(), "{err:?}");
    }

    #[tokio::test]
    async fn the_sdk_can_close_the_connection_a_response_came_on() {
        let address = server(Some(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n")).await;
        let mut request = get(address);
        let capture = CaptureSmithyConnection::new();
        request.add_extension(capture.clone());

        let response = connector(Duration::from_secs(2)).call(request).await.expect("a response");

        assert_eq!(response.status().as_u16(), 503);
        let connection = capture.get().expect("the connection is known");
        connection.poison();
    }

    #[test]
    fn io_errors_anywhere_in_the_chain_are_retryable_io() {
        #[derive(Debug, thiserror::Error)]
        #[error("wrapped")]
        struct Wrapped(#[source] std::io::Error);

        let err = classify(Box::new(Wrapped(std::io::Error::from(std::io::ErrorKind::ConnectionReset))));

        assert!(err.is_io(), "{err:?}");
    }

    #[test]
    fn anything_else_is_other() {
        let err = classify("something odd".into());

        assert!(err.is_other(), "{err:?}");
    }
}
