//! Lambda deployment groups against moto: a deployment publishes the artifact's bundle as a
//! function version and asks CodeDeploy to shift the alias to it by an appspec given as
//! content, in the Lambda application the group names (the stack's own is a Server one); a
//! redelivered start and a rollback to code already published publish nothing.

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

mod common;

use std::collections::HashMap;

use aws_sdk_codedeploy::types::{ComputePlatform, RevisionLocationType};
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{FunctionCode, Runtime};
use baton_aws::codedeploy::CodeDeployer;
use baton_aws::lambda_deploy::{LambdaGroup, LambdaGroups};
use baton_aws::s3::{Encryption, S3ArtifactStore};
use baton_core::events::Event;
use baton_core::ports::{ArtifactRef, ArtifactStore, DeployRequest, Deployer, DeploymentStatus, Provenance, StagedArtifact};
use common::Moto;
use serde_json::Value;

const FUNCTION: &str = "hello-api";

/// A function with one published version (its first code) behind the alias `live`.
async fn function(moto: &Moto) -> aws_sdk_lambda::Client {
    let config = moto.sdk_config();
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let role = aws_sdk_iam::Client::new(&config)
        .create_role()
        .role_name("hello-api")
        .assume_role_policy_document(trust)
        .send()
        .await
        .unwrap();
    let lambda = aws_sdk_lambda::Client::new(&config);
    lambda
        .create_function()
        .function_name(FUNCTION)
        .runtime(Runtime::Providedal2023)
        .handler("bootstrap")
        .role(role.role().unwrap().arn())
        .code(FunctionCode::builder().zip_file(Blob::new(b"first code".to_vec())).build())
        .send()
        .await
        .unwrap();
    let first = lambda.publish_version().function_name(FUNCTION).send().await.unwrap();
    lambda
        .create_alias()
        .function_name(FUNCTION)
        .name("live")
        .function_version(first.version().unwrap())
        .send()
        .await
        .unwrap();
    lambda
}

async fn codedeploy(moto: &Moto) -> aws_sdk_codedeploy::Client {
    let client = aws_sdk_codedeploy::Client::new(&moto.sdk_config());
    client
        .create_application()
        .application_name("hello-lambda")
        .compute_platform(ComputePlatform::Lambda)
        .send()
        .await
        .unwrap();
    client
        .create_deployment_group()
        .application_name("hello-lambda")
        .deployment_group_name("api")
        .service_role_arn("arn:aws:iam::123456789012:role/baton-codedeploy")
        .send()
        .await
        .unwrap();
    client
}

/// Stores a build output holding `bootstrap` with these bytes as the next `api` version.
async fn build(store: &S3ArtifactStore, bootstrap: &str, execution: &str) -> ArtifactRef {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bootstrap"), bootstrap).unwrap();
    let staged = StagedArtifact {
        name: "api".into(),
        location: dir.path().to_string_lossy().into_owned(),
    };
    let provenance = Provenance {
        pipeline: "hello".into(),
        execution_id: execution.into(),
        action: "Build:Compile".into(),
        ..Provenance::default()
    };
    store.put(&staged, provenance).await.unwrap().artifact
}

fn request(artifact: &ArtifactRef, correlation: &str, rollback: bool) -> DeployRequest {
    DeployRequest {
        correlation: correlation.into(),
        pipeline: "hello".into(),
        execution_id: correlation.split('/').next().unwrap().into(),
        group: "api".into(),
        artifact: artifact.clone(),
        rollback,
        variables: Default::default(),
    }
}

/// The alias shift a deployment asked for: (function, alias, current, target), and its config.
async fn shift_of(client: &aws_sdk_codedeploy::Client, id: &str) -> ((String, String, String, String), Option<String>) {
    let out = client.get_deployment().deployment_id(id).send().await.unwrap();
    let info = out.deployment_info().unwrap();
    assert_eq!(info.application_name(), Some("hello-lambda"), "the group's own Lambda application");
    let revision = info.revision().unwrap();
    assert_eq!(revision.revision_type(), Some(&RevisionLocationType::AppSpecContent));
    let content: Value = serde_json::from_str(revision.app_spec_content().unwrap().content().unwrap()).unwrap();
    let props = &content["Resources"][0]["function"]["Properties"];
    assert_eq!(content["Resources"][0]["function"]["Type"], "AWS::Lambda::Function");
    let s = |k: &str| props[k].as_str().unwrap().to_string();
    (
        (s("Name"), s("Alias"), s("CurrentVersion"), s("TargetVersion")),
        info.deployment_config_name().map(str::to_string),
    )
}

