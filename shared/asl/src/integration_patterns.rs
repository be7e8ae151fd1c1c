//! Which integration patterns each service offers, so that a Task naming one a service does not
//! offer is refused as AWS refuses it. The table is the developer guide's ("Integrating optimized
//! services with Step Functions": Request Response for every service; Run a Job `.sync` and Wait
//! for Callback `.waitForTaskToken` per service; AWS SDK integrations: no `.sync`), and `.sync:2`
//! belongs to the Step Functions integration alone ("Start a new AWS Step Functions state
//! machine"). A service outside the table is left alone: its patterns are not on record here.
//!
//! AWS's words, recorded at CreateStateMachine: "SCHEMA_VALIDATION_FAILED: The resource provided
//! arn:aws:states:::aws-sdk:apigatewaymanagementapi:postToConnection is not recognized. The value
//! is not a valid resource ARN, or the resource is not available in this region. at
//! /States/…/Resource" (a CDK project's notes); the same sentence for
//! `dynamodb:putItem.waitForTaskToken` and for `glue:startJobRun.sync:2` (two deployment logs),
//! and for `dynamodb:query`, an API the optimized integration does not offer (localstack/localstack,
//! tests/aws/services/stepfunctions/v2/services/test_dynamodb_task_service.snapshot.json,
//! `test_invalid_integration`, 2025-02-03).

use crate::resource::Pattern;

/// The patterns a service offers beyond Request Response.
enum Offers {
    RunAJob,
    Callback,
    Both,
    Neither,
}

impl Offers {
    fn run_a_job(&self) -> bool {
        matches!(self, Self::RunAJob | Self::Both)
    }

    fn callback(&self) -> bool {
        matches!(self, Self::Callback | Self::Both)
    }
}

/// The developer guide's table, by the service name the resource ARN uses.
fn offers(service: &str) -> Option<Offers> {
    Some(match service {
        "athena" | "batch" | "codebuild" | "databrew" | "elasticmapreduce" | "emr-containers" | "emr-serverless" | "glue"
        | "mediaconvert" | "sagemaker" => Offers::RunAJob,
        "apigateway" | "aws-sdk" | "events" | "lambda" | "sns" | "sqs" => Offers::Callback,
        "bedrock" | "ecs" | "eks" | "states" => Offers::Both,
        "dynamodb" => Offers::Neither,
        _ => return None,
    })
}

/// An API action a service's optimized integration offers, and whether it also runs as a job.
struct Api {
    name: &'static str,
    run_a_job: bool,
}

const fn api(name: &'static str, run_a_job: bool) -> Api {
    Api { name, run_a_job }
}

/// The API actions a service's optimized integration offers, where the guide lists them; any
/// other action goes through the AWS SDK integration (`aws-sdk:dynamodb:query`). DynamoDB's are
/// GetItem, PutItem, UpdateItem and DeleteItem ("Perform DynamoDB CRUD operations with Step
/// Functions"); Lambda's is Invoke ("Invoke an AWS Lambda function with Step Functions");
/// CodeBuild's table says which of its actions run as a job ("Manage AWS CodeBuild builds with
/// Step Functions": StartBuild, StartBuildBatch and RetryBuildBatch; the stopping, deleting and
/// reporting actions answer at once). `None`: every action is taken.
fn apis(service: &str) -> Option<&'static [Api]> {
    const DYNAMODB: &[Api] = &[
        api("getItem", false),
        api("putItem", false),
        api("updateItem", false),
        api("deleteItem", false),
    ];
    const LAMBDA: &[Api] = &[api("invoke", false)];
    const CODEBUILD: &[Api] = &[
        api("startBuild", true),
        api("stopBuild", false),
        api("batchDeleteBuilds", false),
        api("batchGetReports", false),
        api("startBuildBatch", true),
        api("stopBuildBatch", false),
        api("retryBuildBatch", true),
        api("deleteBuildBatch", false),
    ];
    match service {
        "dynamodb" => Some(DYNAMODB),
        "lambda" => Some(LAMBDA),
        "codebuild" => Some(CODEBUILD),
        _ => None,
    }
}

/// Whether a Task calling `resource` is given a task token (`$$.Task.Token`,
/// `$states.context.Task.Token`): a callback task, and a task that runs a job on a service that
/// also takes callbacks. AWS gives a `startExecution.sync` task a token, and the task ends when a
/// `SendTaskSuccess` answers it, before its child execution ends (localstack/localstack,
/// tests/aws/services/stepfunctions/v2/callback/test_callback.snapshot.json,
/// `test_sync_with_task_token`, 2024-07-12); aws-samples/step-functions-workflows-collection's
/// distributed-data-stream-aggregator hands such a token to its child. That the other services
/// taking both patterns (ECS, EKS, Bedrock) do the same is not on record: they are taken to, as
/// the guide pairs the patterns for them alike.
pub(crate) fn issues_task_token(resource: &str) -> bool {
    let Some((service, call)) = crate::resource::resource_type(resource) else {
        return false;
    };
    match crate::resource::pattern(call).1 {
        Pattern::Callback => true,
        Pattern::RunAJob(_) => offers(service).is_some_and(|o| o.callback()),
        Pattern::RequestResponse => false,
    }
}

