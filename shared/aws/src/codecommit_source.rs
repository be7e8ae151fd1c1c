//! `CodeCommitSource`: the Source stage on AWS. The pushed commit's tree is read through the
//! CodeCommit API (`GetFolder` level by level, `GetBlob` eight at a time) into the function's
//! scratch space and versioned as the `source` artifact, with the commit's author, message and
//! time.
//!
//! Why the API and not a CodeBuild job with a CodeCommit source: the Source stage stays one
//! Lambda invocation of seconds, where a build would add CodeBuild's provisioning (tens of
//! seconds, billed per minute) to every execution. The price is a request per file and folder,
//! and the Lambda's scratch space (ephemeral storage, 512 MB by default) as the size limit.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use aws_sdk_codecommit::Client;
use aws_sdk_codecommit::types::FileModeTypeEnum;
use baton_core::ports::{ArtifactStore, PortError, PortResult, Provenance, SourceProvider, SourceSnapshot, StagedArtifact};
use futures_util::{StreamExt, TryStreamExt};

use crate::s3::S3ArtifactStore;
use crate::sdk::port_error;

const BLOBS_IN_FLIGHT: usize = 8;

#[derive(Debug, Clone)]
pub struct CodeCommitSource {
    client: Client,
    repository: String,
    /// What a run without a revision builds.
    branch: String,
    store: S3ArtifactStore,
}

/// A file of the tree: where it goes, which blob, and how.
#[derive(Debug)]
struct Entry {
    path: String,
    blob: String,
    mode: FileModeTypeEnum,
}

fn invalid(message: impl Into<String>) -> PortError {
    PortError::permanent(message)
}

/// CodeCommit's `UserInfo.date`, `<epoch seconds> <zone>`, as RFC 3339 in UTC.
pub fn commit_time(date: &str) -> Option<String> {
    let secs: i64 = date.split_whitespace().next()?.parse().ok()?;
    aws_smithy_types::DateTime::from_secs(secs)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .ok()
}

impl CodeCommitSource {
    pub fn new(client: Client, repository: impl Into<String>, branch: impl Into<String>, store: S3ArtifactStore) -> Self {
        Self {
            client,
            repository: repository.into(),
            branch: branch.into(),
            store,
        }
    }

    pub fn store(&self) -> &S3ArtifactStore {
        &self.store
    }

    /// Every file and link of the commit's tree, one `GetFolder` per folder.
    async fn entries(&self, commit: &str) -> PortResult<Vec<Entry>> {
        let mut folders = vec!["/".to_string()];
        let mut entries = Vec::new();
        while let Some(folder) = folders.pop() {
            let out = self
                .client
                .get_folder()
                .repository_name(&self.repository)
                .commit_specifier(commit)
                .folder_path(&folder)
                .send()
                .await
                .map_err(|e| port_error("CodeCommit GetFolder", &e))?;
            folders.extend(out.sub_folders().iter().filter_map(|f| f.absolute_path().map(str::to_string)));
            let files = out.files().iter().map(|f| (f.absolute_path(), f.blob_id(), f.file_mode()));
            let links = out.symbolic_links().iter().map(|l| (l.absolute_path(), l.blob_id(), l.file_mode()));
            for (path, blob, mode) in files.chain(links) {
                let (Some(path), Some(blob)) = (path, blob) else { continue };
                entries.push(Entry {
                    path: path.trim_start_matches('/').to_string(),
                    blob: blob.to_string(),
                    mode: mode.cloned().unwrap_or(FileModeTypeEnum::Normal),
                });
            }
        }
        Ok(entries)
    }

