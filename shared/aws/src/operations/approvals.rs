//! The approvals an execution on AWS waits on: parked in the state table under the execution's
//! name, each with the context its approval task wrote.

use baton_core::operations::{ExecutionRef, OperationError, WaitingApproval};
use baton_core::pipeline_status::PipelineStatus;
use baton_core::ports::PendingTasks;
use baton_core::stages::approval;
use baton_core::stages::context::ApprovalContext;

use super::{AwsOperations, internal};

impl AwsOperations {
    /// The running execution `id` names and the approval it waits on: the only one, or the one
    /// `action` names (`Stage:Action`, or `Action` alone).
    pub(super) async fn waiting(&self, id: &str, action: Option<&str>) -> Result<(ExecutionRef, String, Option<String>), OperationError> {
        let exec = self.execution(id).await?;
        if exec.status != PipelineStatus::Running {
            return Err(OperationError::Conflict(format!(
                "execution {} is {}; nothing waits for approval",
                exec.id, exec.status
            )));
        }
        let waiting = self.parked_approvals(&exec.id).await?;
        let names: Vec<&str> = waiting.iter().map(|w| w.action.as_str()).collect();
        let chosen = match (action, names.as_slice()) {
            (_, []) => return Err(OperationError::Conflict(format!("execution {} waits for no approval now", exec.id))),
            (None, [_]) => 0,
            (None, several) => {
                return Err(OperationError::Invalid(format!(
                    "execution {} waits for {} approvals; choose one with --action: {}",
                    exec.id,
                    several.len(),
                    several.join(", ")
                )));
            }
            (Some(name), all) => all
                .iter()
                .position(|a| *a == name || a.rsplit(':').next() == Some(name))
                .ok_or_else(|| OperationError::Conflict(format!("execution {} has no approval `{name}` waiting", exec.id)))?,
        };
        let WaitingApproval { action, message, .. } = waiting.into_iter().nth(chosen).expect("chosen among them");
        Ok((exec, action, message))
    }

    /// The approvals parked in the state table for execution `id` (its name).
    pub(super) async fn parked_approvals(&self, id: &str) -> Result<Vec<WaitingApproval>, OperationError> {
        let prefix = approval::key(id, "");
        let parked = self.pending.list(&prefix).await.map_err(internal)?;
        Ok(parked
            .into_iter()
            .map(|(key, task)| {
                let context = task.context_as::<ApprovalContext>();
                WaitingApproval {
                    action: key[prefix.len()..].to_string(),
                    message: context.message,
                    since_ms: context.started_ms,
                }
            })
            .collect())
    }
}
