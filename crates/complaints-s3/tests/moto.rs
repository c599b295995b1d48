//! The S3 object store against a moto server (`scripts/test-aws` starts one and sets `MOTO_URL`).
//! Each test makes its own bucket, so they run in parallel.

use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use complaints_app::object_store::{ObjectStore, ObjectStoreError};
use complaints_s3::{S3ObjectStore, s3_client};

/// A client for the moto server built the way production builds it (path-style because an
/// endpoint is set), or `None` when no server was started. Under CI that is a failure.
fn moto_client() -> Option<aws_sdk_s3::Client> {
    Some(s3_client(&complaints_testkit::moto_sdk_config()?))
}

async fn fresh_store() -> Option<(aws_sdk_s3::Client, String, S3ObjectStore)> {
    let client = moto_client()?;
    let bucket = format!("complaints-{}", uuid::Uuid::new_v4().simple());
    let location = CreateBucketConfiguration::builder().location_constraint(BucketLocationConstraint::EuWest2).build();
    client.create_bucket().bucket(&bucket).create_bucket_configuration(location).send().await.expect("create bucket");
    Some((client.clone(), bucket.clone(), S3ObjectStore::new(client, bucket)))
}

#[tokio::test]
async fn an_object_reads_back_as_written_with_its_content_type() {
    let Some((client, bucket, store)) = fresh_store().await else { return };
    let key = "raw-mail/2026/11/25/abc.eml";
    let body = b"From: a@example.org\r\nSubject: bins\r\n\r\nNot collected.\r\n".to_vec();
    store.put(key, "message/rfc822", body.clone()).await.expect("put");
    assert_eq!(store.get(key).await.expect("get"), body);
    let head = client.head_object().bucket(&bucket).key(key).send().await.expect("head");
    assert_eq!(head.content_type(), Some("message/rfc822"));
}

#[tokio::test]
async fn putting_again_replaces_the_object() {
    let Some((_, _, store)) = fresh_store().await else { return };
    let key = "exports/2026-Q3/report.html";
    store.put(key, "text/html", b"<p>first</p>".to_vec()).await.expect("first put");
    store.put(key, "text/html", b"<p>second</p>".to_vec()).await.expect("second put");
    assert_eq!(store.get(key).await.expect("get"), b"<p>second</p>");
}

#[tokio::test]
async fn a_missing_key_is_not_found_and_a_missing_bucket_is_unavailable() {
    let Some((client, _, store)) = fresh_store().await else { return };
    assert!(matches!(store.get("exports/none.csv").await, Err(ObjectStoreError::NotFound)));
    let nowhere = S3ObjectStore::new(client, format!("missing-{}", uuid::Uuid::new_v4().simple()));
    assert!(matches!(nowhere.put("a.txt", "text/plain", b"x".to_vec()).await, Err(ObjectStoreError::Unavailable(_))));
}
