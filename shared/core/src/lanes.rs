//! Stage locks: how executions share a pipeline, after CodePipeline's execution modes
//! ("How pipeline executions work"). A stage holds one execution at a time; executions that reach
//! a held stage wait in front of it. In SUPERSEDED mode a newer waiting execution overtakes an
//! older one, which ends SUPERSEDED; in QUEUED mode they enter in the order they started.
//! PARALLEL pipelines have no locks (their state machines have no gates).
//!
//! This is the decision alone; adapters keep the lanes (SQLite locally) and deliver the
//! decisions as [`crate::events::Event::StageEntered`] / [`crate::events::Event::ExecutionSuperseded`].

use crate::model::ExecutionMode;

/// An execution waiting in front of a stage; `seq` orders executions by when they started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiter {
    pub execution: String,
    pub seq: i64,
}

/// One stage's lock and queue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lane {
    pub holder: Option<String>,
    pub waiting: Vec<Waiter>,
    /// The most recently started execution that has entered the stage. In SUPERSEDED mode an
    /// older one arriving later is overtaken by it: an older change never goes through a stage
    /// after a newer one did.
    pub newest: Option<Waiter>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The execution takes the stage's lock and goes in.
    Enter(String),
    /// The execution was overtaken while it waited; it does not continue.
    Supersede { execution: String, by: String },
}

impl Lane {
    /// Applies the mode's rules after a change (an arrival, or the holder leaving) and returns
    /// what they decide. Executions are only superseded in front of a stage, never inside one.
    pub fn settle(&mut self, mode: ExecutionMode) -> Vec<Decision> {
        let mut decisions = Vec::new();
        // Equal start times (AWS gives milliseconds) fall back to the name, so every adapter
        // breaks a tie the same way.
        self.waiting.sort_by(|a, b| (a.seq, &a.execution).cmp(&(b.seq, &b.execution)));
        if mode == ExecutionMode::Superseded
            && let Some(newest) = self.waiting.pop()
        {
            let passed = self
                .newest
                .as_ref()
                .filter(|p| (p.seq, &p.execution) > (newest.seq, &newest.execution));
            let by = passed.map_or(&newest.execution, |p| &p.execution).clone();
            decisions.extend(self.waiting.drain(..).map(|w| Decision::Supersede {
                execution: w.execution,
                by: by.clone(),
            }));
            if passed.is_some() {
                decisions.push(Decision::Supersede {
                    execution: newest.execution,
                    by,
                });
            } else {
                self.waiting.push(newest);
            }
        }
        if self.holder.is_none() && !self.waiting.is_empty() {
            let next = self.waiting.remove(0);
            self.holder = Some(next.execution.clone());
            decisions.push(Decision::Enter(next.execution.clone()));
            if self
                .newest
                .as_ref()
                .is_none_or(|n| (n.seq, &n.execution) < (next.seq, &next.execution))
            {
                self.newest = Some(next);
            }
        }
        decisions
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waiter(execution: &str, seq: i64) -> Waiter {
        Waiter {
            execution: execution.into(),
            seq,
        }
    }

    #[test]
    fn a_free_stage_takes_the_first_arrival() {
        let mut lane = Lane {
            waiting: vec![waiter("a", 1)],
            ..Lane::default()
        };
        assert_eq!(lane.settle(ExecutionMode::Queued), vec![Decision::Enter("a".into())]);
        assert_eq!(lane.holder.as_deref(), Some("a"));
    }

    #[test]
    fn queued_executions_enter_in_start_order() {
        let mut lane = Lane {
            holder: Some("h".into()),
            waiting: vec![waiter("c", 3), waiter("b", 2)],
            ..Lane::default()
        };
        assert!(lane.settle(ExecutionMode::Queued).is_empty(), "the stage is held");
        lane.holder = None;
        assert_eq!(lane.settle(ExecutionMode::Queued), vec![Decision::Enter("b".into())]);
        lane.holder = None;
        assert_eq!(lane.settle(ExecutionMode::Queued), vec![Decision::Enter("c".into())]);
    }

    #[test]
    fn superseded_keeps_only_the_newest_waiter_even_if_an_older_one_arrives_later() {
        let mut lane = Lane {
            holder: Some("h".into()),
            waiting: vec![waiter("new", 5), waiter("old", 2)],
            ..Lane::default()
        };
        assert_eq!(
            lane.settle(ExecutionMode::Superseded),
            vec![Decision::Supersede {
                execution: "old".into(),
                by: "new".into()
            }]
        );
        lane.holder = None;
        assert_eq!(lane.settle(ExecutionMode::Superseded), vec![Decision::Enter("new".into())]);
        assert!(lane.waiting.is_empty());
    }

    #[test]
    fn superseded_never_lets_an_older_execution_through_after_a_newer_one() {
        let mut lane = Lane::default();
        lane.waiting.push(waiter("new", 9));
        assert_eq!(lane.settle(ExecutionMode::Superseded), vec![Decision::Enter("new".into())]);
        lane.holder = None;
        lane.waiting.push(waiter("late-old", 3));
        assert_eq!(
            lane.settle(ExecutionMode::Superseded),
            vec![Decision::Supersede {
                execution: "late-old".into(),
                by: "new".into()
            }]
        );
        // QUEUED drops nothing: the late one goes through in its turn.
        lane.waiting.push(waiter("late-old", 3));
        assert_eq!(lane.settle(ExecutionMode::Queued), vec![Decision::Enter("late-old".into())]);
    }
}
