//! Stage locks: how executions share a pipeline, after CodePipeline's execution modes
//! ("How pipeline executions work"). A stage holds one execution at a time; executions that reach
//! a held stage wait in front of it. In SUPERSEDED mode a newer waiting execution overtakes an
//! older one, which ends SUPERSEDED; in QUEUED mode they enter in the order they started.
//! PARALLEL pipelines have no locks (their state machines have no gates).
//!
//! This is the whole protocol: an execution arriving in front of a stage ([`Lane::arrive`])
//! first leaves every other lane of its pipeline ([`departures`], [`Lane::leave`]), and an
//! execution that ends leaves them all. Adapters only load and store the lanes (SQLite locally,
//! DynamoDB on AWS) and deliver the decisions as [`crate::events::Event::StageEntered`] /
//! [`crate::events::Event::ExecutionSuperseded`].

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

impl Decision {
    /// The execution the decision is for.
    pub fn execution(&self) -> &str {
        match self {
            Self::Enter(execution) | Self::Supersede { execution, .. } => execution,
        }
    }

    /// The decision as the event that tells its execution, about `stage`.
    pub fn into_event(self, stage: String) -> crate::events::Event {
        use crate::events::Event;
        match self {
            Self::Enter(execution_id) => Event::StageEntered { execution_id, stage },
            Self::Supersede { execution, by } => Event::ExecutionSuperseded {
                execution_id: execution,
                stage,
                by,
            },
        }
    }
}

/// What an execution leaving the lanes of its pipeline (all but `keep`'s) means before any lane
/// changes: the stages it must leave, and each other lane's holder admitted again. A decision is
/// only as safe as its delivery, and one lost on the way (a gate invocation that failed after it
/// changed a lane, a process that died before it told the execution) would leave its execution
/// waiting for good; admitting a holder whose gate was already answered does nothing.
pub fn departures<'a>(
    lanes: impl IntoIterator<Item = (&'a str, &'a Lane)>,
    execution: &str,
    keep: Option<&str>,
) -> (Vec<String>, Vec<(String, Decision)>) {
    let mut leave = Vec::new();
    let mut readmit = Vec::new();
    for (stage, lane) in lanes {
        if let Some(holder) = lane.holder.as_deref().filter(|h| *h != execution) {
            readmit.push((stage.to_string(), Decision::Enter(holder.to_string())));
        }
        if lane.has(execution) && Some(stage) != keep {
            leave.push(stage.to_string());
        }
    }
    (leave, readmit)
}

impl Lane {
    /// Whether `execution` holds this stage or waits in front of it.
    pub fn has(&self, execution: &str) -> bool {
        self.holder.as_deref() == Some(execution) || self.waiting.iter().any(|w| w.execution == execution)
    }

    /// `waiter` arrives in front of the stage (again, if its gate was invoked twice: a repeated
    /// arrival of the holder answers it once more), and the lane settles.
    pub fn arrive(&mut self, waiter: Waiter, mode: ExecutionMode) -> Vec<Decision> {
        let execution = waiter.execution.clone();
        if !self.has(&execution) {
            self.waiting.push(waiter);
        }
        let mut decisions = self.settle(mode);
        let entered = decisions.iter().any(|d| matches!(d, Decision::Enter(e) if *e == execution));
        if self.holder.as_deref() == Some(execution.as_str()) && !entered {
            decisions.push(Decision::Enter(execution));
        }
        decisions
    }

    /// `execution` leaves the stage it holds, or its place in front of it, and the lane settles.
    pub fn leave(&mut self, execution: &str, mode: ExecutionMode) -> Vec<Decision> {
        if self.holder.as_deref() == Some(execution) {
            self.holder = None;
        }
        self.waiting.retain(|w| w.execution != execution);
        self.settle(mode)
    }

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

    fn lane(holder: Option<&str>, waiting: &[(&str, i64)]) -> Lane {
        Lane {
            holder: holder.map(Into::into),
            waiting: waiting.iter().map(|(e, s)| waiter(e, *s)).collect(),
            newest: None,
        }
    }

    fn enter(e: &str) -> Decision {
        Decision::Enter(e.into())
    }

    fn supersede(e: &str, by: &str) -> Decision {
        Decision::Supersede {
            execution: e.into(),
            by: by.into(),
        }
    }

