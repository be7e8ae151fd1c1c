//! One flow of an execution — the machine's own, a Parallel branch's or a Map iteration's: its
//! history recorder, what its context object exposes, its variable scope and the state it is in.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::stopping::Flight;
use crate::context::{Clock, Context, MapItem};
use crate::definition::StateMachine;
use crate::error::StatesError;
use crate::history::Recorder;
use crate::io::Lang;
use crate::variables::Scope;

/// One flow: its recorder, what its context object exposes, its scope and its open state.
pub(crate) struct Run {
    pub(super) recorder: Recorder,
    pub(super) clock: Clock,
    pub(super) execution: Arc<Value>,
    pub(super) state_machine: Arc<Value>,
    /// The query language of the enclosing state machine (a state may set its own).
    pub(super) lang: Lang,
    pub(super) scope: Arc<Scope>,
    /// Variables the running state assigns, committed when it completes.
    pub(super) pending: std::sync::Mutex<Option<serde_json::Map<String, Value>>>,
    pub(super) flight: Flight,
    /// A redriven execution's Task states that succeeded before: their outputs, used once
    /// instead of running them again.
    pub(super) kept: Arc<std::sync::Mutex<HashMap<String, Value>>>,
    /// The state the flow is in (entered, not exited): its `…StateEntered` event (0 when there
    /// is none), the flow's event before it, and which `…Aborted` event stops it. Atomics, as
    /// every state sets and clears them.
    entered: AtomicU64,
    before: AtomicU64,
    aborted_as: AtomicU8,
    /// The execution input as its caller wrote it, until the first state takes it: that state
    /// reads and quotes it so (see `ExecutionSpec::input_text`). Branches and iterations
    /// never have it: AWS writes their inputs anew.
    input_as_given: std::sync::Mutex<Option<Arc<str>>>,
    /// Whether `input_as_given` still holds the text: read on every state's entry, so a load
    /// spares the lock once the first state has taken it.
    input_as_given_held: AtomicBool,
}

/// The states that have an `…Aborted` event (the SDK's HistoryEventType), by `aborted_as` - 1.
const ABORTED: [(&str, &str); 4] = [
    ("Task", "TaskStateAborted"),
    ("Wait", "WaitStateAborted"),
    ("Parallel", "ParallelStateAborted"),
    ("Map", "MapStateAborted"),
];

impl Run {
    pub(crate) fn new(
        recorder: Recorder,
        clock: Clock,
        execution: Value,
        state_machine: Value,
        lang: Lang,
        kept: HashMap<String, Value>,
    ) -> Run {
        Run {
            recorder,
            clock,
            execution: Arc::new(execution),
            state_machine: Arc::new(state_machine),
            lang,
            scope: Scope::root(),
            pending: std::sync::Mutex::new(None),
            flight: Flight::default(),
            kept: Arc::new(std::sync::Mutex::new(kept)),
            entered: AtomicU64::new(0),
            before: AtomicU64::new(0),
            aborted_as: AtomicU8::new(0),
            input_as_given: std::sync::Mutex::new(None),
            input_as_given_held: AtomicBool::new(false),
        }
    }

    /// The flow's first state reads the execution input as its caller wrote it.
    pub(super) fn with_input_as_given(self, text: Option<Arc<str>>) -> Run {
        self.input_as_given_held.store(text.is_some(), Ordering::Relaxed);
        *self.input_as_given.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = text;
        self
    }

    /// The input as written, for the state entered now if it is the flow's first.
    pub(super) fn take_input_as_given(&self) -> Option<Arc<str>> {
        if !self.input_as_given_held.load(Ordering::Relaxed) {
            return None;
        }
        self.input_as_given_held.store(false, Ordering::Relaxed);
        self.input_as_given.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take()
    }

    /// A branch or map iteration of this flow: its own event chain and variable scope, in the
    /// query language of the machine it runs.
    pub(super) fn fork(&self, machine: &StateMachine) -> Run {
        self.fork_into(machine, self.recorder.fork())
    }

