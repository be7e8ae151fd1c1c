//! Which state each event of a history belongs to. Events of Parallel branches and Map
//! iterations interleave, so an event is attributed by following its `previousEventId` back to
//! a `…StateEntered` — except an `EvaluationFailed`, which names its state and follows the
//! event *before* that state's entry (recorded in localstack/localstack,
//! tests/aws/services/stepfunctions/v2/states_variables/test_error_output.snapshot.json): its
//! chain leads to the state before, so it belongs to the latest entry of the state it names.

use std::collections::HashMap;

use crate::HistoryEvent;

/// Each event's owner, of whatever type the reader keeps per state entry (a row's index, a
/// state's name).
#[derive(Debug)]
pub struct Owners<T> {
    by_event: HashMap<u64, T>,
    latest_entry: HashMap<String, T>,
}

impl<T> Default for Owners<T> {
    fn default() -> Self {
        Self {
            by_event: HashMap::new(),
            latest_entry: HashMap::new(),
        }
    }
}

impl<T: Clone> Owners<T> {
    /// A `…StateEntered` event: what follows from it is `owner`'s.
    pub fn enter(&mut self, entered: &HistoryEvent, owner: T) {
        if let Some(name) = entered.state_name() {
            self.latest_entry.insert(name.to_string(), owner.clone());
        }
        self.by_event.insert(entered.id, owner);
    }

    /// The owner of any other event, which is recorded as that owner's so that what follows
    /// from it is too; `None` for an event no entry leads to (`ExecutionStarted`).
    pub fn follow(&mut self, e: &HistoryEvent) -> Option<T> {
        let owner = self.of(e)?;
        self.by_event.insert(e.id, owner.clone());
        Some(owner)
    }

    /// The owner of `e`, without recording it: an execution's end belongs to no state, but
    /// the state it follows is the one that ended it.
    pub fn of(&self, e: &HistoryEvent) -> Option<T> {
        match e.evaluated_state() {
            Some(name) => self.latest_entry.get(name).cloned(),
            None => self.by_event.get(&e.previous_event_id).cloned(),
        }
    }

    /// Records `e` as `owner`'s (an exit matched by name rather than by its chain).
    pub fn set(&mut self, e: &HistoryEvent, owner: T) {
        self.by_event.insert(e.id, owner);
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
        assert_eq!(seen, [named("Work"), named("Fallback"), named("Fallback")]);
    }
}
