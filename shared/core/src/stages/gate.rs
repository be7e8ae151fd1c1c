//! The gate in front of each stage (SUPERSEDED and QUEUED pipelines): the execution waits on its
//! task token until the stage's lock is its ([`crate::events::Event::StageEntered`]) or a newer
//! execution overtakes it ([`crate::events::Event::ExecutionSuperseded`]).

use serde::Deserialize;
use serde_json::{Value, json};

use crate::model::ExecutionMode;
use crate::ports::{PendingTask, PendingTasks, StageLanes};
use crate::stages::StageError;

#[derive(Debug, Deserialize)]
pub struct GateInput {
    pub task_token: String,
    pub pipeline: String,
    pub execution_id: String,
    pub stage: String,
    pub mode: ExecutionMode,
}

/// The pending-task key of a gate: one per execution and stage.
pub fn key(execution_id: &str, stage: &str) -> String {
    format!("gate/{execution_id}/{stage}")
}

pub async fn start(lanes: &dyn StageLanes, pending: &dyn PendingTasks, input: GateInput) -> Result<Value, StageError> {
    let context = json!({
        "pipeline": input.pipeline,
        "execution_id": input.execution_id,
        "stage": input.stage,
        "started_ms": crate::metrics::now_ms(),
    });
    // Parked before arriving: the decision may come back before `arrive` returns.
    pending
        .put(
            &key(&input.execution_id, &input.stage),
            &PendingTask {
                token: input.task_token,
                context,
            },
        )
        .await?;
    lanes.arrive(&input.pipeline, &input.execution_id, &input.stage, input.mode).await?;
    tracing::debug!(execution_id = %input.execution_id, stage = %input.stage, "waiting in front of the stage");
    Ok(json!({ "waiting": true }))
}
