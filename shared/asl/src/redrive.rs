//! Continuing an execution that did not finish, from its history: what Step Functions'
//! `RedriveExecution` does, and what a local runner that died needs to carry on.
//!
//! An execution's top-level flow is sequential, so its history says where it stopped: the
//! latest top-level state that was entered, never exited and is not a `Fail` state (the state
//! that failed into its catcher's `Fail`, or the one in flight when its runner died). The
//! execution continues there with the input that state was given. Task states that succeeded since that point are
//! not run again: their recorded output is reused, as Step Functions "doesn't rerun successful
//! steps" and redrives only a Parallel state's failed branches.
//!
//! Variables assigned before the restart point are not restored (the history does not record
//! them yet); a definition that reads them after a redrive fails with an unknown-variable error.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::definition::{State, StateMachine};
use crate::error::StatesError;
use crate::executor::{ExecutionOutcome, ExecutionStatus};
use crate::history::HistoryEvent;

/// Where and how a redriven execution continues; [`plan`] reads it from the history.
#[derive(Debug, Clone)]
pub struct Redrive {
    /// The top-level state to enter again, and its input.
    pub state: String,
    pub input: Value,
    /// Task states (at any depth) that already succeeded after the restart point: their state
    /// output, used instead of running them again.
    pub kept: HashMap<String, Value>,
    /// The execution's own input and start, as `$$.Execution` shows them.
    pub execution_input: Value,
    pub start_time: String,
    /// Where the history continues.
    pub last_event_id: u64,
    /// Redrives so far (`$$.Execution.RedriveCount` before this one).
    pub redrive_count: u64,
    /// The id of the `…StateEntered` event the restart point comes from.
    entered_event: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedriveError {
    #[error("the execution has no history to continue from")]
    NoHistory,
    #[error("the execution already succeeded; there is nothing to redrive")]
    Succeeded,
    #[error("the history names state '{0}', which this state machine does not have; it was changed since the execution ran")]
    UnknownState(String),
    #[error("state '{0}' was never entered in this execution, so it cannot restart there")]
    NotEntered(String),
}

/// The end an execution's history records, if it has one: a runner that died after writing
/// it had nothing left to run, only its record to write.
pub fn recorded_end(history: &[HistoryEvent]) -> Option<ExecutionOutcome> {
    let last = history.last()?;
    let status = match &*last.kind {
        "ExecutionSucceeded" => ExecutionStatus::Succeeded,
        "ExecutionFailed" => ExecutionStatus::Failed,
        "ExecutionAborted" => ExecutionStatus::Aborted,
        "ExecutionTimedOut" => ExecutionStatus::TimedOut,
        _ => return None,
    };
    let text = |field| last.detail_text(field).unwrap_or_default();
    Some(ExecutionOutcome {
        status,
        output: last.detail_text("output").and_then(|o| serde_json::from_str(&o).ok()),
        error: (status != ExecutionStatus::Succeeded).then(|| StatesError::new(text("error"), text("cause"))),
    })
}

/// Reads the restart point of an execution from its history (events in id order).
pub fn plan(machine: &StateMachine, history: &[HistoryEvent]) -> Result<Redrive, RedriveError> {
    let started = history
        .iter()
        .find(|e| e.kind == "ExecutionStarted")
        .ok_or(RedriveError::NoHistory)?;
    let execution_input = started
        .detail_text("input")
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    let last_event_id = history.iter().map(|e| e.id).max().unwrap_or(0);
    let mut redrive_count = 0;
    // Top-level entries not exited, oldest first: (name, input, event id, is a Fail state).
    let mut open: Vec<(String, Value, u64, bool)> = Vec::new();
    let mut last_exit: Option<(String, Value)> = None;
    let mut last_entry: HashMap<String, (Value, u64)> = HashMap::new();
    let known = names(machine);
    let failures: HashSet<u64> = history.iter().filter(|e| e.is_failure()).map(|e| e.id).collect();
    for e in history {
        if e.kind == "ExecutionRedriven" {
            // The redrive entered its restart state again; what stayed open before is over.
            open.clear();
            redrive_count = e.detail("redriveCount").and_then(|c| c.as_u64()).unwrap_or(redrive_count + 1);
            continue;
        }
        let Some(name) = e.state_name() else { continue };
        if !known.contains(name) {
            return Err(RedriveError::UnknownState(name.to_string()));
        }
        if !machine.states.contains_key(name) {
            continue;
        }
        if e.kind.ends_with("StateEntered") {
            let input = payload(e, "input");
            // Entered again (a resumed runner re-enters the state it died in): the older
            // entry was abandoned.
            open.retain(|(n, ..)| n != name);
            let fail = matches!(machine.states.get(name), Some(State::Fail(_)));
            open.push((name.to_string(), input.clone(), e.id, fail));
            last_entry.insert(name.to_string(), (input, e.id));
        } else if e.kind.ends_with("StateExited") && !failures.contains(&e.previous_event_id) {
            open.retain(|(n, ..)| n != name);
            last_exit = Some((name.to_string(), payload(e, "output")));
        }
    }
    // A caught failure handled by states that went on is not where the execution stopped;
    // the last one still open is. A Fail state is only the restart point when nothing else is.
    let stopped = open.iter().rposition(|o| !o.3).or(open.len().checked_sub(1));
    let (state, input, entered_event) = match (stopped.map(|i| open.swap_remove(i)), last_exit) {
        (Some((name, input, id, _)), _) => (name, input, id),
        // Stopped between two states: continue with the one the last exit leads to.
        (None, Some((name, output))) => {
            match machine.states.get(&name) {
                // A Choice decides again, from the input it had.
                Some(State::Choice(_)) => {
                    let (input, id) = last_entry.remove(&name).unwrap_or((Value::Null, 0));
                    (name, input, id)
                }
                Some(state) => match state.transition().and_then(|t| t.next.clone()) {
                    Some(next) => (next, output, last_event_id),
                    None => return Err(RedriveError::Succeeded),
                },
                None => return Err(RedriveError::UnknownState(name)),
            }
        }
        (None, None) => (machine.start_at.clone(), execution_input.clone(), started.id),
    };
    if !machine.states.contains_key(&state) {
        return Err(RedriveError::UnknownState(state));
    }
    let mut redrive = Redrive {
        state,
        input,
        kept: HashMap::new(),
        execution_input,
        start_time: started.timestamp.to_string(),
        last_event_id,
        redrive_count,
        entered_event,
    };
    redrive.keep_since(history);
    Ok(redrive)
}

impl Redrive {
    /// Restarts at the last entry of the nearest top-level state before the planned point that
    /// `pick` chooses (the gate of the failed stage, say), keeping what succeeded since.
    /// Unchanged when no earlier state is picked.
    pub fn restart_at(&mut self, history: &[HistoryEvent], pick: impl Fn(&str) -> bool) {
        let earlier = history
            .iter()
            .filter(|e| e.id <= self.entered_event && e.kind.ends_with("StateEntered"))
            .filter(|e| e.state_name().is_some_and(&pick))
            .last();
        if let Some(e) = earlier {
            self.state = e.state_name().unwrap_or_default().to_string();
            self.input = payload(e, "input");
            self.entered_event = e.id;
            self.keep_since(history);
        }
    }

