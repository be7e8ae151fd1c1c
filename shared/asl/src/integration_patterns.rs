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
//! `dynamodb:putItem.waitForTaskToken` and for `glue:startJobRun.sync:2` (two deployment logs).

/// The patterns a service offers beyond Request Response.
struct Offers {
    sync: bool,
    callback: bool,
}

const SYNC: Offers = Offers {
    sync: true,
    callback: false,
};
const CALLBACK: Offers = Offers {
    sync: false,
    callback: true,
};
const BOTH: Offers = Offers {
    sync: true,
    callback: true,
};
const NEITHER: Offers = Offers {
    sync: false,
    callback: false,
};

/// The developer guide's table, by the service name the resource ARN uses.
fn offers(service: &str) -> Option<Offers> {
    Some(match service {
        "athena" | "batch" | "codebuild" | "databrew" | "elasticmapreduce" | "emr-containers" | "emr-serverless" | "glue"
        | "mediaconvert" | "sagemaker" => SYNC,
        "apigateway" | "aws-sdk" | "events" | "lambda" | "sns" | "sqs" => CALLBACK,
        "bedrock" | "ecs" | "eks" | "states" => BOTH,
        "dynamodb" => NEITHER,
        _ => return None,
    })
}

/// AWS's refusal of a Task resource naming an integration (`arn:aws:states:::lambda:invoke.sync`)
/// with a pattern its service does not offer, or an AWS SDK integration with no API action;
/// `None` when AWS recognises it, when it is no integration, or when the service is not in the
/// table.
pub(crate) fn refusal(resource: &str) -> Option<String> {
    let (service, call) = crate::resource::integration(resource)?.split_once(':')?;
    let (api, pattern) = match call.rsplit_once('.') {
        Some((api, pattern @ ("sync" | "sync:2" | "waitForTaskToken"))) => (api, Some(pattern)),
        _ => (call, None),
    };
    let offers = offers(service)?;
    // An SDK integration names the service and its action: `aws-sdk:s3:getObject`.
    let malformed = service == "aws-sdk" && !api.split_once(':').is_some_and(|(s, a)| !s.is_empty() && !a.is_empty());
    let offered = match pattern {
        None => true,
        Some("sync") => offers.sync,
        Some("sync:2") => service == "states",
        _ => offers.callback,
    };
    (malformed || !offered).then(|| {
        format!(
            "The resource provided {resource} is not recognized. The value is not a valid resource ARN, or the resource is not available in this region."
        )
    })
}

#[cfg(test)]
mod tests {
    use super::refusal;

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
            "events:putEvents.waitForTaskToken",
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
