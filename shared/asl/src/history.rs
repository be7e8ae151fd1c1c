//! Execution history in Step Functions' own event names and shapes (`GetExecutionHistory`), so
//! a local run and a cloud run can be diffed event by event.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::context::{Clock, timestamp};

/// Step Functions ends a Standard workflow whose history would pass this many events.
pub const HISTORY_LIMIT: u64 = 25_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEvent {
    pub id: u64,
    pub previous_event_id: u64,
    pub timestamp: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// The one `…EventDetails` member the event type carries, e.g. `stateEnteredEventDetails`.
    #[serde(flatten)]
    pub details: Map<String, Value>,
}

impl HistoryEvent {
    /// The state name of a `…StateEntered`/`…StateExited` event.
    pub fn state_name(&self) -> Option<&str> {
        self.details.values().find_map(|d| d.get("name")).and_then(Value::as_str)
    }

    pub fn detail(&self, field: &str) -> Option<&Value> {
        self.details.values().find_map(|d| d.get(field))
    }
}

/// Where events go as they happen (a database, a progress display, a test's channel).
pub trait HistorySink: Send + Sync {
    fn record(&self, execution_arn: &str, event: &HistoryEvent);
}

/// Numbers events for one execution and tracks each flow's previous event, so the branches of a
/// `Parallel` chain their own `previousEventId`s as Step Functions does.
#[derive(Clone)]
pub(crate) struct Recorder {
    sink: Arc<dyn HistorySink>,
    execution_arn: Arc<str>,
    clock: Clock,
    counter: Arc<AtomicU64>,
    previous: Arc<AtomicU64>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").field("execution_arn", &self.execution_arn).finish()
    }
}

impl Recorder {
    pub fn new(sink: Arc<dyn HistorySink>, execution_arn: &str, clock: Clock) -> Self {
        Self {
            sink,
            execution_arn: execution_arn.into(),
            clock,
            counter: Arc::new(AtomicU64::new(0)),
            previous: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Whether the history is at its limit (the next state would pass it).
    pub fn full(&self) -> bool {
        self.counter.load(Ordering::SeqCst) >= HISTORY_LIMIT - 2
    }

    /// A recorder for a sub-flow (a branch or a map iteration) that starts after `parent` event.
    pub fn fork(&self) -> Self {
        Self {
            previous: Arc::new(AtomicU64::new(self.previous.load(Ordering::SeqCst))),
            ..self.clone()
        }
    }

    pub fn emit(&self, kind: &str, details_key: Option<&str>, details: Value) -> u64 {
        let id = self.counter.fetch_add(1, Ordering::SeqCst) + 1;
        let previous = self.previous.swap(id, Ordering::SeqCst);
        let mut map = Map::new();
        if let Some(key) = details_key {
            map.insert(key.to_string(), details);
        }
        let event = HistoryEvent {
            id,
            previous_event_id: previous,
            timestamp: timestamp(self.clock.now()),
            kind: kind.to_string(),
            details: map,
        };
        self.sink.record(&self.execution_arn, &event);
        id
    }

    pub fn state_entered(&self, state_type: &str, name: &str, input: &Value) {
        self.emit(
            &format!("{state_type}StateEntered"),
            Some("stateEnteredEventDetails"),
            json!({"name": name, "input": input.to_string(), "inputDetails": {"truncated": false}}),
        );
    }

    /// `output` is the state output already serialized (its size was checked on the way).
    pub fn state_exited(&self, state_type: &str, name: &str, output: String) {
        self.emit(
            &format!("{state_type}StateExited"),
            Some("stateExitedEventDetails"),
            json!({"name": name, "output": output, "outputDetails": {"truncated": false}}),
        );
    }
}

/// Keeps every event in memory (for `baton asl run --history` and tests).
#[derive(Debug, Default)]
pub struct MemorySink {
    events: std::sync::Mutex<Vec<HistoryEvent>>,
}

impl MemorySink {
    pub fn events(&self) -> Vec<HistoryEvent> {
        self.events.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

impl HistorySink for MemorySink {
    fn record(&self, _execution_arn: &str, event: &HistoryEvent) {
        self.events
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(event.clone());
    }
}

/// Drops every event (benchmarks of the interpreter alone).
#[derive(Debug, Default)]
pub struct NullSink;

impl HistorySink for NullSink {
    fn record(&self, _execution_arn: &str, _event: &HistoryEvent) {}
}
