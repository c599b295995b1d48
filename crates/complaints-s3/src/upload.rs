//! [`FileUpload`] on S3: a file of at most one part goes up in one `PutObject`; a larger one as a
//! multipart upload of [`PART_SIZE`] parts read from the file one at a time, so memory holds one
//! part whatever the file's length. A failure after the upload was created aborts it, so no
//! unfinished parts are left in the bucket (nor billed).

use std::path::Path;

use async_trait::async_trait;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use complaints_app::object_store::ObjectStoreError;
use complaints_app::object_upload::FileUpload;
use tokio::io::AsyncReadExt;

use crate::{S3ObjectStore, unavailable};

/// Bytes per part: S3 requires at least 5 MiB for every part but the last; 8 MiB keeps the
/// number of requests low with a small buffer (a 10,000-part upload could hold 80 GB).
pub const PART_SIZE: usize = 8 * 1024 * 1024;

/// Why a multipart upload could not be finished.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("could not read the file to upload")]
    Read(#[source] std::io::Error),
    #[error("S3 did not return an upload id")]
    NoUploadId,
}

/// Reads up to `buffer.len()` bytes, stopping short only at the end of the file.
async fn read_part(file: &mut tokio::fs::File, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        let read = file.read(&mut buffer[filled..]).await?;
        if read == 0 {
            break;
        }
        filled += read;
    }
    Ok(filled)
}

impl S3ObjectStore {
    /// The parts of a created multipart upload, then its completion.
    async fn upload_parts(
        &self,
        key: &str,
        upload_id: &str,
        file: &mut tokio::fs::File,
        buffer: &mut Vec<u8>,
    ) -> Result<(), ObjectStoreError> {
        let mut parts = Vec::new();
        let mut number = 0;
        loop {
            buffer.resize(PART_SIZE, 0);
            let filled = read_part(file, buffer).await.map_err(|e| unavailable(UploadError::Read(e)))?;
            if filled == 0 && number > 0 {
                break;
            }
            buffer.truncate(filled);
            number += 1;
            let out = self
                .client
                .upload_part()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(upload_id)
                .part_number(number)
                .body(ByteStream::from(std::mem::take(buffer)))
                .send()
                .await
                .map_err(unavailable)?;
            parts.push(CompletedPart::builder().part_number(number).set_e_tag(out.e_tag).build());
            if filled < PART_SIZE {
                break;
            }
        }
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

#[async_trait]
impl FileUpload for S3ObjectStore {
    #[tracing::instrument(name = "s3.put_file", skip_all, fields(bytes))]
    async fn put_file(&self, key: &str, content_type: &str, path: &Path) -> Result<(), ObjectStoreError> {
        let read = |e| unavailable(UploadError::Read(e));
        let mut file = tokio::fs::File::open(path).await.map_err(read)?;
        let length = file.metadata().await.map_err(read)?.len();
        tracing::Span::current().record("bytes", length);
        if length <= PART_SIZE as u64 {
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).await.map_err(read)?;
            return crate::put_bytes(self, key, content_type, bytes).await;
        }
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .send()
            .await
            .map_err(unavailable)?;
        let upload_id = created.upload_id.ok_or_else(|| unavailable(UploadError::NoUploadId))?;
        let mut buffer = Vec::with_capacity(PART_SIZE);
        let result = self.upload_parts(key, &upload_id, &mut file, &mut buffer).await;
        if result.is_err() {
            // Leave no parts behind; if the abort fails too, the bucket's lifecycle rule for
            // incomplete uploads removes them, and the upload's own error is the one reported.
            let aborted =
                self.client.abort_multipart_upload().bucket(&self.bucket).key(key).upload_id(&upload_id).send().await;
            if let Err(error) = aborted {
                tracing::warn!(error = %error, "could not abort the multipart upload");
            }
        }
        result
    }
}
