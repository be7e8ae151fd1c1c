//! Manual approval: the execution waits on its task token until someone answers
//! ([`crate::events::Event::ApprovalAnswered`]) or the state's `TimeoutSeconds` runs out.
//!
//! In SUPERSEDED pipelines an approval waiting for an older revision gives way when a newer
//! execution arrives in front of its stage (CodePipeline's approvals do not: its users reject by
//! hand to let the newer change through). The older execution ends SUPERSEDED, with no rollback.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::model::ExecutionMode;
use crate::ports::{MetricsSink, PendingTask, PendingTasks, TaskCallbacks};
use crate::stages::context::{ApprovalContext, GateContext};
use crate::stages::outputs::{self, ApprovalOutput};
use crate::stages::{StageError, error_types};

#[derive(Debug, Deserialize)]
pub struct ApprovalInput {
    pub task_token: String,
    pub pipeline: String,
    pub execution_id: String,
    pub action: String,
    /// What the approver is asked, from pipeline.yml.
    #[serde(default)]
    pub message: Option<String>,
    /// The stage the approval is in.
    #[serde(default)]
    pub stage: Option<String>,
    #[serde(default)]
    pub mode: Option<ExecutionMode>,
    /// `$$.Execution.StartTime`: which of two executions carries the newer revision.
    #[serde(default)]
    pub started: Option<String>,
}

/// The pending-task key of an approval: one per execution and action, so that `baton approve`
/// can find it from the execution id alone, and a retried attempt replaces the older one.
pub fn key(execution_id: &str, action: &str) -> String {
    format!("{KEYS}{execution_id}/{action}")
}

/// What every approval's key starts with.
pub const KEYS: &str = "approval/";

pub async fn start(pending: &dyn PendingTasks, callbacks: &dyn TaskCallbacks, input: ApprovalInput) -> Result<Value, StageError> {
    let execution_started_ms = crate::stages::gate::started_ms(input.started.as_deref());
    let context = ApprovalContext {
        pipeline: input.pipeline.clone(),
        execution_id: input.execution_id.clone(),
        action: input.action.clone(),
        message: input.message.clone(),
        stage: input.stage.clone(),
        started_ms: crate::metrics::now_ms(),
        execution_started_ms,
    };
    let key = key(&input.execution_id, &input.action);
    pending.put(&key, &PendingTask::parked(input.task_token, &context)).await?;
    tracing::info!(execution_id = %input.execution_id, action = %input.action, "waiting for approval");
    // A newer execution may already wait in front of this stage: then this one gives way now.
    if let (Some(ExecutionMode::Superseded), Some(stage)) = (input.mode, &input.stage) {
        let newer = pending
            .list(crate::stages::gate::KEYS)
            .await?
            .into_iter()
            .map(|(_, t)| t.context_as::<GateContext>())
            .find(|g| g.pipeline == input.pipeline && g.stage == *stage && g.execution_started_ms > execution_started_ms);
        if let Some(gate) = newer {
            give_way(pending, callbacks, &key, &gate.execution_id, stage).await?;
        }
    }
    Ok(json!({ "waiting": true }))
}

/// An approver's answer to the approval `action` of an execution.
#[derive(Debug, Clone)]
pub struct Answer {
    pub execution_id: String,
    pub action: String,
    pub approved: bool,
    pub approver: String,
    pub comment: Option<String>,
}

/// Answers the waiting approval: its task succeeds with the approver and comment, or fails
/// `Baton.ApprovalRejected`; the wait is published as `ApprovalWaitTime`. False when no approval
/// waited (answered already, or timed out). A callback that fails transiently parks the task
/// again for the answer's redelivery.
pub async fn answer(
    pending: &dyn PendingTasks,
    callbacks: &dyn TaskCallbacks,
    metrics: &dyn MetricsSink,
    answer: Answer,
) -> Result<bool, StageError> {
    let Answer {
        execution_id,
        action,
        approved,
        approver,
        comment,
    } = answer;
    let key = key(&execution_id, &action);
    let Some(task) = pending.take(&key).await? else {
        tracing::debug!(execution_id, action, "no approval waits for this answer");
        return Ok(false);
    };
    let dims = crate::metrics::action_dims(&task.context_as::<ApprovalContext>().pipeline, &action);
    let datum = crate::metrics::datum("ApprovalWaitTime", crate::stages::elapsed_ms(&task), "Milliseconds", dims);
    if let Err(e) = metrics.put(&[datum]).await {
        tracing::warn!(error = %e, "could not publish metrics");
    }
    tracing::info!(execution_id, action, approved, approver, "approval answered");
    let work = async {
        if approved {
            let output = ApprovalOutput {
                approved: true,
                approver: approver.clone(),
                comment,
            };
            callbacks.succeed(&task.token, outputs::result(&output)).await?;
        } else {
            let mut cause = format!("rejected by {approver}");
            if let Some(c) = comment {
                cause.push_str(&format!(": {c}"));
            }
            callbacks.fail(&task.token, error_types::APPROVAL_REJECTED, &cause).await?;
        }
        Ok(())
    };
    crate::stages::or_park_again(pending, &key, &task, work).await?;
    Ok(true)
}

/// SUPERSEDED mode: execution `newer` (started at `newer_started_ms`) arrived in front of
/// `stage`; the approvals in that stage waiting for older executions give way to it. Returns
/// the executions superseded.
pub async fn supersede_older(
    pending: &dyn PendingTasks,
    callbacks: &dyn TaskCallbacks,
    (pipeline, stage): (&str, &str),
    newer: &str,
    newer_started_ms: i64,
) -> Result<Vec<String>, StageError> {
    let mut superseded = Vec::new();
    for (key, task) in pending.list(KEYS).await? {
        let c = &task.context;
        let older = c["execution_started_ms"].as_i64().is_some_and(|s| s < newer_started_ms);
        if c["pipeline"] == pipeline
            && c["stage"] == stage
            && c["execution_id"] != newer
            && older
            && give_way(pending, callbacks, &key, newer, stage).await?
        {
            superseded.push(c["execution_id"].as_str().unwrap_or_default().to_string());
        }
    }
    Ok(superseded)
}

/// Ends the approval parked at `key` as superseded by `by`; `false` when it was answered first.
async fn give_way(pending: &dyn PendingTasks, callbacks: &dyn TaskCallbacks, key: &str, by: &str, stage: &str) -> Result<bool, StageError> {
    let Some(task) = pending.take(key).await? else {
        return Ok(false);
    };
    let cause = format!("execution {by}, with a newer revision, arrived at stage {stage} while this one waited for approval");
    tracing::info!(approval = key, by, "approval superseded");
    callbacks.fail(&task.token, error_types::SUPERSEDED, &cause).await?;
    Ok(true)
}
