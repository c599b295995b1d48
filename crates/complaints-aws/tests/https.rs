//! The HTTPS client against servers on 127.0.0.1: it refuses a certificate that does not chain to
//! a root it trusts (so the five-root store cannot silently become "trust anything"), accepts the
//! same server once trusted, and gives up on a handshake that never ends within the connect
//! timeout.

use std::time::Duration;

use aws_smithy_async::rt::sleep::{SharedAsyncSleep, TokioSleep};
use aws_smithy_async::time::SystemTimeSource;
use aws_smithy_http_client::tls::TrustStore;
use aws_smithy_runtime_api::client::http::{
    HttpClient as _, HttpConnector as _, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponentsBuilder;
use aws_smithy_types::body::SdkBody;
use complaints_aws::{TrustRoots, https_client, https_client_trusting, is_certificate_error};
use complaints_https::test_server::{https_server, plain_server};
use tokio::net::TcpListener;

/// The connector the SDK would use for one request, with these timeouts.
fn connector(client: &SharedHttpClient, connect: Duration) -> SharedHttpConnector {
    let settings =
        HttpConnectorSettings::builder().connect_timeout(connect).read_timeout(Duration::from_secs(2)).build();
    let components = RuntimeComponentsBuilder::for_tests()
        .with_sleep_impl(Some(SharedAsyncSleep::new(TokioSleep::new())))
        .with_time_source(Some(SystemTimeSource::new()))
        .build()
        .expect("runtime components");
    client.http_connector(&settings, &components)
}

async fn get(client: &SharedHttpClient, url: &str, connect: Duration) -> Result<u16, ConnectorError> {
    let request = HttpRequest::try_from(http::Request::get(url).body(SdkBody::empty()).expect("request"))
        .expect("an SDK request");
    let response = connector(client, connect).call(request).await?;
    Ok(response.status().as_u16())
}

#[tokio::test]
async fn a_server_outside_the_amazon_roots_is_refused_and_accepted_once_trusted() {
    let (port, certificate) = https_server().await;
    let url = format!("https://localhost:{port}/");

    let amazon = https_client(TrustRoots::Amazon).expect("client");
    let refused = get(&amazon, &url, Duration::from_secs(2)).await.expect_err("not an Amazon root");

    assert!(is_certificate_error(&refused), "{refused:?}");
    assert!(format!("{refused:?}").contains("UnknownIssuer"), "{refused:?}");
    // The control: the same server, trusted, answers; so the refusal was about trust.
    let trusting =
        https_client_trusting(TrustStore::empty().with_native_roots(false).with_pem_certificate(certificate.pem()))
            .expect("client");
    assert_eq!(get(&trusting, &url, Duration::from_secs(2)).await.expect("trusted"), 200);
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
    let client = https_client(TrustRoots::Amazon).expect("client");

    let err = get(&client, &format!("https://localhost:{port}/"), Duration::from_millis(200))
        .await
        .expect_err("no handshake");

    assert!(err.is_timeout(), "{err:?}");
    assert!(!is_certificate_error(&err), "{err:?}");
}

#[tokio::test]
async fn plain_http_reaches_a_local_endpoint_such_as_moto() {
    let address = plain_server(b"HTTP/1.1 204 No Content\r\n\r\n".to_vec()).await;
    let client = https_client(TrustRoots::Amazon).expect("client");

    let status = get(&client, &format!("http://{address}/"), Duration::from_secs(2)).await.expect("answered");

    assert_eq!(status, 204);
}
