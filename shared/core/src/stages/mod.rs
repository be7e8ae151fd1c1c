//! Stage handlers: plain async functions that a Lambda main and the local runner both call.
//! Each takes exactly the ports it needs. Handlers that start long work (`build`, `deploy`,
//! `bake`, `approval`, `rollback`) park the state machine's task token and return; [`events::handle`]
//! answers the token when the work reports back (callbacks, not polling: ARCHITECTURE.md).

pub mod abandon;
pub mod approval;
pub mod bake;
pub mod build;
pub mod canary;
pub mod context;
pub mod deploy;
pub mod events;
pub mod gate;
pub mod lambda_error;
pub mod outputs;
pub mod rollback;
pub mod source;
pub mod trigger;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::ports::{PendingTask, PendingTasks, PortError};

/// The `errorType` names the state machine's `Retry` and `Catch` match on.
pub mod error_types {
    pub const BUILD_FAILED: &str = "BuildFailed";
    pub const DEPLOY_FAILED: &str = "DeployFailed";
    /// Someone stopped the deployment (`baton stop-deployment`, `StopDeployment`); the stop
    /// itself said whether to roll back, so the pipeline's rollback path leaves the group alone.
    pub const DEPLOYMENT_STOPPED: &str = "DeploymentStopped";
    pub const ALARM_TRIGGERED: &str = "AlarmTriggered";
    /// The canary analysis stopped the deployment; rolled back as an alarm's stop is.
    pub const CANARY_ANALYSIS_FAILED: &str = "CanaryAnalysisFailed";
    pub const APPROVAL_REJECTED: &str = "ApprovalRejected";
    pub const ROLLBACK_FAILED: &str = "RollbackFailed";
    pub const TRANSIENT: &str = "Transient";
    pub const INVALID_INPUT: &str = "InvalidInput";
    pub const INTERNAL: &str = "Internal";
    /// A newer execution overtook this one in front of a stage (SUPERSEDED mode).
    pub const SUPERSEDED: &str = "Baton.Superseded";
    /// The execution was stopped (`baton stop`, Ctrl-C; on AWS, `StopExecution`).
    pub const STOPPED: &str = "Baton.Stopped";
}

#[derive(Debug, thiserror::Error)]
pub enum StageError {
    #[error("the task input does not fit this handler: {0}")]
    InvalidInput(String),
    #[error("alarm {alarm} is in ALARM: {reason}")]
    AlarmTriggered { alarm: String, reason: String },
    #[error(transparent)]
    Port(#[from] PortError),
}

impl StageError {
    /// The Lambda `errorType` (and so the Step Functions error name) of this failure.
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::InvalidInput(_) => error_types::INVALID_INPUT,
            Self::AlarmTriggered { .. } => error_types::ALARM_TRIGGERED,
            Self::Port(p) if p.transient => error_types::TRANSIENT,
            Self::Port(_) => error_types::INTERNAL,
        }
    }
}

/// Does what a taken task's event or decision does. If that fails transiently (a store or a
/// callback that could not be reached), the task is parked again, so the event's redelivery
/// (Lambda retries an asynchronous invocation; so does the local dispatcher) finds it and
/// finishes the work, instead of the task waiting for nothing until it times out.
pub async fn or_park_again(
    pending: &dyn PendingTasks,
    key: &str,
    task: &PendingTask,
    work: impl Future<Output = Result<(), StageError>>,
) -> Result<(), StageError> {
    let result = work.await;
    if let Err(e) = &result
        && e.error_type() == error_types::TRANSIENT
        && let Err(p) = pending.put(key, task).await
    {
        tracing::error!(key, error = %p, "a task whose event failed could not be parked again; it waits until it times out");
    }
    result
}

/// Milliseconds since the parked task started, from its context.
pub(crate) fn elapsed_ms(task: &PendingTask) -> f64 {
    match task.context_as::<context::Started>().started_ms {
        0 => 0.0,
        started => (crate::metrics::now_ms() - started).max(0) as f64,
    }
}

/// Decodes a handler's input payload.
pub fn decode<T: DeserializeOwned>(input: Value) -> Result<T, StageError> {
    serde_json::from_value(input).map_err(|e| StageError::InvalidInput(e.to_string()))
}

/// Where a waiting task is parked, by what it waits for: one function per kind, so the stage
/// that parks a task and the event that answers it name it alike (approvals: `approval::key`).
pub mod parked {
    pub fn build(correlation: &str) -> String {
        format!("build/{correlation}")
    }

    pub fn deployment(correlation: &str) -> String {
        format!("deployment/{correlation}")
    }

    pub fn bake(correlation: &str) -> String {
        format!("{BAKES}{correlation}")
    }

    /// What every bake's key starts with.
    pub const BAKES: &str = "bake/";

    /// Where a failed canary analysis leaves its reason for deployment `deployment_id`'s end
    /// (`stages::canary`).
    pub fn canary_verdict(deployment_id: &str) -> String {
        format!("canary/{deployment_id}")
    }

    /// Where the intervals a timer-driven canary analysis judged are kept for `status` and the
    /// console (`stages::canary`).
    pub fn canary_results(deployment_id: &str) -> String {
        format!("canary-analysis/{deployment_id}")
    }
}

/// The idempotency key of one attempt of one state in one execution: a retried or redelivered
/// invocation of the same attempt maps to the same build or deployment. An attempt is the
/// state's `RetryCount` within the execution's `RedriveCount`: a redriven execution (`baton
/// retry`, `RedriveExecution`) starts new work, a resumed one finds the work it started.
pub fn correlation(execution_id: &str, state: &str, redrive: u64, attempt: u64) -> String {
    match redrive {
        0 => format!("{execution_id}/{state}/{attempt}"),
        r => format!("{execution_id}/{state}/{r}.{attempt}"),
    }
}
