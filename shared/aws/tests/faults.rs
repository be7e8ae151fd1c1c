//! Injected faults against the AWS adapters: the real SDK clients talk to moto through a
//! loopback proxy that throttles, fails, refuses, drops, hangs, or cuts a response short after
//! the service acted. Retryable faults are ridden out (the SDK's standard retries with backoff
//! and jitter, attempt timeouts from `baton_aws::sdk::timeouts`) with one effect; a refusal is a
//! clear, terminal failure that leaves nothing partial behind.

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use baton_aws::codebuild::CodeBuildRunner;
use baton_aws::s3::{Encryption, S3ArtifactStore};
use baton_core::ports::{ArtifactRef, ArtifactStore, BuildRequest, BuildRunner, PendingTask, PendingTasks, Provenance, StagedArtifact};
use common::Moto;
use common::faults::{Fault, FaultProxy};

fn tree(root: &Path) {
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::write(root.join("appspec.yml"), "version: 0.0\nos: linux\n").unwrap();
    std::fs::write(root.join("bin/app"), "#!/bin/sh\necho hi\n").unwrap();
}

fn provenance(execution: &str) -> Provenance {
    Provenance {
        pipeline: "hello".into(),
        execution_id: execution.into(),
        action: "Build:Compile".into(),
        ..Provenance::default()
    }
}

