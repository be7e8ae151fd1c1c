//! Execution history in Step Functions' own event names and shapes (`GetExecutionHistory`), so
//! a local run and a cloud run can be diffed event by event.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::context::{Clock, timestamp};

/// Step Functions ends a Standard workflow whose history would pass this many events.
pub const HISTORY_LIMIT: u64 = 25_000;

/// One event of an execution's history, serialized exactly as `GetExecutionHistory` returns it:
/// `{"id", "previousEventId", "timestamp", "type", "<kind>EventDetails": {…}}`.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEvent {
    pub id: u64,
    pub previous_event_id: u64,
    pub timestamp: Arc<str>,
    pub kind: Cow<'static, str>,
    pub details: Option<Details>,
}

/// The one `…EventDetails` member of an event. The frequent state events are kept typed, so
/// recording one costs a single allocation; everything else is plain JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Details {
    pub key: Cow<'static, str>,
    pub body: Body,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// `stateEnteredEventDetails` (`input`) and `stateExitedEventDetails` (`output`).
    State {
        name: Arc<str>,
        field: &'static str,
        payload: String,
        /// On an exit, the variables the state assigned (`assignedVariables`, where each value
        /// is written as JSON text).
        assigned: Option<Box<Map<String, Value>>>,
    },
    /// `mapIteration…EventDetails`.
    MapIteration {
        name: Arc<str>,
        index: usize,
    },
    Json(Value),
}

impl HistoryEvent {
    /// A failure of the state it belongs to (`TaskFailed`, `LambdaFunctionTimedOut`,
    /// `ParallelStateFailed`, …). A `…StateExited` right after one (its `previousEventId`) is a
    /// `Catch`'s: the state failed and its catcher took over.
    pub fn is_failure(&self) -> bool {
        self.kind.ends_with("Failed") || self.kind.ends_with("TimedOut")
    }

    /// The state an `EvaluationFailed` names: a JSONata expression of that state failed.
    pub fn evaluated_state(&self) -> Option<&str> {
        match &self.details.as_ref()?.body {
            Body::Json(v) if self.kind == "EvaluationFailed" => v.get("state")?.as_str(),
            _ => None,
        }
    }

    /// The state name of a `…StateEntered`/`…StateExited` event.
    pub fn state_name(&self) -> Option<&str> {
        match &self.details.as_ref()?.body {
            Body::State { name, .. } | Body::MapIteration { name, .. } => Some(name),
            Body::Json(v) => v.get("name").and_then(Value::as_str),
        }
    }

