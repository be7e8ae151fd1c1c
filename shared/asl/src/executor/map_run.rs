//! A Distributed Map's run, as the parent execution records it. Its iterations are child
//! workflow executions, each with "its own execution history, separate from the parent's"
//! (developer guide, Using Map state in Distributed mode), so the parent's history holds no
//! iteration events, only the run: `MapRunStarted` after `MapStateStarted`, then
//! `MapRunSucceeded` or `MapRunFailed`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::drive::{execution_context, failed_details, started_details, succeeded_details};
use super::{ExecutionSpec, Run, Workflow};
use crate::context::timestamp;
use crate::definition::{MapState, StateMachine};
use crate::error::StatesError;
use crate::io::json_text;

/// A started Map Run: its ARN, the `MapRunStarted` event, and the state machine its children
/// are executions of.
pub(super) struct MapRun {
    arn: Arc<str>,
    started: u64,
    /// The children's state machine, `…:stateMachine:MACHINE/LABEL`: the "labelled State
    /// Machine ARN" of the developer guide's Map Run page, a Map Run's `stateMachineArn` as
    /// ListMapRuns gave it on AWS (localstack/localstack, tests/aws/services/stepfunctions/v2/
    /// test_sfn_api_map_run.snapshot.json, 2023-09-21).
    machine: Arc<Value>,
    /// Whether the children are Express executions (`ProcessorConfig.ExecutionType`).
    express: bool,
}

/// A child workflow execution of a Map Run, as its `$$.Execution` and its record under a
/// ResultWriter name it.
#[derive(Debug, Clone)]
pub(super) struct ChildExecution {
    pub(super) arn: String,
    pub(super) name: String,
    pub(super) started: DateTime<Utc>,
}

impl MapRun {
    /// Whether a Map state with this ItemProcessor runs in Distributed mode.
    pub(super) fn distributed(processor: &StateMachine) -> bool {
        let mode = processor
            .processor_config
            .as_ref()
            .and_then(|c| c.get("Mode"))
            .and_then(Value::as_str);
        mode == Some("DISTRIBUTED")
    }

    /// Starts the run of a Distributed Map state. Its ARN is the state machine's with `mapRun:`
    /// for `stateMachine:`, then the state's `Label` (an id when it has none) and the run's id,
    /// as the developer guide forms Map Run ARNs (`arn:aws:states:…:mapRun:MACHINE/LABEL:ID`).
    pub(super) fn start(s: &MapState, processor: &StateMachine, run: &Run) -> MapRun {
        let machine = run.state_machine.get("Id").and_then(Value::as_str).unwrap_or_default();
        let label = s.label.clone().unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let arn: Arc<str> = format!(
            "{}/{label}:{}",
            machine.replacen(":stateMachine:", ":mapRun:", 1),
            uuid::Uuid::new_v4()
        )
        .into();
        let started = run
            .recorder
            .emit("MapRunStarted", Some("mapRunStartedEventDetails"), json!({"mapRunArn": &*arn}));
        let machine_arn = format!("{machine}/{label}");
        let name = machine_arn.rsplit_once(":stateMachine:").map_or("", |(_, name)| name);
        let execution_type = processor.processor_config.as_ref().and_then(|c| c.get("ExecutionType"));
        MapRun {
            arn,
            started,
            machine: Arc::new(json!({"Id": machine_arn, "Name": name})),
            express: execution_type.and_then(Value::as_str) == Some("EXPRESS"),
        }
    }

    pub(super) fn arn(&self) -> &str {
        &self.arn
    }

    /// The children's state machine's ARN.
    pub(super) fn machine_arn(&self) -> &str {
        self.machine["Id"].as_str().unwrap_or_default()
    }

