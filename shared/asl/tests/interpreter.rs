//! End-to-end behaviour of the interpreter on small state machines.

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use baton_asl::{
    ExecutionSpec, ExecutionStatus, HistoryEvent, HistorySink, Interpreter, StateMachine, StatesError, StopRequest, TaskCall, TaskInvoker,
    TaskTokens,
};
use serde_json::{Value, json};

#[derive(Default)]
struct Events(Mutex<Vec<HistoryEvent>>);

impl HistorySink for Events {
    fn record(&self, _arn: &str, event: HistoryEvent) {
        self.0.lock().unwrap().push(event);
    }
}

impl Events {
    fn kinds(&self) -> Vec<String> {
        self.0.lock().unwrap().iter().map(|e| e.kind.to_string()).collect()
    }

    /// The parameters the first `TaskScheduled` records, where a task's token is read.
    fn scheduled_parameters(&self) -> Value {
        let scheduled = self.0.lock().unwrap().iter().find(|e| &*e.kind == "TaskScheduled").cloned();
        let details = serde_json::to_value(scheduled).unwrap();
        serde_json::from_str(details["taskScheduledEventDetails"]["parameters"].as_str().unwrap()).unwrap()
    }
}

/// `echo` returns its input; `flaky` fails `Transient` twice then succeeds; `boom` always fails;
/// `callback` answers its token from another task.
struct Invoker {
    flaky_calls: AtomicU32,
    tokens: Mutex<Option<TaskTokens>>,
}

#[async_trait]
impl TaskInvoker for Invoker {
    async fn invoke(&self, call: TaskCall) -> Result<Value, StatesError> {
        match call.resource.rsplit(':').next().unwrap_or_default() {
            "echo" => Ok(call.input),
            "flaky" => {
                if self.flaky_calls.fetch_add(1, Ordering::SeqCst) < 2 {
                    Err(StatesError::new("Transient", "try again"))
                } else {
                    Ok(json!({"attempts": self.flaky_calls.load(Ordering::SeqCst)}))
                }
            }
            "boom" => Err(StatesError::new("BuildFailed", "exit code 1")),
            "invoke.waitForTaskToken" => {
                let token = call.task_token.expect("a token");
                assert_eq!(call.input["token"], json!(token), "$$.Task.Token resolves in Parameters");
                let tokens = self.tokens.lock().unwrap().clone().unwrap();
                let value = call.input["value"].clone();
                if value.is_null() {
                    return Ok(json!({"accepted": true})); // never answered: the timeout test
                }
                tokio::spawn(async move { tokens.send_success(&token, json!({"echoed": value})).unwrap() });
                Ok(json!({"accepted": true}))
            }
            // A child execution that runs until its parent's task is answered.
            "startExecution.sync" => std::future::pending().await,
            other => Err(StatesError::new("Unknown", other.to_string())),
        }
    }
}

/// An interpreter on `definition` with the test invoker, the execution to run, and its events.
fn setup(definition: Value, input: Value) -> (Interpreter, StateMachine, ExecutionSpec, Arc<Events>) {
    let machine = StateMachine::from_json(&definition.to_string()).expect("valid definition");
    let events = Arc::new(Events::default());
    let invoker = Arc::new(Invoker {
        flaky_calls: AtomicU32::new(0),
        tokens: Mutex::new(None),
    });
    let interpreter = Interpreter::new(invoker.clone(), events.clone());
    *invoker.tokens.lock().unwrap() = Some(interpreter.tokens());
    let spec = ExecutionSpec {
        state_machine_arn: "arn:aws:states:local:000000000000:stateMachine:test".into(),
        execution_name: "e1".into(),
        input,
        input_text: None,
        workflow: Default::default(),
    };
    (interpreter, machine, spec, events)
}

async fn run(definition: Value, input: Value) -> (baton_asl::ExecutionOutcome, Arc<Events>) {
    let (interpreter, machine, spec, events) = setup(definition, input);
    (interpreter.execute(&machine, &spec).await, events)
}

