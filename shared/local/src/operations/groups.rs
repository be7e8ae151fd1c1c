//! Deployment groups: a rollback made by hand, and a stop of a deployment in progress.

use std::time::Duration;

use baton_core::operations::{
    DeploymentEnded, DeploymentStopped, DeploymentStopping, OperationError, Prepared, RollbackPlan, StopDeployment,
};
use baton_core::ports::{ArtifactRef, ArtifactStore, Deployer, DeploymentStop};

use super::{LocalOperations, stored_version};
use crate::PipelineStatus;
use crate::query;

const ENDED: [&str; 3] = ["Succeeded", "Failed", "Stopped"];

pub(super) async fn roll_back(
    ops: &LocalOperations,
    group: &str,
    to: Option<&str>,
) -> Result<Prepared<RollbackPlan, DeploymentEnded>, OperationError> {
    let rt = ops.runtime().await?;
    let pipeline = rt.pipeline().name.clone();
    if !rt.pipeline().groups.contains_key(group) {
        let known: Vec<&str> = rt.pipeline().groups.keys().map(String::as_str).collect();
        return Err(OperationError::NotFound(format!(
            "no deployment group `{group}`; the pipeline has: {}",
            known.join(", ")
        )));
    }
    let target = match to {
        Some(spec) => stored_version(rt.store(), &pipeline, spec)?.artifact,
        None => rt
            .store()
            .last_good(&pipeline, group)
            .await
            .map_err(|e| OperationError::Internal(e.to_string()))?
            .ok_or_else(|| {
                OperationError::Conflict(format!(
                    "group `{group}` has no last-good revision yet; name one with --to NAME@VERSION"
                ))
            })?,
    };
    // What the group's instances run, each version once (a failed deployment can leave a mix).
    let mut running: Vec<ArtifactRef> = query::instances(rt.db(), &pipeline)?
        .into_iter()
        .filter(|i| i.group == group && i.running)
        .filter_map(|i| serde_json::from_value::<ArtifactRef>(i.artifact?).ok())
        .collect();
    running.sort_by(|a, b| (&a.name, a.version).cmp(&(&b.name, b.version)));
    running.dedup();
    let plan = RollbackPlan {
        group: group.to_string(),
        running,
        target: target.clone(),
        chosen: to.is_some(),
    };
    let (group, chosen) = (group.to_string(), to.is_some());
    tracing::info!(group, to = %target, "rollback prepared");
    let run = async move { Ok(rt.deploy_by_hand(&group, target, chosen).await?) };
    Ok(Prepared { plan, run: Box::pin(run) })
}

pub(super) async fn stop_deployment(
    ops: &LocalOperations,
    request: StopDeployment,
) -> Result<Prepared<DeploymentStopping, DeploymentStopped>, OperationError> {
    let rt = ops.runtime().await?;
    let id = request.id;
    let Some(deployment) = query::deployment_state(rt.db(), &id)? else {
        return Err(OperationError::NotFound(format!(
            "no deployment {id} in this pipeline's state; `baton status` lists an execution's deployments"
        )));
    };
    if ENDED.contains(&deployment.status.as_str()) {
        return Err(OperationError::Conflict(format!(
            "deployment {id} has already ended ({}); to put group {} back on an earlier version, use `baton rollback {}`",
            deployment.status, deployment.group, deployment.group
        )));
    }
    let rollback = request
        .rollback
        .unwrap_or_else(|| rt.pipeline().groups.get(&deployment.group).is_some_and(|g| g.rollback_on_stop));
    rt.deployer()
        .stop(
            &id,
            DeploymentStop {
                rollback,
                cause: request.cause,
            },
        )
        .await
        .map_err(|e| {
            if e.transient {
                OperationError::Internal(e.message)
            } else {
                OperationError::Conflict(e.message)
            }
        })?;
    let plan = DeploymentStopping {
        id: id.clone(),
        group: deployment.group.clone(),
        rollback,
    };
    let run = async move {
        let ended = loop {
            let now = query::deployment_state(rt.db(), &id)?.unwrap_or(deployment.clone());
            if ENDED.contains(&now.status.as_str()) {
                break now;
            }
            // A deployment whose execution ended without it has nobody left to stop it.
            if let Some(exec) = query::execution(rt.db(), Some(&now.execution_id))?
                && exec.status != PipelineStatus::Running
            {
                return Err(OperationError::Conflict(format!(
                    "deployment {id} is {} but its execution {} is {}: nothing runs it any more (`baton resume` ends it)",
                    now.status, exec.id, exec.status
                )));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        Ok(DeploymentStopped {
            rollback_id: crate::deploy::stop::rollback_of_stop(rt.db(), &id)?,
            status: ended.status,
            reason: ended.reason,
        })
    };
    Ok(Prepared { plan, run: Box::pin(run) })
}