    /// A sub-flow that records its events with `recorder`.
    pub(super) fn fork_into(&self, machine: &StateMachine, recorder: Recorder) -> Run {
        Run {
            recorder,
            clock: self.clock,
            execution: self.execution.clone(),
            state_machine: self.state_machine.clone(),
            lang: Lang::of(machine.query_language.as_deref(), self.lang),
            scope: self.scope.child(),
            pending: std::sync::Mutex::new(None),
            flight: self.flight.clone(),
            kept: self.kept.clone(),
            entered: AtomicU64::new(0),
            before: AtomicU64::new(0),
            aborted_as: AtomicU8::new(0),
            input_as_given: std::sync::Mutex::new(None),
            input_as_given_held: AtomicBool::new(false),
        }
    }

    /// The flow as an execution of its own, whose context object names `execution` and
    /// `state_machine` rather than those of the flow it was forked from.
    pub(super) fn into_execution(mut self, execution: Value, state_machine: Arc<Value>) -> Run {
        self.execution = Arc::new(execution);
        self.state_machine = state_machine;
        self
    }

    /// The flow entered a state of type `kind` at event `entered`; `before` was its last event.
    pub(super) fn enter(&self, kind: &str, entered: u64, before: u64) {
        let aborted_as = ABORTED.iter().position(|(k, _)| *k == kind).map_or(0, |i| i + 1);
        self.aborted_as.store(u8::try_from(aborted_as).unwrap_or(0), Ordering::Relaxed);
        self.before.store(before, Ordering::Relaxed);
        self.entered.store(entered, Ordering::Relaxed);
    }

    /// The state the flow was in has exited.
    pub(super) fn exit(&self) {
        self.entered.store(0, Ordering::Relaxed);
    }

    /// Records that the state this flow is in was stopped: `TaskStateAborted`, and the same for
    /// a Wait, Parallel or Map (the only states with an `…Aborted` event). A branch of a
    /// Parallel state that failed is stopped so, the failing state included (recorded in
    /// localstack/localstack, tests/aws/services/stepfunctions/v2/states_variables/
    /// test_error_output.snapshot.json, PARALLEL_CATCH_ERROR_OUTPUT, 2024-11-13: `TaskFailed`,
    /// then `TaskStateAborted`).
    pub(super) fn abort_open_after(&self, last: u64) {
        self.recorder.follow(last);
        self.abort_open();
    }

    fn abort_open(&self) {
        if self.entered.swap(0, Ordering::Relaxed) == 0 {
            return;
        }
        let aborted_as = usize::from(self.aborted_as.load(Ordering::Relaxed));
        if let Some((_, event)) = aborted_as.checked_sub(1).and_then(|i| ABORTED.get(i)) {
            self.recorder.emit(event, None, Value::Null);
        }
    }

    /// Records a JSONata expression's failure in the running state as Step Functions does,
    /// once, before the state's own failure events and whether or not a `Catch` takes it: an
    /// `EvaluationFailed` naming the state and the field, whose `previousEventId` is the event
    /// before the state's entry (recorded in localstack/localstack,
    /// tests/aws/services/stepfunctions/v2/states_variables/test_error_output.snapshot.json,
    /// MAP_CATCH_ERROR_OUTPUT_WITH_RETRY, 2024-11-12). Other errors pass unchanged.
    pub(crate) fn evaluation_failed(&self, mut error: StatesError, state: &str) -> StatesError {
        let Some(location) = error.evaluation.take() else { return error };
        let (entered, before) = (self.entered.load(Ordering::Relaxed), self.before.load(Ordering::Relaxed));
        let previous = if error.after_entry { entered } else { before };
        let error = error.at_state(state, entered);
        let mut details = json!({"cause": error.cause, "error": error.error, "state": state});
        if let Some(location) = location {
            details["location"] = json!(location);
        }
        self.recorder
            .emit_after(previous, "EvaluationFailed", Some("evaluationFailedEventDetails"), details);
        error
    }

    pub(super) fn context(&self, name: Arc<str>, entered: DateTime<Utc>, map_item: Option<&Arc<MapItem>>) -> Context {
        Context::live(
            self.execution.clone(),
            self.state_machine.clone(),
            name,
            entered,
            map_item.cloned(),
            self.scope.clone(),
        )
    }

    /// Records what the running state assigns; it takes effect when the state completes.
    pub(crate) fn stage(&self, assigned: Option<serde_json::Map<String, Value>>) {
        *self.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = assigned;
    }

    pub(super) fn take_pending(&self) -> Option<serde_json::Map<String, Value>> {
        self.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take()
    }

    pub(super) fn take_kept(&self, name: &str) -> Option<Value> {
        self.kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(name)
    }
}
