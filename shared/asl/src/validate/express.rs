//! What an Express state machine may not hold. Express workflows call services with Request
//! Response only: "Express Workflows do not support Run a Job (.sync) or Wait for Callback
//! (.waitForTaskToken)" (the developer guide, "Optimized integrations for Step Functions"), and
//! they do not run activities. AWS refuses each in its own words, recorded against
//! ValidateStateMachineDefinition in localstack/localstack,
//! tests/aws/services/stepfunctions/v2/test_sfn_api_validation.snapshot.json (ILLEGAL_WFTT,
//! 2025-10-19): "Express state machine does not support '.waitForTaskToken' service integration "
//! at /States/SendMessageWithWait/Resource, trailing space and all. The `.sync` sentence has no
//! trailing space: "… does not support '.sync' service integration at /States/StartExecution/Resource"
//! beside the callback's "… '.waitForTaskToken' service integration  at /States/Publish/Resource"
//! (CreateStateMachine, tests/aws/services/stepfunctions/v2/test_sfn_api_express.snapshot.json,
//! test_illegal_callbacks[SYNC] and [WAIT_FOR_TASK_TOKEN], 2024-07-03).

use serde_json::Value;

use crate::error::Diagnostic;
use crate::resource::Pattern;

/// Every Task, in every branch and item processor, whose resource waits for a job or a callback.
pub(crate) fn problems(definition: &Value) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    super::each_state(definition, "", &mut |state, here| {
        if let Some(refusal) = state.get("Resource").and_then(Value::as_str).and_then(refusal) {
            out.push(Diagnostic {
                code: "SCHEMA_VALIDATION_FAILED",
                message: refusal,
                location: format!("{here}/Resource"),
            });
        }
    });
    out
}

/// AWS's refusal of a resource an Express machine cannot call: an integration that waits for
/// a job or a callback, or an activity.
fn refusal(resource: &str) -> Option<String> {
    if crate::resource::is_activity(resource) {
        return Some("Express state machine does not support Activity ARN".into());
    }
    let sentence = match crate::resource::pattern(crate::resource::integration(resource)?).1 {
        Pattern::Callback => "Express state machine does not support '.waitForTaskToken' service integration ",
        Pattern::RunAJob(_) => "Express state machine does not support '.sync' service integration",
        Pattern::RequestResponse => return None,
    };
    Some(sentence.into())
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
        let found: Vec<String> = problems(&definition).iter().map(ToString::to_string).collect();
        assert_eq!(
            found,
            [
                "SCHEMA_VALIDATION_FAILED: Express state machine does not support '.sync' service integration at /States/A/Resource",
                "SCHEMA_VALIDATION_FAILED: Express state machine does not support '.waitForTaskToken' service integration  at /States/P/Branches/0/States/W/Resource",
                "SCHEMA_VALIDATION_FAILED: Express state machine does not support '.sync' service integration at /States/M/ItemProcessor/States/S/Resource",
            ]
        );
    }

    #[test]
    fn activities_are_refused() {
        let definition = json!({"StartAt": "A", "States": {
            "A": {"Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:activity:review", "End": true}}});
        let found: Vec<String> = problems(&definition).into_iter().map(|d| d.message).collect();
        assert_eq!(found, ["Express state machine does not support Activity ARN"]);
    }

    /// The China and GovCloud partitions name the same integrations and activities.
    #[test]
    fn every_partition_is_read_alike() {
        let definition = json!({"StartAt": "A", "States": {
            "A": {"Type": "Task", "Resource": "arn:aws-cn:states:::codebuild:startBuild.sync", "Next": "B"},
            "B": {"Type": "Task", "Resource": "arn:aws-us-gov:states:us-gov-west-1:123456789012:activity:review", "End": true}}});
        let found: Vec<String> = problems(&definition).into_iter().map(|d| d.message).collect();
        assert_eq!(
            found,
            [
                "Express state machine does not support '.sync' service integration",
                "Express state machine does not support Activity ARN"
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
