//! The client against servers on 127.0.0.1: a certificate that does not chain to a public web
//! root is refused (so the client cannot silently become "trust anything"), the same server is
//! reached once its certificate is trusted, plain HTTP reaches a local stand-in, and a body over
//! the limit is not read whole.

use std::sync::Arc;

use complaints_https::{ReadError, client, client_builder_trusting, read_limited};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

/// An HTTPS server on 127.0.0.1 with a self-signed certificate for `localhost`, answering every
/// request with 200; returns its port and the certificate.
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
                let _ = tls.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (port, cert)
}

/// A plain HTTP server on 127.0.0.1 answering once with `body` (no `Content-Length`: the body
/// ends when the connection closes).
async fn plain_server(body: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.expect("accept");
        let mut buffer = [0_u8; 1024];
        let _ = socket.read(&mut buffer).await;
        let _ = socket.write_all(b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n").await;
        let _ = socket.write_all(&body).await;
        let _ = socket.shutdown().await;
    });
    format!("http://{address}/")
}

#[tokio::test]
async fn a_server_outside_the_public_roots_is_refused_and_reached_once_trusted() {
    let (port, cert) = https_server().await;
    let url = format!("https://localhost:{port}/");

    let refused = client().expect("client").get(&url).send().await.expect_err("not a public root");

    assert!(refused.is_connect(), "{refused:?}");
    assert!(format!("{refused:?}").contains("UnknownIssuer"), "{refused:?}");
    // The control: the same server, trusted, answers; so the refusal was about trust.
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).expect("a root");
    let trusting = client_builder_trusting(roots).expect("builder").build().expect("client");
    let answer = trusting.get(&url).send().await.expect("trusted");
    assert_eq!(answer.status().as_u16(), 200);
    assert_eq!(read_limited(answer, 16).await.expect("body"), b"ok");
}

#[tokio::test]
async fn plain_http_reaches_a_local_stand_in_and_a_body_over_the_limit_is_not_read_whole() {
    let small = plain_server(b"hello".to_vec()).await;
    let answer = client().expect("client").get(&small).send().await.expect("answered");
    assert_eq!(read_limited(answer, 5).await.expect("within the limit"), b"hello");

    let large = plain_server(vec![b'x'; 64 * 1024]).await;
    let answer = client().expect("client").get(&large).send().await.expect("answered");
    assert!(matches!(read_limited(answer, 1024).await, Err(ReadError::TooLarge(1024))));
}