/// AWS's refusal of a Task resource naming an integration (`arn:aws:states:::lambda:invoke.sync`)
/// with a pattern or an API action its service does not offer, an action that does not run as a
/// job with `.sync`, or an AWS SDK integration with no API action;
/// `None` when AWS recognises it, when it is no integration, or when the service is not in the
/// table.
pub(crate) fn refusal(resource: &str) -> Option<String> {
    let (service, call) = crate::resource::integration(resource)?.split_once(':')?;
    let (api, pattern) = crate::resource::pattern(call);
    let offers = offers(service)?;
    // An SDK integration names the service and its action: `aws-sdk:s3:getObject`.
    let malformed = service == "aws-sdk" && !api.split_once(':').is_some_and(|(s, a)| !s.is_empty() && !a.is_empty());
    let offered = match pattern {
        Pattern::RequestResponse => true,
        Pattern::RunAJob("") => offers.run_a_job(),
        Pattern::RunAJob(":2") => service == "states",
        // No other version is in the guide; AWS's answer to one is not on record.
        Pattern::RunAJob(_) => true,
        Pattern::Callback => offers.callback(),
    };
    let listed = apis(service).map(|apis| apis.iter().find(|a| a.name == api));
    let unknown_api = matches!(listed, Some(None));
    let no_job = matches!(pattern, Pattern::RunAJob(_)) && matches!(listed, Some(Some(a)) if !a.run_a_job);
    (malformed || !offered || unknown_api || no_job).then(|| {
        format!(
            "The resource provided {resource} is not recognized. The value is not a valid resource ARN, or the resource is not available in this region."
        )
    })
}

#[cfg(test)]
mod tests {
    use super::{issues_task_token, refusal};

    #[test]
    fn callback_tasks_and_jobs_of_services_taking_callbacks_hold_a_token() {
        let holds = |integration: &str| issues_task_token(&format!("arn:aws:states:::{integration}"));
        assert!(holds("sqs:sendMessage.waitForTaskToken"));
        assert!(holds("states:startExecution.sync"));
        assert!(holds("states:startExecution.sync:2"));
        assert!(holds("ecs:runTask.sync"));
        assert!(!holds("codebuild:startBuild.sync"), "CodeBuild takes no callback");
        assert!(!holds("states:startExecution"), "a Request Response call holds none");
        assert!(!holds("lambda:invoke"));
        assert!(!issues_task_token("arn:aws:lambda:us-east-1:123456789012:function:f"));
    }

    fn refused(integration: &str) -> bool {
        refusal(&format!("arn:aws:states:::{integration}")).is_some()
    }

    #[test]
    fn the_recorded_refusals_are_refused_in_aws_words() {
        assert_eq!(
            refusal("arn:aws:states:::dynamodb:putItem.waitForTaskToken").as_deref(),
            Some(
                "The resource provided arn:aws:states:::dynamodb:putItem.waitForTaskToken is not recognized. \
                 The value is not a valid resource ARN, or the resource is not available in this region."
            )
        );
        assert!(refused("glue:startJobRun.sync:2"));
        assert_eq!(
            refusal("arn:aws:states:::dynamodb:query").as_deref(),
            Some(
                "The resource provided arn:aws:states:::dynamodb:query is not recognized. \
                 The value is not a valid resource ARN, or the resource is not available in this region."
            )
        );
    }

    #[test]
    fn each_service_offers_the_patterns_the_guide_lists() {
        for offered in [
            "lambda:invoke",
            "lambda:invoke.waitForTaskToken",
            "codebuild:startBuild.sync",
            "ecs:runTask.sync",
            "ecs:runTask.waitForTaskToken",
            "states:startExecution.sync:2",
            "states:startExecution.waitForTaskToken",
            "aws-sdk:s3:getObject",
            "aws-sdk:s3:getObject.waitForTaskToken",
            "dynamodb:getItem",
            "dynamodb:putItem",
            "dynamodb:updateItem",
            "dynamodb:deleteItem",
            "aws-sdk:dynamodb:query",
            "events:putEvents.waitForTaskToken",
            "codebuild:startBuild",
            "codebuild:stopBuild",
            "codebuild:batchDeleteBuilds",
            "codebuild:batchGetReports",
            "codebuild:startBuildBatch.sync",
            "codebuild:retryBuildBatch.sync",
            "codebuild:deleteBuildBatch",
            "aws-sdk:codebuild:batchGetBuilds",
            "aws-sdk:lambda:invokeAsync",
        ] {
            assert!(!refused(offered), "{offered} is offered");
        }
        for refused_one in [
            "lambda:invoke.sync",
            "sqs:sendMessage.sync",
            "codebuild:startBuild.waitForTaskToken",
            "dynamodb:updateItem.sync",
            "ecs:runTask.sync:2",
            "aws-sdk:s3:getObject.sync",
            "aws-sdk:s3",
            "aws-sdk::getObject",
            "dynamodb:query",
            "dynamodb:scan",
            "lambda:invokeAsync",
            "lambda:getFunction",
            "codebuild:stopBuild.sync",
            "codebuild:batchGetReports.sync",
            "codebuild:batchGetBuilds",
        ] {
            assert!(refused(refused_one), "{refused_one} is not offered");
        }
    }

    /// A service the table does not hold is not judged: its patterns are not on record here.
    #[test]
    fn services_outside_the_table_are_left_alone() {
        assert!(!refused("http:invoke.sync"));
        assert!(!refused("somenewservice:doIt.waitForTaskToken"));
    }
}
