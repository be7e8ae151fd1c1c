#![allow(dead_code, reason = "each test binary uses part of this module")]

//! The conformance cases in `tests/conformance/*.json` and how to run one through the
//! interpreter; shared by the conformance suite and the differential test against moto.
//!
//! A case: `{name, source, definition, input?, tasks?, expect}` where `tasks` maps a Task state
//! to its mocked responses (`{"0": {"Return": …}, "1-2": {"Throw": {…}}}`, or
//! `"never-answers"` for a callback nobody answers, or a task that never returns) and `expect` is
//! `{status, output?, error?, no_error?, cause_contains?, cause?, history?, events?, last_event?,
//! exited?, trail?}` or
//! `{invalid: CODE}` for a definition
//! that must be rejected with that diagnostic code.

use std::path::PathBuf;
use std::sync::Arc;

use baton_asl::mock::MockConfig;
use baton_asl::{DefinitionError, ExecutionSpec, Interpreter, MemorySink, StateMachine, TaskInvoker, TaskTokens};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Deserialize)]
pub(crate) struct Case {
    #[serde(skip)]
    pub file: String,
    pub name: String,
    pub source: String,
    pub definition: Value,
    #[serde(default = "empty")]
    pub input: Value,
    /// The input as the caller wrote it, spacing and all; `input` is then what it parses to.
    #[serde(default)]
    pub input_text: Option<String>,
    #[serde(default)]
    pub tasks: Option<Value>,
    pub expect: Expect,
}

fn empty() -> Value {
    json!({})
}

fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Expect {
    #[serde(default)]
    pub status: Option<String>,
    /// Present means compared: `"output": null` expects the output `null`.
    #[serde(default, deserialize_with = "present")]
    pub output: Option<Value>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub cause_contains: Option<String>,
    /// The whole cause, for cases that reproduce a cause Step Functions recorded.
    #[serde(default)]
    pub cause: Option<String>,
    /// Ended with neither error nor cause, as `DescribeExecution` shows a timed-out execution.
    #[serde(default)]
    pub no_error: bool,
    /// Event types that must appear, in this order (others may come between).
    #[serde(default)]
    pub history: Vec<String>,
    /// The whole history's event types, for cases that reproduce a history Step Functions
    /// recorded.
    #[serde(default)]
    pub events: Option<Vec<String>>,
    /// The history's last event as `GetExecutionHistory` returns it, but for its timestamp.
    #[serde(default)]
    pub last_event: Option<Value>,
    /// The `stateExitedEventDetails` of named states' first exits, for cases that reproduce
    /// details Step Functions recorded.
    #[serde(default)]
    pub exited: Option<serde_json::Map<String, Value>>,
    /// The whole history as Step Functions recorded it, event by event: each expected event's
    /// members (`id`, `previousEventId`, `type`, and a details member where the case gives one)
    /// must be the event's, and one given as `null` must be absent, as GetExecutionHistory
    /// leaves out what an event does not carry; members it leaves out (timestamps, details that
    /// name a function) are not compared.
    #[serde(default)]
    pub trail: Option<Vec<serde_json::Map<String, Value>>>,
    #[serde(default)]
    pub invalid: Option<String>,
}

pub(crate) fn cases() -> Vec<Case> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let cases: Vec<Case> = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let stem = f.file_stem().unwrap().to_string_lossy().into_owned();
        out.extend(cases.into_iter().map(|mut c| {
            c.file = stem.clone();
            c
        }));
    }
    out
}

/// Mocks, plus callback tasks whose token nobody answers (for timeouts and heartbeats), which a
/// Step Functions Local mock configuration cannot express.
struct Harness {
    mocks: baton_asl::mock::MockInvoker,
    silent: Vec<String>,
}

#[async_trait::async_trait]
impl TaskInvoker for Harness {
    async fn invoke(&self, call: baton_asl::TaskCall) -> Result<Value, baton_asl::StatesError> {
        if self.silent.contains(&call.state_name) {
            // A callback task waits for its token; any other never returns.
            if call.task_token.is_none() {
                std::future::pending::<()>().await;
            }
            return Ok(Value::Null);
        }
        self.mocks.invoke(call).await
    }
}

pub(crate) fn run_case(case: &Case) -> Result<(), String> {
    check(case, &execute(case))
}

