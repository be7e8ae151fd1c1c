//! The execution modes on AWS: the gate handler with `DynamoLanes` and `DynamoState` on a moto
//! server's DynamoDB, and the answers to the gates (`SendTaskSuccess` / `SendTaskFailure`) on
//! aws-smithy-mocks, since moto cannot run the state machine's Lambda tasks. 50 executions
//! reach the gates at once, as 50 pushes in one second would start them.

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_sdk_sfn::operation::send_task_failure::SendTaskFailureOutput;
use aws_sdk_sfn::operation::send_task_success::SendTaskSuccessOutput;
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use baton_aws::dynamodb::{DynamoLanes, DynamoState};
use baton_aws::emf::EmfMetricsSink;
use baton_aws::sfn::StepFunctions;
use baton_core::model::ExecutionMode;
use baton_core::ports::{PendingTasks, StageLanes};
use baton_core::stages::gate::{self, GateInput};
use common::Moto;
use tokio::sync::oneshot;

type Answers = Arc<Mutex<HashMap<String, oneshot::Sender<Result<(), String>>>>>;

async fn table(moto: &Moto) -> DynamoState {
    moto.state_table("baton-state").await
}

/// Step Functions whose task-token answers reach the test's waiting executions.
fn callbacks(answers: &Answers) -> StepFunctions {
    let (ok, failed) = (answers.clone(), answers.clone());
    let success = mock!(aws_sdk_sfn::Client::send_task_success).then_compute_output(move |req| {
        if let Some(tx) = ok.lock().unwrap().remove(req.task_token().unwrap()) {
            let _ = tx.send(Ok(()));
        }
        SendTaskSuccessOutput::builder().build()
    });
    let failure = mock!(aws_sdk_sfn::Client::send_task_failure).then_compute_output(move |req| {
        if let Some(tx) = failed.lock().unwrap().remove(req.task_token().unwrap()) {
            let _ = tx.send(Err(req.error().unwrap_or_default().to_string()));
        }
        SendTaskFailureOutput::builder().build()
    });
    StepFunctions::new(mock_client!(aws_sdk_sfn, RuleMode::MatchAny, [&success, &failure]), "unused")
}