    /// One text field of the details (`output`, `error`, `cause`, …).
    pub fn detail_text(&self, field: &str) -> Option<String> {
        match self.detail(field)? {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// One field of the details, as JSON.
    pub fn detail(&self, field: &str) -> Option<Value> {
        match &self.details.as_ref()?.body {
            Body::State {
                name, field: f, payload, ..
            } => match field {
                "name" => Some(Value::String(name.to_string())),
                _ if field == *f => Some(Value::String(payload.clone())),
                _ => None,
            },
            Body::MapIteration { name, index } => match field {
                "name" => Some(Value::String(name.to_string())),
                "index" => Some(Value::from(*index)),
                _ => None,
            },
            Body::Json(v) => v.get(field).cloned(),
        }
    }
}

impl Serialize for Details {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match &self.body {
            Body::State {
                name,
                field,
                payload,
                assigned,
            } => {
                let mut m = s.serialize_map(Some(3 + 2 * usize::from(assigned.is_some())))?;
                if let Some(assigned) = assigned {
                    // Listed by name, as Java orders strings (recorded: LocalStack's
                    // test_assign_base and test_mixed_query_language snapshots, 2024-11).
                    let mut names: Vec<&String> = assigned.keys().collect();
                    names.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
                    let as_text: Map<String, Value> = names
                        .into_iter()
                        .map(|k| (k.clone(), Value::String(assigned[k].to_string())))
                        .collect();
                    m.serialize_entry("assignedVariables", &as_text)?;
                    m.serialize_entry("assignedVariablesDetails", &json!({"truncated": false}))?;
                }
                m.serialize_entry("name", &**name)?;
                m.serialize_entry(field, payload)?;
                m.serialize_entry(
                    if *field == "input" { "inputDetails" } else { "outputDetails" },
                    &json!({"truncated": false}),
                )?;
                m.end()
            }
            Body::MapIteration { name, index } => {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("name", &**name)?;
                m.serialize_entry("index", index)?;
                m.end()
            }
            Body::Json(v) => v.serialize(s),
        }
    }
}

impl Serialize for HistoryEvent {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(4 + usize::from(self.details.is_some())))?;
        m.serialize_entry("id", &self.id)?;
        m.serialize_entry("previousEventId", &self.previous_event_id)?;
        m.serialize_entry("timestamp", &*self.timestamp)?;
        m.serialize_entry("type", &self.kind)?;
        if let Some(d) = &self.details {
            m.serialize_entry(&*d.key, d)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for HistoryEvent {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut map = Map::<String, Value>::deserialize(d)?;
        let number =
            |map: &mut Map<String, Value>, k: &str| map.remove(k).and_then(|v| v.as_u64()).ok_or_else(|| D::Error::missing_field("id"));
        let id = number(&mut map, "id")?;
        let previous_event_id = number(&mut map, "previousEventId").unwrap_or(0);
        let text = |map: &mut Map<String, Value>, k: &'static str| match map.remove(k) {
            Some(Value::String(s)) => Ok(s),
            _ => Err(D::Error::missing_field(k)),
        };
        let timestamp = text(&mut map, "timestamp")?.into();
        let kind = Cow::Owned(text(&mut map, "type")?);
        let details = map.into_iter().next().map(|(key, body)| Details {
            key: Cow::Owned(key),
            body: Body::Json(body),
        });
        Ok(HistoryEvent {
            id,
            previous_event_id,
            timestamp,
            kind,
            details,
        })
    }
}

/// An event's `…EventDetails` member, when it has one.
fn json_details(key: Option<&str>, details: Value) -> Option<Details> {
    key.map(|key| Details {
        key: Cow::Owned(key.to_string()),
        body: Body::Json(details),
    })
}

/// Where events go as they happen (a database, a progress display, a test's channel).
pub trait HistorySink: Send + Sync {
    /// Takes the event by value: sinks keep or forward it without another copy.
    fn record(&self, execution_arn: &str, event: HistoryEvent);

    /// Where the events of another execution this one starts go (a Distributed Map's child
    /// workflow execution): by default here too, each named by its execution's ARN.
    fn child(&self, _execution_arn: &str) -> Option<Arc<dyn HistorySink>> {
        None
    }
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
    /// The last timestamp text and its millisecond: events come many to a millisecond.
    stamp: Arc<std::sync::Mutex<(i64, Arc<str>)>>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").field("execution_arn", &self.execution_arn).finish()
    }
}

impl Recorder {
    /// Numbers events after `last_event_id` (0 for a new execution, the last recorded event's
    /// id for one that continues).
    pub(crate) fn new(sink: Arc<dyn HistorySink>, execution_arn: &str, clock: Clock, last_event_id: u64) -> Self {
        Self {
            sink,
            execution_arn: execution_arn.into(),
            clock,
            counter: Arc::new(AtomicU64::new(last_event_id)),
            previous: Arc::new(AtomicU64::new(last_event_id)),
            stamp: Arc::new(std::sync::Mutex::new((i64::MIN, Arc::from("")))),
        }
    }

    fn timestamp(&self) -> Arc<str> {
        let now = self.clock.now();
        let ms = now.timestamp_millis();
        let mut stamp = self.stamp.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if stamp.0 != ms {
            *stamp = (ms, timestamp(now).into());
        }
        stamp.1.clone()
    }

    /// Whether the history is at its limit (the next state would pass it).
    pub(crate) fn full(&self) -> bool {
        self.counter.load(Ordering::SeqCst) >= HISTORY_LIMIT - 2
    }

    /// The recorder of another execution this one starts, `execution_arn` (a Distributed Map's
    /// child workflow execution), whose events are numbered from 1 and go where the sink keeps
    /// that execution's.
    pub(crate) fn for_execution(&self, execution_arn: &str) -> Self {
        let sink = self.sink.child(execution_arn).unwrap_or_else(|| self.sink.clone());
        Self::new(sink, execution_arn, self.clock, 0)
    }

