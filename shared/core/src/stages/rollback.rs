//! Rollback: restore a group to its last-good revision with a new deployment of it, as
//! CodeDeploy does, when the group's rollback policy covers the failure that happened.

use crate::stages::context::DeployContext;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::ports::{ArtifactStore, DeployRequest, Deployer, DeploymentStatus, MetricsSink, PendingTask, PendingTasks, TaskCallbacks};
use crate::stages::outputs::{self, RollbackSkipped};
use crate::stages::{StageError, correlation, error_types};
use crate::variables::PipelineVariables;

#[derive(Debug, Deserialize)]
pub struct RollbackInput {
    pub task_token: String,
    pub pipeline: String,
    pub execution_id: String,
    pub action: String,
    pub group: String,
    pub on_failure: bool,
    pub on_alarm: bool,
    /// The error that sent the execution down the rollback path.
    pub error: String,
    #[serde(default)]
    pub attempt: u64,
    /// `$$.Execution.RedriveCount`: which redrive of the execution this attempt belongs to.
    #[serde(default)]
    pub redrive: u64,
    /// The pipeline's variables, for the rollback deployment's hooks.
    #[serde(flatten)]
    pub variables: PipelineVariables,
}

#[allow(missing_debug_implementations, reason = "a bundle of trait objects")]
pub struct RollbackPorts<'a> {
    pub artifacts: &'a dyn ArtifactStore,
    pub deployer: &'a dyn Deployer,
    pub pending: &'a dyn PendingTasks,
    pub callbacks: &'a dyn TaskCallbacks,
    pub metrics: &'a dyn MetricsSink,
}

pub async fn start(ports: RollbackPorts<'_>, input: RollbackInput) -> Result<Value, StageError> {
    let skip = |reason: &str| {
        outputs::result(&RollbackSkipped {
            group: input.group.clone(),
            rolled_back: false,
            reason: reason.into(),
        })
    };
    // A failed canary analysis stopped the shift as an alarm does, so the `alarm` policy covers it.
    let covered = if input.error == error_types::ALARM_TRIGGERED || input.error == error_types::CANARY_ANALYSIS_FAILED {
        input.on_alarm
    } else {
        input.on_failure
    };
    let verdict = if input.error == error_types::DEPLOYMENT_STOPPED {
        // As CodeDeploy: `StopDeployment` says whether to roll back, and that rollback (if any)
        // is already the group's next deployment.
        Some(skip(
            "the deployment was stopped on request, and the stop decided about the rollback",
        ))
    } else if !covered {
        Some(skip("the group's auto_rollback policy does not cover this failure"))
    } else {
        match ports.artifacts.last_good(&input.pipeline, &input.group).await? {
            None => Some(skip("the group has no last-good revision to return to")),
            Some(good) => {
                let last = ports.deployer.last_deployment(&input.pipeline, &input.group).await?;
                match last {
                    Some(d) if d.artifact == good && d.status == DeploymentStatus::Succeeded => {
                        Some(skip("the group already runs its last-good revision"))
                    }
                    None => Some(skip("nothing was ever deployed to the group")),
                    Some(_) => {
                        let key = correlation(&input.execution_id, &input.action, input.redrive, input.attempt);
                        let context = DeployContext {
                            pipeline: input.pipeline.clone(),
                            group: input.group.clone(),
                            artifact: Some(good.clone()),
                            mark_good: false,
                            rollback: true,
                            action: input.action.clone(),
                            started_ms: crate::metrics::now_ms(),
                        };
                        ports
                            .pending
                            .put(
                                &crate::stages::parked::deployment(&key),
                                &PendingTask::parked(input.task_token.clone(), &context),
                            )
                            .await?;
                        let id = ports
                            .deployer
                            .start(DeployRequest {
                                correlation: key,
                                pipeline: input.pipeline.clone(),
                                execution_id: input.execution_id.clone(),
                                group: input.group.clone(),
                                artifact: good.clone(),
                                rollback: true,
                                variables: input.variables.values(),
                            })
                            .await?;
                        let datum =
                            crate::metrics::datum("Rollbacks", 1.0, "Count", crate::metrics::group_dims(&input.pipeline, &input.group));
                        ports.metrics.put(&[datum]).await?;
                        tracing::warn!(group = %input.group, to = %good, deployment_id = %id, cause = %input.error, "rolling back");
                        return Ok(json!({ "deployment_id": id, "to": good }));
                    }
                }
            }
        }
    };
    // Nothing to deploy: answer our own token so the waiting task completes at once.
    let output = verdict.unwrap_or_default();
    tracing::info!(group = %input.group, reason = %output["reason"], "no rollback needed");
    ports.callbacks.succeed(&input.task_token, output.clone()).await?;
    Ok(output)
}
