//! Errors: a definition that cannot run, and the named errors a running state raises.

use serde::{Deserialize, Serialize};

/// Why a definition was rejected before it ran.
#[derive(Debug, thiserror::Error)]
pub enum DefinitionError {
    /// Not JSON: AWS's (Jackson's) message, where Baton points (line and character column of the
    /// fault), and Jackson's own location, `[Source: (String)"…"; line: L, column: C]`.
    #[error("INVALID_JSON_DESCRIPTION: {message} at line {line}, column {column}")]
    Json {
        line: usize,
        column: usize,
        message: String,
        location: String,
    },
    /// Longer than the API takes a definition: refused before it is read, as AWS refuses the
    /// request (the service model's `Definition` shape: at most 1,048,576 characters).
    #[error(
        "1 validation error detected: Value at 'definition' failed to satisfy constraint: Member must have length less than or equal to {}",
        crate::definition::MAX_DEFINITION_LENGTH
    )]
    TooLong { length: usize },
    /// Every problem found, each in Step Functions' `ValidateStateMachineDefinition` form.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Diagnostic>),
}

/// One problem in a definition: Step Functions' diagnostic code, a message, and where (a JSON
/// pointer such as `/States/Build/Next`; a transition's, as AWS writes it, may index with
/// brackets, `/States/C/Choices[0]/Next`). Empty for a problem of the whole machine, which AWS
/// gives no location (`MISSING_END_STATE`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub location: String,
}

impl std::fmt::Display for Diagnostic {
    /// As CreateStateMachine lists it: "MISSING_END_STATE: Workflow has no terminal state at
    /// null" for a problem with no location.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = if self.location.is_empty() { "null" } else { &self.location };
        write!(f, "{}: {} at {at}", self.code, self.message)
    }
}

/// A runtime error as Step Functions names it: `Retry` and `Catch` match on `error`, and `cause`
/// is the human explanation carried into history and the `Catch` result.
#[derive(Debug, Clone, Serialize, Deserialize, thiserror::Error)]
#[error("{error}: {cause}")]
pub struct StatesError {
    #[serde(rename = "Error")]
    pub error: String,
    #[serde(rename = "Cause")]
    pub cause: String,
    /// Whether `cause` already names the state that raised it: Step Functions names only the
    /// innermost one, so a branch's error is not named again by its Parallel state.
    #[serde(skip)]
    located: bool,
    /// A JSONata state's evaluation failure not yet recorded as an `EvaluationFailed` event:
    /// `Some(field)` for an expression that failed in `field` (`Output/error`), `Some(None)`
    /// for a failure AWS records without a location.
    #[serde(skip)]
    pub(crate) evaluation: Option<Option<String>>,
    /// Whether that `EvaluationFailed` follows the state's entry rather than the event before
    /// it, as a Wait state's duration does (`StatesError::evaluated_after_entry`).
    #[serde(skip)]
    pub(crate) after_entry: bool,
    /// A task's own failure, which `Catch` and `Retry` see whatever its name.
    #[serde(skip)]
    from_task: bool,
    /// A `States.Timeout` for a missed heartbeat, which `States.HeartbeatTimeout` matches too.
    #[serde(skip)]
    heartbeat: bool,
}

impl PartialEq for StatesError {
    fn eq(&self, other: &Self) -> bool {
        self.error == other.error && self.cause == other.cause
    }
}

