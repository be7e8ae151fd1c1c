//! Redriving and resuming executions from their history.

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use baton_asl::redrive::{self, RedriveError};
use baton_asl::{ExecutionSpec, ExecutionStatus, Interpreter, MemorySink, StateMachine, StatesError, TaskCall, TaskInvoker};
use serde_json::{Value, json};

/// Counts calls per state. A state listed in `failing` fails while it is listed; `hang` never
/// returns (a runner that dies mid-task).
#[derive(Default)]
struct Invoker {
    calls: Mutex<HashMap<String, u32>>,
    failing: Mutex<Vec<String>>,
    hang: Mutex<Vec<String>>,
    seen: Mutex<Vec<Value>>,
}

#[async_trait]
impl TaskInvoker for Invoker {
    async fn invoke(&self, call: TaskCall) -> Result<Value, StatesError> {
        *self.calls.lock().unwrap().entry(call.state_name.clone()).or_default() += 1;
        self.seen.lock().unwrap().push(call.input.clone());
        if self.hang.lock().unwrap().contains(&call.state_name) {
            std::future::pending::<()>().await;
        }
        if self.failing.lock().unwrap().contains(&call.state_name) {
            return Err(StatesError::new("BuildFailed", format!("{} failed", call.state_name)));
        }
        Ok(json!({ "by": call.state_name, "input": call.input }))
    }
}

impl Invoker {
    fn calls(&self, state: &str) -> u32 {
        self.calls.lock().unwrap().get(state).copied().unwrap_or(0)
    }
}

fn task(next: Option<&str>) -> Value {
    let mut t = json!({
        "Type": "Task",
        "Resource": "arn:aws:lambda:local:000000000000:function:work",
        "Parameters": { "redrive.$": "$$.Execution.RedriveCount", "retry.$": "$$.State.RetryCount" },
    });
    match next {
        Some(n) => t["Next"] = json!(n),
        None => t["End"] = json!(true),
    }
    t
}

/// Gate → Stage (a Parallel of A and B) → Done; a failure anywhere is caught into `Failed`.
fn pipeline() -> StateMachine {
    let mut stage = json!({
        "Type": "Parallel",
        "Branches": [
            { "StartAt": "A", "States": { "A": task(None) } },
            { "StartAt": "B", "States": { "B": task(Some("B2")), "B2": task(None) } },
        ],
        "ResultPath": "$.stage",
        "Next": "Done",
        "Catch": [{ "ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Failed" }],
    });
    stage["Comment"] = json!("the stage");
    let mut gate = task(Some("Stage"));
    gate["ResultPath"] = json!("$.gate");
    let definition = json!({
        "StartAt": "Gate",
        "States": {
            "Gate": gate,
            "Stage": stage,
            "Done": { "Type": "Succeed" },
            "Failed": { "Type": "Fail", "Error": "Pipeline.Failed" },
        },
    });
    StateMachine::from_json(&definition.to_string()).unwrap()
}

fn setup() -> (Interpreter, Arc<Invoker>, Arc<MemorySink>, ExecutionSpec) {
    let invoker = Arc::new(Invoker::default());
    let sink = Arc::new(MemorySink::default());
    let interpreter = Interpreter::new(invoker.clone(), sink.clone());
    let spec = ExecutionSpec {
        state_machine_arn: "arn:aws:states:local:000000000000:stateMachine:test".into(),
        execution_name: "e1".into(),
        input: json!({ "commit": "abc" }),
        input_text: None,
        workflow: Default::default(),
    };
    (interpreter, invoker, sink, spec)
}

fn no_stops() -> tokio::sync::mpsc::UnboundedReceiver<baton_asl::StopRequest> {
    tokio::sync::mpsc::unbounded_channel().1
}

#[tokio::test]
async fn a_redrive_reruns_only_the_failed_branch_and_continues_the_history() {
    let (interpreter, invoker, sink, spec) = setup();
    let machine = pipeline();
    invoker.failing.lock().unwrap().push("B2".into());
    let first = interpreter.execute(&machine, &spec).await;
    assert_eq!(first.status, ExecutionStatus::Failed);
    let history = sink.events();
    let last_id = history.last().unwrap().id;

    let plan = redrive::plan(&machine, &history).unwrap();
    assert_eq!(plan.state, "Stage", "the failed state, not the catcher's Fail state");
    assert_eq!(plan.input["gate"]["by"], "Gate", "with the input it was given");
    let mut kept: Vec<&String> = plan.kept.keys().collect();
    kept.sort();
    assert_eq!(kept, ["A", "B"], "the tasks that succeeded are kept, the failed one is not");

    invoker.failing.lock().unwrap().clear();
    let second = interpreter.redrive(&machine, &spec, &plan, no_stops()).await;
    assert_eq!(second.status, ExecutionStatus::Succeeded, "{:?}", second.error);
    assert_eq!(
        (invoker.calls("Gate"), invoker.calls("A"), invoker.calls("B")),
        (1, 1, 1),
        "nothing that succeeded ran twice"
    );
    assert_eq!(invoker.calls("B2"), 2);
    let output = second.output.unwrap();
    assert_eq!(output["stage"][0]["by"], "A", "the kept branch's output takes its place");
    assert_eq!(output["stage"][1]["by"], "B2");
    assert_eq!(output["commit"], "abc", "the execution's own input carries through");
    let seen = invoker.seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(seen["redrive"], 1, "$$.Execution.RedriveCount counts the redrive");

    let events = sink.events();
    let redriven = &events[history.len()];
    assert_eq!(redriven.kind, "ExecutionRedriven");
    assert_eq!(redriven.id, last_id + 1, "event ids continue");
    assert_eq!(redriven.detail("redriveCount"), Some(json!(1)));
    assert_eq!(events.last().unwrap().kind, "ExecutionSucceeded");
    let entered_again: Vec<_> = events[history.len()..]
        .iter()
        .filter(|e| e.kind == "TaskStateEntered")
        .filter_map(|e| e.state_name().map(str::to_string))
        .collect();
    assert!(
        entered_again.contains(&"A".to_string()),
        "a kept task still enters and exits in the history"
    );

    // A second redrive of a succeeded execution has nothing to do.
    assert_eq!(redrive::plan(&machine, &events).unwrap_err(), RedriveError::Succeeded);
    let ended = redrive::recorded_end(&events).unwrap();
    assert_eq!(
        (ended.status, ended.output.unwrap()["commit"].clone()),
        (ExecutionStatus::Succeeded, json!("abc"))
    );
    let failed = redrive::recorded_end(&history).unwrap();
    assert_eq!(
        (failed.status, failed.error.unwrap().error),
        (ExecutionStatus::Failed, "Pipeline.Failed".to_string())
    );
}

