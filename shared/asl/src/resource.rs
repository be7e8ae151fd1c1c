//! What a Task's `Resource` names. A service integration is `arn:<partition>:states:::` and its
//! action (`lambda:invoke.waitForTaskToken`), in every partition: `aws`, `aws-cn`, `aws-us-gov`.

/// The action of an integration's ARN, the part after `:states:::`, for a resource that is one.
pub(crate) fn integration(resource: &str) -> Option<&str> {
    resource
        .split_once(":states:::")
        .filter(|(arn, _)| arn.starts_with("arn:"))
        .map(|(_, action)| action)
}

/// Whether `resource` is an activity's ARN, `arn:<partition>:states:<region>:<account>:activity:<name>`.
pub(crate) fn is_activity(resource: &str) -> bool {
    let mut parts = resource.split(':');
    parts.next() == Some("arn") && parts.nth(1) == Some("states") && parts.nth(2) == Some("activity")
}

/// Whether `resource` is a Lambda function's ARN, called directly.
pub(crate) fn is_lambda_function(resource: &str) -> bool {
    let mut parts = resource.split(':');
    parts.next() == Some("arn") && parts.nth(1) == Some("lambda")
}

#[cfg(test)]
mod tests {
    use super::{integration, is_activity, is_lambda_function};

    #[test]
    fn an_integration_is_named_in_every_partition() {
        assert_eq!(integration("arn:aws:states:::lambda:invoke"), Some("lambda:invoke"));
        assert_eq!(
            integration("arn:aws-cn:states:::sqs:sendMessage.waitForTaskToken"),
            Some("sqs:sendMessage.waitForTaskToken")
        );
        assert_eq!(integration("arn:aws:lambda:us-east-1:123456789012:function:f"), None);
        assert_eq!(integration("arn:aws:states:us-east-1:123456789012:activity:a"), None);
        assert_eq!(integration("x:states:::lambda:invoke"), None);
    }

    #[test]
    fn activities_and_functions_are_told_in_every_partition() {
        assert!(is_activity("arn:aws-us-gov:states:us-gov-west-1:123456789012:activity:review"));
        assert!(!is_activity("arn:aws:states:::lambda:invoke"));
        assert!(is_lambda_function("arn:aws-cn:lambda:cn-north-1:123456789012:function:f"));
        assert!(!is_lambda_function("arn:aws:states:::lambda:invoke"));
    }
}
