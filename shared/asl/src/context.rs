//! The context object (`$$`) and the interpreter's clock.
//!
//! The context object is assembled only when a `$$` path asks for it: most states never do, and
//! building it per state was the interpreter's largest per-transition cost.

use std::borrow::Cow;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use crate::partial;
use crate::variables::Scope;

/// Wall time that follows tokio's clock. In a runtime with paused time (tests, `--fast-time`)
/// a one-hour Wait advances it by an hour at once; in a normal runtime it is the wall clock.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    wall: DateTime<Utc>,
    base: tokio::time::Instant,
}

impl Clock {
    /// Must be called inside the runtime whose time it should follow.
    pub fn start() -> Self {
        Self {
            wall: Utc::now(),
            base: tokio::time::Instant::now(),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        let elapsed = tokio::time::Instant::now().saturating_duration_since(self.base);
        self.wall + chrono::Duration::from_std(elapsed).unwrap_or_default()
    }
}

pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `$$.Map.Item` in a Map iteration: the item's index and the item, before any ItemSelector
/// (for an object's entry, its key and its value: `executor::map_entries`), and for an item an
/// ItemReader read, where it came from (`Source`, see `executor::item_reader::Sources`). Kept as
/// they are and written as JSON only when `$$` is read, which most iterations never do.
#[derive(Debug)]
pub(crate) struct MapItem {
    pub(crate) index: usize,
    pub(crate) key: Option<Arc<str>>,
    pub(crate) value: Value,
    pub(crate) source: Option<Arc<str>>,
}

/// What `$$` resolves to for one state.
#[derive(Debug, Clone)]
pub struct Context {
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    Live {
        execution: Arc<Value>,
        state_machine: Arc<Value>,
        state_name: Arc<str>,
        entered: DateTime<Utc>,
        /// `None` for states that cannot retry (Pass, Choice, Wait, Succeed, Fail): their
        /// `$$.State` has no `RetryCount` on AWS.
        retry_count: Option<u64>,
        task_token: Option<String>,
        map_item: Option<Arc<MapItem>>,
        scope: Arc<Scope>,
        /// The execution input as its caller wrote it, for the execution's first state.
        input_as_given: Option<Arc<str>>,
    },
    /// A fixed document, for callers outside an execution (tests, tools).
    Fixed(Value),
}

impl Context {
    pub(crate) fn live(
        execution: Arc<Value>,
        state_machine: Arc<Value>,
        state_name: Arc<str>,
        entered: DateTime<Utc>,
        map_item: Option<Arc<MapItem>>,
        scope: Arc<Scope>,
    ) -> Self {
        Self {
            kind: Kind::Live {
                execution,
                state_machine,
                state_name,
                entered,
                retry_count: Some(0),
                task_token: None,
                map_item,
                scope,
                input_as_given: None,
            },
        }
    }

    /// A workflow variable visible to this state.
    pub fn variable(&self, name: &str) -> Option<Value> {
        match &self.kind {
            Kind::Live { scope, .. } => scope.get(name),
            Kind::Fixed(_) => None,
        }
    }

    pub fn fixed(value: Value) -> Self {
        Self { kind: Kind::Fixed(value) }
    }

    pub(crate) fn with_retry_count(mut self, n: u64) -> Self {
        if let Kind::Live { retry_count, .. } = &mut self.kind {
            *retry_count = Some(n);
        }
        self
    }

    /// For a state without `Retry`: no `RetryCount` in `$$.State`.
    pub(crate) fn without_retry_count(mut self) -> Self {
        if let Kind::Live { retry_count, .. } = &mut self.kind {
            *retry_count = None;
        }
        self
    }

    pub(crate) fn with_task_token(mut self, token: &str) -> Self {
        if let Kind::Live { task_token, .. } = &mut self.kind {
            *task_token = Some(token.to_string());
        }
        self
    }

    pub(crate) fn with_input_as_given(mut self, text: Option<Arc<str>>) -> Self {
        if let Kind::Live { input_as_given, .. } = &mut self.kind {
            *input_as_given = text;
        }
        self
    }

