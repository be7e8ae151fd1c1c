//! Deploy actions: start a deployment of an artifact version to a group.

use crate::stages::context::DeployContext;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::ports::{ArtifactRef, DeployRequest, Deployer, PendingTask, PendingTasks, Timers};
use crate::stages::{StageError, canary, correlation};
use crate::variables::PipelineVariables;

#[derive(Debug, Deserialize)]
pub struct DeployInput {
    pub task_token: String,
    pub pipeline: String,
    pub execution_id: String,
    pub action: String,
    pub group: String,
    pub artifact: ArtifactRef,
    /// No bake follows: a successful deployment is itself the proof that makes it last-good.
    #[serde(default)]
    pub mark_good: bool,
    #[serde(default)]
    pub attempt: u64,
    /// `$$.Execution.RedriveCount`: which redrive of the execution this attempt belongs to.
    #[serde(default)]
    pub redrive: u64,
    /// A group whose canary analysis is timer-driven (a Lambda group on AWS): the analysis.
    #[serde(default)]
    pub canary: Option<crate::analysis::AnalysisSpec>,
    /// The pipeline's variables, for the deployment's hooks.
    #[serde(flatten)]
    pub variables: PipelineVariables,
}

/// Starts the deployment; `timers` schedule its canary analysis where the input asks for one
/// (none where a process watches each shift itself).
pub async fn start(
    deployer: &dyn Deployer,
    pending: &dyn PendingTasks,
    timers: Option<&dyn Timers>,
    input: DeployInput,
) -> Result<Value, StageError> {
    let key = correlation(&input.execution_id, &input.action, input.redrive, input.attempt);
    let context = DeployContext {
        pipeline: input.pipeline.clone(),
        group: input.group.clone(),
        artifact: Some(input.artifact.clone()),
        mark_good: input.mark_good,
        rollback: false,
        action: input.action.clone(),
        started_ms: crate::metrics::now_ms(),
    };
    pending
        .put(
            &crate::stages::parked::deployment(&key),
            &PendingTask::parked(input.task_token, &context),
        )
        .await?;
    let deployment_id = deployer
        .start(DeployRequest {
            correlation: key,
            pipeline: input.pipeline,
            execution_id: input.execution_id,
            group: input.group.clone(),
            artifact: input.artifact.clone(),
            rollback: false,
            variables: input.variables.values(),
        })
        .await?;
    tracing::info!(group = %input.group, artifact = %input.artifact, deployment_id = %deployment_id, "deployment started");
    if let Some(analysis) = &input.canary {
        let timers = timers.ok_or_else(|| {
            StageError::InvalidInput(format!(
                "group {} has a canary analysis, and this deploy function has no timers to run it",
                input.group
            ))
        })?;
        canary::schedule(timers, analysis, &deployment_id, &input.group, context.started_ms).await?;
    }
    Ok(json!({ "deployment_id": deployment_id }))
}
