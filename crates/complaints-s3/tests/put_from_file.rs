//! `ObjectStore::put_from_file` on S3 against a moto server (`MOTO_URL`): an attachment decoded
//! to a temporary file goes up streamed from the file and reads back byte for byte, with its
//! content type; a missing file is an error, not an empty object.

use std::io::Write;

use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use complaints_app::object_store::{ObjectStore, ObjectStoreError};
use complaints_s3::{S3ObjectStore, s3_client};

async fn fresh_store() -> Option<(aws_sdk_s3::Client, String, S3ObjectStore)> {
    let client = s3_client(&complaints_testkit::moto_sdk_config()?);
    let bucket = format!("from-file-{}", uuid::Uuid::new_v4().simple());
    let location = CreateBucketConfiguration::builder().location_constraint(BucketLocationConstraint::EuWest2).build();
    client.create_bucket().bucket(&bucket).create_bucket_configuration(location).send().await.expect("create bucket");
    Some((client.clone(), bucket.clone(), S3ObjectStore::new(client, bucket)))
}

#[tokio::test]
async fn a_file_is_stored_streamed_and_reads_back_byte_for_byte_with_its_content_type() {
    let Some((client, bucket, store)) = fresh_store().await else { return };
    // Over one read buffer of the SDK's file body, with content that differs along its length.
    let bytes: Vec<u8> = (0..300_000u32).map(|i| u8::try_from((i / 3 + i / 4096) % 251).expect("fits")).collect();
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(&bytes).expect("write");
    file.flush().expect("flush");
    let key = "mail/attachments/abc";
    store.put_from_file(key, "image/jpeg", file.path()).await.expect("put from file");
    assert_eq!(store.get(key).await.expect("get"), bytes);
    let head = client.head_object().bucket(&bucket).key(key).send().await.expect("head");
    assert_eq!(head.content_type(), Some("image/jpeg"));
    assert_eq!(head.content_length(), Some(300_000));
}

#[tokio::test]
async fn a_missing_file_is_an_error_and_stores_nothing() {
    let Some((_, _, store)) = fresh_store().await else { return };
    let dir = tempfile::tempdir().expect("dir");
    let missing = dir.path().join("gone");
    assert!(matches!(
        store.put_from_file("mail/attachments/gone", "image/jpeg", &missing).await,
        Err(ObjectStoreError::Unavailable(_))
    ));
    assert!(matches!(store.get("mail/attachments/gone").await, Err(ObjectStoreError::NotFound)));
}