/// What all executions did: who entered which stage, in order, and how many are shipping now.
#[derive(Debug, Clone, Default)]
struct Seen {
    entered: Arc<Mutex<Vec<(&'static str, i64)>>>,
    shipping: Arc<Mutex<u32>>,
}

impl Seen {
    fn order(&self, stage: &str) -> Vec<i64> {
        self.entered
            .lock()
            .unwrap()
            .iter()
            .filter(|(s, _)| *s == stage)
            .map(|(_, n)| *n)
            .collect()
    }
}

/// What one execution did: the stages it entered, and whether it was overtaken.
#[derive(Debug)]
struct Walk {
    n: i64,
    entered: Vec<&'static str>,
    superseded: bool,
}

/// One execution going through the gates of Source, Build and Ship, as the state machine would,
/// holding each stage for a moment, and leaving at its end (the execution-status event).
async fn walk(n: i64, mode: ExecutionMode, lanes: Arc<DynamoLanes>, pending: DynamoState, answers: Answers, seen: Seen) -> Walk {
    let execution = format!("exec-{n:02}");
    let mut walk = Walk {
        n,
        entered: Vec::new(),
        superseded: false,
    };
    for stage in ["Source", "Build", "Ship"] {
        let token = format!("{execution}/{stage}");
        let (tx, rx) = oneshot::channel();
        answers.lock().unwrap().insert(token.clone(), tx);
        let input = GateInput {
            task_token: token,
            pipeline: "p".into(),
            execution_id: execution.clone(),
            stage: stage.into(),
            mode,
            // Distinct start times, one millisecond apart, in the order of n.
            started: Some(format!("2026-12-01T00:00:00.{n:03}Z")),
        };
        // As the state machine's `Transient` retry does: under fifty contenders a lane can see
        // more conflicting writes than one invocation tries, or moto drop a connection.
        let mut attempt = 0;
        while let Err(e) = gate::start(lanes.as_ref(), &pending, &callbacks(&answers), input.clone()).await {
            attempt += 1;
            assert!(e.error_type() == "Transient" && attempt < 6, "gate of {execution} at {stage}: {e}");
            tokio::time::sleep(std::time::Duration::from_millis(100 << attempt)).await;
        }
        match rx.await.unwrap() {
            Ok(()) => {
                walk.entered.push(stage);
                seen.entered.lock().unwrap().push((stage, n));
            }
            Err(error) => {
                assert_eq!(error, "Baton.Superseded");
                walk.superseded = true;
                break;
            }
        }
        if stage == "Ship" {
            let mut at_once = seen.shipping.lock().unwrap();
            *at_once += 1;
            assert_eq!(*at_once, 1, "two executions in the Ship stage at once");
        }
        tokio::time::sleep(std::time::Duration::from_millis(15)).await;
        if stage == "Ship" {
            *seen.shipping.lock().unwrap() -= 1;
        }
    }
    // The execution-status event is retried by EventBridge the same way.
    let mut attempt = 0;
    while let Err(e) = lanes.leave("p", &execution, mode).await {
        attempt += 1;
        assert!(e.transient && attempt < 6, "{execution} leaving: {e:?}");
        tokio::time::sleep(std::time::Duration::from_millis(100 << attempt)).await;
    }
    walk
}

/// 50 executions at once; what each did, and the order they entered Source and Ship in.
async fn fifty(mode: ExecutionMode) -> (Vec<Walk>, Vec<i64>, Vec<i64>) {
    let moto = Moto::start();
    let state = table(&moto).await;
    let answers: Answers = Arc::default();
    let lanes = Arc::new(DynamoLanes::new(
        state.clone(),
        Arc::new(callbacks(&answers)),
        Arc::new(EmfMetricsSink::new(Vec::new())),
    ));
    let seen = Seen::default();
    let mut runs = tokio::task::JoinSet::new();
    for n in 0..50 {
        let (lanes, state, answers, seen) = (lanes.clone(), state.clone(), answers.clone(), seen.clone());
        runs.spawn(walk(n, mode, lanes, state, answers, seen));
    }
    // A walker that panics holds its lanes for good and the others wait behind it: fail with
    // what happened instead of hanging.
    let mut walks = tokio::time::timeout(std::time::Duration::from_secs(180), runs.join_all())
        .await
        .expect("the fifty executions ended within 3 minutes");
    walks.sort_by_key(|w| w.n);
    assert!(state.list("gate/").await.unwrap().is_empty(), "every parked gate was answered");
    (walks, seen.order("Source"), seen.order("Ship"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_on_dynamodb_every_execution_ships_in_queue_order() {
    let (walks, arrived, shipped) = fifty(ExecutionMode::Queued).await;
    assert!(walks.iter().all(|w| !w.superseded && w.entered.len() == 3), "{walks:?}");
    // The queue is the order of arrival at the first stage; nobody overtakes after that.
    assert_eq!(shipped, arrived, "executions ship in the order they queued");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn superseded_on_dynamodb_the_newest_ships_and_waiting_ones_are_overtaken() {
    let (walks, _, shipped) = fifty(ExecutionMode::Superseded).await;
    assert!(walks[49].entered.len() == 3, "the newest is never overtaken: {:?}", walks[49]);
    assert_eq!(shipped.last(), Some(&49));
    assert!(
        shipped.windows(2).all(|w| w[0] < w[1]),
        "an older change never ships after a newer one: {shipped:?}"
    );
    let overtaken = walks.iter().filter(|w| w.superseded).count();
    assert_eq!(overtaken + shipped.len(), 50, "every execution ships or is overtaken: {walks:?}");
    assert!(overtaken >= 40, "waiting executions are overtaken, got {overtaken}");
}

/// A `Step Functions Execution Status Change` event as the Step Functions and EventBridge
/// documentation show it.
fn status_change(machine: &str, execution: &str, status: &str) -> serde_json::Value {
    let arn = format!("arn:aws:states:us-east-1:123456789012:execution:{machine}:{execution}");
    let stopped = (status != "RUNNING").then_some(1_551_225_151_881_i64);
    serde_json::json!({
        "version": "0",
        "id": "315c1398-40ff-a850-213b-158f73e60175",
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "account": "123456789012",
        "time": "2019-02-26T19:42:21Z",
        "region": "us-east-1",
        "resources": [arn],
        "detail": {
            "executionArn": arn,
            "stateMachineArn": format!("arn:aws:states:us-east-1:123456789012:stateMachine:{machine}"),
            "name": execution,
            "status": status,
            "startDate": 1_551_225_146_847_i64,
            "stopDate": stopped,
            "input": "{}",
            "inputDetails": { "included": true },
            "output": null,
            "outputDetails": null
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gate_function_takes_gate_tasks_and_lets_the_next_in_when_an_execution_ends() {
    use baton_aws::entrypoints::gate::{GateFunction, GateRequest};
    let moto = Moto::start();
    let state = table(&moto).await;
    let answers: Answers = Arc::default();
    let function = GateFunction {
        pipeline: "hello".into(),
        mode: ExecutionMode::Queued,
        state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:hello".into(),
        lanes: DynamoLanes::new(
            state.clone(),
            Arc::new(callbacks(&answers)),
            Arc::new(EmfMetricsSink::new(Vec::new())),
        ),
        state,
        callbacks: Arc::new(callbacks(&answers)),
    };
    // The payload the synthesized gate Task sends (see `baton synth`).
    let arrive = |execution: &str| {
        let (tx, rx) = oneshot::channel();
        answers.lock().unwrap().insert(format!("token-{execution}"), tx);
        let payload = serde_json::json!({
            "task_token": format!("token-{execution}"),
            "pipeline": "hello",
            "execution_id": execution,
            "stage": "Build",
            "mode": "QUEUED",
            "started": "2026-12-01T00:00:00.000Z",
        });
        (serde_json::from_value::<GateRequest>(payload).unwrap(), rx)
    };
    let (first, mut first_answer) = arrive("a");
    function.handle(first).await.unwrap();
    assert_eq!(first_answer.try_recv().unwrap(), Ok(()), "a free stage lets the first execution in");
    let (second, mut second_answer) = arrive("b");
    function.handle(second).await.unwrap();
    assert!(second_answer.try_recv().is_err(), "b waits while a holds the stage");

    for (machine, status) in [("hello", "RUNNING"), ("another-pipeline", "SUCCEEDED")] {
        let event: GateRequest = serde_json::from_value(status_change(machine, "a", status)).unwrap();
        assert!(matches!(event, GateRequest::StatusChange(_)));
        function.handle(event).await.unwrap();
        assert!(second_answer.try_recv().is_err(), "{machine} {status} lets nobody in");
    }
    let ended: GateRequest = serde_json::from_value(status_change("hello", "a", "SUCCEEDED")).unwrap();
    assert_eq!(function.handle(ended).await.unwrap(), serde_json::json!({ "left": "a" }));
    assert_eq!(second_answer.try_recv().unwrap(), Ok(()), "a's end lets b in");

    // Every way an execution ends frees its stage.
    for status in ["FAILED", "TIMED_OUT", "ABORTED"] {
        let event: GateRequest = serde_json::from_value(status_change("hello", "b", status)).unwrap();
        assert_eq!(
            function.handle(event).await.unwrap(),
            serde_json::json!({ "left": "b" }),
            "{status}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_lost_on_the_way_is_delivered_by_the_next_gate() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let moto = Moto::start();
    let state = table(&moto).await;
    let answers: Answers = Arc::default();
    let lanes = DynamoLanes::new(
        state.clone(),
        Arc::new(callbacks(&answers)),
        Arc::new(EmfMetricsSink::new(Vec::new())),
    );
    // B waits in front of Ship, its gate parked...
    let (tx, admitted) = oneshot::channel();
    answers.lock().unwrap().insert("B/Ship".into(), tx);
    let parked = baton_core::ports::PendingTask {
        token: "B/Ship".into(),
        context: serde_json::json!({ "pipeline": "p", "execution_id": "B", "stage": "Ship", "started_ms": 0 }),
    };
    state.put(&gate::key("B", "Ship"), &parked).await.unwrap();
    // ...and the lane says B holds Ship: what a gate leaves that changed the lane and then
    // failed before delivering its decision.
    let s = |v: &str| AttributeValue::S(v.into());
    aws_sdk_dynamodb::Client::new(&moto.sdk_config())
        .put_item()
        .table_name("baton-state")
        .item("pk", s("lane#p"))
        .item("sk", s("Ship"))
        .item("holder", s("B"))
        .item("waiting", s("[]"))
        .item("version", AttributeValue::N("1".into()))
        .send()
        .await
        .unwrap();
    // The next gate of the pipeline, anyone's, admits B.
    let arrival = baton_core::ports::Arrival {
        pipeline: "p",
        execution: "C",
        stage: "Source",
        mode: ExecutionMode::Queued,
        started_ms: 5,
    };
    lanes.arrive(&arrival).await.unwrap();
    let answer = tokio::time::timeout(std::time::Duration::from_secs(10), admitted).await;
    assert_eq!(answer.expect("B was admitted").unwrap(), Ok(()));
    assert!(state.list("gate/B/").await.unwrap().is_empty());
}
