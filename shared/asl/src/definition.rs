//! The typed model of an ASL state machine definition.
//!
//! Field names follow the specification exactly (`PascalCase`). Unknown fields are rejected by
//! [`crate::validate`], which walks the raw JSON against [`allowed_fields`] (serde's
//! `deny_unknown_fields` does not combine with the flattened `Io`/`Transition` groups).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::error::{DefinitionError, Diagnostic};

mod fields;
mod shape;

pub use fields::allowed_fields;

/// The largest `Seconds`, `TimeoutSeconds`, `HeartbeatSeconds`, retry interval or retry count
/// Step Functions accepts, written or yielded by an expression (recorded: "Maximum value is
/// 99999999 at /States/Wait/Seconds", aws-cloudformation/cfn-lint#4075; for a retrier's
/// `MaxAttempts`, AWS's ASL language service takes it too, aws/amazon-states-language-service#74).
pub(crate) const MAX_SECONDS: i64 = 99_999_999;

/// The longest definition the Step Functions API takes, in characters (`Definition`'s `max`).
pub const MAX_DEFINITION_LENGTH: usize = 1_048_576;

/// A whole state machine, or one branch of a `Parallel` state, or a `Map` state's processor.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StateMachine {
    #[serde(default)]
    pub comment: Option<String>,
    pub start_at: String,
    pub states: BTreeMap<String, State>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
    #[serde(default)]
    pub query_language: Option<String>,
    /// `Map` item processors carry a `ProcessorConfig`; accepted so their shape parses.
    #[serde(default)]
    pub processor_config: Option<Value>,
}

/// Fields shared by the states that take input and produce output.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Io {
    /// `None` means the field was absent (default `$`); `Some(None)` means JSON `null`.
    #[serde(default, deserialize_with = "nullable")]
    pub input_path: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub output_path: Option<Option<String>>,
}

/// A transition: either `Next` or `End: true`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Transition {
    #[serde(default)]
    pub next: Option<String>,
    #[serde(default)]
    pub end: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "Type")]