    enum Op {
        Arrive(&'static str, i64),
        Leave(&'static str),
    }

    /// One rule: the mode, the lane before, the change, the decisions, and who holds and who
    /// waits after.
    type Row = (
        &'static str,
        ExecutionMode,
        Lane,
        Op,
        Vec<Decision>,
        Option<&'static str>,
        Vec<&'static str>,
    );

    /// The protocol, one row per rule.
    #[test]
    fn every_lane_change_decides_as_the_execution_modes_say() {
        use ExecutionMode::{Queued, Superseded};
        use Op::{Arrive, Leave};
        #[rustfmt::skip]
        let table: Vec<Row> = vec![
            ("a free stage takes the arrival", Queued, lane(None, &[]), Arrive("a", 1),
             vec![enter("a")], Some("a"), vec![]),
            ("a held stage queues the arrival", Queued, lane(Some("h"), &[]), Arrive("a", 1),
             vec![], Some("h"), vec!["a"]),
            ("the holder's repeated arrival is answered again", Queued, lane(Some("h"), &[("a", 2)]), Arrive("h", 1),
             vec![enter("h")], Some("h"), vec!["a"]),
            ("a waiter's repeated arrival waits once", Queued, lane(Some("h"), &[("a", 2)]), Arrive("a", 2),
             vec![], Some("h"), vec!["a"]),
            ("QUEUED: the holder leaving lets the oldest waiter in", Queued, lane(Some("h"), &[("c", 3), ("b", 2)]), Leave("h"),
             vec![enter("b")], Some("b"), vec!["c"]),
            ("a waiter leaving decides nothing", Queued, lane(Some("h"), &[("b", 2), ("c", 3)]), Leave("b"),
             vec![], Some("h"), vec!["c"]),
            ("leaving a lane one is not in decides nothing", Superseded, lane(Some("h"), &[("b", 2)]), Leave("z"),
             vec![], Some("h"), vec!["b"]),
            ("SUPERSEDED: a newer arrival overtakes the one waiting", Superseded, lane(Some("h"), &[("b", 2)]), Arrive("c", 3),
             vec![supersede("b", "c")], Some("h"), vec!["c"]),
            ("SUPERSEDED: an older arrival is overtaken by the one waiting", Superseded, lane(Some("h"), &[("c", 3)]), Arrive("b", 2),
             vec![supersede("b", "c")], Some("h"), vec!["c"]),
            ("SUPERSEDED: the holder leaving lets the newest in", Superseded, lane(Some("h"), &[("c", 3)]), Leave("h"),
             vec![enter("c")], Some("c"), vec![]),
            ("equal start times are ordered by name", Queued, lane(Some("h"), &[("y", 5), ("x", 5)]), Leave("h"),
             vec![enter("x")], Some("x"), vec!["y"]),
        ];
        for (rule, mode, mut lane, op, decisions, holder, waiting) in table {
            let got = match op {
                Arrive(e, seq) => lane.arrive(waiter(e, seq), mode),
                Leave(e) => lane.leave(e, mode),
            };
            assert_eq!(got, decisions, "{rule}: decisions");
            assert_eq!(lane.holder.as_deref(), holder, "{rule}: holder");
            let left: Vec<&str> = lane.waiting.iter().map(|w| w.execution.as_str()).collect();
            assert_eq!(left, waiting, "{rule}: waiting");
        }
    }

    #[test]
    fn leaving_names_the_stages_to_leave_and_admits_every_other_holder_again() {
        let lanes = [
            ("Build", lane(Some("a"), &[])),
            ("Test", lane(Some("b"), &[("a", 1)])),
            ("Deploy", lane(Some("c"), &[])),
        ];
        let lanes = lanes.iter().map(|(s, l)| (*s, l));
        let (leave, readmit) = departures(lanes.clone(), "a", Some("Deploy"));
        assert_eq!(leave, ["Build", "Test"]);
        assert_eq!(readmit, [("Test".to_string(), enter("b")), ("Deploy".to_string(), enter("c"))]);
        let (leave, _) = departures(lanes, "c", None);
        assert_eq!(leave, ["Deploy"], "an execution that ends leaves even the stage it holds");
    }
}
