//! What a Task's `Resource` names, read from its ARN once for every partition (`aws`, `aws-cn`,
//! `aws-us-gov`): a service integration (`arn:aws:states:::lambda:invoke.waitForTaskToken`), an
//! activity, or a Lambda function called directly.

/// `arn:partition:service:region:account:resource`; region and account may be empty, as in an
/// integration's `arn:aws:states:::lambda:invoke`, and the resource may hold more colons.
struct Arn<'a> {
    service: &'a str,
    region: &'a str,
    account: &'a str,
    resource: &'a str,
}

fn arn(text: &str) -> Option<Arn<'_>> {
    let mut parts = text.splitn(6, ':');
    let (Some("arn"), Some(partition), Some(service), Some(region), Some(account), Some(resource)) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    (!partition.is_empty() && !service.is_empty() && !resource.is_empty()).then_some(Arn {
        service,
        region,
        account,
        resource,
    })
}

/// Whether `text` is an ARN at all (AWS refuses a Task `Resource` that is not).
pub(crate) fn is_arn(text: &str) -> bool {
    arn(text).is_some()
}

/// The action of an integration's ARN, the part after `:states:::`, for a resource that is one.
pub(crate) fn integration(resource: &str) -> Option<&str> {
    arn(resource)
        .filter(|a| a.service == "states" && a.region.is_empty() && a.account.is_empty())
        .map(|a| a.resource)
}

/// An integration's resource type and what follows it, as its `Task…` events name them:
/// `lambda` and `invoke.waitForTaskToken`; for an AWS SDK integration the service belongs to the
/// type, `aws-sdk:secretsmanager` and `createSecret` (recorded on AWS in localstack/localstack,
/// tests/aws/services/stepfunctions/v2/error_handling/test_aws_sdk.snapshot.json,
/// test_invalid_secret_name and test_no_such_bucket, 2023-06-22). `None` for a resource that is
/// no integration.
pub(crate) fn resource_type(resource: &str) -> Option<(&str, &str)> {
    let rest = integration(resource)?;
    let skip = if rest.starts_with("aws-sdk:") { "aws-sdk:".len() } else { 0 };
    Some(match rest[skip..].split_once(':') {
        Some((service, action)) => (&rest[..skip + service.len()], action),
        None => (rest, ""),
    })
}

/// How an integration is called, from the suffix of its action (the developer guide, "Service
/// integration patterns").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pattern<'a> {
    /// No suffix: Request Response.
    RequestResponse,
    /// `.sync`, or a versioned `.sync:2`, holding the version (`""`, `":2"`).
    RunAJob(&'a str),
    /// `.waitForTaskToken`.
    Callback,
}

/// An integration's action split into its API and its pattern: `lambda:invoke.waitForTaskToken`
/// is `(lambda:invoke, Callback)`.
pub(crate) fn pattern(integration: &str) -> (&str, Pattern<'_>) {
    match integration.rsplit_once('.') {
        Some((api, "waitForTaskToken")) => (api, Pattern::Callback),
        Some((api, suffix)) => match suffix.strip_prefix("sync") {
            Some(version) if version.is_empty() || version.starts_with(':') => (api, Pattern::RunAJob(version)),
            _ => (integration, Pattern::RequestResponse),
        },
        None => (integration, Pattern::RequestResponse),
    }
}

/// Whether `resource` is an integration called with a task token.
pub(crate) fn waits_for_callback(resource: &str) -> bool {
    integration(resource).is_some_and(|i| pattern(i).1 == Pattern::Callback)
}

/// Whether `resource` is the Lambda integration (`lambda:invoke`, in any pattern), whose
/// parameters name the function (`FunctionName`) and the event it is given (`Payload`).
pub(crate) fn invokes_lambda(resource: &str) -> bool {
    integration(resource).is_some_and(|i| pattern(i).0 == "lambda:invoke")
}

/// Whether `resource` is an activity's ARN, `arn:<partition>:states:<region>:<account>:activity:<name>`.
pub(crate) fn is_activity(resource: &str) -> bool {
    arn(resource).is_some_and(|a| a.service == "states" && a.resource.starts_with("activity:"))
}

/// Whether `resource` is a Lambda function's ARN, called directly.
pub(crate) fn is_lambda_function(resource: &str) -> bool {
    arn(resource).is_some_and(|a| a.service == "lambda")
}

#[cfg(test)]
mod tests {
    use super::{Pattern, integration, invokes_lambda, is_activity, is_lambda_function, pattern, resource_type};

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
        assert!(invokes_lambda("arn:aws-cn:states:::lambda:invoke.waitForTaskToken"));
        assert!(invokes_lambda("arn:aws:states:::lambda:invoke"));
        assert!(!invokes_lambda("arn:aws:states:::lambda:invokeAsync"));
        assert!(!invokes_lambda("arn:aws:lambda:us-east-1:123456789012:function:f"));
    }

    #[test]
    fn a_pattern_is_read_from_the_action_s_suffix() {
        assert_eq!(pattern("lambda:invoke"), ("lambda:invoke", Pattern::RequestResponse));
        assert_eq!(pattern("lambda:invoke.waitForTaskToken"), ("lambda:invoke", Pattern::Callback));
        assert_eq!(pattern("codebuild:startBuild.sync"), ("codebuild:startBuild", Pattern::RunAJob("")));
        assert_eq!(
            pattern("states:startExecution.sync:2"),
            ("states:startExecution", Pattern::RunAJob(":2"))
        );
        assert_eq!(pattern("x:y.synchronize"), ("x:y.synchronize", Pattern::RequestResponse));
    }

    /// An SDK integration's type holds its service; an optimized one's is the service alone.
    #[test]
    fn a_resource_type_holds_an_sdk_integration_s_service() {
        assert_eq!(
            resource_type("arn:aws:states:::aws-sdk:secretsmanager:createSecret"),
            Some(("aws-sdk:secretsmanager", "createSecret"))
        );
        assert_eq!(
            resource_type("arn:aws:states:::aws-sdk:s3:getObject.waitForTaskToken"),
            Some(("aws-sdk:s3", "getObject.waitForTaskToken"))
        );
        assert_eq!(
            resource_type("arn:aws:states:::lambda:invoke.waitForTaskToken"),
            Some(("lambda", "invoke.waitForTaskToken"))
        );
        assert_eq!(resource_type("arn:aws:states:::aws-sdk:s3"), Some(("aws-sdk:s3", "")));
        assert_eq!(resource_type("arn:aws:states:::http"), Some(("http", "")));
        assert_eq!(resource_type("arn:aws:lambda:us-east-1:123456789012:function:f"), None);
    }
}