#[tokio::test(start_paused = true)]
async fn retry_with_backoff_then_success() {
    let (out, events) = run(
        json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:lambda:local:0:function:flaky",
            "Retry": [{"ErrorEquals": ["Transient"], "IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 2}],
            "ResultPath": "$.result", "End": true}}}),
        json!({"keep": 1}),
    )
    .await;
    assert_eq!(out.status, ExecutionStatus::Succeeded);
    assert_eq!(out.output.unwrap(), json!({"keep": 1, "result": {"attempts": 3}}));
    let failed = events.kinds().iter().filter(|k| *k == "LambdaFunctionFailed").count();
    assert_eq!(failed, 2);
}

#[tokio::test(start_paused = true)]
async fn catch_routes_error_into_result_path_and_fail_uses_paths() {
    let (out, events) = run(
        json!({"StartAt": "Build", "States": {
            "Build": {"Type": "Task", "Resource": "arn:aws:lambda:local:0:function:boom",
                      "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Failed"}], "End": true},
            "Failed": {"Type": "Fail", "ErrorPath": "$.error.Error", "CausePath": "$.error.Cause"}}}),
        json!({}),
    )
    .await;
    assert_eq!(out.status, ExecutionStatus::Failed);
    assert_eq!(out.error.unwrap(), StatesError::new("BuildFailed", "exit code 1"));
    let kinds = events.kinds();
    assert_eq!(kinds.first().unwrap(), "ExecutionStarted");
    assert!(kinds.contains(&"FailStateEntered".to_string()));
    assert_eq!(kinds.last().unwrap(), "ExecutionFailed");
}

#[tokio::test]
async fn parallel_branches_and_wait_for_task_token() {
    let (out, events) = run(
        json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true,
        "ResultSelector": {"merged.$": "States.JsonMerge($[0], $[1], false)"},
        "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": {"a": 1}, "End": true}}},
            {"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {"token.$": "$$.Task.Token", "value.$": "$.v"}, "End": true}}}
        ]}}}),
        json!({"v": "x"}),
    )
    .await;
    assert_eq!(out.status, ExecutionStatus::Succeeded, "{:?}", out.error);
    assert_eq!(out.output.unwrap(), json!({"merged": {"a": 1, "echoed": "x"}}));
    let kinds = events.kinds();
    for k in [
        "ParallelStateEntered",
        "ParallelStateStarted",
        "TaskSubmitted",
        "TaskSucceeded",
        "ParallelStateSucceeded",
        "ParallelStateExited",
    ] {
        assert!(kinds.contains(&k.to_string()), "missing {k} in {kinds:?}");
    }
    // Event ids are dense and each previousEventId points at an earlier event.
    let evs = events.0.lock().unwrap();
    for (i, e) in evs.iter().enumerate() {
        assert_eq!(e.id, i as u64 + 1);
        assert!(e.previous_event_id < e.id);
    }
}

#[tokio::test(start_paused = true)]
async fn task_timeout_is_states_timeout() {
    let (out, _) = run(
        json!({"StartAt": "W", "States": {"W": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {"token.$": "$$.Task.Token"}, "TimeoutSeconds": 5, "End": true}}}),
        json!({}),
    )
    .await;
    assert_eq!(out.error.unwrap().error, "States.Timeout");
}

#[tokio::test]
async fn choice_and_map() {
    let (out, _) = run(
        json!({"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 1, "Next": "M"}], "Default": "Never"},
            "Never": {"Type": "Fail", "Error": "Wrong"},
            "M": {"Type": "Map", "ItemsPath": "$.xs", "MaxConcurrency": 1, "ResultPath": "$.out", "End": true,
                  "ItemSelector": {"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value"},
                  "ItemProcessor": {"StartAt": "E", "States": {"E": {"Type": "Pass", "End": true}}}}}}),
        json!({"n": 2, "xs": ["a", "b"]}),
    )
    .await;
    assert_eq!(out.output.unwrap()["out"], json!([{"i": 0, "v": "a"}, {"i": 1, "v": "b"}]));
}

