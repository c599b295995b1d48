//! Test support shared by the AWS adapter and Lambda tests: the moto server that
//! `scripts/lib/moto.sh` starts on 127.0.0.1 and announces in `MOTO_URL`.

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