    /// A recorder for a sub-flow (a branch or a map iteration) that starts after `parent` event.
    pub(crate) fn fork(&self) -> Self {
        Self {
            previous: Arc::new(AtomicU64::new(self.previous.load(Ordering::SeqCst))),
            ..self.clone()
        }
    }

    pub(crate) fn emit(&self, kind: &str, details_key: Option<&str>, details: Value) -> u64 {
        self.push(Cow::Owned(kind.to_string()), json_details(details_key, details), Link::Flow)
    }

    /// An event nothing in the execution's flow led to (`previousEventId` 0): Step Functions
    /// records the `ExecutionTimedOut` that ends an execution from outside so (recorded
    /// histories quoted in tests/conformance/states.json).
    pub(crate) fn emit_unlinked(&self, kind: &str, details_key: Option<&str>, details: Value) -> u64 {
        self.push(Cow::Owned(kind.to_string()), json_details(details_key, details), Link::To(0))
    }

    /// An event that follows `previous` rather than the flow's last event; the flow goes on
    /// from it.
    pub(crate) fn emit_after(&self, previous: u64, kind: &str, details_key: Option<&str>, details: Value) -> u64 {
        self.push(Cow::Owned(kind.to_string()), json_details(details_key, details), Link::To(previous))
    }

    /// An event the flow does not go on from: Step Functions links the first state's entry to
    /// nothing (`previousEventId` 0), not to `ExecutionStarted` (every recorded history, e.g.
    /// localstack/localstack, tests/aws/services/stepfunctions/v2/assign/
    /// test_assign_reference_variables.snapshot.json, 2024-11-06).
    pub(crate) fn emit_aside(&self, kind: &str, details_key: Option<&str>, details: Value) -> u64 {
        self.push(Cow::Owned(kind.to_string()), json_details(details_key, details), Link::Aside)
    }

    fn push(&self, kind: Cow<'static, str>, details: Option<Details>, link: Link) -> u64 {
        let id = self.counter.fetch_add(1, Ordering::SeqCst) + 1;
        let previous = match link {
            Link::Flow => self.previous.swap(id, Ordering::SeqCst),
            Link::To(previous) => {
                self.previous.store(id, Ordering::SeqCst);
                previous
            }
            Link::Aside => self.previous.load(Ordering::SeqCst),
        };
        let event = HistoryEvent {
            id,
            previous_event_id: previous,
            timestamp: self.timestamp(),
            kind,
            details,
        };
        self.sink.record(&self.execution_arn, event);
        id
    }

    /// Records a state's `…StateEntered` event and returns its id (runtime errors name it).
    pub(crate) fn state_entered(&self, state_type: &str, name: &Arc<str>, input: String) -> u64 {
        let details = Details {
            key: Cow::Borrowed("stateEnteredEventDetails"),
            body: Body::State {
                name: name.clone(),
                field: "input",
                payload: input,
                assigned: None,
            },
        };
        self.push(Cow::Borrowed(event_kind(state_type, true)), Some(details), Link::Flow)
    }

    /// A Parallel or Map state's success: it follows `last` (the branches' or iterations' last
    /// event, when there is one) and the state does not go on from it, so its exit follows
    /// `last` too.
    pub(crate) fn succeeded_after(&self, kind: &str, last: u64) {
        if last > 0 {
            self.follow(last);
        }
        self.emit_aside(kind, None, Value::Null);
    }

    /// Makes `event` the flow's last: the next event follows it.
    pub(crate) fn follow(&self, event: u64) {
        self.previous.store(event, Ordering::SeqCst);
    }

    /// The flow's last event: the one the next event will follow.
    pub(crate) fn last(&self) -> u64 {
        self.previous.load(Ordering::SeqCst)
    }

    pub(crate) fn map_iteration(&self, kind: &'static str, key: &'static str, name: &Arc<str>, index: usize) -> u64 {
        self.push(
            Cow::Borrowed(kind),
            Some(Details {
                key: Cow::Borrowed(key),
                body: Body::MapIteration { name: name.clone(), index },
            }),
            Link::Flow,
        )
    }

