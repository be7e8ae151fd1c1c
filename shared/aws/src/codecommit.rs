//! CodeCommit: the files a push changed (`GetDifferences`, every page), and the EventBridge
//! `CodeCommit Repository State Change` event turned into a [`RefChange`].

use async_trait::async_trait;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_sdk_codecommit::Client;
use baton_core::ports::{ChangedFiles, PortResult};
use baton_core::trigger::RefChange;
use serde::{Deserialize, Serialize};

use crate::sdk::port_error;

#[derive(Debug, Clone)]
pub struct CodeCommitChanges {
    client: Client,
    repository: String,
}

impl CodeCommitChanges {
    pub fn new(client: Client, repository: impl Into<String>) -> Self {
        Self {
            client,
            repository: repository.into(),
        }
    }
}

impl CodeCommitChanges {
    /// The commit at the tip of `branch` (`GetBranch`), for scheduled runs.
    pub async fn branch_commit(&self, branch: &str) -> PortResult<String> {
        let out = self
            .client
            .get_branch()
            .repository_name(&self.repository)
            .branch_name(branch)
            .send()
            .await
            .map_err(|e| port_error("CodeCommit GetBranch", &e))?;
        out.branch()
            .and_then(|b| b.commit_id())
            .map(str::to_string)
            .ok_or_else(|| baton_core::ports::PortError::permanent(format!("branch {branch} of {} has no commit", self.repository)))
    }
}

#[async_trait]
impl ChangedFiles for CodeCommitChanges {
    async fn changed_files(&self, change: &RefChange) -> PortResult<Vec<String>> {
        let Some(after) = &change.new else { return Ok(Vec::new()) };
        let mut pages = self
            .client
            .get_differences()
            .repository_name(&self.repository)
            .set_before_commit_specifier(change.old.clone())
            .after_commit_specifier(after)
            .into_paginator()
            .send();
        let mut files = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| port_error("CodeCommit GetDifferences", &e))?;
            for d in page.differences() {
                // A deleted file has only a before blob, an added one only an after blob.
                let blob = d.after_blob().or(d.before_blob());
                if let Some(path) = blob.and_then(|b| b.path()) {
                    files.push(path.to_string());
                }
            }
        }
        Ok(files)
    }
}

/// The `detail` of a `CodeCommit Repository State Change` event (the reference events).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryStateChange {
    pub event: String,
    pub repository_name: String,
    #[serde(default)]
    pub reference_full_name: Option<String>,
    #[serde(default)]
    pub commit_id: Option<String>,
    #[serde(default)]
    pub old_commit_id: Option<String>,
}

pub type RepositoryStateChangeEvent = EventBridgeEvent<RepositoryStateChange>;

/// The ref change a state-change event reports; `None` for events that move no ref (an
/// unreferenced merge commit).
pub fn ref_change(detail: &RepositoryStateChange) -> Option<RefChange> {
    let reference = detail.reference_full_name.clone()?;
    let (old, new) = match detail.event.as_str() {
        "referenceCreated" => (None, detail.commit_id.clone()),
        "referenceUpdated" => (detail.old_commit_id.clone(), detail.commit_id.clone()),
        "referenceDeleted" => (detail.old_commit_id.clone(), None),
        _ => return None,
    };
    Some(RefChange { reference, old, new })
}