impl Eq for StatesError {}

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
    /// What Step Functions raises for a reference path (ResultPath, ItemsPath) it cannot apply,
    /// rather than the specification's States.ResultPathMatchFailure (see `path.rs`).
    pub const REFERENCE_PATH_CONFLICT: &str = "States.ReferencePathConflict";
    pub const PARAMETER_PATH_FAILURE: &str = "States.ParameterPathFailure";
    pub const DATA_LIMIT_EXCEEDED: &str = "States.DataLimitExceeded";
    pub const NO_CHOICE_MATCHED: &str = "States.NoChoiceMatched";
    pub const EXCEED_TOLERATED_FAILURE_THRESHOLD: &str = "States.ExceedToleratedFailureThreshold";
    pub const PERMISSIONS: &str = "States.Permissions";
    /// A Distributed Map that cannot read its ItemReader's dataset (developer guide, "Error
    /// handling in Step Functions": "couldn't read from the input source specified in the
    /// ItemReader field").
    pub const ITEM_READER_FAILED: &str = "States.ItemReaderFailed";
    /// A Distributed Map that cannot export its results (developer guide, ResultWriter (Map):
    /// "your state machine execution will fail with the States.ResultWriterFailed error").
    pub const RESULT_WRITER_FAILED: &str = "States.ResultWriterFailed";
}

