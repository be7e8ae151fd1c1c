//! Build and test actions: start a build that carries the task token's correlation key.

use crate::stages::context::BuildContext;
use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::ports::{ArtifactRef, BuildRequest, BuildRunner, PendingTask, PendingTasks};
use crate::stages::{StageError, correlation};
use crate::variables::{self, Namespaces, PipelineVariables};

#[derive(Debug, Deserialize)]
pub struct BuildInput {
    pub task_token: String,
    pub pipeline: String,
    pub execution_id: String,
    pub action: String,
    pub buildspec: String,
    #[serde(default)]
    pub outputs: Vec<String>,
    /// The action's own `env`: it wins over the pipeline's variables.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// The pipeline's variables: the build's environment under its own `env`.
    #[serde(flatten)]
    pub variables: PipelineVariables,
    /// Output variables of earlier actions that `env` refers to.
    #[serde(default)]
    pub namespaces: Namespaces,
    pub timeout_secs: u64,
    /// Run the buildspec's `batch:` (the action's `batch: true`).
    #[serde(default)]
    pub batch: bool,
    pub source: ArtifactRef,
    #[serde(default)]
    pub commit_id: Option<String>,
    #[serde(default)]
    pub attempt: u64,
    /// `$$.Execution.RedriveCount`: which redrive of the execution this attempt belongs to.
    #[serde(default)]
    pub redrive: u64,
}

/// Declared variables, overridden by the execution's, then the action's own env.
fn build_env(input: &BuildInput) -> BTreeMap<String, String> {
    let mut env = input.variables.values();
    env.extend(input.env.clone());
    env
}

pub async fn start(builds: &dyn BuildRunner, pending: &dyn PendingTasks, mut input: BuildInput) -> Result<Value, StageError> {
    input.env = build_env(&input);
    for value in input.env.values_mut() {
        *value = variables::resolve(value, &input.namespaces).map_err(StageError::InvalidInput)?;
    }
    let key = correlation(&input.execution_id, &input.action, input.redrive, input.attempt);
    // A second delivery of the same attempt (the same task token) whose first one started its
    // build: that build is the answer. Concurrent deliveries race past this; CodeBuild's
    // idempotency token (and the local runner's unique correlation) settles those.
    let parked = crate::stages::parked::build(&key);
    let started = pending.list(&parked).await?.into_iter().find_map(|(k, t)| {
        (k == parked && t.token == input.task_token)
            .then(|| t.context_as::<BuildContext>().job_id)
            .flatten()
    });
    if let Some(build_id) = started {
        tracing::info!(action = %input.action, build_id = %build_id, "build already started by an earlier delivery");
        return Ok(json!({ "build_id": build_id }));
    }
    // Park the token first: a build that finishes instantly must find its waiter.
    let context = BuildContext {
        pipeline: input.pipeline.clone(),
        execution_id: input.execution_id.clone(),
        action: input.action.clone(),
        commit_id: input.commit_id.clone(),
        inputs: vec![input.source.clone()],
        started_ms: crate::metrics::now_ms(),
        job_id: None,
    };
    pending.put(&parked, &PendingTask::parked(input.task_token, &context)).await?;
    let build_id = builds
        .start(BuildRequest {
            correlation: key.clone(),
            pipeline: input.pipeline,
            execution_id: input.execution_id,
            action: input.action.clone(),
            buildspec: input.buildspec,
            source: input.source,
            commit_id: input.commit_id,
            outputs: input.outputs,
            env: input.env,
            timeout_secs: input.timeout_secs,
            batch: input.batch,
        })
        .await?;
    tracing::info!(action = %input.action, build_id = %build_id, "build started");
    // Only for stopping it should the execution end first; a build that cannot be stopped then
    // still ends by its own timeout.
    if let Err(e) = pending.note_job(&parked, &build_id).await {
        tracing::warn!(build_id = %build_id, error = %e, "could not note the build on its waiting task");
    }
    Ok(json!({ "build_id": build_id }))
}
