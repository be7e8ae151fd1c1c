//! Uploads of a bundle: once per content digest, in one request up to [`PART_SIZE`] or in parts
//! of that size, a few in flight, each with its SHA-256 checksum.

use std::io::Read;
use std::path::{Path, PathBuf};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart};
use baton_core::ports::{ContentLocation, PortError, PortResult};
use futures_util::{StreamExt, TryStreamExt};
use sha2::{Digest, Sha256};

use super::{PART_SIZE, PARTS_IN_FLIGHT, S3ArtifactStore, b64, invalid};
use crate::sdk::port_error;

impl S3ArtifactStore {
    /// Uploads the bundle under its content key unless it is there already; its version id.
    pub(super) async fn upload_bundle(&self, pipeline: &str, file: &Path, digest: &str, size: u64) -> PortResult<ContentLocation> {
        let key = self.key(&format!("{pipeline}/blobs/{}.zip", digest.trim_start_matches("sha256:")));
        let existing = self.client.head_object().bucket(&self.bucket).key(&key).send().await;
        let version_id = match existing {
            Ok(head) => head.version_id().map(str::to_string),
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => {
                if size as usize > PART_SIZE {
                    self.upload_multipart(&key, file).await?
                } else {
                    self.upload_single(&key, file).await?
                }
            }
            Err(e) => return Err(port_error("S3 HeadObject", &e)),
        };
        Ok(ContentLocation {
            uri: format!("s3://{}/{key}", self.bucket),
            version_id,
            bundle_digest: digest.to_string(),
            bundle_size: size,
        })
    }

    async fn upload_single(&self, key: &str, file: &Path) -> PortResult<Option<String>> {
        let bytes = std::fs::read(file).map_err(|e| invalid(format!("{}: {e}", file.display())))?;
        let (sse, kms) = self.sse();
        let out = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .checksum_sha256(b64(&Sha256::digest(&bytes)))
            .server_side_encryption(sse)
            .set_ssekms_key_id(kms)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| port_error("S3 PutObject", &e))?;
        Ok(out.version_id().map(str::to_string))
    }

    async fn upload_multipart(&self, key: &str, file: &Path) -> PortResult<Option<String>> {
        let (sse, kms) = self.sse();
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .server_side_encryption(sse)
            .set_ssekms_key_id(kms)
            .send()
            .await
            .map_err(|e| port_error("S3 CreateMultipartUpload", &e))?;
        let upload_id = created
            .upload_id()
            .ok_or_else(|| invalid("S3 CreateMultipartUpload returned no upload id"))?
            .to_string();
        let result = self.upload_parts(key, &upload_id, file).await;
        match result {
            Ok(version) => Ok(version),
            Err(e) => {
                // Parts of an abandoned upload are billed until aborted.
                let _ = self
                    .client
                    .abort_multipart_upload()
                    .bucket(&self.bucket)
                    .key(key)
                    .upload_id(&upload_id)
                    .send()
                    .await;
                Err(e)
            }
        }
    }

    async fn upload_parts(&self, key: &str, upload_id: &str, file: &Path) -> PortResult<Option<String>> {
        let size = std::fs::metadata(file)
            .map_err(|e| invalid(format!("{}: {e}", file.display())))?
            .len() as usize;
        let count = size.div_ceil(PART_SIZE);
        let path: PathBuf = file.to_path_buf();
        let parts: Vec<CompletedPart> = futures_util::stream::iter(1..=count)
            .map(|n| {
                let path = path.clone();
                async move {
                    let bytes = read_part(&path, n - 1)?;
                    let checksum = b64(&Sha256::digest(&bytes));
                    let out = self
                        .client
                        .upload_part()
                        .bucket(&self.bucket)
                        .key(key)
                        .upload_id(upload_id)
                        .part_number(n as i32)
                        .checksum_sha256(&checksum)
                        .body(ByteStream::from(bytes))
                        .send()
                        .await
                        .map_err(|e| port_error("S3 UploadPart", &e))?;
                    Ok::<_, PortError>(
                        CompletedPart::builder()
                            .part_number(n as i32)
                            .set_e_tag(out.e_tag().map(str::to_string))
                            .checksum_sha256(checksum)
                            .build(),
                    )
                }
            })
            .buffered(PARTS_IN_FLIGHT)
            .try_collect()
            .await?;
        let done = self
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
            .send()
            .await
            .map_err(|e| port_error("S3 CompleteMultipartUpload", &e))?;
        Ok(done.version_id().map(str::to_string))
    }
}

fn read_part(path: &Path, index: usize) -> PortResult<Vec<u8>> {
    use std::io::Seek;
    let mut f = std::fs::File::open(path).map_err(|e| invalid(format!("{}: {e}", path.display())))?;
    f.seek(std::io::SeekFrom::Start((index * PART_SIZE) as u64))
        .map_err(|e| invalid(format!("{}: {e}", path.display())))?;
    let mut buf = Vec::with_capacity(PART_SIZE);
    f.take(PART_SIZE as u64)
        .read_to_end(&mut buf)
        .map_err(|e| invalid(format!("{}: {e}", path.display())))?;
    Ok(buf)
}
