//! `baton artifacts gc`: old versions go, but never one that something may still need — a
//! deployment group's last-good revision or what its instances run, a deployment in progress,
//! or anything an execution in progress made or reads.
//!
//! A version's row goes first (in one transaction), its files after: a reader that finds the
//! row finds the files, and a crash in between leaves only an orphan directory, which the next
//! gc removes.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

use baton_core::ports::{ArtifactRef, Manifest};
use rusqlite::params;
use serde::Serialize;

use crate::artifacts::FsArtifactStore;
use crate::error::LocalError;

/// What gc did (or, with `dry_run`, would do).
#[derive(Debug, Clone, Default, Serialize)]
pub struct GcReport {
    pub removed: Vec<ArtifactRef>,
    /// Old versions kept, and why.
    pub pinned: Vec<(ArtifactRef, String)>,
    /// Bytes of content no longer stored. Versions share contents, so a dry run can only give
    /// an upper bound: the removed versions' sizes.
    pub freed_bytes: u64,
    /// Directories with no version behind them (left by a crash), removed.
    pub orphans: usize,
}

impl FsArtifactStore {
    /// Keeps the newest `keep` versions of each artifact, and every pinned one.
    pub fn gc(&self, pipeline: &str, keep: usize, dry_run: bool) -> Result<GcReport, LocalError> {
        let pins = self.pins(pipeline)?;
        let mut by_name: BTreeMap<String, Vec<Manifest>> = BTreeMap::new();
        for m in self.list(pipeline, None)? {
            by_name.entry(m.artifact.name.clone()).or_default().push(m);
        }
        let mut report = GcReport::default();
        for versions in by_name.values() {
            // `list` returns each name's versions oldest first.
            let old = versions.len().saturating_sub(keep);
            for m in &versions[..old] {
                let key = (m.artifact.name.clone(), m.artifact.version);
                match pins.get(&key) {
                    Some(why) => report.pinned.push((m.artifact.clone(), why.clone())),
                    None => {
                        report.freed_bytes += m.size;
                        report.removed.push(m.artifact.clone());
                    }
                }
            }
        }
        if dry_run {
            return Ok(report);
        }
        for a in &report.removed {
            self.db
                .lock()
                .execute(
                    "DELETE FROM artifacts WHERE pipeline = ?1 AND name = ?2 AND version = ?3",
                    params![pipeline, a.name, a.version],
                )
                .map_err(LocalError::sql)?;
            let dir = self.version_dir(pipeline, &a.name, a.version);
            fs::remove_dir_all(&dir).map_err(LocalError::io(&dir))?;
            tracing::info!(pipeline, artifact = %a, "artifact version removed");
        }
        report.orphans = self.remove_orphans(pipeline)?;
        // Contents no version links to any more: shared across pipelines, so swept last.
        let (_, swept) = crate::artifacts::blobs::Blobs::new(&self.root, self.db.clone()).sweep(&self.root)?;
        report.freed_bytes = swept;
        Ok(report)
    }

    /// Every version something may still need, with the reason.
    fn pins(&self, pipeline: &str) -> Result<BTreeMap<(String, u64), String>, LocalError> {
        let mut pins = BTreeMap::new();
        let conn = self.db.lock();
        let query = |sql: &str| -> Result<Vec<(String, String)>, LocalError> {
            let mut stmt = conn.prepare(sql).map_err(LocalError::sql)?;
            stmt.query_map([pipeline], |r| Ok((r.get(0)?, r.get(1)?)))
                .and_then(Iterator::collect)
                .map_err(LocalError::sql)
        };
        let mut pin = |artifact: &str, why: String| {
            if let Ok(a) = serde_json::from_str::<ArtifactRef>(artifact) {
                pins.entry((a.name, a.version)).or_insert(why);
            }
        };
        for (group, artifact) in query("SELECT grp, artifact FROM last_good WHERE pipeline = ?1")? {
            pin(&artifact, format!("last-good revision of group {group}"));
        }
        for (group, artifact) in query("SELECT grp, artifact FROM instances WHERE pipeline = ?1 AND artifact IS NOT NULL")? {
            pin(&artifact, format!("running on group {group}"));
        }
        for (id, artifact) in
            query("SELECT id, artifact FROM deployments WHERE pipeline = ?1 AND status NOT IN ('Succeeded', 'Failed', 'Stopped')")?
        {
            pin(&artifact, format!("deployment {id} in progress"));
        }
        // An execution in progress may still read anything it made, and what those were made from.
        let running: BTreeSet<String> = query("SELECT id, id FROM executions WHERE pipeline = ?1 AND status = 'RUNNING'")?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        for (_, text) in query("SELECT name, manifest FROM artifacts WHERE pipeline = ?1")? {
            let Ok(m) = serde_json::from_str::<Manifest>(&text) else { continue };
            if running.contains(&m.provenance.execution_id) {
                let why = format!("used by execution {} in progress", m.provenance.execution_id);
                for a in std::iter::once(&m.artifact).chain(&m.provenance.inputs) {
                    pins.entry((a.name.clone(), a.version)).or_insert_with(|| why.clone());
                }
            }
        }
        Ok(pins)
    }

    fn remove_orphans(&self, pipeline: &str) -> Result<usize, LocalError> {
        let known: BTreeSet<(String, u64)> = self
            .list(pipeline, None)?
            .into_iter()
            .map(|m| (m.artifact.name, m.artifact.version))
            .collect();
        let mut removed = 0;
        let Ok(names) = fs::read_dir(self.root.join(pipeline)) else {
            return Ok(0);
        };
        for name in names.flatten() {
            let Ok(versions) = fs::read_dir(name.path()) else { continue };
            for v in versions.flatten() {
                let version = v.file_name().to_string_lossy().parse::<u64>().ok();
                let artifact = name.file_name().to_string_lossy().into_owned();
                if let Some(version) = version
                    && !known.contains(&(artifact, version))
                {
                    fs::remove_dir_all(v.path()).map_err(LocalError::io(v.path()))?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }
}