    /// `output` is the state output already serialized (its size was checked on the way);
    /// `assigned`, the variables the state assigned, which AWS lists on the exit as
    /// `assignedVariables`, each value as JSON text (recorded: localstack/localstack,
    /// tests/aws/services/stepfunctions/v2/outputdecl/test_output.snapshot.json, 2024-11-04).
    pub(crate) fn state_exited(&self, state_type: &str, name: &Arc<str>, output: String, assigned: Option<Map<String, Value>>) {
        // Written as text only when the history is read: most events are never serialized.
        let assigned = assigned.map(Box::new);
        let details = Details {
            key: Cow::Borrowed("stateExitedEventDetails"),
            body: Body::State {
                name: name.clone(),
                field: "output",
                payload: output,
                assigned,
            },
        };
        self.push(Cow::Borrowed(event_kind(state_type, false)), Some(details), Link::Flow);
    }
}

/// What an event's `previousEventId` is.
#[derive(Clone, Copy)]
enum Link {
    /// The flow's last event; the new event becomes the flow's last.
    Flow,
    /// This event; the new event becomes the flow's last.
    To(u64),
    /// The flow's last event, which stays the flow's last.
    Aside,
}

fn event_kind(state_type: &str, entered: bool) -> &'static str {
    match (state_type, entered) {
        ("Task", true) => "TaskStateEntered",
        ("Task", false) => "TaskStateExited",
        ("Pass", true) => "PassStateEntered",
        ("Pass", false) => "PassStateExited",
        ("Choice", true) => "ChoiceStateEntered",
        ("Choice", false) => "ChoiceStateExited",
        ("Wait", true) => "WaitStateEntered",
        ("Wait", false) => "WaitStateExited",
        ("Succeed", true) => "SucceedStateEntered",
        ("Succeed", false) => "SucceedStateExited",
        ("Fail", _) => "FailStateEntered",
        ("Parallel", true) => "ParallelStateEntered",
        ("Parallel", false) => "ParallelStateExited",
        ("Map", true) => "MapStateEntered",
        _ => "MapStateExited",
    }
}

/// Keeps every event in memory (for `baton asl run --history` and tests): the execution's, and
/// apart from them each child execution's it starts, however deeply.
#[derive(Debug, Default)]
pub struct MemorySink {
    events: std::sync::Mutex<Vec<HistoryEvent>>,
    /// The ARN of the execution whose events these are, known from its first.
    execution_arn: std::sync::OnceLock<String>,
    /// Every child execution's ARN and events, shared by the whole family, in the order they
    /// started.
    children: Arc<std::sync::Mutex<Vec<Child>>>,
}

/// A child execution's ARN and where its events are kept.
type Child = (String, Arc<MemorySink>);

impl MemorySink {
    pub fn events(&self) -> Vec<HistoryEvent> {
        self.events.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// The ARN of the execution the events are of; `None` before its first.
    pub fn execution_arn(&self) -> Option<&str> {
        self.execution_arn.get().map(String::as_str)
    }

    /// Each child execution's ARN and history, in the order they started: a Distributed Map's
    /// child workflow executions, and theirs.
    pub fn children(&self) -> Vec<(String, Vec<HistoryEvent>)> {
        let children = self.children.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        children.iter().map(|(arn, sink)| (arn.clone(), sink.events())).collect()
    }
}

impl HistorySink for MemorySink {
    fn record(&self, execution_arn: &str, event: HistoryEvent) {
        self.execution_arn.get_or_init(|| execution_arn.to_string());
        self.events.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(event);
    }

    fn child(&self, execution_arn: &str) -> Option<Arc<dyn HistorySink>> {
        let sink = Arc::new(MemorySink {
            events: std::sync::Mutex::default(),
            execution_arn: std::sync::OnceLock::default(),
            children: self.children.clone(),
        });
        self.children
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((execution_arn.to_string(), sink.clone()));
        Some(sink)
    }
}

/// Drops every event (benchmarks of the interpreter alone).
#[derive(Debug, Default)]
pub struct NullSink;

impl HistorySink for NullSink {
    fn record(&self, _execution_arn: &str, _event: HistoryEvent) {}
}
