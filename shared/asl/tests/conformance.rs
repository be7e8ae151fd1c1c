//! The conformance suite: every case in `tests/conformance/*.json` runs through the interpreter
//! under virtual time and must end as the case says. Each case names the section of the Amazon
//! States Language specification or the Step Functions developer guide it is written from.
//!
//! A case: `{name, source, definition, input?, tasks?, expect}` where `tasks` maps a Task state
//! to its mocked responses (`{"0": {"Return": …}, "1-2": {"Throw": {…}}}`) and `expect` is
//! `{status, output?, error?, cause_contains?, history?}` or `{invalid: CODE}` for a definition
//! that must be rejected with that diagnostic code.

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

use std::path::PathBuf;
use std::sync::Arc;

use baton_asl::mock::MockConfig;
use baton_asl::{DefinitionError, ExecutionSpec, Interpreter, MemorySink, StateMachine, TaskInvoker, TaskTokens};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Deserialize)]
struct Case {
    name: String,
    source: String,
    definition: Value,
    #[serde(default = "empty")]
    input: Value,
    #[serde(default)]
    tasks: Option<Value>,
    expect: Expect,
}

fn empty() -> Value {
    json!({})
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    output: Option<Value>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    cause_contains: Option<String>,
    /// Event types that must appear, in this order (others may come between).
    #[serde(default)]
    history: Vec<String>,
    #[serde(default)]
    invalid: Option<String>,
}

fn cases() -> Vec<(String, Case)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "json")).collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let cases: Vec<Case> = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let stem = f.file_stem().unwrap().to_string_lossy().into_owned();
        out.extend(cases.into_iter().map(|c| (stem.clone(), c)));
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
            return Ok(Value::Null);
        }
        self.mocks.invoke(call).await
    }
}

fn run_case(case: &Case) -> Result<(), String> {
    let machine = match StateMachine::from_json(&case.definition.to_string()) {
        Ok(m) => m,
        Err(e) => {
            let codes: Vec<&str> = match &e {
                DefinitionError::Invalid(d) => d.iter().map(|d| d.code).collect(),
                DefinitionError::Json { .. } => vec!["INVALID_JSON_DESCRIPTION"],
            };
            return match &case.expect.invalid {
                Some(code) if codes.contains(&code.as_str()) => Ok(()),
                Some(code) => Err(format!("rejected with {codes:?}, expected {code}: {e}")),
                None => Err(format!("definition rejected: {e}")),
            };
        }
    };
    if let Some(code) = &case.expect.invalid {
        return Err(format!("definition accepted, expected {code}"));
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap();
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
            let mocks = MockConfig::from_json(&config.to_string()).unwrap().invoker(None, "t", tokens.clone()).unwrap();
            Arc::new(Harness { mocks, silent })
        }
        None => Arc::new(baton_asl::mock::NoTasks),
    };
    let spec = ExecutionSpec { state_machine_arn: "arn:aws:states:local:000000000000:stateMachine:m".into(), execution_name: "e".into(), input: case.input.clone() };
    let outcome = runtime.block_on(Interpreter::with_tokens(invoker, sink.clone(), tokens).execute(&machine, &spec));
    let status = serde_json::to_value(outcome.status).unwrap();
    let e = &case.expect;
    let mut problems = Vec::new();
    if let Some(want) = &e.status {
        if status != json!(want) {
            problems.push(format!("status {status}, expected {want} (error {:?})", outcome.error));
        }
    }
    if let Some(want) = &e.output {
        if outcome.output.as_ref() != Some(want) {
            problems.push(format!("output {}, expected {want}", outcome.output.as_ref().map_or("none".into(), Value::to_string)));
        }
    }
    if let Some(want) = &e.error {
        if outcome.error.as_ref().map(|e| &e.error) != Some(want) {
            problems.push(format!("error {:?}, expected {want}", outcome.error));
        }
    }
    if let Some(want) = &e.cause_contains {
        if !outcome.error.as_ref().is_some_and(|e| e.cause.contains(want.as_str())) {
            problems.push(format!("cause {:?} lacks {want:?}", outcome.error.as_ref().map(|e| &e.cause)));
        }
    }
    if !e.history.is_empty() {
        let kinds: Vec<String> = sink.events().into_iter().map(|e| e.kind).collect();
        let mut at = 0;
        for want in &e.history {
            match kinds[at..].iter().position(|k| k == want) {
                Some(p) => at += p + 1,
                None => {
                    problems.push(format!("history lacks {want} (in order) in {kinds:?}"));
                    break;
                }
            }
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(problems.join("; ")) }
}

#[test]
fn conformance_suite() {
    let cases = cases();
    assert!(cases.len() >= 100, "the suite has {} cases", cases.len());
    let mut failures = Vec::new();
    for (file, case) in &cases {
        if let Err(why) = run_case(case) {
            failures.push(format!("{file}/{} [{}]: {why}", case.name, case.source));
        }
    }
    assert!(failures.is_empty(), "{} of {} conformance cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
    println!("{} conformance cases passed", cases.len());
}
