//! `FsArtifactStore`: immutable, numbered artifact versions on disk, indexed in SQLite.
//!
//! Layout: `<state>/artifacts/<pipeline>/<name>/<version>/{files.jsonl, manifest.json}`, the
//! listing naming each file's content in `<state>/artifacts/blobs/` ([`crate::artifacts::blobs`]). A version
//! is staged under `<state>/artifacts/.staging/`, flushed, then renamed into place inside the
//! transaction that allocates its number, so no reader ever sees half an artifact. Versions
//! written before listings (a `tree/` directory) are still read.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use baton_core::ports::{ArtifactRef, ArtifactStore, Manifest, PortResult, Provenance, StagedArtifact};
use chrono::{SecondsFormat, Utc};
use rusqlite::{OptionalExtension, params};

use crate::artifacts::blobs::{Blobs, LISTING};
use crate::db::Db;
use crate::error::LocalError;
use crate::sys::tree;

pub mod blobs;
pub mod diff;
pub(crate) mod gc;
pub(crate) mod packs;

enum StoredFiles {
    Listing(PathBuf),
    Tree(PathBuf),
}

#[derive(Debug, Clone)]
pub struct FsArtifactStore {
    pub(crate) root: PathBuf,
    pub(crate) db: Arc<Db>,
}

impl FsArtifactStore {
    pub fn new(state_dir: &Path, db: Arc<Db>) -> Self {
        Self {
            root: state_dir.join("artifacts"),
            db,
        }
    }

    pub(crate) fn version_dir(&self, pipeline: &str, name: &str, version: u64) -> PathBuf {
        self.root.join(pipeline).join(name).join(version.to_string())
    }

    fn blobs(&self) -> Blobs {
        Blobs::new(&self.root, self.db.clone())
    }

    /// Where a stored version's files are: its listing, or (stores written before listings) a
    /// plain `tree/` directory.
    fn files_of(&self, pipeline: &str, artifact: &ArtifactRef) -> Result<StoredFiles, LocalError> {
        let dir = self.version_dir(pipeline, &artifact.name, artifact.version);
        if dir.join(LISTING).is_file() {
            Ok(StoredFiles::Listing(dir.join(LISTING)))
        } else if dir.join("tree").is_dir() {
            Ok(StoredFiles::Tree(dir.join("tree")))
        } else {
            Err(LocalError::NotFound(format!(
                "artifact {artifact} of pipeline {pipeline} is not in the store"
            )))
        }
    }

    /// The files two stored versions differ by.
    pub fn diff(&self, pipeline: &str, before: &ArtifactRef, after: &ArtifactRef) -> Result<Vec<diff::FileChange>, LocalError> {
        let inventory = |a: &ArtifactRef| match self.files_of(pipeline, a)? {
            StoredFiles::Listing(l) => diff::listed(&l),
            StoredFiles::Tree(t) => diff::inventory(&t),
        };
        Ok(diff::compare(&inventory(before)?, &inventory(after)?))
    }

    /// Copies a stored version's files into `dest` (absent, or an empty directory), verifying
    /// the digest on the way out. All or nothing: the files are built beside `dest` and renamed
    /// into place once verified, so a refused or corrupt version leaves nothing behind.
    pub fn fetch(&self, pipeline: &str, artifact: &ArtifactRef, dest: &Path) -> Result<(), LocalError> {
        let parent = dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        fs::create_dir_all(parent).map_err(LocalError::io(parent))?;
        let staging = tempfile::Builder::new()
            .prefix(".baton-fetch-")
            .tempdir_in(parent)
            .map_err(LocalError::io(parent))?;
        let files = staging.path().join("files");
        match self.files_of(pipeline, artifact)? {
            StoredFiles::Listing(l) => self.blobs().materialize(&l, &files)?,
            StoredFiles::Tree(t) => {
                tree::copy_tree(&t, &files)?;
            }
        }
        let got = tree::summarize(&files)?;
        if got.digest != artifact.digest {
            return Err(LocalError::Corrupt(format!(
                "artifact {artifact} is corrupt: digest {} where the manifest says {}",
                got.digest, artifact.digest
            )));
        }
        // rename(2) replaces an empty directory and refuses one that holds anything.
        fs::rename(&files, dest).map_err(LocalError::io(dest))?;
        Ok(())
    }

    /// Writes a stored version as a reproducible zip bundle at `out` (atomically: complete or
    /// absent), from its files verified against the manifest's digest.
    pub fn bundle(&self, pipeline: &str, artifact: &ArtifactRef, out: &Path) -> Result<baton_core::bundle::BundleSummary, LocalError> {
        let scratch = tempfile::tempdir_in(&self.root).map_err(LocalError::io(&self.root))?;
        let files = scratch.path().join("files");
        self.fetch(pipeline, artifact, &files)?;
        let dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let tmp = tempfile::NamedTempFile::new_in(dir).map_err(LocalError::io(dir))?;
        let summary =
            baton_core::bundle::write(&files, std::io::BufWriter::new(tmp.as_file())).map_err(|e| LocalError::Internal(e.to_string()))?;
        tmp.as_file().sync_all().map_err(LocalError::io(out))?;
        tmp.persist(out).map_err(|e| LocalError::io(out)(e.error))?;
        Ok(summary)
    }

    pub fn put_dir(&self, staged: &StagedArtifact, provenance: Provenance) -> Result<Manifest, LocalError> {
        let source = Path::new(&staged.location);
        let staging = self.root.join(".staging").join(uuid::Uuid::new_v4().simple().to_string());
        let result = self.publish(source, &staging, staged, provenance);
        let _ = fs::remove_dir_all(&staging);
        result
    }