async fn versions(lambda: &aws_sdk_lambda::Client) -> usize {
    let out = lambda.list_versions_by_function().function_name(FUNCTION).send().await.unwrap();
    out.versions().iter().filter(|v| v.version() != Some("$LATEST")).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lambda_deployment_shifts_the_alias_to_the_published_bundle() {
    let moto = Moto::start();
    let lambda = function(&moto).await;
    let client = codedeploy(&moto).await;
    let store = S3ArtifactStore::new(moto.versioned_bucket("artifacts").await, "artifacts", "", Encryption::S3);
    let group = LambdaGroup {
        function: FUNCTION.into(),
        alias: "live".into(),
        deployment_config: Some("CodeDeployDefault.LambdaCanary10Percent5Minutes".into()),
        application: Some("hello-lambda".into()),
    };
    let groups = LambdaGroups::new(lambda.clone(), HashMap::from([("api".to_string(), group)]));
    let deployer = CodeDeployer::new(client.clone(), "hello", store.clone()).with_lambda(groups);

    let v1 = build(&store, "release one", "e1").await;
    let id = deployer.start(request(&v1, "e1/Ship:Deploy/0", false)).await.unwrap();
    let (shift, config) = shift_of(&client, &id).await;
    assert_eq!(shift, (FUNCTION.into(), "live".into(), "1".into(), "2".into()));
    assert_eq!(config.as_deref(), Some("CodeDeployDefault.LambdaCanary10Percent5Minutes"));
    assert_eq!(versions(&lambda).await, 2);

    // Delivered again: the same deployment, nothing published.
    assert_eq!(deployer.start(request(&v1, "e1/Ship:Deploy/0", false)).await.unwrap(), id);
    assert_eq!(versions(&lambda).await, 2);

    // A newer release is a newer version; a rollback to release one finds its version.
    let v2 = build(&store, "release two", "e2").await;
    let second = deployer.start(request(&v2, "e2/Ship:Deploy/0", false)).await.unwrap();
    assert_eq!(shift_of(&client, &second).await.0.3, "3");
    let back = deployer.start(request(&v1, "e2/Rollback:api/0", true)).await.unwrap();
    assert_ne!(back, second);
    assert_eq!(shift_of(&client, &back).await.0.3, "2", "release one's version, not a new one");
    assert_eq!(versions(&lambda).await, 3);

    // CodeDeploy reports its end with the same state-change event, from the Lambda application.
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/events/codedeploy-deployment-state-change.json"),
    )
    .unwrap();
    let mut event: Value = serde_json::from_str(&text).unwrap();
    event["detail"]["deploymentId"] = back.as_str().into();
    event["detail"]["application"] = "hello-lambda".into();
    event["detail"]["deploymentGroup"] = "api".into();
    event["detail"]["state"] = "SUCCESS".into();
    let event = deployer.event(&serde_json::from_value(event).unwrap()).await.unwrap();
    let Some(Event::DeploymentStateChange { correlation, status, .. }) = event else {
        panic!("a finished Lambda deployment is an event: {event:?}");
    };
    assert_eq!((correlation.as_str(), status), ("e2/Rollback:api/0", DeploymentStatus::Succeeded));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_alias_is_a_terminal_error_that_says_what_to_create() {
    let moto = Moto::start();
    let lambda = function(&moto).await;
    let client = codedeploy(&moto).await;
    let store = S3ArtifactStore::new(moto.versioned_bucket("artifacts").await, "artifacts", "", Encryption::S3);
    let group = LambdaGroup {
        function: FUNCTION.into(),
        alias: "prod".into(),
        deployment_config: None,
        application: Some("hello-lambda".into()),
    };
    let deployer = CodeDeployer::new(client, "hello", store.clone())
        .with_lambda(LambdaGroups::new(lambda, HashMap::from([("api".to_string(), group)])));
    let v1 = build(&store, "release one", "e1").await;
    let err = deployer.start(request(&v1, "e1/Ship:Deploy/0", false)).await.unwrap_err();
    assert!(!err.transient, "{err:?}");
    assert!(
        err.message.contains("alias prod of Lambda function hello-api does not exist"),
        "{}",
        err.message
    );
}