/// What the interpreter made of a case.
#[derive(Debug)]
#[allow(clippy::large_enum_variant, reason = "one per case, made once and read once")]
pub(crate) enum Outcome {
    /// The definition was rejected with these diagnostic codes.
    Rejected(Vec<&'static str>, String),
    Ran {
        status: String,
        output: Option<Value>,
        error: Option<String>,
        cause: Option<String>,
        history: Vec<String>,
        last_event: Option<Value>,
        /// Each state's first `stateExitedEventDetails`, by state name.
        exited: serde_json::Map<String, Value>,
        /// Every event, as `GetExecutionHistory` returns it.
        events: Vec<Value>,
    },
}

pub(crate) fn execute(case: &Case) -> Outcome {
    let machine = match StateMachine::from_json(&case.definition.to_string()) {
        Ok(m) => m,
        Err(e) => {
            let codes = match &e {
                DefinitionError::Invalid(d) => d.iter().map(|d| d.code).collect(),
                DefinitionError::Json { .. } => vec!["INVALID_JSON_DESCRIPTION"],
                DefinitionError::TooLong { .. } => vec!["ValidationException"],
            };
            return Outcome::Rejected(codes, e.to_string());
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    let sink = Arc::new(MemorySink::default());
    let tokens = TaskTokens::default();
    let invoker: Arc<dyn TaskInvoker> = match &case.tasks {
        Some(tasks) => {
            let mut states = serde_json::Map::new();
            let mut responses = serde_json::Map::new();
            let mut silent = Vec::new();
            for (state, mocked) in tasks.as_object().unwrap() {
                if mocked == "never-answers" {
                    silent.push(state.clone());
                    continue;
                }
                states.insert(state.clone(), json!(state));
                responses.insert(state.clone(), mocked.clone());
            }
            let config = json!({"StateMachines": {"m": {"TestCases": {"t": states}}}, "MockedResponses": responses});
            let mocks = MockConfig::from_json(&config.to_string())
                .unwrap()
                .invoker(None, "t", tokens.clone())
                .unwrap();
            Arc::new(Harness { mocks, silent })
        }
        None => Arc::new(baton_asl::mock::NoTasks),
    };
    let spec = ExecutionSpec {
        state_machine_arn: "arn:aws:states:local:000000000000:stateMachine:m".into(),
        execution_name: "e".into(),
        input: case.input_text.as_deref().map_or_else(
            || case.input.clone(),
            |text| serde_json::from_str(text).expect("a case's input_text is JSON"),
        ),
        input_text: case.input_text.as_deref().map(Arc::from),
        workflow: Default::default(),
    };
    let outcome = runtime.block_on(Interpreter::with_tokens(invoker, sink.clone(), tokens).execute(&machine, &spec));
    let mut last_event = sink.events().last().map(|e| serde_json::to_value(e).expect("an event serializes"));
    if let Some(Value::Object(event)) = &mut last_event {
        event.remove("timestamp");
    }
    let mut exited = serde_json::Map::new();
    for event in sink.events().iter().filter(|e| e.kind.ends_with("StateExited")) {
        let json = serde_json::to_value(event).expect("an event serializes");
        if let Some(name) = event.state_name() {
            exited.entry(name.to_string()).or_insert(json["stateExitedEventDetails"].clone());
        }
    }
    Outcome::Ran {
        status: outcome.status.as_str().to_string(),
        output: outcome.output,
        error: outcome.error.as_ref().map(|e| e.error.clone()),
        cause: outcome.error.map(|e| e.cause),
        history: sink.events().into_iter().map(|e| e.kind.into_owned()).collect(),
        last_event,
        exited,
        events: sink
            .events()
            .iter()
            .map(|e| serde_json::to_value(e).expect("an event serializes"))
            .collect(),
    }
}

fn check(case: &Case, outcome: &Outcome) -> Result<(), String> {
    let e = &case.expect;
    let (status, output, error, cause, history, last_event, exited, events) = match (outcome, &e.invalid) {
        (Outcome::Rejected(codes, _), Some(code)) if codes.contains(&code.as_str()) => return Ok(()),
        (Outcome::Rejected(codes, why), Some(code)) => return Err(format!("rejected with {codes:?}, expected {code}: {why}")),
        (Outcome::Rejected(_, why), None) => return Err(format!("definition rejected: {why}")),
        (Outcome::Ran { .. }, Some(code)) => return Err(format!("definition accepted, expected {code}")),
        (
            Outcome::Ran {
                status,
                output,
                error,
                cause,
                history,
                last_event,
                exited,
                events,
            },
            None,
        ) => (status, output, error, cause, history, last_event, exited, events),
    };
    let mut problems = Vec::new();
    if let Some(want) = &e.status
        && status != want
    {
        problems.push(format!("status {status}, expected {want} (error {error:?}: {cause:?})"));
    }
    if let Some(want) = &e.output
        && output.as_ref() != Some(want)
    {
        problems.push(format!(
            "output {}, expected {want}",
            output.as_ref().map_or("none".into(), Value::to_string)
        ));
    }
    if let Some(want) = &e.error
        && error.as_ref() != Some(want)
    {
        problems.push(format!("error {error:?}, expected {want}"));
    }
    if e.no_error && (error.is_some() || cause.is_some()) {
        problems.push(format!("ended with {error:?}: {cause:?}, expected neither"));
    }
    if let Some(want) = &e.last_event
        && last_event.as_ref() != Some(want)
    {
        problems.push(format!("last event {last_event:?}, expected {want}"));
    }
    if let Some(want) = &e.cause_contains
        && !cause.as_ref().is_some_and(|c| c.contains(want.as_str()))
    {
        problems.push(format!("cause {cause:?} lacks {want:?}"));
    }
    if let Some(want) = &e.cause
        && cause.as_ref() != Some(want)
    {
        problems.push(format!("cause {cause:?}, expected {want:?}"));
    }
    for (state, want) in e.exited.iter().flatten() {
        if exited.get(state) != Some(want) {
            problems.push(format!("{state} exited with {:?}, expected {want}", exited.get(state)));
        }
    }
    if let Some(want) = &e.events
        && history.as_slice() != want.as_slice()
    {
        problems.push(format!("history {history:?}, expected {want:?}"));
    }
    if let Some(trail) = &e.trail {
        if trail.len() != events.len() {
            problems.push(format!("{} events, expected {}: {history:?}", events.len(), trail.len()));
        }
        for (want, got) in trail.iter().zip(events) {
            let differs = |key: &str, value: &Value| match value {
                Value::Null => got.get(key).is_some_and(|v| !v.is_null()),
                value => got.get(key) != Some(value),
            };
            if let Some((key, value)) = want.iter().find(|(k, v)| differs(k, v)) {
                problems.push(format!("event {} has {key} {:?}, expected {value}", got["id"], got.get(key)));
            }
        }
    }
    let mut at = 0;
    for want in &e.history {
        match history[at..].iter().position(|k| k == want) {
            Some(p) => at += p + 1,
            None => {
                problems.push(format!("history lacks {want} (in order) in {history:?}"));
                break;
            }
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(problems.join("; ")) }
}