    fn publish(&self, source: &Path, staging: &Path, staged: &StagedArtifact, provenance: Provenance) -> Result<Manifest, LocalError> {
        fs::create_dir_all(staging).map_err(LocalError::io(staging))?;
        let blobs = self.blobs();
        let _storing = blobs.storing()?;
        let ingested = blobs.ingest(source, &staging.join(LISTING))?;
        let summary = ingested.summary;
        let pipeline = provenance.pipeline.clone();
        let name = staged.name.clone();
        self.db.immediate(|tx| {
            // The same tree from the same action of the same execution is the same version: a
            // handler invoked again (a Step Functions retry, a duplicate delivery) stores
            // nothing twice.
            let again: Option<String> = tx
                .query_row(
                    "SELECT manifest FROM artifacts WHERE pipeline = ?1 AND name = ?2 AND digest = ?3 \
                     AND json_extract(manifest, '$.provenance.execution_id') = ?4 AND json_extract(manifest, '$.provenance.action') = ?5",
                    params![pipeline, name, summary.digest, provenance.execution_id, provenance.action],
                    |r| r.get(0),
                )
                .optional()
                .map_err(LocalError::sql)?;
            if let Some(text) = again.filter(|_| !provenance.execution_id.is_empty()) {
                return serde_json::from_str(&text).map_err(|e| LocalError::Corrupt(format!("the manifest of a version of `{name}` in the database is corrupt: {e}")));
            }
            let mut version: u64 = tx
                .query_row("SELECT COALESCE(MAX(version), 0) + 1 FROM artifacts WHERE pipeline = ?1 AND name = ?2", params![pipeline, name], |r| r.get(0))
                .map_err(LocalError::sql)?;
            // A version directory the database does not list (its process died between the
            // rename and the commit, or the database was restored from an older copy) may be
            // the only copy of a version someone deployed: it is passed over, never replaced.
            while self.version_dir(&pipeline, &name, version).exists() {
                tracing::warn!(pipeline = %pipeline, artifact = %name, version, "a stored version the database does not list; left as it is");
                version += 1;
            }
            let manifest = Manifest {
                artifact: ArtifactRef { name: name.clone(), version, digest: summary.digest.clone() },
                size: summary.size,
                file_count: summary.file_count,
                created_at: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
                provenance,
                content: None,
            };
            let text = serde_json::to_string_pretty(&manifest).map_err(|e| LocalError::Internal(e.to_string()))?;
            tree::write_atomic(&staging.join("manifest.json"), text.as_bytes())?;
            let target = self.version_dir(&pipeline, &name, version);
            let parent = target.parent().ok_or_else(|| LocalError::Internal("artifact path has no parent".into()))?;
            fs::create_dir_all(parent).map_err(LocalError::io(parent))?;
            fs::rename(staging, &target).map_err(LocalError::io(&target))?;
            tree::sync_dir(parent)?;
            tx.execute(
                "INSERT INTO artifacts (pipeline, name, version, digest, manifest) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![pipeline, name, version, summary.digest, text],
            )
            .map_err(LocalError::sql)?;
            tracing::info!(pipeline = %pipeline, artifact = %name, version, digest = %summary.digest, files = summary.file_count, "artifact stored");
            Ok(manifest)
        })
    }

    pub fn list(&self, pipeline: &str, name: Option<&str>) -> Result<Vec<Manifest>, LocalError> {
        let conn = self.db.lock();
        let mut stmt = conn
            .prepare("SELECT manifest FROM artifacts WHERE pipeline = ?1 AND (?2 IS NULL OR name = ?2) ORDER BY name, version")
            .map_err(LocalError::sql)?;
        let texts: Vec<String> = stmt
            .query_map(params![pipeline, name], |r| r.get(0))
            .and_then(Iterator::collect)
            .map_err(LocalError::sql)?;
        texts
            .iter()
            .map(|t| {
                serde_json::from_str(t)
                    .map_err(|e| LocalError::Corrupt(format!("a manifest of pipeline {pipeline} in the database is corrupt: {e}")))
            })
            .collect()
    }
}

#[async_trait]
impl ArtifactStore for FsArtifactStore {
    async fn put(&self, staged: &StagedArtifact, provenance: Provenance) -> PortResult<Manifest> {
        crate::failpoints::point!("artifacts.put");
        Ok(self.put_dir(staged, provenance)?)
    }

    async fn manifest(&self, pipeline: &str, name: &str, version: u64) -> PortResult<Option<Manifest>> {
        // Versions are numbered in SQLite's integers: a larger number names none.
        let Ok(version) = i64::try_from(version) else {
            return Ok(None);
        };
        let sql = "SELECT manifest FROM artifacts WHERE pipeline = ?1 AND name = ?2 AND version = ?3";
        Ok(self.db.json_row(sql, params![pipeline, name, version])?)
    }

    async fn last_good(&self, pipeline: &str, group: &str) -> PortResult<Option<ArtifactRef>> {
        let sql = "SELECT artifact FROM last_good WHERE pipeline = ?1 AND grp = ?2";
        Ok(self.db.json_row(sql, params![pipeline, group])?)
    }

    async fn set_last_good(&self, pipeline: &str, group: &str, artifact: &ArtifactRef) -> PortResult<()> {
        let text = serde_json::to_string(artifact).map_err(|e| LocalError::Internal(e.to_string()))?;
        self.db
            .lock()
            .execute(
                "INSERT INTO last_good (pipeline, grp, artifact, updated_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (pipeline, grp) DO UPDATE SET artifact = excluded.artifact, updated_at = excluded.updated_at",
                params![pipeline, group, text, Utc::now().to_rfc3339()],
            )
            .map_err(LocalError::sql)?;
        tracing::info!(pipeline, group, artifact = %artifact, "last-good revision updated");
        Ok(())
    }
}
