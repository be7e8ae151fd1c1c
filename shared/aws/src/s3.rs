//! `S3ArtifactStore`: artifact versions in a versioned S3 bucket.
//!
//! Layout under the store's prefix:
//! - `<pipeline>/blobs/<sha256>.zip`: bundles, addressed by their bytes' digest, so storing a
//!   tree that was stored before uploads nothing; pinned in manifests by S3 version id.
//! - `<pipeline>/<name>/<version>/manifest.json`: the version, claimed by creating this object
//!   with `If-None-Match: *`. Two writers can never take one number: the loser gets 412 and
//!   tries the next. The bundle is uploaded first, so no manifest ever points at missing content.
//! - `<pipeline>/last-good/<group>.json`: replaced with `If-Match` on the ETag it was read at.
//!
//! Uploads carry `x-amz-checksum-sha256` (per part for multipart uploads of 16 MiB parts, four
//! in flight) and server-side encryption (SSE-S3, or SSE-KMS with a key).

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumMode, ServerSideEncryption};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use base64::Engine;
use baton_core::artifact_diff::{self, FileChange};
use baton_core::bundle::{self, Limits};
use baton_core::ports::{ArtifactRef, ArtifactStore, ContentLocation, Manifest, PortError, PortResult, Provenance, StagedArtifact};
use sha2::{Digest, Sha256};

use crate::sdk::port_error;

mod upload;

/// Multipart part size, and the size from which uploads go multipart.
pub const PART_SIZE: usize = 16 << 20;
const PARTS_IN_FLIGHT: usize = 4;
/// Version numbers tried before a put gives up (as a transient error).
const MAX_CLAIMS: u64 = 100;

/// Server-side encryption of everything the store writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Encryption {
    S3,
    Kms { key_id: String },
}

/// A stored version: its manifest, its bundle's location, and that bundle's key in the bucket.
#[derive(Debug, Clone)]
pub struct StoredBundle {
    pub manifest: Manifest,
    pub content: ContentLocation,
    pub key: String,
}

#[derive(Debug, Clone)]
pub struct S3ArtifactStore {
    client: Client,
    bucket: String,
    prefix: String,
    encryption: Encryption,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn invalid(message: impl Into<String>) -> PortError {
    PortError::permanent(message)
}

/// 412 Precondition Failed, or 409 when another conditional write to the key is in flight.
fn lost_race<E: ProvideErrorMetadata>(e: &aws_sdk_s3::error::SdkError<E, aws_smithy_runtime_api::http::Response>) -> bool {
    e.raw_response().is_some_and(|r| matches!(r.status().as_u16(), 409 | 412))
}

impl S3ArtifactStore {
    pub fn new(client: Client, bucket: impl Into<String>, prefix: impl Into<String>, encryption: Encryption) -> Self {
        let prefix = prefix.into().trim_matches('/').to_string();
        Self {
            client,
            bucket: bucket.into(),
            prefix: if prefix.is_empty() { prefix } else { format!("{prefix}/") },
            encryption,
        }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Opens the connection (TLS included) at init; a failure here is only logged.
    pub async fn warm(&self) {
        if let Err(e) = self.client.head_bucket().bucket(&self.bucket).send().await {
            tracing::warn!(error = %port_error("S3 HeadBucket", &e), "could not warm the S3 connection");
        }
    }

    /// Where a build leaves its outputs for the store to version (a key prefix, no bucket).
    pub fn staging_path(&self, pipeline: &str, correlation: &str) -> String {
        self.key(&format!("{pipeline}/staging/{}", correlation.replace(':', "-")))
    }

    /// Downloads a staged zip (a build's output) and unpacks it, distrustfully, into a scratch
    /// directory.
    async fn unstage(&self, uri: &str) -> PortResult<tempfile::TempDir> {
        let (bucket, key) = uri.split_once('/').ok_or_else(|| invalid(format!("s3://{uri} names no object")))?;
        let out = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| port_error("S3 GetObject", &e))?;
        let mut scratch = tempfile::tempfile().map_err(|e| invalid(format!("scratch file: {e}")))?;
        let mut body = out.body.into_async_read();
        let mut file = tokio::fs::File::from_std(scratch.try_clone().map_err(|e| invalid(e.to_string()))?);
        tokio::io::copy(&mut body, &mut file)
            .await
            .map_err(|e| PortError::transient(format!("reading s3://{uri}: {e}")))?;
        let dir = tempfile::tempdir().map_err(|e| invalid(format!("scratch directory: {e}")))?;
        let dest = dir.path().to_path_buf();
        let uri = uri.to_string();
        tokio::task::spawn_blocking(move || {
            use std::io::Seek;
            scratch.rewind().map_err(|e| invalid(e.to_string()))?;
            bundle::unpack(std::io::BufReader::new(scratch), &dest, Limits::default()).map_err(|e| invalid(format!("s3://{uri}: {e}")))
        })
        .await
        .map_err(|e| invalid(format!("unpacking failed: {e}")))??;
        Ok(dir)
    }