#[tokio::test]
async fn restarting_at_an_earlier_state_reruns_it_and_forgetting_reruns_everything() {
    let (interpreter, invoker, sink, spec) = setup();
    let machine = pipeline();
    invoker.failing.lock().unwrap().push("B2".into());
    interpreter.execute(&machine, &spec).await;
    let history = sink.events();
    let mut plan = redrive::plan(&machine, &history).unwrap();
    plan.restart_at(&history, |name| name == "Gate");
    assert_eq!(plan.state, "Gate");
    assert!(!plan.kept.contains_key("Gate"), "the restart state itself runs again");
    plan.forget_successes();

    invoker.failing.lock().unwrap().clear();
    let second = interpreter.redrive(&machine, &spec, &plan, no_stops()).await;
    assert_eq!(second.status, ExecutionStatus::Succeeded);
    assert_eq!((invoker.calls("Gate"), invoker.calls("A"), invoker.calls("B2")), (2, 2, 2));
}

#[tokio::test]
async fn a_resumed_execution_runs_the_state_in_flight_again_in_the_same_attempt() {
    let (interpreter, invoker, sink, spec) = setup();
    let machine = pipeline();
    invoker.hang.lock().unwrap().push("B2".into());
    // The runner dies while B2 runs: its future is dropped mid-flight.
    let died = tokio::time::timeout(std::time::Duration::from_millis(200), interpreter.execute(&machine, &spec)).await;
    assert!(died.is_err(), "B2 hangs until the runner is gone");
    let history = sink.events();
    assert!(
        history
            .iter()
            .all(|e| !e.kind.starts_with("Execution") || e.kind == "ExecutionStarted")
    );

    assert!(redrive::recorded_end(&history).is_none(), "no end was recorded");
    let plan = redrive::plan(&machine, &history).unwrap();
    assert_eq!(plan.state, "Stage");
    assert!(plan.kept.contains_key("A") && plan.kept.contains_key("B"));
    invoker.hang.lock().unwrap().clear();
    let outcome = interpreter.resume(&machine, &spec, &plan, no_stops()).await;
    assert_eq!(outcome.status, ExecutionStatus::Succeeded, "{:?}", outcome.error);
    assert_eq!(invoker.calls("B2"), 2);
    let seen = invoker.seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(
        (seen["redrive"].clone(), seen["retry"].clone()),
        (json!(0), json!(0)),
        "same attempt: same keys"
    );
    let events = sink.events();
    assert!(!events.iter().any(|e| e.kind == "ExecutionRedriven"));
    let ids: Vec<u64> = events.iter().map(|e| e.id).collect();
    assert!(
        ids.windows(2).all(|w| w[1] == w[0] + 1),
        "one history, numbered without gaps: {ids:?}"
    );
}

#[tokio::test]
async fn between_two_states_the_next_one_runs_and_changed_definitions_are_refused() {
    let (interpreter, invoker, sink, spec) = setup();
    let machine = pipeline();
    invoker.hang.lock().unwrap().push("A".into());
    invoker.hang.lock().unwrap().push("B".into());
    let _ = tokio::time::timeout(std::time::Duration::from_millis(100), interpreter.execute(&machine, &spec)).await;
    // Cut the history right after the gate exited: the stage had not been entered.
    let mut history = sink.events();
    let gate_exit = history.iter().position(|e| e.kind == "TaskStateExited").unwrap();
    history.truncate(gate_exit + 1);
    let plan = redrive::plan(&machine, &history).unwrap();
    assert_eq!(plan.state, "Stage");
    assert_eq!(plan.input["gate"]["by"], "Gate");

    let other = StateMachine::from_json(&json!({"StartAt": "X", "States": {"X": task(None)}}).to_string()).unwrap();
    assert_eq!(
        redrive::plan(&other, &history).unwrap_err(),
        RedriveError::UnknownState("Gate".into()),
        "a definition changed since the run is refused, not restarted from the top"
    );
    assert_eq!(redrive::plan(&machine, &[]).unwrap_err(), RedriveError::NoHistory);
}
