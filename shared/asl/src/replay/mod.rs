//! Replaying a recorded execution in this interpreter: the same definition, the same input and
//! every Task answered with what it returned in the recorded run, then the two runs compared
//! state by state. Where they diverge, the interpreter and the executor that recorded the run
//! (Step Functions, or an older Baton) disagree on what the definition means — which is what
//! `baton replay` is for.
//!
//! What can differ without meaning anything is left out of the comparison: event ids,
//! timestamps, and the parameters a task was called with (a task's parameters may carry the
//! context object, whose times differ). What the states received and produced is compared.

mod answers;
mod diff;
mod steps;

use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

pub use answers::RecordedAnswers;
pub use diff::first_difference;
pub use steps::{End, Step};

use crate::{ExecutionSpec, HistoryEvent, Interpreter, MemorySink, StateMachine, TaskTokens};

/// An execution as it was recorded: what it ran on and its history.
#[derive(Debug, Clone)]
pub struct Recording {
    pub state_machine_arn: String,
    pub execution_name: String,
    pub input: Value,
    pub history: Vec<HistoryEvent>,
}

impl Recording {
    /// A recording whose input is the one its `ExecutionStarted` event records.
    pub fn new(state_machine_arn: &str, execution_name: &str, history: Vec<HistoryEvent>) -> Self {
        let input = history
            .iter()
            .find(|e| e.kind == "ExecutionStarted")
            .and_then(|e| e.detail_text("input"))
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_else(|| Value::Object(serde_json::Map::new()));
        Self {
            state_machine_arn: state_machine_arn.to_string(),
            execution_name: execution_name.to_string(),
            input,
            history,
        }
    }

    /// Whether the recorded run ended (a running one cannot be compared yet).
    pub fn ended(&self) -> bool {
        self.history.iter().any(|e| steps::ENDS.contains(&&*e.kind))
    }
}

/// How one state's entry compares between the runs.
#[derive(Debug, Clone, Serialize)]
pub struct Compared {
    pub state: String,
    /// Its `…StateEntered` event in the recorded history (none for a state only the local run
    /// entered).
    pub recorded_event: Option<u64>,
    pub difference: Option<Difference>,
    /// The recorded event where the difference shows: the entry for a different input or a
    /// state not entered, the end for a different output or error.
    pub seen_at: Option<u64>,
}

/// What differs about a state between the recorded run and the local one.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Difference {
    /// The recorded run entered it; the local run did not.
    NotEnteredLocally,
    /// The local run entered it; the recorded run did not.
    OnlyLocally,
    /// It received different input: the first JSON path where the two differ.
    Input {
        path: String,
        recorded: Option<Value>,
        local: Option<Value>,
    },
    /// It produced different output.
    Output {
        path: String,
        recorded: Option<Value>,
        local: Option<Value>,
    },
    /// It failed in one run and not the other, or with another error.
    Error { recorded: Option<String>, local: Option<String> },
}

/// The comparison of the two runs.
#[derive(Debug, Clone, Serialize)]
pub struct Replay {
    pub states: Vec<Compared>,
    pub recorded_end: Option<End>,
    pub local_end: Option<End>,
    /// The recorded execution was redriven: only its first run was replayed.
    pub redriven: bool,
}

impl Replay {
    /// Where the runs first part: the difference the recorded history shows earliest. A Map or
    /// Parallel whose output differs because a state inside it did ends after that state, so
    /// the state inside is named.
    pub fn first_divergence(&self) -> Option<&Compared> {
        self.states
            .iter()
            .filter(|c| c.difference.is_some())
            .min_by_key(|c| c.seen_at.unwrap_or(u64::MAX))
    }

    /// Whether the runs entered the same states with the same data and ended the same way.
    pub fn agrees(&self) -> bool {
        self.first_divergence().is_none() && self.ends_agree()
    }

    /// Whether both ended with the same event, output, error and cause.
    pub fn ends_agree(&self) -> bool {
        self.recorded_end == self.local_end
    }
}

/// Runs `machine` on the recording's input with its tasks' recorded answers and compares.
/// Time is whatever the caller's runtime gives: a paused runtime makes Wait states instant.
pub async fn replay(machine: &StateMachine, recording: &Recording) -> Replay {
    let tokens = TaskTokens::default();
    let answers = Arc::new(RecordedAnswers::read(&recording.history, tokens.clone()));
    let sink = Arc::new(MemorySink::default());
    let spec = ExecutionSpec {
        state_machine_arn: recording.state_machine_arn.clone(),
        execution_name: recording.execution_name.clone(),
        input: recording.input.clone(),
        input_text: None,
        workflow: crate::Workflow::Standard,
    };
    Interpreter::with_tokens(answers, sink.clone(), tokens)
        .execute(machine, &spec)
        .await;
    compare(&recording.history, &sink.events())
}

/// Matches each recorded entry to a local entry of the same state (the same input first, since
/// Map iterations and branches run in any order) and says what differs.
pub fn compare(recorded: &[HistoryEvent], local: &[HistoryEvent]) -> Replay {
    let (cloud, recorded_end) = steps::read(recorded);
    let (here, local_end) = steps::read(local);
    let mut used = vec![false; here.len()];
    let mut states = Vec::with_capacity(cloud.len());
    for c in &cloud {
        let free = |i: usize, h: &Step| !used[i] && h.state == c.state;
        let pick = here
            .iter()
            .enumerate()
            .position(|(i, h)| free(i, h) && h.input == c.input)
            .or_else(|| here.iter().enumerate().position(|(i, h)| free(i, h)));
        let difference = match pick {
            None => Some(Difference::NotEnteredLocally),
            Some(i) => {
                used[i] = true;
                differs(c, &here[i])
            }
        };
        let seen_at = match &difference {
            Some(Difference::Output { .. } | Difference::Error { .. }) => c.ended_event.or(Some(c.entered_event)),
            _ => Some(c.entered_event),
        };
        states.push(Compared {
            state: c.state.clone(),
            recorded_event: Some(c.entered_event),
            difference,
            seen_at,
        });
    }
    for (h, _) in here.iter().zip(&used).filter(|(_, used)| !**used) {
        states.push(Compared {
            state: h.state.clone(),
            recorded_event: None,
            difference: Some(Difference::OnlyLocally),
            seen_at: None,
        });
    }
    Replay {
        states,
        recorded_end,
        local_end,
        redriven: recorded.iter().any(|e| e.kind == "ExecutionRedriven"),
    }
}

fn differs(recorded: &Step, local: &Step) -> Option<Difference> {
    let data = |a: &Option<Value>, b: &Option<Value>| match (a, b) {
        (Some(a), Some(b)) => first_difference(a, b),
        (None, None) => None,
        (a, b) => Some(("$".to_string(), a.clone(), b.clone())),
    };
    if let Some((path, recorded, local)) = data(&recorded.input, &local.input) {
        return Some(Difference::Input { path, recorded, local });
    }
    if recorded.error != local.error {
        return Some(Difference::Error {
            recorded: recorded.error.clone(),
            local: local.error.clone(),
        });
    }
    data(&recorded.output, &local.output).map(|(path, recorded, local)| Difference::Output { path, recorded, local })
}
