//! Servers on 127.0.0.1 for the tests of our HTTPS clients (feature `test-server`, a
//! dev-dependency only). The HTTPS one's certificate, for `localhost`, is self-signed, so no
//! public or Amazon root vouches for it: a test shows a client refusing it, then the same server
//! reached by a client that trusts the certificate, so the refusal was about trust. The plain
//! HTTP one stands for a local endpoint (moto, a platform's stand-in).

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

/// Starts the server, answering every request with `200` and the body `ok`; returns its port
/// and its certificate (`.der()` for a rustls root store, `.pem()` for the SDK's trust store).
///
/// # Panics
/// When the certificate, the TLS configuration or the listener cannot be made: the test's set-up
/// failed.
pub async fn https_server() -> (u16, rcgen::Certificate) {
    let key = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("a certificate");
    let private = rustls::pki_types::PrivateKeyDer::Pkcs8(key.signing_key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![key.cert.der().clone()], private)
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
                let _ = tls.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (port, key.cert)
}

/// Starts a plain HTTP server that answers one request with `answer` (status line, headers and
/// body as they go on the wire) and then closes the connection; returns its address.
///
/// # Panics
/// When the listener cannot be made.
pub async fn plain_server(answer: Vec<u8>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let Ok((mut socket, _)) = listener.accept().await else { return };
        let mut buffer = [0_u8; 1024];
        let _ = socket.read(&mut buffer).await;
        let _ = socket.write_all(&answer).await;
        let _ = socket.shutdown().await;
    });
    address
}