impl StatesError {
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            cause: cause.into(),
            located: false,
            evaluation: None,
            after_entry: false,
            from_task: false,
            heartbeat: false,
        }
    }

    /// The `error` and the `cause` as an execution's history and DescribeExecution give them:
    /// one that is empty (a Fail state without `Error` or `Cause`, a timeout's cause) is left
    /// out, not given empty (recorded on AWS: localstack/localstack,
    /// tests/aws/services/stepfunctions/v2/base/test_base.snapshot.json, test_state_fail_empty,
    /// 2024-03-06, whose DescribeExecution has neither and whose ExecutionFailed event has `{}`).
    pub fn described(&self) -> (Option<&str>, Option<&str>) {
        fn given(text: &str) -> Option<&str> {
            (!text.is_empty()).then_some(text)
        }
        (given(&self.error), given(&self.cause))
    }

    /// A JSONata expression in `field` (`Output/error`, `Choices[0]/Condition`) failed, or
    /// yielded what the field cannot take.
    pub fn query_evaluation(field: &str, cause: impl Into<String>) -> Self {
        Self {
            evaluation: Some(Some(field.to_string())),
            ..Self::new(crate::jsonata::QUERY_EVALUATION_ERROR, cause)
        }
    }

    /// Step Functions opens the cause of a runtime error with the state that raised it and the
    /// id of the event that entered it: "An error occurred while executing the state 'Check
    /// Address' (entered at the event id #7). The JSONPath …" (recorded executions quoted in
    /// `tests/conformance/errors.json`), and so does a JSONata expression's failure
    /// (`tests/conformance/jsonata.json`). Errors a task returned keep their own cause.
    pub(crate) fn at_state(mut self, state: &str, entered_event: u64) -> Self {
        let located_by_aws = self.error == names::RUNTIME || self.error == crate::jsonata::QUERY_EVALUATION_ERROR;
        if located_by_aws && !self.located {
            self.cause = format!(
                "An error occurred while executing the state '{state}' (entered at the event id #{entered_event}). {}",
                self.cause
            );
            self.located = true;
        }
        self
    }

    /// A JSONata Map state with no `Items` whose input is not an array, in AWS's words and with
    /// no location (recorded in localstack/localstack, tests/aws/services/stepfunctions/v2/
    /// scenarios/test_base_scenarios.snapshot.json, test_map_state_items_input_types,
    /// 2024-11-19).
    pub(crate) fn map_input_not_array(input: &serde_json::Value) -> Self {
        Self {
            evaluation: Some(None),
            ..Self::new(
                crate::jsonata::QUERY_EVALUATION_ERROR,
                format!("Map state input must be an array but was: {input}"),
            )
        }
    }

    /// A task that ran past its `TimeoutSeconds`, or, with `heartbeat`, sent no heartbeat within
    /// its `HeartbeatSeconds`. AWS records both as `States.Timeout` with no cause — the task's
    /// `TaskTimedOut` (or `LambdaFunctionTimedOut`) has the error alone, as the execution's
    /// `ExecutionFailed` does, and a catcher's error output is `{"Error": "States.Timeout",
    /// "Cause": ""}` (localstack/localstack, tests/aws/services/stepfunctions/v2/timeouts/
    /// test_timeouts and test_heartbeats snapshots, 2024; error_handling/test_task_service_lambda,
    /// test_invoke_timeout). `States.HeartbeatTimeout` is a name for `Retry` and `Catch` only
    /// (developer guide, Error names), matching the heartbeat's.
    pub(crate) fn timeout(heartbeat: bool) -> Self {
        Self {
            heartbeat,
            ..Self::new(names::TIMEOUT, "")
        }
    }

    /// A failed expression whose `EvaluationFailed` follows the state's entry: AWS links a
    /// Wait state's `Timestamp` failure to `WaitStateEntered`, where the other fields' follow
    /// the event before it (recorded in localstack/localstack, tests/aws/services/
    /// stepfunctions/v2/scenarios/test_base_scenarios.snapshot.json, test_wait_timestamp_jsonata,
    /// 2024-12-27: 3 EvaluationFailed after 2 WaitStateEntered). A Wait's `Seconds` is taken to
    /// be evaluated the same way (not on record).
    pub(crate) fn evaluated_after_entry(mut self) -> Self {
        self.after_entry = true;
        self
    }

    pub fn runtime(cause: impl Into<String>) -> Self {
        Self::new(names::RUNTIME, cause)
    }

    /// An intrinsic expression that cannot be read, which a definition's check refuses before
    /// any run. A call that cannot take its arguments is `States.Runtime` instead (see
    /// `intrinsics::InvalidArguments`).
    pub fn intrinsic(cause: impl Into<String>) -> Self {
        Self::new(names::INTRINSIC_FAILURE, cause)
    }

    /// The task failed with this error: its `States.DataLimitExceeded` (a result over the
    /// quota) is caught like any task failure, `States.ALL` included, as AWS recorded it
    /// (localstack/localstack, tests/aws/services/stepfunctions/v2/error_handling/
    /// test_states_errors.snapshot.json, 2024-03-21).
    pub(crate) fn reported_by_task(mut self) -> Self {
        self.from_task = true;
        self
    }

    /// `States.Runtime` and `States.DataLimitExceeded` end the execution: no Retry or Catch sees
    /// them, not even `States.ALL` (Step Functions developer guide, "Error names") — unless a
    /// task reported them.
    pub fn is_terminal(&self) -> bool {
        !self.from_task && (self.error == names::RUNTIME || self.error == names::DATA_LIMIT_EXCEEDED)
    }

    fn is_timeout(&self) -> bool {
        self.error == names::TIMEOUT || self.error == names::HEARTBEAT_TIMEOUT
    }

    /// Whether an `ErrorEquals` list matches this error. `States.ALL` matches everything that is
    /// not terminal; `States.TaskFailed` matches everything but timeouts ("acts as a wildcard that
    /// matches any known error name except for States.Timeout"); `States.Timeout` also matches a
    /// heartbeat timeout, which the guide files under it, and `States.HeartbeatTimeout` that one.
    pub fn matches(&self, error_equals: &[String]) -> bool {
        !self.is_terminal()
            && error_equals.iter().any(|e| match e.as_str() {
                names::ALL => true,
                names::TASK_FAILED => !self.is_timeout() || self.error == names::TASK_FAILED,
                names::TIMEOUT => self.is_timeout(),
                names::HEARTBEAT_TIMEOUT => self.heartbeat || self.error == names::HEARTBEAT_TIMEOUT,
                other => other == self.error,
            })
    }
}

/// How deep Baton lets an expression nest where AWS states no bound — intrinsic calls, a JSONPath
/// filter's brackets, a composite alarm rule's brackets and `NOT`s: their parsers recurse per
/// level, and a hostile expression nested thousands deep would exhaust the stack. Real ones nest
/// a few levels.
pub const MAX_NESTING: usize = 100;

/// `text` as a message quotes it: whole when short, else its first 60 characters and "…", so a
/// hostile expression cannot make a megabyte-long message.
pub fn excerpt(text: &str) -> String {
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}
