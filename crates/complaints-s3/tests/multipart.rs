//! `FileUpload` on S3 against a moto server (`MOTO_URL`): a file larger than a part goes up as a
//! multipart upload and reads back byte for byte; a part that fails aborts the upload, leaving no
//! object and no unfinished upload behind.

use std::io::Write;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_s3::error::BoxError;
use complaints_app::object_store::{ObjectStore, ObjectStoreError};
use complaints_app::object_upload::FileUpload;
use complaints_s3::{PART_SIZE, S3ObjectStore};

/// Stops every request for the given part number before it is sent, as a network failure would.
#[derive(Debug, Clone)]
struct FailPart(u32);

impl Intercept for FailPart {
    fn name(&self) -> &'static str {
        "FailPart"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let uri = context.request().uri();
        if uri.contains(&format!("partNumber={}&", self.0)) || uri.ends_with(&format!("partNumber={}", self.0)) {
            return Err("the test fails this part".into());
        }
        Ok(())
    }
}

/// A client on moto (path-style), with `interceptor` if given, and a fresh bucket.
async fn bucket(interceptor: Option<FailPart>) -> Option<(Client, String)> {
    let sdk = complaints_testkit::moto_sdk_config()?;
    let mut config = aws_sdk_s3::config::Builder::from(&sdk).force_path_style(true);
    if let Some(interceptor) = interceptor {
        config = config.interceptor(interceptor);
    }
    let client = Client::from_conf(config.build());
    let name = format!("upload-{}", uuid::Uuid::new_v4().simple());
    let location = aws_sdk_s3::types::CreateBucketConfiguration::builder()
        .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(complaints_testkit::MOTO_REGION))
        .build();
    client.create_bucket().bucket(&name).create_bucket_configuration(location).send().await.expect("bucket");
    Some((client, name))
}

/// A file of `length` bytes whose content differs at every position of a part, so a part out
/// of order or repeated would not read back the same.
fn file_of(length: usize) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    let bytes: Vec<u8> = (0..length).map(|i| u8::try_from((i / 7 + i / 4096) % 251).expect("fits")).collect();
    file.write_all(&bytes).expect("write");
    file.flush().expect("flush");
    file
}

async fn unfinished_uploads(client: &Client, bucket: &str) -> usize {
    let out = client.list_multipart_uploads().bucket(bucket).send().await.expect("list uploads");
    out.uploads().len()
}

#[tokio::test]
async fn a_file_of_several_parts_goes_up_in_parts_and_reads_back_the_same() {
    let Some((client, name)) = bucket(None).await else { return };
    let store = S3ObjectStore::new(client.clone(), name.clone());
    let length = 2 * PART_SIZE + 12_345;
    let file = file_of(length);
    store.put_file("exports/2026-27/Q2/cases.csv", "text/csv; charset=utf-8", file.path()).await.expect("upload");
    let stored = store.get("exports/2026-27/Q2/cases.csv").await.expect("stored");
    assert_eq!(stored.len(), length);
    assert!(stored == std::fs::read(file.path()).expect("read back"), "the object is the file");
    let head = client.head_object().bucket(&name).key("exports/2026-27/Q2/cases.csv").send().await.expect("head");
    assert_eq!(head.content_type(), Some("text/csv; charset=utf-8"));
    // A multipart object's ETag ends with the number of its parts.
    assert!(head.e_tag().is_some_and(|tag| tag.trim_matches('"').ends_with("-3")), "{:?}", head.e_tag());
    assert_eq!(unfinished_uploads(&client, &name).await, 0);
}

#[tokio::test]
async fn a_small_file_and_an_empty_one_go_up_in_one_put() {
    let Some((client, name)) = bucket(None).await else { return };
    let store = S3ObjectStore::new(client.clone(), name.clone());
    for length in [0, 1_000] {
        let file = file_of(length);
        store.put_file("small.csv", "text/csv", file.path()).await.expect("upload");
        assert_eq!(store.get("small.csv").await.expect("stored"), std::fs::read(file.path()).expect("read"));
        let head = client.head_object().bucket(&name).key("small.csv").send().await.expect("head");
        assert!(head.e_tag().is_some_and(|tag| !tag.contains('-')), "one put, not multipart: {:?}", head.e_tag());
    }
}

#[tokio::test]
async fn a_failed_part_aborts_the_upload_and_leaves_nothing_behind() {
    let Some((client, name)) = bucket(Some(FailPart(2))).await else { return };
    let store = S3ObjectStore::new(client.clone(), name.clone());
    let file = file_of(2 * PART_SIZE + 1);
    let failed = store.put_file("exports/cases.csv", "text/csv", file.path()).await;
    assert!(matches!(failed, Err(ObjectStoreError::Unavailable(_))), "{failed:?}");
    assert!(matches!(store.get("exports/cases.csv").await, Err(ObjectStoreError::NotFound)));
    assert_eq!(unfinished_uploads(&client, &name).await, 0, "the upload was aborted");
}

#[tokio::test]
async fn a_missing_file_is_an_error_before_anything_is_sent() {
    let Some((client, name)) = bucket(None).await else { return };
    let store = S3ObjectStore::new(client.clone(), name.clone());
    let gone = std::env::temp_dir().join(format!("missing-{}", uuid::Uuid::new_v4().simple()));
    assert!(store.put_file("x.csv", "text/csv", &gone).await.is_err());
    assert_eq!(unfinished_uploads(&client, &name).await, 0);
}