    /// A child execution started now with `input`, and the flow it runs in. It is an execution
    /// of its own ("each child workflow execution has its own, separate execution history",
    /// developer guide, Using Map state in Distributed mode), so its context object is its own:
    /// `$$.Execution` names it and holds its input, `$$.StateMachine` is the Map Run's labelled
    /// machine; AWS's own sample tells a child from its parent by `$states.context.Execution.Id`
    /// (awslabs/cid-data-collection-framework, data-collection/deploy/source/step-functions/
    /// health-detail-state-machine-v2.json: `'map-state-machine-exid':
    /// $split($states.context.Execution.Id, ':')[7]` in the child, `child-state-machine-exid`
    /// the same in the parent). Its role is the parent's. Its history is its own, kept where
    /// the parent's is under its own ARN: `ExecutionStarted` with its input, its states, and
    /// its end ([`MapRun::ended`]).
    pub(super) fn child(&self, run: &Run, processor: &StateMachine, input: &Value) -> (Run, ChildExecution) {
        let spec = ExecutionSpec {
            state_machine_arn: self.machine_arn().to_string(),
            execution_name: uuid::Uuid::new_v4().to_string(),
            workflow: match self.express {
                true => Workflow::Express {
                    id: uuid::Uuid::new_v4().to_string(),
                },
                false => Workflow::Standard,
            },
            ..ExecutionSpec::default()
        };
        let arn = spec.execution_arn();
        let started = run.clock.now();
        let role = run.execution.get("RoleArn").and_then(Value::as_str).unwrap_or_default();
        let execution = execution_context(&spec, &arn, input, role, &timestamp(started), 0);
        let recorder = run.recorder.for_execution(&arn);
        recorder.emit_aside(
            "ExecutionStarted",
            Some("executionStartedEventDetails"),
            started_details(json_text(input), role),
        );
        let flow = run.fork_into(processor, recorder).into_execution(execution, self.machine.clone());
        let child = ChildExecution {
            arn,
            name: spec.execution_name,
            started,
        };
        (flow, child)
    }

    /// A child execution's flow ended with `outcome`: its history ends as an execution's does.
    pub(super) fn ended(child: &Run, outcome: &Result<Value, StatesError>) {
        match outcome {
            Ok(output) => child.recorder.emit(
                "ExecutionSucceeded",
                Some("executionSucceededEventDetails"),
                succeeded_details(output),
            ),
            Err(error) => child
                .recorder
                .emit("ExecutionFailed", Some("executionFailedEventDetails"), failed_details(error)),
        };
    }

    /// A child execution still running when the run failed is stopped: its history ends
    /// `ExecutionAborted`.
    pub(super) fn aborted(child: &Run) {
        child.recorder.emit("ExecutionAborted", None, Value::Null);
    }

    /// Every child succeeded. `MapRunSucceeded` follows `MapRunStarted`, the state's
    /// `MapStateSucceeded` follows it, and the state's exit follows `MapRunStarted`, as AWS
    /// recorded it on 2024-11-18 (localstack/localstack, tests/aws/services/stepfunctions/v2/
    /// assign/test_assign_reference_variables.snapshot.json, MAP_STATE_REFERENCE_IN_ITEM_SELECTOR
    /// and MAP_STATE_REFERENCE_IN_TOLERATED_FAILURE_PATH: 6 MapRunStarted, 7 MapRunSucceeded,
    /// 8 MapStateSucceeded after 7, 9 MapStateExited after 6; and on 2024-12-13,
    /// scenarios/test_base_scenarios.snapshot.json, test_map_state_nested_config_distributed).
    /// Recordings from 2024-02-08 (the same file, test_map_state_config_distributed_*) link the
    /// exit to `MapRunSucceeded`; the later ones are followed.
    pub(super) fn succeeded(&self, run: &Run) {
        let succeeded = run.recorder.emit_aside("MapRunSucceeded", None, Value::Null);
        run.recorder.succeeded_after("MapStateSucceeded", succeeded);
        run.recorder.follow(self.started);
    }

    /// The run failed with `error`: `MapRunFailed` carries its error and cause, as the SDK's
    /// `MapRunFailedEventDetails` has them, before the state records its own failure.
    pub(super) fn failed(&self, run: &Run, error: &StatesError) {
        let mut details = json!({"error": error.error});
        if !error.cause.is_empty() {
            details["cause"] = json!(error.cause);
        }
        run.recorder.emit("MapRunFailed", Some("mapRunFailedEventDetails"), details);
    }
}
