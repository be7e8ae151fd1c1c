//! The gate in front of each stage (SUPERSEDED and QUEUED pipelines): the execution waits on its
//! task token until the stage's lock is its ([`crate::events::Event::StageEntered`]) or a newer
//! execution overtakes it ([`crate::events::Event::ExecutionSuperseded`]).

use crate::stages::context::GateContext;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::events::Event;
use crate::metrics;
use crate::model::ExecutionMode;
use crate::ports::{Arrival, MetricsSink, PendingTask, PendingTasks, StageLanes, TaskCallbacks};
use crate::stages::{StageError, approval, error_types, or_park_again};

#[derive(Debug, Clone, Deserialize)]
pub struct GateInput {
    pub task_token: String,
    pub pipeline: String,
    pub execution_id: String,
    pub stage: String,
    pub mode: ExecutionMode,
    /// `$$.Execution.StartTime`: orders executions where the lanes have no sequence of their own.
    #[serde(default)]
    pub started: Option<String>,
}

/// The pending-task key of a gate: one per execution and stage.
pub fn key(execution_id: &str, stage: &str) -> String {
    format!("{KEYS}{execution_id}/{stage}")
}

/// What every gate's key starts with.
pub const KEYS: &str = "gate/";

/// `$$.Execution.StartTime` in milliseconds; now when the state machine did not pass it.
pub fn started_ms(started: Option<&str>) -> i64 {
    started
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map_or_else(metrics::now_ms, |t| t.timestamp_millis())
}

pub async fn start(
    lanes: &dyn StageLanes,
    pending: &dyn PendingTasks,
    callbacks: &dyn TaskCallbacks,
    input: GateInput,
) -> Result<Value, StageError> {
    let started_ms = started_ms(input.started.as_deref());
    let context = GateContext {
        pipeline: input.pipeline.clone(),
        execution_id: input.execution_id.clone(),
        stage: input.stage.clone(),
        started_ms: metrics::now_ms(),
        execution_started_ms: started_ms,
    };
    // Parked before arriving: the decision may come back before `arrive` returns.
    pending
        .put(
            &key(&input.execution_id, &input.stage),
            &PendingTask::parked(input.task_token, &context),
        )
        .await?;
    let arrival = Arrival {
        pipeline: &input.pipeline,
        execution: &input.execution_id,
        stage: &input.stage,
        mode: input.mode,
        started_ms,
    };
    lanes.arrive(&arrival).await?;
    tracing::debug!(execution_id = %input.execution_id, stage = %input.stage, "waiting in front of the stage");
    if input.mode == ExecutionMode::Superseded {
        // An execution that waits for approval inside the stage holds it for an older revision.
        approval::supersede_older(pending, callbacks, (&input.pipeline, &input.stage), &input.execution_id, started_ms).await?;
    }
    Ok(json!({ "waiting": true }))
}

/// Answers the gate a lane decision is for: the execution goes into the stage, or ends
/// superseded. A decision whose gate is no longer parked (delivered twice) does nothing.
pub async fn answer(
    pending: &dyn PendingTasks,
    callbacks: &dyn TaskCallbacks,
    metrics: &dyn MetricsSink,
    decision: Event,
) -> Result<(), StageError> {
    match decision {
        Event::StageEntered { execution_id, stage } => {
            let key = key(&execution_id, &stage);
            let Some(task) = pending.take(&key).await? else {
                tracing::debug!(execution_id, stage, "no execution waits in front of this stage");
                return Ok(());
            };
            let context: GateContext = task.context_as();
            let waited = super::elapsed_ms(&task);
            let mut dims = metrics::pipeline_dims(&context.pipeline);
            dims.insert("Stage".into(), stage.clone());
            if let Err(e) = metrics.put(&[metrics::datum("StageWaitTime", waited, "Milliseconds", dims)]).await {
                tracing::warn!(error = %e, "could not publish metrics");
            }
            tracing::info!(execution_id, stage, waited_ms = waited, "entered the stage");
            let entered = async {
                callbacks
                    .succeed(&task.token, json!({ "stage": stage, "waited_ms": waited }))
                    .await?;
                Ok(())
            };
            or_park_again(pending, &key, &task, entered).await?;
        }
        Event::ExecutionSuperseded { execution_id, stage, by } => {
            let key = key(&execution_id, &stage);
            let Some(task) = pending.take(&key).await? else {
                return Ok(());
            };
            tracing::info!(execution_id, stage, by, "superseded");
            let cause = format!("execution {by} overtook this one while it waited to enter stage {stage}");
            let told = async {
                callbacks.fail(&task.token, error_types::SUPERSEDED, &cause).await?;
                Ok(())
            };
            or_park_again(pending, &key, &task, told).await?;
        }
        other => return Err(StageError::InvalidInput(format!("not a stage decision: {other:?}"))),
    }
    Ok(())
}
