//! The operations on a deployed stack over moto, for the tests of `baton_aws::operations`: the
//! example's pipeline, a state machine and an execution of it, with the clients each test
//! gives (moto's or mocked).

use std::path::Path;
use std::sync::Arc;

use aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput;
use aws_sdk_sfn::types::{ExecutionStatus, HistoryEvent, HistoryEventType};
use aws_smithy_mocks::{Rule, mock};
use aws_smithy_types::DateTime;
use baton_aws::cloudwatch::CloudWatchAlarms;
use baton_aws::codedeploy::CodeDeployer;
use baton_aws::emf::EmfMetricsSink;
use baton_aws::operations::AwsOperations;
use baton_aws::s3::{Encryption, S3ArtifactStore};
use baton_aws::sfn::StepFunctions;

use super::Moto;

pub(crate) const MACHINE: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:hello-pipeline";
pub(crate) const EXECUTION: &str = "20261203-101500-aaaaaaaa";

pub(crate) fn execution_arn(name: &str) -> String {
    format!("arn:aws:states:us-east-1:123456789012:execution:hello-pipeline:{name}")
}

/// The operations over moto, with `sfn` and `codedeploy` given (moto's or mocked).
pub(crate) async fn operations(
    moto: &Moto,
    machine: &str,
    sfn: aws_sdk_sfn::Client,
    codedeploy: aws_sdk_codedeploy::Client,
) -> AwsOperations {
    let config = moto.sdk_config();
    let pipeline_file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hello-app/pipeline.yml");
    let s3 = moto.versioned_bucket("baton-ops-artifacts").await;
    let store = S3ArtifactStore::new(s3, "baton-ops-artifacts", "", Encryption::S3);
    AwsOperations {
        pipeline: baton_core::load_pipeline(&pipeline_file).expect("hello-app"),
        state_machine_arn: machine.to_string(),
        callbacks: StepFunctions::new(sfn.clone(), String::new()),
        sfn,
        sts: aws_sdk_sts::Client::new(&config),
        pending: moto.state_table("baton-ops-state").await,
        metrics: Arc::new(EmfMetricsSink::stdout()),
        deployer: CodeDeployer::new(codedeploy, "hello-app", store),
        cloudwatch: CloudWatchAlarms::new(aws_sdk_cloudwatch::Client::new(&config)),
        codebuild: aws_sdk_codebuild::Client::new(&config),
        logs: aws_sdk_cloudwatchlogs::Client::new(&config),
    }
}

/// `DescribeExecution` of [`EXECUTION`], as the trigger starts one.
pub(crate) fn describe(status: ExecutionStatus) -> Rule {
    mock!(aws_sdk_sfn::Client::describe_execution).then_output(move || {
        DescribeExecutionOutput::builder()
            .execution_arn(execution_arn(EXECUTION))
            .state_machine_arn(MACHINE)
            .name(EXECUTION)
            .status(status.clone())
            .start_date(DateTime::from_secs(0))
            // What the trigger starts an execution with (baton_core::stages::trigger).
            .input(r#"{"revision":"3fa2c1e","variables":{},"trigger":{"type":"push","ref":"refs/heads/main"}}"#)
            .build()
            .expect("describe")
    })
}

pub(crate) fn event(id: i64, previous: i64, kind: HistoryEventType) -> aws_sdk_sfn::types::builders::HistoryEventBuilder {
    HistoryEvent::builder()
        .id(id)
        .previous_event_id(previous)
        .r#type(kind)
        .timestamp(DateTime::from_secs(id))
}
