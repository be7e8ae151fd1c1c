//! What an Express state machine may not hold. Express workflows call services with Request
//! Response only: "Express Workflows do not support Run a Job (.sync) or Wait for Callback
//! (.waitForTaskToken)" (the developer guide, "Optimized integrations for Step Functions").

use serde_json::Value;

use crate::error::Diagnostic;

/// Every Task, in every branch and item processor, whose resource waits for a job or a callback.
pub(crate) fn problems(definition: &Value) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    machine(definition, "", &mut out);
    out
}

fn machine(definition: &Value, at: &str, out: &mut Vec<Diagnostic>) {
    let Some(states) = definition.get("States").and_then(Value::as_object) else {
        return;
    };
    for (name, state) in states {
        let here = format!("{at}/States/{name}");
        if let Some(resource) = state.get("Resource").and_then(Value::as_str)
            && let Some(pattern) = waiting_pattern(resource)
        {
            out.push(Diagnostic {
                code: "INVALID_RESOURCE",
                message: format!("Express state machines support Request Response integrations only, not {pattern}: '{resource}'"),
                location: format!("{here}/Resource"),
            });
        }
        for (i, branch) in state.get("Branches").and_then(Value::as_array).into_iter().flatten().enumerate() {
            machine(branch, &format!("{here}/Branches/{i}"), out);
        }
        for field in ["ItemProcessor", "Iterator"] {
            if let Some(inner) = state.get(field) {
                machine(inner, &format!("{here}/{field}"), out);
            }
        }
    }
}

/// The integration pattern a resource asks for, when it is not Request Response.
fn waiting_pattern(resource: &str) -> Option<&'static str> {
    let action = resource.strip_prefix("arn:aws:states:::")?;
    let suffix = action.rsplit_once('.').map(|(_, s)| s)?;
    if suffix == "waitForTaskToken" {
        Some("Wait for Callback (.waitForTaskToken)")
    } else if suffix == "sync" || suffix.starts_with("sync:") {
        Some("Run a Job (.sync)")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn jobs_and_callbacks_are_refused_wherever_they_stand() {
        let definition = json!({"StartAt": "A", "States": {
            "A": {"Type": "Task", "Resource": "arn:aws:states:::codebuild:startBuild.sync", "Next": "P"},
            "P": {"Type": "Parallel", "Next": "M", "Branches": [{"StartAt": "W", "States": {
                "W": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken", "End": true}}}]},
            "M": {"Type": "Map", "End": true, "ItemProcessor": {"StartAt": "S", "States": {
                "S": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2", "End": true}}}},
        }});
        let found: Vec<(String, &str)> = problems(&definition).into_iter().map(|d| (d.location, d.code)).collect();
        assert_eq!(
            found,
            [
                ("/States/A/Resource".to_string(), "INVALID_RESOURCE"),
                ("/States/P/Branches/0/States/W/Resource".to_string(), "INVALID_RESOURCE"),
                ("/States/M/ItemProcessor/States/S/Resource".to_string(), "INVALID_RESOURCE"),
            ]
        );
    }

    #[test]
    fn request_response_and_functions_are_fine() {
        let definition = json!({"StartAt": "A", "States": {
            "A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "B"},
            "B": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:sync", "End": true}}});
        assert!(problems(&definition).is_empty());
    }
}
