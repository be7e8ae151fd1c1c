//! Errors: a definition that cannot run, and the named errors a running state raises.

use serde::{Deserialize, Serialize};

/// Why a definition was rejected before it ran.
#[derive(Debug, thiserror::Error)]
pub enum DefinitionError {
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Json { line: usize, column: usize, message: String },
    #[error("state \"{state}\": {message}")]
    Structure { state: String, message: String },
}

/// A runtime error as Step Functions names it: `Retry` and `Catch` match on `error`, and `cause`
/// is the human explanation carried into history and the `Catch` result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{error}: {cause}")]
pub struct StatesError {
    #[serde(rename = "Error")]
    pub error: String,
    #[serde(rename = "Cause")]
    pub cause: String,
}

/// The predefined error names of the specification.
pub mod names {
    pub const ALL: &str = "States.ALL";
    pub const RUNTIME: &str = "States.Runtime";
    pub const TIMEOUT: &str = "States.Timeout";
    pub const HEARTBEAT_TIMEOUT: &str = "States.HeartbeatTimeout";
    pub const TASK_FAILED: &str = "States.TaskFailed";
    pub const BRANCH_FAILED: &str = "States.BranchFailed";
    pub const INTRINSIC_FAILURE: &str = "States.IntrinsicFailure";
    pub const RESULT_PATH_MATCH_FAILURE: &str = "States.ResultPathMatchFailure";
    pub const PARAMETER_PATH_FAILURE: &str = "States.ParameterPathFailure";
}

impl StatesError {
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            cause: cause.into(),
        }
    }

    pub fn runtime(cause: impl Into<String>) -> Self {
        Self::new(names::RUNTIME, cause)
    }

    pub fn intrinsic(cause: impl Into<String>) -> Self {
        Self::new(names::INTRINSIC_FAILURE, cause)
    }

    /// `States.Runtime` cannot be retried or caught, not even by `States.ALL` (spec, "Errors").
    pub fn is_terminal(&self) -> bool {
        self.error == names::RUNTIME
    }

    /// Whether an `ErrorEquals` list matches this error.
    pub fn matches(&self, error_equals: &[String]) -> bool {
        !self.is_terminal()
            && error_equals
                .iter()
                .any(|e| e == names::ALL || *e == self.error || (e == names::TASK_FAILED && !self.error.starts_with("States.")))
    }
}
