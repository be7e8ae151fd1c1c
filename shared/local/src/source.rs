//! `LocalSource`: the source is a directory or a git work tree. In a git work tree the snapshot
//! is the committed tree at the revision (as CodeCommit would deliver it), and the commit id is
//! recorded; otherwise (or with `working_tree`) it is the directory as it is now.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;

use async_trait::async_trait;
use baton_core::model::SOURCE_ARTIFACT;
use baton_core::ports::{PortResult, Provenance, SourceProvider, SourceSnapshot, StagedArtifact};
use tokio::process::Command;

use crate::artifacts::FsArtifactStore;
use crate::error::LocalError;
use crate::sys::tree;

#[derive(Debug, Clone)]
pub(crate) struct LocalSource {
    dir: PathBuf,
    /// Left out of every snapshot wherever it is: a state directory inside the source would
    /// otherwise be snapshotted into itself.
    state_dir: PathBuf,
    scratch: PathBuf,
    store: Arc<FsArtifactStore>,
    working_tree: bool,
}

/// Never part of a source snapshot.
const SKIPPED: [&str; 3] = [".git", ".baton", "target"];

impl LocalSource {
    pub(crate) fn new(dir: PathBuf, state_dir: &Path, store: Arc<FsArtifactStore>, working_tree: bool) -> Self {
        Self {
            dir,
            state_dir: state_dir.to_path_buf(),
            scratch: state_dir.join("tmp"),
            store,
            working_tree,
        }
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// git's trimmed output, `None` when git fails (not a repository, no such revision).
    async fn git(&self, args: &[&str]) -> Result<Option<String>, LocalError> {
        Ok(crate::sys::git::run(&self.dir, args).await?.ok().map(|s| s.trim().to_string()))
    }

    /// The branch a revision names: the one asked for when it is a branch (not a tag or a
    /// commit), else the one checked out (none when the head is detached).
    async fn branch(&self, revision: Option<&str>) -> Result<Option<String>, LocalError> {
        match revision {
            None => Ok(self
                .git(&["symbolic-ref", "--quiet", "--short", "HEAD"])
                .await?
                .filter(|n| !n.is_empty())),
            Some(r) => {
                let name = r.trim_start_matches("refs/heads/");
                let branch = self
                    .git(&["rev-parse", "--verify", "--quiet", &format!("refs/heads/{name}")])
                    .await?;
                Ok(branch.map(|_| name.to_string()))
            }
        }
    }

    async fn export_git(&self, revision: &str, dest: &Path) -> Result<(String, Option<String>, Option<String>), LocalError> {
        let commit = self
            .git(&["rev-parse", "--verify", "--quiet", &format!("{revision}^{{commit}}")])
            .await?
            .ok_or_else(|| {
                LocalError::NotFound(format!(
                    "`{revision}` is not a commit, branch or tag of the git repository at {}",
                    self.dir.display()
                ))
            })?;
        let prefix = self.git(&["rev-parse", "--show-prefix"]).await?.unwrap_or_default();
        // `git archive` run inside a subdirectory archives only that subdirectory's part of the
        // tree-ish, so it runs from the top level with an explicit `<commit>:<prefix>`.
        let top = self
            .git(&["rev-parse", "--show-toplevel"])
            .await?
            .unwrap_or_else(|| self.dir.to_string_lossy().into_owned());
        let treeish = if prefix.is_empty() {
            commit.clone()
        } else {
            format!("{commit}:{}", prefix.trim_end_matches('/'))
        };
        std::fs::create_dir_all(dest).map_err(LocalError::io(dest))?;
        // `git archive | tar -x` streams the committed tree without touching the work tree.
        let script = r#"set -o pipefail; git -C "$1" archive --format=tar "$2" | tar -x -C "$3""#;
        let status = Command::new("bash")
            .args(["-c", script, "bash"])
            .arg(&top)
            .arg(&treeish)
            .arg(dest)
            .stdin(Stdio::null())
            .status()
            .await
            .map_err(|e| LocalError::Command {
                command: "git archive".into(),
                message: e.to_string(),
            })?;
        if !status.success() {
            return Err(LocalError::Command {
                command: format!("git archive {treeish}"),
                message: format!("exited with {status}"),
            });
        }
        let subject = self.git(&["log", "-1", "--format=%s (%an, %cI)", &commit]).await?;
        let time = self.git(&["log", "-1", "--format=%cI", &commit]).await?;
        let dirty = self
            .git(&["status", "--porcelain", "--", "."])
            .await?
            .is_some_and(|s| !s.is_empty());
        if dirty && revision == "HEAD" {
            tracing::warn!(dir = %self.dir.display(), commit = %commit, "the work tree has uncommitted changes; the snapshot is the committed tree (use --working-tree to build the files as they are)");
        }
        Ok((commit, subject, time))
    }

    fn export_dir(&self, dest: &Path) -> Result<(), LocalError> {
        let canonical = |p: &Path| std::fs::canonicalize(p).map_err(LocalError::io(p));
        let (source, state) = (canonical(&self.dir)?, canonical(&self.state_dir)?);
        tree::copy_tree_except(&source, dest, |rel| {
            let top_level = rel.components().count() == 1;
            (top_level && SKIPPED.iter().any(|s| rel == Path::new(s))) || source.join(rel) == state
        })?;
        Ok(())
    }
}

#[async_trait]
impl SourceProvider for LocalSource {
    async fn snapshot(&self, pipeline: &str, execution_id: &str, revision: Option<&str>) -> PortResult<SourceSnapshot> {
        crate::failpoints::point!("source.snapshot");
        let dest = self.scratch.join(format!("source-{}", uuid::Uuid::new_v4().simple()));
        let in_git = !self.working_tree && self.git(&["rev-parse", "--is-inside-work-tree"]).await?.as_deref() == Some("true");
        let result = async {
            let (commit, summary, commit_time) = if in_git {
                let (c, s, t) = self.export_git(revision.unwrap_or("HEAD"), &dest).await?;
                (Some(c), s, t)
            } else {
                if let Some(r) = revision {
                    return Err(LocalError::BadRequest(format!(
                        "--source-revision {r} needs a git repository, and {} is not in one",
                        self.dir.display()
                    )));
                }
                self.export_dir(&dest)?;
                // A working tree has no commit time; the snapshot's is when it was stored.
                (None, Some(format!("working tree of {}", self.dir.display())), None)
            };
            let staged = StagedArtifact {
                name: SOURCE_ARTIFACT.into(),
                location: dest.to_string_lossy().into_owned(),
            };
            let provenance = Provenance {
                pipeline: pipeline.into(),
                execution_id: execution_id.into(),
                action: "Source".into(),
                commit_id: commit.clone(),
                ..Provenance::default()
            };
            let manifest = self.store.put_dir(&staged, provenance)?;
            Ok(SourceSnapshot {
                branch: if in_git { self.branch(revision).await? } else { None },
                commit_time: commit_time.or(Some(manifest.created_at)),
                artifact: manifest.artifact,
                commit_id: commit,
                revision_summary: summary,
            })
        }
        .await;
        let _ = std::fs::remove_dir_all(&dest);
        Ok(result?)
    }
}
