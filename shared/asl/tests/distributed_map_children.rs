//! A Distributed Map's children are executions of their own, each with "its own, separate
//! execution history" (developer guide, Using Map state in Distributed mode): the parent's
//! history holds the Map Run, and each child's its start, its states and its end.

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

use std::sync::Arc;

use baton_asl::mock::NoTasks;
use baton_asl::{ExecutionSpec, ExecutionStatus, HistoryEvent, Interpreter, MemorySink, StateMachine};
use serde_json::{Value, json};

/// Runs a Distributed Map labelled `Rows` over the input, whose children run `processor`, with
/// `tolerated` failures tolerated; every execution's history.
async fn histories(processor: Value, tolerated: u64, input: Value) -> (ExecutionStatus, Vec<(String, Vec<Value>)>) {
    let definition = json!({"StartAt": "M", "States": {
        "M": {"Type": "Map", "Label": "Rows", "ToleratedFailureCount": tolerated, "End": true,
              "ItemProcessor": processor}}});
    let machine = StateMachine::from_json(&definition.to_string()).unwrap();
    let sink = Arc::new(MemorySink::default());
    let spec = ExecutionSpec {
        state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:m".into(),
        execution_name: "e".into(),
        input,
        ..ExecutionSpec::default()
    };
    let outcome = Interpreter::new(Arc::new(NoTasks), sink.clone()).execute(&machine, &spec).await;
    let parent = (spec.execution_arn(), sink.events());
    let executions = std::iter::once(parent)
        .chain(sink.children())
        .map(|(arn, events)| (arn, events.iter().map(event).collect()))
        .collect();
    (outcome.status, executions)
}

/// An event as GetExecutionHistory gives it, without its timestamp.
fn event(e: &HistoryEvent) -> Value {
    let mut v = serde_json::to_value(e).unwrap();
    v.as_object_mut().unwrap().remove("timestamp");
    v
}

fn kinds(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

fn distributed(states: Value) -> Value {
    json!({"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "C", "States": states})
}

/// Each child's history is an execution's: `ExecutionStarted` with its input and its role, its
/// states (the first one's entry linked to nothing, as in any execution's history), and its end,
/// `ExecutionSucceeded` with its output or `ExecutionFailed` with its error and cause. The
/// parent's records the Map Run and no iteration.
#[tokio::test(start_paused = true)]
async fn each_child_keeps_a_history_of_its_own() {
    let processor = distributed(json!({
        "C": {"Type": "Choice", "Choices": [{"Variable": "$", "StringEquals": "bad", "Next": "F"}], "Default": "P"},
        "F": {"Type": "Fail", "Error": "Bad", "Cause": "bad row"},
        "P": {"Type": "Pass", "End": true}}));
    let (status, executions) = histories(processor, 1, json!(["good", "bad"])).await;
    assert_eq!(status, ExecutionStatus::Succeeded);
    assert_eq!(executions.len(), 3, "{executions:?}");
    let (parent, parent_events) = &executions[0];
    assert_eq!(parent, "arn:aws:states:us-east-1:123456789012:execution:m:e");
    assert_eq!(
        kinds(parent_events),
        [
            "ExecutionStarted",
            "MapStateEntered",
            "MapStateStarted",
            "MapRunStarted",
            "MapRunSucceeded",
            "MapStateSucceeded",
            "MapStateExited",
            "ExecutionSucceeded"
        ]
    );

    let child = |input: &str| {
        let text = json!(input).to_string();
        executions[1..]
            .iter()
            .find(|(_, events)| events[0]["executionStartedEventDetails"]["input"] == text)
            .unwrap_or_else(|| panic!("no child started with {text}: {executions:?}"))
    };
    let (good_arn, good) = child("good");
    assert!(
        good_arn.starts_with("arn:aws:states:us-east-1:123456789012:execution:m/Rows:"),
        "{good_arn}"
    );
    assert_eq!(
        good[0],
        json!({"id": 1, "previousEventId": 0, "type": "ExecutionStarted", "executionStartedEventDetails": {
            "input": "\"good\"", "inputDetails": {"truncated": false}, "roleArn": "arn:aws:iam::000000000000:role/baton-local"}})
    );
    assert_eq!(
        kinds(good),
        [
            "ExecutionStarted",
            "ChoiceStateEntered",
            "ChoiceStateExited",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert_eq!(good[1]["previousEventId"], 0);
    assert_eq!(
        good[5],
        json!({"id": 6, "previousEventId": 5, "type": "ExecutionSucceeded",
               "executionSucceededEventDetails": {"output": "\"good\"", "outputDetails": {"truncated": false}}})
    );

    let (bad_arn, bad) = child("bad");
    assert_ne!(bad_arn, good_arn);
    assert_eq!(
        kinds(bad),
        [
            "ExecutionStarted",
            "ChoiceStateEntered",
            "ChoiceStateExited",
            "FailStateEntered",
            "ExecutionFailed"
        ]
    );
    assert_eq!(bad[4]["executionFailedEventDetails"], json!({"error": "Bad", "cause": "bad row"}));
}

/// A child that fails the Map Run stops the children still running: their histories end
/// `ExecutionAborted`, with the state they were in left open, as a stopped execution's does.
#[tokio::test(start_paused = true)]
async fn the_children_still_running_when_the_run_fails_are_aborted() {
    let processor = distributed(json!({
        "C": {"Type": "Choice", "Choices": [{"Variable": "$", "StringEquals": "bad", "Next": "F"}], "Default": "W"},
        "F": {"Type": "Fail", "Error": "Bad"},
        "W": {"Type": "Wait", "Seconds": 3600, "End": true}}));
    let (status, executions) = histories(processor, 0, json!(["slow", "bad"])).await;
    assert_eq!(status, ExecutionStatus::Failed);
    let ends: Vec<(&str, &str)> = executions[1..]
        .iter()
        .map(|(_, events)| {
            let input = events[0]["executionStartedEventDetails"]["input"].as_str().unwrap();
            (input, events.last().unwrap()["type"].as_str().unwrap())
        })
        .collect();
    assert_eq!(ends.len(), 2, "{executions:?}");
    assert!(ends.contains(&("\"bad\"", "ExecutionFailed")), "{ends:?}");
    assert!(ends.contains(&("\"slow\"", "ExecutionAborted")), "{ends:?}");
    let parent = kinds(&executions[0].1);
    assert!(
        parent.contains(&"MapRunFailed") && !parent.iter().any(|k| k.starts_with("MapIteration")),
        "{parent:?}"
    );
}