    /// Runs every Task state again, not only the ones that failed.
    pub fn forget_successes(&mut self) {
        self.kept.clear();
    }

    fn keep_since(&mut self, history: &[HistoryEvent]) {
        self.kept.clear();
        // A caught task's exit carries its catcher's output, not a result to keep.
        let failures: HashSet<u64> = history.iter().filter(|e| e.is_failure()).map(|e| e.id).collect();
        for e in history
            .iter()
            .filter(|e| e.id > self.entered_event && !failures.contains(&e.previous_event_id))
        {
            let Some(name) = e.state_name() else { continue };
            match &*e.kind {
                "TaskStateEntered" => {
                    self.kept.remove(name);
                }
                "TaskStateExited" => {
                    self.kept.insert(name.to_string(), payload(e, "output"));
                }
                _ => {}
            }
        }
        self.kept.remove(&self.state);
    }
}

/// Every state name of a definition, at any depth (names are unique across it).
fn names(machine: &StateMachine) -> HashSet<&str> {
    let mut out = HashSet::new();
    let mut flows = vec![machine];
    while let Some(flow) = flows.pop() {
        for (name, state) in &flow.states {
            out.insert(name.as_str());
            match state {
                State::Parallel(p) => flows.extend(&p.branches),
                State::Map(m) => flows.extend(m.item_processor.as_ref()),
                _ => {}
            }
        }
    }
    out
}

fn payload(e: &HistoryEvent, field: &str) -> Value {
    e.detail_text(field)
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null)
}