    fn key(&self, rest: &str) -> String {
        format!("{}{rest}", self.prefix)
    }

    fn manifest_key(&self, pipeline: &str, name: &str, version: u64) -> String {
        self.key(&format!("{pipeline}/{name}/{version}/manifest.json"))
    }

    fn sse(&self) -> (ServerSideEncryption, Option<String>) {
        match &self.encryption {
            Encryption::S3 => (ServerSideEncryption::Aes256, None),
            Encryption::Kms { key_id } => (ServerSideEncryption::AwsKms, Some(key_id.clone())),
        }
    }

    /// The highest version number with a manifest, 0 when there is none.
    async fn latest_version(&self, pipeline: &str, name: &str) -> PortResult<u64> {
        let prefix = self.key(&format!("{pipeline}/{name}/"));
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(&prefix)
            .delimiter("/")
            .into_paginator()
            .send();
        let mut latest = 0;
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| port_error("S3 ListObjectsV2", &e))?;
            for p in page.common_prefixes() {
                let n = p
                    .prefix()
                    .and_then(|p| p.trim_end_matches('/').rsplit('/').next()?.parse::<u64>().ok());
                latest = latest.max(n.unwrap_or(0));
            }
        }
        Ok(latest)
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, key: &str) -> PortResult<Option<(T, Option<String>)>> {
        match self.client.get_object().bucket(&self.bucket).key(key).send().await {
            Ok(out) => {
                let etag = out.e_tag().map(str::to_string);
                let bytes = out
                    .body
                    .collect()
                    .await
                    .map_err(|e| PortError::transient(format!("reading s3://{}/{key}: {e}", self.bucket)))?
                    .into_bytes();
                let value = serde_json::from_slice(&bytes).map_err(|e| invalid(format!("s3://{}/{key} is not valid: {e}", self.bucket)))?;
                Ok(Some((value, etag)))
            }
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
            Err(e) => Err(port_error("S3 GetObject", &e)),
        }
    }

    /// A version's manifest and where its bundle is: what CodeBuild reads as a source and
    /// CodeDeploy installs as a revision, pinned by S3 version id.
    pub async fn bundle(&self, pipeline: &str, artifact: &ArtifactRef) -> PortResult<StoredBundle> {
        let manifest = self
            .manifest(pipeline, &artifact.name, artifact.version)
            .await?
            .ok_or_else(|| invalid(format!("artifact {artifact} of pipeline {pipeline} is not in the store")))?;
        let content = manifest
            .content
            .clone()
            .ok_or_else(|| invalid(format!("the manifest of {artifact} names no content")))?;
        let key = content
            .uri
            .strip_prefix(&format!("s3://{}/", self.bucket))
            .ok_or_else(|| invalid(format!("{} is not in bucket {}", content.uri, self.bucket)))?
            .to_string();
        Ok(StoredBundle { manifest, content, key })
    }

    /// The files `after` differs from `before` by: both versions fetched (and verified) into a
    /// scratch directory that is removed afterwards, then compared file by file.
    pub async fn diff(&self, pipeline: &str, before: &ArtifactRef, after: &ArtifactRef) -> PortResult<Vec<FileChange>> {
        let scratch = tempfile::tempdir().map_err(|e| PortError::permanent(format!("a scratch directory: {e}")))?;
        let (a, b) = (scratch.path().join("before"), scratch.path().join("after"));
        self.fetch(pipeline, before, &a).await?;
        self.fetch(pipeline, after, &b).await?;
        artifact_diff::diff(&a, &b).map_err(|e| PortError::permanent(format!("comparing {before} with {after}: {e}")))
    }

    /// Downloads a version's bundle (by version id, checksum checked by the SDK), unpacks it into
    /// `dest` and verifies the tree against the manifest's digest.
    pub async fn fetch(&self, pipeline: &str, artifact: &ArtifactRef, dest: &Path) -> PortResult<()> {
        let StoredBundle { manifest, content, key } = self.bundle(pipeline, artifact).await?;
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&key)
            .set_version_id(content.version_id.clone())
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
            .map_err(|e| port_error("S3 GetObject", &e))?;
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| PortError::transient(format!("reading {}: {e}", content.uri)))?
            .into_bytes();
        let got = format!("sha256:{}", hex::encode(Sha256::digest(&bytes)));
        if got != content.bundle_digest {
            return Err(invalid(format!(
                "{}: bundle digest {got}, the manifest says {}",
                content.uri, content.bundle_digest
            )));
        }
        let limits = Limits {
            max_bytes: manifest.size,
            ..Limits::default()
        };
        bundle::unpack(std::io::Cursor::new(bytes), dest, limits).map_err(|e| invalid(format!("{}: {e}", content.uri)))?;
        let tree = baton_core::digest::summarize(dest).map_err(|e| invalid(e.to_string()))?;
        if tree.digest != artifact.digest {
            return Err(invalid(format!(
                "artifact {artifact} is corrupt: digest {} where the manifest says {}",
                tree.digest, artifact.digest
            )));
        }
        Ok(())
    }
}

