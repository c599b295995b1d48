//! `ObjectStore` on S3: raw inbound mail, attachments and exports, one bucket per store.
//! Against a local endpoint (`AWS_ENDPOINT_URL`, e.g. moto) the client uses path-style URLs, since
//! virtual-host style would need DNS for `<bucket>.localhost`.

use std::path::Path;

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::primitives::ByteStream;
use aws_types::SdkConfig;
use complaints_app::object_store::{ObjectStore, ObjectStoreError};
use complaints_app::object_upload::FileUpload;

mod upload;
pub use upload::{PART_SIZE, UploadError};

/// The environment variable that points the SDK at a local endpoint.
pub const ENDPOINT_ENV: &str = "AWS_ENDPOINT_URL";

/// Objects in one S3 bucket.
#[derive(Debug, Clone)]
pub struct S3ObjectStore {
    client: Client,
    bucket: String,
}

/// Builds the S3 client for `config`, path-style when a local endpoint is configured.
#[must_use]
pub fn s3_client(config: &SdkConfig) -> Client {
    let local = std::env::var_os(ENDPOINT_ENV).is_some_and(|v| !v.is_empty());
    Client::from_conf(s3_config(config, local))
}

fn s3_config(config: &SdkConfig, local_endpoint: bool) -> aws_sdk_s3::Config {
    aws_sdk_s3::config::Builder::from(config).force_path_style(local_endpoint).build()
}

impl S3ObjectStore {
    /// A store on `bucket` through `client` (see [`s3_client`]).
    #[must_use]
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self { client, bucket: bucket.into() }
    }
}

/// Why a body could not be read to the end.
#[derive(Debug, thiserror::Error)]
#[error("could not read the object body")]
pub struct BodyError(#[source] aws_sdk_s3::primitives::ByteStreamError);

fn unavailable<E: std::error::Error + Send + Sync + 'static>(error: E) -> ObjectStoreError {
    ObjectStoreError::Unavailable(Box::new(error))
}

/// One `PutObject` of `bytes` at `key`.
async fn put_bytes(
    store: &S3ObjectStore,
    key: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> Result<(), ObjectStoreError> {
    store
        .client
        .put_object()
        .bucket(&store.bucket)
        .key(key)
        .content_type(content_type)
        .body(ByteStream::from(bytes))
        .send()
        .await
        .map_err(unavailable)?;
    Ok(())
}

#[async_trait]
impl ObjectStore for S3ObjectStore {
    #[tracing::instrument(name = "s3.put", skip_all, fields(bytes = bytes.len()))]
    async fn put(&self, key: &str, content_type: &str, bytes: Vec<u8>) -> Result<(), ObjectStoreError> {
        put_bytes(self, key, content_type, bytes).await
    }

    #[tracing::instrument(name = "s3.get", skip_all)]
    async fn get(&self, key: &str) -> Result<Vec<u8>, ObjectStoreError> {
        let result = self.client.get_object().bucket(&self.bucket).key(key).send().await;
        let out = match result {
            Ok(out) => out,
            Err(SdkError::ServiceError(context)) if matches!(context.err(), GetObjectError::NoSuchKey(_)) => {
                return Err(ObjectStoreError::NotFound);
            }
            Err(other) => return Err(unavailable(other)),
        };
        // Chunk by chunk into one buffer of the object's size: collecting the body and then
        // converting it copied a 40 MB message twice (the segments into one `Bytes`, that into a
        // `Vec`), for a peak of twice the message.
        let expected = out.content_length().and_then(|n| usize::try_from(n).ok()).unwrap_or(0);
        let mut bytes = Vec::with_capacity(expected.min(MAX_PREALLOCATE));
        let mut body = out.body;
        while let Some(chunk) = body.try_next().await.map_err(|e| unavailable(BodyError(e)))? {
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }

    /// One `PutObject` whose body is read from the file as it is sent (a few KiB at a time, and
    /// read again from the start if the request is retried), so an attachment decoded to a
    /// temporary file is never held in memory. A file over S3's single-put limit goes up as a
    /// multipart upload instead ([`FileUpload`]).
    #[tracing::instrument(name = "s3.put_from_file", skip_all, fields(bytes))]
    async fn put_from_file(&self, key: &str, content_type: &str, path: &Path) -> Result<(), ObjectStoreError> {
        let length = tokio::fs::metadata(path).await.map_err(|e| unavailable(UploadError::Read(e)))?.len();
        tracing::Span::current().record("bytes", length);
        if length > MAX_SINGLE_PUT {
            return FileUpload::put_file(self, key, content_type, path).await;
        }
        let body = ByteStream::from_path(path).await.map_err(|e| unavailable(BodyError(e)))?;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .content_length(i64::try_from(length).unwrap_or(i64::MAX))
            .body(body)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

/// S3's limit for one `PutObject` (5 GiB).
const MAX_SINGLE_PUT: u64 = 5 * 1024 * 1024 * 1024;

/// The most a read reserves up front from the object's stated length (SES's 40 MB messages and
/// some headroom); a larger object still reads, growing as it comes.
const MAX_PREALLOCATE: usize = 48 * 1024 * 1024;

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use aws_sdk_s3::config::interceptors::BeforeTransmitInterceptorContextRef;
    use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
    use aws_sdk_s3::error::BoxError;

    use super::*;

    /// Records the URI of each request, then stops it before anything is sent.
    #[derive(Debug, Clone, Default)]
    struct RecordUri(Arc<Mutex<Vec<String>>>);

    impl Intercept for RecordUri {
        fn name(&self) -> &'static str {
            "RecordUri"
        }

        fn read_before_transmit(
            &self,
            context: &BeforeTransmitInterceptorContextRef<'_>,
            _components: &RuntimeComponents,
            _cfg: &mut ConfigBag,
        ) -> Result<(), BoxError> {
            // Without the query, which only names the operation.
            let uri = context.request().uri();
            let without_query = uri.split_once('?').map_or(uri, |(path, _)| path);
            self.0.lock().map_err(|_| "poisoned")?.push(without_query.to_owned());
            Err("stopped by the test before sending".into())
        }
    }

    #[tokio::test]
    async fn a_local_endpoint_gets_path_style_urls_and_aws_gets_virtual_hosts() {
        let base = complaints_testkit::sdk_config_at("http://localhost:9");
        let cases = [(true, "http://localhost:9/exports/a.csv"), (false, "http://exports.localhost:9/a.csv")];
        for (local, expected) in cases {
            let record = RecordUri::default();
            let config = s3_config(&base, local).to_builder().interceptor(record.clone()).build();
            let store = S3ObjectStore::new(Client::from_conf(config), "exports");
            assert!(store.get("a.csv").await.is_err(), "the interceptor stops the request");
            let uris = record.0.lock().expect("uris").clone();
            assert_eq!(uris, [expected], "local endpoint: {local}");
        }
    }
}
