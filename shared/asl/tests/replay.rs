//! Replaying a recorded execution with its tasks' recorded results: a run recorded by this
//! interpreter agrees with its replay, Map iterations and parallel branches included whatever
//! order they ran in; a recorded history altered at one state is reported as diverging there.

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

use std::sync::Mutex;

use async_trait::async_trait;
use baton_asl::replay::{self, Difference, Recording};
use baton_asl::{ExecutionSpec, ExecutionStatus, HistoryEvent, Interpreter, MemorySink, StateMachine, StatesError, TaskCall, TaskInvoker};
use serde_json::{Value, json};

/// The tasks' workers: Compile builds, Lint is busy once, Deploy deploys each group (and, when
/// told, fails one).
#[derive(Default)]
struct Workers {
    lint_calls: Mutex<u32>,
}

#[async_trait]
impl TaskInvoker for Workers {
    async fn invoke(&self, call: TaskCall) -> Result<Value, StatesError> {
        match call.state_name.as_str() {
            "Compile" => Ok(json!({"StatusCode": 200, "Payload": {"id": "b-7", "artifact": {"name": "app", "version": 3}}})),
            "Lint" => {
                let mut n = self.lint_calls.lock().unwrap();
                *n += 1;
                if *n == 1 {
                    Err(StatesError::new("Busy", "lint runner busy"))
                } else {
                    Ok(json!({"StatusCode": 200, "Payload": {"warnings": 0}}))
                }
            }
            "Deploy" => {
                let group = call.input["Payload"]["group"].clone();
                // Later groups answer first: the recorded order is not the order entered.
                let delay = if group == "staging" { 30 } else { 10 };
                tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
                Ok(json!({"StatusCode": 200, "Payload": {"group": group, "ok": true}}))
            }
            other => Err(StatesError::runtime(format!("no worker for {other}"))),
        }
    }
}

fn machine() -> StateMachine {
    let lambda = |function: &str| json!({"FunctionName": function, "Payload.$": "$"});
    let definition = json!({
        "StartAt": "Build",
        "States": {
            "Build": {"Type": "Parallel", "ResultPath": "$.build", "Next": "Fan", "Branches": [
                {"StartAt": "Compile", "States": {"Compile": {"Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke", "Parameters": lambda("compile"),
                    "ResultSelector": {"id.$": "$.Payload.id", "artifact.$": "$.Payload.artifact"}, "End": true}}},
                {"StartAt": "Lint", "States": {"Lint": {"Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke", "Parameters": lambda("lint"),
                    "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 2, "MaxAttempts": 2}],
                    "OutputPath": "$.Payload", "End": true}}}
            ]},
            "Fan": {"Type": "Map", "ItemsPath": "$.groups", "ResultPath": "$.deployed", "Next": "Deployed?",
                "ItemSelector": {"group.$": "$$.Map.Item.Value", "artifact.$": "$.build[0].artifact"},
                "ItemProcessor": {"StartAt": "Deploy", "States": {"Deploy": {"Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke", "Parameters": lambda("deploy"),
                    "OutputPath": "$.Payload", "End": true}}}},
            "Deployed?": {"Type": "Choice", "Default": "Failed", "Choices": [
                {"Variable": "$.deployed[1].ok", "BooleanEquals": true, "Next": "Bake"}]},
            "Bake": {"Type": "Wait", "Seconds": 600, "Next": "Done"},
            "Done": {"Type": "Succeed"},
            "Failed": {"Type": "Fail", "Error": "Baton.DeployFailed", "Cause": "a group failed"}
        }
    });
    StateMachine::from_json(&definition.to_string()).unwrap()
}

const ARN: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:hello-pipeline";

/// A run of the machine by the workers, recorded.
async fn record() -> Recording {
    let sink = std::sync::Arc::new(MemorySink::default());
    let spec = ExecutionSpec {
        state_machine_arn: ARN.into(),
        execution_name: "20261204-090000-cccccccc".into(),
        input: json!({"groups": ["staging", "prod"]}),
        input_text: None,
        workflow: Default::default(),
    };
    let outcome = Interpreter::new(std::sync::Arc::new(Workers::default()), sink.clone())
        .execute(&machine(), &spec)
        .await;
    assert_eq!(outcome.status, ExecutionStatus::Succeeded, "{:?}", outcome.error);
    Recording {
        state_machine_arn: spec.state_machine_arn,
        execution_name: spec.execution_name,
        input: spec.input,
        history: sink.events(),
    }
}

/// The event of `kind` that follows from the `nth` (0-based) entry into `state`.
fn event_of<'a>(history: &'a mut [HistoryEvent], state: &str, nth: usize, kind: &str) -> &'a mut HistoryEvent {
    let entered: Vec<u64> = history
        .iter()
        .filter(|e| e.kind.ends_with("StateEntered") && e.state_name() == Some(state))
        .map(|e| e.id)
        .collect();
    let mut chain = vec![entered[nth]];
    let i = history
        .iter()
        .position(|e| {
            if chain.contains(&e.previous_event_id) {
                chain.push(e.id);
                return e.kind == kind;
            }
            false
        })
        .unwrap();
    &mut history[i]
}

