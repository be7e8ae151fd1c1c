//! What an approver on AWS is approving: the approval's message, what the execution's tasks
//! produced, and how the versions it built differ from what each group runs now.

use baton_core::operations::{ApprovalReview, GroupChange, OperationError};
use baton_core::ports::{ArtifactRef, Deployer, DeploymentStatus};
use baton_core::stages::outputs::TaskOutput;

use super::{AwsOperations, history, internal};

impl AwsOperations {
    pub(super) async fn review(&self, execution: &str, action: Option<&str>) -> Result<ApprovalReview, OperationError> {
        let (exec, action, message) = self.waiting(execution, action).await?;
        let produced = history::produced(&self.sfn, &self.arn(&exec.id)).await.map_err(internal)?;
        let built: Vec<ArtifactRef> = produced
            .iter()
            .filter_map(|(_, result)| match TaskOutput::read(result) {
                TaskOutput::Build(b) => Some(b.artifacts.into_values()),
                _ => None,
            })
            .flatten()
            .collect();
        let mut groups = Vec::new();
        for group in self.pipeline.groups.keys() {
            // What a group runs is what its last successful deployment installed (CodeDeploy's
            // `ListDeployments`, then `GetDeployment`): a failed one was rolled back or stopped.
            let Some(running) = self
                .deployer
                .last_deployment(&self.pipeline.name, group)
                .await
                .map_err(internal)?
                .filter(|d| d.status == DeploymentStatus::Succeeded)
                .map(|d| d.artifact)
            else {
                continue;
            };
            let mut changes = Vec::new();
            for to in built.iter().filter(|b| b.name == running.name) {
                let diff = self
                    .deployer
                    .store()
                    .diff(&self.pipeline.name, &running, to)
                    .await
                    .map_err(internal)?;
                changes.push(baton_core::artifact_diff::counted(&running, to, &diff));
            }
            groups.push(GroupChange {
                group: group.clone(),
                running: vec![running],
                changes,
            });
        }
        Ok(ApprovalReview {
            execution: exec,
            action,
            message,
            produced,
            groups,
        })
    }
}
