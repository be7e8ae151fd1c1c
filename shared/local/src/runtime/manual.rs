//! Deployments made by hand, outside any execution: `baton rollback` and the console's.

use baton_core::events::Event;
use baton_core::operations::{DeploymentEnded, RolledBack};
use baton_core::ports::{ArtifactRef, ArtifactStore, DeployRequest, Deployer, DeploymentStatus};
use tokio::sync::broadcast;

use super::LocalRuntime;
use crate::error::LocalError;
use crate::execution::record::execution_id;

impl LocalRuntime {
    /// A deployment made by hand (`baton rollback`, the console's rollback), as CodeDeploy's
    /// "redeploy a revision" makes one. Back to the last-good revision it is a rollback
    /// deployment; to a chosen version it is a new deployment, which the group's
    /// `auto_rollback: [failure]` rolls back to the last-good revision when it fails, as it
    /// would in an execution.
    pub async fn deploy_by_hand(&self, group: &str, artifact: ArtifactRef, chosen: bool) -> Result<DeploymentEnded, LocalError> {
        let (id, status, reason) = self.deploy_and_wait(group, artifact.clone(), !chosen).await?;
        let covered = self.pipeline().groups.get(group).is_some_and(|g| g.rollback_on_failure);
        let rolled_back = if chosen && status == DeploymentStatus::Failed && covered {
            match self.store().last_good(&self.pipeline().name, group).await {
                Ok(Some(good)) if good != artifact => {
                    let (id, status, reason) = self.deploy_and_wait(group, good.clone(), true).await?;
                    Some(RolledBack {
                        id,
                        status,
                        reason,
                        to: good,
                    })
                }
                _ => None,
            }
        } else {
            None
        };
        Ok(DeploymentEnded {
            id,
            status,
            reason,
            rolled_back,
        })
    }

    async fn deploy_and_wait(
        &self,
        group: &str,
        artifact: ArtifactRef,
        rollback: bool,
    ) -> Result<(String, DeploymentStatus, Option<String>), LocalError> {
        let mut handled = self.adapters.handled.subscribe();
        let correlation = format!("manual/{}", uuid::Uuid::new_v4());
        let request = DeployRequest {
            correlation: correlation.clone(),
            pipeline: self.pipeline().name.clone(),
            execution_id: format!("manual-{}", execution_id()),
            group: group.to_string(),
            artifact,
            rollback,
            // No execution gives them values: the declared ones.
            variables: self.pipeline().variables.clone(),
        };
        let id = self
            .adapters
            .deployer
            .start(request)
            .await
            .map_err(|e| LocalError::Internal(e.to_string()))?;
        loop {
            match handled.recv().await {
                Ok(Event::DeploymentStateChange {
                    correlation: c,
                    status,
                    reason,
                    ..
                }) if c == correlation
                    && matches!(
                        status,
                        DeploymentStatus::Succeeded | DeploymentStatus::Failed | DeploymentStatus::Stopped
                    ) =>
                {
                    return Ok((id, status, reason));
                }
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return Err(LocalError::Internal("the runtime stopped".into())),
            }
        }
    }
}
