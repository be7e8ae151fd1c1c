//! Deployments that wait for their group on AWS. CodeDeploy runs one deployment per group at a
//! time and refuses another (`DeploymentLimitExceededException`), where the local deployer
//! queues it behind the group's lock: in PARALLEL mode, or a rollback meeting a deployment,
//! the action would fail. A refused start waits instead, in the parked-task table under
//! `deployqueue/<group>/<queued at, ms>/<correlation>` (so a query lists them in arrival order),
//! and the events function starts the oldest when the group's deployment ends. Its own task
//! stays parked on its correlation throughout, so the deployment's end answers it as usual.

use baton_core::ports::{DeployRequest, PendingTask, PendingTasks, PortError, PortResult};

use crate::codedeploy::{CodeDeployer, Created};

fn prefix(group: &str) -> String {
    format!("deployqueue/{group}/")
}

impl CodeDeployer {
    /// Queues `req` behind its group's deployment in progress; the id it returns names the
    /// wait (`queued/<correlation>`), or the deployment when the group freed meanwhile.
    pub(crate) async fn queue_behind(&self, req: DeployRequest) -> PortResult<String> {
        let Some(queue) = &self.queue else {
            return Err(PortError::permanent(format!(
                "deployment group {} is busy with another deployment",
                req.group
            )));
        };
        let prefix = prefix(&req.group);
        let mine = format!("/{}", req.correlation);
        // A redelivered start is queued once.
        if !queue.list(&prefix).await?.iter().any(|(key, _)| key.ends_with(&mine)) {
            let key = format!("{prefix}{:013}{mine}", baton_core::metrics::now_ms());
            let context = serde_json::to_value(&req).map_err(|e| PortError::permanent(e.to_string()))?;
            queue
                .put(
                    &key,
                    &PendingTask {
                        token: String::new(),
                        context,
                    },
                )
                .await?;
            tracing::info!(group = %req.group, correlation = %req.correlation, "the group is busy; the deployment waits for it");
        }
        // The group may have freed between the refusal and the queueing, with no event left to
        // start what waits: try once now.
        match self.start_next(&req.group).await? {
            Some((correlation, id)) if correlation == req.correlation => Ok(id),
            _ => Ok(format!("queued/{}", req.correlation)),
        }
    }

    /// Starts the oldest deployment waiting for `group`, if the group takes it; returns its
    /// correlation and deployment id. Of two callers, one takes each waiting start. A start no
    /// execution waits for any more (stopped, timed out: its parked task is gone) is dropped.
    pub async fn start_next(&self, group: &str) -> PortResult<Option<(String, String)>> {
        let Some(queue) = &self.queue else {
            return Ok(None);
        };
        for (key, _) in queue.list(&prefix(group)).await? {
            let Some(task) = queue.take(&key).await? else {
                continue; // another caller took it
            };
            let req: DeployRequest =
                serde_json::from_value(task.context.clone()).map_err(|e| PortError::permanent(format!("{key}: {e}")))?;
            let parked = baton_core::stages::parked::deployment(&req.correlation);
            if !queue.list(&parked).await?.iter().any(|(k, _)| *k == parked) {
                tracing::info!(group, correlation = %req.correlation, "no execution waits for this deployment any more; it is dropped");
                continue;
            }
            if let Some(id) = self.in_flight(&req).await? {
                return Ok(Some((req.correlation, id)));
            }
            return match self.create(&req).await {
                Ok(Created::Deployment(id)) => {
                    tracing::info!(group, correlation = %req.correlation, deployment_id = %id, "a waiting deployment started");
                    Ok(Some((req.correlation, id)))
                }
                // Still busy (another start got in first), or failed: it waits on, in its place.
                Ok(Created::GroupBusy) => {
                    queue.put(&key, &task).await?;
                    Ok(None)
                }
                Err(e) => {
                    queue.put(&key, &task).await?;
                    Err(e)
                }
            };
        }
        Ok(None)
    }
}