#[test]
fn definitions_are_checked() {
    let bad_target = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nope"}}});
    let err = StateMachine::from_json(&bad_target.to_string()).unwrap_err().to_string();
    assert!(err.contains("Nope"), "{err}");
    let bad_field = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Resource": "x", "End": true}}});
    let err = StateMachine::from_json(&bad_field.to_string()).unwrap_err().to_string();
    assert!(err.contains("Resource"), "{err}");
    let err = StateMachine::from_json("{\"StartAt\": ").unwrap_err().to_string();
    assert!(err.contains("line 1"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn a_stopped_execution_is_aborted_and_drops_its_waiting_tasks() {
    let (interpreter, machine, spec, events) = setup(
        json!({"StartAt": "W", "States": {"W": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {"token.$": "$$.Task.Token"}, "End": true}}}),
        json!({}),
    );
    let tokens = interpreter.tokens();
    let (stop, stops) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        // Stopped while the task waits for its token, as `baton stop --abandon` would.
        while tokens.waiting() == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let error = StatesError::new("Baton.Stopped", "stopped by a test");
        stop.send(StopRequest { error, abandon: true }).unwrap();
    });
    let out = interpreter.execute_until(&machine, &spec, stops).await;
    assert_eq!(out.status, ExecutionStatus::Aborted);
    assert_eq!(out.error.unwrap(), StatesError::new("Baton.Stopped", "stopped by a test"));
    assert_eq!(interpreter.tokens().waiting(), 0, "the waiting task's token is gone");
    let kinds = events.kinds();
    assert!(kinds.contains(&"TaskSubmitted".to_string()), "{kinds:?}");
    assert_eq!(kinds.last().unwrap(), "ExecutionAborted");
    let last = events.0.lock().unwrap().last().cloned().unwrap();
    let details = serde_json::to_value(&last).unwrap();
    assert_eq!(details["executionAbortedEventDetails"]["cause"], "stopped by a test");
}

#[tokio::test(start_paused = true)]
async fn stop_and_wait_lets_the_task_in_flight_finish_and_starts_nothing_after_it() {
    let (interpreter, machine, spec, events) = setup(
        json!({"StartAt": "Build", "States": {
            "Build": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                      "Parameters": {"token.$": "$$.Task.Token"}, "Next": "Deploy"},
            "Deploy": {"Type": "Task", "Resource": "arn:aws:lambda:local:0:function:echo", "End": true}}}),
        json!({}),
    );
    let (stop, stops) = tokio::sync::mpsc::unbounded_channel();
    let (tokens, seen) = (interpreter.tokens(), events.clone());
    tokio::spawn(async move {
        while tokens.waiting() == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let error = StatesError::new("Baton.Stopped", "stop and wait");
        stop.send(StopRequest { error, abandon: false }).unwrap();
        // The build is still in flight a minute later: the execution waits for it.
        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        assert!(!seen.kinds().contains(&"ExecutionAborted".to_string()));
        let parameters = seen.scheduled_parameters();
        tokens
            .send_success(parameters["token"].as_str().unwrap(), json!({"built": true}))
            .unwrap();
    });
    let out = interpreter.execute_until(&machine, &spec, stops).await;
    assert_eq!(out.status, ExecutionStatus::Aborted);
    let kinds = events.kinds();
    assert!(kinds.contains(&"TaskSucceeded".to_string()), "the build finished: {kinds:?}");
    assert!(kinds.contains(&"TaskStateExited".to_string()), "{kinds:?}");
    let deploys = events
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|e| &*e.kind == "TaskStateEntered" && serde_json::to_value(e).unwrap().to_string().contains("Deploy"))
        .count();
    assert_eq!(deploys, 0, "nothing starts after the stop: {kinds:?}");
    assert_eq!(kinds.last().unwrap(), "ExecutionAborted");
}

/// A `startExecution.sync` task holds a task token, and a `SendTaskSuccess` with it ends the
/// task before its child execution ends: `TaskSubmitted`, then `TaskSucceeded` with the answer
/// (recorded on AWS: localstack/localstack, tests/aws/services/stepfunctions/v2/callback/
/// test_callback.snapshot.json, `test_sync_with_task_token`, 2024-07-12).
#[tokio::test(start_paused = true)]
async fn a_job_s_task_ends_when_its_token_is_answered_first() {
    let (interpreter, machine, spec, events) = setup(
        json!({"StartAt": "StartExecution", "States": {"StartExecution": {"Type": "Task",
            "Resource": "arn:aws:states:::states:startExecution.sync",
            "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:111111111111:stateMachine:child",
                           "Input": {"TaskToken.$": "$$.Task.Token"}},
            "End": true}}}),
        json!({}),
    );
    let (tokens, seen) = (interpreter.tokens(), events.clone());
    tokio::spawn(async move {
        while tokens.waiting() == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let parameters = seen.scheduled_parameters();
        tokens
            .send_success(
                parameters["Input"]["TaskToken"].as_str().unwrap(),
                json!("SQS_SEND_MESSAGE_AND_WAIT"),
            )
            .unwrap();
    });
    let out = interpreter.execute(&machine, &spec).await;
    assert_eq!(out.status, ExecutionStatus::Succeeded, "{:?}", out.error);
    assert_eq!(out.output.unwrap(), json!("SQS_SEND_MESSAGE_AND_WAIT"));
    assert_eq!(
        events.kinds(),
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSubmitted",
            "TaskSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert_eq!(interpreter.tokens().waiting(), 0, "the answered token is gone");
}