fn set_output(event: &mut HistoryEvent, output: &Value) {
    let mut doc = serde_json::to_value(&*event).unwrap();
    let key = event.details.as_ref().unwrap().key.to_string();
    doc[&key]["output"] = json!(output.to_string());
    *event = serde_json::from_value(doc).unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_recorded_run_and_its_replay_agree() {
    let recording = record().await;
    let replayed = replay::replay(&machine(), &recording).await;
    assert!(replayed.agrees(), "{replayed:#?}");
    let entered: Vec<&str> = replayed.states.iter().map(|c| c.state.as_str()).collect();
    for state in ["Build", "Compile", "Lint", "Fan", "Deploy", "Deployed?", "Bake", "Done"] {
        assert!(entered.contains(&state), "{state} is compared: {entered:?}");
    }
    assert_eq!(entered.iter().filter(|s| **s == "Deploy").count(), 2);
    assert_eq!(replayed.recorded_end.as_ref().map(|e| e.event.as_str()), Some("ExecutionSucceeded"));
}

#[tokio::test(start_paused = true)]
async fn a_task_result_altered_in_the_recording_diverges_at_that_task() {
    let mut recording = record().await;
    // prod's deployment is recorded as having failed to report ok: the replay follows that
    // answer, the recorded run's states did not.
    let succeeded = event_of(&mut recording.history, "Deploy", 1, "TaskSucceeded");
    let group = serde_json::from_str::<Value>(&succeeded.detail_text("output").unwrap()).unwrap()["Payload"]["group"].clone();
    set_output(succeeded, &json!({"StatusCode": 200, "Payload": {"group": group, "ok": false}}));

    let replayed = replay::replay(&machine(), &recording).await;
    assert!(!replayed.agrees());
    let first = replayed.first_divergence().unwrap();
    assert_eq!(first.state, "Deploy", "{replayed:#?}");
    assert_eq!(
        first.difference,
        Some(Difference::Output {
            path: "$.ok".into(),
            recorded: Some(json!(true)),
            local: Some(json!(false)),
        })
    );
    // From there the runs part: the local run fails where the recorded one baked.
    assert_eq!(replayed.local_end.as_ref().map(|e| e.event.as_str()), Some("ExecutionFailed"));
    let bake = replayed.states.iter().find(|c| c.state == "Bake").unwrap();
    assert_eq!(bake.difference, Some(Difference::NotEnteredLocally));
    let failed = replayed.states.iter().find(|c| c.state == "Failed").unwrap();
    assert_eq!((failed.recorded_event, &failed.difference), (None, &Some(Difference::OnlyLocally)));
}

#[tokio::test(start_paused = true)]
async fn a_state_output_altered_in_the_recording_diverges_at_that_state_only() {
    let mut recording = record().await;
    let exited = event_of(&mut recording.history, "Build", 0, "ParallelStateExited");
    let mut output: Value = serde_json::from_str(&exited.detail_text("output").unwrap()).unwrap();
    output["build"][0]["id"] = json!("b-8");
    set_output(exited, &output);

    let replayed = replay::replay(&machine(), &recording).await;
    let diverging: Vec<&str> = replayed
        .states
        .iter()
        .filter(|c| c.difference.is_some())
        .map(|c| c.state.as_str())
        .collect();
    assert_eq!(diverging, ["Build"], "{replayed:#?}");
    assert!(matches!(
        &replayed.first_divergence().unwrap().difference,
        Some(Difference::Output { path, .. }) if path == "$.build[0].id"
    ));
}

/// An activity's call is recorded as `Activity…` events (localstack/localstack,
/// tests/aws/services/stepfunctions/v2/activities/test_activities.snapshot.json): its replay
/// answers the activity with the recorded result, as it answers a function's.
#[tokio::test(start_paused = true)]
async fn a_recorded_activity_is_answered_on_replay() {
    struct Reviewer;
    #[async_trait]
    impl TaskInvoker for Reviewer {
        async fn invoke(&self, _: TaskCall) -> Result<Value, StatesError> {
            Ok(json!({"approved": true}))
        }
    }
    let definition = json!({"StartAt": "Review", "States": {"Review": {"Type": "Task",
        "Resource": "arn:aws:states:us-east-1:123456789012:activity:review", "End": true}}});
    let machine = StateMachine::from_json(&definition.to_string()).unwrap();
    let sink = std::sync::Arc::new(MemorySink::default());
    let spec = ExecutionSpec {
        state_machine_arn: ARN.into(),
        execution_name: "20261206-090000-aaaaaaaa".into(),
        input: json!({"change": 7}),
        input_text: None,
        workflow: Default::default(),
    };
    let outcome = Interpreter::new(std::sync::Arc::new(Reviewer), sink.clone())
        .execute(&machine, &spec)
        .await;
    assert_eq!(outcome.status, ExecutionStatus::Succeeded, "{:?}", outcome.error);
    let history = sink.events();
    assert!(history.iter().any(|e| e.kind == "ActivitySucceeded"), "{history:#?}");
    let recording = Recording {
        state_machine_arn: spec.state_machine_arn,
        execution_name: spec.execution_name,
        input: spec.input,
        history,
    };
    let replayed = replay::replay(&machine, &recording).await;
    assert!(replayed.agrees(), "{replayed:#?}");
}
