//! A Distributed Map's run, as the parent execution records it. Its iterations are child
//! workflow executions, each with "its own execution history, separate from the parent's"
//! (developer guide, Using Map state in Distributed mode), so the parent's history holds no
//! iteration events, only the run: `MapRunStarted` after `MapStateStarted`, then
//! `MapRunSucceeded` or `MapRunFailed`.

use std::sync::Arc;

use serde_json::{Value, json};

use super::Run;
use crate::definition::{MapState, StateMachine};
use crate::error::StatesError;
use crate::history::{NullSink, Recorder};

/// A started Map Run: its ARN and the `MapRunStarted` event.
pub(super) struct MapRun {
    arn: Arc<str>,
    started: u64,
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
    pub(super) fn start(s: &MapState, run: &Run) -> MapRun {
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
        MapRun { arn, started }
    }

    pub(super) fn arn(&self) -> &str {
        &self.arn
    }

    /// The flow a child execution runs in: the iteration's own recorder, whose events are not
    /// the parent's (the local interpreter keeps no child histories).
    pub(super) fn child(&self, run: &Run, processor: &StateMachine) -> Run {
        run.fork_into(processor, Recorder::new(Arc::new(NullSink), &self.arn, run.clock, 0))
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
