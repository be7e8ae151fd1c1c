//! The stack's storage and services made in moto, as `sam deploy` would make them, under the
//! names the template gives them.

use baton_aws::dynamodb::DynamoState;
use baton_aws::entrypoints::config::artifact_store;
use baton_aws::s3::S3ArtifactStore;

use super::stack::Stack;
use crate::common::Moto;

pub(crate) struct Cloud {
    pub s3: aws_sdk_s3::Client,
    pub store: S3ArtifactStore,
    pub pending: DynamoState,
    pub scheduler: aws_sdk_scheduler::Client,
    pub codedeploy: aws_sdk_codedeploy::Client,
    pub sfn: aws_sdk_sfn::Client,
}

/// What `sam deploy` would create of the stack's storage and services, under the names the
/// template gives them.
pub(crate) async fn cloud(moto: &Moto, stack: &Stack) -> Cloud {
    let config = moto.sdk_config();
    let env = stack.env("DeployFunction");
    let s3 = moto.versioned_bucket(&env.require("BATON_BUCKET").unwrap()).await;
    let pending = moto.state_table(&env.require("BATON_TABLE").unwrap()).await;
    moto.build_project(&env.require("BATON_PROJECT").unwrap()).await;
    let codedeploy = aws_sdk_codedeploy::Client::new(&config);
    for (application, group) in stack.deployment_groups() {
        moto.deployment_group(&application, &group).await;
    }
    let scheduler = aws_sdk_scheduler::Client::new(&config);
    let timers = stack.env("BakeFunction").require("BATON_SCHEDULE_GROUP").unwrap();
    scheduler.create_schedule_group().name(timers).send().await.unwrap();
    Cloud {
        store: artifact_store(&config, &env).unwrap(),
        s3,
        pending,
        scheduler,
        codedeploy,
        sfn: aws_sdk_sfn::Client::new(&config),
    }
}