    async fn write(&self, root: &Path, entry: Entry) -> PortResult<()> {
        // A path that climbs out of the tree is not one git would write.
        if entry.path.split('/').any(|c| c == ".." || c.is_empty()) {
            return Err(invalid(format!("the repository holds an unsafe path {:?}", entry.path)));
        }
        let out = self
            .client
            .get_blob()
            .repository_name(&self.repository)
            .blob_id(&entry.blob)
            .send()
            .await
            .map_err(|e| port_error("CodeCommit GetBlob", &e))?;
        let target: PathBuf = baton_core::beneath::resolve(root, &entry.path, baton_core::beneath::Last::Keep)
            .map_err(|e| invalid(format!("the repository holds an unsafe path: {e}")))?;
        if let Some(parent) = target.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|e| invalid(format!("{}: {e}", parent.display())))?;
        }
        let bytes = out.content().as_ref();
        match entry.mode {
            FileModeTypeEnum::Symlink => {
                let link = String::from_utf8_lossy(bytes).into_owned();
                std::os::unix::fs::symlink(&link, &target).map_err(|e| invalid(format!("{}: {e}", target.display())))?;
            }
            mode => {
                tokio::fs::write(&target, bytes)
                    .await
                    .map_err(|e| invalid(format!("{}: {e}", target.display())))?;
                if mode == FileModeTypeEnum::Executable {
                    use std::os::unix::fs::PermissionsExt;
                    let perms = std::fs::Permissions::from_mode(0o755);
                    tokio::fs::set_permissions(&target, perms)
                        .await
                        .map_err(|e| invalid(e.to_string()))?;
                }
            }
        }
        Ok(())
    }
}

#[async_trait]
impl SourceProvider for CodeCommitSource {
    async fn snapshot(&self, pipeline: &str, execution_id: &str, revision: Option<&str>) -> PortResult<SourceSnapshot> {
        let revision = revision.unwrap_or(&self.branch);
        // GetCommit takes a commit id: a branch name is resolved to its tip first.
        let commit_id = if revision.len() == 40 && revision.bytes().all(|b| b.is_ascii_hexdigit()) {
            revision.to_string()
        } else {
            crate::codecommit::CodeCommitChanges::new(self.client.clone(), &self.repository)
                .branch_commit(revision)
                .await?
        };
        let out = self
            .client
            .get_commit()
            .repository_name(&self.repository)
            .commit_id(&commit_id)
            .send()
            .await
            .map_err(|e| port_error("CodeCommit GetCommit", &e))?;
        let commit = out
            .commit()
            .ok_or_else(|| invalid(format!("{revision}: CodeCommit returned no commit")))?;
        let dir = tempfile::tempdir().map_err(|e| invalid(format!("scratch directory: {e}")))?;
        let entries = self.entries(&commit_id).await?;
        let count = entries.len();
        // Files first, links once every file is written: blobs are fetched concurrently, and a
        // file written after a link at its parent's path would be written through that link.
        let (links, files): (Vec<Entry>, Vec<Entry>) = entries.into_iter().partition(|e| e.mode == FileModeTypeEnum::Symlink);
        for batch in [files, links] {
            futures_util::stream::iter(batch)
                .map(|entry| self.write(dir.path(), entry))
                .buffer_unordered(BLOBS_IN_FLIGHT)
                .try_collect::<Vec<()>>()
                .await?;
        }
        // Each link alone may point inside while a chain of them leads out.
        baton_core::beneath::check_links(dir.path())
            .map_err(|e| invalid(format!("the repository holds a link that leads out of it: {e}")))?;
        let staged = StagedArtifact {
            name: "source".into(),
            location: dir.path().to_string_lossy().into_owned(),
        };
        let provenance = Provenance {
            pipeline: pipeline.to_string(),
            execution_id: execution_id.to_string(),
            action: "Source".into(),
            commit_id: Some(commit_id.clone()),
            ..Provenance::default()
        };
        let manifest = self.store.put(&staged, provenance).await?;
        let author = commit.author().and_then(|a| a.name()).unwrap_or("unknown");
        let subject = commit.message().and_then(|m| m.lines().next()).unwrap_or_default();
        tracing::info!(repository = %self.repository, commit = %commit_id, files = count, artifact = %manifest.artifact, "source snapshot stored");
        Ok(SourceSnapshot {
            branch: None,
            artifact: manifest.artifact,
            commit_id: Some(commit_id),
            revision_summary: Some(format!("{subject} ({author})")),
            commit_time: commit.committer().or(commit.author()).and_then(|u| u.date()).and_then(commit_time),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_dates_become_rfc3339() {
        assert_eq!(commit_time("1484167798 -0800").as_deref(), Some("2017-01-11T20:49:58Z"));
        assert_eq!(commit_time("yesterday"), None);
    }
}
