//! Which state each event of a history belongs to. Events of Parallel branches and Map
//! iterations interleave, so an event is attributed by following its `previousEventId` back to
//! a `…StateEntered` — except where that chain leads to another state, which Step Functions
//! does for two kinds of event that name their state (recorded in localstack/localstack,
//! tests/aws/services/stepfunctions/v2/states_variables/test_error_output.snapshot.json,
//! 2024-11-12): an `EvaluationFailed` follows the event *before* its state's entry, and a Map's
//! `MapStateExited` follows its last `MapIterationSucceeded`, an event of the last iteration. Such
//! an event belongs to the state it names: the one its chain leads to if that is the state, the
//! latest entry of that name otherwise.

use std::collections::HashMap;

use crate::HistoryEvent;

/// Each event's owner, of whatever type the reader keeps per state entry (a row's index, a
/// state's name).
#[derive(Debug)]
pub struct Owners<T> {
    /// Each state entry's name and owner, in the order entered.
    entries: Vec<(String, T)>,
    /// Each event's entry.
    by_event: HashMap<u64, usize>,
    latest_entry: HashMap<String, usize>,
}

impl<T> Default for Owners<T> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
            by_event: HashMap::new(),
            latest_entry: HashMap::new(),
        }
    }
}

impl<T: Clone> Owners<T> {
    /// A `…StateEntered` event: what follows from it is `owner`'s.
    pub fn enter(&mut self, entered: &HistoryEvent, owner: T) {
        let name = entered.state_name().unwrap_or_default().to_string();
        let entry = self.entries.len();
        self.latest_entry.insert(name.clone(), entry);
        self.entries.push((name, owner));
        self.by_event.insert(entered.id, entry);
    }

    /// The owner of any other event, which is recorded as that owner's so that what follows
    /// from it is too; `None` for an event no entry leads to (`ExecutionStarted`).
    pub fn follow(&mut self, e: &HistoryEvent) -> Option<T> {
        let entry = self.entry_of(e)?;
        self.by_event.insert(e.id, entry);
        Some(self.entries[entry].1.clone())
    }

    /// The owner of `e`, without recording it: an execution's end belongs to no state, but
    /// the state it follows is the one that ended it.
    pub fn of(&self, e: &HistoryEvent) -> Option<T> {
        self.entry_of(e).map(|entry| self.entries[entry].1.clone())
    }

    fn entry_of(&self, e: &HistoryEvent) -> Option<usize> {
        let chained = self.by_event.get(&e.previous_event_id).copied();
        let named = match e.kind.ends_with("StateExited") {
            true => e.state_name(),
            false => e.evaluated_state(),
        };
        match named {
            Some(name) => chained
                .filter(|&entry| self.entries[entry].0 == name)
                .or_else(|| self.latest_entry.get(name).copied()),
            None => chained,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: u64, previous: u64, kind: &str, details: &str) -> HistoryEvent {
        serde_json::from_str(&format!(
            r#"{{"id": {id}, "previousEventId": {previous}, "timestamp": "t", "type": "{kind}"{details}}}"#
        ))
        .expect("an event")
    }

    #[test]
    fn an_evaluation_failure_belongs_to_the_state_it_names_not_to_the_one_its_chain_leads_to() {
        let history = [
            event(2, 0, "TaskStateEntered", r#", "stateEnteredEventDetails": {"name": "Work"}"#),
            event(3, 2, "TaskStateExited", r#", "stateExitedEventDetails": {"name": "Work"}"#),
            event(4, 3, "PassStateEntered", r#", "stateEnteredEventDetails": {"name": "Fallback"}"#),
            event(
                5,
                3,
                "EvaluationFailed",
                r#", "evaluationFailedEventDetails": {"state": "Fallback", "error": "States.QueryEvaluationError"}"#,
            ),
            event(6, 5, "MapIterationFailed", ""),
            event(7, 6, "TaskStateExited", r#", "stateExitedEventDetails": {"name": "Work"}"#),
        ];
        let mut owners = Owners::default();
        let mut seen = Vec::new();
        for e in &history {
            if e.kind.ends_with("StateEntered") {
                owners.enter(e, e.state_name().unwrap_or_default().to_string());
            } else {
                seen.push(owners.follow(e));
            }
        }
        let named = |s: &str| Some(s.to_string());
        assert_eq!(
            seen,
            [named("Work"), named("Fallback"), named("Fallback"), named("Work")],
            "an exit belongs to the state it names, wherever its chain leads"
        );
    }
}