#[test]
fn status_names_are_the_serialized_ones() {
    for s in [
        ExecutionStatus::Running,
        ExecutionStatus::Succeeded,
        ExecutionStatus::Failed,
        ExecutionStatus::TimedOut,
        ExecutionStatus::Aborted,
    ] {
        assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
    }
}

/// An Express execution's context object, as recorded on AWS (localstack/localstack,
/// tests/aws/services/stepfunctions/v2/express/test_express_sync.snapshot.json, 2024-07-15):
/// `Id` is `…:express:MACHINE:NAME:ID` and `$$.Execution` has no `RedriveCount`; a Standard
/// one's has.
#[tokio::test(start_paused = true)]
async fn an_express_execution_has_an_express_arn_and_no_redrive_count() {
    let definition = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"e.$": "$$.Execution"}, "End": true}}});
    let (interpreter, machine, mut spec, _) = setup(definition, json!({}));
    let standard = interpreter.execute(&machine, &spec).await.output.unwrap();
    assert_eq!(standard["e"]["Id"], "arn:aws:states:local:000000000000:execution:test:e1");
    assert_eq!(standard["e"]["RedriveCount"], 0);

    spec.workflow = baton_asl::Workflow::Express { id: "0f0e".into() };
    let express = interpreter.execute(&machine, &spec).await.output.unwrap();
    assert_eq!(express["e"]["Id"], "arn:aws:states:local:000000000000:express:test:e1:0f0e");
    let keys: Vec<&String> = express["e"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["Id", "Input", "Name", "RoleArn", "StartTime"]);
}

/// AWS lists a state's `assignedVariables` by name, whatever order `Assign` wrote them in
/// (recorded: localstack/localstack, tests/aws/services/stepfunctions/v2/assign/
/// test_assign_base.snapshot.json, 2024-11-04, where `varname` follows every `constant_…`, and
/// v2/query_language/test_mixed_query_language.snapshot.json, 2024-11-07, `oldAnswer` before
/// `theAnswer`); a value that is an object keeps its own order.
#[tokio::test(start_paused = true)]
async fn assigned_variables_are_listed_by_name() {
    let definition = json!({"StartAt": "S", "States": {"S": {"Type": "Pass", "End": true,
        "Assign": {"varname.$": "$.v", "theAnswer": 18, "constant_obj": {"z": 1, "a": 2}, "oldAnswer.$": "$.v"}}}});
    let (outcome, events) = run(definition, json!({"v": 42})).await;
    assert_eq!(outcome.status, ExecutionStatus::Succeeded);
    let exited = events
        .0
        .lock()
        .unwrap()
        .iter()
        .find(|e| &*e.kind == "PassStateExited")
        .cloned()
        .unwrap();
    let text = serde_json::to_string(&exited).unwrap();
    let assigned = &text[text.find("\"assignedVariables\"").unwrap()..text.find("\"assignedVariablesDetails\"").unwrap()];
    assert_eq!(
        assigned,
        r#""assignedVariables":{"constant_obj":"{\"z\":1,\"a\":2}","oldAnswer":"42","theAnswer":"18","varname":"42"},"#
    );
}

