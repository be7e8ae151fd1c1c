//! The typed model of an ASL state machine definition.
//!
//! Field names follow the specification exactly (`PascalCase`). Unknown fields are rejected, as
//! Step Functions' `ValidateStateMachineDefinition` does, so a typo never silently changes
//! behaviour; that check walks the raw JSON against [`allowed_fields`] because serde's
//! `deny_unknown_fields` does not combine with the flattened `Io`/`Transition` groups.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::error::DefinitionError;

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
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
    #[serde(default)]
    pub timeout_seconds_path: Option<String>,
    #[serde(default)]
    pub heartbeat_seconds: Option<u64>,
    #[serde(default)]
    pub heartbeat_seconds_path: Option<String>,
    #[serde(default)]
    pub credentials: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PassState {
    #[serde(default)]
    pub comment: Option<String>,
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
    /// The comparison operator and its operand, e.g. `{"StringEquals": "x"}`.
    #[serde(flatten)]
    pub comparison: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WaitState {
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(flatten)]
    pub io: Io,
    #[serde(flatten)]
    pub transition: Transition,
    #[serde(default)]
    pub seconds: Option<u64>,
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
    #[serde(flatten)]
    pub io: Io,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FailState {
    #[serde(default)]
    pub comment: Option<String>,
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
    #[serde(default)]
    pub max_concurrency: Option<u64>,
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

impl State {
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

    fn transition(&self) -> Option<&Transition> {
        match self {
            State::Task(s) => Some(&s.transition),
            State::Pass(s) => Some(&s.transition),
            State::Wait(s) => Some(&s.transition),
            State::Parallel(s) => Some(&s.transition),
            State::Map(s) => Some(&s.transition),
            State::Choice(_) | State::Succeed(_) | State::Fail(_) => None,
        }
    }

    fn catchers(&self) -> &[Catcher] {
        match self {
            State::Task(s) => &s.catch,
            State::Parallel(s) => &s.catch,
            State::Map(s) => &s.catch,
            _ => &[],
        }
    }
}

impl StateMachine {
    /// Parses and checks a definition: JSON shape, then the structural rules the spec states
    /// (every transition target exists, every non-terminal state says where to go).
    pub fn from_json(text: &str) -> Result<Self, DefinitionError> {
        let json_error = |e: serde_json::Error| DefinitionError::Json {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        };
        let raw: Value = serde_json::from_str(text).map_err(json_error)?;
        check_fields(&raw, "")?;
        let machine: StateMachine = serde_json::from_str(text).map_err(json_error)?;
        machine.check("")?;
        Ok(machine)
    }

    fn check(&self, scope: &str) -> Result<(), DefinitionError> {
        let missing = |from: &str, target: &str| DefinitionError::Structure {
            state: format!("{scope}{from}"),
            message: format!("transitions to \"{target}\", which is not a state in this scope"),
        };
        if !self.states.contains_key(&self.start_at) {
            return Err(missing("StartAt", &self.start_at));
        }
        for (name, state) in &self.states {
            if let Some(t) = state.transition() {
                match (&t.next, t.end) {
                    (Some(next), None | Some(false)) if !self.states.contains_key(next) => {
                        return Err(missing(name, next));
                    }
                    (Some(_), Some(true)) | (None, None | Some(false)) => {
                        return Err(DefinitionError::Structure {
                            state: format!("{scope}{name}"),
                            message: "must have exactly one of \"Next\" or \"End\": true".into(),
                        });
                    }
                    _ => {}
                }
            }
            for c in state.catchers() {
                if !self.states.contains_key(&c.next) {
                    return Err(missing(name, &c.next));
                }
            }
            match state {
                State::Choice(choice) => {
                    for target in choice.choices.iter().filter_map(|r| r.next.as_ref()).chain(choice.default.as_ref()) {
                        if !self.states.contains_key(target) {
                            return Err(missing(name, target));
                        }
                    }
                }
                State::Parallel(p) => {
                    for (i, branch) in p.branches.iter().enumerate() {
                        branch.check(&format!("{scope}{name}.Branches[{i}]."))?;
                    }
                }
                State::Map(m) => {
                    if let Some(proc) = &m.item_processor {
                        proc.check(&format!("{scope}{name}.ItemProcessor."))?;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

const COMMON: &[&str] = &["Type", "Comment", "QueryLanguage"];
const IO: &[&str] = &["InputPath", "OutputPath"];
const NEXT: &[&str] = &["Next", "End"];
const RESULT: &[&str] = &["ResultSelector", "ResultPath", "Retry", "Catch", "Parameters"];

/// The fields each state type may carry (JSONPath query language).
pub fn allowed_fields(state_type: &str) -> Option<Vec<&'static str>> {
    let own: &[&str] = match state_type {
        "Task" => &[
            "Resource",
            "TimeoutSeconds",
            "TimeoutSecondsPath",
            "HeartbeatSeconds",
            "HeartbeatSecondsPath",
            "Credentials",
        ],
        "Pass" => &["Parameters", "Result", "ResultPath"],
        "Choice" => &["Choices", "Default"],
        "Wait" => &["Seconds", "SecondsPath", "Timestamp", "TimestampPath"],
        "Succeed" => &[],
        "Fail" => &["Error", "ErrorPath", "Cause", "CausePath"],
        "Parallel" => &["Branches"],
        "Map" => &[
            "ItemsPath",
            "ItemSelector",
            "Iterator",
            "ItemProcessor",
            "MaxConcurrency",
            "Parameters",
        ],
        _ => return None,
    };
    let mut fields: Vec<&str> = COMMON.iter().chain(own).copied().collect();
    if !matches!(state_type, "Fail") {
        fields.extend(IO);
    }
    if !matches!(state_type, "Choice" | "Succeed" | "Fail") {
        fields.extend(NEXT);
    }
    if matches!(state_type, "Task" | "Parallel" | "Map") {
        fields.extend(RESULT);
    }
    Some(fields)
}

fn check_fields(machine: &Value, scope: &str) -> Result<(), DefinitionError> {
    let Some(states) = machine.get("States").and_then(Value::as_object) else {
        return Ok(()); // the typed parse reports the missing field
    };
    for (name, state) in states {
        let Some(fields) = state.as_object() else { continue };
        let Some(ty) = fields.get("Type").and_then(Value::as_str) else {
            continue;
        };
        let Some(allowed) = allowed_fields(ty) else {
            return Err(DefinitionError::Structure {
                state: format!("{scope}{name}"),
                message: format!("unknown state type \"{ty}\""),
            });
        };
        if let Some(field) = fields.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(DefinitionError::Structure {
                state: format!("{scope}{name}"),
                message: format!("field \"{field}\" is not allowed in a {ty} state"),
            });
        }
        for (i, branch) in fields.get("Branches").and_then(Value::as_array).into_iter().flatten().enumerate() {
            check_fields(branch, &format!("{scope}{name}.Branches[{i}]."))?;
        }
        if let Some(proc) = fields.get("ItemProcessor").or_else(|| fields.get("Iterator")) {
            check_fields(proc, &format!("{scope}{name}.ItemProcessor."))?;
        }
    }
    Ok(())
}