#[async_trait]
impl ArtifactStore for S3ArtifactStore {
    /// `staged.location` is a directory on this machine (the function's scratch space), or
    /// `s3://bucket/key` of a zip a build left in staging.
    async fn put(&self, staged: &StagedArtifact, provenance: Provenance) -> PortResult<Manifest> {
        let unstaged = match staged.location.strip_prefix("s3://") {
            Some(uri) => Some(self.unstage(uri).await?),
            None => None,
        };
        let dir = unstaged
            .as_ref()
            .map_or_else(|| PathBuf::from(&staged.location), |d| d.path().to_path_buf());
        let scratch = tempfile::NamedTempFile::new().map_err(|e| invalid(format!("scratch file: {e}")))?;
        let path = scratch.path().to_path_buf();
        // Digest and bundle are CPU and disk work: off the async threads.
        let (tree, bundle_digest, size) = tokio::task::spawn_blocking(move || -> PortResult<_> {
            let tree = baton_core::digest::summarize(&dir).map_err(|e| invalid(format!("{}: {e}", dir.display())))?;
            let file = std::fs::File::create(&path).map_err(|e| invalid(format!("{}: {e}", path.display())))?;
            bundle::write(&dir, std::io::BufWriter::new(file)).map_err(|e| invalid(e.to_string()))?;
            let digest = baton_core::digest::sha256_file(&path).map_err(|e| invalid(e.to_string()))?;
            let size = std::fs::metadata(&path).map_err(|e| invalid(e.to_string()))?.len();
            Ok((tree, format!("sha256:{digest}"), size))
        })
        .await
        .map_err(|e| invalid(format!("bundling failed: {e}")))??;
        let content = self
            .upload_bundle(&provenance.pipeline, scratch.path(), &bundle_digest, size)
            .await?;
        let (sse, kms) = self.sse();
        let mut version = self.latest_version(&provenance.pipeline, &staged.name).await? + 1;
        for _ in 0..MAX_CLAIMS {
            let manifest = Manifest {
                artifact: ArtifactRef {
                    name: staged.name.clone(),
                    version,
                    digest: tree.digest.clone(),
                },
                size: tree.size,
                file_count: tree.file_count,
                created_at: chrono_now(),
                provenance: provenance.clone(),
                content: Some(content.clone()),
            };
            let body = serde_json::to_vec_pretty(&manifest).map_err(|e| invalid(e.to_string()))?;
            let claimed = self
                .client
                .put_object()
                .bucket(&self.bucket)
                .key(self.manifest_key(&provenance.pipeline, &staged.name, version))
                .if_none_match("*")
                .content_type("application/json")
                .checksum_sha256(b64(&Sha256::digest(&body)))
                .server_side_encryption(sse.clone())
                .set_ssekms_key_id(kms.clone())
                .body(ByteStream::from(body))
                .send()
                .await;
            match claimed {
                Ok(_) => {
                    tracing::info!(pipeline = %provenance.pipeline, artifact = %staged.name, version, digest = %tree.digest, "artifact stored in S3");
                    return Ok(manifest);
                }
                Err(e) if lost_race(&e) => {
                    // A claim that landed but whose answer was lost is retried by the SDK and
                    // meets itself: that version is this put's, not another writer's (found by
                    // the fault-injection tests, where it took the next number too).
                    let key = self.manifest_key(&provenance.pipeline, &staged.name, version);
                    if self.get_json::<Manifest>(&key).await?.is_some_and(|(m, _)| m == manifest) {
                        return Ok(manifest);
                    }
                    version += 1;
                }
                Err(e) => return Err(port_error("S3 PutObject", &e)),
            }
        }
        Err(PortError::transient(format!(
            "{MAX_CLAIMS} version numbers of {} taken by other writers in a row",
            staged.name
        )))
    }

