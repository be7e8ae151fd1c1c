//! Variable scopes. A Map's item processor and each Parallel branch is a scope of its own that
//! reads the variables of the scopes around it but may not assign one of their names again: AWS
//! refused a definition whose Map iterator, and one whose Parallel branch, assigned a name the
//! machine around it assigns (a public Step Functions conformance catalogue run against AWS,
//! its group Feature.JsonataScopeSource, 001 and 002), in these words: "The variable name
//! 'shared' was already defined in a parent scope." (recorded with ValidateStateMachineDefinition:
//! gabrielmoreira/tiny-asl-machine, tests/conformance/cases/.snapshots/aws/
//! Feature.JSONataComposition-006). A distributed Map's child workflow reads no outer variable, so
//! nothing it assigns stands for one.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::Checker;

/// The names a machine's own states assign, in their Assign, their Choice rules' and their
/// catchers', not counting the machines nested in them.
pub(super) fn assigned(states: &Map<String, Value>) -> BTreeSet<String> {
    let assigns = states.values().flat_map(|state| {
        let nested = ["Choices", "Catch"]
            .into_iter()
            .filter_map(|list| state.get(list).and_then(Value::as_array))
            .flatten()
            .filter_map(|entry| entry.get("Assign"));
        state.get("Assign").into_iter().chain(nested)
    });
    assigns
        .filter_map(Value::as_object)
        .flat_map(|fields| fields.keys())
        .map(|key| key.strip_suffix(".$").unwrap_or(key).to_string())
        .collect()
}

impl Checker {
    /// Refuses `name`, assigned at `location`, when a scope around the current one assigns it.
    pub(super) fn unshadowed(&mut self, name: &str, location: &str) {
        let outer = &self.scopes[..self.scopes.len().saturating_sub(1)];
        if outer.iter().any(|scope| scope.contains(name)) {
            self.report(
                "SCHEMA_VALIDATION_FAILED",
                format!("The variable name '{name}' was already defined in a parent scope."),
                location,
            );
        }
    }

    /// Checks a distributed Map's child workflow, which sees none of the scopes around it.
    pub(super) fn apart(&mut self, check: impl FnOnce(&mut Self)) {
        let outer = std::mem::take(&mut self.scopes);
        check(self);
        self.scopes = outer;
    }
}
