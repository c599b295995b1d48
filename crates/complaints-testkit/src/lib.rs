//! Test support shared by the AWS adapter and Lambda tests: the moto server that
//! `scripts/lib/moto.sh` starts on 127.0.0.1 and announces in `MOTO_URL`, the environment that
//! points a process of ours at it, and (feature `moto-state`) what moto holds.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;

/// The region the moto-backed tests use (any region works with moto; this one matches samconfig).
pub const MOTO_REGION: &str = "eu-west-2";

/// The moto server's URL, or `None` (after saying why) when no server was started, so a plain
/// `cargo test` still runs everything else.
///
/// # Panics
/// When `CI` is set and `MOTO_URL` is not: in CI a missing emulator is a failure, never a skip.
#[must_use]
pub fn moto_url() -> Option<String> {
    if let Ok(url) = std::env::var("MOTO_URL") {
        return Some(url);
    }
    assert!(std::env::var_os("CI").is_none(), "CI is set but MOTO_URL is not: run the tests through scripts/test");
    eprintln!("MOTO_URL is not set: skipping this moto-backed test (scripts/test-aws starts moto)");
    None
}

/// SDK configuration for the moto server — endpoint, region and dummy credentials — or `None` as
/// for [`moto_url`]. Service clients are built from it as in production (`Client::new(&config)`).
///
/// # Panics
/// As [`moto_url`].
#[must_use]
pub fn moto_sdk_config() -> Option<SdkConfig> {
    moto_url().map(|url| sdk_config_at(&url))
}

/// SDK configuration for a local endpoint at `url` with the test region, dummy credentials and the
/// production HTTPS client (plain HTTP here).
#[must_use]
pub fn sdk_config_at(url: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(complaints_aws::https_client(complaints_aws::TrustRoots::Amazon).expect("the HTTPS client builds"))
        .endpoint_url(url)
        .region(Region::new(MOTO_REGION))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new("test", "test", None, None, "moto")))
        .build()
}

/// The environment that points a process of ours (an admin command, a Lambda bootstrap) at the
/// moto server at `url`: the endpoint, the test region and moto's dummy credentials.
#[must_use]
pub fn moto_process_env(url: &str) -> [(&'static str, String); 4] {
    [
        ("AWS_ENDPOINT_URL", url.to_owned()),
        ("AWS_ACCESS_KEY_ID", "test".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
        ("AWS_REGION", MOTO_REGION.to_owned()),
    ]
}

/// Everything the moto server at `url` holds, as its `/moto-api/data.json` gives it: moto sends
/// no mail, so tests find what SES accepted under `ses` here.
///
/// # Panics
/// When moto does not answer, or not with JSON: the test's set-up failed.
#[cfg(feature = "moto-state")]
pub async fn moto_state(url: &str) -> serde_json::Value {
    let response = complaints_https::client()
        .expect("the HTTP client builds")
        .get(format!("{url}/moto-api/data.json"))
        .send()
        .await
        .expect("moto answers");
    let body = response.bytes().await.expect("moto's data");
    serde_json::from_slice(&body).expect("moto's data is JSON")
}