    async fn manifest(&self, pipeline: &str, name: &str, version: u64) -> PortResult<Option<Manifest>> {
        Ok(self.get_json(&self.manifest_key(pipeline, name, version)).await?.map(|(m, _)| m))
    }

    async fn last_good(&self, pipeline: &str, group: &str) -> PortResult<Option<ArtifactRef>> {
        let key = self.key(&format!("{pipeline}/last-good/{group}.json"));
        Ok(self.get_json(&key).await?.map(|(a, _)| a))
    }

    /// Read, then write conditionally on what was read; a concurrent change makes it read again.
    async fn set_last_good(&self, pipeline: &str, group: &str, artifact: &ArtifactRef) -> PortResult<()> {
        let key = self.key(&format!("{pipeline}/last-good/{group}.json"));
        let body = serde_json::to_vec(artifact).map_err(|e| invalid(e.to_string()))?;
        let (sse, kms) = self.sse();
        for _ in 0..MAX_CLAIMS {
            let current = self.get_json::<ArtifactRef>(&key).await?;
            let put = self
                .client
                .put_object()
                .bucket(&self.bucket)
                .key(&key)
                .content_type("application/json")
                .server_side_encryption(sse.clone())
                .set_ssekms_key_id(kms.clone())
                .body(ByteStream::from(body.clone()));
            let put = match current.and_then(|(_, etag)| etag) {
                Some(etag) => put.if_match(etag),
                None => put.if_none_match("*"),
            };
            match put.send().await {
                Ok(_) => return Ok(()),
                Err(e) if lost_race(&e) => continue,
                Err(e) => return Err(port_error("S3 PutObject", &e)),
            }
        }
        Err(PortError::transient(format!("last-good of {group}: too many concurrent updates")))
    }
}

fn chrono_now() -> String {
    // Milliseconds since the epoch as RFC 3339, without a clock crate in this one.
    let ms = baton_core::metrics::now_ms();
    aws_smithy_types::DateTime::from_millis(ms)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}
