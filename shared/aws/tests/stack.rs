//! `baton --stack NAME`: a stack's CloudFormation outputs become the environment its functions
//! have, with the stack made in moto's CloudFormation from a template that has only outputs.
#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

mod common;

use std::path::Path;

use baton_aws::stack::{StackError, env};
use common::Moto;

/// A stack whose outputs are these, as `baton synth --sam`'s template names them.
async fn stack(moto: &Moto, name: &str, outputs: &[(&str, &str)]) {
    let outputs: String = outputs.iter().map(|(k, v)| format!("  {k}:\n    Value: {v}\n")).collect();
    let template = format!("Resources:\n  Topic:\n    Type: AWS::SNS::Topic\nOutputs:\n{outputs}");
    aws_sdk_cloudformation::Client::new(&moto.sdk_config())
        .create_stack()
        .stack_name(name)
        .template_body(template)
        .send()
        .await
        .unwrap();
}

const OUTPUTS: [(&str, &str); 4] = [
    (
        "StateMachineArn",
        "arn:aws:states:us-east-1:123456789012:stateMachine:hello-pipeline",
    ),
    ("StateTableName", "hello-state"),
    ("ArtifactBucketName", "hello-artifacts"),
    ("DeployApplicationName", "hello-app"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stacks_outputs_are_the_environment_its_functions_have() {
    let moto = Moto::start();
    stack(&moto, "hello", &OUTPUTS).await;
    let env = env(&moto.sdk_config(), "hello", Path::new("/p/pipeline.yml")).await.unwrap();
    assert_eq!(env.get("BATON_STATE_MACHINE_ARN"), Some(OUTPUTS[0].1));
    assert_eq!(env.get("BATON_TABLE"), Some("hello-state"));
    assert_eq!(env.get("BATON_BUCKET"), Some("hello-artifacts"));
    assert_eq!(env.get("BATON_APPLICATION"), Some("hello-app"));
    assert_eq!(env.get("BATON_PIPELINE"), Some("/p/pipeline.yml"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_stack_and_a_stack_baton_did_not_make_are_told_apart() {
    let moto = Moto::start();
    let unknown = env(&moto.sdk_config(), "nope", Path::new("pipeline.yml")).await;
    assert!(
        matches!(&unknown, Err(StackError::Unknown { name, .. }) if name == "nope"),
        "{unknown:?}"
    );
    assert!(unknown.unwrap_err().to_string().contains("no stack `nope` in us-east-1"));

    stack(&moto, "other", &OUTPUTS[..3]).await;
    let other = env(&moto.sdk_config(), "other", Path::new("pipeline.yml")).await;
    assert!(
        matches!(&other, Err(StackError::NotBaton { output, .. }) if output == "DeployApplicationName"),
        "{other:?}"
    );
}