    /// The state's input as a cause quotes it: as its caller wrote it when it is the execution
    /// input the first state received, unchanged; otherwise compact, as Step Functions writes
    /// a document it has parsed (recorded causes in `tests/conformance/errors.json`).
    pub(crate) fn quoted(&self, input: &Value) -> String {
        match &self.kind {
            Kind::Live {
                input_as_given: Some(text),
                execution,
                ..
            } if execution.get("Input") == Some(input) => text.to_string(),
            _ => input.to_string(),
        }
    }

    pub(crate) fn with_map_item(mut self, item: Arc<MapItem>) -> Self {
        if let Kind::Live { map_item, .. } = &mut self.kind {
            *map_item = Some(item);
        }
        self
    }

    /// The whole context object as JSON.
    pub fn to_value(&self) -> Value {
        match &self.kind {
            Kind::Fixed(v) => v.clone(),
            Kind::Live { .. } => members_object(|member| self.member(member)),
        }
    }

    /// The context object with only what `reads` read of it: a path that reads
    /// `$$.Map.Item.Value`, `$$.Execution.Id` or `$$.Execution.Input.bucket` in each of n
    /// iterations needs no copy of the whole execution input (`$$.Execution.Input`), which made
    /// such a Map take time in n².
    pub(crate) fn reading(&self, reads: &[ContextRead]) -> Value {
        members_object(|member| {
            let fields = partial::fields_of(reads, &member);
            if fields.is_empty() {
                return None;
            }
            // The execution's read from it as it is, so that its input is copied only as far as
            // it is read.
            let whole = match (&self.kind, member) {
                (Kind::Live { execution, .. }, Member::Execution) => Cow::Borrowed(&**execution),
                _ => Cow::Owned(self.member(member)?),
            };
            Some(partial::subset(whole, &fields))
        })
    }

    fn member(&self, member: Member) -> Option<Value> {
        match &self.kind {
            Kind::Fixed(v) => v.get(member.name()).cloned(),
            Kind::Live {
                execution,
                state_machine,
                state_name,
                entered,
                retry_count,
                task_token,
                map_item,
                ..
            } => match member {
                Member::Execution => Some((**execution).clone()),
                Member::StateMachine => Some((**state_machine).clone()),
                Member::State => {
                    let mut state = json!({ "Name": &**state_name, "EnteredTime": timestamp(*entered) });
                    if let Some(n) = retry_count {
                        state["RetryCount"] = json!(n);
                    }
                    Some(state)
                }
                Member::Task => task_token.as_ref().map(|token| json!({ "Token": token })),
                // Built by hand, as `json!` would serialize the item's value again to nest it.
                Member::Map => map_item.as_ref().map(|item| {
                    let mut fields = Map::new();
                    fields.insert("Index".into(), Value::from(item.index));
                    if let Some(key) = &item.key {
                        fields.insert("Key".into(), Value::from(&**key));
                    }
                    fields.insert("Value".into(), item.value.clone());
                    if let Some(source) = &item.source {
                        fields.insert("Source".into(), Value::from(&**source));
                    }
                    Value::Object(Map::from_iter([("Item".to_string(), Value::Object(fields))]))
                }),
            },
        }
    }
}

/// A context object of the members `value_of` gives, in the context object's order.
fn members_object(value_of: impl Fn(Member) -> Option<Value>) -> Value {
    let mut out = Map::new();
    for member in Member::ALL {
        if let Some(value) = value_of(member) {
            out.insert(member.name().to_string(), value);
        }
    }
    Value::Object(out)
}

/// What a path or expression reads of the context object by name: a member, whole or only the
/// names beneath it that its steps name (`Id` of `$$.Execution.Id`; `Input`, `bucket` of
/// `$$.Execution.Input.bucket`).
pub type ContextRead = partial::NamesRead<Member>;

/// The members of the context object, in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Member {
    Execution,
    StateMachine,
    State,
    Task,
    Map,
}

impl Member {
    pub(crate) const ALL: [Member; 5] = [Member::Execution, Member::StateMachine, Member::State, Member::Task, Member::Map];

    /// The member's name in the context object (`$$.Map`).
    pub fn name(self) -> &'static str {
        match self {
            Member::Execution => "Execution",
            Member::StateMachine => "StateMachine",
            Member::State => "State",
            Member::Task => "Task",
            Member::Map => "Map",
        }
    }

    /// The member of that name, if the context object has one.
    pub fn named(name: &str) -> Option<Member> {
        Member::ALL.into_iter().find(|m| m.name() == name)
    }
}
