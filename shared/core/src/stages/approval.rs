//! Manual approval: the execution waits on its task token until someone answers
//! ([`crate::events::Event::ApprovalAnswered`]) or the state's `TimeoutSeconds` runs out.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::ports::{PendingTask, PendingTasks};
use crate::stages::StageError;

#[derive(Debug, Deserialize)]
pub struct ApprovalInput {
    pub task_token: String,
    pub pipeline: String,
    pub execution_id: String,
    pub action: String,
    /// What the approver is asked, from pipeline.yml.
    #[serde(default)]
    pub message: Option<String>,
}

/// The pending-task key of an approval: one per execution and action, so that `baton approve`
/// can find it from the execution id alone, and a retried attempt replaces the older one.
pub fn key(execution_id: &str, action: &str) -> String {
    format!("approval/{execution_id}/{action}")
}

pub async fn start(pending: &dyn PendingTasks, input: ApprovalInput) -> Result<Value, StageError> {
    let context = json!({
        "pipeline": input.pipeline,
        "execution_id": input.execution_id,
        "action": input.action,
        "message": input.message,
        "started_ms": crate::metrics::now_ms(),
    });
    pending
        .put(
            &key(&input.execution_id, &input.action),
            &PendingTask {
                token: input.task_token,
                context,
            },
        )
        .await?;
    tracing::info!(execution_id = %input.execution_id, action = %input.action, "waiting for approval");
    Ok(json!({ "waiting": true }))
}
