//! The states an execution entered, read from its history: each with its input, its output and
//! how it ended, and the execution's own end. A local run and a cloud run are compared through
//! these, never through event ids or timestamps, which differ between any two runs.

use serde::Serialize;
use serde_json::Value;

use crate::{HistoryEvent, Owners};

/// One entry into a state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub state: String,
    /// The id of its `…StateEntered` event in the history it was read from.
    pub entered_event: u64,
    /// The id of the event that ended it (its exit, or its failure), if it ended.
    pub ended_event: Option<u64>,
    pub input: Option<Value>,
    pub output: Option<Value>,
    /// The error it failed with (a task's, or the execution's for a Fail state), if it did.
    pub error: Option<String>,
}

/// How an execution ended, as its last event says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct End {
    /// `ExecutionSucceeded`, `ExecutionFailed`, `ExecutionAborted` or `ExecutionTimedOut`.
    pub event: String,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub cause: Option<String>,
}

/// A JSON text as a value; a text that is not JSON (moto writes some) stays a string.
fn json(text: Option<String>) -> Option<Value> {
    text.map(|t| serde_json::from_str(&t).unwrap_or(Value::String(t)))
}

pub(super) const ENDS: [&str; 4] = ["ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"];

/// The steps of `history` in the order they were entered, and its first end: a redriven
/// execution is read up to the end of its first run.
pub(super) fn read(history: &[HistoryEvent]) -> (Vec<Step>, Option<End>) {
    let mut steps: Vec<Step> = Vec::new();
    // Each event's step, following `previousEventId` as the side-by-side branches of a Parallel
    // or Map chain theirs.
    let mut owners: Owners<usize> = Owners::default();
    for e in history {
        let kind = &*e.kind;
        if ENDS.contains(&kind) {
            let end = End {
                event: kind.to_string(),
                output: json(e.detail_text("output")),
                error: e.detail_text("error"),
                cause: e.detail_text("cause"),
            };
            if kind == "ExecutionFailed"
                && let Some(i) = owners.of(e)
                && steps[i].error.is_none()
            {
                steps[i].error.clone_from(&end.error);
                steps[i].ended_event = Some(e.id);
            }
            return (steps, Some(end));
        }
        if kind.ends_with("StateEntered") {
            steps.push(Step {
                state: e.state_name().unwrap_or_default().to_string(),
                entered_event: e.id,
                ended_event: None,
                input: json(e.detail_text("input")),
                output: None,
                error: None,
            });
            owners.enter(e, steps.len() - 1);
            continue;
        }
        let Some(i) = owners.follow(e) else { continue };
        if kind.ends_with("StateExited") {
            steps[i].output = json(e.detail_text("output"));
            steps[i].ended_event = Some(e.id);
            continue;
        }
        if kind.ends_with("Failed") || kind.ends_with("TimedOut") {
            steps[i].error = e.detail_text("error");
            steps[i].ended_event = Some(e.id);
        }
    }
    (steps, None)
}
