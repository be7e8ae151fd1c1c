//! The pipeline's graph, read off its compiled state machine: the path an execution takes when
//! all goes well (stage gates, actions, the Parallel states that run actions side by side) and
//! the states it only reaches from a `Catch` (the rollback, `Failed`, `Superseded`). What the
//! page draws is therefore what runs, on AWS as here.

use std::collections::{HashMap, HashSet};

use baton_core::model::{ActionKind, Pipeline, state_name};
use baton_core::synth::gate_stage;
use serde_json::{Map, Value, json};

/// `{"flow": [node], "handlers": [node]}`; a node is `{state, type, role, …}` and a Parallel
/// node holds its `branches`, each a list of nodes.
pub(super) fn graph(definition: &Value, pipeline: &Pipeline) -> Value {
    let actions: HashMap<String, &'static str> = pipeline
        .actions()
        .map(|(stage, action)| (state_name(&stage.name, &action.name), kind(&action.kind)))
        .collect();
    let walker = Walker { actions: &actions };
    let empty = Map::new();
    let states = definition["States"].as_object().unwrap_or(&empty);
    let mut seen = HashSet::new();
    let flow = walker.chain(states, definition["StartAt"].as_str(), &mut seen);
    // Whatever the happy path does not reach, in the order the definition lists it: the states
    // a Catch leads to.
    let mut handlers = Vec::new();
    for name in states.keys() {
        if !seen.contains(name.as_str()) {
            handlers.extend(walker.chain(states, Some(name), &mut seen));
        }
    }
    json!({ "flow": flow, "handlers": handlers })
}

pub(super) fn kind(kind: &ActionKind) -> &'static str {
    match kind {
        ActionKind::Build { test: true, .. } => "test",
        ActionKind::Build { .. } => "build",
        ActionKind::Deploy { .. } => "deploy",
        ActionKind::Bake { .. } => "bake",
        ActionKind::Approval { .. } => "approval",
    }
}

struct Walker<'a> {
    actions: &'a HashMap<String, &'static str>,
}

impl Walker<'_> {
    /// The states from `start` along `Next`, each once.
    fn chain(&self, states: &Map<String, Value>, start: Option<&str>, seen: &mut HashSet<String>) -> Vec<Value> {
        let mut nodes = Vec::new();
        let mut at = start;
        while let Some(name) = at {
            let Some(state) = states.get(name) else { break };
            if !seen.insert(name.to_string()) {
                break;
            }
            nodes.push(self.node(name, state));
            at = state["Next"].as_str();
        }
        nodes
    }

    fn node(&self, name: &str, state: &Value) -> Value {
        let kind = state["Type"].as_str().unwrap_or_default();
        let catches: Vec<&str> = state["Catch"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["Next"].as_str())
            .collect();
        let mut node = json!({ "state": name, "type": kind, "catches": catches });
        let role = if let Some(stage) = gate_stage(name).filter(|_| kind == "Task") {
            node["stage"] = json!(stage);
            "gate"
        } else if let Some(action_kind) = self.actions.get(name) {
            node["kind"] = json!(action_kind);
            "action"
        } else {
            match kind {
                "Parallel" => {
                    let branches: Vec<Value> = state["Branches"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|b| {
                            let empty = Map::new();
                            let inner = b["States"].as_object().unwrap_or(&empty);
                            // Branch states have their own namespace: a fresh `seen` each.
                            Value::from(self.chain(inner, b["StartAt"].as_str(), &mut HashSet::new()))
                        })
                        .collect();
                    node["branches"] = Value::from(branches);
                    "parallel"
                }
                "Succeed" | "Fail" => "end",
                _ => "step",
            }
        };
        node["role"] = json!(role);
        node
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_happy_path_holds_gates_actions_and_parallel_branches_and_the_rest_is_handlers() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pipeline.yml");
        std::fs::write(
            &file,
            "name: g\nstages:\n  - name: Build\n    actions:\n      - { name: A, type: build, buildspec: b.yml, outputs: [app] }\n      - { name: B, type: test, buildspec: b.yml }\n  - name: Ship\n    actions:\n      - { name: Deploy, type: deploy, input: app, group: g1 }\ndeployment_groups:\n  g1: { instances: 1, auto_rollback: [failure] }\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("b.yml"),
            "version: 0.2\nphases:\n  build:\n    commands: [\"true\"]\n",
        )
        .unwrap();
        let pipeline = baton_core::load_pipeline(&file).unwrap();
        let g = graph(&baton_core::synth::synth(&pipeline), &pipeline);

        let flow: Vec<(&str, &str)> = g["flow"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| (n["state"].as_str().unwrap(), n["role"].as_str().unwrap()))
            .collect();
        assert!(flow.contains(&("Enter Build", "gate")), "{flow:?}");
        assert!(flow.contains(&("Ship:Deploy", "action")), "{flow:?}");
        assert_eq!(flow.last(), Some(&("Succeeded", "end")));
        let parallel = g["flow"].as_array().unwrap().iter().find(|n| n["role"] == "parallel").unwrap();
        let branch_states: Vec<&str> = parallel["branches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b[0]["state"].as_str().unwrap())
            .collect();
        assert_eq!(branch_states, ["Build:A", "Build:B"]);
        assert_eq!(parallel["branches"][1][0]["kind"], "test");

        let handlers: Vec<&str> = g["handlers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["state"].as_str().unwrap())
            .collect();
        assert!(handlers.contains(&"Failed"), "{handlers:?}");
        let rollback = g["handlers"].as_array().unwrap().iter().find(|n| n["state"] == "Rollback").unwrap();
        assert_eq!(rollback["role"], "parallel", "{rollback}");
        assert_eq!(rollback["branches"][0][0]["state"], "Rollback:g1", "{rollback}");
        assert!(!handlers.iter().any(|h| flow.iter().any(|(f, _)| f == h)), "a state drawn twice");
    }
}