/// An expression is given what it reads of `$states` and the variables, and only that; one that
/// may read the whole of `$states` gets it whole, context object included, wherever it stands.
#[tokio::test(start_paused = true)]
async fn an_expression_that_may_read_all_of_states_gets_it_all() {
    let definition = json!({"QueryLanguage": "JSONata", "StartAt": "Set", "States": {
        "Set": {"Type": "Pass", "Assign": {"x": 1, "y": 2}, "Next": "Read"},
        "Read": {"Type": "Task", "Resource": "arn:aws:lambda:local:0:function:echo", "Arguments": {"a": 1}, "End": true,
            "Assign": {"sum": "{% $x + $y %}"},
            "Output": {
                "keys": "{% $keys($states) %}",
                "name": "{% $states.context.State.Name %}",
                "viaLookup": "{% $lookup($states, 'context').State.Name %}",
                "result": "{% $states.result.a + $x %}",
                "inner": "{% $map([1, 2], function($v) { $v + $y }) %}"}}}});
    let (outcome, _) = run(definition, json!({"in": true})).await;
    assert_eq!(outcome.status, ExecutionStatus::Succeeded, "{:?}", outcome.error);
    assert_eq!(
        outcome.output.unwrap(),
        json!({"keys": ["input", "context", "result"], "name": "Read", "viaLookup": "Read", "result": 2, "inner": [3, 4]})
    );
}

/// A path or expression that reads one member of the context object, or names beneath it or
/// beneath `$states.input`, gets what the whole object holds there, beside one that reads the
/// object whole.
#[tokio::test(start_paused = true)]
async fn what_is_read_by_name_is_what_the_whole_holds() {
    let jsonpath = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.xs", "End": true,
        "ItemSelector": {"v.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index", "tag.$": "$$.Execution.Input.tag",
            "state.$": "$$.State.Name", "deep.$": "$$..Index", "name.$": "$$.Execution.Name",
            "b.$": "$$.Execution.Input.cfg.to.b", "k.$": "$$.Execution.Input.cfg.n[1].k", "to.$": "$$.Execution.Input.cfg.to"},
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}});
    let jsonata = json!({"QueryLanguage": "JSONata", "StartAt": "M", "States": {"M": {"Type": "Map",
        "Items": "{% $states.input.xs %}", "End": true,
        "ItemSelector": {"v": "{% $states.context.Map.Item.Value %}", "i": "{% $states.context.Map.Item.Index %}",
            "tag": "{% $states.context.Execution.Input.tag %}", "state": "{% $states.context.State.Name %}",
            "name": "{% $states.context.Execution.Name %}",
            "keys": "{% $keys($states.context) %}",
            "cfg": "{% {'b': $states.context.Execution.Input.cfg.to.b, 'k': $states.context.Execution.Input.cfg.n[1].k,
                        'keys': $keys($states.context.Execution.Input.cfg.to)} %}",
            "ks": "{% $states.context.Execution.Input.cfg.n.k %}",
            "input": "{% {'b': $states.input.cfg.to.b, 'keys': $keys($states.input.cfg.to), 'ks': $states.input.cfg.n.k} %}"},
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}});
    // Names read deep in the execution input, one read within another, and beside them a
    // member of what they pass through read whole.
    let input = json!({"xs": ["a", "b"], "tag": "t", "cfg": {"to": {"b": 1, "c": 2}, "n": [{"k": 3}, {"k": 4}]}});
    let (outcome, _) = run(jsonata, input.clone()).await;
    assert_eq!(outcome.status, ExecutionStatus::Succeeded, "{:?}", outcome.error);
    let keys = json!(["Execution", "StateMachine", "State", "Map"]);
    let (cfg, ks) = (json!({"b": 1, "k": 4, "keys": ["b", "c"]}), json!([3, 4]));
    let read = json!({"b": 1, "keys": ["b", "c"], "ks": [3, 4]});
    assert_eq!(
        outcome.output.unwrap(),
        json!([{"v": "a", "i": 0, "tag": "t", "state": "M", "name": "e1", "keys": keys, "cfg": cfg, "ks": ks, "input": read},
               {"v": "b", "i": 1, "tag": "t", "state": "M", "name": "e1", "keys": keys, "cfg": cfg, "ks": ks, "input": read}])
    );
    let (outcome, _) = run(jsonpath, input).await;
    assert_eq!(outcome.status, ExecutionStatus::Succeeded, "{:?}", outcome.error);
    let (b, k, to) = (1, 4, json!({"b": 1, "c": 2}));
    assert_eq!(
        outcome.output.unwrap(),
        json!([{"v": "a", "i": 0, "tag": "t", "state": "M", "deep": [0], "name": "e1", "b": b, "k": k, "to": to},
               {"v": "b", "i": 1, "tag": "t", "state": "M", "deep": [1], "name": "e1", "b": b, "k": k, "to": to}])
    );
}