pub enum State {
    Task(Box<TaskState>),
    Pass(PassState),
    Choice(ChoiceState),
    Wait(WaitState),
    Succeed(SucceedState),
    Fail(FailState),
    Parallel(ParallelState),
    Map(Box<MapState>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TaskState {
    #[serde(default)]
    pub comment: Option<String>,
    /// JSONata: the task's or branches' input (JSONPath states use Parameters).
    #[serde(default)]
    pub arguments: Option<Value>,
    #[serde(default)]
    pub query_language: Option<String>,
    #[serde(default)]
    pub assign: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    pub output: Option<Value>,
    pub resource: String,
    #[serde(flatten)]
    pub io: Io,
    #[serde(flatten)]
    pub transition: Transition,
    #[serde(default)]
    pub parameters: Option<Value>,
    #[serde(default)]
    pub result_selector: Option<Value>,
    #[serde(default, deserialize_with = "nullable")]
    pub result_path: Option<Option<String>>,
    #[serde(default)]
    pub retry: Vec<Retrier>,
    #[serde(default)]
    pub catch: Vec<Catcher>,
    /// A number, or in JSONata a `{% %}` expression.
    #[serde(default)]
    pub timeout_seconds: Option<Value>,
    #[serde(default)]
    pub timeout_seconds_path: Option<String>,
    #[serde(default)]
    pub heartbeat_seconds: Option<Value>,
    #[serde(default)]
    pub heartbeat_seconds_path: Option<String>,
    /// The role the task's call assumes: `RoleArn` fixed, in a path or intrinsic
    /// (`RoleArn.$`), or a JSONata expression, read as a template as Parameters and Arguments
    /// are.
    #[serde(default)]
    pub credentials: Option<serde_json::Map<String, Value>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PassState {
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub query_language: Option<String>,
    #[serde(default)]
    pub assign: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    pub output: Option<Value>,
    #[serde(flatten)]
    pub io: Io,
    #[serde(flatten)]
    pub transition: Transition,
    #[serde(default)]
    pub parameters: Option<Value>,
    #[serde(default)]
    pub result: Option<Value>,
    #[serde(default, deserialize_with = "nullable")]
    pub result_path: Option<Option<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChoiceState {
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub query_language: Option<String>,
    #[serde(default)]
    pub assign: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    pub output: Option<Value>,
    #[serde(flatten)]
    pub io: Io,
    pub choices: Vec<ChoiceRule>,
    #[serde(default)]
    pub default: Option<String>,
}

/// One Choice rule: a comparison, or a boolean combination of rules. Top-level rules carry `Next`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChoiceRule {
    #[serde(default)]
    pub variable: Option<String>,
    #[serde(default)]
    pub next: Option<String>,
    #[serde(default)]
    pub and: Option<Vec<ChoiceRule>>,
    #[serde(default)]
    pub or: Option<Vec<ChoiceRule>>,
    #[serde(default)]
    pub not: Option<Box<ChoiceRule>>,
    #[serde(default)]
    pub comment: Option<String>,
    /// JSONata: a `{% %}` expression that must yield a boolean, or the boolean itself (AWS
    /// creates a machine whose rule is `"Condition": true`).
    #[serde(default)]
    pub condition: Option<Value>,
    #[serde(default)]
    pub assign: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    pub output: Option<Value>,
    /// The comparison operator and its operand, e.g. `{"StringEquals": "x"}`.
    #[serde(flatten)]
    pub comparison: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WaitState {
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub query_language: Option<String>,
    #[serde(default)]
    pub assign: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    pub output: Option<Value>,
    #[serde(flatten)]
    pub io: Io,
    #[serde(flatten)]
    pub transition: Transition,
    /// A number, or in JSONata a `{% %}` expression.
    #[serde(default)]
    pub seconds: Option<Value>,
    #[serde(default)]
    pub seconds_path: Option<String>,
    #[serde(default)]
    pub timestamp: Option<String>,
    #[serde(default)]
    pub timestamp_path: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SucceedState {
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub query_language: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub output: Option<Value>,
    #[serde(flatten)]
    pub io: Io,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FailState {
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub query_language: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub error_path: Option<String>,
    #[serde(default)]
    pub cause: Option<String>,
    #[serde(default)]
    pub cause_path: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ParallelState {
    #[serde(default)]
    pub comment: Option<String>,
    /// JSONata: the task's or branches' input (JSONPath states use Parameters).
    #[serde(default)]
    pub arguments: Option<Value>,
    #[serde(default)]
    pub query_language: Option<String>,
    #[serde(default)]
    pub assign: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    pub output: Option<Value>,
    #[serde(flatten)]
    pub io: Io,
    #[serde(flatten)]
    pub transition: Transition,
    pub branches: Vec<StateMachine>,
    #[serde(default)]
    pub parameters: Option<Value>,
    #[serde(default)]
    pub result_selector: Option<Value>,
    #[serde(default, deserialize_with = "nullable")]
    pub result_path: Option<Option<String>>,
    #[serde(default)]
    pub retry: Vec<Retrier>,
    #[serde(default)]
    pub catch: Vec<Catcher>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MapState {
    #[serde(default)]
    pub comment: Option<String>,
    /// JSONata: the items, an array or an expression (JSONPath states use ItemsPath).
    #[serde(default)]
    pub items: Option<Value>,
    #[serde(default)]
    pub query_language: Option<String>,
    #[serde(default)]
    pub assign: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    pub output: Option<Value>,
    #[serde(flatten)]
    pub io: Io,
    #[serde(flatten)]
    pub transition: Transition,
    #[serde(default)]
    pub items_path: Option<String>,
    #[serde(default)]
    pub item_selector: Option<Value>,
    /// The pre-2022 name of `ItemSelector`.
    #[serde(default)]
    pub parameters: Option<Value>,
    #[serde(default, alias = "Iterator")]
    pub item_processor: Option<StateMachine>,
    /// A number, or in a JSONata state a `{% %}` expression that yields one.
    #[serde(default)]
    pub max_concurrency: Option<NumberOrExpression>,
    #[serde(default)]
    pub max_concurrency_path: Option<String>,
    #[serde(default)]
    pub tolerated_failure_count: Option<NumberOrExpression>,
    #[serde(default)]
    pub tolerated_failure_count_path: Option<String>,
    #[serde(default)]
    pub tolerated_failure_percentage: Option<NumberOrExpression>,
    #[serde(default)]
    pub tolerated_failure_percentage_path: Option<String>,
    /// Where a Distributed Map's items are in S3, read at run time through the interpreter's
    /// objects (`executor/item_reader.rs`).
    #[serde(default)]
    pub item_reader: Option<Value>,
    #[serde(default)]
    pub item_batcher: Option<ItemBatcher>,
    /// Where a Distributed Map writes its results in S3: accepted in a definition, refused at
    /// run time with a clear error.
    #[serde(default)]
    pub result_writer: Option<Value>,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub result_selector: Option<Value>,
    #[serde(default, deserialize_with = "nullable")]
    pub result_path: Option<Option<String>>,
    #[serde(default)]
    pub retry: Vec<Retrier>,
    #[serde(default)]
    pub catch: Vec<Catcher>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Retrier {
    pub error_equals: Vec<String>,
    #[serde(default)]
    pub interval_seconds: Option<u64>,
    #[serde(default)]
    pub max_attempts: Option<u64>,
    #[serde(default)]
    pub backoff_rate: Option<f64>,
    #[serde(default)]
    pub max_delay_seconds: Option<u64>,
    #[serde(default)]
    pub jitter_strategy: Option<JitterStrategy>,
    #[serde(default)]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum JitterStrategy {
    Full,
    None,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Catcher {
    pub error_equals: Vec<String>,
    pub next: String,
    #[serde(default)]
    pub assign: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    pub output: Option<Value>,
    #[serde(default, deserialize_with = "nullable")]
    pub result_path: Option<Option<String>>,
    #[serde(default)]
    pub comment: Option<String>,
}

/// Distinguishes an absent field (`None`) from an explicit JSON `null` (`Some(None)`): ASL gives
/// `"ResultPath": null` its own meaning (discard the result).
fn nullable<'de, D>(deserializer: D) -> Result<Option<Option<String>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    Ok(Some(Option::<String>::deserialize(deserializer)?))
}

/// A field whose JSON `null` is a value, not an absence: AWS ends a JSONata state whose
/// `"Output": null` with the output `null` (where a missing `Output` passes the result on).
fn present<'de, D>(deserializer: D) -> Result<Option<Value>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    Value::deserialize(deserializer).map(Some)
}

impl State {
    /// The state's own `QueryLanguage`, if it sets one.
    pub fn query_language(&self) -> Option<&str> {
        match self {
            State::Task(s) => s.query_language.as_deref(),
            State::Pass(s) => s.query_language.as_deref(),
            State::Choice(s) => s.query_language.as_deref(),
            State::Wait(s) => s.query_language.as_deref(),
            State::Succeed(s) => s.query_language.as_deref(),
            State::Fail(s) => s.query_language.as_deref(),
            State::Parallel(s) => s.query_language.as_deref(),
            State::Map(s) => s.query_language.as_deref(),
        }
    }

    /// Where the state goes when it completes normally; `None` for Choice, Succeed and Fail.
    pub fn transition(&self) -> Option<&Transition> {
        match self {
            State::Task(s) => Some(&s.transition),
            State::Pass(s) => Some(&s.transition),
            State::Wait(s) => Some(&s.transition),
            State::Parallel(s) => Some(&s.transition),
            State::Map(s) => Some(&s.transition),
            State::Choice(_) | State::Succeed(_) | State::Fail(_) => None,
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            State::Task(_) => "Task",
            State::Pass(_) => "Pass",
            State::Choice(_) => "Choice",
            State::Wait(_) => "Wait",
            State::Succeed(_) => "Succeed",
            State::Fail(_) => "Fail",
            State::Parallel(_) => "Parallel",
            State::Map(_) => "Map",
        }
    }
}

impl StateMachine {
    /// Parses a definition and checks it the way `ValidateStateMachineDefinition` does,
    /// reporting every problem at once.
    pub fn from_json(text: &str) -> Result<Self, DefinitionError> {
        Self::from_json_for(text, &crate::Workflow::Standard)
    }

    /// A definition for a state machine of `workflow`'s kind: an Express one refuses what only
    /// Standard workflows run.
    pub fn from_json_for(text: &str, workflow: &crate::Workflow) -> Result<Self, DefinitionError> {
        // Nothing, or JSON that is not an object, in AWS's words for an empty definition
        // (ValidateStateMachineDefinition, recorded in localstack/localstack, tests/aws/services/
        // stepfunctions/v2/test_sfn_api_validation.snapshot.json, 2025-10-19).
        let not_an_object = || {
            DefinitionError::Invalid(vec![Diagnostic {
                code: "SCHEMA_VALIDATION_FAILED",
                message: "Definition must be a valid JSON object".into(),
                location: String::new(),
            }])
        };
        if text.trim().is_empty() {
            return Err(not_an_object());
        }
        let length = text.chars().count();
        if length > MAX_DEFINITION_LENGTH {
            return Err(DefinitionError::TooLong { length });
        }
        let raw: Value = serde_json::from_str(text).map_err(|e| crate::json_syntax::not_json(text, &e))?;
        if !raw.is_object() {
            return Err(not_an_object());
        }
        let mut problems = crate::validate::names_given_twice(text);
        problems.extend(crate::validate::validate_for(&raw, workflow));
        if !problems.is_empty() {
            return Err(DefinitionError::Invalid(problems));
        }
        serde_path_to_error::deserialize(&raw).map_err(|e| DefinitionError::Invalid(vec![shape::diagnostic(&raw, &e)]))
    }
}

/// A Distributed Map's `ItemBatcher`: how many items, and how many bytes of them, each child
/// execution takes, and the `BatchInput` each batch carries.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ItemBatcher {
    #[serde(default)]
    pub max_items_per_batch: Option<NumberOrExpression>,
    #[serde(default)]
    pub max_items_per_batch_path: Option<String>,
    #[serde(default)]
    pub max_input_bytes_per_batch: Option<NumberOrExpression>,
    #[serde(default)]
    pub max_input_bytes_per_batch_path: Option<String>,
    #[serde(default)]
    pub batch_input: Option<Value>,
}

/// A field that holds a number, or (JSONata states) an expression evaluated at run time.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum NumberOrExpression {
    Number(f64),
    Expression(String),
}