/// The log of the proxy, for failure messages.
fn log(proxy: &FaultProxy) -> String {
    proxy.log().join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_s3_store_rides_out_faults_and_a_refusal_leaves_no_manifest() {
    let moto = Moto::start();
    moto.versioned_bucket("baton-artifacts").await;
    let proxy = FaultProxy::start(&moto.endpoint).await;
    let config = aws_sdk_s3::config::Builder::from(&moto.faulty_config(&proxy))
        .force_path_style(true)
        .build();
    let store = S3ArtifactStore::new(aws_sdk_s3::Client::from_conf(config), "baton-artifacts", "baton", Encryption::S3);
    let src = tempfile::tempdir().unwrap();
    tree(src.path());
    let staged = StagedArtifact {
        name: "app".into(),
        location: src.path().to_string_lossy().into_owned(),
    };

    proxy.inject("HEAD /baton-artifacts/baton/hello/blobs/", Fault::Throttle, 1);
    proxy.inject("PUT /baton-artifacts/baton/hello/blobs/", Fault::Drop, 1);
    proxy.inject("PUT /baton-artifacts/baton/hello/blobs/", Fault::ServerError, 1);
    proxy.inject("GET /baton-artifacts/?list-type=2", Fault::Hang, 1);
    // The claim of version 1 lands, but its answer is lost: the retry meets its own manifest.
    proxy.inject("PUT /baton-artifacts/baton/hello/app/1/manifest.json", Fault::CutAfterActing, 1);
    let stored = store
        .put(&staged, provenance("e1"))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", log(&proxy)));
    assert_eq!(proxy.pending(), 0, "every planned fault happened:\n{}", log(&proxy));
    assert_eq!(stored.artifact.version, 1, "one put, one version:\n{}", log(&proxy));
    assert!(store.manifest("hello", "app", 2).await.unwrap().is_none(), "no second version");

    proxy.inject("GET /baton-artifacts/baton/hello/", Fault::Throttle, 2);
    let out = tempfile::tempdir().unwrap();
    store.fetch("hello", &stored.artifact, &out.path().join("got")).await.unwrap();
    assert_eq!(std::fs::read(out.path().join("got/bin/app")).unwrap(), b"#!/bin/sh\necho hi\n");

    // A refusal is terminal and says what failed; the version it was claiming does not exist.
    std::fs::write(src.path().join("bin/app"), "#!/bin/sh\necho changed\n").unwrap();
    proxy.inject("PUT /baton-artifacts/baton/hello/app/2/manifest.json", Fault::Deny, 1);
    let refused = store.put(&staged, provenance("e2")).await.unwrap_err();
    assert!(!refused.transient, "a refusal is not retried by the state machine: {refused}");
    assert!(refused.to_string().contains("AccessDenied"), "{refused}");
    assert!(
        store.manifest("hello", "app", 2).await.unwrap().is_none(),
        "nothing partial is visible"
    );
    let stored = store.put(&staged, provenance("e2")).await.unwrap();
    assert_eq!(stored.artifact.version, 2, "the refused put left no gap behind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_waits_survive_faults_and_a_retried_take_answers_once() {
    let moto = Moto::start();
    moto.state_table("baton-state").await;
    let proxy = FaultProxy::start(&moto.endpoint).await;
    let client = aws_sdk_dynamodb::Client::new(&moto.faulty_config(&proxy));
    let state = baton_aws::dynamodb::DynamoState::new(client, "baton-state");
    let task = PendingTask {
        token: "t1".into(),
        context: serde_json::json!({ "action": "Build:Compile" }),
    };
    proxy.inject("DynamoDB_20120810.PutItem", Fault::Throttle, 1);
    proxy.inject("DynamoDB_20120810.PutItem", Fault::CutAfterActing, 1);
    state
        .put("build/e1/Build:Compile/0", &task)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", log(&proxy)));
    proxy.inject("DynamoDB_20120810.DeleteItem", Fault::CutAfterActing, 1);
    proxy.inject("DynamoDB_20120810.DeleteItem", Fault::ServerError, 1);
    let taken = state
        .take("build/e1/Build:Compile/0")
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", log(&proxy)));
    assert_eq!(proxy.pending(), 0, "every planned fault happened:\n{}", log(&proxy));
    assert_eq!(
        taken.map(|t| t.token).as_deref(),
        Some("t1"),
        "the take whose answer was lost still hands the task over:\n{}",
        log(&proxy)
    );
    assert!(state.take("build/e1/Build:Compile/0").await.unwrap().is_none(), "and only once");

    proxy.inject("DynamoDB_20120810.PutItem", Fault::Deny, 1);
    let refused = state.put("build/e1/Build:Lint/0", &task).await.unwrap_err();
    assert!(!refused.transient && refused.to_string().contains("AccessDenied"), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_start_meets_throttling_and_a_hung_connection_and_starts_one_build() {
    let moto = Moto::start();
    moto.build_project("baton-builds").await;
    let direct = aws_sdk_codebuild::Client::new(&moto.sdk_config());
    moto.versioned_bucket("baton-artifacts").await;
    let proxy = FaultProxy::start(&moto.endpoint).await;
    let config = moto.faulty_config(&proxy);
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&config).force_path_style(true).build());
    let store = S3ArtifactStore::new(s3, "baton-artifacts", "baton", Encryption::S3);
    let src = tempfile::tempdir().unwrap();
    tree(src.path());
    let source = store
        .put(
            &StagedArtifact {
                name: "source".into(),
                location: src.path().to_string_lossy().into_owned(),
            },
            provenance("e1"),
        )
        .await
        .unwrap();
    let runner = CodeBuildRunner::new(aws_sdk_codebuild::Client::new(&config), "baton-builds", store);
    let request = BuildRequest {
        correlation: "e1/Build:Compile/0".into(),
        pipeline: "hello".into(),
        execution_id: "e1".into(),
        action: "Build:Compile".into(),
        buildspec: "buildspec.yml".into(),
        source: ArtifactRef::clone(&source.artifact),
        commit_id: None,
        outputs: vec![],
        env: BTreeMap::new(),
        timeout_secs: 600,
        batch: false,
    };
    proxy.inject("CodeBuild_20161006.StartBuild", Fault::Throttle, 1);
    proxy.inject("CodeBuild_20161006.StartBuild", Fault::Hang, 1);
    let id = runner
        .start(request.clone())
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", log(&proxy)));
    assert_eq!(proxy.pending(), 0, "every planned fault happened:\n{}", log(&proxy));
    let builds = direct.list_builds().send().await.unwrap();
    assert_eq!(builds.ids(), std::slice::from_ref(&id), "one build:\n{}", log(&proxy));

    proxy.inject("CodeBuild_20161006.StartBuild", Fault::Deny, 1);
    let refused = runner
        .start(BuildRequest {
            correlation: "e1/Build:Compile/1".into(),
            ..request
        })
        .await
        .unwrap_err();
    assert!(!refused.transient && refused.to_string().contains("AccessDenied"), "{refused}");
    assert_eq!(
        direct.list_builds().send().await.unwrap().ids().len(),
        1,
        "a refused start starts nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_whose_create_answer_is_lost_is_found_not_created_twice() {
    let moto = Moto::start();
    moto.versioned_bucket("artifacts").await;
    let direct = moto.deployment_group("hello", "staging").await;
    let proxy = FaultProxy::start(&moto.endpoint).await;
    let config = moto.faulty_config(&proxy);
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&config).force_path_style(true).build());
    let store = S3ArtifactStore::new(s3, "artifacts", "", Encryption::S3);
    let src = tempfile::tempdir().unwrap();
    tree(src.path());
    let staged = StagedArtifact {
        name: "app".into(),
        location: src.path().to_string_lossy().into_owned(),
    };
    let artifact = store.put(&staged, provenance("e1")).await.unwrap().artifact;
    let deployer = baton_aws::codedeploy::CodeDeployer::new(aws_sdk_codedeploy::Client::new(&config), "hello", store);
    let request = baton_core::ports::DeployRequest {
        correlation: "e1/Staging:Deploy/0".into(),
        pipeline: "hello".into(),
        execution_id: "e1".into(),
        group: "staging".into(),
        artifact,
        rollback: false,
        variables: Default::default(),
    };
    proxy.inject("CodeDeploy_20141006.ListDeployments", Fault::Throttle, 1);
    proxy.inject("CodeDeploy_20141006.CreateDeployment", Fault::CutAfterActing, 1);
    let id = baton_core::ports::Deployer::start(&deployer, request.clone())
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", log(&proxy)));
    assert_eq!(proxy.pending(), 0, "every planned fault happened:\n{}", log(&proxy));
    let listed = direct.list_deployments().send().await.unwrap();
    assert_eq!(listed.deployments(), [id], "one deployment:\n{}", log(&proxy));

    proxy.inject("CodeDeploy_20141006.CreateDeployment", Fault::Deny, 1);
    let refused = baton_core::ports::Deployer::start(
        &deployer,
        baton_core::ports::DeployRequest {
            correlation: "e1/Staging:Deploy/1".into(),
            ..request
        },
    )
    .await
    .unwrap_err();
    assert!(!refused.transient && refused.to_string().contains("AccessDenied"), "{refused}");
    assert_eq!(direct.list_deployments().send().await.unwrap().deployments().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timers_and_execution_starts_are_one_each_whatever_the_network_does() {
    use baton_core::ports::{ExecutionStarter, Timers};
    let moto = Moto::start();
    let proxy = FaultProxy::start(&moto.endpoint).await;
    let config = moto.faulty_config(&proxy);
    let scheduler = aws_sdk_scheduler::Client::new(&config);
    let timers = baton_aws::scheduler::SchedulerTimers::new(
        scheduler.clone(),
        "default",
        "arn:aws:lambda:us-east-1:123456789012:function:baton-events",
        "arn:aws:iam::123456789012:role/baton-scheduler",
    );
    let event = baton_core::events::Event::BakeWindowElapsed {
        correlation: "e1/Staging:Bake/0".into(),
    };
    proxy.inject("POST /schedules/", Fault::ServerError, 1);
    proxy.inject("POST /schedules/", Fault::CutAfterActing, 1);
    timers.after(600, event).await.unwrap_or_else(|e| panic!("{e}\n{}", log(&proxy)));
    let listed = scheduler.list_schedules().group_name("default").send().await.unwrap();
    assert_eq!(listed.schedules().len(), 1, "one schedule:\n{}", log(&proxy));

    let (sfn, arn) = moto.state_machine().await;
    let starter = baton_aws::sfn::StepFunctions::new(aws_sdk_sfn::Client::new(&config), &arn);
    proxy.inject("AWSStepFunctions.StartExecution", Fault::Drop, 1);
    proxy.inject("AWSStepFunctions.StartExecution", Fault::CutAfterActing, 1);
    starter
        .start("push-abc123", serde_json::json!({ "revision": "abc123" }))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", log(&proxy)));
    assert_eq!(proxy.pending(), 0, "every planned fault happened:\n{}", log(&proxy));
    let executions = sfn.list_executions().state_machine_arn(&arn).send().await.unwrap();
    assert_eq!(executions.executions().len(), 1, "one execution:\n{}", log(&proxy));

    proxy.inject("AWSStepFunctions.StartExecution", Fault::Deny, 1);
    let refused = starter.start("push-def456", serde_json::json!({})).await.unwrap_err();
    assert!(!refused.transient && refused.to_string().contains("AccessDenied"), "{refused}");
}
