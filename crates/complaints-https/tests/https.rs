//! The client against servers on 127.0.0.1: a certificate that does not chain to a public web
//! root is refused (so the client cannot silently become "trust anything"), the same server is
//! reached once its certificate is trusted, plain HTTP reaches a local stand-in, and a body over
//! the limit is not read whole.

use complaints_https::test_server::{self, https_server};
use complaints_https::{ReadError, client, client_builder_trusting, read_limited};

/// A plain HTTP server on 127.0.0.1 answering once with `body` (no `Content-Length`: the body
/// ends when the connection closes).
async fn plain_server(body: Vec<u8>) -> String {
    let answer = [b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n".as_slice(), &body].concat();
    format!("http://{}/", test_server::plain_server(answer).await)
}

#[tokio::test]
async fn a_server_outside_the_public_roots_is_refused_and_reached_once_trusted() {
    let (port, certificate) = https_server().await;
    let url = format!("https://localhost:{port}/");

    let refused = client().expect("client").get(&url).send().await.expect_err("not a public root");

    assert!(refused.is_connect(), "{refused:?}");
    assert!(format!("{refused:?}").contains("UnknownIssuer"), "{refused:?}");
    // The control: the same server, trusted, answers; so the refusal was about trust.
    let mut roots = rustls::RootCertStore::empty();
    roots.add(certificate.der().clone()).expect("a root");
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
