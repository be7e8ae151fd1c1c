//! One item's run in a Map state: an inline Map's iteration, whose start and end the execution's
//! history records (`MapIteration…` events), or a Distributed Map's child workflow execution,
//! whose history is its own ([`MapRun::child`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use super::Run;
use super::map_run::{ChildExecution, MapRun};
use crate::definition::StateMachine;
use crate::error::StatesError;

/// An item's run: the flow its states run in, and what kind of run it is.
pub(super) struct Iteration {
    pub(super) flow: Run,
    kind: Kind,
}

enum Kind {
    Inline { map_name: Arc<str>, index: usize },
    Child(ChildExecution),
}

impl Iteration {
    /// Starts item `index`'s run on `input`: a child execution of `map_run` when the Map is
    /// distributed, else an iteration of `run`, recorded `MapIterationStarted`.
    pub(super) fn start(
        run: &Run,
        processor: &StateMachine,
        map_run: Option<&MapRun>,
        (map_name, index): (&Arc<str>, usize),
        input: &Value,
    ) -> Iteration {
        match map_run {
            Some(map_run) => {
                let (flow, child) = map_run.child(run, processor, input);
                Iteration {
                    flow,
                    kind: Kind::Child(child),
                }
            }
            None => {
                let flow = run.fork(processor);
                flow.recorder
                    .map_iteration("MapIterationStarted", "mapIterationStartedEventDetails", map_name, index);
                Iteration {
                    flow,
                    kind: Kind::Inline {
                        map_name: map_name.clone(),
                        index,
                    },
                }
            }
        }
    }

    /// The child execution this run is, if it is one.
    pub(super) fn child(&self) -> Option<&ChildExecution> {
        match &self.kind {
            Kind::Child(child) => Some(child),
            Kind::Inline { .. } => None,
        }
    }

    /// The run ended with `outcome`; `run` is the Map state's flow. A child's history ends with
    /// it. An inline iteration that succeeded is recorded `MapIterationSucceeded`, and the
    /// iterations started after it follow its last state event, not that record (AWS's history,
    /// quoted where the Map state succeeds); that record's id is returned, which the state's
    /// success follows. One that failed (but not the execution) is recorded
    /// `MapIterationFailed`. Returns also the flow's last event before any such record, which
    /// the state's next event follows if this run fails it.
    pub(super) fn ended(&self, run: &Run, outcome: &Result<Value, StatesError>) -> (u64, Option<u64>) {
        let last = self.flow.recorder.last();
        let recorder = &self.flow.recorder;
        let succeeded = match (&self.kind, outcome) {
            (Kind::Child(_), outcome) => {
                MapRun::ended(&self.flow, outcome);
                None
            }
            (Kind::Inline { map_name, index }, Ok(_)) => {
                let id = recorder.map_iteration("MapIterationSucceeded", "mapIterationSucceededEventDetails", map_name, *index);
                run.recorder.follow(last);
                Some(id)
            }
            (Kind::Inline { .. }, Err(e)) if e.is_terminal() => None,
            (Kind::Inline { map_name, index }, Err(_)) => {
                recorder.map_iteration("MapIterationFailed", "mapIterationFailedEventDetails", map_name, *index);
                None
            }
        };
        (last, succeeded)
    }
}

/// The run of item `failed` failed the Map state, its last event `last`, so the runs still going
/// stop (the run that failed it is the last to have ended: no other is polled after it). A child
/// execution is aborted (its history ends `ExecutionAborted`). Inline iterations
/// stop as AWS recorded it (localstack/localstack, tests/aws/services/stepfunctions/v2/timeouts/
/// test_timeouts.snapshot.json, test_service_lambda_map_timeout, 2024-03-10: four iterations at
/// once, the first's task timing out): after the failed iteration's `MapIterationFailed` its
/// open task is aborted, then each iteration still running is, `MapIterationAborted` and its
/// state's `TaskStateAborted`, every one of these events following the failed iteration's last
/// event.
pub(super) fn stop(running: &BTreeMap<usize, Arc<Iteration>>, failed: usize, last: u64) {
    if let Some(iteration) = running.get(&failed).filter(|i| i.child().is_none()) {
        iteration.flow.abort_open_after(last);
    }
    for (_, iteration) in running.iter().filter(|(i, _)| **i != failed) {
        let flow = &iteration.flow;
        match &iteration.kind {
            Kind::Child(_) => MapRun::aborted(flow),
            Kind::Inline { map_name, index } => {
                flow.recorder.follow(last);
                flow.recorder
                    .map_iteration("MapIterationAborted", "mapIterationAbortedEventDetails", map_name, *index);
                flow.abort_open_after(last);
            }
        }
    }
}
