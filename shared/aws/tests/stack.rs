//! `baton --stack NAME`: a stack's CloudFormation outputs become the environment its functions
//! have, with the stack made in moto's CloudFormation from a template that has only outputs.
//! `baton --state-machine ARN`: the same environment read from the functions a state machine
//! invokes, made in moto's Lambda and Step Functions.
#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

mod common;

use std::path::Path;

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{Environment, FunctionCode, Runtime};
use baton_aws::stack::{StackError, env, env_of_state_machine};
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
    // The template names each alarm `${AWS::StackName}-NAME`.
    assert_eq!(env.get("BATON_ALARM_PREFIX"), Some("hello-"));
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

/// A Lambda function with this environment; its ARN.
async fn function(moto: &Moto, name: &str, variables: &[(&str, &str)]) -> String {
    let config = moto.sdk_config();
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let iam = aws_sdk_iam::Client::new(&config);
    let role = match iam.get_role().role_name("baton-functions").send().await {
        Ok(found) => found.role().unwrap().arn().to_string(),
        Err(_) => iam
            .create_role()
            .role_name("baton-functions")
            .assume_role_policy_document(trust)
            .send()
            .await
            .unwrap()
            .role()
            .unwrap()
            .arn()
            .to_string(),
    };
    let environment = variables
        .iter()
        .fold(Environment::builder(), |e, (k, v)| e.variables(*k, *v))
        .build();
    aws_sdk_lambda::Client::new(&config)
        .create_function()
        .function_name(name)
        .runtime(Runtime::Providedal2023)
        .handler("bootstrap")
        .role(role)
        .environment(environment)
        .code(FunctionCode::builder().zip_file(Blob::new(b"code".to_vec())).build())
        .send()
        .await
        .unwrap()
        .function_arn()
        .unwrap()
        .to_string()
}

/// A state machine whose Tasks invoke these functions, as a deployed Baton definition does
/// (each function's ARN as the Task's `Resource`); its ARN.
async fn machine(moto: &Moto, name: &str, functions: &[String]) -> String {
    let states: Vec<String> = functions
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let next = if i + 1 == functions.len() {
                r#""End":true"#.to_string()
            } else {
                format!(r#""Next":"S{}""#, i + 1)
            };
            format!(r#""S{i}":{{"Type":"Task","Resource":"{f}",{next}}}"#)
        })
        .collect();
    let definition = format!(r#"{{"StartAt":"S0","States":{{{}}}}}"#, states.join(","));
    aws_sdk_sfn::Client::new(&moto.sdk_config())
        .create_state_machine()
        .name(name)
        .definition(definition)
        .role_arn("arn:aws:iam::123456789012:role/baton-state-machine")
        .send()
        .await
        .unwrap()
        .state_machine_arn
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_machines_functions_give_the_environment_its_stacks_outputs_would() {
    let moto = Moto::start();
    let arn = "arn:aws:states:us-east-1:123456789012:stateMachine:hello-pipeline";
    // A function of another service first: it is passed over, not taken for Baton's.
    let other = function(&moto, "hello-Unrelated", &[("LOG_LEVEL", "info")]).await;
    let variables = [
        ("BATON_STATE_MACHINE_ARN", arn),
        ("BATON_TABLE", "hello-state"),
        ("BATON_BUCKET", "hello-artifacts"),
        ("BATON_APPLICATION", "hello-app"),
        ("BATON_PROJECT", "hello-builds"),
        ("BATON_ALARM_PREFIX", "hello-"),
    ];
    let source = function(&moto, "hello-SourceFunction", &variables).await;
    assert_eq!(machine(&moto, "hello-pipeline", &[other, source]).await, arn);
    let env = env_of_state_machine(&moto.sdk_config(), arn, Path::new("/p/pipeline.yml"))
        .await
        .unwrap();
    assert_eq!(env.get("BATON_STATE_MACHINE_ARN"), Some(arn));
    assert_eq!(env.get("BATON_TABLE"), Some("hello-state"));
    assert_eq!(env.get("BATON_BUCKET"), Some("hello-artifacts"));
    assert_eq!(env.get("BATON_APPLICATION"), Some("hello-app"));
    assert_eq!(env.get("BATON_PIPELINE"), Some("/p/pipeline.yml"));
    assert_eq!(env.get("BATON_ALARM_PREFIX"), Some("hello-"));
    // Only what the stack's outputs give: the same environment whichever way it was found.
    assert_eq!(env.get("BATON_PROJECT"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_machine_one_without_baton_and_one_of_another_pipeline_are_told_apart() {
    let moto = Moto::start();
    let config = moto.sdk_config();
    let file = Path::new("pipeline.yml");
    let nope = "arn:aws:states:us-east-1:123456789012:stateMachine:nope";
    let unknown = env_of_state_machine(&config, nope, file).await;
    assert!(
        matches!(&unknown, Err(StackError::UnknownStateMachine { arn }) if arn == nope),
        "{unknown:?}"
    );

    let plain = function(&moto, "plain", &[("LOG_LEVEL", "info")]).await;
    let lone = machine(&moto, "lone", &[plain]).await;
    let not_baton = env_of_state_machine(&config, &lone, file).await;
    assert!(matches!(&not_baton, Err(StackError::NotBatonMachine { .. })), "{not_baton:?}");

    let theirs = "arn:aws:states:us-east-1:123456789012:stateMachine:theirs-pipeline";
    let borrowed = function(&moto, "theirs-Source", &[("BATON_TABLE", "t"), ("BATON_STATE_MACHINE_ARN", theirs)]).await;
    let mine = machine(&moto, "mine", &[borrowed]).await;
    let other = env_of_state_machine(&config, &mine, file).await;
    assert!(
        matches!(&other, Err(StackError::OtherStateMachine { serves, .. }) if serves == theirs),
        "{other:?}"
    );
    assert!(other.unwrap_err().to_string().contains("name that one"));
}
