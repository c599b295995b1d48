//! Publishing an export: `publish` (cases.csv in memory, as the CLI's object path does) and
//! `publish_streamed` (cases.csv from a file, as the quarterly-export function does through S3's
//! multipart upload) store the same objects under the same keys.

use std::path::Path;

use async_trait::async_trait;
use complaints_app::export::{export_period, publish, publish_streamed};
use complaints_app::memory_objects::MemoryObjectStore;
use complaints_app::object_store::{ObjectStore, ObjectStoreError};
use complaints_app::object_upload::FileUpload;
use complaints_app::testing::MemoryCaseStore;
use complaints_core::indicators::Period;

mod export_support;

/// A file upload into the memory store: reads the file as the S3 upload does, part by part
/// being the S3 adapter's business (tested on moto in complaints-s3).
struct MemoryUpload<'a>(&'a MemoryObjectStore);

#[async_trait]
impl FileUpload for MemoryUpload<'_> {
    async fn put_file(&self, key: &str, content_type: &str, path: &Path) -> Result<(), ObjectStoreError> {
        let bytes = std::fs::read(path).map_err(|error| ObjectStoreError::Unavailable(Box::new(error)))?;
        self.0.put(key, content_type, bytes).await
    }
}

#[tokio::test]
async fn the_streamed_publish_stores_the_same_objects_as_the_in_memory_one() {
    let store = MemoryCaseStore::new();
    let options = export_support::three_complaints_in_q2(&store).await;
    let period = Period::parse("2026-27-Q2").expect("period");

    // In memory.
    let (finished, cases_csv) =
        export_period(&store, period, Vec::new(), &[], Vec::new(), &options).await.expect("exported");
    let in_memory = MemoryObjectStore::new();
    let keys = publish(&in_memory, period, &finished, cases_csv.clone()).await.expect("published");

    // Streamed from a file.
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("cases.csv");
    let file = std::fs::File::create(&path).expect("file");
    let (finished_too, file) =
        export_period(&store, period, file, &[], Vec::new(), &options).await.expect("exported again");
    drop(file);
    let streamed = MemoryObjectStore::new();
    let streamed_keys = publish_streamed(&streamed, &MemoryUpload(&streamed), period, &finished_too, &path)
        .await
        .expect("published streamed");

    assert_eq!(keys, streamed_keys, "the same keys");
    assert!(keys.iter().any(|key| key.ends_with("cases.csv")), "{keys:?}");
    for key in &keys {
        assert_eq!(in_memory.bytes(key), streamed.bytes(key), "{key} differs");
    }
    let csv = String::from_utf8(streamed.bytes(&keys[0]).expect("cases.csv stored")).expect("utf-8");
    assert_eq!(csv.lines().count(), 4, "a header and the three cases: {csv}");
}
