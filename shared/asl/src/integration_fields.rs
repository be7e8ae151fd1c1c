//! The typed fields of service integrations, as Step Functions checks them: at creation for a
//! value written in the definition ("SCHEMA_VALIDATION_FAILED: The value for the field 'Size'
//! must be an INTEGER at /States/task-step-1/Parameters", a CloudFormation answer quoted in
//! aws/aws-cdk#12284), and before the task starts for a value a path put there ("The Parameters
//! '{…}' could not be used to start the Task: [The value for the field 'Payload' must be a
//! STRING]", a `lambda:invoke` given the number 1, quoted in Stack Overflow question 76373088).
//! Only fields whose refusal AWS is recorded giving are checked.

use serde_json::Value;

/// What AWS says of each field of `params` whose value the integration `resource` does not
/// take. A `.$` field is a path still to be resolved, so at creation it is not judged.
pub(crate) fn problems(resource: &str, params: &Value) -> Vec<String> {
    let Some(fields) = params.as_object() else {
        return Vec::new();
    };
    let mut found = Vec::new();
    if is_lambda_invoke(resource) {
        // The payload is a string, or JSON (an object or an array) that Step Functions writes
        // out for the function, or null (a TestState recording in LocalStack's
        // test_test_state_scenarios snapshot succeeds with it); a number is refused in AWS's
        // words. What AWS does with a boolean is not recorded, so it is let through.
        if let Some(Value::Number(_)) = fields.get("Payload") {
            found.push("The value for the field 'Payload' must be a STRING".to_string());
        }
    }
    found
}

/// `arn:<partition>:states:::lambda:invoke`, with or without `.waitForTaskToken`.
fn is_lambda_invoke(resource: &str) -> bool {
    crate::resource::integration(resource).is_some_and(|action| action.split('.').next() == Some("lambda:invoke"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::problems;

    const INVOKE: &str = "arn:aws:states:::lambda:invoke";

    #[test]
    fn a_lambda_payload_is_a_string_or_json() {
        for payload in [json!("text"), json!({"a": 1}), json!([1, 2]), json!(null), json!(true)] {
            assert!(
                problems(INVOKE, &json!({"FunctionName": "f", "Payload": payload})).is_empty(),
                "{payload}"
            );
        }
        for payload in [json!(1), json!(1.5), json!(-3)] {
            assert_eq!(
                problems(INVOKE, &json!({"FunctionName": "f", "Payload": payload})),
                ["The value for the field 'Payload' must be a STRING"]
            );
        }
    }

    #[test]
    fn only_lambda_invoke_is_checked_and_a_path_is_not_judged() {
        let number = json!({"Payload": 1});
        assert_eq!(problems("arn:aws-cn:states:::lambda:invoke.waitForTaskToken", &number).len(), 1);
        assert!(problems("arn:aws:lambda:us-east-1:123456789012:function:f", &number).is_empty());
        assert!(problems("arn:aws:states:::sqs:sendMessage", &number).is_empty());
        assert!(problems(INVOKE, &json!({"Payload.$": "$.n"})).is_empty());
    }
}
