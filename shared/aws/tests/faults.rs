//! Injected faults on the AWS side: CodeBuild answering with server errors, throttling, a
//! refusal, through the real SDK client (`aws-smithy-mocks` in front of it; S3 is moto). What
//! AWS documents as retryable is retried by the SDK with backoff and jitter and, once the
//! attempts run out, reaches the state machine as `Transient` for its own retry; a refusal is
//! terminal at once, with its code, after one request.

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

mod common;

use std::time::Duration;

use aws_sdk_codebuild::operation::start_build::StartBuildOutput;
use aws_sdk_codebuild::types::Build;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_types::retry::RetryConfig;
use baton_aws::codebuild::CodeBuildRunner;
use baton_aws::s3::{Encryption, S3ArtifactStore};
use baton_core::ports::{ArtifactRef, ArtifactStore, BuildRequest, BuildRunner, Provenance, StagedArtifact};
use common::Moto;

async fn store(moto: &Moto) -> S3ArtifactStore {
    let client = moto.versioned_bucket("artifacts").await;
    S3ArtifactStore::new(client, "artifacts", "baton", Encryption::S3)
}

async fn source(store: &S3ArtifactStore) -> ArtifactRef {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("buildspec.yml"),
        "version: 0.2\nphases:\n  build:\n    commands: [make]\n",
    )
    .unwrap();
    let staged = StagedArtifact {
        name: "source".into(),
        location: dir.path().to_string_lossy().into_owned(),
    };
    let provenance = Provenance {
        pipeline: "hello".into(),
        execution_id: "e1".into(),
        action: "Source".into(),
        ..Provenance::default()
    };
    store.put(&staged, provenance).await.unwrap().artifact
}

fn request(source: ArtifactRef) -> BuildRequest {
    BuildRequest {
        correlation: "e1/Build:Compile/0".into(),
        pipeline: "hello".into(),
        execution_id: "e1".into(),
        action: "Build:Compile".into(),
        buildspec: "buildspec.yml".into(),
        source,
        commit_id: None,
        outputs: Vec::new(),
        env: Default::default(),
        timeout_secs: 600,
    }
}

/// A CodeBuild client that answers with `rule`, retrying as the SDK's standard mode does (three
/// attempts), with millisecond backoffs so the test does not wait.
fn codebuild(rule: &Rule) -> aws_sdk_codebuild::Client {
    mock_client!(aws_sdk_codebuild, RuleMode::Sequential, [rule], |c| c.retry_config(
        RetryConfig::standard()
            .with_max_attempts(3)
            .with_initial_backoff(Duration::from_millis(1))
            .with_max_backoff(Duration::from_millis(5))
    ))
}

fn started() -> StartBuildOutput {
    StartBuildOutput::builder()
        .build_value(Build::builder().id("baton-builds:1234").build())
        .build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_and_throttling_are_retried_and_the_build_starts() {
    let moto = Moto::start();
    let store = store(&moto).await;
    let source = source(&store).await;
    let throttled = r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#;
    let rule = mock!(aws_sdk_codebuild::Client::start_build)
        .sequence()
        .http_status(503, None)
        .http_status(400, Some(throttled.to_string()))
        .output(started)
        .build();
    let runner = CodeBuildRunner::new(codebuild(&rule), "baton-builds", store);
    let id = runner.start(request(source)).await.unwrap();
    assert_eq!(id, "baton-builds:1234");
    assert_eq!(rule.num_calls(), 3, "two faults, then the start");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_that_outlast_the_retries_reach_the_state_machine_as_transient() {
    let moto = Moto::start();
    let store = store(&moto).await;
    let source = source(&store).await;
    let rule = mock!(aws_sdk_codebuild::Client::start_build)
        .sequence()
        .http_status(500, None)
        .times(3)
        .build();
    let runner = CodeBuildRunner::new(codebuild(&rule), "baton-builds", store);
    let e = runner.start(request(source)).await.unwrap_err();
    assert!(e.transient, "{e:?}");
    assert!(e.message.starts_with("CodeBuild StartBuild failed"), "{e:?}");
    assert_eq!(rule.num_calls(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_is_terminal_at_once_and_names_its_code() {
    let moto = Moto::start();
    let store = store(&moto).await;
    let source = source(&store).await;
    // As CodeBuild sends it: a 400 whose body names the error.
    let refused = r#"{"__type":"InvalidInputException","message":"buildspec override too long"}"#;
    let rule = mock!(aws_sdk_codebuild::Client::start_build)
        .sequence()
        .http_status(400, Some(refused.to_string()))
        .build();
    let runner = CodeBuildRunner::new(codebuild(&rule), "baton-builds", store);
    let e = runner.start(request(source)).await.unwrap_err();
    assert!(!e.transient, "{e:?}");
    assert!(e.message.contains("InvalidInputException: buildspec override too long"), "{e:?}");
    assert_eq!(rule.num_calls(), 1, "not retried");
}
